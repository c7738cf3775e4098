//! The deep-Q-learning agent. This module is the only place that knows how the network is
//! computed (ndarray matrix products, checked against dfdx in the tests; see `qnet`):
//! everything it exchanges with the rest of the crate is plain data.

mod adam;
pub mod config;
pub mod dqn;
pub mod file;
pub mod inspect;
mod qnet;
pub mod replay;

pub use config::{AgentConfig, Architecture, LossKind, TargetUpdate};
pub use dqn::DqnAgent;
pub use replay::ReplayBuffer;

/// Number of user genders (embedding vocabulary).
pub const NUM_GENDERS: usize = 2;
/// Number of regions (embedding vocabulary).
pub const NUM_REGIONS: usize = 3;
/// Number of video categories (embedding vocabulary).
pub const NUM_CATEGORIES: usize = 8;
/// Number of last-action values: watched, skipped, liked, session_end.
pub const NUM_LAST_ACTIONS: usize = 4;
/// Largest number of candidate slots any configuration may use.
pub const MAX_CANDIDATES: usize = 20;
/// Width of the two hidden layers (the notebook's): `AgentConfig::hidden` must equal this.
pub const HIDDEN: usize = 64;

/// What the agent sees about one candidate video. All fields are finite.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CandidateFeatures {
    /// Category id in `0..NUM_CATEGORIES`.
    pub category: usize,
    /// Collaborative-filter score (sum of similarity x interaction score), unscaled: about 4
    /// on average in the default world, up to about 20. (Scaled by 1/10 it measured no
    /// different: 0.66 against 0.70 learning score over 10 seeds, within the seeds' spread.)
    pub similarity: f32,
    /// View count, scaled by the env (views / 100).
    pub views: f32,
    /// 1.0 when the category is one of the user's two interests, else 0.0.
    pub interest: f32,
    /// Business-weighted final score `w1*sim + w2*0.1*views + w3*interest` (unscaled).
    pub score: f32,
}

/// One observation of the environment: the user's session state and the candidate list.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    /// Age, videos watched this session, session seconds: raw in the `seed` preset, scaled
    /// (age/30, videos/50, seconds/300) in the `default` preset. The env decides.
    pub numeric: [f32; 3],
    /// Gender id in `0..NUM_GENDERS`.
    pub gender: usize,
    /// Region id in `0..NUM_REGIONS`.
    pub region: usize,
    /// First interest category id.
    pub interest1: usize,
    /// Second interest category id.
    pub interest2: usize,
    /// Category id of the last video shown.
    pub last_category: usize,
    /// Last action id in `0..NUM_LAST_ACTIONS`.
    pub last_action: usize,
    /// The candidates, best business score first; `1..=MAX_CANDIDATES` of them.
    pub candidates: Vec<CandidateFeatures>,
}

/// One step of experience.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The observation the action was taken in.
    pub obs: Observation,
    /// The candidate slot chosen.
    pub action: usize,
    /// The reward received.
    pub reward: f32,
    /// The observation after the step (ignored for bootstrapping when `done`).
    pub next_obs: Observation,
    /// Whether the episode ended with this step.
    pub done: bool,
}

/// A random observation with `n` candidates, features in the env's scaled ranges: for tests.
#[cfg(test)]
pub(crate) fn random_observation<R: rand::Rng>(rng: &mut R, n: usize) -> Observation {
    Observation {
        numeric: [rng.gen(), rng.gen(), rng.gen()],
        gender: rng.gen_range(0..NUM_GENDERS as u32) as usize,
        region: rng.gen_range(0..NUM_REGIONS as u32) as usize,
        interest1: rng.gen_range(0..NUM_CATEGORIES as u32) as usize,
        interest2: rng.gen_range(0..NUM_CATEGORIES as u32) as usize,
        last_category: rng.gen_range(0..NUM_CATEGORIES as u32) as usize,
        last_action: rng.gen_range(0..NUM_LAST_ACTIONS as u32) as usize,
        candidates: (0..n)
            .map(|_| CandidateFeatures {
                category: rng.gen_range(0..NUM_CATEGORIES as u32) as usize,
                similarity: rng.gen(),
                views: rng.gen(),
                interest: f32::from(u8::from(rng.gen::<bool>())),
                score: rng.gen(),
            })
            .collect(),
    }
}
