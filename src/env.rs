//! The environment: one episode is one session of one user (notebook cell 30). The user's
//! response follows the simulator's model, the reward follows the live score table, and every
//! interaction is fed back into the collaborative filter.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::agent::{CandidateFeatures, Observation};
use crate::cf::candidates::{business_score, generate, Candidate};
use crate::cf::CollaborativeFilter;
use crate::config::{CfConfig, Config};
use crate::error::{Error, Result};
use crate::interests::{is_positive, is_positive_reader, InterestModel, InterestSource};
use crate::profile::{Phase, Profiler};
use crate::rng::uniform;
use crate::sim::behaviour::{Action, ExpectedResponse, ExpectedTable, ResponseModel};
use crate::sim::history::{generate_history, HistoryRow};
use crate::sim::world::{Category, World};

/// The state of the session in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The user.
    pub user: usize,
    /// Steps taken so far.
    pub step: usize,
    /// Videos watched (or liked) this session.
    pub videos: u32,
    /// Seconds spent this session.
    pub seconds: f64,
    /// Category of the last video shown (from the history before the first step).
    pub last_category: Category,
    /// Last action (from the history before the first step).
    pub last_action: Action,
    /// The candidates the next action chooses among.
    pub candidates: Vec<Candidate>,
    /// Whether the session is over (ended by the user or by the step limit).
    pub over: bool,
}

/// What one step did.
#[derive(Debug, Clone, PartialEq)]
pub struct StepOutcome {
    /// The video shown.
    pub video: usize,
    /// The slot it was in.
    pub slot: usize,
    /// The user's response.
    pub action: Action,
    /// The reward (live score of the action).
    pub reward: f64,
    /// The user ended the session (the notebook's `done`: the only terminal signal that
    /// stops bootstrapping).
    pub done: bool,
    /// The step limit was reached (the episode stops, but this is not a terminal state).
    pub truncated: bool,
    /// The observation after the step.
    pub next_obs: Observation,
}

/// The simulated platform: world, filter, and the session in progress.
#[derive(Debug, Clone)]
pub struct Environment {
    cfg: Config,
    world: World,
    cf: CollaborativeFilter,
    /// Per user: last category and action at the end of the history (the notebook's
    /// `state_df.iloc[-1]`): the previous row's within the same session, else the notebook's
    /// fill values `animals` and `session_end`.
    start_state: Vec<(Category, Action)>,
    /// Times each video was shown by this environment (for the marketplace figures).
    impressions: Vec<u64>,
    /// The response model's expectations, for the oracle.
    expected: ExpectedTable,
    /// Predicted interests, updated with every interaction (used by the business score and
    /// the observation when `interests.source` is `predicted`).
    interests: InterestModel,
    session: Option<Session>,
    /// The candidate settings (weights) the current candidate list was scored with: live
    /// weight changes apply from the next list, so explanations read these.
    scored_with: CfConfig,
    /// With `cf.discovery_slots`: per category, its videos by views at the first use (most
    /// viewed first, ties by id); built on first use, empty until then.
    discovery: Vec<Vec<u32>>,
    /// While a trial runs (see [`Environment::trial`]): what it changed, to put back.
    trial: Option<Box<EnvTrial>>,
}

/// What a trial of the environment changed outside the filter (which keeps its own journal),
/// oldest first, and what it saved whole at the start (small, or rarely changed).
#[derive(Debug, Clone)]
struct EnvTrial {
    /// (video, views before).
    views: Vec<(u32, i64)>,
    /// (video, impressions before).
    impressions: Vec<(u32, u64)>,
    interests: Vec<crate::interests::InterestSave>,
    interest_base: crate::interests::InterestBase,
    n_users: usize,
    session: Option<Session>,
    cfg: Config,
    scored_with: CfConfig,
    /// Whether the discovery lists were still unbuilt (built on first use).
    no_discovery: bool,
}

impl Environment {
    /// Generate the world and its history from `cfg.seed`, and build the filter. Refuses,
    /// before allocating, a configuration whose estimated memory exceeds the budget (see
    /// [`crate::budget`]).
    pub fn new(cfg: &Config) -> Result<Self> {
        cfg.validate()?;
        crate::budget::check(cfg)?;
        let mut rng = crate::rng::stream(cfg.seed, STREAM_WORLD);
        let mut world = World::generate(&cfg.world, &mut rng);
        let history = generate_history(&mut world, cfg, &mut rng);
        let log = score_log(cfg, &history);
        let cf = CollaborativeFilter::build(&cfg.cf, world.videos.len(), world.users.len(), &log);
        Ok(Self::from_parts(cfg, world, &history, cf))
    }

    /// Assemble an environment from a world, its history and the filter built from it (the
    /// staged builder's last step; `new` does all of it at once). `cfg` must be validated.
    pub(crate) fn from_parts(
        cfg: &Config,
        world: World,
        history: &[HistoryRow],
        cf: CollaborativeFilter,
    ) -> Self {
        let start_state = start_states(&world, history);
        let mut interests = InterestModel::new(world.users.len(), cfg.interests.prior_strength);
        for r in history {
            let u = &world.users[r.user];
            interests.record(
                r.user,
                u.region,
                world.videos[r.video].category,
                is_positive(r.action),
            );
        }
        let impressions = vec![0; world.videos.len()];
        let expected = ExpectedTable::new(&cfg.behaviour);
        Environment {
            cfg: cfg.clone(),
            world,
            cf,
            start_state,
            impressions,
            expected,
            interests,
            session: None,
            scored_with: cfg.cf.clone(),
            discovery: Vec::new(),
            trial: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Change the business weights live (they apply from the next candidate list).
    pub fn set_weights(&mut self, w1: f64, w2: f64, w3: f64) -> Result<()> {
        let mut c = self.cfg.clone();
        c.cf.w1 = w1;
        c.cf.w2 = w2;
        c.cf.w3 = w3;
        c.validate()?;
        self.cfg = c;
        Ok(())
    }

    /// The world.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// Runs `f` on a copy of this environment and returns its result, as `f(&mut
    /// self.clone())` would. With the top-K index the copy is `spare` (made at the first call
    /// and kept there for the next ones) inside a trial that notes every change `f` makes and
    /// puts it back afterwards, instead of a fresh copy each time: evaluation runs hundreds of
    /// short sessions on copies, and at `large` copying the filter (a reference count per row,
    /// about 260,000), the world and the per-user interest counts cost several times the
    /// session. Pass the same `spare` only with the same, unchanged environment.
    pub fn trial<T>(
        &self,
        spare: &mut Option<Environment>,
        f: impl FnOnce(&mut Environment) -> T,
    ) -> T {
        if !matches!(self.cf, CollaborativeFilter::TopK(_)) {
            return f(&mut self.clone());
        }
        let env = spare.get_or_insert_with(|| self.clone());
        env.begin_trial();
        let out = f(env);
        env.end_trial();
        out
    }

    /// Start a trial: note every change from now on (see [`trial`](Self::trial)).
    fn begin_trial(&mut self) {
        if let CollaborativeFilter::TopK(t) = &mut self.cf {
            t.begin_trial();
        }
        self.trial = Some(Box::new(EnvTrial {
            views: Vec::new(),
            impressions: Vec::new(),
            interests: Vec::new(),
            interest_base: self.interests.base(),
            n_users: self.world.users.len(),
            session: self.session.clone(),
            cfg: self.cfg.clone(),
            scored_with: self.scored_with.clone(),
            no_discovery: self.discovery.is_empty(),
        }));
    }

    /// End a trial: put back everything it changed.
    fn end_trial(&mut self) {
        if let CollaborativeFilter::TopK(t) = &mut self.cf {
            t.end_trial();
        }
        let Some(t) = self.trial.take() else {
            return;
        };
        for &(v, views) in t.views.iter().rev() {
            self.world.videos[v as usize].views = views;
        }
        for &(v, n) in t.impressions.iter().rev() {
            self.impressions[v as usize] = n;
        }
        for save in t.interests.into_iter().rev() {
            self.interests.restore(save);
        }
        self.interests.restore_base(t.interest_base);
        self.world.users.truncate(t.n_users);
        self.start_state.truncate(t.n_users);
        self.session = t.session;
        self.cfg = t.cfg;
        self.scored_with = t.scored_with;
        if t.no_discovery {
            self.discovery.clear();
        }
    }

    /// The collaborative filter.
    pub fn cf(&self) -> &CollaborativeFilter {
        &self.cf
    }

    /// The session in progress, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The interest predictor (whatever `interests.source` says, it is kept up to date).
    pub fn interests(&self) -> &InterestModel {
        &self.interests
    }

    /// What the platform thinks `user` likes: the predicted probability of a positive
    /// response (watched or liked) per category, indexed by `Category::id`. `None` for an
    /// unknown user.
    pub fn predicted_interests(&self, user: usize) -> Option<[f64; 8]> {
        let u = self.world.users.get(user)?;
        Some(self.interests.rates(user, u.region))
    }

    /// The interest flag the business score and the agent use for `user` and `category`:
    /// the truth or the prediction, by `interests.source`.
    pub fn interest_flag(&self, user: usize, category: Category) -> bool {
        let u = &self.world.users[user];
        match self.cfg.interests.source {
            InterestSource::True => u.likes_category(category),
            InterestSource::Predicted => self.interests.is_interest(user, u.region, category),
        }
    }

    /// Candidates from the filter, with the interest flag and business score from the
    /// prediction when `interests.source` is `predicted` (re-ordered by business score, ties
    /// in the filter's order: score, then id).
    fn candidates_for(&mut self, user: usize) -> Vec<Candidate> {
        let d = self.cfg.cf.discovery_slots;
        let mut c = generate(&mut self.cf, &self.world, user, &self.cfg.cf);
        if d > 0 && c.len() > d {
            // The filter's best by its own score keep their slots; the rest are refills for
            // discovery slots that find no video.
            c.sort_by(|a, b| {
                b.cf_score
                    .total_cmp(&a.cf_score)
                    .then(a.video.cmp(&b.video))
            });
            let refills = c.split_off(c.len() - d);
            let added = self.add_discovery(user, d, &mut c);
            c.extend(refills.into_iter().take(d - added));
            c.sort_by(|a, b| b.business.total_cmp(&a.business));
        }
        if self.cfg.interests.source == InterestSource::Predicted {
            for cand in &mut c {
                let v = &self.world.videos[cand.video];
                cand.interest = self.interest_flag(user, v.category);
                cand.business = business_score(&self.cfg.cf, cand.cf_score, v.views, cand.interest);
            }
            c.sort_by(|a, b| {
                b.business
                    .total_cmp(&a.business)
                    .then(b.cf_score.total_cmp(&a.cf_score))
                    .then(a.video.cmp(&b.video))
            });
        }
        self.scored_with.clone_from(&self.cfg.cf);
        c
    }

    /// Appends up to `d` discovery candidates to the filter's `c`, and returns how many: for
    /// each category missing from `c`, in turn from one that moves on with the user's history
    /// length, its most viewed video the user has not seen and `c` does not hold. Their filter
    /// score is 0.
    fn add_discovery(&mut self, user: usize, d: usize, c: &mut Vec<Candidate>) -> usize {
        if self.discovery.is_empty() {
            let mut by_cat = vec![Vec::new(); Category::ALL.len()];
            for v in &self.world.videos {
                by_cat[v.category.id()].push(v.id as u32);
            }
            for list in &mut by_cat {
                let views = |j: &u32| self.world.videos[*j as usize].views;
                list.sort_by(|a, b| views(b).cmp(&views(a)).then(a.cmp(b)));
            }
            self.discovery = by_cat;
        }
        let mut present = [false; Category::ALL.len()];
        for x in c.iter() {
            present[self.world.videos[x.video].category.id()] = true;
        }
        let n = Category::ALL.len();
        let start = self.cf.history_len(user) % n;
        let mut added = 0;
        for k in 0..n {
            if added == d {
                break;
            }
            let cat = (start + k) % n;
            if present[cat] {
                continue;
            }
            let pick = self.discovery[cat]
                .iter()
                .map(|&j| j as usize)
                .find(|&j| !self.cf.has_seen(user, j) && !c.iter().any(|x| x.video == j));
            if let Some(video) = pick {
                let v = &self.world.videos[video];
                let interest = self.interest_flag(user, v.category);
                c.push(Candidate {
                    video,
                    cf_score: 0.0,
                    interest,
                    business: business_score(&self.cfg.cf, 0.0, v.views, interest),
                });
                added += 1;
            }
        }
        added
    }

    /// The candidate settings (business weights) the session's current candidate list was
    /// scored with; they differ from `config().cf` after a live weight change until the next
    /// list is drawn.
    pub fn scored_with(&self) -> &CfConfig {
        &self.scored_with
    }

    /// Times each video was shown.
    pub fn impressions(&self) -> &[u64] {
        &self.impressions
    }

    /// Add a user with no history (the reader); returns its id.
    pub fn add_user(
        &mut self,
        age: u32,
        gender: crate::sim::Gender,
        region: crate::sim::Region,
        interests: [Category; 2],
    ) -> usize {
        let id = self.world.add_user(age, gender, region, interests);
        self.cf.add_user();
        self.interests.add_user();
        // A person says what they like; the predicted interests start from it.
        self.interests.declare(id, &interests);
        self.start_state
            .push((Category::Animals, Action::SessionEnd));
        id
    }

    /// Start a session of `user`; returns the first observation.
    pub fn reset(&mut self, user: usize) -> Result<Observation> {
        if user >= self.world.users.len() {
            return Err(Error::field(
                "user",
                format!("must be below {} (got {user})", self.world.users.len()),
            ));
        }
        let (last_category, last_action) = self.start_state[user];
        let candidates = self.candidates_for(user);
        self.session = Some(Session {
            user,
            step: 0,
            videos: 0,
            seconds: 0.0,
            last_category,
            last_action,
            candidates,
            over: false,
        });
        Ok(self.observation().expect("session just started"))
    }

    /// The observation of the session in progress.
    pub fn observation(&self) -> Option<Observation> {
        let s = self.session.as_ref()?;
        let u = &self.world.users[s.user];
        let numeric = if self.cfg.env.scale_features {
            [
                u.age as f32 / 30.0,
                s.videos as f32 / 50.0,
                s.seconds as f32 / 300.0,
            ]
        } else {
            [u.age as f32, s.videos as f32, s.seconds as f32]
        };
        let candidates = s
            .candidates
            .iter()
            .map(|c| CandidateFeatures {
                category: self.world.videos[c.video].category.id(),
                similarity: c.cf_score as f32,
                views: self.world.videos[c.video].views as f32 / 100.0,
                interest: if c.interest { 1.0 } else { 0.0 },
                score: c.business as f32,
            })
            .collect();
        let interests = match self.cfg.interests.source {
            InterestSource::True => u.interests,
            InterestSource::Predicted => self.interests.top2(s.user, u.region),
        };
        Some(Observation {
            numeric,
            gender: u.gender.id(),
            region: u.region.id(),
            interest1: interests[0].id(),
            interest2: interests[1].id(),
            last_category: s.last_category.id(),
            last_action: s.last_action.id(),
            candidates,
        })
    }

    /// What the oracle knows: the response probabilities for the candidate in `slot`.
    pub fn expected_response(&self, slot: usize) -> Option<ExpectedResponse> {
        let s = self.session.as_ref()?;
        let c = s.candidates.get(slot)?;
        let user = &self.world.users[s.user];
        Some(self.expected.get(user, self.world.videos[c.video].category))
    }

    /// Show the candidate in `slot` to the simulated user, who responds by the model.
    pub fn step<R: Rng, P: Profiler>(
        &mut self,
        slot: usize,
        rng: &mut R,
        prof: &mut P,
    ) -> Result<StepOutcome> {
        let (user, video) = self.chosen(slot)?;
        let category = self.world.videos[video].category;
        let action = ResponseModel::new(&self.cfg.behaviour).sample_live(
            &self.world.users[user],
            category,
            rng,
        );
        let seconds = if action.completes_video() {
            self.world.videos[video].duration
        } else {
            uniform(
                rng,
                self.cfg.behaviour.skip_seconds_min,
                self.cfg.behaviour.skip_seconds_max,
            )
        };
        Ok(self.apply(slot, video, action, seconds, is_positive(action), prof))
    }

    /// Apply a response given from outside (the reader's own swipe): `seconds` is how long the
    /// video played, clamped to its duration.
    pub fn respond<P: Profiler>(
        &mut self,
        slot: usize,
        action: Action,
        seconds: f64,
        prof: &mut P,
    ) -> Result<StepOutcome> {
        let (_, video) = self.chosen(slot)?;
        if !seconds.is_finite() || seconds < 0.0 {
            return Err(Error::field(
                "watched_seconds",
                format!("must be a finite number >= 0 (got {seconds})"),
            ));
        }
        let duration = self.world.videos[video].duration;
        let seconds = if action.completes_video() {
            duration
        } else {
            seconds.min(duration)
        };
        Ok(self.apply(
            slot,
            video,
            action,
            seconds,
            is_positive_reader(action),
            prof,
        ))
    }

    fn chosen(&self, slot: usize) -> Result<(usize, usize)> {
        let s = self
            .session
            .as_ref()
            .ok_or_else(|| Error::State("no session in progress: reset first".into()))?;
        if s.over {
            return Err(Error::State("the session is over: reset first".into()));
        }
        let c = s.candidates.get(slot).ok_or_else(|| {
            Error::field(
                "slot",
                format!("must be below {} (got {slot})", s.candidates.len()),
            )
        })?;
        Ok((s.user, c.video))
    }

    fn apply<P: Profiler>(
        &mut self,
        slot: usize,
        video: usize,
        action: Action,
        seconds: f64,
        positive: bool,
        prof: &mut P,
    ) -> StepOutcome {
        let reward = action.score(&self.cfg.scores.live);
        let done = action == Action::SessionEnd;
        if let Some(t) = &mut self.trial {
            let user = self.session.as_ref().map_or(0, |s| s.user);
            t.views.push((video as u32, self.world.videos[video].views));
            t.impressions.push((video as u32, self.impressions[video]));
            t.interests.push(self.interests.saved(user));
        }
        // The notebook counts a view for every video shown, whatever the response.
        self.world.videos[video].views += 1;
        self.impressions[video] += 1;
        let n_steps = self.cfg.env.n_steps;
        let update_first = self.cfg.env.update_before_candidates;
        let s = self.session.as_mut().expect("checked by chosen()");
        let user = s.user;
        self.interests.record(
            user,
            self.world.users[user].region,
            self.world.videos[video].category,
            positive,
        );
        s.step += 1;
        s.seconds += seconds;
        if action.completes_video() {
            s.videos += 1;
        }
        s.last_category = self.world.videos[video].category;
        s.last_action = action;
        s.over = done || s.step >= n_steps;
        let truncated = !done && s.step >= n_steps;
        if update_first {
            self.record(video, user, reward, prof);
            self.refresh_candidates(user, prof);
        } else {
            // The notebook draws the next candidates before appending this interaction.
            self.refresh_candidates(user, prof);
            self.record(video, user, reward, prof);
        }
        StepOutcome {
            video,
            slot,
            action,
            reward,
            done,
            truncated,
            next_obs: self.observation().expect("session in progress"),
        }
    }

    fn record<P: Profiler>(&mut self, video: usize, user: usize, score: f64, prof: &mut P) {
        prof.begin(Phase::CfUpdate);
        self.cf.record(video, user, score);
        prof.end(Phase::CfUpdate);
    }

    fn refresh_candidates<P: Profiler>(&mut self, user: usize, prof: &mut P) {
        prof.begin(Phase::Candidates);
        let c = self.candidates_for(user);
        if let Some(s) = self.session.as_mut() {
            s.candidates = c;
        }
        prof.end(Phase::Candidates);
    }
}

/// The random stream the world and its history are drawn from.
pub(crate) const STREAM_WORLD: u64 = 0x3041;

/// The history as the filter's log `(video, user, score)`, scored by the history table.
pub(crate) fn score_log(cfg: &Config, history: &[HistoryRow]) -> Vec<(usize, usize, f64)> {
    history
        .iter()
        .map(|r| (r.video, r.user, r.action.score(&cfg.scores.history)))
        .collect()
}

/// The notebook's initial state per user: the last history row's `last_vid_category` and
/// `last_action`, i.e. the previous row's if it is in the same session, else the fill values.
fn start_states(world: &World, history: &[HistoryRow]) -> Vec<(Category, Action)> {
    let mut out = vec![(Category::Animals, Action::SessionEnd); world.users.len()];
    let mut prev: Option<&HistoryRow> = None;
    for row in history {
        out[row.user] = match prev {
            Some(p) if p.user == row.user && p.session == row.session => {
                (world.videos[p.video].category, p.action)
            }
            _ => (Category::Animals, Action::SessionEnd),
        };
        prev = Some(row);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::NoProfiler;
    use crate::rng::stream;

    fn small(cfg: &mut Config) {
        cfg.world.n_videos = 300;
        cfg.world.n_users = 30;
    }

    /// One session from `user` with slots from `rng`: every candidate list, reward and
    /// observation's numbers as text, then the state a session leaves behind.
    fn session_trace(env: &mut Environment, user: usize, seed: u64) -> String {
        let mut rng = stream(seed, 1);
        let mut out = format!("{:?}", env.reset(user).unwrap().candidates);
        for _ in 0..env.config().env.n_steps {
            let slot = rng.gen_range(0..env.config().cf.n_candidates);
            let step = env.step(slot, &mut rng, &mut NoProfiler).unwrap();
            out += &format!(
                "{} {} {:?}",
                step.video, step.reward, step.next_obs.candidates
            );
            if step.done || step.truncated {
                break;
            }
        }
        out + &format!(
            "{:?} {:?} {:?}",
            env.impressions(),
            env.interests,
            env.world.videos.iter().map(|v| v.views).collect::<Vec<_>>()
        )
    }

    #[test]
    fn a_trial_sees_what_a_copy_sees_and_leaves_nothing_behind() {
        let mut cfg = Config::default_preset();
        small(&mut cfg);
        cfg.cf.discovery_slots = 2;
        let mut env = Environment::new(&cfg).unwrap();
        // Some training first, so the filter's rows are shared and changed.
        for user in 0..5 {
            session_trace(&mut env, user, 50 + user as u64);
        }
        let mut spare = None;
        for k in 0..8 {
            let user = (k * 7) % 30;
            let on_copy = session_trace(&mut env.clone(), user, k as u64);
            let in_trial = env.trial(&mut spare, |e| session_trace(e, user, k as u64));
            assert_eq!(in_trial, on_copy, "session {k}");
        }
        // A reader added inside a trial is gone after it.
        let n = env.world().users.len();
        env.trial(&mut spare, |e| {
            e.add_user(
                30,
                crate::sim::Gender::F,
                crate::sim::Region::East,
                [Category::Food, Category::Tech],
            );
        });
        let e = spare.as_ref().unwrap();
        assert_eq!((e.world().users.len(), e.cf().n_users()), (n, n));
        assert_eq!(
            session_trace(&mut spare.clone().unwrap(), 3, 99),
            session_trace(&mut env.clone(), 3, 99)
        );
    }

    #[test]
    fn episodes_follow_the_rules_and_feed_the_filter() {
        for mut cfg in [Config::seed_preset(), Config::default_preset()] {
            small(&mut cfg);
            let mut env = Environment::new(&cfg).unwrap();
            let mut rng = stream(3, 9);
            let rows_before = env.cf().n_recorded();
            let mut steps = 0;
            for user in 0..30 {
                let obs = env.reset(user).unwrap();
                assert_eq!(obs.candidates.len(), cfg.cf.n_candidates);
                loop {
                    let out = env.step(0, &mut rng, &mut NoProfiler).unwrap();
                    steps += 1;
                    assert_eq!(out.reward, out.action.score(&cfg.scores.live));
                    assert_eq!(out.done, out.action == Action::SessionEnd);
                    if out.done || out.truncated {
                        break;
                    }
                }
                assert!(
                    env.step(0, &mut rng, &mut NoProfiler).is_err(),
                    "stepping a finished session fails"
                );
            }
            let rows_after = env.cf().n_recorded();
            assert_eq!(rows_after, rows_before + steps as u64);
        }
    }

    #[test]
    fn discovery_slots_add_categories_the_filter_did_not_propose() {
        let lists = |d: usize| {
            let mut cfg = Config::default_preset();
            small(&mut cfg);
            cfg.cf.discovery_slots = d;
            let mut env = Environment::new(&cfg).unwrap();
            (0..cfg.world.n_users)
                .map(|u| {
                    env.reset(u).unwrap();
                    let c = env.session().unwrap().candidates.clone();
                    let cats: std::collections::BTreeSet<usize> = c
                        .iter()
                        .map(|x| env.world().videos[x.video].category.id())
                        .collect();
                    let videos: std::collections::BTreeSet<usize> =
                        c.iter().map(|x| x.video).collect();
                    assert_eq!(c.len(), cfg.cf.n_candidates);
                    assert_eq!(videos.len(), c.len(), "distinct videos");
                    assert!(c.iter().all(|x| !env.cf.has_seen(u, x.video)), "unseen");
                    assert!(
                        c.windows(2).all(|w| w[0].business >= w[1].business),
                        "ranked by business score"
                    );
                    cats.len()
                })
                .collect::<Vec<_>>()
        };
        let (plain, with) = (lists(0), lists(3));
        assert!(plain.iter().zip(&with).all(|(p, w)| w >= p));
        let more = plain.iter().zip(&with).filter(|(p, w)| w > p).count();
        assert!(
            more * 2 > plain.len(),
            "more categories for most users: {more}"
        );
    }

    #[test]
    fn the_default_never_recommends_the_video_just_shown() {
        let mut cfg = Config::default_preset();
        small(&mut cfg);
        let mut env = Environment::new(&cfg).unwrap();
        let mut rng = stream(4, 2);
        for user in 0..30 {
            env.reset(user).unwrap();
            let mut shown = Vec::new();
            loop {
                let out = env.step(0, &mut rng, &mut NoProfiler).unwrap();
                shown.push(out.video);
                let s = env.session().unwrap();
                for c in &s.candidates {
                    assert!(!shown.contains(&c.video));
                }
                if out.done || out.truncated {
                    break;
                }
            }
        }
    }

    #[test]
    fn reader_responses_are_validated() {
        let mut cfg = Config::default_preset();
        small(&mut cfg);
        let mut env = Environment::new(&cfg).unwrap();
        let me = env.add_user(
            25,
            crate::sim::Gender::F,
            crate::sim::Region::Mid,
            [Category::Tech, Category::Food],
        );
        env.reset(me).unwrap();
        assert!(env
            .respond(99, Action::Watched, 6.0, &mut NoProfiler)
            .is_err());
        assert!(env
            .respond(0, Action::Skipped, f64::NAN, &mut NoProfiler)
            .is_err());
        let out = env.respond(0, Action::Liked, 6.0, &mut NoProfiler).unwrap();
        assert_eq!(out.reward, 2.0);
        assert_eq!(env.cf().history_len(me), 1);
    }
}
