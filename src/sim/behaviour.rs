//! How a simulated user responds to a video: the notebook's continue-probability model
//! (cells 6 and 30), with its adjustments as data.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::config::{BehaviourConfig, ScoreTable};
use crate::rng::unit;
use crate::sim::world::{Category, Region, User};

/// What a user does with a video. The history's `done` (the row that closes a session) is
/// scored like `SessionEnd` ("other" in the post's table), so they share a variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Watched to the end.
    Watched,
    /// Swiped away before the end.
    Skipped,
    /// Liked (and watched).
    Liked,
    /// Closed the app.
    SessionEnd,
}

impl Action {
    /// All actions, indexed by the notebook's `LAST_ACTION_MAP`.
    pub const ALL: [Action; 4] = [
        Action::Watched,
        Action::Skipped,
        Action::Liked,
        Action::SessionEnd,
    ];

    /// Embedding id.
    pub fn id(self) -> usize {
        self as usize
    }

    /// Lower-case name, as in the notebook.
    pub fn name(self) -> &'static str {
        match self {
            Action::Watched => "watched",
            Action::Skipped => "skipped",
            Action::Liked => "liked",
            Action::SessionEnd => "session_end",
        }
    }

    /// Parse a lower-case name.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }

    /// The score of this action in a table.
    pub fn score(self, table: &ScoreTable) -> f64 {
        match self {
            Action::Watched => table.watched,
            Action::Skipped => table.skipped,
            Action::Liked => table.liked,
            Action::SessionEnd => table.other,
        }
    }

    /// Whether the video played to its end (watched or liked).
    pub fn completes_video(self) -> bool {
        matches!(self, Action::Watched | Action::Liked)
    }
}

/// Probabilities of each live action for one (user, video) pair, averaged over the user's
/// random mood `U`: what the oracle policy knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExpectedResponse {
    /// P(watched), P(skipped), P(liked), P(session_end), indexed by `Action::id`.
    pub probs: [f64; 4],
}

impl ExpectedResponse {
    /// Expected immediate reward under a score table.
    pub fn expected_reward(&self, table: &ScoreTable) -> f64 {
        Action::ALL
            .iter()
            .map(|a| self.probs[a.id()] * a.score(table))
            .sum()
    }
}

/// The response model, borrowing its parameters.
#[derive(Debug, Clone, Copy)]
pub struct ResponseModel<'a> {
    cfg: &'a BehaviourConfig,
}

/// Quadrature points for the oracle's expectation over the uniform mood.
const QUADRATURE: usize = 256;

impl<'a> ResponseModel<'a> {
    /// A model with these parameters.
    pub fn new(cfg: &'a BehaviourConfig) -> Self {
        Self { cfg }
    }

    /// The notebook's `prob_cont`: a uniform mood `u`, plus the interest boost, plus each
    /// matching region affinity, every addition capped at 1 (`min(1, p + x)`) in table order.
    /// Negative affinities can push it below 0, as in the notebook.
    pub fn continue_probability(&self, user: &User, category: Category, u: f64) -> f64 {
        self.continue_probability_for(user.region, user.likes_category(category), category, u)
    }

    /// [`Self::continue_probability`] for a user of `region`, who is or is not interested in
    /// `category`: the only two things about a user the model looks at.
    fn continue_probability_for(
        &self,
        region: Region,
        interest: bool,
        category: Category,
        u: f64,
    ) -> f64 {
        let mut p = u;
        if interest {
            p = (p + self.cfg.interest_boost).min(1.0);
        }
        for a in &self.cfg.region_affinity {
            if a.region == region && a.category == category {
                p = (p + a.delta).min(1.0);
            }
        }
        p
    }

    /// Draw a live response (cell 30): weights `[p, q/3, q/3, q/3]` with `q = 1 - p` over
    /// watched, skipped, liked, session_end.
    pub fn sample_live<R: Rng>(&self, user: &User, category: Category, rng: &mut R) -> Action {
        let p = self.continue_probability(user, category, unit(rng));
        let q = 1.0 - p;
        choose_weighted(&[p, q / 3.0, q / 3.0, q / 3.0], unit(rng))
            .map(|i| Action::ALL[i])
            .unwrap_or(Action::SessionEnd)
    }

    /// The probabilities behind `sample_live`, integrated over the uniform mood.
    pub fn expected_live(&self, user: &User, category: Category) -> ExpectedResponse {
        self.expected_live_for(user.region, user.likes_category(category), category)
    }

    fn expected_live_for(
        &self,
        region: Region,
        interest: bool,
        category: Category,
    ) -> ExpectedResponse {
        let mut probs = [0.0; 4];
        for k in 0..QUADRATURE {
            let u = (k as f64 + 0.5) / QUADRATURE as f64;
            let p = self.continue_probability_for(region, interest, category, u);
            let q = 1.0 - p;
            let w = choice_probabilities(&[p, q / 3.0, q / 3.0, q / 3.0]);
            for (acc, wi) in probs.iter_mut().zip(w) {
                *acc += wi / QUADRATURE as f64;
            }
        }
        ExpectedResponse { probs }
    }
}

/// Number of response cells: (region, video category, interest match), the only things a
/// user's response depends on.
pub const RESPONSE_CELLS: usize = Region::ALL.len() * Category::ALL.len() * 2;

fn cell_index(region: Region, category: Category, interest: bool) -> usize {
    (region.id() * Category::ALL.len() + category.id()) * 2 + usize::from(interest)
}

/// The response cell, in `0..RESPONSE_CELLS`, of `user` shown a video of `category`.
pub fn response_cell(user: &User, category: Category) -> usize {
    cell_index(user.region, category, user.likes_category(category))
}

/// [`ResponseModel::expected_live`] for every response cell, computed once: what the oracle
/// asks for ten candidates at every step.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedTable {
    /// Indexed by [`response_cell`].
    cells: Vec<ExpectedResponse>,
}

impl ExpectedTable {
    /// Integrates the model for every cell.
    pub fn new(cfg: &BehaviourConfig) -> Self {
        let model = ResponseModel::new(cfg);
        let mut cells = vec![ExpectedResponse { probs: [0.0; 4] }; RESPONSE_CELLS];
        for region in Region::ALL {
            for category in Category::ALL {
                for interest in [false, true] {
                    cells[cell_index(region, category, interest)] =
                        model.expected_live_for(region, interest, category);
                }
            }
        }
        ExpectedTable { cells }
    }

    /// The response probabilities of `user` to a video of `category`.
    pub fn get(&self, user: &User, category: Category) -> ExpectedResponse {
        self.cells[response_cell(user, category)]
    }
}

/// Python's `random.choices(population, weights)` for one draw with uniform `x` in [0, 1):
/// the first index whose cumulative weight exceeds `x * total`. Like Python it tolerates a
/// negative first weight (the notebook produces one when an affinity pushes `p` below 0):
/// that option then simply can never be drawn. `None` when the total is not positive.
pub fn choose_weighted(weights: &[f64], x: f64) -> Option<usize> {
    let total: f64 = weights.iter().sum();
    if total.is_nan() || total <= 0.0 || weights.is_empty() {
        return None;
    }
    let target = x * total;
    let mut cum = 0.0;
    for (i, w) in weights.iter().enumerate().take(weights.len() - 1) {
        cum += w;
        if target < cum {
            return Some(i);
        }
    }
    Some(weights.len() - 1)
}

/// The exact probabilities `choose_weighted` draws each index with.
pub fn choice_probabilities(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut out = vec![0.0; weights.len()];
    if total.is_nan() || total <= 0.0 {
        return out;
    }
    let mut lo = 0.0f64;
    let mut cum = 0.0;
    for (i, w) in weights.iter().enumerate() {
        cum += w;
        let hi = if i + 1 == weights.len() { total } else { cum };
        let (a, b) = (lo.clamp(0.0, total), hi.clamp(0.0, total));
        out[i] = (b - a).max(0.0) / total;
        lo = lo.max(hi);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rng::stream;
    use crate::sim::world::{Gender, Region};

    fn user(region: Region, interests: [Category; 2]) -> User {
        User {
            id: 0,
            age: 25,
            gender: Gender::F,
            region,
            interests,
        }
    }

    #[test]
    fn choose_weighted_matches_python_semantics() {
        assert_eq!(choose_weighted(&[0.5, 0.5], 0.49), Some(0));
        assert_eq!(choose_weighted(&[0.5, 0.5], 0.5), Some(1));
        // A negative first weight can never be drawn; the second takes up the slack.
        let w = [-0.2, 0.4, 0.4, 0.4];
        let p = choice_probabilities(&w);
        assert_eq!(p[0], 0.0);
        assert!((p[1] - 0.2).abs() < 1e-12, "{p:?}");
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(choose_weighted(&[0.0, 0.0], 0.3), None);
    }

    #[test]
    fn adjustments_follow_the_notebook() {
        let cfg = Config::default_preset();
        let m = ResponseModel::new(&cfg.behaviour);
        let west_tech = user(Region::West, [Category::Tech, Category::Food]);
        // interest +0.3 then tech/west +0.1, each capped at 1.
        assert!((m.continue_probability(&west_tech, Category::Tech, 0.2) - 0.6).abs() < 1e-12);
        assert_eq!(
            m.continue_probability(&west_tech, Category::Tech, 0.95),
            1.0
        );
        let east = user(Region::East, [Category::Food, Category::Food]);
        assert!((m.continue_probability(&east, Category::Tech, 0.1) + 0.1).abs() < 1e-12);
        assert!((m.continue_probability(&east, Category::Comedy, 0.4) - 0.4).abs() < 1e-12);
    }

    #[test]
    fn sampled_frequencies_match_the_expected_probabilities() {
        let cfg = Config::default_preset();
        let m = ResponseModel::new(&cfg.behaviour);
        let mut rng = stream(7, 1);
        let cases = [
            (
                user(Region::West, [Category::Tech, Category::Food]),
                Category::Tech,
            ),
            (
                user(Region::East, [Category::Food, Category::News]),
                Category::Tech,
            ),
            (
                user(Region::Mid, [Category::Food, Category::News]),
                Category::Comedy,
            ),
        ];
        let n = 200_000;
        for (u, c) in &cases {
            let expected = m.expected_live(u, *c);
            let mut counts = [0usize; 4];
            for _ in 0..n {
                counts[m.sample_live(u, *c, &mut rng).id()] += 1;
            }
            for (a, &count) in counts.iter().enumerate() {
                let f = count as f64 / n as f64;
                let p = expected.probs[a];
                // 5 standard errors of a binomial proportion, plus quadrature error.
                let tol = 5.0 * (p * (1.0 - p) / n as f64).sqrt() + 2e-3;
                assert!((f - p).abs() < tol, "{u:?} {c:?} action {a}: {f} vs {p}");
            }
        }
        // Closed form for a neutral pairing: P(watched) = E[U] = 1/2, the rest 1/6 each.
        let neutral = m.expected_live(&cases[2].0, Category::Comedy);
        assert!((neutral.probs[0] - 0.5).abs() < 1e-6);
        assert!((neutral.probs[3] - 1.0 / 6.0).abs() < 1e-6);
    }

    #[test]
    fn the_oracle_table_matches_the_model_for_every_user() {
        let cfg = Config::preset(crate::config::Preset::Default);
        let model = ResponseModel::new(&cfg.behaviour);
        let table = ExpectedTable::new(&cfg.behaviour);
        let mut users = Vec::new();
        for region in Region::ALL {
            for a in Category::ALL {
                users.push(user(region, [a, Category::ALL[(a.id() + 3) % 8]]));
            }
        }
        for u in &users {
            for c in Category::ALL {
                assert_eq!(table.get(u, c), model.expected_live(u, c), "{u:?} {c:?}");
            }
        }
    }
}
