//! Hardening (issue 11): divergence is detected and stops training, the learning score refuses
//! a ratio when the oracle does not beat random, and oversized worlds are refused up front.

use instatok::config::Config;
use instatok::divergence::DivergenceKind;
use instatok::experiment::{report, run_experiment, Trainer};
use instatok::profile::NoProfiler;
use instatok::schema::apply_sets;

fn small(sets: &[&str]) -> Config {
    let mut all = vec![
        "world.n_videos=300",
        "world.n_users=30",
        "experiment.eval_episodes=60",
    ];
    all.extend_from_slice(sets);
    apply_sets(&Config::default_preset(), &all).unwrap()
}

/// Settings that make the DQN diverge within a few episodes (without weight decay: at
/// learning rate 1, the default decay of 1 would zero the weights at every step).
const ABSURD: [&str; 9] = [
    "agent.learning_rate=1",
    "agent.weight_decay=0",
    "agent.gamma=1",
    "agent.batch_size=1",
    r#"agent.target={"kind":"hard","every":1}"#,
    "agent.epsilon_min=0",
    "scores.live.liked=100",
    "scores.live.skipped=-100",
    "experiment.episodes=400",
];

#[test]
fn an_absurd_learning_rate_trips_the_detector_and_stops_training() {
    let cfg = small(&ABSURD);
    let mut t = Trainer::new(&cfg).unwrap();
    t.train(400, &mut NoProfiler, |_| {}).unwrap();
    let d = t.divergence().expect("a divergence").clone();
    assert!(t.episodes().len() < 400, "training did not stop");
    assert_eq!(d.episode + 1, t.episodes().len());
    assert!(
        d.message.contains("agent.learning_rate (now 1)"),
        "{}",
        d.message
    );
    assert!(matches!(
        d.kind,
        DivergenceKind::ExplodingLoss | DivergenceKind::ExplodingQ | DivergenceKind::NonFiniteLoss
    ));
    // Training stays paused until cleared.
    let n = t.episodes().len();
    t.train(5, &mut NoProfiler, |_| {}).unwrap();
    assert_eq!(t.episodes().len(), n);
    let r = report(&cfg, &t).unwrap();
    assert_eq!(r.divergence.as_ref(), Some(&d));
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["divergence"]["message"].is_string());
    // The same settings with a sane learning rate and clipping do not diverge.
    let calm = small(&["experiment.episodes=60", "agent.grad_clip=10"]);
    let mut t = Trainer::new(&calm).unwrap();
    t.train(60, &mut NoProfiler, |_| {}).unwrap();
    assert_eq!(t.divergence(), None);
    assert_eq!(t.episodes().len(), 60);
}

#[test]
fn no_ratio_when_the_oracle_does_not_beat_random() {
    let cfg = small(&[
        "scores.live.watched=100",
        "scores.live.skipped=100",
        "scores.live.liked=100",
        "scores.live.other=100",
        "experiment.episodes=20",
    ]);
    let mut t = Trainer::new(&cfg).unwrap();
    t.train(20, &mut NoProfiler, |_| {}).unwrap();
    let r = report(&cfg, &t).unwrap();
    let (o, rnd) = (&r.evaluation["oracle"], &r.evaluation["random"]);
    assert!(
        o.mean_return - rnd.mean_return <= o.ci95.hypot(rnd.ci95),
        "oracle {} random {}",
        o.mean_return,
        rnd.mean_return
    );
    assert_eq!(r.learning_score, None);
    assert!(serde_json::to_value(&r).unwrap()["learning_score"].is_null());
    // A normal configuration still gets its ratio.
    let cfg = apply_sets(&Config::default_preset(), &["experiment.eval_episodes=200"]).unwrap();
    let mut t = Trainer::new(&cfg).unwrap();
    t.train(10, &mut NoProfiler, |_| {}).unwrap();
    let r = report(&cfg, &t).unwrap();
    let (o, rnd) = (&r.evaluation["oracle"], &r.evaluation["random"]);
    assert!(
        r.learning_score.is_some(),
        "oracle {} ± {} random {} ± {}",
        o.mean_return,
        o.ci95,
        rnd.mean_return,
        rnd.ci95
    );
}

#[test]
fn oversized_worlds_are_refused_before_allocating() {
    for sets in [
        &["world.n_users=100000", "world.history_mean=10000"][..],
        // The exact filter holds every co-occurring pair (the issue's case); the top-K index
        // (the default preset's filter) is estimated far smaller, but not at 1,000 per user.
        &[
            "world.n_videos=1000000",
            "world.n_users=100000",
            "cf.history_window=null",
            "cf.top_k=null",
        ][..],
        &[
            "world.n_videos=1000000",
            "world.n_users=100000",
            "world.history_mean=1000",
        ][..],
    ] {
        let cfg = apply_sets(&Config::default_preset(), sets).unwrap();
        let err = Trainer::new(&cfg).err().expect("refused").to_string();
        assert!(
            err.contains("estimated memory") && err.contains("budget"),
            "{err}"
        );
    }
    let mut cfg = Config::default_preset();
    cfg.behaviour.region_affinity = vec![cfg.behaviour.region_affinity[0]; 200_000];
    let err = cfg.validate().unwrap_err().to_string();
    assert!(
        err.starts_with("behaviour.region_affinity: must be a list of 0 to 1000 entries"),
        "{err}"
    );
}

#[test]
fn an_experiment_with_a_learning_curve_stops_at_a_divergence() {
    // Training with curve points trains in chunks: a divergence must end it, not stall it.
    let mut sets = ABSURD.to_vec();
    sets.extend(["experiment.eval_every=20", "experiment.curve_sessions=2"]);
    let cfg = small(&sets);
    let r = run_experiment(&cfg, &mut NoProfiler, |_| {}).unwrap();
    assert!(r.divergence.is_some());
    assert!(r.episodes.len() < 400);
    assert!(!r.curve.is_empty());
}
