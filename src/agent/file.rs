//! The agent file: a trained agent with its full configuration as one versioned JSON
//! document, written by `instatok train --save` and the page's export, read by
//! `instatok eval --load` and the page's import.
//!
//! ```text
//! { "format": "instatok-agent", "version": 2,
//!   "config": { ...the whole Config, as `instatok config` prints it... },
//!   "agent": { "kind": "dqn", "n_candidates": 10, "parameters": 7541,
//!              "epsilon": 0.01, "updates": 3708, "skipped_updates": 0,
//!              "online": [...], "target": [...] or null,
//!              "adam": { "step": 3708, "m": [...], "v": [...] } or null } }
//! ```
//!
//! `agent.kind` tags the agent's variant, so other kinds of agent can be added later as
//! further variants. The network parameters are the f32 weights widened to f64, written as
//! decimal numbers: reading them back as f64 and narrowing gives the same f32 bits, so a
//! loaded agent's Q-values equal the saved one's bit for bit. `target` is present exactly
//! when the configuration has a target network. `adam` (optional: `null` restarts the
//! optimiser's moments, which only matters for further training) holds the step count and
//! both moments, empty before the first update. Not saved: the replay buffer and the
//! agent's random stream (a loaded agent that keeps training draws from a fresh stream
//! seeded from `config.seed`).
//!
//! Reading checks everything before building anything: the format name and version, the
//! JSON itself (truncated or corrupt text), the configuration (validated like any other),
//! the parameter counts against the architecture and `cf.n_candidates`, and that every
//! number is finite. A failure is an [`Error`] naming what is wrong; nothing is built.

use serde::{Deserialize, Serialize};

use super::bandit::{BanditAgent, BANDIT_FEATURES};
use super::dqn::SavedParts;
use super::qnet::QNet;
use super::{Agent, AgentKind, DqnAgent, TargetUpdate, MAX_CANDIDATES};
use crate::config::Config;
use crate::error::{Error, Result};

/// The `format` field of an agent file.
pub const FORMAT: &str = "instatok-agent";
/// The version this build writes and reads. Version 1 files came from builds whose pair
/// scorer read the candidate's similarity and score unscaled (see `qnet::PAIR_SCORE_SCALE`):
/// their weights would act on inputs ten times smaller than they were trained on.
pub const VERSION: u32 = 2;

/// A whole agent file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentFile {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// The configuration the agent was trained with (its world, candidates and agent).
    pub config: Config,
    /// The agent.
    pub agent: SavedAgent,
}

/// The saved agent, tagged by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SavedAgent {
    /// A DQN agent.
    Dqn(SavedDqn),
    /// A linear bandit: its posterior's sufficient statistics.
    Bandit(SavedBandit),
}

/// A saved bandit: `a = prior_precision * I + X'X` and `b = X'y` determine the posterior
/// (its Cholesky factor and mean are recomputed on load).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedBandit {
    /// Candidate slots (equals `config.cf.n_candidates`).
    pub n_candidates: usize,
    /// Observations absorbed.
    pub observations: u64,
    /// `a`, row-major, `BANDIT_FEATURES` squared values.
    pub a: Vec<f64>,
    /// `b`, `BANDIT_FEATURES` values.
    pub b: Vec<f64>,
}

/// A saved DQN agent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedDqn {
    /// Candidate slots (equals `config.cf.n_candidates`).
    pub n_candidates: usize,
    /// Parameters per network (a check on `online` and `target`).
    pub parameters: usize,
    /// Exploration rate.
    pub epsilon: f64,
    /// Applied learning steps.
    pub updates: u64,
    /// Learning steps dropped for a non-finite loss.
    pub skipped_updates: u64,
    /// The online network's parameters.
    pub online: Vec<f64>,
    /// The target network's parameters, when the configuration has one.
    pub target: Option<Vec<f64>>,
    /// Adam's state; `None` restarts it.
    pub adam: Option<SavedAdam>,
}

/// Adam's saved state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedAdam {
    /// Steps taken.
    pub step: i32,
    /// First moments (empty before the first step).
    pub m: Vec<f64>,
    /// Second moments (empty before the first step).
    pub v: Vec<f64>,
}

fn widen(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&x| f64::from(x)).collect()
}

/// Narrows saved numbers to f32, refusing any that are not finite as f32.
fn narrow(field: &str, v: &[f64], len: usize) -> Result<Vec<f32>> {
    if v.len() != len {
        return Err(Error::field(
            field,
            format!(
                "has {} values, the network needs {len} (wrong architecture or cf.n_candidates?)",
                v.len()
            ),
        ));
    }
    v.iter()
        .enumerate()
        .map(|(i, &x)| {
            let y = x as f32;
            if y.is_finite() {
                Ok(y)
            } else {
                Err(Error::field(
                    format!("{field}[{i}]"),
                    format!("must be a finite 32-bit number (got {x})"),
                ))
            }
        })
        .collect()
}

/// The agent file of `agent` trained with `config`, whose `agent` section is replaced by the
/// agent's own hyperparameters (live changes included) and candidate count, as JSON text.
fn write_file(
    config: &Config,
    agent_cfg: &super::AgentConfig,
    n_candidates: usize,
    agent: SavedAgent,
) -> String {
    let mut config = config.clone();
    config.agent = agent_cfg.clone();
    config.cf.n_candidates = n_candidates;
    let file = AgentFile {
        format: FORMAT.into(),
        version: VERSION,
        config,
        agent,
    };
    match serde_json::to_string(&file) {
        Ok(text) => text,
        // Plain data with finite numbers only: serialising cannot fail.
        Err(e) => unreachable!("agent file serialisation: {e}"),
    }
}

impl DqnAgent {
    /// The agent file of this agent trained with `config` (whose `agent` section is replaced
    /// by the agent's own hyperparameters, live changes included), as JSON text.
    pub fn to_file(&self, config: &Config) -> String {
        let p = self.saved_parts();
        write_file(
            config,
            self.config(),
            self.n_candidates(),
            SavedAgent::Dqn(SavedDqn {
                n_candidates: self.n_candidates(),
                parameters: p.online.len(),
                epsilon: p.epsilon,
                updates: p.updates,
                skipped_updates: p.skipped_updates,
                online: widen(&p.online),
                target: p.target.as_deref().map(widen),
                adam: p.adam.map(|(step, m, v)| SavedAdam {
                    step,
                    m: widen(&m),
                    v: widen(&v),
                }),
            }),
        )
    }

    /// Reads an agent file that holds a DQN: its configuration and the agent, or an error
    /// naming what is wrong (see the module doc). Nothing outside is touched either way.
    pub fn from_file(text: &str) -> Result<(Config, DqnAgent)> {
        match Agent::from_file(text)? {
            (cfg, Agent::Dqn(a)) => Ok((cfg, a)),
            (_, Agent::Bandit(_)) => Err(Error::field(
                "agent file.agent.kind",
                "holds a bandit, not a DQN",
            )),
        }
    }
}

impl Agent {
    /// The agent file of this agent trained with `config` (see [`DqnAgent::to_file`]).
    pub fn to_file(&self, config: &Config) -> String {
        match self {
            Agent::Dqn(a) => a.to_file(config),
            Agent::Bandit(a) => {
                let (a_mat, b, observations) = a.statistics();
                write_file(
                    config,
                    a.config(),
                    a.n_candidates(),
                    SavedAgent::Bandit(SavedBandit {
                        n_candidates: a.n_candidates(),
                        observations,
                        a: a_mat.to_vec(),
                        b: b.to_vec(),
                    }),
                )
            }
        }
    }

    /// Reads an agent file of any kind: its configuration and the agent, or an error naming
    /// what is wrong (see the module doc). Nothing outside is touched either way.
    pub fn from_file(text: &str) -> Result<(Config, Agent)> {
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            Error::field(
                "agent file",
                format!("not valid JSON (truncated or corrupted?): {e}"),
            )
        })?;
        match doc.get("format").and_then(|f| f.as_str()) {
            Some(FORMAT) => {}
            other => {
                let got = other.map_or("no format field".to_string(), |f| format!("{f:?}"));
                return Err(Error::field(
                    "agent file.format",
                    format!("not an InstaTok agent file (must be {FORMAT:?}, got {got})"),
                ));
            }
        }
        match doc.get("version").and_then(|v| v.as_u64()) {
            Some(v) if v == u64::from(VERSION) => {}
            Some(1) => {
                return Err(Error::field(
                    "agent file.version",
                    format!(
                        "version 1 files come from an earlier build whose network read its \
                         inputs on another scale; train again and export (this build reads \
                         version {VERSION})"
                    ),
                ))
            }
            Some(v) => {
                return Err(Error::field(
                    "agent file.version",
                    format!("version {v} is not supported (this build reads version {VERSION})"),
                ))
            }
            None => {
                return Err(Error::field(
                    "agent file.version",
                    "missing or not a whole number",
                ))
            }
        }
        let file: AgentFile = serde_json::from_value(doc)
            .map_err(|e| Error::field("agent file", format!("malformed: {e}")))?;
        file.config
            .validate()
            .map_err(|e| Error::field("agent file.config", e.to_string()))?;
        let cfg = file.config;
        let saved = match file.agent {
            SavedAgent::Dqn(saved) => saved,
            SavedAgent::Bandit(saved) => return read_bandit(cfg, saved),
        };
        if cfg.agent.kind != AgentKind::Dqn {
            return Err(Error::field(
                "agent file.agent.kind",
                "is dqn but config.agent.kind is not",
            ));
        }
        let n = cfg.cf.n_candidates;
        if saved.n_candidates != n || !(1..=MAX_CANDIDATES).contains(&n) {
            return Err(Error::field(
                "agent file.agent.n_candidates",
                format!(
                    "must equal config.cf.n_candidates={n} (got {})",
                    saved.n_candidates
                ),
            ));
        }
        let len = QNet::param_count(cfg.agent.architecture, n);
        if saved.parameters != len {
            return Err(Error::field(
                "agent file.agent.parameters",
                format!(
                    "a {:?} network over {n} candidates has {len} parameters (got {})",
                    cfg.agent.architecture, saved.parameters
                ),
            ));
        }
        if !saved.epsilon.is_finite() || !(0.0..=1.0).contains(&saved.epsilon) {
            return Err(Error::field(
                "agent file.agent.epsilon",
                format!("must be in [0, 1] (got {})", saved.epsilon),
            ));
        }
        let online = narrow("agent file.agent.online", &saved.online, len)?;
        let has_target = !matches!(cfg.agent.target, TargetUpdate::None);
        let target = match (has_target, &saved.target) {
            (true, Some(t)) => Some(narrow("agent file.agent.target", t, len)?),
            (false, None) => None,
            (true, None) => {
                return Err(Error::field(
                    "agent file.agent.target",
                    "missing: the configuration has a target network",
                ))
            }
            (false, Some(_)) => {
                return Err(Error::field(
                    "agent file.agent.target",
                    "must be null: the configuration has no target network",
                ))
            }
        };
        let adam = match &saved.adam {
            None => None,
            Some(a) => {
                let moments = if a.m.is_empty() && a.v.is_empty() {
                    0
                } else {
                    len
                };
                if a.step < 0 {
                    return Err(Error::field(
                        "agent file.agent.adam.step",
                        format!("must be >= 0 (got {})", a.step),
                    ));
                }
                Some((
                    a.step,
                    narrow("agent file.agent.adam.m", &a.m, moments)?,
                    narrow("agent file.agent.adam.v", &a.v, moments)?,
                ))
            }
        };
        let seed = cfg.seed ^ 0x10AD_A6E7;
        let mut agent = DqnAgent::new(&cfg.agent, n, seed);
        agent.restore_parts(SavedParts {
            epsilon: saved.epsilon,
            updates: saved.updates,
            skipped_updates: saved.skipped_updates,
            online,
            target,
            adam,
        });
        Ok((cfg, Agent::Dqn(agent)))
    }
}

fn read_bandit(cfg: Config, saved: SavedBandit) -> Result<(Config, Agent)> {
    if cfg.agent.kind != AgentKind::Bandit {
        return Err(Error::field(
            "agent file.agent.kind",
            "is bandit but config.agent.kind is not",
        ));
    }
    let n = cfg.cf.n_candidates;
    if saved.n_candidates != n {
        return Err(Error::field(
            "agent file.agent.n_candidates",
            format!(
                "must equal config.cf.n_candidates={n} (got {})",
                saved.n_candidates
            ),
        ));
    }
    let d = BANDIT_FEATURES;
    for (field, v, len) in [("a", &saved.a, d * d), ("b", &saved.b, d)] {
        if v.len() != len {
            return Err(Error::field(
                format!("agent file.agent.{field}"),
                format!("must have {len} values (got {})", v.len()),
            ));
        }
        if let Some(i) = v.iter().position(|x| !x.is_finite()) {
            return Err(Error::field(
                format!("agent file.agent.{field}[{i}]"),
                "must be a finite number",
            ));
        }
    }
    let seed = cfg.seed ^ 0x10AD_A6E7;
    let agent = BanditAgent::restore(&cfg.agent, n, seed, saved.a, saved.b, saved.observations)
        .map_err(|m| Error::field("agent file.agent.a", m))?;
    Ok((cfg, Agent::Bandit(agent)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{random_observation, Architecture, Transition};
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn small(arch: Architecture) -> Config {
        let mut c = Config::default_preset();
        c.world.n_videos = 300;
        c.world.n_users = 30;
        c.agent.architecture = arch;
        c.agent.batch_size = 8;
        if arch == Architecture::SlotHeads {
            c.agent.target = TargetUpdate::None;
        }
        c
    }

    /// An agent that has trained a little, so that every saved part is non-trivial.
    fn trained(cfg: &Config) -> DqnAgent {
        let n = cfg.cf.n_candidates;
        let mut agent = DqnAgent::new(&cfg.agent, n, 7);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..40 {
            agent.remember(Transition {
                obs: random_observation(&mut rng, n),
                action: rng.gen_range(0..n as u32) as usize,
                reward: rng.gen_range(-2.0..2.0),
                next_obs: random_observation(&mut rng, n),
                done: rng.gen_bool(0.2),
            });
            agent.learn();
        }
        assert!(agent.updates() > 0);
        agent
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn the_file_round_trips_exactly() {
        for arch in [Architecture::SlotHeads, Architecture::PairScorer] {
            let cfg = small(arch);
            let agent = trained(&cfg);
            let text = agent.to_file(&cfg);
            let (cfg2, loaded) = DqnAgent::from_file(&text).unwrap();
            assert_eq!(cfg2, cfg);
            assert_eq!(loaded.saved_parts(), agent.saved_parts(), "{arch:?}");
            assert_eq!(loaded.epsilon(), agent.epsilon());
            assert_eq!(loaded.updates(), agent.updates());
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
            for n in [cfg.cf.n_candidates, 3] {
                for _ in 0..20 {
                    let obs = random_observation(&mut rng, n);
                    assert_eq!(bits(&loaded.q_values(&obs)), bits(&agent.q_values(&obs)));
                }
            }
            // Written again, the same text.
            assert_eq!(loaded.to_file(&cfg2), text);
        }
    }

    /// Saved Adam moments: a loaded agent takes the same next step as the original.
    #[test]
    fn training_continues_from_the_same_optimiser_state() {
        let cfg = small(Architecture::PairScorer);
        let mut a = trained(&cfg);
        let (_, mut b) = DqnAgent::from_file(&a.to_file(&cfg)).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = cfg.cf.n_candidates;
        let t = Transition {
            obs: random_observation(&mut rng, n),
            action: 1,
            reward: 1.0,
            next_obs: random_observation(&mut rng, n),
            done: true,
        };
        // One identical transition, batch of one: no dependence on the replay or the RNG.
        let mut one = cfg.agent.clone();
        one.batch_size = 1;
        one.replay_capacity = Some(1);
        a.set_config(&one).unwrap();
        b.set_config(&one).unwrap();
        a.remember(t.clone());
        b.remember(t);
        assert_eq!(a.learn(), b.learn());
        assert_eq!(a.saved_parts(), b.saved_parts());
    }

    fn expect_err(text: &str, needle: &str) {
        match DqnAgent::from_file(text) {
            Ok(_) => panic!("accepted a bad file; expected an error containing {needle:?}"),
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains(needle), "{msg:?} should contain {needle:?}");
            }
        }
    }

    #[test]
    fn bad_files_are_refused_with_a_message() {
        let cfg = small(Architecture::PairScorer);
        let agent = trained(&cfg);
        let text = agent.to_file(&cfg);
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        let edit = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut d = doc.clone();
            f(&mut d);
            serde_json::to_string(&d).unwrap()
        };
        // Truncated anywhere, and corrupted.
        for cut in [0, 1, text.len() / 3, text.len() / 2, text.len() - 1] {
            expect_err(&text[..cut], "not valid JSON");
        }
        expect_err(&text.replacen("[", "{", 1), "not valid JSON");
        expect_err("[1, 2, 3]", "format");
        expect_err(&edit(&|d| d["format"] = "something-else".into()), "format");
        expect_err(
            &edit(&|d| d["version"] = 3.into()),
            "version 3 is not supported",
        );
        expect_err(&edit(&|d| d["version"] = 1.into()), "earlier build");
        expect_err(&edit(&|d| d["version"] = "one".into()), "version");
        // Wrong shape: a parameter missing, a count that does not fit the architecture,
        // the architecture changed under the weights, another candidate count.
        expect_err(
            &edit(&|d| {
                d["agent"]["online"].as_array_mut().unwrap().pop();
            }),
            "agent.online",
        );
        expect_err(
            &edit(&|d| d["agent"]["parameters"] = 5.into()),
            "parameters",
        );
        expect_err(
            &edit(&|d| d["config"]["agent"]["architecture"] = "slot_heads".into()),
            "parameters",
        );
        expect_err(
            &edit(&|d| d["config"]["cf"]["n_candidates"] = 5.into()),
            "n_candidates",
        );
        // Non-finite weights: too large for f32, or not a number at all.
        expect_err(
            &edit(&|d| d["agent"]["online"][17] = 1e39.into()),
            "online[17]",
        );
        expect_err(
            &edit(&|d| d["agent"]["target"][3] = serde_json::Value::Null),
            "malformed",
        );
        expect_err(&text.replacen("[0.", "[NaN, 0.", 1), "not valid JSON");
        // Inconsistent target, bad epsilon, invalid config, unknown kind and fields.
        expect_err(
            &edit(&|d| d["agent"]["target"] = serde_json::Value::Null),
            "agent.target",
        );
        expect_err(&edit(&|d| d["agent"]["epsilon"] = 3.0.into()), "epsilon");
        expect_err(
            &edit(&|d| d["config"]["agent"]["gamma"] = 7.0.into()),
            "agent.gamma",
        );
        expect_err(
            &edit(&|d| d["agent"]["kind"] = "bandit".into()),
            "malformed",
        );
        expect_err(&edit(&|d| d["agent"]["bogus"] = 1.into()), "bogus");
        expect_err(
            &edit(&|d| {
                d["agent"]["adam"]["m"].as_array_mut().unwrap().pop();
            }),
            "adam.m",
        );
        // Adam is optional.
        let (_, a) =
            DqnAgent::from_file(&edit(&|d| d["agent"]["adam"] = serde_json::Value::Null)).unwrap();
        assert_eq!(a.saved_parts().online, agent.saved_parts().online);
    }
}
