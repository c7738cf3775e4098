//! Fuzzing every parser of outside data (issue 11): config JSON, `--set PATH=VALUE`, CLI whole
//! numbers, typed numbers and agent files (issue 10). Two parts: the committed corpus in `tests/fuzz-corpus/` replayed
//! exactly (`ok-*` accepted, `bad-*` refused, never a panic), and property tests feeding
//! arbitrary and mutated inputs, including 1 MB ones, which must return (Ok or Err) without
//! panicking. See tests/fuzz-corpus/README.md to add a parser (the agent-file hook).

use std::path::{Path, PathBuf};
use std::time::Instant;

use instatok::agent::Agent;
use instatok::config::Config;
use instatok::schema::{apply_sets, parse_number, parse_whole, Kind};
use proptest::prelude::*;

fn corpus(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(folder)
}

/// Calls `f(name, bytes)` for every file of a corpus folder (dot-files skipped), in name order.
fn for_each_input(folder: &str, mut f: impl FnMut(&str, &[u8])) -> usize {
    let mut files: Vec<_> = std::fs::read_dir(corpus(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    for p in &files {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        f(&name, &std::fs::read(p).unwrap());
    }
    files.len()
}

/// `ok-*` must give Ok, `bad-*` Err; an error message stays short.
fn expect(name: &str, result: Result<(), String>) {
    match (name.starts_with("ok-"), result) {
        (true, Err(e)) => panic!("{name}: refused: {e}"),
        (false, Ok(())) => panic!("{name}: accepted"),
        (false, Err(e)) => assert!(
            e.chars().count() < 400,
            "{name}: message of {} chars",
            e.len()
        ),
        (true, Ok(())) => {}
    }
}

#[test]
fn replay_config() {
    let t = Instant::now();
    let n = for_each_input("config", |name, bytes| {
        let text = String::from_utf8_lossy(bytes);
        expect(
            name,
            Config::from_json(&text)
                .map(|_| ())
                .map_err(|e| e.to_string()),
        );
    });
    assert!(n >= 10 && t.elapsed().as_secs() < 10);
}

#[test]
fn replay_set() {
    let n = for_each_input("set", |name, bytes| {
        let text = String::from_utf8_lossy(bytes);
        let sets: Vec<&str> = text.lines().collect();
        let r = apply_sets(&Config::default_preset(), &sets);
        if let Err(e) = &r {
            // Every refusal names a field (or the --set syntax).
            let field = sets[0].split('=').next().unwrap_or("");
            let msg = e.to_string();
            assert!(
                msg.starts_with(field) || msg.starts_with("--set") || field.is_empty(),
                "{name}: {msg}"
            );
        }
        expect(name, r.map(|_| ()).map_err(|e| e.to_string()));
    });
    assert!(n >= 10);
}

#[test]
fn replay_number() {
    let n = for_each_input("number", |name, bytes| {
        let text = String::from_utf8_lossy(bytes);
        expect(name, parse_whole(&text, 0, 1_000_000).map(|_| ()));
    });
    assert!(n >= 5);
}

#[test]
fn replay_agent() {
    let t = Instant::now();
    let n = for_each_input("agent", |name, bytes| {
        let text = String::from_utf8_lossy(bytes);
        let r = Agent::from_file(&text);
        if let Ok((cfg, agent)) = &r {
            // Whatever is accepted has a valid configuration and saves back to the same file.
            cfg.validate().unwrap();
            let again = agent.to_file(cfg);
            let (cfg2, agent2) = Agent::from_file(&again).unwrap();
            assert_eq!(&cfg2, cfg, "{name}: config round trip");
            assert_eq!(agent2.to_file(&cfg2), again, "{name}: agent round trip");
        }
        expect(name, r.map(|_| ()).map_err(|e| e.to_string()));
    });
    assert!(n >= 8 && t.elapsed().as_secs() < 10);
}

#[test]
fn megabyte_inputs_return_promptly() {
    let t = Instant::now();
    let valid = serde_json::to_string(&Config::default_preset()).unwrap();
    let big = [
        "[".repeat(1 << 20),
        "{\"a\":".repeat(1 << 18),
        format!("\"{}\"", "x".repeat(1 << 20)),
        format!("[{}1]", "1,".repeat(1 << 19)),
        format!("{valid}{}", " ".repeat(1 << 20)),
        valid.replace("\"seed\":1", &format!("\"seed\":1{}", "0".repeat(1 << 20))),
    ];
    for text in &big {
        assert!(Config::from_json(text).is_err());
        assert!(Agent::from_file(text).is_err());
        let set = format!("agent.target={text}");
        assert!(apply_sets(&Config::default_preset(), &[set.as_str()]).is_err());
        let set = format!("agent.gamma={text}");
        let e = apply_sets(&Config::default_preset(), &[set.as_str()]).unwrap_err();
        assert!(e.to_string().len() < 400);
        assert!(parse_whole(text, 0, 10).is_err());
        assert!(parse_number(text, Kind::F64).is_err());
    }
    assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
}

/// A valid config document with one JSON token replaced by `junk`.
fn mutate(doc: &str, at: usize, junk: &str) -> String {
    let mut cut = at % (doc.len() + 1);
    while !doc.is_char_boundary(cut) {
        cut -= 1;
    }
    let end = (cut + junk.len().min(8)).min(doc.len());
    let mut end = end.max(cut);
    while !doc.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{}{}", &doc[..cut], junk, &doc[end..])
}

fn field_paths() -> Vec<&'static str> {
    instatok::schema::FIELDS.iter().map(|f| f.path).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn config_json_never_panics(text in ".{0,400}") {
        let _ = Config::from_json(&text);
    }

    #[test]
    fn mutated_config_json_never_panics(at in 0usize..4000, junk in "[-0-9eE.,:\\[\\]{}\"a-z ]{0,12}") {
        let doc = serde_json::to_string(&Config::default_preset()).unwrap();
        let text = mutate(&doc, at, &junk);
        if let Ok(c) = Config::from_json(&text) {
            // Whatever is accepted is valid and survives a round trip.
            c.validate().unwrap();
            prop_assert_eq!(Config::from_json(&serde_json::to_string(&c).unwrap()).unwrap(), c);
        }
    }

    #[test]
    fn mutated_agent_file_never_panics(at in 0usize..6000, junk in "[-0-9eE.,:\\[\\]{}\"a-z ]{0,12}") {
        let doc = std::fs::read_to_string(corpus("agent").join("ok-bandit.json")).unwrap();
        let text = mutate(&doc, at, &junk);
        match Agent::from_file(&text) {
            Ok((cfg, _)) => cfg.validate().unwrap(),
            Err(e) => prop_assert!(e.to_string().chars().count() < 400),
        }
    }

    #[test]
    fn set_never_panics(path_i in 0usize..80, raw in ".{0,40}", junk_path in "[a-z_.\\[\\]]{0,20}") {
        let paths = field_paths();
        let path = paths.get(path_i).copied().unwrap_or(&junk_path);
        let arg = format!("{path}={raw}");
        match apply_sets(&Config::default_preset(), &[arg.as_str()]) {
            Ok(c) => c.validate().unwrap(),
            Err(e) => prop_assert!(e.to_string().len() < 400),
        }
    }

    #[test]
    fn numbers_are_finite_or_refused(raw in "[-+0-9eE.naifNIF ]{0,30}") {
        if let Ok(v) = parse_number(&raw, Kind::F32) {
            prop_assert!(v.is_finite() && (v as f32).is_finite());
            prop_assert!(v == 0.0 || v as f32 != 0.0);
        }
        if let Ok(v) = parse_whole(&raw, 3, 70) {
            prop_assert!((3..=70).contains(&v));
        }
    }
}
