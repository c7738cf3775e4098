//! The deep-Q-learning agent. This module is the only place that knows how the network is
//! computed (ndarray matrix products, checked against dfdx in the tests; see `qnet`):
//! everything it exchanges with the rest of the crate is plain data.

mod adam;
pub mod bandit;
pub mod config;
pub mod dqn;
pub mod file;
mod gemm;
pub mod inspect;
mod qnet;
pub mod replay;

pub use bandit::{BanditAgent, Estimate};
pub use config::{
    AgentConfig, AgentKind, Architecture, BanditConfig, BanditExploration, EpsilonDecayPer,
    LossKind, TargetUpdate,
};
pub use dqn::DqnAgent;
/// The WebAssembly matrix kernel's self-check (for the tests, native and in the browser).
#[doc(hidden)]
pub use gemm::kernel_max_error;
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

impl Observation {
    /// The state's six categorical ids in the network's input order: gender, region,
    /// interest 1, interest 2, last category, last action.
    pub fn state_ids(&self) -> [usize; 6] {
        [
            self.gender,
            self.region,
            self.interest1,
            self.interest2,
            self.last_category,
            self.last_action,
        ]
    }
}

/// The learner a trainer holds: the DQN or the linear bandit, behind one interface so the same
/// trainer, evaluation and report serve both (`agent.kind`).
/// (A trainer holds one: the size difference of the variants does not matter.)
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum Agent {
    /// Deep Q-learning.
    Dqn(DqnAgent),
    /// Linear contextual bandit.
    Bandit(BanditAgent),
}

impl Agent {
    /// A fresh learner of `cfg.kind`.
    pub fn new(cfg: &AgentConfig, n_candidates: usize, seed: u64) -> Self {
        match cfg.kind {
            AgentKind::Dqn => Agent::Dqn(DqnAgent::new(cfg, n_candidates, seed)),
            AgentKind::Bandit => Agent::Bandit(BanditAgent::new(cfg, n_candidates, seed)),
        }
    }

    /// Which learner this is.
    pub fn kind(&self) -> AgentKind {
        match self {
            Agent::Dqn(_) => AgentKind::Dqn,
            Agent::Bandit(_) => AgentKind::Bandit,
        }
    }

    /// The DQN, if this is one.
    pub fn as_dqn(&self) -> Option<&DqnAgent> {
        match self {
            Agent::Dqn(a) => Some(a),
            Agent::Bandit(_) => None,
        }
    }

    /// The DQN, mutably, if this is one.
    pub fn as_dqn_mut(&mut self) -> Option<&mut DqnAgent> {
        match self {
            Agent::Dqn(a) => Some(a),
            Agent::Bandit(_) => None,
        }
    }

    /// The bandit, if this is one.
    pub fn as_bandit(&self) -> Option<&BanditAgent> {
        match self {
            Agent::Bandit(a) => Some(a),
            Agent::Dqn(_) => None,
        }
    }

    /// The exploring choice for training: the slot and whether it explored (the DQN: the
    /// epsilon-random pick; Thompson sampling: the sampled argmax differs from the
    /// posterior-mean argmax).
    pub fn act(&mut self, obs: &Observation) -> (usize, bool) {
        match self {
            Agent::Dqn(a) => a.act_explore(obs),
            Agent::Bandit(a) => a.act(obs),
        }
    }

    /// The frozen greedy choice (no randomness consumed).
    pub fn act_greedy(&self, obs: &Observation) -> usize {
        match self {
            Agent::Dqn(a) => a.act_greedy(obs),
            Agent::Bandit(a) => a.act_greedy(obs),
        }
    }

    /// One value per usable slot: the DQN's Q-values, the bandit's posterior means.
    pub fn q_values(&self, obs: &Observation) -> Vec<f32> {
        match self {
            Agent::Dqn(a) => a.q_values(obs),
            Agent::Bandit(a) => a.q_values(obs),
        }
    }

    /// The bandit's posterior mean and standard deviation of each usable candidate's expected
    /// reward; `None` for the DQN.
    pub fn estimates(&self, obs: &Observation) -> Option<Vec<Estimate>> {
        self.as_bandit().map(|b| b.estimates(obs))
    }

    /// Store a transition (the DQN's replay buffer; the bandit's posterior).
    pub fn remember(&mut self, t: Transition) {
        match self {
            Agent::Dqn(a) => a.remember(t),
            Agent::Bandit(a) => a.remember(t),
        }
    }

    /// One learning step: the DQN's replay update (its TD loss); the bandit's squared
    /// prediction error of the last observation (its posterior is updated on `remember`).
    pub fn learn(&mut self) -> Option<f32> {
        match self {
            Agent::Dqn(a) => a.learn(),
            Agent::Bandit(a) => a.learn(),
        }
    }

    /// A training episode ended (epsilon decay per episode).
    pub fn end_episode(&mut self) {
        if let Agent::Dqn(a) = self {
            a.end_episode();
        }
    }

    /// The DQN's epsilon; 0 for the bandit (it explores by sampling).
    pub fn epsilon(&self) -> f32 {
        match self {
            Agent::Dqn(a) => a.epsilon(),
            Agent::Bandit(_) => 0.0,
        }
    }

    /// Applied updates (the DQN) or observations absorbed (the bandit).
    pub fn updates(&self) -> u64 {
        match self {
            Agent::Dqn(a) => a.updates(),
            Agent::Bandit(a) => a.observations(),
        }
    }

    /// Updates dropped because their loss was not finite (the DQN; 0 for the bandit, which
    /// ignores a non-finite reward).
    pub fn skipped_updates(&self) -> u64 {
        match self {
            Agent::Dqn(a) => a.skipped_updates(),
            Agent::Bandit(_) => 0,
        }
    }

    /// Stored transitions (the DQN); observations absorbed (the bandit).
    pub fn replay_len(&self) -> usize {
        match self {
            Agent::Dqn(a) => a.replay_len(),
            Agent::Bandit(a) => a.observations() as usize,
        }
    }

    /// The hyperparameters in force.
    pub fn config(&self) -> &AgentConfig {
        match self {
            Agent::Dqn(a) => a.config(),
            Agent::Bandit(a) => a.config(),
        }
    }

    /// Change hyperparameters live; `Err` naming the field when the change needs a new agent
    /// (including `kind`).
    pub fn set_config(&mut self, cfg: &AgentConfig) -> Result<(), String> {
        if cfg.kind != self.kind() {
            return Err("kind: changing it needs a new agent".into());
        }
        match self {
            Agent::Dqn(a) => a.set_config(cfg),
            Agent::Bandit(a) => a.set_config(cfg),
        }
    }
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
