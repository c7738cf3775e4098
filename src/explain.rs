//! "Why this video": for a candidate of the session in progress, its business score split
//! into its three terms (adding up exactly to the score candidate generation computed), the
//! videos of the user's history its similarity score comes from, and a one-line reason built
//! from these facts.

use serde::{Deserialize, Serialize};

use crate::agent::inspect::RawFeatures;
use crate::cf::explain::{score_terms, similar_history, ScoreTerms, SimilarHistory};
use crate::cf::Candidate;
use crate::config::CfConfig;
use crate::env::Environment;
use crate::error::{Error, Result};
use crate::sim::behaviour::Action;
use crate::sim::world::{Category, Region};

/// History videos listed by [`why`] at most.
pub const SIMILAR_LISTED: usize = 5;

/// The explanation of one candidate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Why {
    /// The candidate's slot in the list.
    pub slot: usize,
    /// The video.
    pub video: usize,
    /// Its category.
    pub category: Category,
    /// Its collaborative-filter (similarity) score, as candidate generation computed it.
    pub cf_score: f64,
    /// Its view count when the list was scored.
    pub views: i64,
    /// Whether its category is one of the user's interests.
    pub interest: bool,
    /// Its business score, as candidate generation computed it.
    pub business: f64,
    /// The business score's three terms; they add up to `business` exactly.
    pub terms: ScoreTerms,
    /// The history videos the similarity score comes from (under the filter as it is now;
    /// see [`why`] for when that differs from `cf_score`).
    pub similar: SimilarHistory,
    /// Users of the viewer's region with a positive score for the video.
    pub region_fans: usize,
    /// Whether the pick explored (as given by the caller).
    pub explored: bool,
    /// One line built from the facts above.
    pub reason: String,
}

/// The raw values behind the session's observation (age in years, videos watched, session
/// seconds, each candidate's views), for the state inspector's labels.
pub fn raw_features(env: &Environment) -> Option<RawFeatures> {
    let s = env.session()?;
    let world = env.world();
    Some(RawFeatures {
        numeric: [
            f64::from(world.users[s.user].age),
            f64::from(s.videos),
            s.seconds,
        ],
        views: s
            .candidates
            .iter()
            .map(|c| world.videos[c.video].views as f64)
            .collect(),
    })
}

/// "Tech", "Food": a category's name capitalised.
pub fn category_label(c: Category) -> String {
    let name = c.name();
    let mut out = name[..1].to_uppercase();
    out.push_str(&name[1..]);
    out
}

/// "the West", "the Midwest", "the East".
pub fn region_label(r: Region) -> &'static str {
    match r {
        Region::West => "the West",
        Region::Mid => "the Midwest",
        Region::East => "the East",
    }
}

/// Explains the candidate in `slot` of the session in progress. `explored`: whether the pick
/// was an exploration move (the caller knows; e.g. the chosen slot is not the greedy one).
///
/// The terms use the weights the list was scored with ([`Environment::scored_with`]) and the
/// video's views now, which are its views when the list was scored (a view is only counted
/// when a video is shown, and the list is redrawn after every step), so they add up to the
/// candidate's business score bit for bit. The similar-history list reads the filter as it is
/// now: with `env.update_before_candidates` (the `default` preset) that is the filter the
/// list was drawn from, so its contributions add up to `cf_score`; the `seed` preset draws
/// the list before recording the last interaction, so there they add up to the score the
/// filter would give now.
pub fn why(env: &Environment, slot: usize, explored: bool) -> Result<Why> {
    let s = env
        .session()
        .ok_or_else(|| Error::State("no session in progress: reset first".into()))?;
    let c = s.candidates.get(slot).ok_or_else(|| {
        Error::field(
            "slot",
            format!("must be below {} (got {slot})", s.candidates.len()),
        )
    })?;
    let views = env.world().videos[c.video].views;
    Ok(why_candidate(
        env,
        s.user,
        slot,
        c,
        env.scored_with(),
        views,
        explored,
        None,
    ))
}

/// The history behind candidate `slot`'s similarity score in the session in progress, as
/// [`why`] gives it now (`None` without a session or such a slot): taken before a step, it
/// explains the list that step chose from once the step has changed the filter.
pub fn similar_for_slot(env: &Environment, slot: usize) -> Option<SimilarHistory> {
    let s = env.session()?;
    let c = s.candidates.get(slot)?;
    Some(listed_history(env, s.user, c.video))
}

/// The history behind `video`'s similarity score for `user` as the filter stands now, the
/// largest `SIMILAR_LISTED` contributions listed (actions named by the live score table, then
/// the historical one).
fn listed_history(env: &Environment, user: usize, video: usize) -> SimilarHistory {
    let cfg = env.config();
    let tables = [cfg.scores.live, cfg.scores.history];
    similar_history(env.cf(), env.world(), user, video, SIMILAR_LISTED, &tables)
}

/// Explains candidate `c` (in `slot`) of a list drawn for `user`, scored with `weights` when
/// the video had `views` views. [`why`] fills these in for the session in progress; a caller
/// explaining a list already acted on passes what it kept, and `similar` as
/// [`similar_history`] gave it before the step (the response since has changed the filter and
/// the user's history, so computed now the contributions would not add up to `c.cf_score`).
#[allow(clippy::too_many_arguments)]
pub fn why_candidate(
    env: &Environment,
    user: usize,
    slot: usize,
    c: &Candidate,
    weights: &CfConfig,
    views: i64,
    explored: bool,
    similar: Option<SimilarHistory>,
) -> Why {
    let world = env.world();
    let category = world.videos[c.video].category;
    let terms = score_terms(weights, c.cf_score, views, c.interest);
    let similar = similar.unwrap_or_else(|| listed_history(env, user, c.video));
    let region = world.users[user].region;
    let region_fans = world
        .users
        .iter()
        .filter(|u| u.region == region && env.cf().entry(c.video, u.id) > 0.0)
        .count();
    let reason = reason(
        &terms,
        &similar,
        category,
        views,
        region,
        region_fans,
        explored,
    );
    Why {
        slot,
        video: c.video,
        category,
        cf_score: c.cf_score,
        views,
        interest: c.interest,
        business: c.business,
        terms,
        similar,
        region_fans,
        explored,
        reason,
    }
}

/// The one-line reason: exploration first; else the largest positive term says why.
fn reason(
    terms: &ScoreTerms,
    similar: &SimilarHistory,
    category: Category,
    views: i64,
    region: Region,
    region_fans: usize,
    explored: bool,
) -> String {
    if explored {
        return "Exploring something new".into();
    }
    let best = [terms.similarity, terms.popularity, terms.interest]
        .into_iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        .map_or(0, |(i, _)| i);
    let top = [terms.similarity, terms.popularity, terms.interest][best];
    if top <= 0.0 {
        return "The best of what was left".into();
    }
    match best {
        0 => {
            // The category whose history videos add the most to the similarity score.
            let mut by_cat = [0.0f64; Category::ALL.len()];
            for c in similar.top.iter().filter(|c| c.contribution > 0.0) {
                by_cat[c.category.id()] += c.contribution;
            }
            let (cat, amount) = by_cat
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
                .map_or((0, 0.0), |(i, &v)| (i, v));
            if amount <= 0.0 {
                return "Similar to what they watched".into();
            }
            let cat = Category::ALL[cat];
            let liked = similar.top.iter().any(|c| {
                c.category == cat && c.contribution > 0.0 && c.action == Some(Action::Liked)
            });
            let verb = if liked { "liked" } else { "watched" };
            format!("Because they {verb} {} videos", category_label(cat))
        }
        1 if region_fans > 0 => format!("Popular in {}", region_label(region)),
        1 => format!("Popular: {views} views"),
        _ => format!("Matches their interest in {}", category_label(category)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::profile::NoProfiler;
    use crate::rng::{stream, uniform_int};

    fn small(mut c: Config) -> Config {
        c.world.n_videos = 300;
        c.world.n_users = 30;
        c
    }

    /// The history behind a training step's shown candidate, taken before the step, adds up
    /// to the similarity score that ranked it; taken after the step (the filter and the
    /// user's history have the response), it often does not: what `whyLast` showed before.
    #[test]
    fn a_steps_history_taken_before_it_adds_up_to_the_score_that_ranked_it() {
        let cfg = small(Config::default_preset());
        let mut t = crate::experiment::Trainer::new(&cfg).unwrap();
        let (mut checked, mut off_after) = (0, 0);
        for _ in 0..400 {
            let mut before = None;
            let step = t
                .step_observed(&mut NoProfiler, |env, slot| {
                    before = similar_for_slot(env, slot)
                })
                .unwrap();
            let c = step.candidates[step.slot];
            let h = before.expect("a session and the slot");
            assert!(
                (h.total - c.cf_score).abs() <= 1e-9 * (1.0 + c.cf_score.abs()),
                "{} vs {}",
                h.total,
                c.cf_score
            );
            let now = listed_history(t.env(), step.user, c.video);
            checked += 1;
            off_after += usize::from((now.total - c.cf_score).abs() > 1e-6);
        }
        assert_eq!(checked, 400);
        assert!(off_after > 0, "taken after the step, some totals differ");
    }

    /// Over random sessions with random picks, every candidate's terms add up to its
    /// business score bit for bit, and (default preset) its similar history to its
    /// similarity score; a live weight change mid-session does not break the sum.
    #[test]
    fn terms_add_up_to_every_candidates_score_over_random_sessions() {
        for cfg in [
            small(Config::default_preset()),
            small(Config::seed_preset()),
        ] {
            let mut env = Environment::new(&cfg).unwrap();
            let mut rng = stream(11, 3);
            let mut checked = 0;
            for episode in 0..12 {
                let user = uniform_int(&mut rng, cfg.world.n_users);
                env.reset(user).unwrap();
                loop {
                    let s = env.session().unwrap().clone();
                    if episode == 5 && s.step == 1 {
                        // Applies from the next list: this one keeps its own weights.
                        env.set_weights(0.9, 0.7, -0.2).unwrap();
                    }
                    for (slot, c) in s.candidates.iter().enumerate() {
                        let w = why(&env, slot, false).unwrap();
                        let t = w.terms;
                        assert_eq!(t.similarity + t.popularity + t.interest, c.business);
                        assert_eq!(t.total, c.business);
                        assert_eq!(w.business, c.business);
                        assert_eq!(w.video, c.video);
                        if cfg.env.update_before_candidates && !env.cf().has_seen(user, c.video) {
                            let tol = 1e-9 * (1.0 + c.cf_score.abs());
                            assert!(
                                (w.similar.total - c.cf_score).abs() <= tol,
                                "{} vs {}",
                                w.similar.total,
                                c.cf_score
                            );
                        }
                        for h in &w.similar.top {
                            assert!(env
                                .cf()
                                .history(user)
                                .iter()
                                .any(|r| r.0 as usize == h.video));
                        }
                        assert!(!w.reason.is_empty());
                        checked += 1;
                    }
                    let slot = uniform_int(&mut rng, s.candidates.len());
                    let out = env.step(slot, &mut rng, &mut NoProfiler).unwrap();
                    if out.done || out.truncated {
                        break;
                    }
                }
            }
            assert!(checked > 100, "{checked}");
        }
    }

    #[test]
    fn reasons_follow_the_facts() {
        let cfg = small(Config::default_preset());
        let mut env = Environment::new(&cfg).unwrap();
        env.reset(0).unwrap();
        assert_eq!(
            why(&env, 0, true).unwrap().reason,
            "Exploring something new"
        );
        assert!(why(&env, 99, false)
            .unwrap_err()
            .to_string()
            .contains("slot"));
        let terms = |s, p, i| ScoreTerms {
            similarity: s,
            popularity: p,
            interest: i,
            total: s + p + i,
        };
        let empty = SimilarHistory {
            top: vec![],
            total: 0.0,
            contributing: 0,
        };
        let liked = SimilarHistory {
            top: vec![crate::cf::explain::Contribution {
                video: 1,
                category: Category::Tech,
                score: 2.0,
                interactions: 1,
                action: Some(Action::Liked),
                cosine: 0.5,
                contribution: 1.0,
            }],
            total: 1.0,
            contributing: 1,
        };
        let r = |t, s: &SimilarHistory, fans| {
            reason(&t, s, Category::Food, 57, Region::Mid, fans, false)
        };
        assert_eq!(
            r(terms(0.5, 0.1, 0.3), &liked, 0),
            "Because they liked Tech videos"
        );
        assert_eq!(r(terms(0.1, 0.5, 0.3), &empty, 3), "Popular in the Midwest");
        assert_eq!(r(terms(0.1, 0.5, 0.3), &empty, 0), "Popular: 57 views");
        assert_eq!(
            r(terms(0.1, 0.2, 0.3), &empty, 0),
            "Matches their interest in Food"
        );
        assert_eq!(
            r(terms(-0.1, 0.0, 0.0), &empty, 0),
            "The best of what was left"
        );
    }
}
