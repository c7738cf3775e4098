//! Incremental item-item cosine similarity over the aggregated item x user score matrix.

use std::collections::BTreeMap;
use std::sync::Arc;

use sprs::{CsMat, TriMat};

/// Below this a squared norm counts as zero (a user's scores for an item can cancel out).
const ZERO_NORM: f64 = 1e-12;

/// The exact collaborative filter (the `seed` preset's): every pair's dot product.
///
/// Holds, per user, the raw interaction rows (for `get_recom`, which sums over them) and the
/// aggregated score per item (a column of the item x user matrix); per item, the squared norm
/// of its row; per item pair sharing a user, the dot product of their rows. Cosine similarity
/// is `dot(i, j) / (|i| |j|)`. An interaction of user `u` with item `i` changes only the dot
/// products of `i` with the items `u` has scored, so an update costs O(items of `u`) instead of
/// the notebook's full rebuild.
///
/// Rows are shared (`Arc`) and copied on write, so a clone costs a reference count per row:
/// evaluation runs every held-out session on its own copy of the trained filter.
#[derive(Debug, Clone)]
pub struct ExactFilter {
    n_items: usize,
    /// user -> (item -> aggregated score): the non-zero pattern of the matrix, by column.
    user_items: Vec<Arc<BTreeMap<u32, f64>>>,
    /// user -> raw rows (item, score) in log order.
    history: Vec<Arc<Vec<(u32, f64)>>>,
    /// item -> whether it appears in the log (the notebook's `look_lst`).
    present: Vec<bool>,
    /// item -> squared norm of its row.
    norms2: Vec<f64>,
    /// item -> 1 / norm of its row, or 0 for a zero row (kept beside `norms2` because candidate
    /// generation divides by norms thousands of times per call).
    inv_norms: Vec<f64>,
    /// item -> (other item, dot product), sorted by the other item; symmetric, no diagonal.
    /// Sorted vectors rather than hash maps: candidate generation iterates them far more often
    /// than updates search them.
    dots: Vec<Arc<Vec<(u32, f64)>>>,
    /// Scratch space for `raw_scores`, reused between calls.
    scratch: Scratch,
}

/// `raw_scores`' working memory: one accumulator and one mark per item (all zero / false
/// between calls) and the list of items touched.
#[derive(Debug, Default)]
struct Scratch {
    acc: Vec<f64>,
    marked: Vec<bool>,
    touched: Vec<u32>,
}

/// A copy starts with fresh (empty) scratch space: nothing in it outlives a call.
impl Clone for Scratch {
    fn clone(&self) -> Self {
        Scratch::default()
    }
}

fn inverse_norm(norm2: f64) -> f64 {
    if norm2 <= ZERO_NORM {
        0.0
    } else {
        1.0 / norm2.sqrt()
    }
}

/// Add `delta` to the dot product with `j` in a sorted row, inserting it if absent.
fn add_dot(row: &mut Vec<(u32, f64)>, j: u32, delta: f64) {
    match row.binary_search_by_key(&j, |e| e.0) {
        Ok(k) => row[k].1 += delta,
        Err(k) => row.insert(k, (j, delta)),
    }
}

impl ExactFilter {
    /// Build from an interaction log `(item, user, score)` with sprs: the Gram matrix `M M^T` of
    /// the aggregated item x user matrix gives every dot product and squared norm at once.
    pub fn from_log(n_items: usize, n_users: usize, log: &[(usize, usize, f64)]) -> Self {
        let gram = gram_from_log(n_items, n_users, log);
        let mut dots: Vec<Vec<(u32, f64)>> = vec![Vec::new(); n_items];
        let mut norms2 = vec![0.0; n_items];
        // CSR iteration visits each row's columns in ascending order, so rows come out sorted.
        for (&v, (i, j)) in gram.iter() {
            if i == j {
                norms2[i] = v;
            } else {
                dots[i].push((j as u32, v));
            }
        }
        debug_assert!(dots.iter().all(|r| r.windows(2).all(|w| w[0].0 < w[1].0)));
        let mut user_items = vec![BTreeMap::new(); n_users];
        let mut history = vec![Vec::new(); n_users];
        let mut present = vec![false; n_items];
        for &(item, user, score) in log {
            *user_items[user].entry(item as u32).or_insert(0.0) += score;
            history[user].push((item as u32, score));
            present[item] = true;
        }
        ExactFilter {
            n_items,
            user_items: user_items.into_iter().map(Arc::new).collect(),
            history: history.into_iter().map(Arc::new).collect(),
            present,
            inv_norms: norms2.iter().map(|&n| inverse_norm(n)).collect(),
            norms2,
            dots: dots.into_iter().map(Arc::new).collect(),
            scratch: Scratch::default(),
        }
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        self.n_items
    }

    /// Number of users (columns).
    pub fn n_users(&self) -> usize {
        self.user_items.len()
    }

    /// Add an empty column for a new user; returns its index.
    pub fn add_user(&mut self) -> usize {
        self.user_items.push(Arc::default());
        self.history.push(Arc::default());
        self.user_items.len() - 1
    }

    /// Record one interaction: add `score` to the matrix entry (item, user) and append the row
    /// to the user's history. Updates the norms and dot products touched.
    pub fn record(&mut self, item: usize, user: usize, score: f64) {
        let old = self.user_items[user]
            .get(&(item as u32))
            .copied()
            .unwrap_or(0.0);
        let new = old + score;
        for (&j, &m_ju) in self.user_items[user].iter() {
            if j as usize == item || m_ju == 0.0 {
                continue;
            }
            let delta = score * m_ju;
            add_dot(Arc::make_mut(&mut self.dots[item]), j, delta);
            add_dot(
                Arc::make_mut(&mut self.dots[j as usize]),
                item as u32,
                delta,
            );
        }
        self.norms2[item] += new * new - old * old;
        self.inv_norms[item] = inverse_norm(self.norms2[item]);
        Arc::make_mut(&mut self.user_items[user]).insert(item as u32, new);
        Arc::make_mut(&mut self.history[user]).push((item as u32, score));
        self.present[item] = true;
    }

    /// Cosine similarity of two items (0 when either row is zero), as sklearn computes it.
    pub fn similarity(&self, i: usize, j: usize) -> f64 {
        let dot = if i == j {
            self.norms2[i]
        } else {
            let row = &self.dots[i];
            row.binary_search_by_key(&(j as u32), |e| e.0)
                .map_or(0.0, |k| row[k].1)
        };
        dot * self.inv_norms[i] * self.inv_norms[j]
    }

    /// Whether the user has any row for the item.
    pub fn has_seen(&self, user: usize, item: usize) -> bool {
        self.user_items[user].contains_key(&(item as u32))
    }

    /// Number of the user's raw rows (all of them: the exact filter reads its whole history).
    pub fn history_len(&self, user: usize) -> usize {
        self.history[user].len()
    }

    /// The user's raw rows `(item, score)` in log order.
    pub fn history(&self, user: usize) -> &[(u32, f64)] {
        &self.history[user]
    }

    /// Whether the item appears anywhere in the log.
    pub fn is_present(&self, item: usize) -> bool {
        self.present[item]
    }

    /// The squared norm of an item's row.
    pub fn norm2(&self, item: usize) -> f64 {
        self.norms2[item]
    }

    /// The aggregated matrix entry.
    pub fn entry(&self, item: usize, user: usize) -> f64 {
        self.user_items[user]
            .get(&(item as u32))
            .copied()
            .unwrap_or(0.0)
    }

    /// `get_recom`'s raw scores: for every unseen item sharing a user with the history,
    /// `sum over the user's rows (h, s) of similarity(h, j) * s`, as `(item, score)` pairs in
    /// no particular order. Items absent here score exactly 0.
    ///
    /// This is the hot loop of a simulation step. `similarity(h, j) = dot(h, j) / (|h| |j|)`,
    /// so it sums `s / |h| * dot(h, j)` per item and divides by `|j|` once at the end; the
    /// scatter has no data-dependent branch (an item joins the touched list by a mark, not an
    /// `if`), and the user's seen items are pre-marked so they never join it.
    pub fn raw_scores(&mut self, user: usize) -> Vec<(usize, f64)> {
        let Self {
            n_items,
            user_items,
            history,
            inv_norms,
            dots,
            scratch,
            ..
        } = self;
        let Scratch {
            acc,
            marked,
            touched,
        } = scratch;
        if acc.len() != *n_items {
            *acc = vec![0.0; *n_items];
            *marked = vec![false; *n_items];
        }
        let history = &history[user];
        let bound: usize = history.iter().map(|&(h, _)| dots[h as usize].len()).sum();
        if touched.len() < bound {
            touched.resize(bound, 0);
        }
        let seen = &user_items[user];
        for &j in seen.keys() {
            marked[j as usize] = true;
        }
        let mut len = 0;
        for &(h, s) in history.iter() {
            let weight = inv_norms[h as usize] * s;
            if weight == 0.0 {
                continue;
            }
            for &(j, dot) in dots[h as usize].iter() {
                let k = j as usize;
                acc[k] += weight * dot;
                touched[len] = j;
                len += usize::from(!marked[k]);
                marked[k] = true;
            }
        }
        let mut out = Vec::with_capacity(len);
        for &j in &touched[..len] {
            let k = j as usize;
            let sum = std::mem::take(&mut acc[k]);
            marked[k] = false;
            if inv_norms[k] != 0.0 {
                out.push((k, sum * inv_norms[k]));
            }
        }
        for &j in seen.keys() {
            acc[j as usize] = 0.0;
            marked[j as usize] = false;
        }
        out
    }
}

/// The Gram matrix `M M^T` of the aggregated item x user matrix built from a log, with sprs.
/// Duplicate (item, user) rows are summed, as the notebook's `groupby().sum()` does.
pub fn gram_from_log(n_items: usize, n_users: usize, log: &[(usize, usize, f64)]) -> CsMat<f64> {
    let mut tri = TriMat::new((n_items, n_users.max(1)));
    for &(item, user, score) in log {
        tri.add_triplet(item, user, score);
    }
    let m: CsMat<f64> = tri.to_csr();
    let mt: CsMat<f64> = m.transpose_view().to_csr();
    &m * &mt
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use proptest::prelude::*;

    /// Brute-force dense cosine similarity, as sklearn computes it.
    fn dense_cosine(n_items: usize, n_users: usize, log: &[(usize, usize, f64)]) -> Array2<f64> {
        let mut m = Array2::<f64>::zeros((n_items, n_users));
        for &(i, u, s) in log {
            m[[i, u]] += s;
        }
        let mut sim = Array2::<f64>::zeros((n_items, n_items));
        for i in 0..n_items {
            for j in 0..n_items {
                let (a, b) = (m.row(i), m.row(j));
                let (na, nb) = (a.dot(&a).sqrt(), b.dot(&b).sqrt());
                sim[[i, j]] = if na == 0.0 || nb == 0.0 {
                    0.0
                } else {
                    a.dot(&b) / (na * nb)
                };
            }
        }
        sim
    }

    fn log_strategy() -> impl Strategy<Value = Vec<(usize, usize, f64)>> {
        let score = prop::sample::select(vec![1.0, -2.0, 2.0, -0.5, -1.0]);
        prop::collection::vec((0usize..12, 0usize..6, score), 0..80)
    }

    proptest! {
        #[test]
        fn incremental_equals_rebuild(initial in log_strategy(), extra in log_strategy()) {
            let mut cf = ExactFilter::from_log(12, 6, &initial);
            for &(i, u, s) in &extra {
                cf.record(i, u, s);
            }
            let all: Vec<_> = initial.iter().chain(extra.iter()).copied().collect();
            let rebuilt = ExactFilter::from_log(12, 6, &all);
            let dense = dense_cosine(12, 6, &all);
            for i in 0..12 {
                prop_assert!((cf.norm2(i) - rebuilt.norm2(i)).abs() < 1e-9);
                for j in 0..12 {
                    prop_assert!((cf.similarity(i, j) - rebuilt.similarity(i, j)).abs() < 1e-9);
                    prop_assert!((cf.similarity(i, j) - dense[[i, j]]).abs() < 1e-9,
                        "({i},{j}) {} vs dense {}", cf.similarity(i, j), dense[[i, j]]);
                }
            }
            for u in 0..6 {
                let mut a = cf.clone();
                let mut b = rebuilt.clone();
                let (ra, rb) = (a.raw_scores(u), b.raw_scores(u));
                let nonzero = |v: Vec<(usize, f64)>| {
                    let mut v: Vec<_> = v.into_iter().filter(|p| p.1.abs() > 1e-9).collect();
                    v.sort_by_key(|p| p.0);
                    v
                };
                let (ra, rb) = (nonzero(ra), nonzero(rb));
                prop_assert_eq!(ra.len(), rb.len());
                for (x, y) in ra.iter().zip(rb.iter()) {
                    prop_assert_eq!(x.0, y.0);
                    prop_assert!((x.1 - y.1).abs() < 1e-9);
                }
            }
        }
    }

    #[test]
    fn cosine_matches_dense_on_a_fixed_log() {
        let log = vec![
            (0, 0, 2.0),
            (0, 1, -0.5),
            (0, 2, 1.0),
            (1, 0, 1.0),
            (1, 1, 1.0),
            (1, 2, 1.0),
            (2, 0, 2.0),
            (2, 1, -2.0),
            (2, 2, 1.0),
        ];
        let cf = ExactFilter::from_log(3, 3, &log);
        let dense = dense_cosine(3, 3, &log);
        for i in 0..3 {
            for j in 0..3 {
                assert!((cf.similarity(i, j) - dense[[i, j]]).abs() < 1e-12);
            }
        }
        // Hand-computed: items 0 and 1 = (2, -0.5, 1).(1, 1, 1) / (sqrt(5.25) sqrt(3)).
        let expected = 2.5 / (5.25f64.sqrt() * 3f64.sqrt());
        assert!((cf.similarity(0, 1) - expected).abs() < 1e-12);
    }

    #[test]
    fn raw_scores_exclude_seen_items_and_follow_the_definition() {
        // User 0 saw items 0 and 1; user 1 saw 0, 2, 3.
        let log = vec![
            (0, 0, 1.0),
            (1, 0, 2.0),
            (0, 1, 1.0),
            (2, 1, 2.0),
            (3, 1, -2.0),
        ];
        let mut cf = ExactFilter::from_log(5, 2, &log);
        let mut scores = cf.raw_scores(0);
        scores.sort_by_key(|p| p.0);
        assert!(scores.iter().all(|&(j, _)| j != 0 && j != 1));
        for &(j, s) in &scores {
            let expected = cf.similarity(0, j) * 1.0 + cf.similarity(1, j) * 2.0;
            assert!((s - expected).abs() < 1e-12);
        }
        assert_eq!(scores.iter().map(|p| p.0).collect::<Vec<_>>(), vec![2, 3]);
        // The scratch space is clean again: a second call (and another user's) agree.
        let mut again = cf.raw_scores(0);
        again.sort_by_key(|p| p.0);
        assert_eq!(again, scores);
        let mut other = cf.raw_scores(1);
        other.sort_by_key(|p| p.0);
        let mut fresh = ExactFilter::from_log(5, 2, &log).raw_scores(1);
        fresh.sort_by_key(|p| p.0);
        assert_eq!(other, fresh);
    }
}
