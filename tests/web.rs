//! The browser boundary, run in headless Chromium by wasm-bindgen-test.
#![cfg(target_arch = "wasm32")]

use instatok::web::{default_config, validate_config, Playground};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn small_config(preset: &str) -> JsValue {
    let cfg = default_config(preset).unwrap();
    let world = js_sys::Reflect::get(&cfg, &"world".into()).unwrap();
    js_sys::Reflect::set(&world, &"n_videos".into(), &JsValue::from(300)).unwrap();
    js_sys::Reflect::set(&world, &"n_users".into(), &JsValue::from(30)).unwrap();
    cfg
}

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

#[wasm_bindgen_test]
fn constructs_and_trains() {
    for preset in ["default", "seed"] {
        let mut pg = Playground::new(small_config(preset)).unwrap();
        let report = pg.train(400).unwrap();
        assert!(get(&report, "episodes_finished").as_f64().unwrap() >= 1.0);
        let last = get(&report, "last");
        assert!(get(&last, "reward").as_f64().is_some());
        // A time-boxed slice runs at least one step and stops near its budget.
        let slice = pg.train_for(5.0, 1_000_000).unwrap();
        let n = get(&slice, "steps").as_f64().unwrap();
        assert!((1.0..1_000_000.0).contains(&n), "{n}");
        assert!(pg.train_for(f64::NAN, 10).is_err());
        let report = pg.train(1).unwrap();
        let returns = pg.series("return").unwrap();
        assert_eq!(
            returns.len() as f64,
            get(&report, "episode").as_f64().unwrap()
        );
        // The Worker sends series as deltas: seriesFrom(k) is series()[k..], empty past the end.
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for name in ["return", "loss", "epsilon", "session_seconds"] {
            let all = pg.series(name).unwrap();
            for k in [0, 1, all.len() / 2, all.len(), all.len() + 7] {
                let tail = pg.series_from(name, k).unwrap();
                assert_eq!(
                    bits(&tail),
                    bits(&all[k.min(all.len())..]),
                    "{name} from {k}"
                );
            }
        }
        assert!(pg.series_from("bogus", 0).is_err());
        let stats = pg.stats().unwrap();
        assert!(get(&stats, "updates").as_f64().unwrap() > 0.0);
        let b = pg.baselines().unwrap();
        let oracle = get(&get(&b, "oracle"), "mean_return").as_f64().unwrap();
        let random = get(&get(&b, "random"), "mean_return").as_f64().unwrap();
        assert!(oracle > random);
    }
}

/// Baselines are evaluated at the first `baselines()` call and kept: asked right after the
/// build (as the page does), they are the initial world's and training does not change them.
#[wasm_bindgen_test]
fn baselines_are_evaluated_once_on_the_world_of_the_first_call() {
    let text = |v: JsValue| js_sys::JSON::stringify(&v).unwrap().as_string().unwrap();
    let mut pg = Playground::new(small_config("default")).unwrap();
    let first = text(pg.baselines().unwrap());
    pg.train(300).unwrap();
    assert_eq!(text(pg.baselines().unwrap()), first);
    let fresh = Playground::new(small_config("default")).unwrap();
    assert_eq!(text(fresh.baselines().unwrap()), first);
    // Asked only after training, they are the trained world's (the filter has learned from
    // the training sessions), so they differ from the initial ones.
    let mut late = Playground::new(small_config("default")).unwrap();
    late.train(300).unwrap();
    assert_ne!(text(late.baselines().unwrap()), first);
}

/// The Worker computes a skill-curve point a policy at a time (`curvePart`): the parts are the
/// whole point's entries, and bad requests are refused with the field's name.
#[wasm_bindgen_test]
fn a_curve_point_computed_a_policy_at_a_time_equals_the_whole_point() {
    let text = |v: JsValue| js_sys::JSON::stringify(&v).unwrap().as_string().unwrap();
    let mut pg = Playground::new(small_config("default")).unwrap();
    pg.train(400).unwrap();
    let point = pg.curve_point(12).unwrap();
    let policies = get(&point, "policies");
    let names = js_sys::Object::keys(&policies.clone().into());
    assert_eq!(names.length(), 5);
    for name in names.iter() {
        let name = name.as_string().unwrap();
        assert_eq!(
            text(pg.curve_part(&name, 12).unwrap()),
            text(get(&policies, &name)),
            "{name}"
        );
    }
    // Another panel size gives other figures (the parts do read `sessions`).
    assert_ne!(
        text(pg.curve_part("dqn", 13).unwrap()),
        text(get(&policies, "dqn"))
    );
    for (policy, sessions, field) in [
        ("bogus", 12, "policy"),
        ("dqn", 0, "sessions"),
        ("dqn", 1001, "sessions"),
    ] {
        let err = pg.curve_part(policy, sessions).expect_err("refused");
        let msg = get(&JsValue::from(err), "message").as_string().unwrap();
        assert!(msg.contains(field), "{policy} {sessions}: {msg}");
    }
}

#[wasm_bindgen_test]
fn the_same_config_trains_identically_twice() {
    for preset in ["default", "seed"] {
        let run = || {
            let mut pg = Playground::new(small_config(preset)).unwrap();
            pg.train(300).unwrap();
            assert!(get(&pg.stats().unwrap(), "updates").as_f64().unwrap() > 0.0);
            // Bits, so that NaN losses (episodes before any update) compare equal.
            let bits = |name| -> Vec<u32> {
                pg.series(name)
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect()
            };
            (bits("return"), bits("loss"))
        };
        let first = run();
        assert!(!first.0.is_empty(), "{preset}: no episode finished");
        assert_eq!(first, run(), "{preset}");
    }
}

#[wasm_bindgen_test]
fn bad_config_is_rejected_with_a_js_error_naming_the_field() {
    let cfg = small_config("default");
    let agent = get(&cfg, "agent");
    js_sys::Reflect::set(&agent, &"gamma".into(), &JsValue::from(1.5)).unwrap();
    let err = Playground::new(cfg.clone())
        .err()
        .expect("invalid config must throw");
    let msg: JsValue = err.into();
    let text = js_sys::Reflect::get(&msg, &"message".into())
        .unwrap()
        .as_string()
        .unwrap();
    assert!(text.contains("agent.gamma"), "{text}");
    assert!(validate_config(cfg).is_err());
    assert!(default_config("nope").is_err());
}

#[wasm_bindgen_test]
fn live_parameters_are_validated_and_the_reader_reaches_the_agent() {
    let mut pg = Playground::new(small_config("default")).unwrap();
    assert!(pg.set_param("gamma", 0.9).is_ok());
    assert!(pg.set_param("gamma", 7.0).is_err());
    assert!(pg.set_param("batch_size", 2.5).is_err());
    assert!(pg.set_param("bogus", 1.0).is_err());
    let cfg = pg.config().unwrap();
    assert_eq!(
        get(&get(&cfg, "agent"), "gamma").as_f64().unwrap() as f32,
        0.9f32
    );

    let profile = js_sys::JSON::parse(
        r#"{"age":25,"gender":"f","region":"west","interests":["tech","food"]}"#,
    )
    .unwrap();
    let card = pg.user_start(profile).unwrap();
    assert!(get(&get(&card, "video"), "category").as_string().is_some());
    let before = get(&pg.stats().unwrap(), "replay_len").as_f64().unwrap();
    let step = pg.user_respond("liked", 6.0).unwrap();
    assert_eq!(get(&step, "reward").as_f64().unwrap(), 2.0);
    let after = get(&pg.stats().unwrap(), "replay_len").as_f64().unwrap();
    assert_eq!(after, before + 1.0);
    assert!(pg.user_respond("dance", 1.0).is_err());
}

fn numbers(v: &JsValue) -> Vec<f64> {
    js_sys::Array::from(v)
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn error_message(err: wasm_bindgen::JsError) -> String {
    let v: JsValue = err.into();
    get(&v, "message").as_string().unwrap()
}

fn profile() -> JsValue {
    js_sys::JSON::parse(r#"{"age":25,"gender":"f","region":"west","interests":["tech","food"]}"#)
        .unwrap()
}

#[wasm_bindgen_test]
fn export_then_import_gives_the_same_q_values_and_a_corrupt_file_changes_nothing() {
    let mut a = Playground::new(small_config("default")).unwrap();
    a.train(300).unwrap();
    a.user_start(profile()).unwrap();
    let q0 = numbers(&get(&a.why(0).unwrap(), "q_values"));
    let text = a.export_agent();
    // Another agent first (an untrained one), so that the import below has work to do.
    let b = Playground::new(small_config("default")).unwrap();
    let report = a.import_agent(&b.export_agent()).unwrap();
    assert_eq!(get(&report, "rebuilt").as_bool(), Some(false));
    let q1 = numbers(&get(&a.why(0).unwrap(), "q_values"));
    assert_ne!(q0, q1);
    a.import_agent(&text).unwrap();
    assert_eq!(numbers(&get(&a.why(0).unwrap(), "q_values")), q0);
    assert_eq!(a.export_agent(), text);

    // Truncated, altered version, wrong shape: refused with a message, nothing changes.
    let updates = get(&a.stats().unwrap(), "updates").as_f64();
    let truncated = &text[..text.len() / 2];
    let msg = error_message(a.import_agent(truncated).unwrap_err());
    assert!(msg.contains("not valid JSON"), "{msg}");
    let v3 = text.replacen("\"version\":2", "\"version\":3", 1);
    let msg = error_message(a.import_agent(&v3).unwrap_err());
    assert!(msg.contains("version 3"), "{msg}");
    let shape = text.replacen("\"online\":[", "\"online\":[0.5,", 1);
    let msg = error_message(a.import_agent(&shape).unwrap_err());
    assert!(msg.contains("agent.online"), "{msg}");
    assert_eq!(numbers(&get(&a.why(0).unwrap(), "q_values")), q0);
    assert_eq!(get(&a.stats().unwrap(), "updates").as_f64(), updates);
    assert_eq!(a.export_agent(), text);

    // A file from another world rebuilds the playground around the agent.
    let mut c = Playground::new(small_config("seed")).unwrap();
    let report = c.import_agent(&text).unwrap();
    assert_eq!(get(&report, "rebuilt").as_bool(), Some(true));
    assert_eq!(c.export_agent(), text);
}

#[wasm_bindgen_test]
fn explanations_add_up_and_match_the_network() {
    let mut pg = Playground::new(small_config("default")).unwrap();
    let report = pg.train(200).unwrap();
    // The watch-mode card: its terms add up to its score in the train report.
    let last = get(&report, "last");
    let slot = get(&last, "slot").as_f64().unwrap() as u32;
    let card = js_sys::Array::from(&get(&last, "candidates")).get(slot);
    let w = pg.why_last().unwrap();
    let t = get(&w, "terms");
    let sum = get(&t, "similarity").as_f64().unwrap()
        + get(&t, "popularity").as_f64().unwrap()
        + get(&t, "interest").as_f64().unwrap();
    assert_eq!(sum, get(&card, "score").as_f64().unwrap());
    assert_eq!(get(&w, "video"), get(&card, "video_id"));
    assert!(get(&w, "reason").as_string().is_some());

    // The reader's card: its terms add up to its score, its similar videos are history.
    pg.user_start(profile()).unwrap();
    pg.user_respond("liked", 6.0).unwrap();
    let w = pg.why(0).unwrap();
    let t = get(&w, "terms");
    let sum = get(&t, "similarity").as_f64().unwrap()
        + get(&t, "popularity").as_f64().unwrap()
        + get(&t, "interest").as_f64().unwrap();
    assert_eq!(sum, get(&w, "business").as_f64().unwrap());
    assert!(pg.why(99).is_err());

    let ins = pg.state_inspector().unwrap();
    let width = get(&ins, "input_width").as_f64().unwrap();
    let rows = js_sys::Array::from(&get(&ins, "rows"));
    assert!(rows.length() > 0);
    for row in rows.iter() {
        assert_eq!(
            js_sys::Array::from(&get(&row, "entries")).length() as f64,
            width
        );
    }

    let n = js_sys::Array::from(&pg.neighbours(0, 5).unwrap());
    assert!(n.length() <= 5);
    assert!(pg.neighbours(100_000, 5).is_err());
    let h = pg.similarity_heatmap(3).unwrap();
    let videos = js_sys::Array::from(&get(&h, "videos")).length();
    assert_eq!(js_sys::Array::from(&get(&h, "values")).length(), videos);
    assert!(pg.similarity_heatmap(0).is_err());
    let e = pg.exposure().unwrap();
    let gini = get(&e, "gini").as_f64().unwrap();
    assert!((0.0..=1.0).contains(&gini));
    assert!(js_sys::Array::from(&get(&e, "lorenz")).length() > 1);
    let episodes = pg.series("return").unwrap().len();
    assert_eq!(pg.episodes_csv().lines().count(), episodes + 1);
}

/// With `setExplain(true)` the last step of every slice keeps the history behind its shown
/// video as it stood before the step (only the last step computes it): the listed total is
/// the card's similarity score, whether the slice ends on its step budget or on its clock.
/// Read after the step instead, it would include the response just recorded.
#[wasm_bindgen_test]
fn explained_slices_keep_the_last_steps_similar_history() {
    let mut pg = Playground::new(small_config("default")).unwrap();
    pg.set_explain(true);
    let mut checked = 0;
    for round in 0..60 {
        let report = match round % 3 {
            0 => pg.train(1 + round % 7).unwrap(),
            1 => pg.train_for(0.0, 100).unwrap(),
            _ => pg.train_for(2.0, 10_000).unwrap(),
        };
        let steps = get(&report, "steps").as_f64().unwrap();
        if round % 3 == 1 {
            // No time at all: the first step is the last and keeps its history itself.
            assert_eq!(
                steps, 1.0,
                "round {round}: a slice of 0 ms ran {steps} steps"
            );
        }
        let last = get(&report, "last");
        let slot = get(&last, "slot").as_f64().unwrap() as u32;
        let card = js_sys::Array::from(&get(&last, "candidates")).get(slot);
        let score = get(&card, "similarity").as_f64().unwrap();
        let w = pg.why_last().unwrap();
        let total = get(&get(&w, "similar"), "total").as_f64().unwrap();
        assert!(
            (total - score).abs() <= 1e-9 * score.abs().max(1.0),
            "round {round}: the listed history sums to {total}, the card's score is {score}"
        );
        checked += usize::from(score != 0.0);
    }
    assert!(checked > 10, "only {checked} cards had a similarity score");
}

#[wasm_bindgen_test]
fn similar_history_is_the_users_history_and_the_bandit_gives_estimates() {
    let mut pg = Playground::new(small_config("default")).unwrap();
    let mut listed = 0;
    for _ in 0..40 {
        let report = pg.train(5).unwrap();
        let user = get(&get(&get(&report, "last"), "user"), "id")
            .as_f64()
            .unwrap() as u32;
        let hist = pg.user_history(user).unwrap();
        let w = pg.why_last().unwrap();
        assert_eq!(get(&w, "agent").as_string().unwrap(), "dqn");
        assert!(get(&w, "estimates").is_null() || get(&w, "estimates").is_undefined());
        for c in js_sys::Array::from(&get(&get(&w, "similar"), "top")).iter() {
            let v = get(&c, "video").as_f64().unwrap() as u32;
            assert!(hist.contains(&v), "#{v} not in user {user}'s history");
            listed += 1;
        }
    }
    assert!(listed > 0);
    assert!(pg.user_history(1_000_000).is_err());

    let cfg = small_config("default");
    js_sys::Reflect::set(&get(&cfg, "agent"), &"kind".into(), &"bandit".into()).unwrap();
    let mut pg = Playground::new(cfg).unwrap();
    pg.train(50).unwrap();
    let w = pg.why_last().unwrap();
    assert_eq!(get(&w, "agent").as_string().unwrap(), "bandit");
    let est = js_sys::Array::from(&get(&w, "estimates"));
    assert_eq!(
        est.length(),
        js_sys::Array::from(&get(&w, "q_values")).length()
    );
    for e in est.iter() {
        assert!(get(&e, "sd").as_f64().unwrap() >= 0.0);
    }
    assert!(pg.state_inspector().is_err());
}

#[wasm_bindgen_test]
fn a_world_built_in_steps_equals_one_built_at_once_and_divergence_pauses_training() {
    use instatok::web::Builder;
    let cfg = small_config("default");
    let mut b = Builder::new(cfg.clone()).unwrap();
    let mut last = -1.0;
    let mut calls = 0;
    loop {
        let p = b.advance(7).unwrap();
        let f = get(&p, "fraction").as_f64().unwrap();
        assert!(f >= last && (0.0..=1.0).contains(&f), "{f} after {last}");
        last = f;
        calls += 1;
        if get(&p, "stage").as_string().unwrap() == "done" {
            break;
        }
    }
    assert!(calls > 10, "built in {calls} steps");
    let mut stepped = b.finish().unwrap();
    assert!(b.finish().is_err(), "a builder is used up");
    let mut whole = Playground::new(cfg).unwrap();
    let js = |v: JsValue| js_sys::JSON::stringify(&v).unwrap().as_string().unwrap();
    assert_eq!(
        js(stepped.baselines().unwrap()),
        js(whole.baselines().unwrap())
    );
    stepped.train(300).unwrap();
    whole.train(300).unwrap();
    assert_eq!(
        stepped.series("return").unwrap(),
        whole.series("return").unwrap()
    );

    // An absurd learning rate: the trainer reports a divergence and training stops.
    let bad = small_config("default");
    let agent = get(&bad, "agent");
    for (k, v) in [
        ("learning_rate", 1.0),
        // Without weight decay: at learning rate 1 the default decay of 1 zeroes the weights.
        ("weight_decay", 0.0),
        ("gamma", 1.0),
        ("batch_size", 1.0),
        ("epsilon_min", 0.0),
    ] {
        js_sys::Reflect::set(&agent, &k.into(), &JsValue::from(v)).unwrap();
    }
    let mut pg = Playground::new(bad).unwrap();
    let mut diverged = false;
    for _ in 0..200 {
        let r = pg.train(500).unwrap();
        if get(&r, "diverged").as_bool().unwrap() {
            diverged = true;
            break;
        }
    }
    assert!(diverged, "an absurd learning rate diverges");
    let d = get(&pg.stats().unwrap(), "divergence");
    assert!(get(&d, "message")
        .as_string()
        .unwrap()
        .contains("learning_rate"));
    assert_eq!(get(&pg.train(100).unwrap(), "steps").as_f64(), Some(0.0));
    pg.clear_divergence();
    assert!(get(&pg.stats().unwrap(), "divergence").is_null());
    assert!(get(&pg.train(1).unwrap(), "steps").as_f64() == Some(1.0));
}

/// The WebAssembly matrix kernel (SIMD128 in this build) equals a plain product on odd
/// shapes, every operand layout, init and finish (natively the same loops run on four-lane
/// arrays: `agent::gemm`'s unit test).
#[wasm_bindgen_test]
fn simd_kernel_matches_plain_product() {
    let err = instatok::agent::kernel_max_error();
    assert!(err < 1e-4, "max error {err}");
}
