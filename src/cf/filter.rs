//! The collaborative filter the environment uses: the notebook's exact computation, or the
//! top-K neighbour index, as the configuration says (`cf.top_k`).

use crate::cf::neighbours::TopKFilter;
use crate::cf::similarity::ExactFilter;
use crate::config::CfConfig;

/// Either filter, behind one interface.
#[derive(Debug, Clone)]
pub enum CollaborativeFilter {
    /// Every pair's dot product; the notebook's candidates exactly (`cf.top_k = null`).
    Exact(ExactFilter),
    /// The top-K neighbour index over a window of recent interactions per user.
    TopK(TopKFilter),
}

impl CollaborativeFilter {
    /// Build the filter `cfg` asks for from an interaction log `(item, user, score)`.
    pub fn build(
        cfg: &CfConfig,
        n_items: usize,
        n_users: usize,
        log: &[(usize, usize, f64)],
    ) -> Self {
        match cfg.top_k {
            None => Self::Exact(ExactFilter::from_log(n_items, n_users, log)),
            Some(k) => Self::TopK(TopKFilter::from_log(
                n_items,
                n_users,
                log,
                k,
                cfg.history_window,
            )),
        }
    }

    /// The exact filter built from a log.
    pub fn from_log(n_items: usize, n_users: usize, log: &[(usize, usize, f64)]) -> Self {
        Self::Exact(ExactFilter::from_log(n_items, n_users, log))
    }

    /// Number of items.
    pub fn n_items(&self) -> usize {
        match self {
            Self::Exact(f) => f.n_items(),
            Self::TopK(f) => f.n_items(),
        }
    }

    /// Number of users (columns).
    pub fn n_users(&self) -> usize {
        match self {
            Self::Exact(f) => f.n_users(),
            Self::TopK(f) => f.n_users(),
        }
    }

    /// Add an empty column for a new user; returns its index.
    pub fn add_user(&mut self) -> usize {
        match self {
            Self::Exact(f) => f.add_user(),
            Self::TopK(f) => f.add_user(),
        }
    }

    /// Record one interaction of `user` with `item`.
    pub fn record(&mut self, item: usize, user: usize, score: f64) {
        match self {
            Self::Exact(f) => f.record(item, user, score),
            Self::TopK(f) => f.record(item, user, score),
        }
    }

    /// Whether the user ever interacted with the item.
    pub fn has_seen(&self, user: usize, item: usize) -> bool {
        match self {
            Self::Exact(f) => f.has_seen(user, item),
            Self::TopK(f) => f.has_seen(user, item),
        }
    }

    /// Number of the user's rows candidate generation reads (the whole history for the exact
    /// filter, the window for the index).
    pub fn history_len(&self, user: usize) -> usize {
        match self {
            Self::Exact(f) => f.history_len(user),
            Self::TopK(f) => f.history_len(user),
        }
    }

    /// Interactions recorded, the log's rows included.
    pub fn n_recorded(&self) -> u64 {
        match self {
            Self::Exact(f) => (0..f.n_users()).map(|u| f.history_len(u) as u64).sum(),
            Self::TopK(f) => f.n_recorded(),
        }
    }

    /// Whether the item appears anywhere in the log.
    pub fn is_present(&self, item: usize) -> bool {
        match self {
            Self::Exact(f) => f.is_present(item),
            Self::TopK(f) => f.is_present(item),
        }
    }

    /// `get_recom`'s raw scores for the user's unseen items, as `(item, score)` pairs in no
    /// particular order; items absent score 0.
    pub fn raw_scores(&mut self, user: usize) -> Vec<(usize, f64)> {
        match self {
            Self::Exact(f) => f.raw_scores(user),
            Self::TopK(f) => f.raw_scores(user),
        }
    }

    /// The user's rows that candidate generation reads, oldest first: `(item, score)` (the
    /// whole history for the exact filter, the window for the index).
    pub fn history(&self, user: usize) -> Vec<(u32, f64)> {
        match self {
            Self::Exact(f) => f.history(user).to_vec(),
            Self::TopK(f) => f.recent_rows(user),
        }
    }

    /// The similarity candidate generation uses between `i` and `j`: the exact cosine, or for
    /// the index the cosine stored in `i`'s top-K list (0 when `j` is not among them).
    pub fn similarity(&self, i: usize, j: usize) -> f64 {
        match self {
            Self::Exact(f) => f.similarity(i, j),
            Self::TopK(f) => f
                .neighbours(i)
                .iter()
                .find(|e| e.0 as usize == j)
                .map_or(0.0, |e| f64::from(e.1)),
        }
    }

    /// The exact cosine between two items over the matrix the filter holds (the window, for
    /// the index), for displays: unlike [`similarity`](Self::similarity) it does not depend on
    /// whether `j` made `i`'s top-K list, so it is symmetric.
    pub fn cosine(&self, i: usize, j: usize) -> f64 {
        match self {
            Self::Exact(f) => f.similarity(i, j),
            Self::TopK(f) => f.cosine(i, j),
        }
    }

    /// The item x user matrix entry (summed over the window for the index).
    pub fn entry(&self, item: usize, user: usize) -> f64 {
        match self {
            Self::Exact(f) => f.entry(item, user),
            Self::TopK(f) => f.entry(item, user),
        }
    }

    /// Squared norm of the item's row of the matrix (0 for an item nobody interacted with).
    pub fn norm2(&self, item: usize) -> f64 {
        match self {
            Self::Exact(f) => f.norm2(item),
            Self::TopK(f) => f.norm2(item),
        }
    }
}
