//! Summary statistics: means with confidence intervals, and marketplace concentration.

use serde::{Deserialize, Serialize};

/// Mean of a sample (0 for an empty one).
pub fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

/// Half-width of the normal-approximation 95% confidence interval of the mean:
/// `1.96 * s / sqrt(n)` with the sample standard deviation `s` (0 for fewer than 2 values).
pub fn ci95(xs: &[f64]) -> f64 {
    let n = xs.len();
    if n < 2 {
        return 0.0;
    }
    let m = mean(xs);
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64;
    1.96 * (var / n as f64).sqrt()
}

/// A ratio of sums `sum(a) / sum(b)` over independent units (sessions) with the half-width of
/// its 95% interval by the delta method (the ratio estimator's linearisation):
/// `var(R) ~ var(a_k - R b_k) / (n * mean(b)^2)`. Deterministic, no resampling. `(0, 0)` when
/// the denominator sums to zero; half-width 0 for fewer than 2 units.
pub fn ratio_ci95(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (sa, sb): (f64, f64) = (a.iter().sum(), b.iter().sum());
    // A denominator at rounding level (every candidate equally good: nothing to choose)
    // gives no ratio worth printing; 0 keeps the figure finite.
    if sb.abs() <= 1e-9 * b.len() as f64 {
        return (0.0, 0.0);
    }
    let r = sa / sb;
    (r, ci95(&linearised(a, b, r, sb / b.len() as f64)))
}

/// The influence of each unit on a ratio `r = sum(a)/sum(b)` with mean denominator `mb`:
/// `(a_k - r b_k) / mb`. Its mean is 0; its variance over `n` is the ratio's variance.
fn linearised(a: &[f64], b: &[f64], r: f64, mb: f64) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| (x - r * y) / mb).collect()
}

/// The paired difference of two means over the same units (common random numbers): mean of
/// `x_k - y_k` and its 95% half-width. `x` and `y` must have the same length.
pub fn paired_diff_ci95(x: &[f64], y: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = x.iter().zip(y).map(|(a, b)| a - b).collect();
    (mean(&d), ci95(&d))
}

/// The paired difference of two ratios of sums over the same units, `sum(a1)/sum(b1) -
/// sum(a2)/sum(b2)`, with the half-width of its 95% interval by the delta method on the
/// per-unit difference of the two linearisations (so the pairing's correlation counts).
pub fn paired_ratio_diff_ci95(a1: &[f64], b1: &[f64], a2: &[f64], b2: &[f64]) -> (f64, f64) {
    let (s1, s2): (f64, f64) = (b1.iter().sum(), b2.iter().sum());
    if s1.abs() < 1e-300 || s2.abs() < 1e-300 {
        return (0.0, 0.0);
    }
    let (r1, r2) = (a1.iter().sum::<f64>() / s1, a2.iter().sum::<f64>() / s2);
    let l1 = linearised(a1, b1, r1, s1 / b1.len() as f64);
    let l2 = linearised(a2, b2, r2, s2 / b2.len() as f64);
    (r1 - r2, paired_diff_ci95(&l1, &l2).1)
}

/// Gini coefficient of non-negative amounts: 0 when all are equal, towards 1 when one holds
/// everything. 0 for an empty or all-zero input.
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let weighted: f64 = v
        .iter()
        .enumerate()
        .map(|(i, x)| (i as f64 + 1.0) * x)
        .sum();
    (2.0 * weighted) / (n as f64 * total) - (n as f64 + 1.0) / n as f64
}

/// Who got shown: concentration of impressions over creators and reach over the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Marketplace {
    /// Gini coefficient of impressions per creator.
    pub creator_gini: f64,
    /// Share of the catalogue shown at least once.
    pub coverage: f64,
}

impl Marketplace {
    /// From impressions per video and each video's creator.
    pub fn from_impressions(
        impressions: &[u64],
        creator_of: impl Fn(usize) -> usize,
        n_creators: usize,
    ) -> Self {
        let mut per_creator = vec![0.0; n_creators];
        for (v, &n) in impressions.iter().enumerate() {
            per_creator[creator_of(v)] += n as f64;
        }
        let shown = impressions.iter().filter(|&&n| n > 0).count();
        Marketplace {
            creator_gini: gini(&per_creator),
            coverage: if impressions.is_empty() {
                0.0
            } else {
                shown as f64 / impressions.len() as f64
            },
        }
    }
}

/// Lorenz curve of non-negative amounts: the amounts sorted ascending, point `i` is
/// `(i / n, share of the total held by the i smallest)`, from `(0, 0)` to `(1, 1)` (`n + 1`
/// points). An all-zero input gives the line of equality; an empty one, just the two ends.
/// The area under it `B` gives the Gini coefficient: `gini = 1 - 2 B` (trapezoids).
pub fn lorenz(values: &[f64]) -> Vec<[f64; 2]> {
    let n = values.len();
    if n == 0 {
        return vec![[0.0, 0.0], [1.0, 1.0]];
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let total: f64 = v.iter().sum();
    let mut out = Vec::with_capacity(n + 1);
    out.push([0.0, 0.0]);
    let mut acc = 0.0;
    for (i, x) in v.iter().enumerate() {
        acc += x;
        let share = if total > 0.0 {
            acc / total
        } else {
            (i + 1) as f64 / n as f64
        };
        out.push([(i + 1) as f64 / n as f64, share]);
    }
    // Exactly 1 at the end, whatever the rounding of the running sum.
    out[n][1] = 1.0;
    out
}

/// Creator exposure: how impressions are spread over creators, and how much of the catalogue
/// was shown at all. The page draws `lorenz` with its `gini`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exposure {
    /// Impressions per creator, by creator id.
    pub per_creator: Vec<u64>,
    /// Lorenz curve of `per_creator` (see [`lorenz`]): `[share of creators, share of
    /// impressions]` points.
    pub lorenz: Vec<[f64; 2]>,
    /// Gini coefficient of impressions per creator (see [`gini`]).
    pub gini: f64,
    /// Share of the catalogue shown at least once.
    pub coverage: f64,
    /// Total impressions.
    pub impressions: u64,
}

impl Exposure {
    /// From impressions per video and each video's creator (`creator_of(v) < n_creators`).
    pub fn from_impressions(
        impressions: &[u64],
        creator_of: impl Fn(usize) -> usize,
        n_creators: usize,
    ) -> Self {
        let mut per_creator = vec![0u64; n_creators];
        for (v, &n) in impressions.iter().enumerate() {
            per_creator[creator_of(v)] += n;
        }
        let amounts: Vec<f64> = per_creator.iter().map(|&n| n as f64).collect();
        let shown = impressions.iter().filter(|&&n| n > 0).count();
        Exposure {
            lorenz: lorenz(&amounts),
            gini: gini(&amounts),
            coverage: if impressions.is_empty() {
                0.0
            } else {
                shown as f64 / impressions.len() as f64
            },
            impressions: per_creator.iter().sum(),
            per_creator,
        }
    }
}

/// One sample of creator exposure during training.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ExposureSample {
    /// Finished training episodes when the sample was taken.
    pub episode: usize,
    /// Gini coefficient of impressions per creator so far.
    pub gini: f64,
    /// Share of the catalogue shown so far.
    pub coverage: f64,
}

/// Creator exposure sampled over training: the trainer (or the web layer) calls
/// [`ExposureTracker::observe`] after every finished episode, and a sample is kept every
/// `every` episodes (episode counts divisible by `every`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExposureTracker {
    /// Episodes between samples (at least 1).
    pub every: usize,
    /// The samples, oldest first.
    pub samples: Vec<ExposureSample>,
}

impl ExposureTracker {
    /// A tracker sampling every `every` episodes (0 is taken as 1).
    pub fn new(every: usize) -> Self {
        ExposureTracker {
            every: every.max(1),
            samples: Vec::new(),
        }
    }

    /// Whether [`ExposureTracker::observe`] would keep a sample at `episodes` (so the caller
    /// computes the exposure only then).
    pub fn is_due(&self, episodes: usize) -> bool {
        episodes > 0
            && episodes.is_multiple_of(self.every)
            && self.samples.last().is_none_or(|s| s.episode < episodes)
    }

    /// Records a sample if `episodes` (finished so far) is a positive multiple of `every` and
    /// not already sampled; returns whether it did.
    pub fn observe(&mut self, episodes: usize, exposure: &Exposure) -> bool {
        if !self.is_due(episodes) {
            return false;
        }
        self.samples.push(ExposureSample {
            episode: episodes,
            gini: exposure.gini,
            coverage: exposure.coverage,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gini_bounds_and_known_values() {
        assert_eq!(gini(&[5.0, 5.0, 5.0, 5.0]), 0.0);
        assert!((gini(&[0.0, 0.0, 0.0, 1.0]) - 0.75).abs() < 1e-12);
        assert!((gini(&[1.0, 2.0, 3.0]) - 2.0 / 9.0).abs() < 1e-12);
        assert_eq!(gini(&[]), 0.0);
    }

    #[test]
    fn lorenz_points_match_hand_computation_and_give_the_gini() {
        // Sorted: 0, 1, 3, 4 (total 8): cumulative shares 0, 1/8, 4/8, 1.
        let l = lorenz(&[3.0, 0.0, 4.0, 1.0]);
        let expected = [
            [0.0, 0.0],
            [0.25, 0.0],
            [0.5, 0.125],
            [0.75, 0.5],
            [1.0, 1.0],
        ];
        assert_eq!(l.len(), expected.len());
        for (p, e) in l.iter().zip(expected) {
            assert!(
                (p[0] - e[0]).abs() < 1e-12 && (p[1] - e[1]).abs() < 1e-12,
                "{l:?}"
            );
        }
        // Hand-computed Gini: mean |xi - xj| over all ordered pairs / (2 mean).
        // Pairs' |differences| (unordered): 1,3,4,2,3,1 -> sum 14, ordered 28; n^2 = 16;
        // mean 2 -> 28 / 16 / 4 = 0.4375.
        let g = gini(&[3.0, 0.0, 4.0, 1.0]);
        assert!((g - 0.4375).abs() < 1e-12, "{g}");
        // gini = 1 - 2 * area under the Lorenz curve (trapezoids).
        let area: f64 = l
            .windows(2)
            .map(|w| (w[1][0] - w[0][0]) * (w[0][1] + w[1][1]) / 2.0)
            .sum();
        assert!((1.0 - 2.0 * area - g).abs() < 1e-12);
        // Equality: the diagonal; all zero: the diagonal too; empty: the two ends.
        assert_eq!(
            lorenz(&[2.0, 2.0]),
            vec![[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
        );
        assert_eq!(
            lorenz(&[0.0, 0.0]),
            vec![[0.0, 0.0], [0.5, 0.5], [1.0, 1.0]]
        );
        assert_eq!(lorenz(&[]), vec![[0.0, 0.0], [1.0, 1.0]]);
    }

    #[test]
    fn exposure_sums_per_creator_and_the_tracker_samples_every_n() {
        // Videos 0..5 by creators 0, 1, 0, 2, 2; video 4 never shown.
        let creators = [0, 1, 0, 2, 2];
        let e = Exposure::from_impressions(&[2, 0, 3, 5, 0], |v| creators[v], 4);
        assert_eq!(e.per_creator, vec![5, 0, 5, 0]);
        assert_eq!(e.impressions, 10);
        assert!((e.coverage - 0.6).abs() < 1e-12);
        // Two of four creators hold everything equally: Gini 0.5.
        assert!((e.gini - 0.5).abs() < 1e-12, "{}", e.gini);
        assert_eq!(e.lorenz[2], [0.5, 0.0]);
        let mut t = ExposureTracker::new(3);
        let kept: Vec<bool> = (0..=7).map(|ep| t.observe(ep, &e)).collect();
        assert_eq!(kept, [false, false, false, true, false, false, true, false]);
        assert!(!t.observe(6, &e), "the same episode count is sampled once");
        assert_eq!(
            t.samples.iter().map(|s| s.episode).collect::<Vec<_>>(),
            vec![3, 6]
        );
    }

    #[test]
    fn mean_and_interval() {
        assert_eq!(mean(&[1.0, 2.0, 3.0]), 2.0);
        // s = 1, n = 3
        assert!((ci95(&[1.0, 2.0, 3.0]) - 1.96 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(ci95(&[4.0]), 0.0);
    }

    #[test]
    fn ratio_interval_matches_a_brute_force_delta_method() {
        let a = [1.0, 2.0, 0.5, 3.0];
        let b = [2.0, 2.0, 1.0, 4.0];
        let (r, h) = ratio_ci95(&a, &b);
        assert!((r - 6.5 / 9.0).abs() < 1e-12);
        // Hand-linearised: (a - r b) / mean(b), its sd / sqrt(n) * 1.96.
        let z: Vec<f64> = a.iter().zip(&b).map(|(x, y)| (x - r * y) / 2.25).collect();
        assert!((h - ci95(&z)).abs() < 1e-12 && h > 0.0);
        // Paired: a ratio against itself differs by exactly 0 with a zero-width interval.
        assert_eq!(paired_ratio_diff_ci95(&a, &b, &a, &b), (0.0, 0.0));
        let (d, hd) = paired_diff_ci95(&[3.0, 4.0, 5.0], &[1.0, 2.0, 3.0]);
        assert_eq!((d, hd), (2.0, 0.0));
        assert_eq!(ratio_ci95(&[1.0], &[0.0]), (0.0, 0.0));
    }
}
