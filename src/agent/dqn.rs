//! The DQN agent: epsilon-greedy acting, experience replay, and one Adam step on the TD loss
//! per `learn()`, with an optional target network (the notebook's `Agent`, cells 22-28).

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::adam::Adam;
use super::qnet::{Inputs, QNet};
use super::replay::{blank_transition, ReplayBuffer};
use super::{
    AgentConfig, Architecture, EpsilonDecayPer, LossKind, Observation, TargetUpdate, Transition,
    MAX_CANDIDATES,
};

/// A deep-Q-learning agent choosing one of the candidate slots of an [`Observation`].
///
/// Everything random (weight init, exploration, replay sampling) comes from the `seed` given
/// to [`DqnAgent::new`]: the same seed and the same calls give bit-identical results on a
/// given platform.
#[derive(Debug, Clone)]
pub struct DqnAgent {
    cfg: AgentConfig,
    n_candidates: usize,
    /// Kept in f64 like the notebook's Python float, so the decay schedule matches it.
    epsilon: f64,
    updates: u64,
    skipped_updates: u64,
    rng: Xoshiro256PlusPlus,
    replay: ReplayBuffer,
    learner: Learner,
    /// Scratch for minibatch indices, reused between `learn()` calls.
    batch: Vec<usize>,
    /// Scratch for the minibatch decoded from the replay, reused between `learn()` calls.
    rows: Vec<Transition>,
}

/// Online network, optional target network, Adam state and the reusable gradient buffers.
#[derive(Debug, Clone)]
struct Learner {
    online: QNet,
    target: Option<QNet>,
    adam: Adam,
    /// Scratch: the loss gradient w.r.t. the Q-values, and w.r.t. the parameters.
    dq: Vec<f32>,
    grads: Vec<f32>,
}

/// What one TD step produced.
struct StepOutcome {
    loss: f32,
    applied: bool,
}

impl Learner {
    fn new(seed: u64, cfg: &AgentConfig, n_candidates: usize) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let online = QNet::init(cfg.architecture, n_candidates, &mut rng);
        let target = match cfg.target {
            TargetUpdate::None => None,
            TargetUpdate::Hard { .. } | TargetUpdate::Soft { .. } => Some(online.clone()),
        };
        Self {
            online,
            target,
            adam: Adam::new(cfg.learning_rate, cfg.weight_decay),
            dq: Vec::new(),
            grads: Vec::new(),
        }
    }

    fn inputs(&self, include_scores: bool) -> Inputs {
        self.online.inputs(include_scores)
    }

    fn q_values(&self, obs: &Observation, slots: usize, include_scores: bool) -> Vec<f32> {
        let mut inp = self.inputs(include_scores);
        let start = inp.push_all(obs, slots);
        let mut q = self.online.q_values(inp);
        q.truncate(start + slots);
        q.drain(..start);
        q
    }

    /// One gradient step on a minibatch. Bootstraps from the target network when there is
    /// one; otherwise from the online network *without detaching it*, exactly like the
    /// notebook (its `self.model(next_states).max(1)[0]` stays in the autograd graph).
    fn td_step(
        &mut self,
        batch: &[Transition],
        cfg: &AgentConfig,
        n_candidates: usize,
    ) -> StepOutcome {
        let b = batch.len();
        let gamma = cfg.gamma;
        let include = cfg.include_candidate_scores;

        // Rows for Q(s, a), plus (notebook mode) rows for Q(s', ·) in the same forward pass.
        let mut inp = self.inputs(include);
        let next_rows: usize = batch
            .iter()
            .map(|t| match self.online.layout() {
                Architecture::SlotHeads => 1,
                Architecture::PairScorer => slot_count(&t.next_obs, n_candidates),
            })
            .sum();
        inp.reserve(b + if self.target.is_none() { next_rows } else { 0 });
        let chosen: Vec<usize> = batch
            .iter()
            .map(|t| {
                let slots = slot_count(&t.obs, n_candidates);
                inp.push_one(&t.obs, t.action, slots)
            })
            .collect();
        let mut next = self.target.as_ref().map(|_| {
            let mut inp = self.inputs(include);
            inp.reserve(next_rows);
            inp
        });
        // Where each sample's next-state Q-values start, and how many there are; None when
        // there is nothing to bootstrap from (terminal step).
        let next_ranges: Vec<Option<(usize, usize)>> = batch
            .iter()
            .map(|t| {
                let slots = slot_count(&t.next_obs, n_candidates);
                if t.done || slots == 0 {
                    return None;
                }
                let rows = next.as_mut().unwrap_or(&mut inp);
                Some((rows.push_all(&t.next_obs, slots), slots))
            })
            .collect();

        let pass = self.online.forward(inp);
        let q = pass.q();
        // The target network's Q-values for every next state, in one forward pass.
        let next_q = match (&self.target, next) {
            (Some(net), Some(inp)) if inp.rows() > 0 => net.q_values(inp),
            _ => Vec::new(),
        };

        // Each sample regresses `pred` onto `target`. `pred` is Q(s, a), plus in notebook mode
        // `w * Q(s', argmax)` with `w = -gamma * (1 - done)`: the notebook's
        // MSE(Q(s,a), r + gamma * max_a' Q(s',a') * (1 - done)), gradients through both terms.
        self.dq.clear();
        self.dq.resize(q.len(), 0.0);
        let scale = 1.0 / b as f32;
        let mut loss = 0.0f32;
        for (i, t) in batch.iter().enumerate() {
            let not_done = 1.0 - f32::from(u8::from(t.done));
            let (mut pred, mut target, mut bootstrap) = (q[chosen[i]], t.reward, None);
            match (self.target.is_some(), next_ranges[i]) {
                // target = reward + gamma * max_a' Q_target(s', a') * (1 - done)
                (true, Some((s, n))) => target += gamma * max(&next_q[s..s + n]) * not_done,
                (false, Some((s, n))) => {
                    let pick = s + argmax(&q[s..s + n]);
                    let w = -gamma * not_done;
                    pred += w * q[pick];
                    bootstrap = Some((pick, w));
                }
                (_, None) => {}
            }
            let (l, g) = loss_and_slope(cfg.loss, pred - target);
            loss += l * scale;
            self.dq[chosen[i]] += g * scale;
            if let Some((pick, w)) = bootstrap {
                self.dq[pick] += w * g * scale;
            }
        }

        // A non-finite loss would poison every weight through Adam's moments: drop the step.
        let applied = loss.is_finite();
        if applied {
            self.online.backward(&pass, &self.dq, &mut self.grads);
            if let Some(max_norm) = cfg.grad_clip {
                clip_global_norm(&mut self.grads, max_norm);
            }
            self.adam.update(self.online.params_mut(), &self.grads);
        }
        StepOutcome { loss, applied }
    }

    /// Target-network bookkeeping after update number `updates`.
    fn follow(&mut self, target: TargetUpdate, updates: u64) {
        match (target, self.target.as_mut()) {
            // Copy every `every` updates.
            (TargetUpdate::Hard { every }, Some(t))
                if updates.is_multiple_of(u64::from(every.max(1))) =>
            {
                t.clone_from(&self.online)
            }
            // target = tau * online + (1 - tau) * target
            (TargetUpdate::Soft { tau }, Some(t)) => {
                for (t, &o) in t.params_mut().iter_mut().zip(self.online.params()) {
                    *t = *t * (1.0 - tau) + o * tau;
                }
            }
            _ => {}
        }
    }

    /// Creates or drops the target network to match `target`.
    fn set_target_kind(&mut self, target: TargetUpdate) {
        match target {
            TargetUpdate::None => self.target = None,
            TargetUpdate::Hard { .. } | TargetUpdate::Soft { .. } => {
                if self.target.is_none() {
                    self.target = Some(self.online.clone());
                }
            }
        }
    }
}

/// One sample's loss for the error `x = pred - target`, and its derivative in `x`: squared
/// error, or Huber with delta 1 (dfdx's and PyTorch's definitions; averaged over the batch by
/// the caller).
fn loss_and_slope(kind: LossKind, x: f32) -> (f32, f32) {
    match kind {
        LossKind::Mse => (x * x, 2.0 * x),
        LossKind::Huber if x.abs() < 1.0 => (0.5 * x * x, x),
        LossKind::Huber => (x.abs() - 0.5, x.signum()),
    }
}

/// Scales `grads` so that their global L2 norm is at most `max_norm` (PyTorch's
/// `clip_grad_norm_`); returns the norm before clipping.
pub(crate) fn clip_global_norm(grads: &mut [f32], max_norm: f32) -> f32 {
    let norm = grads
        .iter()
        .map(|&g| f64::from(g) * f64::from(g))
        .sum::<f64>()
        .sqrt() as f32;
    if norm.is_finite() && norm > max_norm && norm > 0.0 {
        let k = max_norm / norm;
        grads.iter_mut().for_each(|g| *g *= k);
    }
    norm
}

/// Number of usable slots of `obs`: its candidates, at most `n_candidates`.
fn slot_count(obs: &Observation, n_candidates: usize) -> usize {
    obs.candidates.len().min(n_candidates)
}

/// Index of the first largest value; NaN never wins (so it cannot be chosen over a number).
fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] || (values[best].is_nan() && !v.is_nan()) {
            best = i;
        }
    }
    best
}

fn max(values: &[f32]) -> f32 {
    values[argmax(values)]
}

impl DqnAgent {
    /// A fresh agent. `n_candidates` in `1..=MAX_CANDIDATES` (the caller validates; other
    /// values are clamped). `cfg.hidden` is not read: the layers are 64 wide (see
    /// [`super::HIDDEN`]), the config validator must reject other values.
    ///
    /// `seed` drives weight init, exploration and replay sampling; the same seed and the same
    /// calls give bit-identical results.
    pub fn new(cfg: &AgentConfig, n_candidates: usize, seed: u64) -> Self {
        let n_candidates = n_candidates.clamp(1, MAX_CANDIDATES);
        Self {
            cfg: cfg.clone(),
            n_candidates,
            epsilon: f64::from(cfg.epsilon_start),
            updates: 0,
            skipped_updates: 0,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15),
            replay: ReplayBuffer::new(cfg.replay_capacity, n_candidates),
            // Different streams for weights and for exploration/sampling, both from `seed`.
            learner: Learner::new(seed, cfg, n_candidates),
            batch: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// The hyperparameters in force.
    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }

    /// Number of candidate slots the agent chooses among (at most; an observation with fewer
    /// candidates offers fewer).
    pub fn n_candidates(&self) -> usize {
        self.n_candidates
    }

    /// Usable slots of `obs`: `min(obs.candidates.len(), n_candidates)`.
    fn slots(&self, obs: &Observation) -> usize {
        slot_count(obs, self.n_candidates)
    }

    /// Epsilon-greedy slot choice in `0..obs.candidates.len()` (and below `n_candidates`),
    /// using the agent's own RNG. Returns 0 for an observation without candidates.
    pub fn act(&mut self, obs: &Observation) -> usize {
        self.act_explore(obs).0
    }

    /// [`DqnAgent::act`], also telling whether the pick was the epsilon-random one.
    pub fn act_explore(&mut self, obs: &Observation) -> (usize, bool) {
        let slots = self.slots(obs);
        if slots == 0 {
            return (0, false);
        }
        // The notebook: `if rd.random() <= self.epsilon: return rd.randrange(action_size)`.
        if self.rng.gen::<f64>() <= self.epsilon {
            // u32 range: identical draws on 32-bit wasm and 64-bit native.
            (self.rng.gen_range(0..slots as u32) as usize, true)
        } else {
            (self.act_greedy(obs), false)
        }
    }

    /// The end of a training episode: decays epsilon when `epsilon_decay_per` is `episode`
    /// (same rule as per update: `if eps > eps_min: eps *= decay`).
    pub fn end_episode(&mut self) {
        if self.cfg.epsilon_decay_per == EpsilonDecayPer::Episode {
            self.decay_epsilon();
        }
    }

    fn decay_epsilon(&mut self) {
        if self.epsilon > f64::from(self.cfg.epsilon_min) {
            self.epsilon *= f64::from(self.cfg.epsilon_decay);
        }
    }

    /// The slot with the highest Q-value (first one on ties); consumes no randomness.
    pub fn act_greedy(&self, obs: &Observation) -> usize {
        let q = self.q_values(obs);
        if q.is_empty() {
            0
        } else {
            argmax(&q)
        }
    }

    /// One Q-value per usable candidate slot of `obs` (see [`DqnAgent::n_candidates`]).
    pub fn q_values(&self, obs: &Observation) -> Vec<f32> {
        let slots = self.slots(obs);
        if slots == 0 {
            return Vec::new();
        }
        let include = self.cfg.include_candidate_scores;
        self.learner.q_values(obs, slots, include)
    }

    /// Stores a transition; a bounded buffer drops the oldest when full (`None` capacity is
    /// unbounded like the notebook). A transition whose `action` is not a usable slot of
    /// `obs` is ignored (it could not be learned from).
    pub fn remember(&mut self, t: Transition) {
        if t.action < self.slots(&t.obs) {
            self.replay.push(&t);
        }
    }

    /// One learning step, if the replay holds at least `batch_size` transitions: sample a
    /// minibatch uniformly without replacement, take one Adam step on the TD loss, decay
    /// epsilon the notebook's way (`if eps > eps_min: eps *= decay`, so it settles at the
    /// first value at or below the floor), then sync the target network (Hard: copy every
    /// `every` updates; Soft: Polyak each update; None: the online network bootstraps itself,
    /// undetached, as in the notebook). Returns the loss.
    ///
    /// If the loss is not finite (NaN/inf) the step is skipped entirely (no weight change,
    /// no epsilon decay, no update counted, see [`DqnAgent::skipped_updates`]) and `None` is
    /// returned, so one bad batch cannot poison the network.
    pub fn learn(&mut self) -> Option<f32> {
        let k = self.cfg.batch_size;
        if k == 0 || self.replay.len() < k {
            return None;
        }
        let mut idx = std::mem::take(&mut self.batch);
        self.replay.sample_indices(&mut self.rng, k, &mut idx);
        let mut rows = std::mem::take(&mut self.rows);
        rows.resize_with(idx.len(), blank_transition);
        for (row, &i) in rows.iter_mut().zip(&idx) {
            self.replay.read_into(i, row);
        }
        let (cfg, n) = (&self.cfg, self.n_candidates);
        let outcome = self.learner.td_step(&rows, cfg, n);
        self.batch = idx;
        self.rows = rows;
        if !outcome.applied {
            self.skipped_updates += 1;
            return None;
        }
        self.updates += 1;
        if self.cfg.epsilon_decay_per == EpsilonDecayPer::Update {
            self.decay_epsilon();
        }
        let (target, updates) = (self.cfg.target, self.updates);
        self.learner.follow(target, updates);
        Some(outcome.loss)
    }

    /// Current exploration rate.
    pub fn epsilon(&self) -> f32 {
        self.epsilon as f32
    }

    /// Number of applied learning steps.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Number of learning steps dropped because their loss was not finite.
    pub fn skipped_updates(&self) -> u64 {
        self.skipped_updates
    }

    /// Number of stored transitions.
    pub fn replay_len(&self) -> usize {
        self.replay.len()
    }

    /// Applies changed hyperparameters to the running agent: gamma, learning_rate,
    /// batch_size, replay_capacity (shrinking drops the oldest), epsilon_decay, epsilon_min,
    /// target (switching to Hard/Soft starts the target from the current online weights) and
    /// loss. `epsilon_start` only matters for new agents. Returns `Err` naming the field when
    /// the change needs a new agent (architecture, include_candidate_scores, hidden); nothing
    /// is changed then.
    pub fn set_config(&mut self, cfg: &AgentConfig) -> Result<(), String> {
        if cfg.architecture != self.cfg.architecture {
            return Err("architecture: changing it needs a new agent".into());
        }
        if cfg.include_candidate_scores != self.cfg.include_candidate_scores {
            return Err("include_candidate_scores: changing it needs a new agent".into());
        }
        if cfg.hidden != self.cfg.hidden {
            return Err("hidden: changing it needs a new agent".into());
        }
        self.replay.set_capacity(cfg.replay_capacity);
        self.learner.adam.lr = cfg.learning_rate;
        self.learner.adam.weight_decay = cfg.weight_decay;
        self.learner.set_target_kind(cfg.target);
        self.cfg = cfg.clone();
        Ok(())
    }

    /// Sum of all target-network parameters, `None` when there is no target network.
    pub fn target_checksum(&self) -> Option<f64> {
        self.learner.target.as_ref().map(QNet::param_sum)
    }

    /// Sum of all online-network parameters.
    pub fn online_checksum(&self) -> f64 {
        self.learner.online.param_sum()
    }
}

/// Read access for the state inspector and the agent file (`super::inspect`, `super::file`).
impl DqnAgent {
    /// The online network.
    pub(crate) fn online_net(&self) -> &QNet {
        &self.learner.online
    }

    /// Usable slots of `obs` (see [`DqnAgent::n_candidates`]).
    pub(crate) fn usable_slots(&self, obs: &Observation) -> usize {
        self.slots(obs)
    }

    /// What the agent file saves: epsilon, counters, both networks' parameters, Adam.
    pub(crate) fn saved_parts(&self) -> SavedParts {
        let (t, m, v) = self.learner.adam.state();
        SavedParts {
            epsilon: self.epsilon,
            updates: self.updates,
            skipped_updates: self.skipped_updates,
            online: self.learner.online.params().to_vec(),
            target: self.learner.target.as_ref().map(|n| n.params().to_vec()),
            adam: Some((t, m.to_vec(), v.to_vec())),
        }
    }

    /// Restores saved parts into a fresh agent of the same configuration. The caller (the
    /// agent file) has checked every length against this agent's networks and that `target`
    /// is present exactly when the configuration has a target network.
    pub(crate) fn restore_parts(&mut self, parts: SavedParts) {
        self.epsilon = parts.epsilon;
        self.updates = parts.updates;
        self.skipped_updates = parts.skipped_updates;
        self.learner
            .online
            .params_mut()
            .copy_from_slice(&parts.online);
        match (self.learner.target.as_mut(), parts.target) {
            (Some(net), Some(p)) => net.params_mut().copy_from_slice(&p),
            (Some(net), None) => net.clone_from(&self.learner.online),
            (None, _) => {}
        }
        if let Some((t, m, v)) = parts.adam {
            self.learner.adam.set_state(t, m, v);
        }
    }
}

/// The state an agent file carries (see `super::file`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SavedParts {
    pub epsilon: f64,
    pub updates: u64,
    pub skipped_updates: u64,
    pub online: Vec<f32>,
    pub target: Option<Vec<f32>>,
    /// Adam's step count and moments.
    pub adam: Option<(i32, Vec<f32>, Vec<f32>)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{Architecture, CandidateFeatures};

    fn cand(category: usize, interest: f32, score: f32) -> CandidateFeatures {
        CandidateFeatures {
            category,
            similarity: 0.0,
            views: 0.0,
            interest,
            score,
        }
    }

    fn random_transition(rng: &mut Xoshiro256PlusPlus, n: usize) -> Transition {
        Transition {
            obs: crate::agent::random_observation(rng, n),
            action: rng.gen_range(0..n as u32) as usize,
            reward: rng.gen_range(-2.0..2.0),
            next_obs: crate::agent::random_observation(rng, n),
            done: rng.gen_bool(0.2),
        }
    }

    fn cfg(arch: Architecture, target: TargetUpdate, batch: usize) -> AgentConfig {
        AgentConfig {
            architecture: arch,
            target,
            batch_size: batch,
            ..AgentConfig::default_preset()
        }
    }

    fn filled(cfg: &AgentConfig, n: usize, seed: u64, count: usize) -> DqnAgent {
        let mut agent = DqnAgent::new(cfg, n, seed);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed + 1000);
        for _ in 0..count {
            agent.remember(random_transition(&mut rng, n));
        }
        agent
    }

    /// The per-sample losses and slopes, averaged, agree with dfdx's `mse_loss` and
    /// `huber_loss` and their gradients.
    #[test]
    fn losses_match_dfdx() {
        use dfdx::losses::{huber_loss, mse_loss};
        use dfdx::tensor::{AsArray, Cpu, Tensor, TensorFromVec, Trace};
        use dfdx::tensor_ops::Backward;
        let dev = Cpu::default();
        let pred = vec![0.3f32, -2.5, 1.2, 0.0, 4.0, -0.7];
        let targ = vec![0.1f32, 0.5, 1.0, 0.2, -1.0, -0.2];
        let n = pred.len();
        for kind in [LossKind::Mse, LossKind::Huber] {
            let p: Tensor<(usize,), f32, Cpu> = dev.tensor_from_vec(pred.clone(), (n,));
            let t = dev.tensor_from_vec(targ.clone(), (n,));
            let loss = match kind {
                LossKind::Mse => mse_loss(p.leaky_trace(), t),
                LossKind::Huber => huber_loss(p.leaky_trace(), t, 1.0),
            };
            let reference = loss.array();
            let grads = loss.backward().get(&p).as_vec();
            let mut ours = 0.0;
            for i in 0..n {
                let (l, g) = loss_and_slope(kind, pred[i] - targ[i]);
                ours += l / n as f32;
                assert!((g / n as f32 - grads[i]).abs() < 1e-6, "{kind:?} slope {i}");
            }
            assert!(
                (ours - reference).abs() < 1e-5,
                "{kind:?}: {ours} vs {reference}"
            );
        }
    }

    #[test]
    fn agent_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<DqnAgent>();
    }

    #[test]
    fn learn_waits_for_a_full_batch() {
        let c = cfg(Architecture::SlotHeads, TargetUpdate::None, 8);
        let mut agent = filled(&c, 5, 1, 7);
        assert_eq!(agent.learn(), None);
        assert_eq!(agent.updates(), 0);
        agent.remember(random_transition(
            &mut Xoshiro256PlusPlus::seed_from_u64(3),
            5,
        ));
        assert!(agent.learn().is_some());
        assert_eq!(agent.updates(), 1);
    }

    #[test]
    fn invalid_actions_are_not_stored() {
        let c = cfg(Architecture::PairScorer, TargetUpdate::None, 8);
        let mut agent = DqnAgent::new(&c, 4, 0);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut t = random_transition(&mut rng, 4);
        t.action = 4;
        agent.remember(t);
        assert_eq!(agent.replay_len(), 0);
    }

    #[test]
    fn q_values_cover_the_usable_slots() {
        for arch in [Architecture::SlotHeads, Architecture::PairScorer] {
            let agent = DqnAgent::new(&cfg(arch, TargetUpdate::None, 4), 10, 5);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
            assert_eq!(
                agent
                    .q_values(&crate::agent::random_observation(&mut rng, 10))
                    .len(),
                10
            );
            assert_eq!(
                agent
                    .q_values(&crate::agent::random_observation(&mut rng, 3))
                    .len(),
                3
            );
            assert_eq!(
                agent
                    .q_values(&crate::agent::random_observation(&mut rng, 20))
                    .len(),
                10
            );
            assert!(agent
                .q_values(&crate::agent::random_observation(&mut rng, 0))
                .is_empty());
            assert_eq!(
                agent.act_greedy(&crate::agent::random_observation(&mut rng, 0)),
                0
            );
        }
    }

    #[test]
    fn hard_target_changes_only_on_sync() {
        for arch in [Architecture::SlotHeads, Architecture::PairScorer] {
            let c = cfg(arch, TargetUpdate::Hard { every: 5 }, 16);
            let mut agent = filled(&c, 6, 2, 64);
            let start = agent.target_checksum().unwrap();
            assert_eq!(start, agent.online_checksum());
            let mut last = start;
            for step in 1..=15u64 {
                agent.learn().unwrap();
                let target = agent.target_checksum().unwrap();
                let online = agent.online_checksum();
                if step % 5 == 0 {
                    assert_eq!(target, online, "{arch:?}: synced at step {step}");
                    assert_ne!(target, last, "{arch:?}: sync must move the target");
                } else {
                    assert_eq!(target, last, "{arch:?}: target moved at step {step}");
                    assert_ne!(target, online, "{arch:?}: online must move on");
                }
                last = target;
            }
        }
    }

    #[test]
    fn soft_target_moves_every_update_and_lags() {
        let c = cfg(Architecture::SlotHeads, TargetUpdate::Soft { tau: 0.1 }, 16);
        let mut agent = filled(&c, 6, 3, 64);
        let mut last = agent.target_checksum().unwrap();
        for _ in 0..5 {
            agent.learn().unwrap();
            let t = agent.target_checksum().unwrap();
            assert_ne!(t, last);
            assert_ne!(t, agent.online_checksum());
            last = t;
        }
    }

    #[test]
    fn no_target_network_means_no_target_checksum() {
        let c = cfg(Architecture::SlotHeads, TargetUpdate::None, 16);
        let mut agent = filled(&c, 6, 4, 64);
        assert_eq!(agent.target_checksum(), None);
        agent.learn().unwrap();
        assert_eq!(agent.target_checksum(), None);
    }

    #[test]
    fn set_config_switches_target_and_rejects_architecture_changes() {
        let c = cfg(Architecture::SlotHeads, TargetUpdate::None, 16);
        let mut agent = filled(&c, 6, 4, 64);
        agent.learn().unwrap();
        let mut c2 = c.clone();
        c2.target = TargetUpdate::Hard { every: 3 };
        c2.replay_capacity = Some(10);
        c2.learning_rate = 1e-2;
        agent.set_config(&c2).unwrap();
        assert_eq!(agent.target_checksum(), Some(agent.online_checksum()));
        assert_eq!(agent.replay_len(), 10);
        assert_eq!(agent.config(), &c2);

        let mut bad = c2.clone();
        bad.architecture = Architecture::PairScorer;
        assert!(agent.set_config(&bad).unwrap_err().contains("architecture"));
        let mut bad = c2.clone();
        bad.include_candidate_scores = !bad.include_candidate_scores;
        assert!(agent
            .set_config(&bad)
            .unwrap_err()
            .contains("include_candidate_scores"));
        let mut bad = c2.clone();
        bad.hidden = 32;
        assert!(agent.set_config(&bad).unwrap_err().contains("hidden"));
        assert_eq!(agent.config(), &c2);

        let mut c3 = c2.clone();
        c3.target = TargetUpdate::None;
        agent.set_config(&c3).unwrap();
        assert_eq!(agent.target_checksum(), None);
    }

    #[test]
    fn epsilon_decays_per_episode_when_asked() {
        let mut rng = crate::rng::stream(3, 3);
        for per in [EpsilonDecayPer::Update, EpsilonDecayPer::Episode] {
            let mut c = AgentConfig::default_preset();
            c.epsilon_decay_per = per;
            c.epsilon_decay = 0.5;
            c.batch_size = 2;
            let mut agent = DqnAgent::new(&c, 3, 1);
            for _ in 0..4 {
                let obs = crate::agent::random_observation(&mut rng, 3);
                agent.remember(Transition {
                    next_obs: obs.clone(),
                    obs,
                    action: 1,
                    reward: 1.0,
                    done: false,
                });
                agent.learn();
            }
            let after_updates = agent.epsilon();
            agent.end_episode();
            match per {
                EpsilonDecayPer::Update => {
                    assert!(after_updates < 1.0);
                    assert_eq!(agent.epsilon(), after_updates);
                }
                EpsilonDecayPer::Episode => {
                    assert_eq!(after_updates, 1.0);
                    assert_eq!(agent.epsilon(), 0.5);
                }
            }
        }
    }

    #[test]
    fn epsilon_follows_the_notebook_rule_and_stops_at_the_floor() {
        let mut c = AgentConfig::seed_preset();
        c.batch_size = 4;
        c.epsilon_decay = 0.9;
        c.epsilon_min = 0.05;
        let mut agent = filled(&c, 5, 6, 16);
        assert_eq!(agent.epsilon(), 1.0);
        let mut expected = 1.0f64;
        for _ in 0..60 {
            agent.learn().unwrap();
            // Python: `if self.epsilon > self.epsilon_min: self.epsilon *= self.epsilon_decay`
            if expected > f64::from(c.epsilon_min) {
                expected *= f64::from(c.epsilon_decay);
            }
            assert_eq!(agent.epsilon(), expected as f32);
        }
        // 0.9^29 = 0.047 is the first value at or below 0.05, and there it stays.
        assert!(agent.epsilon() <= 0.05 && agent.epsilon() > 0.05 * 0.9);
        let settled = agent.epsilon();
        agent.learn().unwrap();
        assert_eq!(agent.epsilon(), settled);
    }

    #[test]
    fn same_seed_same_results() {
        for arch in [Architecture::SlotHeads, Architecture::PairScorer] {
            for target in [TargetUpdate::None, TargetUpdate::Hard { every: 4 }] {
                let run = |seed: u64| {
                    let c = cfg(arch, target, 16);
                    let mut agent = filled(&c, 7, seed, 80);
                    let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
                    let mut losses = Vec::new();
                    let mut actions = Vec::new();
                    for _ in 0..30 {
                        losses.push(agent.learn().unwrap());
                        actions.push(agent.act(&crate::agent::random_observation(&mut rng, 7)));
                    }
                    let probe = crate::agent::random_observation(&mut rng, 7);
                    (
                        losses,
                        actions,
                        agent.q_values(&probe),
                        agent.online_checksum(),
                    )
                };
                let a = run(42);
                assert_eq!(a, run(42), "{arch:?} {target:?}");
                assert_ne!(a.2, run(43).2, "{arch:?} {target:?}: seed must matter");
            }
        }
    }

    #[test]
    fn clone_continues_identically() {
        let c = cfg(
            Architecture::PairScorer,
            TargetUpdate::Hard { every: 3 },
            16,
        );
        let mut a = filled(&c, 5, 8, 64);
        for _ in 0..5 {
            a.learn();
        }
        let mut b = a.clone();
        for _ in 0..5 {
            assert_eq!(a.learn(), b.learn());
        }
        assert_eq!(a.online_checksum(), b.online_checksum());
        assert_eq!(a.target_checksum(), b.target_checksum());
    }

    #[test]
    fn huber_loss_trains_too() {
        let mut c = cfg(
            Architecture::SlotHeads,
            TargetUpdate::Soft { tau: 0.05 },
            16,
        );
        c.loss = LossKind::Huber;
        let mut agent = filled(&c, 6, 9, 64);
        for _ in 0..10 {
            assert!(agent.learn().unwrap().is_finite());
        }
    }

    /// A contextual two-armed problem: slot 0 pays +1 and slot 1 pays -1 when `key` is true,
    /// the other way round otherwise. Every step is terminal, so Q(s, a) = reward.
    fn bandit_obs(rng: &mut Xoshiro256PlusPlus, arch: Architecture) -> (Observation, bool) {
        let mut obs = crate::agent::random_observation(rng, 2);
        // Scores are visible (default preset) but carry no signal.
        obs.candidates[0].score = 0.5;
        obs.candidates[1].score = 0.5;
        let key = match arch {
            // SlotHeads sees the state only: the gender embedding carries the context.
            Architecture::SlotHeads => obs.gender == 1,
            // PairScorer sees the candidates: the one the user is interested in pays.
            Architecture::PairScorer => {
                let first = rng.gen::<bool>();
                obs.candidates[0] =
                    cand(obs.candidates[0].category, f32::from(u8::from(first)), 0.5);
                obs.candidates[1] =
                    cand(obs.candidates[1].category, f32::from(u8::from(!first)), 0.5);
                first
            }
        };
        (obs, key)
    }

    fn learns_bandit(arch: Architecture, target: TargetUpdate) {
        let mut c = cfg(arch, target, 32);
        c.epsilon_decay = 0.99;
        // 400 updates on a noiseless problem: the notebook's faster rate.
        c.learning_rate = 1e-3;
        let mut agent = DqnAgent::new(&c, 2, 17);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(23);
        for _ in 0..400 {
            let (obs, key) = bandit_obs(&mut rng, arch);
            let action = agent.act(&obs);
            let good = if key { 0 } else { 1 };
            let reward = if action == good { 1.0 } else { -1.0 };
            let next_obs = bandit_obs(&mut rng, arch).0;
            agent.remember(Transition {
                obs,
                action,
                reward,
                next_obs,
                done: true,
            });
            agent.learn();
        }
        let trials = 400;
        let correct = (0..trials)
            .filter(|_| {
                let (obs, key) = bandit_obs(&mut rng, arch);
                agent.act_greedy(&obs) == if key { 0 } else { 1 }
            })
            .count();
        assert!(
            correct * 100 >= trials * 95,
            "{arch:?} {target:?}: {correct}/{trials} greedy choices right"
        );
    }

    #[test]
    fn slot_heads_learns_a_contextual_bandit() {
        learns_bandit(Architecture::SlotHeads, TargetUpdate::None);
        learns_bandit(Architecture::SlotHeads, TargetUpdate::Hard { every: 50 });
    }

    #[test]
    fn pair_scorer_learns_a_contextual_bandit() {
        learns_bandit(Architecture::PairScorer, TargetUpdate::None);
        learns_bandit(Architecture::PairScorer, TargetUpdate::Hard { every: 50 });
    }

    #[test]
    fn non_finite_loss_skips_the_update() {
        let c = cfg(Architecture::SlotHeads, TargetUpdate::None, 4);
        let mut agent = DqnAgent::new(&c, 3, 1);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        for _ in 0..4 {
            let mut t = random_transition(&mut rng, 3);
            t.reward = f32::NAN;
            agent.remember(t);
        }
        let before = agent.online_checksum();
        assert_eq!(agent.learn(), None);
        assert_eq!(agent.online_checksum(), before);
        assert_eq!(agent.updates(), 0);
        assert_eq!(agent.skipped_updates(), 1);
        assert_eq!(agent.epsilon(), 1.0);
        // The gradient buffers were cleaned: a good batch afterwards still trains.
        let mut agent2 = agent.clone();
        agent2.set_config(&c).unwrap();
        for _ in 0..4 {
            agent2.remember(random_transition(&mut rng, 3));
        }
        agent2.replay = {
            let mut r = ReplayBuffer::new(None, 3);
            for _ in 0..4 {
                r.push(&random_transition(&mut rng, 3));
            }
            r
        };
        assert!(agent2.learn().unwrap().is_finite());
        assert!(agent2.online_checksum().is_finite());
    }

    #[test]
    fn gradient_clipping_bounds_the_global_norm() {
        let mut g = vec![3.0, 4.0];
        assert_eq!(clip_global_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
        let mut small = vec![0.3, 0.4];
        clip_global_norm(&mut small, 1.0);
        assert_eq!(small, vec![0.3, 0.4]);
        // The same agent and batch: a clipped SGD-like step moves the weights differently.
        let run = |clip: Option<f32>| {
            let mut c = cfg(Architecture::SlotHeads, TargetUpdate::None, 4);
            c.grad_clip = clip;
            let mut agent = DqnAgent::new(&c, 3, 1);
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
            for _ in 0..4 {
                let mut t = random_transition(&mut rng, 3);
                t.reward = 100.0;
                agent.remember(t);
            }
            for _ in 0..3 {
                agent.learn().unwrap();
            }
            agent.online_checksum()
        };
        assert_eq!(run(None), run(None));
        assert_ne!(run(None), run(Some(1e-3)));
    }
}
