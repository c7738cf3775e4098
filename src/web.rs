//! The browser boundary: the only module that touches wasm-bindgen and js-sys. JavaScript owns
//! one `Playground` handle and calls small methods on it; structured values cross through
//! serde-wasm-bindgen, plot series as `Float32Array`s, and every fallible call throws a JS
//! `Error` whose message names the field at fault.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::agent::{Observation, TargetUpdate};
use crate::cf::Candidate;
use crate::config::{validate_agent, Config, Preset};
use crate::env::Environment;
use crate::experiment::{eval_seed, evaluate, EvalResult, TrainStep, Trainer};
use crate::policy::PolicyKind;
use crate::sim::behaviour::Action;
use crate::sim::world::{Category, Gender, Region};
use crate::stats::Marketplace;

/// Replay updates run after each of the reader's responses, so the agent visibly adapts.
const READER_UPDATES: usize = 8;
/// Evaluation sessions per baseline for the reference lines.
const BASELINE_EPISODES: usize = 100;
/// Episodes averaged for the recent loss in `stats()`.
const RECENT: usize = 20;

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
    epsilon: f32,
    candidates: Vec<CandidateView>,
}

#[derive(Serialize)]
struct TrainReport {
    steps: u32,
    episodes_finished: u32,
    episode: usize,
    last: Option<FeedEvent>,
}

#[derive(Serialize)]
struct Card {
    video: VideoView,
    slot: usize,
    candidates: Vec<CandidateView>,
    epsilon: f32,
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

/// The whole playground: world, filter, agent, training record and baselines.
#[wasm_bindgen]
pub struct Playground {
    trainer: Trainer,
    baselines: BTreeMap<String, EvalResult>,
}

#[wasm_bindgen]
impl Playground {
    /// Build the world and an untrained agent from a configuration object, and evaluate the
    /// baselines on it. Throws naming the field if the configuration is invalid.
    #[wasm_bindgen(constructor)]
    pub fn new(cfg: JsValue) -> Result<Playground, JsError> {
        let cfg = parse_config(cfg)?;
        let trainer = Trainer::new(&cfg).map_err(js_err)?;
        let n = cfg.experiment.eval_episodes.min(BASELINE_EPISODES);
        let seed = eval_seed(&cfg);
        let mut baselines = BTreeMap::new();
        for p in PolicyKind::BASELINES {
            let r = evaluate(trainer.env(), None, p, n, seed).map_err(js_err)?;
            baselines.insert(p.name().to_string(), r);
        }
        Ok(Playground { trainer, baselines })
    }

    /// The current configuration, live changes included.
    pub fn config(&self) -> Result<JsValue, JsError> {
        to_js(&self.current_config())
    }

    /// Run up to `max_steps` training steps; returns counts and the last step as a feed event.
    pub fn train(&mut self, max_steps: u32) -> Result<JsValue, JsError> {
        self.train_while(max_steps, || true)
    }

    /// Run training steps until `budget_ms` milliseconds have passed (at least one step, at
    /// most `max_steps`). The page calls this once per animation frame: the clock is read
    /// between steps, so a slice overshoots its budget by one step at most, however the cost of
    /// a step changes (it jumps when the replay buffer first holds a batch).
    #[wasm_bindgen(js_name = trainFor)]
    pub fn train_for(&mut self, budget_ms: f64, max_steps: u32) -> Result<JsValue, JsError> {
        if !budget_ms.is_finite() || budget_ms < 0.0 {
            return Err(JsError::new(&format!(
                "budget_ms: must be a finite number >= 0 (got {budget_ms})"
            )));
        }
        let deadline = js_sys::Date::now() + budget_ms;
        self.train_while(max_steps, || js_sys::Date::now() < deadline)
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

    /// The baselines evaluated on the initial world: `{random, most_viewed, greedy, oracle}`.
    pub fn baselines(&self) -> Result<JsValue, JsError> {
        to_js(&self.baselines)
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
            "batch_size" => a.batch_size = integer("agent.batch_size")?,
            "replay_capacity" => a.replay_capacity = Some(integer("agent.replay_capacity")?),
            "target_sync" => a.target = TargetUpdate::Hard { every: integer("agent.target.every")? as u32 },
            other => {
                return Err(JsError::new(&format!(
                    "{other}: not a live parameter; one of w1, w2, w3, epsilon_decay, epsilon_min, gamma, learning_rate, batch_size, replay_capacity, target_sync"
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
}

impl Playground {
    /// Steps while `more()` says so, up to `max_steps`; the report of `train`.
    fn train_while(
        &mut self,
        max_steps: u32,
        mut more: impl FnMut() -> bool,
    ) -> Result<JsValue, JsError> {
        let mut last = None;
        let mut finished = 0;
        let mut steps = 0;
        while steps < max_steps && (steps == 0 || more()) {
            let step = self
                .trainer
                .step(&mut crate::profile::NoProfiler)
                .map_err(js_err)?;
            steps += 1;
            if step.finished.is_some() {
                finished += 1;
            }
            last = Some(step);
        }
        let event = last.map(|s| self.event(&s));
        to_js(&TrainReport {
            steps,
            episodes_finished: finished,
            episode: self.trainer.episodes().len(),
            last: event,
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
            epsilon: self.trainer.agent().epsilon(),
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
        })
    }
}
