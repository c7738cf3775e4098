//! Adam (PyTorch's formulation and defaults) over a flat parameter vector, with both bias
//! corrections computed once per update (dfdx 0.13's, the reference in the test, computes
//! them once per element):
//!
//! ```text
//! m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
//! p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + lr * wd * p
//! ```
//!
//! The last term is decoupled weight decay (AdamW, Loshchilov & Hutter 2019; dfdx's
//! `WeightDecay::Decoupled`): every weight shrinks by the fraction `lr * wd` per step whatever
//! its gradient. Added to the loss as an L2 penalty instead, Adam would divide it by the
//! gradient's running scale and weaken it exactly where the noise is largest.

/// Adam's state: its hyperparameters, the step count and both moments of every parameter.
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    /// Learning rate; may change between updates.
    pub lr: f32,
    /// Decoupled weight decay `wd` (0: plain Adam); may change between updates.
    pub weight_decay: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    t: i32,
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    /// PyTorch's defaults (betas 0.9 / 0.999, eps 1e-8), which the notebook used, and the
    /// decoupled weight decay `weight_decay` (the notebook: 0).
    pub fn new(lr: f32, weight_decay: f32) -> Self {
        Adam {
            lr,
            weight_decay,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// One step on `params` with their gradients `grads` (same length, the same parameters
    /// in the same order at every call). A parameter whose gradient is always 0 never moves.
    pub fn update(&mut self, params: &mut [f32], grads: &[f32]) {
        let n = params.len();
        debug_assert_eq!(grads.len(), n);
        self.m.resize(n, 0.0);
        self.v.resize(n, 0.0);
        self.t = self.t.saturating_add(1);
        let (b1, b2, eps) = (self.beta1, self.beta2, self.eps);
        let lr_t = self.lr / (1.0 - b1.powi(self.t));
        let inv_bc2 = 1.0 / (1.0 - b2.powi(self.t));
        let decay = self.lr * self.weight_decay;
        // Equal-length slices and an index loop, so the compiler vectorises it.
        let (p, g, m, v) = (
            &mut params[..n],
            &grads[..n],
            &mut self.m[..n],
            &mut self.v[..n],
        );
        for i in 0..n {
            m[i] = flush(b1 * m[i] + (1.0 - b1) * g[i], f32::MIN_POSITIVE);
            v[i] = flush(b2 * v[i] + (1.0 - b2) * g[i] * g[i], f32::MIN_POSITIVE);
            let step = lr_t * m[i] / ((v[i] * inv_bc2).sqrt() + eps) + decay * p[i];
            p[i] = flush(p[i] - step, NEGLIGIBLE_WEIGHT);
        }
    }
}

/// `x`, or 0 where it is smaller than `below` in size: `f32::MIN_POSITIVE` (subnormal) for
/// Adam's moments, [`NEGLIGIBLE_WEIGHT`] for the weights.
///
/// Subnormal floats are slow: x86 processors do arithmetic that reads or yields one in
/// microcode, tens of times slower, and neither Rust nor WebAssembly turns on their
/// flush-to-zero mode. A weight that stops getting gradient (behind a ReLU that no longer
/// fires) drifts toward them twice over. Its moments decay geometrically, `m` by 0.9 and `v` by
/// 0.999 per update, through the subnormal range to 0 (`v` spends about 16,000 updates there):
/// the replay update of `default` took 184 µs per step over its first 2,000 episodes and 270 µs
/// after 24,000. The weight itself decays by the fraction `lr * wd` per update: at a learning
/// rate of 0.0071, 44% of the weights were subnormal after 2,500 episodes and a replay update
/// cost 35 times as much (at the default 1e-4 the same decay takes about 120,000 episodes,
/// some minutes of the page at full speed). With both flushed the cost stays flat.
///
/// Flushing a moment changes no weight: a subnormal `v` adds under 1e-19 to a denominator of
/// at least `eps` (1e-8), below an `f32`'s resolution, and a subnormal `m` moves a weight by at
/// most about 1e-29 times the learning rate. A weight is flushed earlier, below
/// [`NEGLIGIBLE_WEIGHT`], since its products with activations go subnormal before it does.
#[inline(always)]
fn flush(x: f32, below: f32) -> f32 {
    if x.abs() < below {
        0.0
    } else {
        x
    }
}

/// A weight smaller than this in size is set to 0. In practice only weight decay takes a weight
/// this low: an Adam step is about the learning rate in size unless the gradient is far below
/// `eps`, and a difference of two `f32`s near 1e-4 is 0 or above 1e-11. Its products with
/// activations and errors of any ordinary size then stay normal, and what it adds to a sum is
/// below an `f32`'s resolution of anything but a sum near 0.
const NEGLIGIBLE_WEIGHT: f32 = 1e-20;

/// Adam's saved state, for the agent file.
impl Adam {
    /// The step count and both moments (empty before the first step).
    pub(crate) fn state(&self) -> (i32, &[f32], &[f32]) {
        (self.t, &self.m, &self.v)
    }

    /// Restores a saved state; `m` and `v` must be empty or one value per parameter.
    pub(crate) fn set_state(&mut self, t: i32, m: Vec<f32>, v: Vec<f32>) {
        self.t = t;
        self.m = m;
        self.v = v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::optim::{AdamConfig, Optimizer};
    use dfdx::shapes::Rank1;
    use dfdx::tensor::{AsArray, Cpu, Tensor, TensorFrom, Trace};
    use dfdx::tensor_ops::{Backward, MeanTo};

    /// The same trajectory as dfdx's own Adam, step by step, without and with decoupled
    /// weight decay.
    #[test]
    fn matches_dfdx_adam() {
        for wd in [0.0, 0.5] {
            matches_dfdx_adam_with(wd);
        }
    }

    fn matches_dfdx_adam_with(wd: f32) {
        let dev = Cpu::default();
        let mut a: Tensor<Rank1<5>, f32, Cpu> = dev.tensor([1.0, -2.0, 0.5, 3.0, 0.0]);
        let mut b = a.clone();
        let rate: Tensor<Rank1<5>, f32, Cpu> = dev.tensor([1e-3, 1e-2, 0.1, 1.0, 10.0]);
        let mut ours = Adam::new(1e-2, wd);
        let mut reference = dfdx::optim::Adam::new(
            &b,
            AdamConfig {
                lr: 1e-2,
                weight_decay: (wd > 0.0).then_some(dfdx::optim::WeightDecay::Decoupled(wd.into())),
                ..Default::default()
            },
        );
        for step in 0..200 {
            let ga = (a.leaky_trace() * rate.clone()).square().mean().backward();
            let mut values = a.as_vec();
            ours.update(&mut values, &ga.get(&a).as_vec());
            a.copy_from(&values);
            let gb = (b.leaky_trace() * rate.clone()).square().mean().backward();
            reference.update(&mut b, &gb).unwrap();
            for (x, y) in a.array().iter().zip(b.array().iter()) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "step {step}: {x} vs {y}"
                );
            }
        }
        // And it did move the parameters.
        assert!((a.array()[3] - 3.0).abs() > 0.5);
    }

    /// A weight that stops getting gradient: its moments decay to 0 without ever being stored
    /// subnormal, and the weights follow the unflushed formula bit for bit.
    #[test]
    fn moments_skip_the_subnormal_range_without_changing_the_weights() {
        let (lr, b1, b2, eps) = (1e-3f32, 0.9f32, 0.999f32, 1e-8f32);
        let mut adam = Adam::new(lr, 0.0);
        let mut p = vec![0.5f32, -0.25];
        let (mut q, mut m, mut v) = (p.clone(), [0.0f32; 2], [0.0f32; 2]);
        let mut passed = [false; 2];
        for t in 1..=120_000 {
            let g = if t <= 10 { [0.3f32, -1e-3] } else { [0.0; 2] };
            adam.update(&mut p, &g);
            let lr_t = lr / (1.0 - b1.powi(t));
            let inv_bc2 = 1.0 / (1.0 - b2.powi(t));
            for i in 0..2 {
                m[i] = b1 * m[i] + (1.0 - b1) * g[i];
                v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
                q[i] -= lr_t * m[i] / ((v[i] * inv_bc2).sqrt() + eps);
                passed[i] |= v[i] != 0.0 && !v[i].is_normal();
            }
            let (_, am, av) = adam.state();
            assert!(
                am.iter().chain(av).all(|&x| x == 0.0 || x.is_normal()),
                "update {t}: a subnormal moment in {am:?} {av:?}"
            );
            assert_eq!(p, q, "update {t}");
        }
        // The unflushed moments did go through the subnormal range, and ours reached 0.
        assert_eq!(passed, [true; 2]);
        assert!(adam.state().2.iter().all(|&x| x == 0.0));
    }

    /// A weight that weight decay alone shrinks follows the formula until it would go below
    /// `NEGLIGIBLE_WEIGHT`, and is then 0: never in between, never subnormal.
    #[test]
    fn a_decaying_weight_goes_to_zero_without_becoming_negligible() {
        let mut adam = Adam::new(0.1, 5.0);
        let (mut p, mut q) = (vec![1.0f32, -3.0], [1.0f32, -3.0]);
        for t in 1..=200 {
            adam.update(&mut p, &[0.0; 2]);
            for i in 0..2 {
                q[i] -= 0.5 * q[i];
                if q[i].abs() >= NEGLIGIBLE_WEIGHT {
                    assert_eq!(p[i], q[i], "update {t}");
                } else {
                    assert_eq!(p[i], 0.0, "update {t}: {} went below the threshold", q[i]);
                }
            }
        }
        assert_eq!(p, vec![0.0; 2]);
    }

    /// With a zero gradient, weight decay alone shrinks every weight by `lr * wd` per step.
    #[test]
    fn weight_decay_shrinks_weights_without_gradient() {
        let mut adam = Adam::new(0.1, 2.0);
        let mut p = vec![1.0f32, -4.0, 0.0];
        adam.update(&mut p, &[0.0; 3]);
        assert_eq!(p, vec![0.8, -3.2, 0.0]);
        let mut plain = Adam::new(0.1, 0.0);
        let mut q = vec![1.0f32, -4.0];
        plain.update(&mut q, &[0.0; 2]);
        assert_eq!(q, vec![1.0, -4.0]);
    }
}
