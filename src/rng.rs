//! Seeded randomness that gives the same stream on 64-bit native and 32-bit wasm: indices are
//! drawn from `u32` ranges, never `usize` ones (whose sampling differs between the two).

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The crate's random number generator.
pub type CoreRng = Xoshiro256PlusPlus;

/// A generator for one purpose, derived from the experiment seed and a stream label so that
/// streams never overlap (e.g. world generation vs. training vs. evaluation episode `k`).
pub fn stream(seed: u64, label: u64) -> CoreRng {
    let mut mix = seed ^ label.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // splitmix64 finaliser: decorrelates nearby seeds.
    mix = (mix ^ (mix >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    mix = (mix ^ (mix >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    CoreRng::seed_from_u64(mix ^ (mix >> 31))
}

/// Uniform integer in `0..n` (`n >= 1`).
pub fn uniform_int<R: Rng>(rng: &mut R, n: usize) -> usize {
    rng.gen_range(0..n as u32) as usize
}

/// A uniformly chosen element of a non-empty slice.
pub fn pick<R: Rng, T: Copy>(rng: &mut R, items: &[T]) -> T {
    items[uniform_int(rng, items.len())]
}

/// Uniform float in `[0, 1)`.
pub fn unit<R: Rng>(rng: &mut R) -> f64 {
    rng.gen::<f64>()
}

/// Uniform float in `[lo, hi)`.
pub fn uniform<R: Rng>(rng: &mut R, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}
