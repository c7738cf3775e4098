//! Interest predictions: the "user interests" box of the post's diagram, which the notebook
//! fakes by handing over the simulator's true interests. Each user's positive-response rate per
//! category (see [`is_positive`]: a video watched to the end, out of every video of that
//! category shown),
//! smoothed towards the pooled rate of the user's region with `prior_strength` pseudo
//! observations, updated online with every interaction (history, training, evaluation, the
//! reader's own).
//!
//! The predicted interests are the two categories with the largest *lift* (smoothed rate minus
//! the region's pooled rate): the region table shifts every user of a region alike, so the
//! lift isolates what is personal. A category counts as an interest only with a positive lift,
//! so a user with no data has none. (A soft score, the lift itself, is exposed for the page but
//! not used by the business score, whose `w3` term is an indicator in the post.)

use serde::{Deserialize, Serialize};

use crate::sim::behaviour::Action;
use crate::sim::world::{Category, Region, User};

/// The response counted as positive: `watched`. In the simulator an interest raises the
/// continue probability `p`, a watch has probability `p`, while a like (like a skip or a
/// session end) is drawn from the remaining `(1 - p) / 3`: a like carries no interest signal,
/// and counting it would dilute the contrast (accuracy at 160 random videos per user,
/// seed 11: 0.71 counting likes as positive; see the README for the figure with watches only).
pub fn is_positive(action: Action) -> bool {
    action == Action::Watched
}

/// The response counted as positive for the reader (`Environment::respond`): `watched` or
/// `liked`. A person who likes a video has watched it and means it, unlike the simulator's
/// likes, which [`is_positive`] leaves out.
pub fn is_positive_reader(action: Action) -> bool {
    matches!(action, Action::Watched | Action::Liked)
}

/// Number of categories.
const C: usize = Category::ALL.len();
/// Number of regions.
const R: usize = Region::ALL.len();

/// Where the business score's `w3` term and the agents' interest features come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterestSource {
    /// The simulator's true interests (the notebook).
    #[default]
    True,
    /// Predicted from the user's interactions (see the module documentation).
    Predicted,
}

/// The interest predictor's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterestsConfig {
    /// `true` or `predicted`.
    pub source: InterestSource,
    /// Pseudo observations of the region's pooled rate added to every user's count, in
    /// [0, 1000].
    pub prior_strength: f64,
}

impl Default for InterestsConfig {
    fn default() -> Self {
        InterestsConfig {
            source: InterestSource::True,
            prior_strength: 3.0,
        }
    }
}

/// One user's counts before a `record` changed them (see [`InterestModel::saved`]).
#[derive(Debug, Clone)]
pub(crate) struct InterestSave {
    user: usize,
    row: Option<([f64; C], [f64; C])>,
}

/// What a trial of the environment saves once at its start (see [`InterestModel::base`]):
/// the region counts and how many users there are.
#[derive(Debug, Clone)]
pub(crate) struct InterestBase {
    regions: [([f64; C], [f64; C]); R],
    n_users: usize,
}

/// How many positive responses a declared interest counts as ([`InterestModel::declare`]): with
/// the default prior of 3 pseudo observations at a region rate near 0.4, a declared category's
/// rate starts near 0.64, and about three skips of it bring it back to the region's.
pub const DECLARED_WEIGHT: f64 = 2.0;

/// Online per-user, per-category counts of positive responses.
#[derive(Debug, Clone, PartialEq)]
pub struct InterestModel {
    prior_strength: f64,
    /// Per user: positives and totals per category.
    users: Vec<([f64; C], [f64; C])>,
    /// Per region: pooled positives and totals per category.
    regions: [([f64; C], [f64; C]); R],
}

impl InterestModel {
    /// No data yet, for `n_users` users.
    pub fn new(n_users: usize, prior_strength: f64) -> Self {
        InterestModel {
            prior_strength,
            users: vec![([0.0; C], [0.0; C]); n_users],
            regions: [([0.0; C], [0.0; C]); R],
        }
    }

    /// `user`'s counts (`None` beyond the users known), before a `record` changes them, for a
    /// trial of the environment to put back; the regions' counts are in [`base`](Self::base).
    pub(crate) fn saved(&self, user: usize) -> InterestSave {
        InterestSave {
            user,
            row: self.users.get(user).copied(),
        }
    }

    /// What a trial saves once, at its start: the region counts and the number of users.
    pub(crate) fn base(&self) -> InterestBase {
        InterestBase {
            regions: self.regions,
            n_users: self.users.len(),
        }
    }

    /// Put back one user's counts ([`saved`](Self::saved)); a user added since the trial
    /// began goes with [`restore_base`](Self::restore_base), so saves are restored first.
    pub(crate) fn restore(&mut self, s: InterestSave) {
        if let (Some(row), Some(u)) = (s.row, self.users.get_mut(s.user)) {
            *u = row;
        }
    }

    /// Put back what [`base`](Self::base) saved: the region counts, and no users beyond.
    pub(crate) fn restore_base(&mut self, b: InterestBase) {
        self.users.truncate(b.n_users);
        self.regions = b.regions;
    }

    /// Room for one more user (the reader).
    pub fn add_user(&mut self) {
        self.users.push(([0.0; C], [0.0; C]));
    }

    /// What a reader declares when they sign up (the page's "Who are you?" form): counted as
    /// `DECLARED_WEIGHT` positive responses to each of `categories` by `user` alone (the
    /// region's pooled rates stay those of its users' responses). A user with no data has no
    /// predicted interest; without this the reader's form would reach the ranking only once
    /// their own responses had, and the first cards ignored what they said they like. Their
    /// responses then move the prediction as anyone's do.
    pub fn declare(&mut self, user: usize, categories: &[Category]) {
        let row = self.user_row(user);
        let mut seen = [false; C];
        for c in categories {
            let c = c.id();
            if !std::mem::replace(&mut seen[c], true) {
                row.0[c] += DECLARED_WEIGHT;
                row.1[c] += DECLARED_WEIGHT;
            }
        }
    }

    /// `user`'s positives and totals, the users before them made room for (with no data).
    fn user_row(&mut self, user: usize) -> &mut ([f64; C], [f64; C]) {
        if user >= self.users.len() {
            self.users.resize(user + 1, ([0.0; C], [0.0; C]));
        }
        &mut self.users[user]
    }

    /// One response of `user` (of `region`) to a video of `category`.
    pub fn record(&mut self, user: usize, region: Region, category: Category, positive: bool) {
        let (c, p) = (category.id(), f64::from(u8::from(positive)));
        let row = self.user_row(user);
        row.0[c] += p;
        row.1[c] += 1.0;
        let g = &mut self.regions[region.id()];
        g.0[c] += p;
        g.1[c] += 1.0;
    }

    /// Interactions recorded for `user`.
    pub fn count(&self, user: usize) -> f64 {
        self.users.get(user).map_or(0.0, |u| u.1.iter().sum())
    }

    /// The pooled positive rate of `region` per category (Laplace-smoothed).
    fn region_rates(&self, region: Region) -> [f64; C] {
        let g = &self.regions[region.id()];
        std::array::from_fn(|c| (g.0[c] + 1.0) / (g.1[c] + 2.0))
    }

    /// The predicted probability that `user` responds positively to each category (indexed by
    /// `Category::id`): their rate smoothed towards their region's.
    pub fn rates(&self, user: usize, region: Region) -> [f64; C] {
        let prior = self.region_rates(region);
        let a = self.prior_strength;
        let (pos, n) = self
            .users
            .get(user)
            .copied()
            .unwrap_or(([0.0; C], [0.0; C]));
        std::array::from_fn(|c| {
            let d = n[c] + a;
            if d > 0.0 {
                (pos[c] + a * prior[c]) / d
            } else {
                prior[c]
            }
        })
    }

    /// Smoothed rate minus the region's rate, per category: the soft interest score.
    pub fn lift(&self, user: usize, region: Region) -> [f64; C] {
        let (r, prior) = (self.rates(user, region), self.region_rates(region));
        std::array::from_fn(|c| r[c] - prior[c])
    }

    /// The two categories with the largest lift (ties by category id), whatever their sign.
    pub fn top2(&self, user: usize, region: Region) -> [Category; 2] {
        let lift = self.lift(user, region);
        let mut order: Vec<usize> = (0..C).collect();
        order.sort_by(|&a, &b| lift[b].total_cmp(&lift[a]).then(a.cmp(&b)));
        [Category::ALL[order[0]], Category::ALL[order[1]]]
    }

    /// Whether `category` is a predicted interest of `user`: among the top two, with a
    /// positive lift.
    pub fn is_interest(&self, user: usize, region: Region, category: Category) -> bool {
        self.top2(user, region).contains(&category) && self.lift(user, region)[category.id()] > 0.0
    }

    /// Share of `user`'s distinct true interests among the predicted ones (1 = both found).
    pub fn accuracy_for(&self, user: &User) -> f64 {
        let truth: Vec<Category> = if user.interests[0] == user.interests[1] {
            vec![user.interests[0]]
        } else {
            user.interests.to_vec()
        };
        let hits = truth
            .iter()
            .filter(|&&c| self.is_interest(user.id, user.region, c))
            .count();
        hits as f64 / truth.len() as f64
    }

    /// Mean [`InterestModel::accuracy_for`] over `users`.
    pub fn accuracy(&self, users: &[User]) -> f64 {
        if users.is_empty() {
            return 0.0;
        }
        users.iter().map(|u| self.accuracy_for(u)).sum::<f64>() / users.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rng::{pick, stream};
    use crate::sim::behaviour::ResponseModel;
    use crate::sim::world::World;

    #[test]
    fn accuracy_rises_with_history_length() {
        let cfg = Config::default_preset();
        let mut rng = stream(11, 1);
        let world = World::generate(&cfg.world, &mut rng);
        let model = ResponseModel::new(&cfg.behaviour);
        let mut acc = Vec::new();
        for n in [0, 10, 40, 160] {
            let mut m = InterestModel::new(world.users.len(), 3.0);
            for u in &world.users {
                for _ in 0..n {
                    let c = pick(&mut rng, &Category::ALL);
                    let a = model.sample_live(u, c, &mut rng);
                    m.record(u.id, u.region, c, is_positive(a));
                }
            }
            acc.push(m.accuracy(&world.users));
        }
        assert_eq!(acc[0], 0.0, "no data, no predicted interest");
        assert!(acc[1] < acc[2] && acc[2] < acc[3], "{acc:?}");
        assert!(acc[3] > 0.8, "{acc:?}");
    }

    #[test]
    fn rates_are_smoothed_towards_the_region() {
        let mut m = InterestModel::new(2, 4.0);
        for _ in 0..6 {
            m.record(1, Region::West, Category::Tech, false);
            m.record(0, Region::West, Category::Tech, true);
        }
        // Region pool: 6 of 12 -> (6 + 1) / (12 + 2) = 0.5.
        let r = m.rates(0, Region::West)[Category::Tech.id()];
        assert!((r - (6.0 + 4.0 * 0.5) / 10.0).abs() < 1e-12);
        assert!(m.is_interest(0, Region::West, Category::Tech));
        assert!(!m.is_interest(1, Region::West, Category::Tech));
    }

    #[test]
    fn declared_interests_are_the_users_alone_and_give_way_to_responses() {
        let mut m = InterestModel::new(1, 3.0);
        // The region's pool: user 0 watched 20 of 50 food videos (rate about 0.4).
        for k in 0..50 {
            m.record(0, Region::East, Category::Food, k % 5 < 2);
        }
        m.add_user();
        let before = m.base().regions;
        // A category declared twice counts once.
        m.declare(1, &[Category::Food, Category::Food]);
        assert_eq!(m.base().regions, before, "the region pool is untouched");
        assert_eq!(m.count(1), DECLARED_WEIGHT);
        assert!(m.is_interest(1, Region::East, Category::Food));
        assert!(!m.is_interest(0, Region::East, Category::Food));
        // 0.64 before; after four skips (2 + 3 x 0.4) / (6 + 3) = 0.36, below the region's.
        for _ in 0..4 {
            m.record(1, Region::East, Category::Food, false);
        }
        assert!(
            !m.is_interest(1, Region::East, Category::Food),
            "skips outweigh the declaration"
        );
    }
}
