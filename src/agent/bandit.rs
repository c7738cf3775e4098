//! A linear contextual bandit (the explore-exploit learner of Spotify's BaRT): Bayesian linear
//! regression of the immediate reward on the shown candidate's features, with Thompson
//! sampling (or LinUCB) to explore.
//!
//! Model: `reward = w . x + e`, `e ~ N(0, s^2)` with `s = noise_sd`, prior
//! `w ~ N(0, s^2 / prior_precision * I)`. After data `(X, y)` the posterior is
//! `N(A^-1 X'y, s^2 A^-1)` with `A = prior_precision * I + X'X`: the posterior mean is the
//! ridge-regression solution. `A` is kept with its Cholesky factor, refreshed after every
//! observation (d = 26, a few microseconds).
//!
//! Features `x` of a candidate (see [`features`]): one-hot of (user region x video category)
//! (24), the interest match (1), and the candidate's collaborative-filter score / 10 (1). The
//! response model is additive in the first two, apart from its cap at probability 1.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{AgentConfig, BanditExploration, Observation, Transition, NUM_CATEGORIES, NUM_REGIONS};

/// Number of features per candidate.
pub const BANDIT_FEATURES: usize = NUM_REGIONS * NUM_CATEGORIES + 2;

/// The feature vector of candidate `slot` of `obs`.
pub fn features(obs: &Observation, slot: usize) -> [f64; BANDIT_FEATURES] {
    let mut x = [0.0; BANDIT_FEATURES];
    if let Some(c) = obs.candidates.get(slot) {
        let region = obs.region.min(NUM_REGIONS - 1);
        x[region * NUM_CATEGORIES + c.category.min(NUM_CATEGORIES - 1)] = 1.0;
        x[NUM_REGIONS * NUM_CATEGORIES] = f64::from(c.interest);
        let sim = f64::from(c.similarity) / 10.0;
        x[NUM_REGIONS * NUM_CATEGORIES + 1] = if sim.is_finite() { sim } else { 0.0 };
    }
    x
}

/// The bandit's estimate of one candidate's expected immediate reward.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// Posterior mean of the expected reward.
    pub mean: f64,
    /// Posterior standard deviation of the expected reward (not of one noisy reward).
    pub sd: f64,
}

/// A linear contextual bandit over the candidates of an [`Observation`].
#[derive(Debug, Clone)]
pub struct BanditAgent {
    cfg: AgentConfig,
    n_candidates: usize,
    /// `prior_precision * I + X'X`, row-major d x d.
    a: Vec<f64>,
    /// `X'y`.
    b: Vec<f64>,
    /// Lower Cholesky factor of `a`.
    chol: Vec<f64>,
    /// Posterior mean `a^-1 b`.
    mean: Vec<f64>,
    observations: u64,
    /// Squared error of the last observation's prediction, reported once by `learn`.
    pending_error: Option<f32>,
    rng: Xoshiro256PlusPlus,
}

const D: usize = BANDIT_FEATURES;

impl BanditAgent {
    /// A bandit with the prior only. `seed` drives the Thompson draws.
    pub fn new(cfg: &AgentConfig, n_candidates: usize, seed: u64) -> Self {
        let lambda = cfg.bandit.prior_precision;
        let mut a = vec![0.0; D * D];
        for i in 0..D {
            a[i * D + i] = lambda;
        }
        let mut s = BanditAgent {
            cfg: cfg.clone(),
            n_candidates: n_candidates.clamp(1, super::MAX_CANDIDATES),
            chol: a.clone(),
            a,
            b: vec![0.0; D],
            mean: vec![0.0; D],
            observations: 0,
            pending_error: None,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed ^ 0xBA4D_17B0),
        };
        s.refresh();
        s
    }

    /// The posterior's sufficient statistics `(a, b, observations)`, for the agent file.
    pub(crate) fn statistics(&self) -> (&[f64], &[f64], u64) {
        (&self.a, &self.b, self.observations)
    }

    /// Candidate slots this bandit chooses among.
    pub fn n_candidates(&self) -> usize {
        self.n_candidates
    }

    /// A bandit from saved statistics; `a` must be symmetric with a positive-definite
    /// Cholesky factorisation (otherwise the posterior is not a distribution).
    pub(crate) fn restore(
        cfg: &AgentConfig,
        n_candidates: usize,
        seed: u64,
        a: Vec<f64>,
        b: Vec<f64>,
        observations: u64,
    ) -> Result<Self, String> {
        for i in 0..D {
            for j in 0..i {
                if (a[i * D + j] - a[j * D + i]).abs() > 1e-9 * (1.0 + a[i * D + j].abs()) {
                    return Err(format!(
                        "must be symmetric (entries {i},{j} and {j},{i} differ)"
                    ));
                }
            }
        }
        let mut s = BanditAgent::new(cfg, n_candidates, seed);
        let chol = cholesky(&a);
        if (0..D).any(|i| chol[i * D + i] <= 1e-150 || !chol[i * D + i].is_finite()) {
            return Err("must be positive definite (a prior precision plus X'X)".into());
        }
        s.a = a;
        s.b = b;
        s.observations = observations;
        s.refresh();
        if s.mean.iter().any(|m| !m.is_finite()) {
            return Err("gives a non-finite posterior mean".into());
        }
        Ok(s)
    }

    /// The hyperparameters in force.
    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }

    fn slots(&self, obs: &Observation) -> usize {
        obs.candidates.len().min(self.n_candidates)
    }

    /// Posterior mean of the weights (see [`features`] for their order).
    pub fn weights(&self) -> &[f64] {
        &self.mean
    }

    /// Observations absorbed into the posterior.
    pub fn observations(&self) -> u64 {
        self.observations
    }

    /// Posterior mean and standard deviation of every usable candidate's expected reward.
    pub fn estimates(&self, obs: &Observation) -> Vec<Estimate> {
        let s = self.cfg.bandit.noise_sd;
        (0..self.slots(obs))
            .map(|i| {
                let x = features(obs, i);
                let y = forward_solve(&self.chol, &x);
                Estimate {
                    mean: dot(&self.mean, &x),
                    sd: s * dot(&y, &y).sqrt(),
                }
            })
            .collect()
    }

    /// Posterior means as `f32`, one per usable slot (the page's "Q-value" column).
    pub fn q_values(&self, obs: &Observation) -> Vec<f32> {
        (0..self.slots(obs))
            .map(|i| dot(&self.mean, &features(obs, i)) as f32)
            .collect()
    }

    /// The slot with the highest posterior mean (first on ties); consumes no randomness.
    pub fn act_greedy(&self, obs: &Observation) -> usize {
        argmax((0..self.slots(obs)).map(|i| dot(&self.mean, &features(obs, i))))
    }

    /// The slot the exploration rule picks, and whether it differs from the posterior-mean
    /// choice (Thompson: the sampled weights' argmax is not the mean's; LinUCB: the optimistic
    /// argmax is not the mean's).
    pub fn act(&mut self, obs: &Observation) -> (usize, bool) {
        let greedy = self.act_greedy(obs);
        let n = self.slots(obs);
        if n == 0 {
            return (0, false);
        }
        let slot = match self.cfg.bandit.exploration {
            BanditExploration::Greedy => greedy,
            BanditExploration::Thompson => {
                let w = self.sample_weights();
                argmax((0..n).map(|i| dot(&w, &features(obs, i))))
            }
            BanditExploration::Ucb => {
                let alpha = self.cfg.bandit.ucb_alpha;
                let e = self.estimates(obs);
                argmax(e.iter().map(|e| e.mean + alpha * e.sd))
            }
        };
        (slot, slot != greedy)
    }

    /// One draw of the weights from the posterior: `mean + s * L^-T z`.
    fn sample_weights(&mut self) -> Vec<f64> {
        let z: Vec<f64> = (0..D)
            .map(|_| StandardNormal.sample(&mut self.rng))
            .collect();
        let u = backward_solve(&self.chol, &z);
        let s = self.cfg.bandit.noise_sd;
        self.mean.iter().zip(&u).map(|(m, u)| m + s * u).collect()
    }

    /// Absorb the shown candidate's features and the immediate reward into the posterior
    /// (the bandit ignores `next_obs`: it models the immediate reward only). A transition
    /// whose action is not a usable slot, or whose reward is not finite, is ignored.
    pub fn remember(&mut self, t: Transition) {
        if t.action >= self.slots(&t.obs) || !t.reward.is_finite() {
            return;
        }
        let x = features(&t.obs, t.action);
        let y = f64::from(t.reward);
        let err = y - dot(&self.mean, &x);
        for i in 0..D {
            if x[i] == 0.0 {
                continue;
            }
            self.b[i] += x[i] * y;
            for j in 0..D {
                self.a[i * D + j] += x[i] * x[j];
            }
        }
        self.observations += 1;
        self.pending_error = Some((err * err) as f32);
        self.refresh();
    }

    /// The squared prediction error of the last observation, once (the posterior is already
    /// updated by `remember`); `None` when nothing new was remembered.
    pub fn learn(&mut self) -> Option<f32> {
        self.pending_error.take()
    }

    /// Applies changed bandit hyperparameters: exploration, noise_sd and ucb_alpha live;
    /// prior_precision is applied to the existing data (the data are kept). Never fails.
    pub fn set_config(&mut self, cfg: &AgentConfig) -> Result<(), String> {
        let delta = cfg.bandit.prior_precision - self.cfg.bandit.prior_precision;
        for i in 0..D {
            self.a[i * D + i] += delta;
        }
        self.cfg = cfg.clone();
        self.refresh();
        Ok(())
    }

    fn refresh(&mut self) {
        self.chol = cholesky(&self.a);
        let y = forward_solve(&self.chol, &self.b);
        self.mean = backward_solve(&self.chol, &y);
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// Lower Cholesky factor `L` of a symmetric positive-definite `a` (row-major D x D), `a = L L'`.
fn cholesky(a: &[f64]) -> Vec<f64> {
    let mut l = vec![0.0; D * D];
    for i in 0..D {
        for j in 0..=i {
            let mut s = a[i * D + j];
            for k in 0..j {
                s -= l[i * D + k] * l[j * D + k];
            }
            l[i * D + j] = if i == j {
                s.max(1e-300).sqrt()
            } else {
                s / l[j * D + j]
            };
        }
    }
    l
}

/// Solves `L y = x`.
fn forward_solve(l: &[f64], x: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; D];
    for i in 0..D {
        let mut s = x[i];
        for k in 0..i {
            s -= l[i * D + k] * y[k];
        }
        y[i] = s / l[i * D + i];
    }
    y
}

/// Solves `L' u = y`.
fn backward_solve(l: &[f64], y: &[f64]) -> Vec<f64> {
    let mut u = vec![0.0; D];
    for i in (0..D).rev() {
        let mut s = y[i];
        for k in i + 1..D {
            s -= l[k * D + i] * u[k];
        }
        u[i] = s / l[i * D + i];
    }
    u
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::random_observation;
    use crate::rng::stream;
    use rand::Rng;

    fn cfg() -> AgentConfig {
        AgentConfig {
            kind: crate::agent::AgentKind::Bandit,
            ..AgentConfig::default_preset()
        }
    }

    #[test]
    #[allow(clippy::needless_range_loop)]
    fn posterior_mean_equals_batch_ridge_least_squares() {
        let c = cfg();
        let mut agent = BanditAgent::new(&c, 10, 1);
        let mut rng = stream(5, 5);
        let mut rows = Vec::new();
        for _ in 0..300 {
            let obs = random_observation(&mut rng, 10);
            let action = rng.gen_range(0..10u32) as usize;
            let reward: f32 = rng.gen_range(-2.0..2.0);
            rows.push((features(&obs, action), f64::from(reward)));
            agent.remember(Transition {
                next_obs: obs.clone(),
                obs,
                action,
                reward,
                done: false,
            });
        }
        // Batch: solve (lambda I + X'X) w = X'y by Gaussian elimination with pivoting.
        let lambda = c.bandit.prior_precision;
        let mut m = vec![vec![0.0; D + 1]; D];
        for (i, row) in m.iter_mut().enumerate() {
            row[i] = lambda;
        }
        for (x, y) in &rows {
            for i in 0..D {
                for j in 0..D {
                    m[i][j] += x[i] * x[j];
                }
                m[i][D] += x[i] * y;
            }
        }
        for col in 0..D {
            let p = (col..D)
                .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
                .unwrap();
            m.swap(col, p);
            for r in 0..D {
                if r != col {
                    let f = m[r][col] / m[col][col];
                    for k in col..=D {
                        m[r][k] -= f * m[col][k];
                    }
                }
            }
        }
        for i in 0..D {
            let w = m[i][D] / m[i][i];
            assert!(
                (w - agent.weights()[i]).abs() < 1e-9,
                "{i}: {w} vs {}",
                agent.weights()[i]
            );
        }
        assert_eq!(agent.observations(), 300);
        // The posterior sd shrinks with data and is positive.
        let fresh = BanditAgent::new(&c, 10, 1);
        let obs = random_observation(&mut rng, 10);
        let (a, b) = (agent.estimates(&obs), fresh.estimates(&obs));
        for (x, y) in a.iter().zip(&b) {
            assert!(x.sd > 0.0 && x.sd < y.sd);
        }
    }

    #[test]
    fn beats_random_on_a_small_contextual_problem_and_reports_exploration() {
        // Reward: +1 for an interest match, +0.5 for category 3 in region 1, noise sd 1.
        let mut agent = BanditAgent::new(&cfg(), 5, 2);
        let mut rng = stream(6, 6);
        let value = |obs: &Observation, i: usize| {
            let c = &obs.candidates[i];
            f64::from(c.interest)
                + if obs.region == 1 && c.category == 3 {
                    0.5
                } else {
                    0.0
                }
        };
        let mut explored = 0;
        for _ in 0..1500 {
            let obs = random_observation(&mut rng, 5);
            let (a, e) = agent.act(&obs);
            explored += usize::from(e);
            let noise: f64 = StandardNormal.sample(&mut rng);
            agent.remember(Transition {
                next_obs: obs.clone(),
                action: a,
                reward: (value(&obs, a) + noise) as f32,
                done: false,
                obs,
            });
            agent.learn();
        }
        assert!(explored > 0, "Thompson sampling never explored");
        let (mut got, mut random, mut best) = (0.0, 0.0, 0.0);
        for _ in 0..500 {
            let obs = random_observation(&mut rng, 5);
            got += value(&obs, agent.act_greedy(&obs));
            random += (0..5).map(|i| value(&obs, i)).sum::<f64>() / 5.0;
            best += (0..5).map(|i| value(&obs, i)).fold(f64::MIN, f64::max);
        }
        let skill = (got - random) / (best - random);
        assert!(skill > 0.9, "skill {skill}");
    }
}
