//! The scale rows of `instatok bench`: the top-K index at every world size, the long-run cost
//! of both presets, and agreement with the exact filter. Memory and the large world are
//! measured in child processes (`instatok bench-scale`, `instatok bench-long`, hidden), so each
//! peak resident memory figure belongs to that work alone.

use std::process::Command;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{json, Value};

use instatok::build::{BuildStage, EnvBuilder};
use instatok::cf::candidates::generate;
use instatok::cf::CollaborativeFilter;
use instatok::config::{Config, Preset, WorldSize};
use instatok::env::Environment;
use instatok::experiment::Trainer;
use instatok::profile::{NoProfiler, Phase, Profiler};
use instatok::rng::stream;
use instatok::sim::history::generate_history;
use instatok::sim::world::World;

use super::bench::memory_mib;

/// CPU time of this thread: unlike wall time, other processes on a shared machine do not add
/// to it (their cache traffic still can).
fn cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the timespec we own; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Sums the CPU time of each phase.
#[derive(Default)]
struct CpuTimings {
    started: Option<(Phase, Duration)>,
    total: Vec<(Phase, Duration, u64)>,
}

impl Profiler for CpuTimings {
    fn begin(&mut self, phase: Phase) {
        self.started = Some((phase, cpu()));
    }
    fn end(&mut self, phase: Phase) {
        if let Some((p, t0)) = self.started.take() {
            if p == phase {
                let dt = cpu().saturating_sub(t0);
                match self.total.iter_mut().find(|e| e.0 == phase) {
                    Some(e) => {
                        e.1 += dt;
                        e.2 += 1;
                    }
                    None => self.total.push((phase, dt, 1)),
                }
            }
        }
    }
}

impl CpuTimings {
    fn mean_us(&self, phase: Phase) -> f64 {
        self.total
            .iter()
            .find(|e| e.0 == phase)
            .map_or(f64::NAN, |e| e.1.as_secs_f64() * 1e6 / e.2.max(1) as f64)
    }
}

/// The reference figures, with their source (see the file's header).
const REFERENCE: &str = include_str!("../../bench/reference.toml");

/// `key` of `[section]` in bench/reference.toml.
fn reference(section: &str, key: &str) -> String {
    let mut current = "";
    for line in REFERENCE.lines() {
        let line = line.trim();
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = s;
        } else if current == section {
            if let Some((k, v)) = line.split_once('=') {
                if k.trim() == key {
                    return v.trim().trim_matches('"').to_string();
                }
            }
        }
    }
    "?".into()
}

fn beside(section: &str) -> String {
    format!(
        "reference: {} | target: {}",
        reference(section, "reference"),
        reference(section, "target")
    )
}

/// Run this binary with `args` and parse the last line of its output as JSON.
fn child(args: &[&str]) -> Result<Value, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| format!("{args:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text.lines().last().unwrap_or("");
    serde_json::from_str(last).map_err(|e| format!("{args:?}: {e}: {last}"))
}

fn f(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// Runs of `bench-scale` per world size: each figure printed is the median of these, so that
/// one run slowed by another process on this shared machine does not become the headline.
const PROBE_RUNS: usize = 3;

/// `bench-scale --world SIZE` run `PROBE_RUNS` times, each number field the median of its runs.
fn median_probe(size: &str) -> Result<Value, String> {
    let runs = (0..PROBE_RUNS)
        .map(|_| child(&["bench-scale", "--world", size]))
        .collect::<Result<Vec<Value>, String>>()?;
    let mut out = runs[0].clone();
    if let Value::Object(fields) = &mut out {
        for (key, value) in fields.iter_mut() {
            let mut xs: Vec<f64> = runs
                .iter()
                .filter_map(|r| r[key.as_str()].as_f64())
                .collect();
            if xs.len() == runs.len() && value.is_f64() {
                xs.sort_by(f64::total_cmp);
                *value = json!(xs[xs.len() / 2]);
            }
        }
    }
    Ok(out)
}

/// The scale section of `instatok bench`.
pub fn run(quick: bool) -> Result<(), String> {
    println!("== Scale: the top-K neighbour index (default preset: cf.top_k = 50, cf.history_window = 100), one core, CPU time of the thread, median of {PROBE_RUNS} runs per size ==");
    let mut probes = Vec::new();
    for size in WorldSize::ALL {
        let p = median_probe(size.name())?;
        println!(
            "{:<6} {:>6} videos x {:>5} users, {:>7} logged | world + history {:>6.0} ms | matrix {:>5.0} ms + index {:>5.0} ms = build {:.3} s | peak RSS {:>4.0} MiB (before the build {:>4.0}; index + matrix {:>4.0} MiB) | top-10 for {} users {:>5.1} ms | one filter update {:>5.1} µs | candidates {:>5.1} µs | env step {:>5.1} µs",
            size.name(),
            p["videos"],
            p["users"],
            p["interactions"],
            f(&p, "world_ms"),
            f(&p, "matrix_ms"),
            f(&p, "index_ms"),
            (f(&p, "matrix_ms") + f(&p, "index_ms")) / 1e3,
            f(&p, "peak_rss_mib"),
            f(&p, "rss_before_mib"),
            f(&p, "index_mib"),
            p["top10_users"],
            f(&p, "top10_ms"),
            f(&p, "update_us"),
            f(&p, "candidates_us"),
            f(&p, "step_us"),
        );
        probes.push(p);
    }
    let (small, large) = (&probes[0], &probes[2]);
    println!(
        "index build at large: {:.3} s CPU ({:.3} s wall), peak {:.0} MiB ({:.0} MB) | {}",
        (f(large, "matrix_ms") + f(large, "index_ms")) / 1e3,
        f(large, "build_wall_ms") / 1e3,
        f(large, "peak_rss_mib"),
        f(large, "peak_rss_mib") * 1.048_576,
        beside("index_build_large")
    );
    println!(
        "top-10 candidates for 1,000 users at large: {:.1} ms | {}",
        f(large, "top10_ms"),
        beside("top10_large")
    );
    let updates: Vec<String> = probes
        .iter()
        .zip(WorldSize::ALL)
        .map(|(p, s)| format!("{} {:.1} µs", s.name(), f(p, "update_us")))
        .collect();
    println!(
        "one incremental filter update: {} | {}",
        updates.join(", "),
        beside("update")
    );
    println!(
        "one environment step (filter update + candidates + response; no agent): large {:.1} µs / small {:.1} µs = {:.2}x | {}",
        f(large, "step_us"),
        f(small, "step_us"),
        f(large, "step_us") / f(small, "step_us"),
        beside("env_step_large_vs_small")
    );
    let q = child(&["bench-steps"])?;
    println!(
        "the same, both worlds in one process stepped in alternation ({} rounds of 500 steps): large {:.1} µs / small {:.1} µs = {:.2}x | {}",
        f(&q, "rounds"),
        f(&q, "large_us"),
        f(&q, "small_us"),
        f(&q, "large_us") / f(&q, "small_us"),
        beside("env_step_large_vs_small")
    );

    agreement()?;

    let long = if quick { 5000 } else { 20_000 };
    println!();
    println!("== Long runs: cost per step and memory as training goes on (one process each) ==");
    for (preset, episodes) in [("default", long), ("seed", 5000)] {
        let t0 = Instant::now();
        let p = child(&[
            "bench-long",
            "--preset",
            preset,
            "--episodes",
            &episodes.to_string(),
        ])?;
        let windows: Vec<f64> = p["us_per_step"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        let w = |e: usize| windows.get(e / 500).copied().unwrap_or(f64::NAN);
        println!(
            "{preset:<8} {episodes} episodes in {:.1} s | µs per step by 500 episodes: {}",
            t0.elapsed().as_secs_f64(),
            windows
                .iter()
                .map(|x| format!("{x:.0}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        println!(
            "{preset:<8} per step, episodes 4,500-5,000 against 0-500: {:.0} / {:.0} µs = {:.2}x{}",
            w(4500),
            w(0),
            w(4500) / w(0),
            if preset == "default" {
                format!(" | {}", beside("per_step_long_run"))
            } else {
                " (the exact filter, reported beside)".into()
            }
        );
        if preset == "default" {
            let q = child(&["bench-phases", "--preset", preset])?;
            println!(
                "{preset:<8} the same, the two phases run in alternation ({} rounds of {} episodes each): {:.0} / {:.0} µs = {:.2}x | {}",
                f(&q, "rounds"),
                f(&q, "episodes_per_round"),
                f(&q, "late_us"),
                f(&q, "early_us"),
                f(&q, "late_us") / f(&q, "early_us"),
                beside("per_step_long_run")
            );
        }
        let rss = |k: &str| f(&p, k);
        println!(
            "{preset:<8} resident memory after 500 episodes {:.0} MiB, after {episodes} {:.0} MiB = {:.2}x (peak {:.0} MiB){}",
            rss("rss_500_mib"),
            rss("rss_end_mib"),
            rss("rss_end_mib") / rss("rss_500_mib"),
            rss("peak_rss_mib"),
            if preset == "default" {
                format!(
                    " | {}{}",
                    beside("memory_long_run"),
                    if quick { " (--quick: 5,000 episodes, not 20,000)" } else { "" }
                )
            } else {
                " (unbounded replay, as the notebook)".into()
            }
        );
    }
    Ok(())
}

/// Top-10 candidates of the index against the exact filter on the notebook's world, fed the
/// same interactions: at the start, and after as many as 500 and 5,000 default episodes give.
fn agreement() -> Result<(), String> {
    let cfg = Config::default_preset();
    let mut exact_cfg = cfg.cf.clone();
    exact_cfg.top_k = None;
    exact_cfg.history_window = None;
    let mut rng = stream(cfg.seed, 0xa9);
    let mut world = World::generate(&cfg.world, &mut rng);
    let history = generate_history(&mut world, &cfg, &mut rng);
    let log: Vec<_> = history
        .iter()
        .map(|r| (r.video, r.user, r.action.score(&cfg.scores.history)))
        .collect();
    let (n_items, n_users) = (world.videos.len(), world.users.len());
    let mut index = CollaborativeFilter::build(&cfg.cf, n_items, n_users, &log);
    let mut exact = CollaborativeFilter::build(&exact_cfg, n_items, n_users, &log);
    let scores = [1.0, -2.0, 2.0, -0.5];
    let mut fed = 0;
    let mut lines = Vec::new();
    for checkpoint in [0, 3700, 37_000] {
        while fed < checkpoint {
            // A user is shown one of the exact filter's candidates and responds at random.
            let u = rng.gen_range(0..n_users);
            let c = generate(&mut exact, &world, u, &cfg.cf);
            let video = c[rng.gen_range(0..c.len())].video;
            let s = scores[rng.gen_range(0..scores.len())];
            exact.record(video, u, s);
            index.record(video, u, s);
            fed += 1;
        }
        let (mut overlap, mut same) = (0.0, 0);
        for u in 0..n_users {
            let ids = |f: &mut CollaborativeFilter| {
                let mut v: Vec<usize> = generate(f, &world, u, &cfg.cf)
                    .iter()
                    .map(|c| c.video)
                    .collect();
                v.sort_unstable();
                v
            };
            let (a, b) = (ids(&mut index), ids(&mut exact));
            let common = a.iter().filter(|x| b.contains(x)).count();
            overlap += common as f64 / b.len() as f64;
            same += usize::from(a == b);
        }
        lines.push(format!(
            "after {checkpoint} interactions: {:.1}% of the top 10 shared, identical lists for {}/{} users",
            100.0 * overlap / n_users as f64,
            same,
            n_users
        ));
    }
    println!(
        "agreement with the exact filter (notebook's world, both fed the same interactions): {}",
        lines.join("; ")
    );
    Ok(())
}

/// `instatok bench-scale --world SIZE`: build the `default` preset's world of that size in
/// stages, timing each, then time candidates, filter updates and environment steps; print one
/// JSON line.
pub fn probe(size: &str) -> Result<(), String> {
    let size = WorldSize::parse(size).map_err(|e| e.to_string())?;
    let cfg = Config::default_preset().with_world_size(size);
    let mut b = EnvBuilder::new(&cfg).map_err(|e| e.to_string())?;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let t0 = cpu();
    while b.progress().stage != BuildStage::Matrix {
        b.advance(usize::MAX / 2);
    }
    let world_ms = ms(cpu() - t0);
    let rss_before = memory_mib("VmRSS:").unwrap_or(f64::NAN);
    let (t1, w1) = (cpu(), Instant::now());
    b.advance(1);
    let matrix_ms = ms(cpu() - t1);
    let t2 = cpu();
    while !b.advance(usize::MAX / 2).is_done() {}
    let index_ms = ms(cpu() - t2);
    let build_wall_ms = ms(w1.elapsed());
    let peak = memory_mib("VmHWM:").unwrap_or(f64::NAN);
    let mut env = b.finish();
    let (index_bytes, interactions) = match env.cf() {
        CollaborativeFilter::TopK(f) => (f.heap_bytes(), f.n_recorded()),
        CollaborativeFilter::Exact(_) => (0, 0),
    };
    let n_users = env.world().users.len();
    let top10_users = n_users.min(1000);
    let t3 = cpu();
    for u in 0..top10_users {
        env.reset(u).map_err(|e| e.to_string())?;
    }
    let top10_ms = ms(cpu() - t3);
    let mut rng = stream(7, 7);
    let mut prof = CpuTimings::default();
    let (step_time, steps) = random_sessions(&mut env, 5000, &mut rng, &mut prof)?;
    println!(
        "{}",
        json!({
            "videos": env.world().videos.len(),
            "users": n_users,
            "interactions": interactions,
            "world_ms": world_ms,
            "rss_before_mib": rss_before,
            "matrix_ms": matrix_ms,
            "index_ms": index_ms,
            "build_wall_ms": build_wall_ms,
            "peak_rss_mib": peak,
            "index_mib": index_bytes as f64 / 1048576.0,
            "top10_users": top10_users,
            "top10_ms": top10_ms,
            "update_us": prof.mean_us(Phase::CfUpdate),
            "candidates_us": prof.mean_us(Phase::Candidates),
            "step_us": step_time.as_secs_f64() * 1e6 / steps as f64,
        })
    );
    Ok(())
}

/// `instatok bench-matrix --world SIZE --out FILE`: the matrix the `default` preset's index
/// is built from at that size (see `Command::BenchMatrix` for the layout).
pub fn write_matrix(size: &str, out: &std::path::Path) -> Result<(), String> {
    let size = WorldSize::parse(size).map_err(|e| e.to_string())?;
    let cfg = Config::default_preset().with_world_size(size);
    let mut b = EnvBuilder::new(&cfg).map_err(|e| e.to_string())?;
    while !b.advance(usize::MAX / 2).is_done() {}
    let env = b.finish();
    let CollaborativeFilter::TopK(f) = env.cf() else {
        return Err("the default preset has no top-K index".into());
    };
    let entries: Vec<(u32, u32, f64)> = f.matrix_entries().collect();
    let mut bytes = Vec::with_capacity(16 + entries.len() * 16);
    bytes.extend_from_slice(&(f.n_items() as u32).to_le_bytes());
    bytes.extend_from_slice(&(f.n_users() as u32).to_le_bytes());
    bytes.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for &(i, _, _) in &entries {
        bytes.extend_from_slice(&i.to_le_bytes());
    }
    for &(_, u, _) in &entries {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    for &(_, _, v) in &entries {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))?;
    println!(
        "{}",
        json!({ "items": f.n_items(), "users": f.n_users(), "entries": entries.len() })
    );
    Ok(())
}

/// `instatok bench-phases --preset P`: the per-step cost of episodes 4,500-5,000 against
/// 0-500, with the two phases run in alternation (a fresh trainer and one trained for 4,500
/// episodes, 50 episodes each per round), so that this machine's speed, which drifts by a
/// third within minutes, weighs on both alike. One JSON line.
pub fn phases(preset: &str) -> Result<(), String> {
    const ROUNDS: usize = 10;
    const EPISODES: usize = 50;
    let cfg = Config::preset(Preset::parse(preset).map_err(|e| e.to_string())?);
    let mut early = Trainer::new(&cfg).map_err(|e| e.to_string())?;
    let mut late = early.clone();
    late.train(4500, &mut NoProfiler, |_| {})
        .map_err(|e| e.to_string())?;
    // [time, steps] of the early and the late phase.
    let mut sums = [[0.0f64; 2]; 2];
    for _ in 0..ROUNDS {
        for (t, sum) in [&mut early, &mut late].into_iter().zip(&mut sums) {
            let (c0, s0) = (cpu(), t.steps());
            t.train(EPISODES, &mut NoProfiler, |_| {})
                .map_err(|e| e.to_string())?;
            sum[0] += (cpu() - c0).as_secs_f64();
            sum[1] += (t.steps() - s0) as f64;
        }
    }
    let us = |s: [f64; 2]| s[0] * 1e6 / s[1].max(1.0);
    println!(
        "{}",
        json!({
            "early_us": us(sums[0]),
            "late_us": us(sums[1]),
            "rounds": ROUNDS,
            "episodes_per_round": EPISODES,
        })
    );
    Ok(())
}

/// Random sessions (random users, random slots) until at least `steps` steps, timing each
/// step alone (CPU time); returns the time and the steps taken.
fn random_sessions(
    env: &mut Environment,
    steps: u64,
    rng: &mut impl Rng,
    prof: &mut CpuTimings,
) -> Result<(Duration, u64), String> {
    let (n_users, slots) = (env.world().users.len(), env.config().cf.n_candidates);
    let (mut taken, mut time) = (0u64, Duration::ZERO);
    while taken < steps {
        env.reset(rng.gen_range(0..n_users))
            .map_err(|e| e.to_string())?;
        loop {
            let slot = rng.gen_range(0..slots);
            let t = cpu();
            let out = env.step(slot, rng, prof).map_err(|e| e.to_string())?;
            time += cpu() - t;
            taken += 1;
            if out.done || out.truncated {
                break;
            }
        }
    }
    Ok((time, taken))
}

/// `instatok bench-steps`: one environment step at `large` against `small`, the two worlds
/// stepped in alternation in one process (500 steps each per round, 10 rounds: the
/// 5,000 steps of `bench-scale`), so that this machine's drifting speed weighs on both
/// alike. One JSON line.
pub fn steps_alternating() -> Result<(), String> {
    const ROUNDS: u64 = 10;
    let build = |size: WorldSize| {
        Environment::new(&Config::default_preset().with_world_size(size)).map_err(|e| e.to_string())
    };
    let mut envs = [build(WorldSize::Small)?, build(WorldSize::Large)?];
    let mut rngs = [stream(7, 7), stream(7, 7)];
    let mut sums = [(Duration::ZERO, 0u64); 2];
    let mut prof = CpuTimings::default();
    for _ in 0..ROUNDS {
        for ((env, rng), sum) in envs.iter_mut().zip(&mut rngs).zip(&mut sums) {
            let (t, n) = random_sessions(env, 500, rng, &mut prof)?;
            sum.0 += t;
            sum.1 += n;
        }
    }
    let us = |(t, n): (Duration, u64)| t.as_secs_f64() * 1e6 / n.max(1) as f64;
    println!(
        "{}",
        json!({ "small_us": us(sums[0]), "large_us": us(sums[1]), "rounds": ROUNDS })
    );
    Ok(())
}

/// `instatok bench-long --preset P --episodes N`: train, timing every 500 episodes and reading
/// resident memory after 500 episodes and at the end; print one JSON line.
pub fn long_run(preset: &str, episodes: usize) -> Result<(), String> {
    let cfg = Config::preset(Preset::parse(preset).map_err(|e| e.to_string())?);
    let mut trainer = Trainer::new(&cfg).map_err(|e| e.to_string())?;
    let mut windows = Vec::new();
    let (mut steps, mut rss_500) = (0usize, f64::NAN);
    let mut t = cpu();
    trainer
        .train(episodes, &mut NoProfiler, |e| {
            steps += e.steps;
            if (e.episode + 1) % 500 == 0 {
                windows.push((cpu() - t).as_secs_f64() * 1e6 / steps.max(1) as f64);
                if e.episode + 1 == 500 {
                    rss_500 = memory_mib("VmRSS:").unwrap_or(f64::NAN);
                }
                steps = 0;
                t = cpu();
            }
        })
        .map_err(|e| e.to_string())?;
    println!(
        "{}",
        json!({
            "us_per_step": windows,
            "rss_500_mib": rss_500,
            "rss_end_mib": memory_mib("VmRSS:"),
            "peak_rss_mib": memory_mib("VmHWM:"),
        })
    );
    Ok(())
}
