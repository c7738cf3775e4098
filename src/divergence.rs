//! Divergence detection: training that produces a non-finite loss (an update skipped) or a
//! loss or Q-values far beyond what the rewards allow is stopped, recorded and explained.
//!
//! Thresholds (documented in the README): with `r = max |scores.live.*|` and the horizon
//! `h = min(env.n_steps, 1 / (1 - agent.gamma))`, a Q-value is exploding when
//! `|Q| > q_limit = max(1e4, 10 r h)`, and an episode's mean loss when it exceeds
//! `loss_limit = q_limit^2 / 100` (1e6 for every preset). Any update skipped for a
//! non-finite loss also counts.

use serde::{Deserialize, Serialize};

use crate::config::Config;

/// What tripped the detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DivergenceKind {
    /// An update's loss was NaN or infinite (the update was skipped).
    NonFiniteLoss,
    /// An episode's mean loss exceeded the loss limit.
    ExplodingLoss,
    /// A Q-value was non-finite or exceeded the Q limit in absolute value.
    ExplodingQ,
}

/// A detected divergence: when, what, and what to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Divergence {
    /// Index of the training episode during which it was detected.
    pub episode: usize,
    /// Environment steps taken when it was detected.
    pub step: u64,
    /// What tripped the detector.
    pub kind: DivergenceKind,
    /// The offending value (loss or largest |Q|); `null` in JSON when not finite.
    pub value: f64,
    /// The threshold it crossed.
    pub threshold: f64,
    /// Updates skipped for a non-finite loss so far.
    pub skipped_updates: u64,
    /// One sentence for the reader: what happened and what to change.
    pub message: String,
}

/// The detector's thresholds for one configuration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limits {
    /// Largest plausible |Q|.
    pub q_limit: f64,
    /// Largest plausible mean loss of an episode.
    pub loss_limit: f64,
}

impl Limits {
    /// The limits of `cfg` (see the module documentation).
    pub fn for_config(cfg: &Config) -> Limits {
        let s = &cfg.scores.live;
        let r = [s.watched, s.skipped, s.liked, s.other]
            .iter()
            .fold(0.0f64, |m, x| m.max(x.abs()));
        let gamma = f64::from(cfg.agent.gamma);
        let horizon = if gamma < 1.0 {
            (1.0 / (1.0 - gamma)).min(cfg.env.n_steps as f64)
        } else {
            cfg.env.n_steps as f64
        };
        let q_limit = (10.0 * r * horizon).max(1e4);
        Limits {
            q_limit,
            loss_limit: q_limit * q_limit / 100.0,
        }
    }

    /// Checks one finished episode: its mean loss, the Q-values of its last observation, and
    /// how many updates were skipped during it. Returns the divergence, if any.
    pub fn check(
        &self,
        cfg: &Config,
        at: (usize, u64),
        mean_loss: Option<f32>,
        q_values: &[f32],
        skipped: (u64, u64),
    ) -> Option<Divergence> {
        let (episode, step) = at;
        let (skipped_now, skipped_total) = skipped;
        let q_max = q_values
            .iter()
            .map(|q| {
                if q.is_finite() {
                    f64::from(q.abs())
                } else {
                    f64::INFINITY
                }
            })
            .fold(0.0, f64::max);
        let (kind, value, threshold) = if skipped_now > 0 {
            (DivergenceKind::NonFiniteLoss, f64::INFINITY, f64::INFINITY)
        } else if let Some(l) = mean_loss.filter(|&l| l.is_nan() || f64::from(l) > self.loss_limit)
        {
            (DivergenceKind::ExplodingLoss, f64::from(l), self.loss_limit)
        } else if q_max > self.q_limit {
            (DivergenceKind::ExplodingQ, q_max, self.q_limit)
        } else {
            return None;
        };
        let a = &cfg.agent;
        let what = match kind {
            DivergenceKind::NonFiniteLoss => format!(
                "{skipped_now} update(s) in episode {episode} had a non-finite loss and were skipped ({skipped_total} in all)"
            ),
            DivergenceKind::ExplodingLoss => format!(
                "the mean loss of episode {episode} reached {value:.3e}, above the limit {threshold:.1e}"
            ),
            DivergenceKind::ExplodingQ => format!(
                "a Q-value reached {value:.3e} in episode {episode}, above the limit {threshold:.1e}"
            ),
        };
        let clip = match a.grad_clip {
            None => "set agent.grad_clip (e.g. 10)".to_string(),
            Some(c) => format!("lower agent.grad_clip (now {c})"),
        };
        let message = format!(
            "training diverged: {what}. Lower agent.learning_rate (now {}) or agent.gamma (now {}), \
             {clip}, or use agent.loss=huber, then start again",
            a.learning_rate, a.gamma
        );
        Some(Divergence {
            episode,
            step,
            kind,
            value,
            threshold,
            skipped_updates: skipped_total,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_follow_rewards_and_horizon() {
        let c = Config::default_preset();
        let l = Limits::for_config(&c);
        assert_eq!((l.q_limit, l.loss_limit), (1e4, 1e6));
        let mut big = c.clone();
        big.scores.live.liked = 100.0;
        big.agent.gamma = 1.0;
        big.env.n_steps = 1000;
        assert_eq!(Limits::for_config(&big).q_limit, 1e6);
    }

    #[test]
    fn each_kind_trips() {
        let c = Config::default_preset();
        let l = Limits::for_config(&c);
        assert_eq!(l.check(&c, (3, 9), Some(10.0), &[1.0, -2.0], (0, 0)), None);
        let k = |loss, q: &[f32], skipped| l.check(&c, (3, 9), loss, q, skipped).map(|d| d.kind);
        assert_eq!(
            k(Some(2e6), &[1.0], (0, 0)),
            Some(DivergenceKind::ExplodingLoss)
        );
        assert_eq!(
            k(Some(f32::NAN), &[1.0], (0, 0)),
            Some(DivergenceKind::ExplodingLoss)
        );
        assert_eq!(
            k(None, &[1.0, -2e4], (0, 0)),
            Some(DivergenceKind::ExplodingQ)
        );
        assert_eq!(
            k(None, &[f32::NAN], (0, 0)),
            Some(DivergenceKind::ExplodingQ)
        );
        assert_eq!(k(None, &[1.0], (2, 5)), Some(DivergenceKind::NonFiniteLoss));
        let d = l.check(&c, (3, 9), Some(2e6), &[], (0, 0)).unwrap();
        assert!(
            d.message.contains("agent.learning_rate (now 0.0001)"),
            "{}",
            d.message
        );
    }
}
