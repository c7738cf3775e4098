//! The policies compared with the DQN: random, most viewed, greedy on the business score, and
//! an oracle that knows the simulated user's true response model (the upper bound).

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::agent::Agent;
use crate::env::Environment;
use crate::rng::uniform_int;

/// A policy that picks a candidate slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// The trained agent (the DQN, or the bandit with `agent.kind = bandit`), greedy.
    Dqn,
    /// A uniformly random slot.
    Random,
    /// The candidate with the most views.
    MostViewed,
    /// The candidate with the highest business score (slot 0).
    Greedy,
    /// The candidate with the highest expected reward under the true response model.
    Oracle,
}

impl PolicyKind {
    /// Every policy, in report order.
    pub const ALL: [PolicyKind; 5] = [
        PolicyKind::Dqn,
        PolicyKind::Random,
        PolicyKind::MostViewed,
        PolicyKind::Greedy,
        PolicyKind::Oracle,
    ];

    /// The baselines (everything but the DQN).
    pub const BASELINES: [PolicyKind; 4] = [
        PolicyKind::Random,
        PolicyKind::MostViewed,
        PolicyKind::Greedy,
        PolicyKind::Oracle,
    ];

    /// snake_case name, as in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Dqn => "dqn",
            PolicyKind::Random => "random",
            PolicyKind::MostViewed => "most_viewed",
            PolicyKind::Greedy => "greedy",
            PolicyKind::Oracle => "oracle",
        }
    }

    /// Choose a slot for the session in progress. `agent` is needed for `Dqn` only.
    pub fn choose<R: Rng>(self, env: &Environment, agent: Option<&Agent>, rng: &mut R) -> usize {
        let Some(session) = env.session() else {
            return 0;
        };
        let cands = &session.candidates;
        match self {
            PolicyKind::Dqn => match (agent, env.observation()) {
                (Some(a), Some(obs)) => a.act_greedy(&obs),
                _ => 0,
            },
            PolicyKind::Random => uniform_int(rng, cands.len()),
            PolicyKind::MostViewed => argmax(
                cands
                    .iter()
                    .map(|c| env.world().videos[c.video].views as f64),
            ),
            PolicyKind::Greedy => argmax(cands.iter().map(|c| c.business)),
            PolicyKind::Oracle => {
                let live = &env.config().scores.live;
                argmax((0..cands.len()).map(|i| {
                    env.expected_response(i)
                        .map_or(f64::MIN, |e| e.expected_reward(live))
                }))
            }
        }
    }
}

/// Index of the largest value; the first on ties.
pub(crate) fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}
