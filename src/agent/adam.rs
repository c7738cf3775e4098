//! Adam (PyTorch's formulation and defaults) over a dfdx network's parameters.
//!
//! dfdx 0.13's own `Adam` computes both bias corrections, `beta.powi(t)`, once per *element*,
//! which made it an eighth of a whole simulation step. This one computes them once per update
//! and otherwise does the same arithmetic:
//!
//! ```text
//! m = b1 m + (1 - b1) g          v = b2 v + (1 - b2) g^2
//! p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
//! ```

use dfdx::nn::{RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut};
use dfdx::shapes::Shape;
use dfdx::tensor::{Cpu, CpuError, Gradients, Tensor};

/// Adam's state: its hyperparameters, the step count and both moments of every parameter
/// tensor, in the network's (fixed) visiting order.
#[derive(Debug, Clone)]
pub(crate) struct Adam {
    /// Learning rate; may change between updates.
    pub lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    t: i32,
    moments: Vec<Moments>,
}

#[derive(Debug, Clone, Default)]
struct Moments {
    m: Vec<f32>,
    v: Vec<f32>,
}

impl Adam {
    /// PyTorch's defaults (betas 0.9 / 0.999, eps 1e-8), which the notebook used.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            t: 0,
            moments: Vec::new(),
        }
    }

    /// One step on every parameter of `net` that takes gradient updates. `grads` must hold a
    /// gradient for each of them (as `alloc_grads` provides).
    pub fn update<N: TensorCollection<f32, Cpu>>(
        &mut self,
        net: &mut N,
        grads: &mut Gradients<f32, Cpu>,
    ) {
        self.t = self.t.saturating_add(1);
        let mut step = Step {
            lr_t: self.lr / (1.0 - self.beta1.powi(self.t)),
            inv_bc2: 1.0 / (1.0 - self.beta2.powi(self.t)),
            adam: self,
            grads,
            index: 0,
            buf: Vec::new(),
        };
        // Step::visit never fails.
        let _ = N::iter_tensors(&mut RecursiveWalker {
            m: net,
            f: &mut step,
        });
    }
}

/// One update in progress: the hoisted bias corrections and the parameter counter.
struct Step<'a> {
    adam: &'a mut Adam,
    grads: &'a mut Gradients<f32, Cpu>,
    /// `lr / (1 - b1^t)`.
    lr_t: f32,
    /// `1 / (1 - b2^t)`.
    inv_bc2: f32,
    /// Which parameter tensor comes next.
    index: usize,
    /// The parameter's values (dfdx exposes them only by copy).
    buf: Vec<f32>,
}

impl TensorVisitor<f32, Cpu> for Step<'_> {
    type Viewer = ViewTensorMut;
    type Err = CpuError;
    type E2 = f32;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, f32, Cpu>,
        p: &mut Tensor<S, f32, Cpu>,
    ) -> Result<Option<Tensor<S, f32, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let g: &[f32] = self.grads.get_or_alloc_mut(p)?;
        let n = g.len();
        if self.adam.moments.len() <= self.index {
            self.adam.moments.push(Moments {
                m: vec![0.0; n],
                v: vec![0.0; n],
            });
        }
        let Moments { m, v } = &mut self.adam.moments[self.index];
        self.index += 1;
        self.buf.resize(n, 0.0);
        p.copy_into(&mut self.buf);
        let (b1, b2, eps) = (self.adam.beta1, self.adam.beta2, self.adam.eps);
        let (lr_t, inv_bc2) = (self.lr_t, self.inv_bc2);
        // Equal-length slices and an index loop, so the compiler vectorises it.
        let (p_, m, v) = (&mut self.buf[..n], &mut m[..n], &mut v[..n]);
        for i in 0..n {
            let g = g[i];
            m[i] = b1 * m[i] + (1.0 - b1) * g;
            v[i] = b2 * v[i] + (1.0 - b2) * g * g;
            p_[i] -= lr_t * m[i] / ((v[i] * inv_bc2).sqrt() + eps);
        }
        p.copy_from(&self.buf);
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfdx::optim::{AdamConfig, Optimizer};
    use dfdx::shapes::Rank1;
    use dfdx::tensor::{AsArray, TensorFrom, Trace};
    use dfdx::tensor_ops::{Backward, MeanTo};

    /// The same trajectory as dfdx's own Adam (the reference it replaces), step by step.
    #[test]
    fn matches_dfdx_adam() {
        let dev = Cpu::default();
        let mut a: Tensor<Rank1<5>, f32, Cpu> = dev.tensor([1.0, -2.0, 0.5, 3.0, 0.0]);
        let mut b = a.clone();
        let rate: Tensor<Rank1<5>, f32, Cpu> = dev.tensor([1e-3, 1e-2, 0.1, 1.0, 10.0]);
        let mut ours = Adam::new(1e-2);
        let mut reference = dfdx::optim::Adam::new(
            &b,
            AdamConfig {
                lr: 1e-2,
                ..Default::default()
            },
        );
        for step in 0..200 {
            let mut ga = (a.leaky_trace() * rate.clone()).square().mean().backward();
            ours.update(&mut a, &mut ga);
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
}
