//! Every parameter of an experiment, with the notebook's values as defaults, two presets, and
//! validation that names the field at fault. Validate once, up front; the rest of the crate
//! trusts a validated `Config`.

use serde::{Deserialize, Serialize};

use crate::agent::AgentConfig;
#[cfg(test)]
use crate::agent::TargetUpdate;
use crate::error::{Error, Result};
use crate::interests::InterestsConfig;
use crate::sim::world::{Category, Region};

/// Largest configuration document read (a config file or an imported one): 1 MB.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// Which preset a configuration started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// The notebook as it is, flaws included.
    Seed,
    /// The flaws fixed.
    Default,
}

impl Preset {
    /// Parse `seed` or `default`.
    pub fn parse(s: &str) -> Result<Preset> {
        match s {
            "seed" => Ok(Preset::Seed),
            "default" => Ok(Preset::Default),
            other => Err(Error::field(
                "preset",
                format!(
                    "must be one of seed, default (got \"{}\")",
                    crate::error::shown(other)
                ),
            )),
        }
    }
}

/// World size presets: `small` is the notebook's world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorldSize {
    /// 3,000 videos x 200 users, about 6,000 logged interactions (the notebook).
    Small,
    /// 20,000 videos x 5,000 users, about 200,000 logged interactions.
    Medium,
    /// 100,000 videos x 20,000 users, about 1,000,000 logged interactions.
    Large,
}

impl WorldSize {
    /// Every size, smallest first.
    pub const ALL: [WorldSize; 3] = [WorldSize::Small, WorldSize::Medium, WorldSize::Large];

    /// Parse `small`, `medium` or `large`.
    pub fn parse(s: &str) -> Result<WorldSize> {
        match s {
            "small" => Ok(WorldSize::Small),
            "medium" => Ok(WorldSize::Medium),
            "large" => Ok(WorldSize::Large),
            other => Err(Error::field(
                "world",
                format!("must be one of small, medium, large (got {other:?})"),
            )),
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            WorldSize::Small => "small",
            WorldSize::Medium => "medium",
            WorldSize::Large => "large",
        }
    }

    /// (videos, users, creators, mean logged interactions per user). Creators grow with the
    /// catalogue (150 videos each, as in the notebook's 3,000 / 20).
    fn shape(self) -> (usize, usize, usize, f64) {
        match self {
            WorldSize::Small => (3000, 200, 20, 30.0),
            WorldSize::Medium => (20_000, 5000, 133, 40.0),
            WorldSize::Large => (100_000, 20_000, 667, 50.0),
        }
    }

    /// Set the world's size fields (the rest, e.g. view counts and ages, are kept).
    pub fn apply(self, w: &mut WorldConfig) {
        let (videos, users, creators, history) = self.shape();
        w.n_videos = videos;
        w.n_users = users;
        w.n_creators = creators;
        w.history_mean = history;
        w.history_sd = 10.0;
        w.history_min = 5;
    }
}

/// Catalogue and user base (notebook cells 4-6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldConfig {
    /// Number of videos (3000).
    pub n_videos: usize,
    /// Number of creators (20).
    pub n_creators: usize,
    /// Number of users (200).
    pub n_users: usize,
    /// Length of every video in seconds (6).
    pub video_duration: f64,
    /// Mean of the initial view count (50).
    pub views_mean: f64,
    /// Standard deviation of the initial view count (10).
    pub views_sd: f64,
    /// Youngest user age (18).
    pub age_min: u32,
    /// Oldest user age (29; the notebook's `randint(18, 30)` excludes 30).
    pub age_max: u32,
    /// Mean number of historical interactions per user (30).
    pub history_mean: f64,
    /// Standard deviation of that number (10).
    pub history_sd: f64,
    /// Minimum number of historical interactions per user (5).
    pub history_min: usize,
}

/// One row of the region-interest table: users of `region` respond to `category` with their
/// continue probability shifted by `delta`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionAffinity {
    /// Region of the user.
    pub region: Region,
    /// Category of the video.
    pub category: Category,
    /// Shift of the continue probability, in [-1, 1].
    pub delta: f64,
}

/// The simulated users' response model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BehaviourConfig {
    /// Added to the continue probability for a video in one of the user's interests (0.3).
    pub interest_boost: f64,
    /// The region-interest table, applied in order (the post's table plus the notebook's
    /// negative affinities).
    pub region_affinity: Vec<RegionAffinity>,
    /// History only: a like raises the continue probability by this much (0.05).
    pub history_like_boost: f64,
    /// History only: a skip lowers it by this much (0.3).
    pub history_skip_drop: f64,
    /// Seconds spent on a skipped video or a session end: uniform in [min, max) (1, 5).
    pub skip_seconds_min: f64,
    /// Upper bound of that range.
    pub skip_seconds_max: f64,
    /// Mean seconds between two historical sessions (3600).
    pub session_gap_mean: f64,
    /// Standard deviation of that gap (400).
    pub session_gap_sd: f64,
}

/// Scores of the four interaction outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreTable {
    /// watched
    pub watched: f64,
    /// skipped
    pub skipped: f64,
    /// liked
    pub liked: f64,
    /// anything else: a session end
    pub other: f64,
}

impl ScoreTable {
    /// The post's table: watched 1, skipped -2, liked 2, other -0.5.
    pub const POST: ScoreTable = ScoreTable {
        watched: 1.0,
        skipped: -2.0,
        liked: 2.0,
        other: -0.5,
    };
    /// The notebook's historical scoring (cell 10): as the post, but skipped -1.
    pub const NOTEBOOK_HISTORY: ScoreTable = ScoreTable {
        skipped: -1.0,
        ..ScoreTable::POST
    };
}

/// Interaction scores: one table for the historical log, one for live interactions (which are
/// also the RL reward, as in the notebook's `get_reward`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scores {
    /// Scores of the historical log.
    pub history: ScoreTable,
    /// Scores and rewards of live interactions.
    pub live: ScoreTable,
}

/// Candidate generation and business weighting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CfConfig {
    /// Number of candidates `r` the agent chooses among (10).
    pub n_candidates: usize,
    /// Weight of the similarity score (0.5).
    pub w1: f64,
    /// Weight of `0.1 * views` (0.1).
    pub w2: f64,
    /// Weight of "is one of the user's interests" (0.3).
    pub w3: f64,
    /// Neighbours kept per video by the top-K index (`default`: 50), or `null` for the
    /// notebook's exact computation over every pair (`seed`), whose cost grows with every
    /// interaction.
    pub top_k: Option<usize>,
    /// With the top-K index: each user's most recent interactions that make up their column of
    /// the item x user matrix and the history candidate generation reads (`default`: 100; the
    /// older ones drop out, so per-step cost and memory stay flat). `null` keeps them all.
    /// Must be `null` for the exact filter, which keeps every interaction.
    pub history_window: Option<usize>,
    /// Candidate slots kept for discovery (0 in both presets; the page's reader feed uses 3).
    /// The filter fills the other `n_candidates - discovery_slots`; each discovery slot holds
    /// the most viewed unseen video of a category missing from the filter's picks (categories
    /// in turn, from one that moves on with the user's history). Without them a category the
    /// filter never proposes can never be shown, however much a reader would like it. Must be
    /// below `n_candidates`. Configs written before this field existed read as 0.
    #[serde(default)]
    pub discovery_slots: usize,
}

/// The environment's episode rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    /// Steps per episode at most (50).
    pub n_steps: usize,
    /// Feed the state scaled features (age/30, videos/50, seconds/300) instead of raw ones.
    pub scale_features: bool,
    /// Record an interaction in the filter before computing the next candidates. The notebook
    /// computes them first, so the video just shown can be recommended again at the next step.
    pub update_before_candidates: bool,
}

/// Training and evaluation lengths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Training episodes (500).
    pub episodes: usize,
    /// Evaluation episodes per policy (1,000; the notebook has no evaluation: this only
    /// sets how many held-out sessions score each policy after training).
    pub eval_episodes: usize,
    /// Learning curve: every this many training episodes (and before the first), evaluate
    /// the frozen agent and every baseline on the current world; 0 turns the curve off.
    #[serde(default)]
    pub eval_every: usize,
    /// Held-out sessions per policy at each curve point (the same users and random numbers
    /// at every point).
    #[serde(default = "default_curve_sessions")]
    pub curve_sessions: usize,
    /// Draw each training episode's user, and the random numbers of its steps, from streams
    /// keyed by (seed, episode, step) instead of the notebook's one sequence. Two agents
    /// trained with it on the same seed meet the same simulated users in the same order, with
    /// the same moods at equal step numbers (common random numbers): the page's compare mode
    /// turns it on for every agent it trains. Off in both presets (the `seed` preset draws
    /// like the notebook); configs written before this field read as off.
    #[serde(default)]
    pub common_draws: bool,
}

fn default_curve_sessions() -> usize {
    100
}

/// A whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The preset this configuration started from.
    pub preset: Preset,
    /// Seed of every random draw.
    pub seed: u64,
    /// World generator.
    pub world: WorldConfig,
    /// User response model.
    pub behaviour: BehaviourConfig,
    /// Interaction scores.
    pub scores: Scores,
    /// Collaborative filter.
    pub cf: CfConfig,
    /// Environment.
    pub env: EnvConfig,
    /// The agent (DQN or bandit).
    pub agent: AgentConfig,
    /// Interest predictions: true interests (the notebook) or predicted ones.
    #[serde(default)]
    pub interests: InterestsConfig,
    /// Experiment lengths.
    pub experiment: ExperimentConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self::default_preset()
    }
}

impl Config {
    /// The notebook as it is: raw features, candidate scores never reach the state, no target
    /// network, unbounded replay, history scored with skipped = -1, candidates computed before
    /// the last interaction is recorded.
    pub fn seed_preset() -> Self {
        Config {
            preset: Preset::Seed,
            seed: 1,
            world: WorldConfig {
                n_videos: 3000,
                n_creators: 20,
                n_users: 200,
                video_duration: 6.0,
                views_mean: 50.0,
                views_sd: 10.0,
                age_min: 18,
                age_max: 29,
                history_mean: 30.0,
                history_sd: 10.0,
                history_min: 5,
            },
            behaviour: BehaviourConfig {
                interest_boost: 0.3,
                region_affinity: default_region_affinity(),
                history_like_boost: 0.05,
                history_skip_drop: 0.3,
                skip_seconds_min: 1.0,
                skip_seconds_max: 5.0,
                session_gap_mean: 3600.0,
                session_gap_sd: 400.0,
            },
            scores: Scores {
                history: ScoreTable::NOTEBOOK_HISTORY,
                live: ScoreTable::POST,
            },
            cf: CfConfig {
                n_candidates: 10,
                w1: 0.5,
                w2: 0.1,
                w3: 0.3,
                top_k: None,
                history_window: None,
                discovery_slots: 0,
            },
            env: EnvConfig {
                n_steps: 50,
                scale_features: false,
                update_before_candidates: false,
            },
            agent: AgentConfig::seed_preset(),
            interests: InterestsConfig::default(),
            experiment: ExperimentConfig {
                episodes: 500,
                eval_episodes: 1000,
                eval_every: 0,
                curve_sessions: default_curve_sessions(),
                common_draws: false,
            },
        }
    }

    /// The flaws fixed: scaled features, candidates visible to a pair-scoring network, a target
    /// network, bounded replay, the post's score table throughout, and the filter updated
    /// before the next candidates are drawn.
    pub fn default_preset() -> Self {
        let mut c = Self::seed_preset();
        c.preset = Preset::Default;
        c.scores.history = ScoreTable::POST;
        c.env.scale_features = true;
        c.env.update_before_candidates = true;
        c.agent = AgentConfig::default_preset();
        c.experiment.eval_every = 50;
        c.cf.top_k = Some(50);
        c.cf.history_window = Some(100);
        c
    }

    /// This configuration with the world of a size preset (catalogue, users, creators and
    /// history length; everything else kept).
    pub fn with_world_size(mut self, size: WorldSize) -> Self {
        size.apply(&mut self.world);
        self
    }

    /// The size preset the world matches, if any.
    pub fn world_size(&self) -> Option<WorldSize> {
        WorldSize::ALL.into_iter().find(|s| {
            let mut w = self.world.clone();
            s.apply(&mut w);
            w == self.world
        })
    }

    /// A preset by name.
    pub fn preset(p: Preset) -> Self {
        match p {
            Preset::Seed => Self::seed_preset(),
            Preset::Default => Self::default_preset(),
        }
    }

    /// Parse and validate a JSON document (at most [`MAX_CONFIG_BYTES`]).
    pub fn from_json(text: &str) -> Result<Self> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(Error::field(
                "config",
                format!(
                    "a configuration is at most {MAX_CONFIG_BYTES} bytes (got {})",
                    text.len()
                ),
            ));
        }
        let c: Config = serde_json::from_str(text)
            .map_err(|e| Error::field("config", crate::error::shown(&e.to_string())))?;
        c.validate()?;
        Ok(c)
    }

    /// Check every field against its row of [`crate::schema::FIELDS`] (the one table of
    /// documented ranges, shared with `--set`, config files and the page); the error names the
    /// first field at fault and its range.
    pub fn validate(&self) -> Result<()> {
        let doc = serde_json::to_value(self).map_err(|e| Error::field("config", e.to_string()))?;
        crate::schema::validate_value(&doc, "")?;
        agent_rules(&self.agent)?;
        if self.cf.discovery_slots >= self.cf.n_candidates {
            return Err(Error::field(
                "cf.discovery_slots",
                format!(
                    "must be below cf.n_candidates ({}), so the filter keeps a slot (got {})",
                    self.cf.n_candidates, self.cf.discovery_slots
                ),
            ));
        }
        // The one rule across fields that the table's bounds cannot say.
        if self.cf.history_window.is_some() && self.cf.top_k.is_none() {
            return Err(Error::field(
                "cf.history_window",
                "must be null when cf.top_k is null (the exact filter keeps every interaction)",
            ));
        }
        Ok(())
    }

    /// The number of videos left for candidates is at least `n_candidates` for every user only
    /// if the catalogue is large enough; see `Environment`, which falls back gracefully.
    pub fn n_candidates(&self) -> usize {
        self.cf.n_candidates
    }
}

/// Check the agent's hyperparameters (the `agent.*` rows of [`crate::schema::FIELDS`]).
pub fn validate_agent(a: &AgentConfig) -> Result<()> {
    let doc = serde_json::json!({
        "agent": serde_json::to_value(a).map_err(|e| Error::field("agent", e.to_string()))?
    });
    crate::schema::validate_value(&doc, "agent.")?;
    agent_rules(a)
}

/// The one rule across agent fields that the table's bounds cannot say: a step of decay
/// shrinks each weight by the fraction learning_rate x weight_decay, so above 1 it would flip
/// their signs and grow them.
fn agent_rules(a: &AgentConfig) -> Result<()> {
    if f64::from(a.learning_rate) * f64::from(a.weight_decay) > 1.0 {
        return Err(Error::field(
            "agent.weight_decay",
            format!(
                "learning_rate x weight_decay must be at most 1 (got {} x {})",
                a.learning_rate, a.weight_decay
            ),
        ));
    }
    Ok(())
}

/// The notebook's region-interest table: the post's positive affinities (+0.1) and the
/// notebook's negative ones (-0.2).
pub fn default_region_affinity() -> Vec<RegionAffinity> {
    use Category::*;
    use Region::*;
    [
        (West, Tech, 0.1),
        (Mid, Animals, 0.1),
        (East, Food, 0.1),
        (West, Educational, -0.2),
        (Mid, News, -0.2),
        (East, Tech, -0.2),
    ]
    .into_iter()
    .map(|(region, category, delta)| RegionAffinity {
        region,
        category,
        delta,
    })
    .collect()
}

/// A finite float in `[lo, hi]`.
pub fn range(field: &str, v: f64, lo: f64, hi: f64) -> Result<()> {
    if !v.is_finite() || v < lo || v > hi {
        return Err(Error::field(
            field,
            format!("must be in [{lo}, {hi}] (got {v})"),
        ));
    }
    Ok(())
}

/// A count in `[lo, hi]`.
pub fn count(field: &str, v: usize, lo: usize, hi: usize) -> Result<()> {
    if v < lo || v > hi {
        return Err(Error::field(
            field,
            format!("must be in [{lo}, {hi}] (got {v})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        Config::seed_preset().validate().unwrap();
        Config::default_preset().validate().unwrap();
    }

    #[test]
    fn invalid_values_name_their_field() {
        type Mutation = Box<dyn Fn(&mut Config)>;
        let cases: Vec<(&str, Mutation)> = vec![
            ("world.n_users", Box::new(|c| c.world.n_users = 0)),
            ("world.views_sd", Box::new(|c| c.world.views_sd = -1.0)),
            ("agent.gamma", Box::new(|c| c.agent.gamma = f32::NAN)),
            ("agent.gamma", Box::new(|c| c.agent.gamma = 1.5)),
            (
                "agent.weight_decay",
                Box::new(|c| c.agent.weight_decay = -1.0),
            ),
            (
                "agent.weight_decay",
                Box::new(|c| c.agent.weight_decay = f32::NAN),
            ),
            (
                "agent.weight_decay",
                Box::new(|c| {
                    c.agent.learning_rate = 0.1;
                    c.agent.weight_decay = 10.5;
                }),
            ),
            ("cf.n_candidates", Box::new(|c| c.cf.n_candidates = 0)),
            (
                "cf.n_candidates",
                Box::new(|c| {
                    c.world.n_videos = 5;
                    c.cf.n_candidates = 10;
                }),
            ),
            ("cf.w1", Box::new(|c| c.cf.w1 = f64::INFINITY)),
            ("cf.top_k", Box::new(|c| c.cf.top_k = Some(0))),
            (
                "cf.discovery_slots",
                Box::new(|c| c.cf.discovery_slots = 10),
            ),
            ("cf.top_k", Box::new(|c| c.cf.top_k = Some(1001))),
            (
                "cf.history_window",
                Box::new(|c| c.cf.history_window = Some(0)),
            ),
            (
                "cf.history_window",
                Box::new(|c| {
                    c.cf.top_k = None;
                    c.cf.history_window = Some(10);
                }),
            ),
            (
                "behaviour.region_affinity[0].delta",
                Box::new(|c| c.behaviour.region_affinity[0].delta = 2.0),
            ),
            (
                "agent.replay_capacity",
                Box::new(|c| c.agent.replay_capacity = Some(10)),
            ),
            (
                "agent.epsilon_decay",
                Box::new(|c| c.agent.epsilon_decay = 1.2),
            ),
            (
                "interests.prior_strength",
                Box::new(|c| c.interests.prior_strength = -1.0),
            ),
            (
                "experiment.eval_every",
                Box::new(|c| c.experiment.eval_every = 2_000_000),
            ),
            (
                "experiment.curve_sessions",
                Box::new(|c| c.experiment.curve_sessions = 0),
            ),
            (
                "agent.bandit.prior_precision",
                Box::new(|c| c.agent.bandit.prior_precision = 0.0),
            ),
            (
                "agent.bandit.noise_sd",
                Box::new(|c| c.agent.bandit.noise_sd = f64::NAN),
            ),
            (
                "agent.bandit.ucb_alpha",
                Box::new(|c| c.agent.bandit.ucb_alpha = -1.0),
            ),
            (
                "agent.target.every",
                Box::new(|c| c.agent.target = TargetUpdate::Hard { every: 0 }),
            ),
        ];
        for (field, mutate) in cases {
            let mut c = Config::default_preset();
            mutate(&mut c);
            match c.validate() {
                Err(Error::InvalidField { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{field}: expected an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn world_sizes_have_the_promised_shape() {
        assert_eq!(
            Config::seed_preset().world_size(),
            Some(WorldSize::Small),
            "the notebook's world is small"
        );
        assert_eq!(
            Config::default_preset().world_size(),
            Some(WorldSize::Small)
        );
        for (size, videos, users, interactions) in [
            (WorldSize::Small, 3000, 200, 6000.0),
            (WorldSize::Medium, 20_000, 5000, 200_000.0),
            (WorldSize::Large, 100_000, 20_000, 1_000_000.0),
        ] {
            assert_eq!(WorldSize::parse(size.name()).unwrap(), size);
            for preset in [Preset::Seed, Preset::Default] {
                let c = Config::preset(preset).with_world_size(size);
                c.validate().unwrap();
                assert_eq!(c.world_size(), Some(size));
                assert_eq!((c.world.n_videos, c.world.n_users), (videos, users));
                let expected = c.world.n_users as f64 * c.world.history_mean;
                assert_eq!(expected, interactions);
                // Everything but the world is the preset's.
                let mut back = c.clone();
                back.world = Config::preset(preset).world;
                assert_eq!(back, Config::preset(preset));
            }
        }
        assert!(WorldSize::parse("huge").is_err());
    }

    #[test]
    fn json_round_trip_and_unknown_fields() {
        let c = Config::seed_preset();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(Config::from_json(&text).unwrap(), c);
        let bad = text.replacen("\"seed\":1", "\"seed\":1,\"bogus\":3", 1);
        let err = Config::from_json(&bad).unwrap_err().to_string();
        assert!(err.contains("bogus"), "{err}");
    }
}
