//! Timing of the agent's hot calls (native only: `std::time::Instant` panics on wasm32).

use std::fmt::Write as _;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{AgentConfig, DqnAgent, Observation, TargetUpdate, Transition};

/// Microseconds per `learn()` and per `act()` for one configuration.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Mean µs per `learn()` call (each one a full Adam step).
    pub learn_us: f64,
    /// Mean µs per `act()` call at epsilon 0 (a forward pass).
    pub act_us: f64,
}

/// Times `learn()` and `act()` (best chunk of ten) for `cfg` with `n_candidates` slots, on a replay of 2,000
/// random transitions (8 % terminal, like a ~12-step session).
pub fn time_agent(cfg: &AgentConfig, n_candidates: usize, learn_calls: u32) -> Timing {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut cfg = cfg.clone();
    cfg.epsilon_start = 0.0; // act() must run the network, not roll dice
    let mut agent = DqnAgent::new(&cfg, n_candidates, 7);
    for _ in 0..2_000 {
        agent.remember(Transition {
            obs: super::random_observation(&mut rng, n_candidates),
            action: rng.gen_range(0..n_candidates as u32) as usize,
            reward: rng.gen_range(-2.0..2.0),
            next_obs: super::random_observation(&mut rng, n_candidates),
            done: rng.gen_bool(0.08),
        });
    }
    for _ in 0..20 {
        agent.learn(); // warm-up: first-touch allocations, Adam moments
    }
    // Best of several chunks: other processes on a small machine only ever add time.
    let chunks = 10;
    let per_chunk = (learn_calls / chunks).max(1);
    let mut learn_us = f64::INFINITY;
    for _ in 0..chunks {
        let start = Instant::now();
        for _ in 0..per_chunk {
            agent.learn();
        }
        learn_us = learn_us.min(start.elapsed().as_secs_f64() * 1e6 / f64::from(per_chunk));
    }

    let probes: Vec<Observation> = (0..100)
        .map(|_| super::random_observation(&mut rng, n_candidates))
        .collect();
    let mut act_us = f64::INFINITY;
    let mut sink = 0;
    for _ in 0..chunks {
        let start = Instant::now();
        for obs in &probes {
            sink += agent.act(obs);
        }
        act_us = act_us.min(start.elapsed().as_secs_f64() * 1e6 / probes.len() as f64);
    }
    std::hint::black_box(sink);
    Timing { learn_us, act_us }
}

/// A human-readable report of µs per `learn()` (batch 50, the notebook's size) and per
/// `act()` for both architectures, for the benchmark command.
pub fn bench_report() -> String {
    let mut out = String::from("agent timings (batch 50, release build):\n");
    let cases = [
        (
            "seed preset   SlotHeads  10 slots, no target",
            AgentConfig::seed_preset(),
            10,
        ),
        (
            "seed preset   SlotHeads  20 slots, no target",
            AgentConfig::seed_preset(),
            20,
        ),
        (
            "SlotHeads  10 slots, hard target",
            AgentConfig {
                target: TargetUpdate::Hard { every: 100 },
                ..AgentConfig::seed_preset()
            },
            10,
        ),
        (
            "default preset PairScorer 10 slots, hard target",
            AgentConfig::default_preset(),
            10,
        ),
        (
            "default preset PairScorer 20 slots, hard target",
            AgentConfig::default_preset(),
            20,
        ),
        (
            "PairScorer 10 slots, no target",
            AgentConfig {
                target: TargetUpdate::None,
                ..AgentConfig::default_preset()
            },
            10,
        ),
    ];
    for (name, cfg, n) in cases {
        let t = time_agent(&cfg, n, 300);
        let _ = writeln!(
            out,
            "  {name:<50} learn {:>8.1} µs   act {:>6.1} µs",
            t.learn_us, t.act_us
        );
    }
    out
}

#[cfg(test)]
mod tests {
    /// `cargo test --release -- --ignored --nocapture bench` prints the timings.
    #[test]
    #[ignore]
    fn bench_report_prints() {
        println!("{}", super::bench_report());
    }
}

#[cfg(test)]
mod profile {
    #[test]
    #[ignore]
    fn profile_seed_preset() {
        let t = super::time_agent(&super::AgentConfig::seed_preset(), 10, 5000);
        println!("seed preset: {t:?}");
    }
}

#[cfg(test)]
mod profile_pair {
    #[test]
    #[ignore]
    fn profile_default_preset() {
        let t = super::time_agent(&super::AgentConfig::default_preset(), 10, 2000);
        println!("default preset: {t:?}");
    }
}
