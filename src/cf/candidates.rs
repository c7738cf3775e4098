//! Candidate generation (`get_recom`, notebook cell 13) and the business-weighted final score
//! (`gen_scores`, cell 15).

use serde::{Deserialize, Serialize};

use crate::cf::filter::CollaborativeFilter;
use crate::config::CfConfig;
use crate::sim::world::World;

/// A recommended video with its scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Video id.
    pub video: usize,
    /// The collaborative-filter score (the post's "similarity score").
    pub cf_score: f64,
    /// Whether the category is one of the user's interests.
    pub interest: bool,
    /// `w1 * cf_score + w2 * (0.1 * views) + w3 * interest`.
    pub business: f64,
}

/// The post's final score: `w1 * similarity + w2 * (0.1 * views) + w3 * is_interest`.
pub fn business_score(cfg: &CfConfig, cf_score: f64, views: i64, interest: bool) -> f64 {
    cfg.w1 * cf_score + cfg.w2 * (0.1 * views as f64) + cfg.w3 * if interest { 1.0 } else { 0.0 }
}

/// The `r = cfg.n_candidates` best unseen videos by collaborative-filter score (ties by id, as
/// the notebook's stable sort over ascending ids gives), then ordered by business score, best
/// first (ties keep the filter's order). Slot `i` of the agent is the `i`-th of these.
///
/// Like the notebook, only videos that appear in the log are candidates (its `look_lst`),
/// unless fewer than `r` logged videos are unseen. A user with no history at all (the reader in the
/// playground) gets the most viewed videos instead of the arbitrary lowest ids. Returns exactly
/// `min(r, n_videos)` candidates: if the user has seen nearly everything, seen videos refill.
pub fn generate(
    cf: &mut CollaborativeFilter,
    world: &World,
    user: usize,
    cfg: &CfConfig,
) -> Vec<Candidate> {
    let r = cfg.n_candidates.min(world.videos.len());
    let raw = cf.raw_scores(user);
    // Best first; ties by ascending id, as the notebook's stable sort over ascending ids gives.
    let order = |a: &(usize, f64), b: &(usize, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    let mut picked: Vec<(usize, f64)> = raw.iter().copied().filter(|p| p.1 > 0.0).collect();
    if picked.len() > r {
        // Only the top r are needed: select them in linear time, then sort those.
        picked.select_nth_unstable_by(r - 1, order);
        picked.truncate(r);
    }
    picked.sort_by(order);
    if picked.len() < r {
        // Zero-score videos: logged and unseen, either untouched or cancelled to exactly 0.
        let mut nonzero = vec![false; world.videos.len()];
        for &(j, s) in &raw {
            nonzero[j] = s != 0.0;
        }
        let mut zeros: Vec<usize> = (0..world.videos.len())
            .filter(|&j| cf.is_present(j) && !nonzero[j] && !cf.has_seen(user, j))
            .collect();
        if cf.history_len(user) == 0 {
            zeros.sort_by_key(|&j| std::cmp::Reverse(world.videos[j].views));
        }
        picked.extend(zeros.into_iter().take(r - picked.len()).map(|j| (j, 0.0)));
    }
    if picked.len() < r {
        let mut negatives: Vec<(usize, f64)> = raw.iter().copied().filter(|p| p.1 < 0.0).collect();
        negatives.sort_by(order);
        picked.extend(negatives.into_iter().take(r - picked.len()));
    }
    if picked.len() < r {
        // Nearly the whole catalogue is seen: unlogged videos, then seen ones.
        let mut chosen = vec![false; world.videos.len()];
        for &(j, _) in &picked {
            chosen[j] = true;
        }
        let rest: Vec<usize> = (0..world.videos.len())
            .filter(|&j| !chosen[j] && !cf.is_present(j))
            .chain((0..world.videos.len()).filter(|&j| !chosen[j] && cf.is_present(j)))
            .take(r - picked.len())
            .collect();
        picked.extend(rest.into_iter().map(|j| (j, 0.0)));
    }
    let u = &world.users[user];
    let mut out: Vec<Candidate> = picked
        .into_iter()
        .map(|(video, cf_score)| {
            let v = &world.videos[video];
            let interest = u.likes_category(v.category);
            Candidate {
                video,
                cf_score,
                interest,
                business: business_score(cfg, cf_score, v.views, interest),
            }
        })
        .collect();
    out.sort_by(|a, b| b.business.total_cmp(&a.business));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::sim::world::{Category, Gender, Region, User, Video};

    fn tiny_world(views: &[i64], cats: &[Category]) -> World {
        World {
            videos: views
                .iter()
                .zip(cats)
                .enumerate()
                .map(|(id, (&views, &category))| Video {
                    id,
                    category,
                    duration: 6.0,
                    creator: id % 2,
                    views,
                })
                .collect(),
            users: (0..2)
                .map(|id| User {
                    id,
                    age: 20,
                    gender: Gender::M,
                    region: Region::West,
                    interests: [Category::Tech, Category::Food],
                })
                .collect(),
            n_creators: 2,
        }
    }

    #[test]
    fn business_score_matches_hand_computation() {
        let cfg = Config::default_preset().cf;
        // 0.5 * 0.8 + 0.1 * (0.1 * 50) + 0.3 * 1 = 0.4 + 0.5 + 0.3
        assert!((business_score(&cfg, 0.8, 50, true) - 1.2).abs() < 1e-12);
        assert!((business_score(&cfg, -1.0, 40, false) - (-0.5 + 0.4)).abs() < 1e-12);
    }

    #[test]
    fn candidates_exclude_seen_videos_and_are_ranked_by_business_score() {
        use Category::*;
        let world = tiny_world(
            &[50, 50, 10, 90, 50, 50],
            &[Comedy, Tech, News, Comedy, Food, News],
        );
        let log = vec![
            (0, 0, 1.0),
            (1, 0, 2.0),
            (0, 1, 1.0),
            (2, 1, 2.0),
            (3, 1, 1.0),
            (4, 1, 1.0),
        ];
        let mut cf = CollaborativeFilter::from_log(6, 2, &log);
        let cfg = CfConfig {
            n_candidates: 3,
            ..Config::default_preset().cf
        };
        let c = generate(&mut cf, &world, 0, &cfg);
        assert_eq!(c.len(), 3);
        assert!(c.iter().all(|x| x.video != 0 && x.video != 1), "{c:?}");
        // Video 5 is not in the log, so it is not a candidate while logged ones remain.
        assert!(c.iter().all(|x| x.video != 5));
        for w in c.windows(2) {
            assert!(w[0].business >= w[1].business);
        }
        for x in &c {
            let v = &world.videos[x.video];
            let expected = business_score(
                &cfg,
                x.cf_score,
                v.views,
                world.users[0].likes_category(v.category),
            );
            assert_eq!(x.business, expected);
        }
        // Food (video 4) is an interest of user 0.
        assert!(c.iter().find(|x| x.video == 4).unwrap().interest);
    }

    #[test]
    fn a_user_who_saw_everything_still_gets_candidates() {
        use Category::*;
        let world = tiny_world(&[1, 2, 3], &[Comedy, Tech, News]);
        let log = vec![(0, 0, 1.0), (1, 0, 1.0), (2, 0, 1.0)];
        let mut cf = CollaborativeFilter::from_log(3, 2, &log);
        let cfg = CfConfig {
            n_candidates: 2,
            ..Config::default_preset().cf
        };
        assert_eq!(generate(&mut cf, &world, 0, &cfg).len(), 2);
        // A user with no history gets the most viewed logged videos.
        let c = generate(&mut cf, &world, 1, &cfg);
        let mut ids: Vec<_> = c.iter().map(|x| x.video).collect();
        ids.sort();
        assert_eq!(ids, vec![1, 2]);
    }
}
