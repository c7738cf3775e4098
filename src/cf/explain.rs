//! Explaining the collaborative filter: a candidate's business score split into its three
//! terms, the videos of a user's history its similarity score comes from, a video's nearest
//! neighbours, and an item-item similarity heatmap grouped by category. Everything reads the
//! filter through its public API (`similarity`, `entry`, `history`), so it does not depend on
//! how the filter stores its rows.

use serde::{Deserialize, Serialize};

use crate::cf::CollaborativeFilter;
use crate::config::CfConfig;
use crate::error::{Error, Result};
use crate::sim::behaviour::Action;
use crate::sim::world::{Category, World};

/// The business score `w1 * similarity + w2 * (0.1 * views) + w3 * interest` as its three
/// terms. `similarity + popularity + interest`, added in that order, is bit for bit the
/// score [`crate::cf::business_score`] computes from the same inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScoreTerms {
    /// `w1 * similarity score`.
    pub similarity: f64,
    /// `w2 * (0.1 * views)`.
    pub popularity: f64,
    /// `w3 * (1 if the category is one of the user's interests, else 0)`.
    pub interest: f64,
    /// The three added: the business score.
    pub total: f64,
}

/// The three terms of the business score, computed exactly as the score itself is.
pub fn score_terms(cfg: &CfConfig, cf_score: f64, views: i64, interest: bool) -> ScoreTerms {
    let similarity = cfg.w1 * cf_score;
    let popularity = cfg.w2 * (0.1 * views as f64);
    let interest = cfg.w3 * if interest { 1.0 } else { 0.0 };
    ScoreTerms {
        similarity,
        popularity,
        interest,
        total: similarity + popularity + interest,
    }
}

/// One video of a user's history and what it adds to a candidate's similarity score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// The history video.
    pub video: usize,
    /// Its category.
    pub category: Category,
    /// The user's aggregated score for it (the sum of their interaction scores with it).
    pub score: f64,
    /// Number of the user's interactions with it.
    pub interactions: usize,
    /// The action of the user's last interaction with it (`watched`, `skipped`, `liked`,
    /// `session_end`), read back from its score; `None` if the score matches no action of
    /// the score tables given.
    pub action: Option<Action>,
    /// Cosine similarity between it and the candidate.
    pub cosine: f64,
    /// `cosine * score`: its share of the candidate's similarity score.
    pub contribution: f64,
}

/// The videos a candidate's similarity score comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimilarHistory {
    /// The largest contributions first (ties by video id), at most the number asked for.
    pub top: Vec<Contribution>,
    /// Sum of every contribution (listed or not): the candidate's similarity score under the
    /// filter as it is now.
    pub total: f64,
    /// Number of distinct history videos with a non-zero contribution.
    pub contributing: usize,
}

/// The action whose score is `score`: the live table first, then the historical one.
fn action_of(score: f64, tables: &[crate::config::ScoreTable]) -> Option<Action> {
    tables
        .iter()
        .find_map(|t| Action::ALL.into_iter().find(|a| a.score(t) == score))
}

/// Which of `user`'s history videos make `video`'s similarity score: `get_recom` scores a
/// video `j` by `sum over the user's rows (h, s) of cosine(h, j) * s`, which grouped by
/// history video is `sum over h of cosine(h, j) * aggregated score(h)`. Returns the `k`
/// largest contributions (non-zero ones only). `video` itself is left out if the user has
/// seen it. `tables` turns a last interaction's score back into an action's name (pass the
/// live table, then the historical one).
pub fn similar_history(
    cf: &CollaborativeFilter,
    world: &World,
    user: usize,
    video: usize,
    k: usize,
    tables: &[crate::config::ScoreTable],
) -> SimilarHistory {
    let mut seen: Vec<(u32, usize, f64)> = Vec::new(); // (video, interactions, last score)
    for (h, s) in cf.history(user) {
        match seen.iter_mut().find(|e| e.0 == h) {
            Some(e) => {
                e.1 += 1;
                e.2 = s;
            }
            None => seen.push((h, 1, s)),
        }
    }
    let mut all: Vec<Contribution> = seen
        .into_iter()
        .filter(|&(h, ..)| h as usize != video)
        .map(|(h, interactions, last)| {
            let h = h as usize;
            let score = cf.entry(h, user);
            let cosine = cf.similarity(h, video);
            Contribution {
                video: h,
                category: world.videos[h].category,
                score,
                interactions,
                action: action_of(last, tables),
                cosine,
                contribution: cosine * score,
            }
        })
        .collect();
    let total = all.iter().map(|c| c.contribution).sum();
    all.retain(|c| c.contribution != 0.0);
    let contributing = all.len();
    all.sort_by(|a, b| {
        b.contribution
            .total_cmp(&a.contribution)
            .then(a.video.cmp(&b.video))
    });
    all.truncate(k);
    SimilarHistory {
        top: all,
        total,
        contributing,
    }
}

/// A video and its cosine similarity to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Neighbour {
    /// Video id.
    pub video: usize,
    /// Its category.
    pub category: Category,
    /// Cosine similarity to the video asked about.
    pub cosine: f64,
}

/// Largest `k` accepted by [`neighbours`].
pub const MAX_NEIGHBOURS: usize = 500;
/// Largest sample per category accepted by [`heatmap`].
pub const MAX_PER_CATEGORY: usize = 64;

/// The `k` videos most similar to `video` (highest cosine first, ties by id), leaving out
/// the video itself and videos with a cosine of exactly 0 (no user in common).
pub fn neighbours(
    cf: &CollaborativeFilter,
    world: &World,
    video: usize,
    k: usize,
) -> Result<Vec<Neighbour>> {
    let n = world.videos.len();
    if video >= n {
        return Err(Error::field(
            "video",
            format!("must be below {n} (got {video})"),
        ));
    }
    if k == 0 || k > MAX_NEIGHBOURS {
        return Err(Error::field(
            "k",
            format!("must be in [1, {MAX_NEIGHBOURS}] (got {k})"),
        ));
    }
    let mut out: Vec<Neighbour> = (0..n)
        .filter(|&j| j != video)
        .filter_map(|j| {
            let cosine = cf.similarity(video, j);
            (cosine != 0.0).then(|| Neighbour {
                video: j,
                category: world.videos[j].category,
                cosine,
            })
        })
        .collect();
    out.sort_by(|a, b| b.cosine.total_cmp(&a.cosine).then(a.video.cmp(&b.video)));
    out.truncate(k);
    Ok(out)
}

/// A block of consecutive rows/columns of the heatmap: one category's videos.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryBlock {
    /// The category.
    pub category: Category,
    /// First row of the block.
    pub start: usize,
    /// Rows in the block.
    pub len: usize,
}

/// Item-item cosine similarity of a sample of videos, grouped by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heatmap {
    /// The sampled video ids, category by category (the rows and columns, in order).
    pub videos: Vec<usize>,
    /// Where each category's rows are.
    pub blocks: Vec<CategoryBlock>,
    /// `values[i][j]` = cosine(videos[i], videos[j]); 1 on the diagonal for a video with any
    /// interaction.
    pub values: Vec<Vec<f64>>,
    /// Mean cosine over pairs of distinct sampled videos of the same category.
    pub mean_within: f64,
    /// Mean cosine over pairs of sampled videos of different categories. A filter that has
    /// found category structure has `mean_within` clearly above it.
    pub mean_between: f64,
}

/// The heatmap of a deterministic sample: for each category in embedding order, its first
/// `per_category` videos by id among those with interactions (fewer if the category has
/// fewer). The same world gives the same sample as training goes on, until more videos get
/// interactions, so the reader sees the same cells change.
pub fn heatmap(cf: &CollaborativeFilter, world: &World, per_category: usize) -> Result<Heatmap> {
    if per_category == 0 || per_category > MAX_PER_CATEGORY {
        return Err(Error::field(
            "per_category",
            format!("must be in [1, {MAX_PER_CATEGORY}] (got {per_category})"),
        ));
    }
    let mut videos = Vec::new();
    let mut blocks = Vec::new();
    for category in Category::ALL {
        let start = videos.len();
        videos.extend(
            world
                .videos
                .iter()
                .filter(|v| v.category == category && cf.norm2(v.id) > 0.0)
                .map(|v| v.id)
                .take(per_category),
        );
        blocks.push(CategoryBlock {
            category,
            start,
            len: videos.len() - start,
        });
    }
    let values: Vec<Vec<f64>> = videos
        .iter()
        .map(|&a| videos.iter().map(|&b| cf.cosine(a, b)).collect())
        .collect();
    let (mut within, mut nw, mut between, mut nb) = (0.0, 0usize, 0.0, 0usize);
    for (i, &a) in videos.iter().enumerate() {
        for (j, &b) in videos.iter().enumerate() {
            if i == j {
                continue;
            }
            if world.videos[a].category == world.videos[b].category {
                within += values[i][j];
                nw += 1;
            } else {
                between += values[i][j];
                nb += 1;
            }
        }
    }
    let avg = |s: f64, n: usize| if n == 0 { 0.0 } else { s / n as f64 };
    Ok(Heatmap {
        videos,
        blocks,
        values,
        mean_within: avg(within, nw),
        mean_between: avg(between, nb),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cf::candidates::business_score;
    use crate::config::{Config, ScoreTable};
    use crate::env::Environment;

    fn small() -> Config {
        let mut c = Config::default_preset();
        c.world.n_videos = 300;
        c.world.n_users = 30;
        c
    }

    #[test]
    fn terms_add_up_bit_for_bit() {
        let cfg = Config::default_preset().cf;
        for (s, v, i) in [(0.8, 50, true), (-3.7, 41, false), (12.25, 0, true)] {
            let t = score_terms(&cfg, s, v, i);
            assert_eq!(t.total, business_score(&cfg, s, v, i));
            assert_eq!(t.similarity + t.popularity + t.interest, t.total);
        }
        let t = score_terms(&cfg, 0.8, 50, true);
        assert!((t.similarity - 0.4).abs() < 1e-12);
        assert!((t.popularity - 0.5).abs() < 1e-12);
        assert!((t.interest - 0.3).abs() < 1e-12);
    }

    #[test]
    fn contributions_come_from_the_history_and_add_up_to_the_similarity_score() {
        let cfg = small();
        let env = Environment::new(&cfg).unwrap();
        let tables = [cfg.scores.live, cfg.scores.history];
        let mut cf = env.cf().clone();
        let mut checked = 0;
        for user in 0..cfg.world.n_users {
            let raw = cf.raw_scores(user);
            for &(video, score) in raw.iter().take(5) {
                let h = similar_history(env.cf(), env.world(), user, video, usize::MAX, &tables);
                assert!(
                    (h.total - score).abs() <= 1e-9 * (1.0 + score.abs()),
                    "user {user} video {video}: {} vs {score}",
                    h.total
                );
                let listed: f64 = h.top.iter().map(|c| c.contribution).sum();
                assert!((listed - score).abs() <= 1e-9 * (1.0 + score.abs()));
                assert_eq!(h.top.len(), h.contributing);
                for c in &h.top {
                    assert!(env
                        .cf()
                        .history(user)
                        .iter()
                        .any(|r| r.0 as usize == c.video));
                    assert_eq!(c.score, env.cf().entry(c.video, user));
                    assert!(c.action.is_some(), "{c:?}");
                }
                for w in h.top.windows(2) {
                    assert!(w[0].contribution >= w[1].contribution);
                }
                let top3 = similar_history(env.cf(), env.world(), user, video, 3, &tables);
                assert_eq!(&top3.top[..], &h.top[..h.top.len().min(3)]);
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn actions_are_read_back_from_scores() {
        let t = [ScoreTable::POST, ScoreTable::NOTEBOOK_HISTORY];
        assert_eq!(action_of(2.0, &t), Some(Action::Liked));
        assert_eq!(action_of(-2.0, &t), Some(Action::Skipped));
        assert_eq!(action_of(-1.0, &t), Some(Action::Skipped));
        assert_eq!(action_of(-0.5, &t), Some(Action::SessionEnd));
        assert_eq!(action_of(7.0, &t), None);
    }

    #[test]
    fn neighbours_are_sorted_and_validated() {
        let cfg = small();
        let env = Environment::new(&cfg).unwrap();
        let video = (0..300).find(|&v| env.cf().norm2(v) > 0.0).unwrap();
        let n = neighbours(env.cf(), env.world(), video, 10).unwrap();
        assert!(!n.is_empty() && n.len() <= 10);
        for w in n.windows(2) {
            assert!(w[0].cosine >= w[1].cosine);
        }
        for x in &n {
            assert_ne!(x.video, video);
            assert_eq!(x.cosine, env.cf().similarity(video, x.video));
            assert_eq!(x.category, env.world().videos[x.video].category);
        }
        // Nothing left out is more similar than the last one listed.
        let last = n.last().unwrap().cosine;
        let better = (0..300)
            .filter(|&j| j != video && env.cf().similarity(video, j) > last)
            .count();
        assert!(better < n.len());
        assert!(neighbours(env.cf(), env.world(), 300, 5)
            .unwrap_err()
            .to_string()
            .contains("video"));
        assert!(neighbours(env.cf(), env.world(), 0, 0)
            .unwrap_err()
            .to_string()
            .starts_with("k:"));
    }

    #[test]
    fn heatmap_is_grouped_by_category_and_symmetric() {
        let cfg = small();
        let env = Environment::new(&cfg).unwrap();
        let h = heatmap(env.cf(), env.world(), 4).unwrap();
        assert_eq!(h.blocks.len(), 8);
        assert_eq!(h.values.len(), h.videos.len());
        for b in &h.blocks {
            assert!(b.len <= 4);
            for &v in &h.videos[b.start..b.start + b.len] {
                assert_eq!(env.world().videos[v].category, b.category);
            }
        }
        for i in 0..h.videos.len() {
            assert!((h.values[i][i] - 1.0).abs() < 1e-9);
            for j in 0..h.videos.len() {
                assert!((h.values[i][j] - h.values[j][i]).abs() < 1e-12);
            }
        }
        assert_eq!(h, heatmap(env.cf(), env.world(), 4).unwrap());
        assert!(heatmap(env.cf(), env.world(), 0).is_err());
        assert!(heatmap(env.cf(), env.world(), MAX_PER_CATEGORY + 1).is_err());
    }
}
