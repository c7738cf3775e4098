//! Resource limits checked up front: an estimate of the memory a configuration needs (world,
//! historical log, collaborative filter, replay buffer, training record, evaluation) and a
//! refusal, before anything is allocated, when it exceeds the budget. The estimate is an upper
//! bound built from the sizes of the actual data structures; `instatok config --estimate`
//! prints it, and the page can compare it with its own (smaller) browser budget.

use std::mem::size_of;

use serde::Serialize;

use crate::agent::{CandidateFeatures, Observation, ReplayBuffer};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::experiment::EpisodeRecord;
use crate::sim::history::HistoryRow;
use crate::sim::world::{User, Video};

/// One gibibyte.
pub const GIB: u64 = 1 << 30;

/// The documented memory budgets, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budgets {
    /// The native CLI refuses configurations estimated above this: 2 GiB.
    pub native_bytes: u64,
    /// The budget suggested for a browser tab (wasm32 memory is at most 4 GiB, and a tab
    /// shares the machine): 1 GiB. The core uses it when compiled to wasm32.
    pub browser_bytes: u64,
}

impl Budgets {
    /// 2 GiB native, 1 GiB in the browser.
    pub const DOCUMENTED: Budgets = Budgets {
        native_bytes: 2 * GIB,
        browser_bytes: GIB,
    };

    /// The budget of the platform this was compiled for.
    pub fn here(self) -> u64 {
        if cfg!(target_arch = "wasm32") {
            self.browser_bytes
        } else {
            self.native_bytes
        }
    }
}

/// Estimated peak memory of a configuration, by part, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Videos and users.
    pub world_bytes: f64,
    /// Expected historical interactions (rows of the log).
    pub history_rows: f64,
    /// The log and its copies while the filter is built.
    pub history_bytes: f64,
    /// Expected co-occurring item pairs (the filter's dot products, both directions).
    pub item_pairs: f64,
    /// The collaborative filter at its peak (the Gram matrix and the dot-product rows built
    /// from it both alive).
    pub filter_bytes: f64,
    /// The replay buffer when full (an unbounded buffer: every training step).
    pub replay_bytes: f64,
    /// The per-episode training record.
    pub record_bytes: f64,
    /// One held-out session's copy of the environment, and the evaluation's series.
    pub evaluation_bytes: f64,
    /// Environment steps of the whole evaluation (5 policies), for the progress bar.
    pub evaluation_steps: f64,
    /// Sum of the parts.
    pub total_bytes: f64,
}

/// Peak bytes per co-occurring item pair while the filter is built (measured, see
/// [`estimate`]).
pub const PAIR_BYTES: f64 = 36.0;

/// Bytes of one replay transition with `k` candidates at most (two compact observations,
/// none shared with its neighbours).
fn transition_bytes(k: usize) -> f64 {
    ReplayBuffer::max_transition_bytes(k) as f64
}

/// The estimate of `cfg` (which need not be valid: any numbers give a finite figure).
pub fn estimate(cfg: &Config) -> Estimate {
    let w = &cfg.world;
    let (videos, users) = (w.n_videos as f64, w.n_users as f64);
    let mean = w.history_mean.max(w.history_min as f64).max(0.0);
    let sd = w.history_sd.max(0.0);
    let history_rows = users * (mean + sd);
    // Items per user are drawn with replacement; sum over users of E[h^2] = mean^2 + sd^2,
    // at most every pair of videos.
    let item_pairs = (users * (mean * mean + sd * sd)).min(videos * videos);
    let world_bytes = videos * size_of::<Video>() as f64 + users * (size_of::<User>() as f64);
    // HistoryRow log, (item, user, score) triplets, sprs' triplet and CSR copies.
    let history_bytes = history_rows * (size_of::<HistoryRow>() as f64 + 24.0 + 3.0 * 24.0);
    // Per user: item -> score map and raw rows; per item: norms, flags, row headers; per pair:
    // one (u32, f64) in the dot rows and one (usize, f64) in the Gram matrix, about 36 bytes
    // in all at the peak. Calibrated on the release build: 100,000 videos x 10,000 users x 50
    // interactions (26M pairs) peaks at VmHWM 1.06 GB; this estimate gives 1.07 GB.
    // The top-K filter (`cf.top_k`) never holds the pairs: it builds each video's list from
    // the item x user matrix one video at a time and keeps K (neighbour, similarity) entries
    // per video (16 bytes each with the heap's slack), plus a row of scratch per video.
    // Measured at `large` (100,000 x 20,000, 1M logged, K = 50): peak RSS 174 MiB in all;
    // this gives about 300 MB with the history.
    let filter_bytes = match cfg.cf.top_k {
        Some(top_k) => history_rows * (48.0 + 16.0) + videos * (80.0 + 16.0 * top_k as f64),
        None => history_rows * (48.0 + 16.0) + videos * 80.0 + item_pairs * PAIR_BYTES,
    };
    let k = cfg.cf.n_candidates;
    let steps = cfg.experiment.episodes as f64 * cfg.env.n_steps as f64;
    let replay_len = match cfg.agent.replay_capacity {
        Some(c) => (c as f64).min(steps),
        // An unbounded VecDeque doubles: up to twice the transitions.
        None => 2.0 * steps,
    };
    let obs = size_of::<Observation>() + k * size_of::<CandidateFeatures>();
    let replay_bytes = replay_len * transition_bytes(k) + 2.0 * obs as f64;
    let record_bytes = cfg.experiment.episodes as f64 * size_of::<EpisodeRecord>() as f64 * 2.0;
    let eval = cfg.experiment.eval_episodes as f64;
    let evaluation_bytes = users * 2.0 * 16.0 + videos * 8.0 + eval * 8.0 * 3.0 * 5.0;
    let evaluation_steps = 5.0 * eval * cfg.env.n_steps as f64;
    let total_bytes = world_bytes
        + history_bytes
        + filter_bytes
        + replay_bytes
        + record_bytes
        + evaluation_bytes
        // Network, optimiser and scratch: well under a megabyte; count one.
        + (1 << 20) as f64;
    Estimate {
        world_bytes,
        history_rows,
        history_bytes,
        item_pairs,
        filter_bytes,
        replay_bytes,
        record_bytes,
        evaluation_bytes,
        evaluation_steps,
        total_bytes,
    }
}

/// `bytes` as text in binary units: `512 MiB`, `3.1 GiB`.
pub fn human(bytes: f64) -> String {
    if bytes >= GIB as f64 {
        format!("{:.1} GiB", bytes / GIB as f64)
    } else if bytes >= (1u64 << 20) as f64 {
        format!("{:.0} MiB", bytes / (1u64 << 20) as f64)
    } else {
        format!("{:.0} KiB", bytes / 1024.0)
    }
}

/// Refuse `cfg` when its estimate exceeds `budget` bytes; the error names the largest part,
/// the fields that drive it, the estimate and the budget.
pub fn check_within(cfg: &Config, budget: u64) -> Result<Estimate> {
    let e = estimate(cfg);
    if e.total_bytes <= budget as f64 {
        return Ok(e);
    }
    let parts = [
        (
            e.filter_bytes + e.history_bytes,
            "world.n_users, world.history_mean and world.n_videos",
            "the historical log and the collaborative filter",
        ),
        (
            e.replay_bytes,
            "agent.replay_capacity (or experiment.episodes x env.n_steps when unbounded)",
            "the replay buffer",
        ),
        (
            e.world_bytes,
            "world.n_videos and world.n_users",
            "the world",
        ),
        (
            e.record_bytes + e.evaluation_bytes,
            "experiment.episodes and experiment.eval_episodes",
            "the training record and the evaluation",
        ),
    ];
    let (_, fields, what) = parts
        .iter()
        .copied()
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .expect("four parts");
    Err(Error::field(
        fields,
        format!(
            "estimated memory {} exceeds the budget of {} (largest part: {} at {}); make them smaller",
            human(e.total_bytes),
            human(budget as f64),
            what,
            human(parts.iter().map(|p| p.0).fold(0.0, f64::max)),
        ),
    ))
}

/// [`check_within`] the budget of this platform (2 GiB native, 1 GiB in wasm32).
pub fn check(cfg: &Config) -> Result<Estimate> {
    check_within(cfg, Budgets::DOCUMENTED.here())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_k_filter_is_estimated_without_the_pairs_so_large_fits_the_browser() {
        use crate::config::{Preset, WorldSize};
        let large = Config::preset(Preset::Default).with_world_size(WorldSize::Large);
        assert!(large.cf.top_k.is_some());
        let e = estimate(&large);
        assert!(
            e.total_bytes < 600.0 * 1048576.0,
            "large with the top-K index: {}",
            human(e.total_bytes)
        );
        check_within(&large, Budgets::DOCUMENTED.browser_bytes).unwrap();
        // The exact filter at that size holds every co-occurring pair: refused in a browser.
        let mut exact = large.clone();
        exact.cf.top_k = None;
        assert!(check_within(&exact, Budgets::DOCUMENTED.browser_bytes).is_err());
    }

    fn with(sets: &[&str]) -> Config {
        crate::schema::apply_sets(&Config::default_preset(), sets)
            .unwrap_or_else(|e| panic!("{sets:?}: {e}"))
    }

    #[test]
    fn presets_and_the_large_worlds_fit() {
        check(&Config::seed_preset()).unwrap();
        check(&Config::default_preset()).unwrap();
        // The largest world of the scale work: 100,000 videos x 20,000 users x ~1M rows.
        let big = with(&[
            "world.n_videos=100000",
            "world.n_users=20000",
            "world.history_mean=50",
        ]);
        let e = check(&big).unwrap();
        assert!(
            e.history_rows > 1e6 && e.total_bytes < 2.0 * GIB as f64,
            "{e:?}"
        );
        // With the top-K index (the default preset) every world size fits the browser's budget.
        for size in ["small", "medium", "large"] {
            let size = crate::config::WorldSize::parse(size).unwrap();
            let cfg = Config::default_preset().with_world_size(size);
            check_within(&cfg, Budgets::DOCUMENTED.browser_bytes).unwrap();
        }
    }

    #[test]
    fn oversized_worlds_are_refused_with_the_estimate() {
        // The exact filter (the notebook's, cf.top_k = null) stores every co-occurring pair.
        let exact = |sets: &[&str]| {
            let mut c = with(sets);
            c.cf.top_k = None;
            c.cf.history_window = None;
            c
        };
        for sets in [
            &["world.n_users=100000", "world.history_mean=10000"][..],
            // The exact filter holds every co-occurring pair; the top-K index needs far less,
            // but not at a thousand interactions per user.
            &[
                "world.n_videos=1000000",
                "world.n_users=100000",
                "cf.history_window=null",
                "cf.top_k=null",
            ][..],
            &[
                "world.n_videos=1000000",
                "world.n_users=100000",
                "world.history_mean=1000",
            ][..],
            &[
                "agent.replay_capacity=null",
                "experiment.episodes=1000000",
                "env.n_steps=10000",
            ][..],
        ] {
            let err = check(&exact(sets)).unwrap_err().to_string();
            assert!(
                err.contains("exceeds the budget of 2.0 GiB") && err.contains("estimated memory"),
                "{err}"
            );
        }
        let err = check(&with(&["world.n_users=100000", "world.history_mean=10000"])).unwrap_err();
        assert!(err.to_string().starts_with("world.n_users"), "{err}");
        let err = check(&exact(&[
            "world.n_users=100000",
            "world.history_mean=10000",
        ]))
        .unwrap_err();
        assert!(err.to_string().starts_with("world.n_users"), "{err}");
    }
}
