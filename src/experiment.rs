//! Training the DQN on simulated sessions, evaluating any policy frozen on held-out user draws
//! with common random numbers, and the whole experiment the CLI and the page run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::agent::{Agent, Observation, Transition};
use crate::cf::Candidate;
use crate::config::Config;
use crate::divergence::{Divergence, Limits};
use crate::env::{Environment, StepOutcome};
use crate::error::{Error, Result};
use crate::policy::PolicyKind;
use crate::profile::{NoProfiler, Phase, Profiler};
use crate::rng::{stream, uniform_int, CoreRng};
use crate::sim::behaviour::Action;
use crate::sim::world::{Category, Gender, Region};
use crate::stats::{ci95, mean, paired_diff_ci95, paired_ratio_diff_ci95, ratio_ci95, Marketplace};

/// Stream labels, so that no two purposes share random numbers.
const STREAM_TRAIN: u64 = 0x7121;
const STREAM_AGENT: u64 = 0xA6E7;
const STREAM_EVAL: u64 = 0xE7A1;
const STREAM_EVAL_POLICY: u64 = 0xE7A2;
/// With `experiment.common_draws`: the stream of episode `k`'s user is
/// `stream(seed ^ STREAM_TRAIN_USER, k)`; its step `t`'s random numbers,
/// `stream(seed ^ STREAM_TRAIN_USER ^ k.rotate_left(20), t + 1)`.
const STREAM_TRAIN_USER: u64 = 0x7122;

/// What happened in one training episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Episode index from 0.
    pub episode: usize,
    /// The simulated user.
    pub user: usize,
    /// Sum of rewards.
    #[serde(rename = "return")]
    pub return_: f64,
    /// Steps taken.
    pub steps: usize,
    /// Videos watched to the end (including liked ones).
    pub watched: u32,
    /// Likes.
    pub likes: u32,
    /// Skips.
    pub skips: u32,
    /// Session length in seconds.
    pub session_seconds: f64,
    /// Mean loss of the replay updates in this episode (none before the buffer fills).
    pub mean_loss: Option<f32>,
    /// Epsilon at the end of the episode.
    pub epsilon: f32,
}

/// One training step, as the page shows it.
#[derive(Debug, Clone)]
pub struct TrainStep {
    /// The user of the episode.
    pub user: usize,
    /// The observation the agent acted on.
    pub obs: Observation,
    /// The candidates the agent chose among (video ids and scores).
    pub candidates: Vec<Candidate>,
    /// The slot chosen.
    pub slot: usize,
    /// Whether the choice explored: the DQN's epsilon-random pick, or a Thompson/UCB pick
    /// other than the bandit's posterior-mean choice.
    pub explored: bool,
    /// The outcome.
    pub outcome: StepOutcome,
    /// The loss of the replay update, if one ran.
    pub loss: Option<f32>,
    /// The episode's record, when this step finished it.
    pub finished: Option<EpisodeRecord>,
}

/// An episode in progress.
#[derive(Debug, Clone)]
struct Running {
    obs: Observation,
    record: EpisodeRecord,
    loss_sum: f64,
    loss_n: u32,
}

/// The reader's own session in the playground.
#[derive(Debug, Clone)]
struct ReaderSession {
    user: usize,
    obs: Observation,
    slot: usize,
    /// Whether the agent picked `slot` by exploring (the truthful flag of `Agent::act`).
    explored: bool,
}

/// A trainer: the environment, the agent, and the record of finished episodes. Steps can be
/// run one at a time (the page runs a few milliseconds' worth per frame).
#[derive(Clone)]
pub struct Trainer {
    env: Environment,
    agent: Agent,
    rng: CoreRng,
    episodes: Vec<EpisodeRecord>,
    running: Option<Running>,
    reader: Option<ReaderSession>,
    reader_user: Option<usize>,
    steps: u64,
    /// The first divergence detected (training pauses: `train` stops), see [`Divergence`].
    divergence: Option<Divergence>,
    /// Skipped updates already looked at by the divergence check.
    skipped_seen: u64,
}

impl Trainer {
    /// A fresh world and an untrained agent, from a validated config.
    pub fn new(cfg: &Config) -> Result<Self> {
        Ok(Self::from_env(Environment::new(cfg)?))
    }

    /// An untrained agent on an environment already built (e.g. by `build::EnvBuilder`, in
    /// chunks); the same as `new` with the environment's config.
    pub fn from_env(env: Environment) -> Self {
        let cfg = env.config().clone();
        let agent = Agent::new(
            &cfg.agent,
            cfg.cf.n_candidates,
            rand::RngCore::next_u64(&mut stream(cfg.seed, STREAM_AGENT)),
        );
        Trainer {
            env,
            agent,
            rng: stream(cfg.seed, STREAM_TRAIN),
            episodes: Vec::new(),
            running: None,
            reader: None,
            reader_user: None,
            steps: 0,
            divergence: None,
            skipped_seen: 0,
        }
    }

    /// The environment.
    pub fn env(&self) -> &Environment {
        &self.env
    }

    /// The environment, to change live parameters.
    pub fn env_mut(&mut self) -> &mut Environment {
        &mut self.env
    }

    /// The agent.
    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// The agent, to change live hyperparameters.
    pub fn agent_mut(&mut self) -> &mut Agent {
        &mut self.agent
    }

    /// Finished episodes.
    pub fn episodes(&self) -> &[EpisodeRecord] {
        &self.episodes
    }

    /// The return so far of the training episode under way (`None` between episodes).
    pub fn running_return(&self) -> Option<f64> {
        self.running.as_ref().map(|r| r.record.return_)
    }

    /// Environment steps taken by training and by the reader.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// One step of training: starts an episode with a uniformly drawn simulated user if none
    /// is running, lets the agent act epsilon-greedily, stores the transition, runs one replay
    /// update, and closes the episode when the user leaves or the step limit is reached.
    pub fn step<P: Profiler>(&mut self, prof: &mut P) -> Result<TrainStep> {
        self.step_observed(prof, |_, _| {})
    }

    /// [`Trainer::step`], calling `before(env, slot)` once the agent has chosen `slot` and
    /// before the environment shows it (for an explanation of the list as it was scored).
    pub fn step_observed<P: Profiler>(
        &mut self,
        prof: &mut P,
        before: impl FnOnce(&Environment, usize),
    ) -> Result<TrainStep> {
        self.reader = None;
        let common = self.env.config().experiment.common_draws;
        let episode = self.episodes.len() as u64;
        if self.running.is_none() {
            let n_users = self.env.config().world.n_users;
            let user = if common {
                let seed = self.env.config().seed;
                uniform_int(&mut stream(seed ^ STREAM_TRAIN_USER, episode), n_users)
            } else {
                uniform_int(&mut self.rng, n_users)
            };
            let obs = self.env.reset(user)?;
            self.running = Some(Running {
                obs,
                record: EpisodeRecord {
                    episode: self.episodes.len(),
                    user,
                    return_: 0.0,
                    steps: 0,
                    watched: 0,
                    likes: 0,
                    skips: 0,
                    session_seconds: 0.0,
                    mean_loss: None,
                    epsilon: self.agent.epsilon(),
                },
                loss_sum: 0.0,
                loss_n: 0,
            });
        }
        let run = self.running.as_mut().expect("started above");
        let candidates = self
            .env
            .session()
            .map(|s| s.candidates.clone())
            .unwrap_or_default();
        prof.begin(Phase::Act);
        let (slot, explored) = self.agent.act(&run.obs);
        prof.end(Phase::Act);
        before(&self.env, slot);
        let outcome = if common {
            let key = self.env.config().seed ^ STREAM_TRAIN_USER ^ episode.rotate_left(20);
            let mut step_rng = stream(key, run.record.steps as u64 + 1);
            self.env.step(slot, &mut step_rng, prof)?
        } else {
            self.env.step(slot, &mut self.rng, prof)?
        };
        prof.begin(Phase::Learn);
        self.agent.remember(Transition {
            obs: run.obs.clone(),
            action: slot,
            reward: outcome.reward as f32,
            next_obs: outcome.next_obs.clone(),
            done: outcome.done,
        });
        let loss = self.agent.learn();
        prof.end(Phase::Learn);
        self.steps += 1;
        let r = &mut run.record;
        r.return_ += outcome.reward;
        r.steps += 1;
        match outcome.action {
            Action::Watched => r.watched += 1,
            Action::Liked => {
                r.watched += 1;
                r.likes += 1
            }
            Action::Skipped => r.skips += 1,
            Action::SessionEnd => {}
        }
        if let Some(l) = loss {
            run.loss_sum += l as f64;
            run.loss_n += 1;
        }
        let obs = std::mem::replace(&mut run.obs, outcome.next_obs.clone());
        let user = r.user;
        let finished = if outcome.done || outcome.truncated {
            let mut run = self.running.take().expect("running");
            self.agent.end_episode();
            run.record.session_seconds = self.env.session().map_or(0.0, |s| s.seconds);
            run.record.epsilon = self.agent.epsilon();
            run.record.mean_loss =
                (run.loss_n > 0).then(|| (run.loss_sum / run.loss_n as f64) as f32);
            self.episodes.push(run.record.clone());
            self.check_divergence(&run.record, &outcome.next_obs);
            Some(run.record)
        } else {
            None
        };
        Ok(TrainStep {
            user,
            obs,
            candidates,
            slot,
            explored,
            outcome,
            loss,
            finished,
        })
    }

    /// The divergence detected, if any: training is paused (`train` returns early) until
    /// [`Trainer::clear_divergence`].
    pub fn divergence(&self) -> Option<&Divergence> {
        self.divergence.as_ref()
    }

    /// Forget a detected divergence (after the reader changed what it suggested), so that
    /// `train` runs again; a still-diverging agent trips the detector again.
    pub fn clear_divergence(&mut self) {
        self.divergence = None;
    }

    /// At the end of an episode: record a divergence (see [`crate::divergence`]) from its
    /// mean loss, the Q-values of its last observation and the updates skipped during it.
    fn check_divergence(&mut self, rec: &EpisodeRecord, last: &Observation) {
        let skipped = self.agent.skipped_updates();
        let now = skipped - self.skipped_seen;
        self.skipped_seen = skipped;
        if self.divergence.is_some() {
            return;
        }
        let q = if last.candidates.is_empty() {
            Vec::new()
        } else {
            self.agent.q_values(last)
        };
        let cfg = self.env.config();
        self.divergence = Limits::for_config(cfg).check(
            cfg,
            (rec.episode, self.steps),
            rec.mean_loss,
            &q,
            (now, skipped),
        );
    }

    /// Run whole episodes; `on_episode` sees each record as it finishes. Stops early when a
    /// divergence is detected (see [`Trainer::divergence`]).
    pub fn train<P: Profiler>(
        &mut self,
        episodes: usize,
        prof: &mut P,
        mut on_episode: impl FnMut(&EpisodeRecord),
    ) -> Result<()> {
        let target = self.episodes.len() + episodes;
        while self.episodes.len() < target && self.divergence.is_none() {
            if let Some(rec) = self.step(prof)?.finished {
                on_episode(&rec);
            }
        }
        Ok(())
    }

    /// The reader joins as a user with this profile (created once, kept across sessions), and
    /// a session starts. Any simulated episode in progress is abandoned. Returns the slot the
    /// agent picks first and the observation it picked from.
    pub fn reader_start(
        &mut self,
        age: u32,
        gender: Gender,
        region: Region,
        interests: [Category; 2],
    ) -> Result<(usize, Observation)> {
        crate::config::count("profile.age", age as usize, 1, 120)?;
        self.running = None;
        let user = match self.reader_user {
            Some(u)
                if self.env.world().users[u].region == region
                    && self.env.world().users[u].gender == gender
                    && self.env.world().users[u].interests == interests
                    && self.env.world().users[u].age == age =>
            {
                u
            }
            _ => {
                let u = self.env.add_user(age, gender, region, interests);
                self.reader_user = Some(u);
                u
            }
        };
        let obs = self.env.reset(user)?;
        let (slot, explored) = self.agent.act(&obs);
        self.reader = Some(ReaderSession {
            user,
            obs: obs.clone(),
            slot,
            explored,
        });
        Ok((slot, obs))
    }

    /// The reader's response to the video in the chosen slot: recorded in the filter and the
    /// replay buffer, followed by `updates` replay updates. Returns the outcome, the losses, and
    /// the next (slot, observation) unless the session ended.
    pub fn reader_respond(
        &mut self,
        action: Action,
        seconds: f64,
        updates: usize,
    ) -> Result<ReaderStep> {
        let reader = self
            .reader
            .take()
            .ok_or_else(|| Error::State("no reader session: call userStart first".into()))?;
        let outcome = match self
            .env
            .respond(reader.slot, action, seconds, &mut NoProfiler)
        {
            Ok(o) => o,
            Err(e) => {
                self.reader = Some(reader);
                return Err(e);
            }
        };
        self.steps += 1;
        self.agent.remember(Transition {
            obs: reader.obs,
            action: reader.slot,
            reward: outcome.reward as f32,
            next_obs: outcome.next_obs.clone(),
            done: outcome.done,
        });
        let losses: Vec<f32> = (0..updates).filter_map(|_| self.agent.learn()).collect();
        let next = if outcome.done || outcome.truncated {
            None
        } else {
            let (slot, explored) = self.agent.act(&outcome.next_obs);
            self.reader = Some(ReaderSession {
                user: reader.user,
                obs: outcome.next_obs.clone(),
                slot,
                explored,
            });
            Some((slot, outcome.next_obs.clone()))
        };
        Ok(ReaderStep {
            outcome,
            losses,
            next,
        })
    }

    /// The reader's pending recommendation, if a reader session is open: the user, the slot
    /// chosen, the observation and the candidates it was chosen from.
    pub fn reader_pending(&self) -> Option<(usize, usize, &Observation, &[Candidate])> {
        let r = self.reader.as_ref()?;
        let cands = self.env.session().map_or(&[][..], |s| &s.candidates[..]);
        Some((r.user, r.slot, &r.obs, cands))
    }

    /// The reader's user id, once `reader_start` has created it (kept across sessions).
    pub fn reader_user(&self) -> Option<usize> {
        self.reader_user
    }

    /// Whether the agent picked the reader's pending card by exploring (the flag
    /// `Agent::act` returned, as `TrainStep::explored` for training steps); `None` without a
    /// reader session.
    pub fn reader_explored(&self) -> Option<bool> {
        self.reader.as_ref().map(|r| r.explored)
    }
}

/// The result of the reader's response.
#[derive(Debug, Clone)]
pub struct ReaderStep {
    /// What the step did.
    pub outcome: StepOutcome,
    /// Losses of the replay updates that ran.
    pub losses: Vec<f32>,
    /// The next recommendation (slot, observation), unless the session ended.
    pub next: Option<(usize, Observation)>,
}

/// A policy's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    /// Mean return per episode.
    pub mean_return: f64,
    /// Half-width of its 95% confidence interval.
    pub ci95: f64,
    /// Mean session length in seconds.
    pub mean_session_seconds: f64,
    /// Mean videos watched per session.
    pub mean_watched: f64,
    /// Impressions during evaluation: creator concentration and catalogue reach.
    pub marketplace: Marketplace,
    /// Skill: over every decision of every session, the sum of `E[r | chosen] - mean over the
    /// candidates of E[r]` divided by the sum of `max E[r] - mean E[r]`, from the response
    /// model's exact expected rewards. A uniformly random choice scores 0 in expectation, the
    /// oracle exactly 1, on any world however it drifts; the reward noise does not enter.
    pub skill: f64,
    /// Half-width of the 95% interval of `skill`, by the delta method for a ratio estimator
    /// over independent sessions (see [`crate::stats::ratio_ci95`]).
    pub skill_ci95: f64,
    /// Each episode's return (same order as the user draws, so policies pair up).
    #[serde(skip)]
    pub returns: Vec<f64>,
    /// Each episode's skill numerator: sum over its decisions of `E[r|chosen] - mean E[r]`.
    #[serde(skip)]
    pub skill_num: Vec<f64>,
    /// Each episode's skill denominator: sum over its decisions of `max E[r] - mean E[r]`.
    #[serde(skip)]
    pub skill_den: Vec<f64>,
}

impl EvalResult {
    /// This policy minus `other`, paired session by session (both must come from the same
    /// held-out draws: same `n` and seed).
    pub fn minus(&self, other: &EvalResult) -> PairedDifference {
        let (r, r_ci) = paired_diff_ci95(&self.returns, &other.returns);
        let (s, s_ci) = paired_ratio_diff_ci95(
            &self.skill_num,
            &self.skill_den,
            &other.skill_num,
            &other.skill_den,
        );
        PairedDifference {
            mean_return: r,
            mean_return_ci95: r_ci,
            skill: s,
            skill_ci95: s_ci,
        }
    }
}

/// A paired difference between two policies evaluated on the same held-out sessions with the
/// same random numbers (tighter than the two separate intervals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedDifference {
    /// Difference of mean returns.
    pub mean_return: f64,
    /// Half-width of its 95% interval (over the per-session differences).
    pub mean_return_ci95: f64,
    /// Difference of skills.
    pub skill: f64,
    /// Half-width of its 95% interval (delta method on the paired linearisations).
    pub skill_ci95: f64,
}

/// Expected reward of every candidate of the session in progress under the true response
/// model (what the oracle maximises and the skill score measures against).
pub fn expected_rewards(env: &Environment) -> Vec<f64> {
    let live = &env.config().scores.live;
    let n = env.session().map_or(0, |s| s.candidates.len());
    (0..n)
        .map(|i| {
            env.expected_response(i)
                .map_or(0.0, |e| e.expected_reward(live))
        })
        .collect()
}

/// Evaluate a policy frozen (epsilon 0, no learning) for `n` episodes, each on its own copy of
/// `env`: every held-out session starts from the same (trained) state, so sessions are
/// independent draws and the 95% interval means what it says. Within a session the user's
/// interactions still reach the filter, as in training. Episode `k` draws its user, and step
/// `t` its random numbers, from streams keyed by `(seed, k, t)` only, so every policy meets the
/// same users with the same moods: common random numbers make the comparison between policies
/// far less noisy.
pub fn evaluate(
    env: &Environment,
    agent: Option<&Agent>,
    policy: PolicyKind,
    n: usize,
    seed: u64,
) -> Result<EvalResult> {
    if policy == PolicyKind::Dqn && agent.is_none() {
        return Err(Error::State("evaluating the DQN needs an agent".into()));
    }
    evaluate_with(env, n, seed, |env, rng| policy.choose(env, agent, rng))
}

/// [`evaluate`], calling `on_session` after each held-out session (for a progress bar).
pub fn evaluate_progress(
    env: &Environment,
    agent: Option<&Agent>,
    policy: PolicyKind,
    n: usize,
    seed: u64,
    on_session: &mut dyn FnMut(),
) -> Result<EvalResult> {
    if policy == PolicyKind::Dqn && agent.is_none() {
        return Err(Error::State("evaluating the DQN needs an agent".into()));
    }
    evaluate_sessions(
        env,
        n,
        seed,
        |env, rng| policy.choose(env, agent, rng),
        on_session,
    )
}

/// [`evaluate`] for any rule that picks a slot of the session in progress (for analyses that
/// compare the agent with learners outside [`PolicyKind`]); same sessions, same random numbers.
pub fn evaluate_with(
    env: &Environment,
    n: usize,
    seed: u64,
    choose: impl FnMut(&Environment, &mut CoreRng) -> usize,
) -> Result<EvalResult> {
    evaluate_sessions(env, n, seed, choose, &mut || {})
}

fn evaluate_sessions(
    env: &Environment,
    n: usize,
    seed: u64,
    mut choose: impl FnMut(&Environment, &mut CoreRng) -> usize,
    on_session: &mut dyn FnMut(),
) -> Result<EvalResult> {
    let n_users = env.config().world.n_users;
    let n_steps = env.config().env.n_steps;
    let mut shown = vec![0u64; env.impressions().len()];
    let mut returns = Vec::with_capacity(n);
    let mut seconds = Vec::with_capacity(n);
    let mut watched = Vec::with_capacity(n);
    let (mut skill_num, mut skill_den) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut policy_rng = stream(seed, STREAM_EVAL_POLICY);
    // Each session runs on a copy of `env` (see `Environment::trial`).
    let mut spare: Option<Environment> = None;
    for k in 0..n {
        let mut draw = stream(seed ^ STREAM_EVAL, k as u64);
        let user = uniform_int(&mut draw, n_users);
        env.trial(&mut spare, |session_env| -> Result<()> {
            session_env.reset(user)?;
            let (mut ret, mut w) = (0.0, 0.0);
            let (mut num, mut den) = (0.0, 0.0);
            for t in 0..n_steps {
                let slot = choose(session_env, &mut policy_rng);
                let e = expected_rewards(session_env);
                if let Some(&chosen) = e.get(slot) {
                    let m = mean(&e);
                    let best = e.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    num += chosen - m;
                    den += best - m;
                }
                let mut step_rng =
                    stream(seed ^ STREAM_EVAL ^ (k as u64).rotate_left(20), t as u64);
                let out = session_env.step(slot, &mut step_rng, &mut NoProfiler)?;
                shown[out.video] += 1;
                ret += out.reward;
                if out.action.completes_video() {
                    w += 1.0;
                }
                if out.done || out.truncated {
                    break;
                }
            }
            returns.push(ret);
            watched.push(w);
            skill_num.push(num);
            skill_den.push(den);
            seconds.push(session_env.session().map_or(0.0, |s| s.seconds));
            Ok(())
        })?;
        on_session();
    }
    let world = env.world();
    let (skill, skill_ci95) = ratio_ci95(&skill_num, &skill_den);
    Ok(EvalResult {
        skill,
        skill_ci95,
        skill_num,
        skill_den,
        mean_return: mean(&returns),
        ci95: ci95(&returns),
        mean_session_seconds: mean(&seconds),
        mean_watched: mean(&watched),
        marketplace: Marketplace::from_impressions(
            &shown,
            |v| world.videos[v].creator,
            world.n_creators,
        ),
        returns,
    })
}

/// The seed of the held-out evaluation draws: distinct from the training streams, and the same
/// for every policy evaluated on one configuration.
pub fn eval_seed(cfg: &Config) -> u64 {
    cfg.seed.wrapping_add(0x5EED_0000)
}

/// One policy at one point of the learning curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CurveEntry {
    /// Skill on the panel.
    pub skill: f64,
    /// Half-width of its 95% interval.
    pub skill_ci95: f64,
    /// Mean return on the panel.
    pub mean_return: f64,
}

/// One point of the learning curve: after `episode` training episodes, the frozen greedy agent
/// (`dqn`, whatever its kind) and every baseline evaluated on the current world, on the panel
/// of held-out sessions (`experiment.curve_sessions` users and random numbers fixed by the
/// seed, the same at every point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Training episodes finished.
    pub episode: usize,
    /// Policy name (`dqn`, `random`, `most_viewed`, `greedy`, `oracle`) -> its figures.
    pub policies: BTreeMap<String, CurveEntry>,
}

impl Trainer {
    /// A learning-curve point now: the frozen greedy agent and every baseline on the current
    /// world, `sessions` held-out sessions each (the panel: users and random numbers fixed by
    /// the configuration's seed). Reads the trainer only: training afterwards is exactly as
    /// without the call. Cost: five evaluations of `sessions` sessions (0.7 s at 100 sessions
    /// on the default world natively with the machine loaded; see the README).
    pub fn curve_point(&self, sessions: usize) -> Result<CurvePoint> {
        let mut policies = BTreeMap::new();
        for p in PolicyKind::ALL {
            policies.insert(p.name().to_string(), self.curve_entry(p, sessions)?);
        }
        Ok(CurvePoint {
            episode: self.episodes.len(),
            policies,
        })
    }

    /// One policy's entry of [`Trainer::curve_point`] (the same figures): a point computed a
    /// policy at a time, with nothing changing the trainer in between, equals one computed at
    /// once. The page's Worker does this, so that a point at the `large` world (about 0.4 s)
    /// never keeps a pause or a parameter change waiting for longer than one policy's share.
    pub fn curve_entry(&self, policy: PolicyKind, sessions: usize) -> Result<CurveEntry> {
        let seed = eval_seed(self.env.config());
        let r = evaluate(&self.env, Some(&self.agent), policy, sessions.max(1), seed)?;
        Ok(CurveEntry {
            skill: r.skill,
            skill_ci95: r.skill_ci95,
            mean_return: r.mean_return,
        })
    }
}

/// Everything a run of the experiment produces.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExperimentReport {
    /// The configuration.
    pub config: Config,
    /// The per-episode training series.
    pub episodes: Vec<EpisodeRecord>,
    /// The learning curve (empty when `experiment.eval_every` is 0): a list of
    /// `{episode, policies: {<policy>: {skill, skill_ci95, mean_return}}}`.
    #[serde(default)]
    pub curve: Vec<CurvePoint>,
    /// Each policy's evaluation, by name (`dqn`, `random`, `most_viewed`, `greedy`, `oracle`).
    pub evaluation: BTreeMap<String, EvalResult>,
    /// Impressions during training.
    pub training_marketplace: Marketplace,
    /// `(dqn - random) / (oracle - random)`: share of the gap to the oracle the DQN closes;
    /// `None` (JSON `null`) when the oracle does not beat random by more than the noise (see
    /// [`learning_score`]), so no ratio is printed.
    pub learning_score: Option<f64>,
    /// The trained agent's skill (`evaluation.dqn.skill`): the headline figure.
    pub skill: f64,
    /// Half-width of its 95% interval.
    pub skill_ci95: f64,
    /// For every baseline, the trained agent minus that baseline, paired over the same
    /// held-out sessions: `paired.<policy>.{mean_return, mean_return_ci95, skill, skill_ci95}`.
    pub paired: BTreeMap<String, PairedDifference>,
    /// The divergence that stopped training early, if any.
    pub divergence: Option<Divergence>,
    /// Updates skipped during training because their loss was not finite.
    pub skipped_updates: u64,
}

/// `(dqn - random) / (oracle - random)`, or `None` when the oracle's mean return does not
/// exceed random's by more than the combined 95% half-widths `sqrt(ci_o^2 + ci_r^2)`: the
/// ratio would then divide by noise (or by a negative gap) and mean nothing.
pub fn learning_score(dqn: &EvalResult, random: &EvalResult, oracle: &EvalResult) -> Option<f64> {
    let gap = oracle.mean_return - random.mean_return;
    let noise = oracle.ci95.hypot(random.ci95);
    (gap > noise && gap > 1e-12).then(|| (dqn.mean_return - random.mean_return) / gap)
}

/// Train for `cfg.experiment.episodes`, then evaluate the DQN and every baseline on the
/// trained world with `cfg.experiment.eval_episodes` held-out user draws each.
pub fn run_experiment<P: Profiler>(
    cfg: &Config,
    prof: &mut P,
    on_episode: impl FnMut(&EpisodeRecord),
) -> Result<ExperimentReport> {
    let mut trainer = Trainer::new(cfg)?;
    let curve = train_with_curve(&mut trainer, cfg, prof, on_episode)?;
    let mut r = report(cfg, &trainer)?;
    r.curve = curve;
    Ok(r)
}

/// Train a fresh `trainer` for `cfg.experiment.episodes`, taking a learning-curve point at
/// the start and every `cfg.experiment.eval_every` episodes (none when it is 0); stops early,
/// with the points so far, when training diverges (see [`Trainer::divergence`]).
pub fn train_with_curve<P: Profiler>(
    trainer: &mut Trainer,
    cfg: &Config,
    prof: &mut P,
    mut on_episode: impl FnMut(&EpisodeRecord),
) -> Result<Vec<CurvePoint>> {
    let (every, total) = (cfg.experiment.eval_every, cfg.experiment.episodes);
    if every == 0 {
        trainer.train(total, prof, on_episode)?;
        return Ok(Vec::new());
    }
    let mut curve = vec![trainer.curve_point(cfg.experiment.curve_sessions)?];
    while trainer.episodes().len() < total && trainer.divergence().is_none() {
        let chunk = every.min(total - trainer.episodes().len());
        trainer.train(chunk, prof, &mut on_episode)?;
        curve.push(trainer.curve_point(cfg.experiment.curve_sessions)?);
    }
    Ok(curve)
}

/// The report of a `trainer` trained from `cfg`: its training series and marketplace, and
/// the DQN and every baseline evaluated on `cfg.experiment.eval_episodes` held-out sessions.
pub fn report(cfg: &Config, trainer: &Trainer) -> Result<ExperimentReport> {
    report_progress(cfg, trainer, &mut || {})
}

/// [`report`], calling `on_session` after each held-out session of each policy
/// (`5 * cfg.experiment.eval_episodes` calls in all).
pub fn report_progress(
    cfg: &Config,
    trainer: &Trainer,
    on_session: &mut dyn FnMut(),
) -> Result<ExperimentReport> {
    let env = trainer.env();
    let world = env.world();
    let training_marketplace = Marketplace::from_impressions(
        env.impressions(),
        |v| world.videos[v].creator,
        world.n_creators,
    );
    let eval_seed = eval_seed(cfg);
    let mut evaluation = BTreeMap::new();
    for p in PolicyKind::ALL {
        let r = evaluate_progress(
            env,
            Some(trainer.agent()),
            p,
            cfg.experiment.eval_episodes,
            eval_seed,
            on_session,
        )?;
        evaluation.insert(p.name().to_string(), r);
    }
    let learning_score = learning_score(
        &evaluation["dqn"],
        &evaluation["random"],
        &evaluation["oracle"],
    );
    let dqn = &evaluation[PolicyKind::Dqn.name()];
    let paired = PolicyKind::BASELINES
        .iter()
        .map(|p| (p.name().to_string(), dqn.minus(&evaluation[p.name()])))
        .collect();
    Ok(ExperimentReport {
        config: cfg.clone(),
        episodes: trainer.episodes().to_vec(),
        curve: Vec::new(),
        skill: dqn.skill,
        skill_ci95: dqn.skill_ci95,
        paired,
        evaluation,
        training_marketplace,
        learning_score,
        divergence: trainer.divergence().cloned(),
        skipped_updates: trainer.agent().skipped_updates(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Config {
        let mut c = Config::default_preset();
        c.world.n_videos = 400;
        c.world.n_users = 40;
        c.experiment.episodes = 30;
        c.experiment.eval_episodes = 40;
        c
    }

    #[test]
    fn same_config_and_seed_give_identical_results() {
        for mut cfg in [
            small(),
            Config {
                preset: crate::config::Preset::Seed,
                ..small()
            },
        ] {
            if cfg.preset == crate::config::Preset::Seed {
                cfg.agent = crate::agent::AgentConfig::seed_preset();
            }
            let a = run_experiment(&cfg, &mut NoProfiler, |_| {}).unwrap();
            let b = run_experiment(&cfg, &mut NoProfiler, |_| {}).unwrap();
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&b).unwrap()
            );
            let mut other = cfg.clone();
            other.seed += 1;
            let c = run_experiment(&other, &mut NoProfiler, |_| {}).unwrap();
            assert_ne!(a.episodes, c.episodes);
        }
    }

    #[test]
    fn oracle_beats_random_and_evaluation_uses_common_users() {
        let cfg = small();
        let env = Environment::new(&cfg).unwrap();
        let r = evaluate(&env, None, PolicyKind::Random, 200, 5).unwrap();
        let o = evaluate(&env, None, PolicyKind::Oracle, 200, 5).unwrap();
        assert!(
            o.mean_return > r.mean_return + r.ci95,
            "oracle {o:?} random {r:?}"
        );
        assert!(evaluate(&env, None, PolicyKind::Dqn, 5, 5).is_err());
        // The same seed evaluates the same way twice.
        assert_eq!(
            evaluate(&env, None, PolicyKind::Greedy, 50, 5).unwrap(),
            evaluate(&env, None, PolicyKind::Greedy, 50, 5).unwrap()
        );
    }

    #[test]
    fn skill_is_zero_for_random_one_for_the_oracle_and_matches_brute_force() {
        let cfg = small();
        let env = Environment::new(&cfg).unwrap();
        let o = evaluate(&env, None, PolicyKind::Oracle, 60, 3).unwrap();
        assert!((o.skill - 1.0).abs() < 1e-12, "{}", o.skill);
        let r = evaluate(&env, None, PolicyKind::Random, 400, 3).unwrap();
        assert!(
            r.skill.abs() <= r.skill_ci95,
            "{} ± {}",
            r.skill,
            r.skill_ci95
        );
        assert!(r.skill_ci95 > 0.0 && r.skill_ci95 < 0.2);
        let g = evaluate(&env, None, PolicyKind::Greedy, 60, 3).unwrap();
        assert!(g.skill > r.skill + r.skill_ci95 && g.skill < 1.0);
        // Brute force: the last slot every time, scored by the response model directly (not
        // the oracle's table), summed over every decision.
        let model = crate::sim::behaviour::ResponseModel::new(&cfg.behaviour);
        let (mut num, mut den) = (0.0, 0.0);
        let last = evaluate_with(&env, 30, 9, |env, _| {
            let s = env.session().unwrap();
            let user = &env.world().users[s.user];
            let e: Vec<f64> = s
                .candidates
                .iter()
                .map(|c| {
                    model
                        .expected_live(user, env.world().videos[c.video].category)
                        .expected_reward(&cfg.scores.live)
                })
                .collect();
            let m = e.iter().sum::<f64>() / e.len() as f64;
            let best = e.iter().copied().fold(f64::MIN, f64::max);
            num += e[e.len() - 1] - m;
            den += best - m;
            e.len() - 1
        })
        .unwrap();
        assert!(
            (last.skill - num / den).abs() < 1e-9,
            "{} {}",
            last.skill,
            num / den
        );
        // The paired difference of a policy with itself is exactly zero.
        let d = g.minus(&g);
        assert_eq!((d.skill, d.skill_ci95, d.mean_return), (0.0, 0.0, 0.0));
    }

    #[test]
    fn curve_points_do_not_perturb_training() {
        let mut cfg = small();
        cfg.experiment.episodes = 12;
        cfg.experiment.curve_sessions = 5;
        cfg.experiment.eval_every = 0;
        let plain = run_experiment(&cfg, &mut NoProfiler, |_| {}).unwrap();
        assert!(plain.curve.is_empty());
        cfg.experiment.eval_every = 5;
        let curved = run_experiment(&cfg, &mut NoProfiler, |_| {}).unwrap();
        assert_eq!(plain.episodes, curved.episodes);
        assert_eq!(plain.evaluation, curved.evaluation);
        let at: Vec<usize> = curved.curve.iter().map(|p| p.episode).collect();
        assert_eq!(at, vec![0, 5, 10, 12]);
        for p in &curved.curve {
            assert_eq!(p.policies.len(), PolicyKind::ALL.len());
            assert!((p.policies["oracle"].skill - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn common_draws_give_different_agents_the_same_users() {
        let users = |common: bool, kind: crate::agent::AgentKind| {
            let mut cfg = small();
            cfg.experiment.common_draws = common;
            cfg.agent.kind = kind;
            let mut t = Trainer::new(&cfg).unwrap();
            t.train(30, &mut NoProfiler, |_| {}).unwrap();
            t.episodes().iter().map(|e| e.user).collect::<Vec<_>>()
        };
        use crate::agent::AgentKind::{Bandit, Dqn};
        // One shared sequence: the agents' sessions differ in length, so they drift apart.
        assert_ne!(users(false, Dqn), users(false, Bandit));
        assert_eq!(users(true, Dqn), users(true, Bandit));
        // The streams differ from the notebook's sequence, and the seed preset keeps it.
        assert_ne!(users(true, Dqn), users(false, Dqn));
        assert!(!Config::seed_preset().experiment.common_draws);
    }

    #[test]
    fn episodes_are_recorded_consistently() {
        let cfg = small();
        let mut t = Trainer::new(&cfg).unwrap();
        t.train(20, &mut NoProfiler, |_| {}).unwrap();
        assert_eq!(t.episodes().len(), 20);
        for (i, e) in t.episodes().iter().enumerate() {
            assert_eq!(e.episode, i);
            assert!(e.steps >= 1 && e.steps <= cfg.env.n_steps);
            assert!(e.likes <= e.watched);
            assert!(e.watched + e.skips <= e.steps as u32);
            assert!(e.session_seconds > 0.0);
        }
    }

    #[test]
    fn the_reader_session_reaches_the_agent() {
        let cfg = small();
        let mut t = Trainer::new(&cfg).unwrap();
        assert!(t.reader_respond(Action::Watched, 6.0, 1).is_err());
        t.reader_start(
            25,
            Gender::F,
            Region::West,
            [Category::Tech, Category::Food],
        )
        .unwrap();
        let before = t.agent().replay_len();
        let step = t.reader_respond(Action::Liked, 6.0, 1).unwrap();
        assert_eq!(step.outcome.reward, 2.0);
        assert_eq!(t.agent().replay_len(), before + 1);
        assert!(step.next.is_some());
        let end = t.reader_respond(Action::SessionEnd, 1.0, 1).unwrap();
        assert!(end.next.is_none());
        assert!(t.reader_respond(Action::Watched, 6.0, 1).is_err());
    }
}
