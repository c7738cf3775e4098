//! The browser boundary: the only module that touches wasm-bindgen and js-sys. JavaScript owns
//! one `Playground` handle and calls small methods on it; structured values cross through
//! serde-wasm-bindgen, plot series as `Float32Array`s, and every fallible call throws a JS
//! `Error` whose message names the field at fault.

use std::cell::OnceCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::agent::inspect::StateInspection;
use crate::agent::Agent;
use crate::agent::{Observation, TargetUpdate};
use crate::cf::explain::{heatmap, neighbours, Heatmap, Neighbour, SimilarHistory};
use crate::cf::Candidate;
use crate::config::CfConfig;
use crate::config::{validate_agent, Config, Preset};
use crate::env::Environment;
use crate::experiment::{eval_seed, evaluate, EvalResult, TrainStep, Trainer};
use crate::explain::{raw_features, similar_for_slot, why, why_candidate, Why};
use crate::export::episodes_csv;
use crate::policy::PolicyKind;
use crate::sim::behaviour::Action;
use crate::sim::world::{Category, Gender, Region};
use crate::stats::{Exposure, ExposureSample, ExposureTracker, Marketplace};

/// Replay updates run after each of the reader's responses, so the agent visibly adapts.
const READER_UPDATES: usize = 8;
/// Evaluation sessions per baseline for the reference lines.
const BASELINE_EPISODES: usize = 100;
/// Episodes averaged for the recent loss in `stats()`.
const RECENT: usize = 20;
/// Finished episodes between two creator-exposure samples in `exposure().history`.
const EXPOSURE_EVERY: usize = 10;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// The configuration of a preset (`"seed"` or `"default"`) as a plain object.
#[wasm_bindgen(js_name = defaultConfig)]
pub fn default_config(preset: &str) -> Result<JsValue, JsError> {
    to_js(&Config::preset(Preset::parse(preset).map_err(js_err)?))
}

/// Every configuration field's documented range, and the memory budgets:
/// `{ fields: [{ path, kind, min, max, min_field, max_field, nullable, values, doc }],
/// budget: { native_bytes, browser_bytes } }` (see `instatok::schema`).
#[wasm_bindgen(js_name = configSchema)]
pub fn config_schema() -> Result<JsValue, JsError> {
    to_js(&crate::schema::schema())
}

/// The matrix kernel's self-check in the module that runs it: the largest difference from a
/// plain product over odd shapes and every layout (`agent::kernel_max_error`). For the e2e
/// tests, which call it in each of the two modules `cargo xtask dist` builds.
#[doc(hidden)]
#[wasm_bindgen(js_name = kernelMaxError)]
pub fn kernel_max_error() -> f64 {
    crate::agent::kernel_max_error()
}

/// Parse and validate a configuration object; returns it normalised or throws naming the field.
#[wasm_bindgen(js_name = validateConfig)]
pub fn validate_config(cfg: JsValue) -> Result<JsValue, JsError> {
    to_js(&parse_config(cfg)?)
}

fn parse_config(cfg: JsValue) -> Result<Config, JsError> {
    let c: Config =
        serde_wasm_bindgen::from_value(cfg).map_err(|e| JsError::new(&format!("config: {e}")))?;
    c.validate().map_err(js_err)?;
    Ok(c)
}

/// A video as the feed shows it.
#[derive(Serialize)]
struct VideoView {
    id: usize,
    category: &'static str,
    creator: usize,
    views: i64,
    duration: f64,
}

/// A candidate as the side panel shows it.
#[derive(Serialize)]
struct CandidateView {
    video_id: usize,
    category: &'static str,
    similarity: f64,
    views: i64,
    interest: bool,
    score: f64,
    q: f32,
}

#[derive(Serialize)]
struct UserView {
    id: usize,
    age: u32,
    gender: &'static str,
    region: &'static str,
    interests: [&'static str; 2],
}

#[derive(Serialize)]
struct FeedEvent {
    episode: usize,
    step: usize,
    user: UserView,
    video: VideoView,
    slot: usize,
    action: &'static str,
    reward: f64,
    done: bool,
    session_seconds: f64,
    /// The session's return so far, this step's reward included.
    session_return: f64,
    epsilon: f32,
    /// Whether the agent picked `slot` by exploring (`TrainStep::explored`).
    explored: bool,
    candidates: Vec<CandidateView>,
}

#[derive(Serialize)]
struct TrainReport {
    steps: u32,
    episodes_finished: u32,
    episode: usize,
    last: Option<FeedEvent>,
    /// Whether training is paused by a detected divergence (see `stats().divergence`).
    diverged: bool,
}

#[derive(Serialize)]
struct Card {
    video: VideoView,
    slot: usize,
    candidates: Vec<CandidateView>,
    epsilon: f32,
    /// Whether the agent picked `slot` by exploring (the agent's own flag).
    explored: bool,
}

/// `readerInterests()`: one category.
#[derive(Serialize)]
struct InterestView {
    category: &'static str,
    /// Predicted probability of a positive response.
    predicted: f64,
    /// `predicted` minus the reader's region's rate: a predicted interest is one of the two
    /// largest, when above 0.
    lift: f64,
    /// The interest flag the business score uses now (truth or prediction, by the config).
    flagged: bool,
    /// One of the reader's declared interests.
    declared: bool,
}

/// `readerInterests()`.
#[derive(Serialize)]
struct ReaderInterests {
    source: &'static str,
    categories: Vec<InterestView>,
}

#[derive(Serialize)]
struct UserStep {
    reward: f64,
    done: bool,
    updates_done: usize,
    loss: Option<f32>,
    next: Option<Card>,
}

#[derive(Serialize)]
struct Stats {
    episode: usize,
    steps: u64,
    updates: u64,
    epsilon: f32,
    replay_len: usize,
    replay_capacity: Option<usize>,
    mean_loss_recent: Option<f32>,
    coverage: f64,
    creator_gini: f64,
    /// The divergence that paused training, if any (`Trainer::divergence`):
    /// `{episode, step, kind, value, threshold, skipped_updates, message}`.
    divergence: Option<crate::divergence::Divergence>,
}

/// The reader's profile in "you are the user" mode.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    age: u32,
    gender: String,
    region: String,
    interests: [String; 2],
}

/// A world being built in steps (`crate::build::EnvBuilder`), so the Worker can build a
/// `large` world without one long task and show progress:
/// `new Builder(cfg)`, then `advance(units)` until its `stage` is `"done"`, then `finish()`.
#[wasm_bindgen]
pub struct Builder {
    cfg: Config,
    inner: Option<crate::build::EnvBuilder>,
}

#[wasm_bindgen]
impl Builder {
    /// Validate a configuration object (throws naming the field) and prepare its build.
    #[wasm_bindgen(constructor)]
    pub fn new(cfg: JsValue) -> Result<Builder, JsError> {
        let cfg = parse_config(cfg)?;
        // Refused before allocating, as `Environment::new` does: the estimate is in the message.
        crate::budget::check(&cfg).map_err(js_err)?;
        let inner = crate::build::EnvBuilder::new(&cfg).map_err(js_err)?;
        Ok(Builder {
            cfg,
            inner: Some(inner),
        })
    }

    /// Do about `units` units of work (users' histories or videos' neighbour lists) and return
    /// `{stage, done, total, fraction}`; stage is world, history, matrix, index or done.
    pub fn advance(&mut self, units: u32) -> Result<JsValue, JsError> {
        let b = self
            .inner
            .as_mut()
            .ok_or_else(|| JsError::new("builder: already finished"))?;
        to_js(&b.advance(units as usize))
    }

    /// Progress so far, as `advance` returns it.
    pub fn progress(&self) -> Result<JsValue, JsError> {
        let b = self
            .inner
            .as_ref()
            .ok_or_else(|| JsError::new("builder: already finished"))?;
        to_js(&b.progress())
    }

    /// Complete any remaining work and return the playground (its baselines are evaluated by
    /// its first `baselines()` call). The builder is used up.
    pub fn finish(&mut self) -> Result<Playground, JsError> {
        let b = self
            .inner
            .take()
            .ok_or_else(|| JsError::new("builder: already finished"))?;
        Playground::from_trainer(Trainer::from_env(b.finish()), &self.cfg)
    }
}

/// A curve point's held-out sessions per policy, checked: 1..=1000.
fn curve_sessions(sessions: u32) -> Result<usize, JsError> {
    if (1..=1000).contains(&sessions) {
        Ok(sessions as usize)
    } else {
        Err(JsError::new(&format!(
            "sessions: must be in 1..=1000 (got {sessions})"
        )))
    }
}

/// The whole playground: world, filter, agent, training record and baselines.
#[wasm_bindgen]
pub struct Playground {
    trainer: Trainer,
    /// Evaluated at the first `baselines()` call (see there), on `baseline_sessions` held-out
    /// sessions.
    baselines: OnceCell<BTreeMap<String, EvalResult>>,
    baseline_sessions: usize,
    /// The last training step's decision, for `whyLast()`.
    last_decision: Option<LastDecision>,
    /// Whether each training step keeps the history behind its shown candidate's similarity
    /// (`setExplain`, while the page shows "Why this video").
    explain: bool,
    /// Creator exposure sampled every `EXPOSURE_EVERY` episodes.
    exposure: ExposureTracker,
}

/// What `whyLast()` needs of the last training step: the list it chose from and the weights
/// that list was scored with.
struct LastDecision {
    user: usize,
    slot: usize,
    obs: Observation,
    candidates: Vec<Candidate>,
    weights: CfConfig,
    shown: usize,
    /// The history behind the shown candidate's similarity score, taken before the step
    /// recorded its response (when `explain` was on).
    similar: Option<SimilarHistory>,
}

/// `why(slot)` / `whyLast()`: the explanation, with every candidate's Q-value.
#[derive(Serialize)]
struct WhyView {
    #[serde(flatten)]
    why: Why,
    /// Q-value of every candidate, by slot.
    q_values: Vec<f32>,
    /// The slot with the highest Q-value.
    greedy_slot: usize,
    /// The slot the agent chose (the reader's card, or the last training step), if known.
    chosen_slot: Option<usize>,
    /// The agent's kind (`dqn` or `bandit`).
    agent: &'static str,
    /// For the bandit: each slot's estimate (posterior mean and standard deviation).
    estimates: Option<Vec<crate::agent::bandit::Estimate>>,
}

/// `exposure()`: creator exposure now, and sampled over training.
#[derive(Serialize)]
struct ExposureView {
    #[serde(flatten)]
    now: Exposure,
    every: usize,
    history: Vec<ExposureSample>,
}

/// `importAgent()`'s result.
#[derive(Serialize)]
struct ImportReport {
    /// Whether the playground was rebuilt from the file's configuration (a different world);
    /// otherwise only the agent (and the business weights) changed.
    rebuilt: bool,
    updates: u64,
    epsilon: f32,
    config: Config,
}

#[wasm_bindgen]
impl Playground {
    /// Build the world and an untrained agent from a configuration object (the baselines are
    /// evaluated by the first `baselines()` call). Throws naming the field if the
    /// configuration is invalid.
    #[wasm_bindgen(constructor)]
    pub fn new(cfg: JsValue) -> Result<Playground, JsError> {
        Playground::build(&parse_config(cfg)?)
    }

    /// The current configuration, live changes included.
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(&self.current_config())
    }

    /// Run up to `max_steps` training steps; returns counts and the last step as a feed event.
    pub fn train(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        self.train_while(max_steps, || f64::INFINITY)
    }

    /// Run training steps until `budget_ms` milliseconds have passed (at least one step, at
    /// most `max_steps`). The page calls this once per animation frame: the clock is read
    /// between steps, so a slice overshoots its budget by one step at most (two while
    /// `setExplain(true)` is on, see `train_while`), however the cost of a step changes (it
    /// jumps when the replay buffer first holds a batch).
    #[wasm_bindgen(js_name = trainFor)]
    pub fn train_for(&mut self, budget_ms: f64, max_steps: u32) -> Result<JsValue, JsError> {
        if !budget_ms.is_finite() || budget_ms < 0.0 {
            return Err(JsError::new(&format!(
                "budget_ms: must be a finite number >= 0 (got {budget_ms})"
            )));
        }
        let deadline = js_sys::Date::now() + budget_ms;
        self.train_while(max_steps, || deadline - js_sys::Date::now())
    }

    /// Counters for the page.
    pub fn stats(&self) -> Result<JsValue, JsError> {
        let eps = self.trainer.episodes();
        let recent: Vec<f32> = eps
            .iter()
            .rev()
            .take(RECENT)
            .filter_map(|e| e.mean_loss)
            .collect();
        let env = self.trainer.env();
        let world = env.world();
        let m = Marketplace::from_impressions(
            env.impressions(),
            |v| world.videos[v].creator,
            world.n_creators,
        );
        to_js(&Stats {
            episode: eps.len(),
            steps: self.trainer.steps(),
            updates: self.trainer.agent().updates(),
            epsilon: self.trainer.agent().epsilon(),
            replay_len: self.trainer.agent().replay_len(),
            replay_capacity: self.trainer.agent().config().replay_capacity,
            mean_loss_recent: (!recent.is_empty())
                .then(|| recent.iter().sum::<f32>() / recent.len() as f32),
            coverage: m.coverage,
            creator_gini: m.creator_gini,
            divergence: self.trainer.divergence().cloned(),
        })
    }

    /// One value per finished episode: `return`, `loss` (NaN without updates), `epsilon`,
    /// `session_seconds`, `watched`, `likes` or `skips`.
    pub fn series(&self, name: &str) -> Result<Vec<f32>, JsError> {
        self.series_from(name, 0)
    }

    /// The values of `series(name)` from episode index `start` on (empty when `start` is at or
    /// past the end): the Worker sends plot series to the page as deltas.
    #[wasm_bindgen(js_name = seriesFrom)]
    pub fn series_from(&self, name: &str, start: usize) -> Result<Vec<f32>, JsError> {
        let eps = self.trainer.episodes();
        let eps = &eps[start.min(eps.len())..];
        let pick: fn(&crate::experiment::EpisodeRecord) -> f32 = match name {
            "return" => |e| e.return_ as f32,
            "loss" => |e| e.mean_loss.unwrap_or(f32::NAN),
            "epsilon" => |e| e.epsilon,
            "session_seconds" => |e| e.session_seconds as f32,
            "watched" => |e| e.watched as f32,
            "likes" => |e| e.likes as f32,
            "skips" => |e| e.skips as f32,
            other => {
                return Err(JsError::new(&format!(
                    "series: unknown name {other:?}; one of return, loss, epsilon, session_seconds, watched, likes, skips"
                )))
            }
        };
        Ok(eps.iter().map(pick).collect())
    }

    /// The baselines `{random, most_viewed, greedy, oracle}`, evaluated on the world as it is
    /// at the first call and kept (0.1-0.2 s in Chromium at the notebook's size). Nothing else
    /// evaluates them: the page reads every baseline from the skill-curve points instead, and
    /// the notebook's experiment (`new Playground` then `train`) needs none.
    pub fn baselines(&self) -> Result<JsValue, JsError> {
        if let Some(b) = self.baselines.get() {
            return to_js(b);
        }
        let seed = eval_seed(self.trainer.env().config());
        let mut baselines = BTreeMap::new();
        for p in PolicyKind::BASELINES {
            let r = evaluate(self.trainer.env(), None, p, self.baseline_sessions, seed)
                .map_err(js_err)?;
            baselines.insert(p.name().to_string(), r);
        }
        to_js(self.baselines.get_or_init(|| baselines))
    }

    /// Benchmark: run `n` DQN replay updates now (it trains the agent: for `cargo xtask bench`
    /// only) and return the milliseconds they took (the clock is read before and after).
    /// Throws if the agent is not a DQN or its replay buffer holds less than a batch.
    #[wasm_bindgen(js_name = benchUpdates)]
    pub fn bench_updates(&mut self, n: u32) -> Result<f64, JsError> {
        let agent = self
            .trainer
            .agent_mut()
            .as_dqn_mut()
            .ok_or_else(|| JsError::new("benchUpdates: the agent is not a DQN"))?;
        if agent.replay_len() < agent.config().batch_size {
            return Err(JsError::new(
                "benchUpdates: the replay buffer holds less than a batch; train first",
            ));
        }
        let now = || {
            js_sys::Reflect::get(&js_sys::global(), &"performance".into())
                .ok()
                .and_then(|p| js_sys::Reflect::get(&p, &"now".into()).ok().map(|f| (p, f)))
                .and_then(|(p, f)| {
                    f.dyn_into::<js_sys::Function>()
                        .ok()?
                        .call0(&p)
                        .ok()?
                        .as_f64()
                })
                .unwrap_or_else(js_sys::Date::now)
        };
        let t0 = now();
        for _ in 0..n {
            agent.learn();
        }
        Ok(now() - t0)
    }

    /// Forget a detected divergence so training runs again (after the reader changed a
    /// parameter or chose to go on); a still-diverging agent trips the detector again.
    #[wasm_bindgen(js_name = clearDivergence)]
    pub fn clear_divergence(&mut self) {
        self.trainer.clear_divergence();
    }

    /// Change a hyperparameter live: w1, w2, w3, epsilon_decay, epsilon_min, gamma,
    /// learning_rate, batch_size, replay_capacity, target_sync. Throws naming the field.
    #[wasm_bindgen(js_name = setParam)]
    pub fn set_param(&mut self, name: &str, value: f64) -> Result<(), JsError> {
        if !value.is_finite() {
            return Err(JsError::new(&format!(
                "{name}: must be a finite number (got {value})"
            )));
        }
        let integer = |field: &str| -> Result<usize, JsError> {
            if value < 0.0 || value.fract() != 0.0 || value > 1e9 {
                return Err(JsError::new(&format!(
                    "{field}: must be a whole number >= 0 (got {value})"
                )));
            }
            Ok(value as usize)
        };
        let cf = self.trainer.env().config().cf.clone();
        match name {
            "w1" => {
                return self
                    .trainer
                    .env_mut()
                    .set_weights(value, cf.w2, cf.w3)
                    .map_err(js_err)
            }
            "w2" => {
                return self
                    .trainer
                    .env_mut()
                    .set_weights(cf.w1, value, cf.w3)
                    .map_err(js_err)
            }
            "w3" => {
                return self
                    .trainer
                    .env_mut()
                    .set_weights(cf.w1, cf.w2, value)
                    .map_err(js_err)
            }
            _ => {}
        }
        let mut a = self.trainer.agent().config().clone();
        match name {
            "epsilon_decay" => a.epsilon_decay = value as f32,
            "epsilon_min" => a.epsilon_min = value as f32,
            "gamma" => a.gamma = value as f32,
            "learning_rate" => a.learning_rate = value as f32,
            "weight_decay" => a.weight_decay = value as f32,
            "batch_size" => a.batch_size = integer("agent.batch_size")?,
            "replay_capacity" => a.replay_capacity = Some(integer("agent.replay_capacity")?),
            "target_sync" => a.target = TargetUpdate::Hard { every: integer("agent.target.every")? as u32 },
            other => {
                return Err(JsError::new(&format!(
                    "{other}: not a live parameter; one of w1, w2, w3, epsilon_decay, epsilon_min, gamma, learning_rate, weight_decay, batch_size, replay_capacity, target_sync"
                )))
            }
        }
        validate_agent(&a).map_err(js_err)?;
        self.trainer
            .agent_mut()
            .set_config(&a)
            .map_err(|e| JsError::new(&e))
    }

    /// Start the reader's own session with a profile `{age, gender, region, interests}`;
    /// returns the first card.
    #[wasm_bindgen(js_name = userStart)]
    pub fn user_start(&mut self, profile: JsValue) -> Result<JsValue, JsError> {
        let p: Profile = serde_wasm_bindgen::from_value(profile)
            .map_err(|e| JsError::new(&format!("profile: {e}")))?;
        let gender = Gender::parse(&p.gender).ok_or_else(|| {
            JsError::new(&format!(
                "profile.gender: must be m or f (got {:?})",
                p.gender
            ))
        })?;
        let region = Region::parse(&p.region).ok_or_else(|| {
            JsError::new(&format!(
                "profile.region: must be west, mid or east (got {:?})",
                p.region
            ))
        })?;
        let cat = |i: usize| {
            Category::parse(&p.interests[i]).ok_or_else(|| {
                JsError::new(&format!(
                    "profile.interests[{i}]: not a category (got {:?})",
                    p.interests[i]
                ))
            })
        };
        let interests = [cat(0)?, cat(1)?];
        self.trainer
            .reader_start(p.age, gender, region, interests)
            .map_err(js_err)?;
        self.last_decision = None;
        to_js(&self.pending_card())
    }

    /// The reader's response to the current card: `watched`, `skipped`, `liked` or
    /// `session_end`, and the seconds it played. Feeds the filter and the replay buffer,
    /// runs a few replay updates, and returns the reward and the next card.
    #[wasm_bindgen(js_name = userRespond)]
    pub fn user_respond(&mut self, action: &str, watched_seconds: f64) -> Result<JsValue, JsError> {
        let action = Action::parse(action).ok_or_else(|| {
            JsError::new(&format!(
                "action: must be watched, skipped, liked or session_end (got {action:?})"
            ))
        })?;
        let step = self
            .trainer
            .reader_respond(action, watched_seconds, READER_UPDATES)
            .map_err(js_err)?;
        let next = if step.next.is_some() {
            self.pending_card()
        } else {
            None
        };
        to_js(&UserStep {
            reward: step.outcome.reward,
            done: step.outcome.done || step.outcome.truncated,
            updates_done: step.losses.len(),
            loss: step.losses.last().copied(),
            next,
        })
    }

    /// A learning-curve point now (`Trainer::curve_point`): the frozen greedy agent and every
    /// baseline on `sessions` held-out sessions (1..=1000; the panel is fixed by the seed, so
    /// points are comparable over time and with `instatok train --json`'s `curve`). Returns
    /// `{episode, policies: {dqn|random|most_viewed|greedy|oracle: {skill, skill_ci95,
    /// mean_return}}}`. Reads only: training afterwards is exactly as without the call.
    #[wasm_bindgen(js_name = curvePoint)]
    pub fn curve_point(&self, sessions: u32) -> Result<JsValue, JsError> {
        let sessions = curve_sessions(sessions)?;
        to_js(&self.trainer.curve_point(sessions).map_err(js_err)?)
    }

    /// One policy's entry of `curvePoint(sessions)` (`policy`: dqn, random, most_viewed,
    /// greedy or oracle): `{skill, skill_ci95, mean_return}`, the same figures as the whole
    /// point's when nothing trains in between. The Worker computes a point a policy at a time
    /// and reads its messages in between.
    #[wasm_bindgen(js_name = curvePart)]
    pub fn curve_part(&self, policy: &str, sessions: u32) -> Result<JsValue, JsError> {
        let sessions = curve_sessions(sessions)?;
        let Some(p) = PolicyKind::ALL.into_iter().find(|p| p.name() == policy) else {
            let names: Vec<&str> = PolicyKind::ALL.iter().map(|p| p.name()).collect();
            return Err(JsError::new(&format!(
                "policy: must be one of {} (got {policy:?})",
                names.join(", ")
            )));
        };
        to_js(&self.trainer.curve_entry(p, sessions).map_err(js_err)?)
    }

    /// What the agent's world predicts the reader likes: `{source, categories: [{category,
    /// predicted, declared}]}`, the predicted watch probability per category (in
    /// `Category::ALL` order) for the reader's user, from the interest model fitted to the
    /// filter's history (it changes after each response), or `null` before `userStart` or
    /// when the configuration has no interest model.
    #[wasm_bindgen(js_name = readerInterests)]
    pub fn reader_interests(&self) -> Result<JsValue, JsError> {
        let Some(user) = self.trainer.reader_user() else {
            return Ok(JsValue::NULL);
        };
        let env = self.trainer.env();
        let Some(rates) = env.predicted_interests(user) else {
            return Ok(JsValue::NULL);
        };
        let u = &env.world().users[user];
        let lift = env.interests().lift(user, u.region);
        let categories: Vec<InterestView> = Category::ALL
            .iter()
            .map(|&c| InterestView {
                category: c.name(),
                predicted: rates[c.id()],
                lift: lift[c.id()],
                flagged: env.interest_flag(user, c),
                declared: u.interests.contains(&c),
            })
            .collect();
        to_js(&ReaderInterests {
            source: match env.config().interests.source {
                crate::interests::InterestSource::True => "true",
                crate::interests::InterestSource::Predicted => "predicted",
            },
            categories,
        })
    }

    /// Why the candidate in `slot` of the session in progress (the reader's card in user
    /// mode; in watch mode, the list the next step chooses from): the business score's three
    /// terms (they add up to the score), the history videos the similarity comes from, a
    /// one-line reason, and every candidate's Q-value. `explored` is true when `slot` is not
    /// the greedy slot. Throws if there is no session or `slot` is out of range.
    pub fn why(&self, slot: u32) -> Result<JsValue, JsError> {
        let env = self.trainer.env();
        let obs = env
            .observation()
            .ok_or_else(|| JsError::new("no session in progress: train or userStart first"))?;
        let q = self.trainer.agent().q_values(&obs);
        let greedy = self.trainer.agent().act_greedy(&obs);
        let slot = slot as usize;
        let w = why(env, slot, slot != greedy).map_err(js_err)?;
        let chosen = self.trainer.reader_pending().map(|p| p.1);
        to_js(&WhyView {
            why: w,
            q_values: q,
            greedy_slot: greedy,
            chosen_slot: chosen,
            agent: if self.trainer.agent().as_bandit().is_some() {
                "bandit"
            } else {
                "dqn"
            },
            estimates: self.trainer.agent().estimates(&obs),
        })
    }

    /// While on, the last step of each training call keeps the history behind its shown
    /// candidate's similarity score as it was before the step, for `whyLast()` (the page turns
    /// it on while it shows "Why this video"; 10-20 µs, once per call: see `train_while`).
    #[wasm_bindgen(js_name = setExplain)]
    pub fn set_explain(&mut self, on: bool) {
        self.explain = on;
    }

    /// Why the last training step showed its video (the card in watch mode): as `why`, for
    /// the list that step chose from. The terms add up to that card's score exactly, and so
    /// does the similar-history list when `setExplain(true)` was on during that step (it is
    /// taken before the step records its response; otherwise it reads the filter as it is
    /// now, one interaction later). The Q-values read the network as it is now, one replay
    /// update later. `null` before the first step or after the reader took over.
    #[wasm_bindgen(js_name = whyLast)]
    pub fn why_last(&self) -> Result<JsValue, JsError> {
        let Some(d) = &self.last_decision else {
            return Ok(JsValue::NULL);
        };
        let env = self.trainer.env();
        let c = d
            .candidates
            .get(d.slot)
            .ok_or_else(|| JsError::new("slot: out of range"))?;
        // Only the video shown has gained a view since the list was scored.
        let views = env.world().videos[c.video].views - i64::from(c.video == d.shown);
        let q = self.trainer.agent().q_values(&d.obs);
        let greedy = self.trainer.agent().act_greedy(&d.obs);
        let w = why_candidate(
            env,
            d.user,
            d.slot,
            c,
            &d.weights,
            views,
            d.slot != greedy,
            d.similar.clone(),
        );
        to_js(&WhyView {
            why: w,
            q_values: q,
            greedy_slot: greedy,
            chosen_slot: Some(d.slot),
            agent: if self.trainer.agent().as_bandit().is_some() {
                "bandit"
            } else {
                "dqn"
            },
            estimates: self.trainer.agent().estimates(&d.obs),
        })
    }

    /// The vector the network receives for the session's current decision, each entry
    /// labelled: `{architecture, input_width, rows: [{slot, entries: [{index, label, kind,
    /// value, raw, id, name}]}], q_values}`. Throws if there is no session.
    #[wasm_bindgen(js_name = stateInspector)]
    pub fn state_inspector(&self) -> Result<JsValue, JsError> {
        let dqn = self.trainer.agent().as_dqn().ok_or_else(|| {
            JsError::new("the bandit has no network: its inputs are the region x category and interest features of each candidate")
        })?;
        let env = self.trainer.env();
        let obs = env
            .observation()
            .ok_or_else(|| JsError::new("no session in progress: train or userStart first"))?;
        let raw = raw_features(env);
        let ins: StateInspection = dqn.inspect(&obs, raw.as_ref());
        to_js(&ins)
    }

    /// The `k` videos most similar to `video`: `[{video, category, cosine}]`, highest cosine
    /// first. Throws naming `video` or `k` (1 to 500) if out of range.
    pub fn neighbours(&self, video: u32, k: u32) -> Result<JsValue, JsError> {
        let env = self.trainer.env();
        let n: Vec<Neighbour> =
            neighbours(env.cf(), env.world(), video as usize, k as usize).map_err(js_err)?;
        to_js(&n)
    }

    /// One video of the world: `{video, category, views, creator}` (category lower case, as in
    /// the config). Throws naming `video` if it is not a video of this world.
    #[wasm_bindgen(js_name = videoInfo)]
    pub fn video_info(&self, video: u32) -> Result<JsValue, JsError> {
        let world = self.trainer.env().world();
        let v = world.videos.get(video as usize).ok_or_else(|| {
            JsError::new(&format!(
                "video: must be a video id in 0..{} (got {video})",
                world.videos.len()
            ))
        })?;
        to_js(&serde_json::json!({
            "video": v.id,
            "category": v.category.name(),
            "views": v.views,
            "creator": v.creator,
        }))
    }

    /// Item-item cosine similarity of the first `per_category` videos with interactions of
    /// each category: `{videos, blocks: [{category, start, len}], values (rows of numbers),
    /// mean_within, mean_between}`. Throws naming `per_category` (1 to 64) if out of range.
    #[wasm_bindgen(js_name = similarityHeatmap)]
    pub fn similarity_heatmap(&self, per_category: u32) -> Result<JsValue, JsError> {
        let env = self.trainer.env();
        let h: Heatmap = heatmap(env.cf(), env.world(), per_category as usize).map_err(js_err)?;
        to_js(&h)
    }

    /// Creator exposure of the impressions so far: `{per_creator, lorenz: [[x, y]], gini,
    /// coverage, impressions, every, history: [{episode, gini, coverage}]}` (history sampled
    /// every `every` finished episodes).
    pub fn exposure(&self) -> Result<JsValue, JsError> {
        to_js(&ExposureView {
            now: self.exposure_now(),
            every: self.exposure.every,
            history: self.exposure.samples.clone(),
        })
    }

    /// The agent and its configuration as a versioned JSON agent file (the same format as
    /// `instatok train --save`).
    #[wasm_bindgen(js_name = exportAgent)]
    pub fn export_agent(&self) -> String {
        self.trainer.agent().to_file(&self.current_config())
    }

    /// Loads an agent file. If it describes the current world (same seed, world, behaviour,
    /// scores, environment and candidate count) only the agent and the business weights are
    /// replaced; otherwise the playground is rebuilt from the file's configuration. Returns
    /// `{rebuilt, updates, epsilon, config}`. A wrong version, wrong shape or corrupt file
    /// throws with a message and leaves everything as it was.
    #[wasm_bindgen(js_name = importAgent)]
    pub fn import_agent(&mut self, text: &str) -> Result<JsValue, JsError> {
        let (cfg, agent) = Agent::from_file(text).map_err(js_err)?;
        let cur = self.current_config();
        let same_world = cfg.seed == cur.seed
            && cfg.world == cur.world
            && cfg.behaviour == cur.behaviour
            && cfg.scores == cur.scores
            && cfg.env == cur.env
            && cfg.cf.n_candidates == cur.cf.n_candidates;
        if same_world {
            let (w1, w2, w3) = (cfg.cf.w1, cfg.cf.w2, cfg.cf.w3);
            self.trainer
                .env_mut()
                .set_weights(w1, w2, w3)
                .map_err(js_err)?;
            *self.trainer.agent_mut() = agent;
        } else {
            let mut rebuilt = Playground::build(&cfg)?;
            *rebuilt.trainer.agent_mut() = agent;
            *self = rebuilt;
        }
        let a = self.trainer.agent();
        to_js(&ImportReport {
            rebuilt: !same_world,
            updates: a.updates(),
            epsilon: a.epsilon(),
            config: self.current_config(),
        })
    }

    /// The finished episodes as CSV: header, then one row per episode (see
    /// `export::episodes_csv` for the columns).
    #[wasm_bindgen(js_name = episodesCsv)]
    pub fn episodes_csv(&self) -> String {
        episodes_csv(self.trainer.episodes())
    }

    /// The distinct videos of `user`'s history in the filter (the rows candidate generation
    /// reads), in first-seen order: what "similar to" lists are drawn from. Throws naming
    /// `user` if out of range.
    #[wasm_bindgen(js_name = userHistory)]
    pub fn user_history(&self, user: u32) -> Result<Vec<u32>, JsError> {
        let env = self.trainer.env();
        let n = env.world().users.len();
        let user = user as usize;
        if user >= n {
            return Err(JsError::new(&format!(
                "user: must be below {n} (got {user})"
            )));
        }
        let mut out: Vec<u32> = Vec::new();
        for (v, _) in env.cf().history(user) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
        Ok(out)
    }
}

impl Playground {
    /// A playground for a validated configuration.
    fn build(cfg: &Config) -> Result<Playground, JsError> {
        Playground::from_trainer(Trainer::new(cfg).map_err(js_err)?, cfg)
    }

    /// A playground around a trainer (baselines not yet evaluated).
    fn from_trainer(trainer: Trainer, cfg: &Config) -> Result<Playground, JsError> {
        Ok(Playground {
            trainer,
            baselines: OnceCell::new(),
            baseline_sessions: cfg.experiment.eval_episodes.min(BASELINE_EPISODES),
            last_decision: None,
            explain: false,
            exposure: ExposureTracker::new(EXPOSURE_EVERY),
        })
    }

    fn exposure_now(&self) -> Exposure {
        let env = self.trainer.env();
        let world = env.world();
        Exposure::from_impressions(
            env.impressions(),
            |v| world.videos[v].creator,
            world.n_creators,
        )
    }

    /// Steps while `left_ms()` (the time left) is above 0, up to `max_steps`; the report of
    /// `train`. With `setExplain(true)` the last step must keep the history behind its shown
    /// video as it stood before the step (`similar_for_slot`), which only the last one needs:
    /// a step computes it when it may be the last (the step budget ends with it, or the time
    /// left covers less than two steps like the one before), and if a step without it turns
    /// out to be the last, one more step runs that has it.
    fn train_while(
        &mut self,
        max_steps: u32,
        mut left_ms: impl FnMut() -> f64,
    ) -> Result<JsValue, JsError> {
        let mut last = None;
        let mut finished = 0;
        let mut steps = 0;
        let mut weights = self.trainer.env().scored_with().clone();
        let mut similar = None;
        let explain = self.explain;
        let mut left = left_ms();
        let mut step_ms = 0.0;
        // Whether the last step kept its similar history (or needs none).
        let mut explained = true;
        while steps < max_steps && self.trainer.divergence().is_none() {
            if steps > 0 {
                let now = left_ms();
                step_ms = left - now;
                left = now;
                if left <= 0.0 && explained {
                    break;
                }
            }
            let maybe_last = explain && (steps + 1 == max_steps || left <= 2.0 * step_ms);
            // The weights the list this step chooses from was scored with (for whyLast).
            weights.clone_from(self.trainer.env().scored_with());
            similar = None;
            explained = !explain || maybe_last;
            let step = self
                .trainer
                .step_observed(&mut crate::profile::NoProfiler, |env, slot| {
                    if maybe_last {
                        similar = similar_for_slot(env, slot);
                    }
                })
                .map_err(js_err)?;
            steps += 1;
            if step.finished.is_some() {
                finished += 1;
                let n = self.trainer.episodes().len();
                if self.exposure.is_due(n) {
                    let now = self.exposure_now();
                    self.exposure.observe(n, &now);
                }
            }
            last = Some(step);
        }
        if let Some(s) = &last {
            self.last_decision = Some(LastDecision {
                user: s.user,
                slot: s.slot,
                obs: s.obs.clone(),
                candidates: s.candidates.clone(),
                weights,
                shown: s.outcome.video,
                similar: similar.take(),
            });
        }
        let event = last.map(|s| self.event(&s));
        to_js(&TrainReport {
            steps,
            episodes_finished: finished,
            episode: self.trainer.episodes().len(),
            last: event,
            diverged: self.trainer.divergence().is_some(),
        })
    }

    fn current_config(&self) -> Config {
        let mut c = self.trainer.env().config().clone();
        c.agent = self.trainer.agent().config().clone();
        c
    }

    fn video(&self, id: usize) -> VideoView {
        let v = &self.trainer.env().world().videos[id];
        VideoView {
            id,
            category: v.category.name(),
            creator: v.creator,
            views: v.views,
            duration: v.duration,
        }
    }

    fn candidate_views(&self, obs: &Observation, cands: &[Candidate]) -> Vec<CandidateView> {
        let q = self.trainer.agent().q_values(obs);
        let env: &Environment = self.trainer.env();
        cands
            .iter()
            .enumerate()
            .map(|(i, c)| CandidateView {
                video_id: c.video,
                category: env.world().videos[c.video].category.name(),
                similarity: c.cf_score,
                views: env.world().videos[c.video].views,
                interest: c.interest,
                score: c.business,
                q: q.get(i).copied().unwrap_or(f32::NAN),
            })
            .collect()
    }

    fn event(&self, s: &TrainStep) -> FeedEvent {
        let u = &self.trainer.env().world().users[s.user];
        let episode = s
            .finished
            .as_ref()
            .map_or(self.trainer.episodes().len(), |r| r.episode);
        FeedEvent {
            episode,
            step: s.finished.as_ref().map_or_else(
                || self.trainer.env().session().map_or(0, |x| x.step),
                |r| r.steps,
            ),
            user: UserView {
                id: u.id,
                age: u.age,
                gender: u.gender.name(),
                region: u.region.name(),
                interests: [u.interests[0].name(), u.interests[1].name()],
            },
            video: self.video(s.outcome.video),
            slot: s.slot,
            action: s.outcome.action.name(),
            reward: s.outcome.reward,
            done: s.outcome.done || s.outcome.truncated,
            session_seconds: s.finished.as_ref().map_or_else(
                || self.trainer.env().session().map_or(0.0, |x| x.seconds),
                |r| r.session_seconds,
            ),
            session_return: s.finished.as_ref().map_or_else(
                || self.trainer.running_return().unwrap_or(0.0),
                |r| r.return_,
            ),
            epsilon: self.trainer.agent().epsilon(),
            explored: s.explored,
            candidates: self.candidate_views(&s.obs, &s.candidates),
        }
    }

    fn pending_card(&self) -> Option<Card> {
        let (_, slot, obs, cands) = self.trainer.reader_pending()?;
        let video = cands.get(slot)?.video;
        Some(Card {
            video: self.video(video),
            slot,
            candidates: self.candidate_views(obs, cands),
            epsilon: self.trainer.agent().epsilon(),
            explored: self.trainer.reader_explored().unwrap_or(false),
        })
    }
}
