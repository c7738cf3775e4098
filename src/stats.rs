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
    fn mean_and_interval() {
        assert_eq!(mean(&[1.0, 2.0, 3.0]), 2.0);
        // s = 1, n = 3
        assert!((ci95(&[1.0, 2.0, 3.0]) - 1.96 / 3f64.sqrt()).abs() < 1e-12);
        assert_eq!(ci95(&[4.0]), 0.0);
    }
}
