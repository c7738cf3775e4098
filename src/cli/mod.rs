//! Argument parsing and the subcommands of the `instatok` binary.

mod bench;
mod overrides;
mod scale;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use instatok::agent::Agent;
use instatok::config::{Config, Preset, WorldSize};
use instatok::experiment::{report, report_progress, train_with_curve, ExperimentReport, Trainer};
use instatok::export::episodes_csv;
use instatok::profile::NoProfiler;

/// InstaTok Playground: a short-video recommender (simulator, collaborative filter, DQN).
#[derive(Debug, Parser)]
#[command(name = "instatok", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Options that build a configuration, shared by the subcommands.
#[derive(Debug, clap::Args)]
struct ConfigArgs {
    /// Start from this preset: `default` (flaws fixed) or `seed` (the notebook as it is).
    #[arg(long, default_value = "default", value_parser = ["default", "seed"])]
    preset: String,
    /// Start from a JSON configuration file instead (as printed by `instatok config`).
    #[arg(long, value_name = "FILE", conflicts_with = "preset")]
    config: Option<std::path::PathBuf>,
    /// Training episodes.
    #[arg(long, value_name = "N", value_parser = |s: &str| whole(s, 0, 1_000_000))]
    episodes: Option<u64>,
    /// Steps per episode at most.
    #[arg(long, value_name = "N", value_parser = |s: &str| whole(s, 1, 10_000))]
    steps: Option<u64>,
    /// Random seed of the world, the training and the evaluation.
    #[arg(long, value_name = "N", value_parser = |s: &str| whole(s, 0, u64::MAX))]
    seed: Option<u64>,
    /// Evaluation episodes per policy.
    #[arg(long, value_name = "N", value_parser = |s: &str| whole(s, 1, 100_000))]
    eval_episodes: Option<u64>,
    /// World size: `small` (the notebook's 3,000 videos x 200 users), `medium` (20,000 x
    /// 5,000, about 200,000 logged interactions) or `large` (100,000 x 20,000, about 1,000,000).
    #[arg(long, value_name = "SIZE", value_parser = ["small", "medium", "large"])]
    world: Option<String>,
    /// Set any configuration field by its dotted path, e.g. `--set agent.gamma=0.9`
    /// or `--set agent.replay_capacity=null`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    sets: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train the DQN, then evaluate it and every baseline on held-out user draws.
    #[command(allow_negative_numbers = true)]
    Train {
        #[command(flatten)]
        cfg: ConfigArgs,
        /// Print one JSON object (config, episodes, evaluation) instead of a table.
        #[arg(long)]
        json: bool,
        /// Save the trained agent with its configuration to FILE (a versioned JSON agent
        /// file, read by `instatok eval --load` and the page's import).
        #[arg(long, value_name = "FILE")]
        save: Option<std::path::PathBuf>,
        /// Write the per-episode metrics and the learning curve to FILE as CSV.
        #[arg(long, value_name = "FILE")]
        csv: Option<std::path::PathBuf>,
    },
    /// Evaluate a saved agent against every baseline on held-out sessions of its
    /// configuration's world (freshly generated: the interactions of its training are not
    /// in the file).
    Eval {
        /// The agent file (written by `instatok train --save` or the page's export).
        #[arg(long, value_name = "FILE")]
        load: std::path::PathBuf,
        /// Evaluation episodes per policy (default: the file's `experiment.eval_episodes`).
        #[arg(long, value_name = "N", value_parser = |s: &str| whole(s, 1, 100_000))]
        eval_episodes: Option<u64>,
        /// Print one JSON object (config, evaluation) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Print the configuration the options describe, as JSON.
    #[command(allow_negative_numbers = true)]
    Config {
        #[command(flatten)]
        cfg: ConfigArgs,
        /// Print every field's documented range instead (the table `--set`, config files and
        /// the page validate against), as JSON.
        #[arg(long, conflicts_with = "estimate")]
        schema: bool,
        /// Print the configuration's estimated memory instead, as JSON (bytes).
        #[arg(long)]
        estimate: bool,
    },
    /// Train for many steps and print memory (VmRSS) and steps per second at the start and
    /// the end (a long-run check for leaks and slow-downs).
    #[command(allow_negative_numbers = true)]
    Soak {
        #[command(flatten)]
        cfg: ConfigArgs,
        /// Environment steps to train.
        #[arg(long = "soak-steps", alias = "total-steps", value_name = "N", default_value = "1000000",
              value_parser = |s: &str| whole(s, 1, 1_000_000_000))]
        soak_steps: u64,
    },
    /// Print the benchmark figures: speed per phase, DQN updates per second, learning.
    Bench {
        /// Fewer runs: 3 of each speed experiment instead of 5, 2 learning seeds instead of 10.
        #[arg(long)]
        quick: bool,
        /// Also write the native `seed` experiment's timings to FILE as JSON (for the
        /// browser benchmark's ratio).
        #[arg(long, value_name = "FILE")]
        figures: Option<std::path::PathBuf>,
    },
    /// (bench) Build the default preset's world of one size, time it; one JSON line.
    #[command(hide = true)]
    BenchScale {
        /// small, medium or large.
        #[arg(long, value_parser = ["small", "medium", "large"])]
        world: String,
    },
    /// (bench) Write the matrix the `default` preset's top-K index is built from at one world
    /// size, for the same-run reference figures (`bench/reference.py`): little-endian u32
    /// items, u32 users, u64 entries, then the entries' items (u32), users (u32) and values
    /// (f64) as three arrays.
    #[command(hide = true)]
    BenchMatrix {
        /// small, medium or large.
        #[arg(long, value_parser = ["small", "medium", "large"])]
        world: String,
        /// File to write.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// (bench) Train a preset for many episodes, timing and measuring memory; one JSON line.
    #[command(hide = true)]
    BenchLong {
        /// seed or default.
        #[arg(long, value_parser = ["default", "seed"])]
        preset: String,
        /// Episodes.
        #[arg(long, value_parser = |s: &str| whole(s, 500, 1_000_000))]
        episodes: u64,
    },
    /// (bench) One environment step at `large` against `small`, stepped in alternation; one
    /// JSON line.
    #[command(hide = true)]
    BenchSteps,
    /// (bench) Per-step cost of episodes 4,500-5,000 against 0-500, the two phases timed in
    /// alternation; one JSON line.
    #[command(hide = true)]
    BenchPhases {
        /// seed or default.
        #[arg(long, value_parser = ["default", "seed"])]
        preset: String,
    },
}

/// A whole number in `[lo, hi]`, with a message that names the range.
fn whole(s: &str, lo: u64, hi: u64) -> Result<u64, String> {
    instatok::schema::parse_whole(s, lo, hi)
}

/// Parse, run, and return the exit code. Errors are one line on stderr.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == DisplayHelpOnMissingArgumentOrSubcommand {
                    2
                } else {
                    0
                };
            }
            let text = e.render().to_string();
            eprintln!(
                "{}",
                shorten_quoted(text.lines().next().unwrap_or("invalid arguments"))
            );
            return 2;
        }
    };
    let result = match cli.command {
        Command::Train {
            cfg,
            json,
            save,
            csv,
        } => build_config(&cfg).and_then(|c| train(&c, json, save.as_deref(), csv.as_deref())),
        Command::Eval {
            load,
            eval_episodes,
            json,
        } => eval(&load, eval_episodes, json),
        Command::Config { schema: true, .. } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&instatok::schema::schema()).expect("serialisable")
            );
            Ok(())
        }
        Command::Config {
            cfg,
            estimate: true,
            ..
        } => build_unchecked(&cfg).map(|c| {
            println!(
                "{}",
                serde_json::to_string_pretty(&instatok::budget::estimate(&c))
                    .expect("serialisable")
            )
        }),
        Command::Config { cfg, .. } => build_config(&cfg).map(|c| {
            println!(
                "{}",
                serde_json::to_string_pretty(&c).expect("serialisable")
            )
        }),
        Command::Soak { cfg, soak_steps } => build_config(&cfg).and_then(|c| soak(&c, soak_steps)),
        Command::Bench { quick, figures } => bench::run(quick, figures.as_deref()),
        Command::BenchScale { world } => scale::probe(&world),
        Command::BenchMatrix { world, out } => scale::write_matrix(&world, &out),
        Command::BenchLong { preset, episodes } => scale::long_run(&preset, episodes as usize),
        Command::BenchPhases { preset } => scale::phases(&preset),
        Command::BenchSteps => scale::steps_alternating(),
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("error: {msg}");
            1
        }
    }
}

/// Cuts every '…'-quoted value in a line of clap's to [`instatok::error::MAX_SHOWN`]
/// characters (clap echoes the whole value it refused).
fn shorten_quoted(line: &str) -> String {
    let parts: Vec<&str> = line.split('\'').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i % 2 == 1 {
                instatok::error::shown(p)
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("'")
}

/// The configuration: preset or file, then flags, then `--set` overrides (applied last, so
/// `--set` wins over a flag for the same field), then validation, then the memory budget.
fn build_config(a: &ConfigArgs) -> Result<Config, String> {
    let cfg = build_unchecked(a)?;
    instatok::budget::check(&cfg).map_err(|e| e.to_string())?;
    Ok(cfg)
}

/// [`build_config`] without the memory budget (to print the estimate itself).
fn build_unchecked(a: &ConfigArgs) -> Result<Config, String> {
    let mut cfg = match &a.config {
        Some(path) => {
            let shown = instatok::error::shown(&path.display().to_string());
            let len = std::fs::metadata(path)
                .map_err(|e| format!("--config {shown}: {e}"))?
                .len();
            if len > instatok::config::MAX_CONFIG_BYTES as u64 {
                return Err(format!(
                    "--config {shown}: the file has {len} bytes; a configuration is at most {}",
                    instatok::config::MAX_CONFIG_BYTES
                ));
            }
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--config {}: {e}", path.display()))?;
            Config::from_json(&text).map_err(|e| format!("--config {}: {e}", path.display()))?
        }
        None => Config::preset(Preset::parse(&a.preset).map_err(|e| e.to_string())?),
    };
    if let Some(w) = &a.world {
        cfg = cfg.with_world_size(WorldSize::parse(w).map_err(|e| e.to_string())?);
    }
    if let Some(n) = a.episodes {
        cfg.experiment.episodes = n as usize;
    }
    if let Some(n) = a.steps {
        cfg.env.n_steps = n as usize;
    }
    if let Some(s) = a.seed {
        cfg.seed = s;
    }
    if let Some(n) = a.eval_episodes {
        cfg.experiment.eval_episodes = n as usize;
    }
    let cfg = overrides::apply(cfg, &a.sets)?;
    cfg.validate().map_err(|e| e.to_string())?;
    Ok(cfg)
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn train(
    cfg: &Config,
    json: bool,
    save: Option<&std::path::Path>,
    csv: Option<&std::path::Path>,
) -> Result<(), String> {
    let bar = progress_bar(
        cfg.experiment.episodes as u64,
        "{spinner} training [{bar:30}] {pos}/{len} episodes  {msg}",
    );
    let mut recent = std::collections::VecDeque::new();
    let mut trainer = Trainer::new(cfg).map_err(|e| e.to_string())?;
    let curve = train_with_curve(&mut trainer, cfg, &mut NoProfiler, |e| {
        recent.push_back(e.return_);
        if recent.len() > 50 {
            recent.pop_front();
        }
        bar.inc(1);
        if e.episode % 10 == 0 {
            let avg = recent.iter().sum::<f64>() / recent.len() as f64;
            bar.set_message(format!(
                "avg return (last 50) {avg:6.2}  epsilon {:.3}",
                e.epsilon
            ));
        }
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    if let Some(d) = trainer.divergence() {
        eprintln!(
            "warning: {} (training stopped after {} of {} episodes)",
            d.message,
            trainer.episodes().len(),
            cfg.experiment.episodes
        );
    }
    if let Some(path) = save {
        std::fs::write(path, trainer.agent().to_file(cfg))
            .map_err(|e| format!("--save {}: {e}", path.display()))?;
    }
    if let Some(path) = csv {
        std::fs::write(path, episodes_csv(trainer.episodes()))
            .map_err(|e| format!("--csv {}: {e}", path.display()))?;
    }
    let eval = progress_bar(
        5 * cfg.experiment.eval_episodes as u64,
        "{spinner} evaluating [{bar:30}] {pos}/{len} held-out sessions (5 policies)  eta {eta}",
    );
    let mut report =
        report_progress(cfg, &trainer, &mut || eval.inc(1)).map_err(|e| e.to_string())?;
    report.curve = curve;
    eval.finish_and_clear();
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        print_table(&report);
    }
    Ok(())
}

/// `instatok eval --load FILE`: the saved agent and every baseline on the file's world.
fn eval(path: &std::path::Path, eval_episodes: Option<u64>, json: bool) -> Result<(), String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--load {}: {e}", path.display()))?;
    let (mut cfg, agent) =
        Agent::from_file(&text).map_err(|e| format!("--load {}: {e}", path.display()))?;
    if let Some(n) = eval_episodes {
        cfg.experiment.eval_episodes = n as usize;
    }
    cfg.validate().map_err(|e| e.to_string())?;
    let mut trainer = Trainer::new(&cfg).map_err(|e| e.to_string())?;
    let (updates, epsilon) = (agent.updates(), agent.epsilon());
    *trainer.agent_mut() = agent;
    let mut r = report(&cfg, &trainer).map_err(|e| e.to_string())?;
    if json {
        r.episodes.clear();
        println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    } else {
        println!(
            "loaded {}: a {:?} agent after {updates} updates (epsilon {epsilon:.3}), evaluated on a fresh world of its configuration",
            path.display(),
            cfg.agent.architecture
        );
        print_table(&r);
    }
    Ok(())
}

fn print_table(r: &ExperimentReport) {
    let c = &r.config;
    println!(
        "preset {:?}, seed {}, {} episodes x <= {} steps, {} videos, {} users; evaluation: {} held-out sessions per policy",
        c.preset, c.seed, c.experiment.episodes, c.env.n_steps, c.world.n_videos, c.world.n_users, c.experiment.eval_episodes
    );
    println!();
    println!(
        "{:<12} {:>16} {:>16} {:>14} {:>10} {:>13} {:>10}",
        "policy", "skill", "mean return", "session (s)", "watched", "creator gini", "coverage"
    );
    let agent_name = r.config.agent.kind.name();
    for p in instatok::policy::PolicyKind::ALL {
        let e = &r.evaluation[p.name()];
        let name = if p == instatok::policy::PolicyKind::Dqn {
            agent_name
        } else {
            p.name()
        };
        println!(
            "{:<12} {:>8.3} ± {:<5.3} {:>8.2} ± {:<5.2} {:>14.1} {:>10.2} {:>13.3} {:>9.1}%",
            name,
            e.skill,
            e.skill_ci95,
            e.mean_return,
            e.ci95,
            e.mean_session_seconds,
            e.mean_watched,
            e.marketplace.creator_gini,
            100.0 * e.marketplace.coverage
        );
    }
    println!();
    if let Some(d) = &r.divergence {
        println!(
            "Warning: {} The figures below are of the agent as it was when training stopped.",
            d.message
        );
    }
    println!("{agent_name} minus each baseline, paired over the same sessions (95% intervals):");
    for (name, d) in &r.paired {
        println!(
            "  - {:<12} skill {:>+7.3} ± {:<6.3} mean return {:>+6.2} ± {:.2}",
            name, d.skill, d.skill_ci95, d.mean_return, d.mean_return_ci95
        );
    }
    println!();
    println!(
        "{agent_name} skill {:.3} ± {:.3} (0 = random choice, 1 = oracle, from the exact expected rewards); return-based (agent - random) / (oracle - random) = {}",
        r.skill, r.skill_ci95, r.learning_score.map_or("none (the oracle does not beat random)".into(), |s| format!("{s:.3}"))
    );
    if r.skipped_updates > 0 {
        println!(
            "{} update(s) were skipped because their loss was not finite.",
            r.skipped_updates
        );
    }
}

/// A memory figure of this process in bytes from /proc/self/status (`VmRSS:` resident now,
/// `VmHWM:` peak resident), where available.
fn proc_status(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn rss_text() -> String {
    match (proc_status("VmRSS:"), proc_status("VmHWM:")) {
        (Some(now), Some(peak)) => format!(
            "{:.1} MB (peak VmHWM {:.1} MB)",
            now as f64 / 1e6,
            peak as f64 / 1e6
        ),
        _ => "unknown (no /proc/self/status)".into(),
    }
}

/// `instatok soak`: train `total` steps; print memory and speed over the first and the last
/// window of steps.
fn soak(cfg: &Config, total: u64) -> Result<(), String> {
    use std::time::Instant;
    let t0 = Instant::now();
    let mut trainer = Trainer::new(cfg).map_err(|e| e.to_string())?;
    println!(
        "soak: {total} steps, preset {:?}, {} videos, {} users; world built in {:.1} s",
        cfg.preset,
        cfg.world.n_videos,
        cfg.world.n_users,
        t0.elapsed().as_secs_f64()
    );
    println!("start: VmRSS {}", rss_text());
    let window = (total / 10).clamp(1, 100_000);
    let bar = progress_bar(
        total,
        "{spinner} soak [{bar:30}] {pos}/{len} steps  {per_sec}  eta {eta}",
    );
    let mut window_start = Instant::now();
    let mut first: Option<f64> = None;
    let mut last_rate = 0.0;
    for i in 1..=total {
        trainer.step(&mut NoProfiler).map_err(|e| e.to_string())?;
        if i % window == 0 || i == total {
            let n = if i % window == 0 { window } else { i % window };
            let rate = n as f64 / window_start.elapsed().as_secs_f64().max(1e-9);
            window_start = Instant::now();
            bar.set_position(i);
            if first.is_none() {
                first = Some(rate);
                // Not bar.println: a hidden bar (stdout not a terminal) would drop the line.
                bar.suspend(|| {
                    println!("first {n} steps: {rate:.0} steps/s, VmRSS {}", rss_text())
                });
            }
            last_rate = rate;
        }
    }
    bar.finish_and_clear();
    println!(
        "end: {total} steps, {} episodes, replay {} transitions; last {} steps {last_rate:.0} steps/s (first {:.0}); VmRSS {}; {:.1} s in all",
        trainer.episodes().len(),
        trainer.agent().replay_len(),
        window.min(total),
        first.unwrap_or(0.0),
        rss_text(),
        t0.elapsed().as_secs_f64()
    );
    if let Some(d) = trainer.divergence() {
        println!("warning: {}", d.message);
    }
    if trainer.agent().skipped_updates() > 0 {
        println!(
            "{} update(s) were skipped because their loss was not finite.",
            trainer.agent().skipped_updates()
        );
    }
    Ok(())
}
