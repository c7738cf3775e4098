//! Experience replay: a FIFO store of transitions and uniform minibatch sampling without
//! replacement (the notebook's `rd.sample(self.memory, batch_size)`).

use std::collections::VecDeque;

use rand::Rng;

use super::Transition;

/// A FIFO buffer of transitions. Bounded buffers drop the oldest transition when full;
/// `None` capacity grows without limit, like the notebook's plain Python list.
#[derive(Debug, Clone, Default)]
pub struct ReplayBuffer {
    items: VecDeque<Transition>,
    capacity: Option<usize>,
}

impl ReplayBuffer {
    /// An empty buffer holding at most `capacity` transitions (`None`: unbounded).
    pub fn new(capacity: Option<usize>) -> Self {
        Self {
            items: VecDeque::new(),
            capacity,
        }
    }

    /// Changes the capacity; shrinking below the current length drops the oldest transitions.
    pub fn set_capacity(&mut self, capacity: Option<usize>) {
        self.capacity = capacity;
        self.enforce_capacity();
    }

    /// Appends a transition, dropping the oldest one(s) if the buffer is full.
    pub fn push(&mut self, t: Transition) {
        if self.capacity == Some(0) {
            return;
        }
        self.items.push_back(t);
        self.enforce_capacity();
    }

    /// Number of stored transitions.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the buffer holds no transitions.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The `i`-th stored transition, oldest first.
    pub fn get(&self, i: usize) -> Option<&Transition> {
        self.items.get(i)
    }

    /// Fills `out` with `k` distinct indices in `0..len()`, chosen uniformly (every `k`-subset
    /// is equally likely), or leaves it empty when `k > len()`.
    pub fn sample_indices<R: Rng + ?Sized>(&self, rng: &mut R, k: usize, out: &mut Vec<usize>) {
        sample_without_replacement(rng, self.len(), k, out);
    }

    fn enforce_capacity(&mut self) {
        if let Some(cap) = self.capacity {
            while self.items.len() > cap {
                self.items.pop_front();
            }
        }
    }
}

/// Fills `out` with `k` distinct indices from `0..n` using Floyd's algorithm: `k` draws no
/// matter how large `n` is, so sampling from a big unbounded buffer stays cheap.
///
/// Draws use `u64` ranges: `usize` ranges would consume the RNG differently on 32-bit wasm
/// and 64-bit native targets, breaking same-seed reproducibility across them.
pub fn sample_without_replacement<R: Rng + ?Sized>(
    rng: &mut R,
    n: usize,
    k: usize,
    out: &mut Vec<usize>,
) {
    out.clear();
    if k > n {
        return;
    }
    // A sorted copy answers "already chosen?" by binary search; `out` keeps draw order.
    let mut chosen: Vec<u64> = Vec::with_capacity(k);
    let (n, k) = (n as u64, k as u64);
    for j in (n - k)..n {
        let t = rng.gen_range(0..=j);
        let pick = match chosen.binary_search(&t) {
            Ok(_) => j,
            Err(_) => t,
        };
        // `j` itself can never have been chosen before this step, so this insert is fresh.
        if let Err(pos) = chosen.binary_search(&pick) {
            chosen.insert(pos, pick);
        }
        out.push(pick as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{CandidateFeatures, Observation};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn transition(tag: f32) -> Transition {
        let obs = Observation {
            numeric: [0.0; 3],
            gender: 0,
            region: 0,
            interest1: 0,
            interest2: 1,
            last_category: 0,
            last_action: 0,
            candidates: vec![CandidateFeatures {
                category: 0,
                similarity: 0.0,
                views: 0.0,
                interest: 0.0,
                score: 0.0,
            }],
        };
        Transition {
            obs: obs.clone(),
            action: 0,
            reward: tag,
            next_obs: obs,
            done: false,
        }
    }

    #[test]
    fn bounded_buffer_never_exceeds_capacity_and_drops_oldest_first() {
        let mut buf = ReplayBuffer::new(Some(5));
        for i in 0..12 {
            buf.push(transition(i as f32));
            assert!(buf.len() <= 5);
        }
        assert_eq!(buf.len(), 5);
        let rewards: Vec<f32> = (0..5).map(|i| buf.get(i).unwrap().reward).collect();
        assert_eq!(rewards, vec![7.0, 8.0, 9.0, 10.0, 11.0]);

        buf.set_capacity(Some(2));
        let rewards: Vec<f32> = (0..buf.len()).map(|i| buf.get(i).unwrap().reward).collect();
        assert_eq!(rewards, vec![10.0, 11.0]);
    }

    #[test]
    fn unbounded_buffer_keeps_everything() {
        let mut buf = ReplayBuffer::new(None);
        for i in 0..1000 {
            buf.push(transition(i as f32));
        }
        assert_eq!(buf.len(), 1000);
        assert_eq!(buf.get(0).unwrap().reward, 0.0);
        assert_eq!(buf.get(999).unwrap().reward, 999.0);
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let mut buf = ReplayBuffer::new(Some(0));
        buf.push(transition(1.0));
        assert!(buf.is_empty());
    }

    #[test]
    fn sampling_returns_distinct_in_range_indices() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let mut out = Vec::new();
        for &(n, k) in &[
            (50, 50),
            (60, 50),
            (1000, 50),
            (3, 1),
            (10_000, 500),
            (1, 1),
        ] {
            for _ in 0..20 {
                sample_without_replacement(&mut rng, n, k, &mut out);
                assert_eq!(out.len(), k);
                let mut sorted = out.clone();
                sorted.sort_unstable();
                sorted.dedup();
                assert_eq!(sorted.len(), k, "duplicate index for n={n}, k={k}");
                assert!(out.iter().all(|&i| i < n));
            }
        }
        sample_without_replacement(&mut rng, 3, 4, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn sampling_is_roughly_uniform() {
        // Every index of 0..10 should be picked about k/n = 30% of the time.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut counts = [0u32; 10];
        let mut out = Vec::new();
        for _ in 0..20_000 {
            sample_without_replacement(&mut rng, 10, 3, &mut out);
            for &i in &out {
                counts[i] += 1;
            }
        }
        for &c in &counts {
            let p = c as f64 / 20_000.0;
            assert!((p - 0.3).abs() < 0.02, "counts {counts:?}");
        }
    }
}
