//! TEMPORARY STUB (replaced by the real dfdx agent).
use super::*;
use rand::{Rng, SeedableRng};
/// stub
#[derive(Clone)]
pub struct DqnAgent {
    cfg: AgentConfig,
    rng: rand_xoshiro::Xoshiro256PlusPlus,
    eps: f32,
    mem: Vec<Transition>,
    updates: u64,
}
impl DqnAgent {
    /// stub
    pub fn new(cfg: &AgentConfig, _n: usize, seed: u64) -> Self {
        Self {
            cfg: cfg.clone(),
            rng: rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed),
            eps: cfg.epsilon_start,
            mem: vec![],
            updates: 0,
        }
    }
    /// stub
    pub fn config(&self) -> &AgentConfig {
        &self.cfg
    }
    /// stub
    pub fn act(&mut self, obs: &Observation) -> usize {
        self.rng.gen_range(0..obs.candidates.len() as u32) as usize
    }
    /// stub
    pub fn act_greedy(&self, _obs: &Observation) -> usize {
        0
    }
    /// stub
    pub fn q_values(&self, obs: &Observation) -> Vec<f32> {
        vec![0.0; obs.candidates.len()]
    }
    /// stub
    pub fn remember(&mut self, t: Transition) {
        self.mem.push(t)
    }
    /// stub
    pub fn learn(&mut self) -> Option<f32> {
        if self.mem.len() < self.cfg.batch_size {
            return None;
        }
        self.updates += 1;
        if self.eps > self.cfg.epsilon_min {
            self.eps *= self.cfg.epsilon_decay
        }
        Some(1.0)
    }
    /// stub
    pub fn epsilon(&self) -> f32 {
        self.eps
    }
    /// stub
    pub fn updates(&self) -> u64 {
        self.updates
    }
    /// stub
    pub fn replay_len(&self) -> usize {
        self.mem.len()
    }
    /// stub
    pub fn set_config(&mut self, cfg: &AgentConfig) -> Result<(), String> {
        self.cfg = cfg.clone();
        Ok(())
    }
}
