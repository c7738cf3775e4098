//! Does the feed adapt to a reader who likes one category outside their declared interests?
//! Measures cards of that category among cards 1-10 and 21-30 for several agent settings.

use instatok::agent::config::AgentKind;
use instatok::config::Config;
use instatok::experiment::Trainer;
use instatok::interests::InterestSource;
use instatok::profile::NoProfiler;
use instatok::sim::behaviour::Action;
use instatok::sim::world::{Category, Gender, Region};

/// The reader's profile (declared comedy + news, West) starts a session.
fn start(t: &mut Trainer) {
    t.reader_start(
        30,
        Gender::F,
        Region::West,
        [Category::Comedy, Category::News],
    )
    .unwrap();
}

fn run(
    kind: AgentKind,
    source: InterestSource,
    warm: usize,
    target: Category,
    n: usize,
    discovery: usize,
) -> (usize, usize, Vec<&'static str>) {
    let mut cfg = Config::default_preset();
    cfg.cf.n_candidates = n;
    cfg.cf.discovery_slots = discovery;
    cfg.agent.kind = kind;
    cfg.interests.source = source;
    let mut t = Trainer::new(&cfg).unwrap();
    t.train(warm, &mut NoProfiler, |_| {}).unwrap();
    start(&mut t);
    let mut cats = Vec::new();
    for _ in 0..30 {
        let Some((_, slot, _, cands)) = t.reader_pending() else {
            break;
        };
        let v = cands[slot].video;
        let c = t.env().world().videos[v].category;
        cats.push(c.name());
        let (a, s) = if c == target {
            (Action::Liked, 20.0)
        } else {
            (Action::Skipped, 1.0)
        };
        let step = t.reader_respond(a, s, 4).unwrap();
        if step.next.is_none() {
            start(&mut t);
        }
    }
    let first = cats
        .iter()
        .take(10)
        .filter(|c| **c == target.name())
        .count();
    let late = cats
        .iter()
        .skip(20)
        .take(10)
        .filter(|c| **c == target.name())
        .count();
    (first, late, cats)
}

#[test]
#[ignore]
fn measure() {
    for discovery in [0usize, 1, 2, 3] {
        for target in Category::ALL {
            let (a, b, _) = run(
                AgentKind::Bandit,
                InterestSource::Predicted,
                50,
                target,
                10,
                discovery,
            );
            println!(
                "bandit predicted warm 50 discovery {discovery} {}: 1-10 {a}, 21-30 {b}",
                target.name()
            );
        }
    }
}
