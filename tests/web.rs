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
