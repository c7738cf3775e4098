//! Learning sweep: skill per seed at checkpoints, for a preset with `--set`-style overrides.
//! `cargo run --release --example sweep -- SEEDS CHECKPOINTS SESSIONS [path=value ...]`
//! e.g. `... -- 1-10 500,2000 1000 agent.kind=bandit`. Prints one line per seed and the mean.

use instatok::config::Config;
use instatok::experiment::{eval_seed, evaluate, Trainer};
use instatok::policy::PolicyKind;
use instatok::profile::NoProfiler;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: sweep SEEDS(a-b) CHECKPOINTS(a,b,..) SESSIONS [path=value ...]".into());
    }
    let (lo, hi) = args[0].split_once('-').ok_or("SEEDS as a-b")?;
    let seeds: Vec<u64> = (lo.parse::<u64>().map_err(|e| e.to_string())?
        ..=hi.parse::<u64>().map_err(|e| e.to_string())?)
        .collect();
    let checkpoints: Vec<usize> = args[1]
        .split(',')
        .map(|s| {
            s.parse()
                .map_err(|e: std::num::ParseIntError| e.to_string())
        })
        .collect::<Result<_, _>>()?;
    let sessions: usize = args[2]
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())?;
    let sets = &args[3..];
    let mut sums = vec![Vec::new(); checkpoints.len()];
    let t0 = std::time::Instant::now();
    for &seed in &seeds {
        let mut cfg = instatok::schema::apply_sets(&Config::default_preset(), sets)
            .map_err(|e| e.to_string())?;
        cfg.seed = seed;
        let mut t = Trainer::new(&cfg).map_err(|e| e.to_string())?;
        let mut line = format!("seed {seed:>2}:");
        for (i, &at) in checkpoints.iter().enumerate() {
            let n = at.saturating_sub(t.episodes().len());
            t.train(n, &mut NoProfiler, |_| {})
                .map_err(|e| e.to_string())?;
            let r = evaluate(
                t.env(),
                Some(t.agent()),
                PolicyKind::Dqn,
                sessions,
                eval_seed(&cfg),
            )
            .map_err(|e| e.to_string())?;
            line += &format!(" {at}: {:.3}±{:.3}", r.skill, r.skill_ci95);
            sums[i].push(r.skill);
        }
        println!("{line}");
    }
    let mut line = format!("MEAN {sets:?}:");
    for (i, &at) in checkpoints.iter().enumerate() {
        let v = &sums[i];
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let mn = v.iter().copied().fold(f64::INFINITY, f64::min);
        let mx = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        line += &format!(" {at}: {m:.3} ({mn:.3}-{mx:.3})");
    }
    println!("{line} [{:.0} s]", t0.elapsed().as_secs_f64());
    Ok(())
}
