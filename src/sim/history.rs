//! The historical interaction log the collaborative filter starts from (notebook cell 6).

use rand::Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::rng::{uniform, uniform_int, unit};
use crate::sim::behaviour::{choose_weighted, Action, ResponseModel};
use crate::sim::world::World;

/// One logged interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Video id.
    pub video: usize,
    /// User id.
    pub user: usize,
    /// Session number of this user.
    pub session: u32,
    /// What happened; a row that closed its session is logged as `SessionEnd` (the notebook's
    /// `done`), whatever the user did with the video.
    pub action: Action,
    /// Seconds since the user's first interaction.
    pub timestamp: f64,
}

/// Generate every user's history, updating view counts as the notebook does (a view for each
/// interaction except a skip). Users are visited in id order.
pub fn generate_history<R: Rng>(world: &mut World, cfg: &Config, rng: &mut R) -> Vec<HistoryRow> {
    let mut rows = Vec::new();
    extend_history(world, cfg, 0..world.users.len(), rng, &mut rows);
    rows
}

/// Generate the histories of `users` (a range of ids, visited in order) and append them to
/// `rows`. Calling it on consecutive ranges with the same generator gives exactly
/// `generate_history`'s log: the staged builder uses it to build a large world in chunks.
pub fn extend_history<R: Rng>(
    world: &mut World,
    cfg: &Config,
    users: std::ops::Range<usize>,
    rng: &mut R,
    rows: &mut Vec<HistoryRow>,
) {
    let w = &cfg.world;
    let b = &cfg.behaviour;
    let model = ResponseModel::new(b);
    let count_dist = Normal::new(w.history_mean, w.history_sd).expect("validated sd >= 0");
    let gap_dist = Normal::new(b.session_gap_mean, b.session_gap_sd).expect("validated sd >= 0");
    for user_id in users {
        let user = world.users[user_id].clone();
        let mut session = 0u32;
        let mut timestamp = 0.0f64;
        let n = count_dist.sample(rng).max(w.history_min as f64).round() as usize;
        for _ in 0..n {
            let video = uniform_int(rng, world.videos.len());
            let category = world.videos[video].category;
            let mut p = model.continue_probability(&user, category, unit(rng));
            let q = 1.0 - p;
            let action = choose_weighted(&[p, q / 2.0, q / 2.0], unit(rng))
                .map(|i| [Action::Watched, Action::Skipped, Action::Liked][i])
                .unwrap_or(Action::Skipped);
            world.videos[video].views += 1;
            match action {
                Action::Liked => {
                    p = (p + b.history_like_boost).min(1.0);
                    timestamp += world.videos[video].duration;
                }
                Action::Skipped => {
                    p = (p - b.history_skip_drop).max(0.0);
                    world.videos[video].views -= 1;
                    timestamp += uniform(rng, b.skip_seconds_min, b.skip_seconds_max);
                }
                _ => timestamp += world.videos[video].duration,
            }
            let mut logged = action;
            let row_ts = timestamp;
            if p < unit(rng) {
                session += 1;
                timestamp += gap_dist.sample(rng);
                logged = Action::SessionEnd;
            }
            rows.push(HistoryRow {
                video,
                user: user_id,
                session: if logged == Action::SessionEnd {
                    session - 1
                } else {
                    session
                },
                action: logged,
                timestamp: row_ts,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::stream;

    #[test]
    fn history_has_the_notebook_shape() {
        let cfg = Config::seed_preset();
        let mut rng = stream(1, 0);
        let mut world = World::generate(&cfg.world, &mut rng);
        let views_before: i64 = world.videos.iter().map(|v| v.views).sum();
        let rows = generate_history(&mut world, &cfg, &mut rng);
        // ~30 interactions per user, at least 5 each.
        let per_user = rows.len() as f64 / cfg.world.n_users as f64;
        assert!((26.0..34.0).contains(&per_user), "{per_user}");
        for u in 0..cfg.world.n_users {
            assert!(rows.iter().filter(|r| r.user == u).count() >= 5);
        }
        // Views grow by one per non-skipped interaction.
        let views_after: i64 = world.videos.iter().map(|v| v.views).sum();
        assert!(views_after > views_before);
        assert!(views_after - views_before <= rows.len() as i64);
        // Sessions break: the notebook's log has many `done` rows (~a third).
        let done = rows
            .iter()
            .filter(|r| r.action == Action::SessionEnd)
            .count();
        let share = done as f64 / rows.len() as f64;
        assert!((0.2..0.6).contains(&share), "{share}");
        // Timestamps never go backwards within a user.
        for w in rows.windows(2) {
            if w[0].user == w[1].user {
                assert!(w[1].timestamp >= w[0].timestamp);
            }
        }
    }

    #[test]
    fn the_medium_world_has_about_200000_interactions() {
        use crate::config::WorldSize;
        let cfg = Config::default_preset().with_world_size(WorldSize::Medium);
        let mut rng = stream(2, 0);
        let mut world = World::generate(&cfg.world, &mut rng);
        assert_eq!((world.videos.len(), world.users.len()), (20_000, 5000));
        let rows = generate_history(&mut world, &cfg, &mut rng);
        let n = rows.len() as f64;
        assert!((190_000.0..210_000.0).contains(&n), "{n}");
        assert!(rows.iter().all(|r| r.video < 20_000 && r.user < 5000));
    }
}
