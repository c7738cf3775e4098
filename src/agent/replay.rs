//! Experience replay: a FIFO store of transitions and uniform minibatch sampling without
//! replacement (the notebook's `rd.sample(self.memory, batch_size)`).
//!
//! Transitions are stored compactly and decoded bit for bit on read:
//! - an observation is kept heap-free: its three numbers (as bits), its six ids as `u8`, its
//!   candidate count, and `stride` candidate slots (a `u8` category and four `f32`s as bits)
//!   in flat rings, where `stride` is the agent's number of candidate slots: about 190 bytes
//!   at 10 slots, against about 340 for an [`Observation`] with its heap vector;
//! - consecutive transitions of an episode share an observation: a transition whose `obs` is
//!   bit for bit the previous transition's `next_obs` does not store it again. So every
//!   transition names its `obs` by a running number, and its `next_obs` is always the next
//!   number (the last one stored when it was pushed).
//!
//! A transition is then 16 bytes plus one to two observations. Reading gives back what was
//! pushed, except candidates past `stride` (the DQN never reads past its slots) and ids above
//! 255, which saturate at 255 (the network clamps ids into vocabularies of at most 8 anyway).

use std::collections::VecDeque;
use std::mem::size_of;

use rand::Rng;

use super::{CandidateFeatures, Observation, Transition, MAX_CANDIDATES};

/// The state part of one stored observation (20 bytes). Floats are kept as their bits, so
/// equality is bit equality.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct State {
    numeric: [u32; 3],
    /// gender, region, interest1, interest2, last_category, last_action.
    ids: [u8; 6],
    /// Stored candidates, at most the stride.
    count: u8,
}

/// One stored transition (16 bytes): where its observations are, and the rest.
#[derive(Debug, Clone, Copy)]
struct Record {
    /// Running number of `obs`; `next_obs` is number `obs + 1`.
    obs: u64,
    reward: f32,
    action: u8,
    done: bool,
}

/// An id as stored: values above 255 saturate.
fn small(v: usize) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

fn state_of(obs: &Observation, stride: usize) -> State {
    State {
        numeric: obs.numeric.map(f32::to_bits),
        ids: obs.state_ids().map(small),
        count: small(obs.candidates.len().min(stride)),
    }
}

fn features_of(c: &CandidateFeatures) -> [u32; 4] {
    [c.similarity, c.views, c.interest, c.score].map(f32::to_bits)
}

/// Makes room for `extra` more entries, growing by an eighth rather than doubling: a ring
/// that wraps touches all its spare capacity, so spare capacity is resident memory.
fn reserve<T>(ring: &mut VecDeque<T>, extra: usize) {
    if ring.len() + extra > ring.capacity() {
        ring.reserve_exact(extra.max(ring.len() / 8));
    }
}

/// An observation without candidates, to be filled by [`ReplayBuffer::read_into`].
fn blank_observation() -> Observation {
    Observation {
        numeric: [0.0; 3],
        gender: 0,
        region: 0,
        interest1: 0,
        interest2: 0,
        last_category: 0,
        last_action: 0,
        candidates: Vec::new(),
    }
}

/// A transition to be filled by [`ReplayBuffer::read_into`] (its vectors are reused).
pub fn blank_transition() -> Transition {
    Transition {
        obs: blank_observation(),
        action: 0,
        reward: 0.0,
        next_obs: blank_observation(),
        done: false,
    }
}

/// A FIFO buffer of transitions, stored compactly (see the module notes). Bounded buffers
/// drop the oldest transition when full; `None` capacity grows without limit, like the
/// notebook's plain Python list.
#[derive(Debug, Clone, Default)]
pub struct ReplayBuffer {
    capacity: Option<usize>,
    /// Candidate slots kept per observation.
    stride: usize,
    records: VecDeque<Record>,
    /// Observations, oldest first; `states[0]` has running number `first_obs`.
    states: VecDeque<State>,
    /// `stride` entries per observation: each candidate's category ...
    categories: VecDeque<u8>,
    /// ... and its similarity, views, interest and score as bits (zeros past the count).
    features: VecDeque<[u32; 4]>,
    first_obs: u64,
}

impl ReplayBuffer {
    /// An empty buffer holding at most `capacity` transitions (`None`: unbounded), keeping
    /// the first `stride` candidates of each observation (`stride` is clamped to
    /// `MAX_CANDIDATES`; the DQN passes its number of slots).
    pub fn new(capacity: Option<usize>, stride: usize) -> Self {
        Self {
            capacity,
            stride: stride.min(MAX_CANDIDATES),
            ..Self::default()
        }
    }

    /// Bytes one transition takes at most with `stride` slots (when no observation is
    /// shared), not counting the rings' spare capacity: for memory estimates.
    pub fn max_transition_bytes(stride: usize) -> usize {
        let obs = size_of::<State>() + stride.min(MAX_CANDIDATES) * (1 + size_of::<[u32; 4]>());
        size_of::<Record>() + 2 * obs
    }

    /// Changes the capacity; shrinking below the current length drops the oldest transitions.
    pub fn set_capacity(&mut self, capacity: Option<usize>) {
        self.capacity = capacity;
        self.enforce_capacity();
    }

    /// Appends a transition, dropping the oldest one(s) if the buffer is full. A transition
    /// whose `action` is not below the stride is not stored (it could not be learned from).
    pub fn push(&mut self, t: &Transition) {
        if self.capacity == Some(0) || t.action >= self.stride {
            return;
        }
        let obs = if self.is_last(&t.obs) {
            self.next_number() - 1
        } else {
            self.push_observation(&t.obs)
        };
        self.push_observation(&t.next_obs);
        reserve(&mut self.records, 1);
        self.records.push_back(Record {
            obs,
            reward: t.reward,
            action: small(t.action),
            done: t.done,
        });
        self.enforce_capacity();
    }

    /// Number of stored transitions.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the buffer holds no transitions.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Number of stored observations (between `len()` and `2 * len()`, fewer when
    /// consecutive transitions share them).
    pub fn observations(&self) -> usize {
        self.states.len()
    }

    /// The `i`-th stored transition, oldest first, decoded into a new value.
    pub fn get(&self, i: usize) -> Option<Transition> {
        let mut t = blank_transition();
        self.read_into(i, &mut t).then_some(t)
    }

    /// Decodes the `i`-th stored transition, oldest first, into `out`, reusing its candidate
    /// vectors; `false` (and `out` untouched) when `i >= len()`.
    pub fn read_into(&self, i: usize, out: &mut Transition) -> bool {
        let Some(r) = self.records.get(i) else {
            return false;
        };
        self.read_observation(r.obs, &mut out.obs);
        self.read_observation(r.obs + 1, &mut out.next_obs);
        out.action = usize::from(r.action);
        out.reward = r.reward;
        out.done = r.done;
        true
    }

    /// Fills `out` with `k` distinct indices in `0..len()`, chosen uniformly (every `k`-subset
    /// is equally likely), or leaves it empty when `k > len()`.
    pub fn sample_indices<R: Rng + ?Sized>(&self, rng: &mut R, k: usize, out: &mut Vec<usize>) {
        sample_without_replacement(rng, self.len(), k, out);
    }

    /// The running number the next stored observation gets.
    fn next_number(&self) -> u64 {
        self.first_obs + self.states.len() as u64
    }

    /// Whether `obs` is, bit for bit, the last stored observation (the newest transition's
    /// `next_obs`), as it would be stored.
    fn is_last(&self, obs: &Observation) -> bool {
        let Some(last) = self.states.back() else {
            return false;
        };
        if *last != state_of(obs, self.stride) {
            return false;
        }
        let base = (self.states.len() - 1) * self.stride;
        obs.candidates
            .iter()
            .take(usize::from(last.count))
            .enumerate()
            .all(|(j, c)| {
                self.categories[base + j] == small(c.category)
                    && self.features[base + j] == features_of(c)
            })
    }

    /// Stores `obs` as the newest observation; returns its running number.
    fn push_observation(&mut self, obs: &Observation) -> u64 {
        let number = self.next_number();
        let state = state_of(obs, self.stride);
        let kept = &obs.candidates[..usize::from(state.count)];
        reserve(&mut self.states, 1);
        reserve(&mut self.categories, self.stride);
        reserve(&mut self.features, self.stride);
        self.states.push_back(state);
        for c in kept {
            self.categories.push_back(small(c.category));
            self.features.push_back(features_of(c));
        }
        for _ in kept.len()..self.stride {
            self.categories.push_back(0);
            self.features.push_back([0; 4]);
        }
        number
    }

    fn read_observation(&self, number: u64, out: &mut Observation) {
        let k = (number - self.first_obs) as usize;
        let s = &self.states[k];
        out.numeric = s.numeric.map(f32::from_bits);
        [
            out.gender,
            out.region,
            out.interest1,
            out.interest2,
            out.last_category,
            out.last_action,
        ] = s.ids.map(usize::from);
        let slots = k * self.stride..k * self.stride + usize::from(s.count);
        out.candidates.clear();
        // Indexed rather than two zipped `range` iterators, whose every step checks which of
        // the ring's two halves it is in: a browser profile of DQN updates put 6% of their
        // time here.
        out.candidates.extend(slots.map(|x| {
            let [similarity, views, interest, score] = self.features[x].map(f32::from_bits);
            CandidateFeatures {
                category: usize::from(self.categories[x]),
                similarity,
                views,
                interest,
                score,
            }
        }));
    }

    /// Drops the oldest transitions beyond the capacity, then the observations no stored
    /// transition refers to any more.
    fn enforce_capacity(&mut self) {
        if let Some(cap) = self.capacity {
            while self.records.len() > cap {
                self.records.pop_front();
            }
        }
        let keep_from = self.records.front().map_or(self.next_number(), |r| r.obs);
        let drop = (keep_from - self.first_obs) as usize;
        if drop > 0 {
            self.states.drain(..drop);
            self.categories.drain(..drop * self.stride);
            self.features.drain(..drop * self.stride);
            self.first_obs = keep_from;
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
    use crate::agent::{random_observation, CandidateFeatures, Observation};
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
        let mut buf = ReplayBuffer::new(Some(5), 1);
        for i in 0..12 {
            buf.push(&transition(i as f32));
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
        let mut buf = ReplayBuffer::new(None, 1);
        for i in 0..1000 {
            buf.push(&transition(i as f32));
        }
        assert_eq!(buf.len(), 1000);
        assert_eq!(buf.get(0).unwrap().reward, 0.0);
        assert_eq!(buf.get(999).unwrap().reward, 999.0);
    }

    #[test]
    fn zero_capacity_stores_nothing() {
        let mut buf = ReplayBuffer::new(Some(0), 1);
        buf.push(&transition(1.0));
        assert!(buf.is_empty());
    }

    /// Transitions of `episodes` episodes the way the trainer makes them (each step's `obs`
    /// is the previous step's `next_obs`), with `n` candidates, random lengths and rewards.
    fn episodes(rng: &mut Xoshiro256PlusPlus, episodes: usize, n: usize) -> Vec<Transition> {
        let mut out = Vec::new();
        for _ in 0..episodes {
            let steps = rng.gen_range(1..6);
            let mut obs = random_observation(rng, n);
            for step in 0..steps {
                let next_obs = random_observation(rng, n);
                out.push(Transition {
                    obs: obs.clone(),
                    action: rng.gen_range(0..n as u32) as usize,
                    reward: rng.gen_range(-2.0..2.0),
                    next_obs: next_obs.clone(),
                    done: step + 1 == steps,
                });
                obs = next_obs;
            }
        }
        out
    }

    /// Bit for bit, as the Debug text shows -0.0 and NaN apart from 0.0.
    fn assert_same(got: &Transition, want: &Transition) {
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
    }

    #[test]
    fn a_round_trip_gives_back_the_same_transitions_and_shares_observations() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let ts = episodes(&mut rng, 40, 10);
        for capacity in [None, Some(1), Some(7), Some(50)] {
            let mut buf = ReplayBuffer::new(capacity, 10);
            let mut scratch = blank_transition();
            for (pushed, t) in ts.iter().enumerate() {
                buf.push(t);
                let kept = capacity.unwrap_or(usize::MAX).min(pushed + 1);
                assert_eq!(buf.len(), kept);
                let oldest = pushed + 1 - kept;
                for i in 0..kept {
                    assert_same(&buf.get(i).unwrap(), &ts[oldest + i]);
                    // Decoding into a used transition overwrites all of it.
                    assert!(buf.read_into(i, &mut scratch));
                    assert_same(&scratch, &ts[oldest + i]);
                }
                assert!(buf.get(kept).is_none());
                // One observation per kept transition plus the first one of each episode.
                let starts = (oldest..=pushed)
                    .filter(|&j| j == oldest || ts[j - 1].done)
                    .count();
                assert_eq!(buf.observations(), kept + starts, "capacity {capacity:?}");
            }
        }
    }

    #[test]
    fn observations_are_shared_only_when_bit_identical() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        let mut a = episodes(&mut rng, 1, 3).remove(0);
        a.next_obs.numeric[1] = 0.0;
        a.next_obs.candidates[2].views = 0.0;
        let mut b = episodes(&mut rng, 1, 3).remove(0);
        b.obs = a.next_obs.clone();
        b.obs.numeric[1] = -0.0; // == 0.0, but other bits
        b.next_obs.candidates[2].views = 0.0;
        let mut c = b.clone();
        c.obs = b.next_obs.clone();
        c.obs.candidates[2].views = -0.0;
        let mut d = c.clone();
        d.obs = c.next_obs.clone();
        d.obs.candidates.pop(); // one candidate fewer
        let mut e = d.clone();
        e.obs = d.next_obs.clone();
        e.obs.candidates[0].category = 7 - e.obs.candidates[0].category;
        let mut buf = ReplayBuffer::new(None, 3);
        for t in [&a, &b, &c, &d, &e] {
            buf.push(t);
        }
        assert_eq!(buf.observations(), 10);
        for (i, t) in [&a, &b, &c, &d, &e].into_iter().enumerate() {
            assert_same(&buf.get(i).unwrap(), t);
        }
    }

    #[test]
    fn candidates_past_the_stride_are_not_kept_and_ids_saturate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut t = episodes(&mut rng, 1, 12).remove(0);
        t.action = 4;
        t.obs.gender = 300;
        let mut buf = ReplayBuffer::new(None, 5);
        buf.push(&t);
        let got = buf.get(0).unwrap();
        assert_eq!(got.obs.candidates, t.obs.candidates[..5]);
        assert_eq!(got.next_obs.candidates, t.next_obs.candidates[..5]);
        assert_eq!(got.obs.gender, 255);
        // An action the stored slots cannot show is not stored.
        t.action = 5;
        buf.push(&t);
        assert_eq!(buf.len(), 1);
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
