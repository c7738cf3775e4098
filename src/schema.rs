//! The one table of every configuration field and its documented range ([`FIELDS`]), and the
//! one validation path built on it: [`crate::config::Config::validate`], config files, CLI
//! flags, `--set PATH=VALUE` ([`apply_sets`]) and the page (through [`schema`], exported as
//! `configSchema()`) all check values against the same rows.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::config::Config;
use crate::error::{shown, Error, Result};

/// How a field is stored and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A whole number (JSON integer).
    Int,
    /// A 64-bit float; must be finite.
    F64,
    /// A 32-bit float; must be finite, and is compared with its bounds rounded to f32.
    F32,
    /// `true` or `false`.
    Bool,
    /// One of [`FieldSpec::values`] (a JSON string).
    Enum,
    /// A JSON array whose length is in `[min, max]`; its elements' fields are rows of their
    /// own, with `[]` in the path (e.g. `behaviour.region_affinity[].delta`).
    List,
}

/// One configuration field: its dotted path, kind, documented range and meaning.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FieldSpec {
    /// Dotted path in the configuration JSON, e.g. `agent.gamma`; `[]` marks every element of
    /// a list.
    pub path: &'static str,
    /// How the value is stored.
    pub kind: Kind,
    /// Smallest allowed value (a list: shortest length), if any.
    pub min: Option<f64>,
    /// Largest allowed value (a list: longest length), if any.
    pub max: Option<f64>,
    /// Another field whose value is a further lower bound (e.g. `world.age_max` >=
    /// `world.age_min`).
    pub min_field: Option<&'static str>,
    /// Another field whose value is a further upper bound.
    pub max_field: Option<&'static str>,
    /// Whether `null` is allowed (meaning: off / unbounded, see `doc`).
    pub nullable: bool,
    /// The allowed strings of an [`Kind::Enum`] field.
    pub values: &'static [&'static str],
    /// What the field means.
    pub doc: &'static str,
}

const fn spec(path: &'static str, kind: Kind, min: f64, max: f64, doc: &'static str) -> FieldSpec {
    FieldSpec {
        path,
        kind,
        min: Some(min),
        max: Some(max),
        min_field: None,
        max_field: None,
        nullable: false,
        values: &[],
        doc,
    }
}

const fn int(path: &'static str, min: f64, max: f64, doc: &'static str) -> FieldSpec {
    spec(path, Kind::Int, min, max, doc)
}

const fn f64_(path: &'static str, min: f64, max: f64, doc: &'static str) -> FieldSpec {
    spec(path, Kind::F64, min, max, doc)
}

const fn f32_(path: &'static str, min: f64, max: f64, doc: &'static str) -> FieldSpec {
    spec(path, Kind::F32, min, max, doc)
}

const fn flag(path: &'static str, doc: &'static str) -> FieldSpec {
    FieldSpec {
        min: None,
        max: None,
        ..spec(path, Kind::Bool, 0.0, 0.0, doc)
    }
}

const fn choice(
    path: &'static str,
    values: &'static [&'static str],
    doc: &'static str,
) -> FieldSpec {
    FieldSpec {
        min: None,
        max: None,
        values,
        ..spec(path, Kind::Enum, 0.0, 0.0, doc)
    }
}

const fn at_least(s: FieldSpec, field: &'static str) -> FieldSpec {
    FieldSpec {
        min_field: Some(field),
        ..s
    }
}

const fn at_most(s: FieldSpec, field: &'static str) -> FieldSpec {
    FieldSpec {
        max_field: Some(field),
        ..s
    }
}

const fn nullable(s: FieldSpec) -> FieldSpec {
    FieldSpec {
        nullable: true,
        ..s
    }
}

const CATEGORIES: &[&str] = &[
    "comedy",
    "educational",
    "news",
    "food",
    "politics",
    "animals",
    "tech",
    "fashion",
];
const REGIONS: &[&str] = &["west", "mid", "east"];

/// Longest `behaviour.region_affinity` table (3 regions x 8 categories is 24 distinct rows;
/// rows apply in order, so repeats are allowed, up to this many).
pub const MAX_REGION_AFFINITY: usize = 1000;

/// Every configuration field with its documented range. `instatok config --schema` prints it,
/// the page reads it through `configSchema()`, and the README's table is generated from it.
pub const FIELDS: &[FieldSpec] = &[
    choice(
        "preset",
        &["seed", "default"],
        "Preset the configuration started from.",
    ),
    spec(
        "seed",
        Kind::Int,
        0.0,
        u64::MAX as f64,
        "Seed of every random draw.",
    ),
    int("world.n_videos", 1.0, 1e6, "Number of videos."),
    int("world.n_creators", 1.0, 1e6, "Number of creators."),
    int("world.n_users", 1.0, 1e5, "Number of users."),
    f64_(
        "world.video_duration",
        0.1,
        3600.0,
        "Length of every video in seconds.",
    ),
    f64_(
        "world.views_mean",
        0.0,
        1e9,
        "Mean of the initial view count.",
    ),
    f64_(
        "world.views_sd",
        0.0,
        1e9,
        "Standard deviation of the initial view count.",
    ),
    int("world.age_min", 1.0, 120.0, "Youngest user age."),
    at_least(
        int("world.age_max", 1.0, 120.0, "Oldest user age."),
        "world.age_min",
    ),
    f64_(
        "world.history_mean",
        0.0,
        1e4,
        "Mean number of historical interactions per user.",
    ),
    f64_(
        "world.history_sd",
        0.0,
        1e4,
        "Standard deviation of that number.",
    ),
    int(
        "world.history_min",
        0.0,
        1e4,
        "Minimum number of historical interactions per user.",
    ),
    f64_(
        "behaviour.interest_boost",
        -1.0,
        1.0,
        "Continue-probability boost for an interest.",
    ),
    spec(
        "behaviour.region_affinity",
        Kind::List,
        0.0,
        MAX_REGION_AFFINITY as f64,
        "Region-interest table, applied in order (number of rows).",
    ),
    choice(
        "behaviour.region_affinity[].region",
        REGIONS,
        "Region of the user.",
    ),
    choice(
        "behaviour.region_affinity[].category",
        CATEGORIES,
        "Category of the video.",
    ),
    f64_(
        "behaviour.region_affinity[].delta",
        -1.0,
        1.0,
        "Shift of the continue probability.",
    ),
    f64_(
        "behaviour.history_like_boost",
        -1.0,
        1.0,
        "History: a like raises p by this.",
    ),
    f64_(
        "behaviour.history_skip_drop",
        -1.0,
        1.0,
        "History: a skip lowers p by this.",
    ),
    f64_(
        "behaviour.skip_seconds_min",
        0.0,
        3600.0,
        "Seconds on a skipped video: minimum.",
    ),
    at_least(
        f64_(
            "behaviour.skip_seconds_max",
            0.0,
            3600.0,
            "Seconds on a skipped video: maximum.",
        ),
        "behaviour.skip_seconds_min",
    ),
    f64_(
        "behaviour.session_gap_mean",
        0.0,
        1e7,
        "Mean seconds between historical sessions.",
    ),
    f64_(
        "behaviour.session_gap_sd",
        0.0,
        1e7,
        "Standard deviation of that gap.",
    ),
    f64_(
        "scores.history.watched",
        -100.0,
        100.0,
        "History score: watched.",
    ),
    f64_(
        "scores.history.skipped",
        -100.0,
        100.0,
        "History score: skipped.",
    ),
    f64_(
        "scores.history.liked",
        -100.0,
        100.0,
        "History score: liked.",
    ),
    f64_(
        "scores.history.other",
        -100.0,
        100.0,
        "History score: session end.",
    ),
    f64_(
        "scores.live.watched",
        -100.0,
        100.0,
        "Live score and reward: watched.",
    ),
    f64_(
        "scores.live.skipped",
        -100.0,
        100.0,
        "Live score and reward: skipped.",
    ),
    f64_(
        "scores.live.liked",
        -100.0,
        100.0,
        "Live score and reward: liked.",
    ),
    f64_(
        "scores.live.other",
        -100.0,
        100.0,
        "Live score and reward: session end.",
    ),
    at_most(
        int(
            "cf.n_candidates",
            1.0,
            crate::agent::MAX_CANDIDATES as f64,
            "Candidates per step.",
        ),
        "world.n_videos",
    ),
    f64_("cf.w1", -10.0, 10.0, "Weight of the similarity score."),
    f64_("cf.w2", -10.0, 10.0, "Weight of 0.1 * views."),
    f64_(
        "cf.w3",
        -10.0,
        10.0,
        "Weight of 'is one of the user's interests'.",
    ),
    nullable(int(
        "cf.top_k",
        1.0,
        1000.0,
        "Neighbours kept per video by the top-K index; null: the exact filter (the notebook).",
    )),
    nullable(int(
        "cf.history_window",
        1.0,
        1e5,
        "Recent interactions per user the index reads; null: all (must be null when cf.top_k is).",
    )),
    int(
        "cf.discovery_slots",
        0.0,
        (crate::agent::MAX_CANDIDATES - 1) as f64,
        "Candidate slots holding the most viewed unseen video of a category the filter did not \
         propose (below cf.n_candidates).",
    ),
    int("env.n_steps", 1.0, 1e4, "Steps per episode at most."),
    flag("env.scale_features", "Feed scaled features to the network."),
    flag(
        "env.update_before_candidates",
        "Record an interaction before the next candidates.",
    ),
    choice(
        "agent.kind",
        &["dqn", "bandit"],
        "Learner: deep Q-learning or a linear contextual bandit.",
    ),
    choice(
        "agent.architecture",
        &["slot_heads", "pair_scorer"],
        "Network layout.",
    ),
    flag(
        "agent.include_candidate_scores",
        "Whether candidate scores reach the network.",
    ),
    int(
        "agent.hidden",
        64.0,
        64.0,
        "Width of the hidden layers (fixed at 64).",
    ),
    f32_("agent.gamma", 0.0, 1.0, "Discount factor."),
    f32_("agent.learning_rate", 1e-7, 1.0, "Adam learning rate."),
    f32_(
        "agent.weight_decay",
        0.0,
        100.0,
        "Decoupled weight decay (AdamW): each update shrinks every weight by learning_rate x \
         weight_decay; 0: plain Adam. learning_rate x weight_decay must be at most 1.",
    ),
    int("agent.batch_size", 1.0, 4096.0, "Minibatch size."),
    at_least(
        nullable(int(
            "agent.replay_capacity",
            1.0,
            1e7,
            "Replay capacity; null: unbounded.",
        )),
        "agent.batch_size",
    ),
    f32_("agent.epsilon_start", 0.0, 1.0, "Initial exploration rate."),
    f32_(
        "agent.epsilon_decay",
        0.5,
        1.0,
        "Multiplicative epsilon decay per update.",
    ),
    f32_("agent.epsilon_min", 0.0, 1.0, "Floor of epsilon."),
    choice(
        "agent.epsilon_decay_per",
        &["update", "episode"],
        "Whether epsilon decays after every update or every episode.",
    ),
    choice(
        "agent.target.kind",
        &["none", "hard", "soft"],
        "Target network.",
    ),
    int(
        "agent.target.every",
        1.0,
        1e6,
        "Hard target: updates between copies.",
    ),
    f32_(
        "agent.target.tau",
        1e-6,
        1.0,
        "Soft target: Polyak blend factor.",
    ),
    choice("agent.loss", &["mse", "huber"], "TD loss."),
    nullable(f32_(
        "agent.grad_clip",
        1e-4,
        1e4,
        "Clip the gradient's global L2 norm to this; null: off.",
    )),
    choice(
        "agent.bandit.exploration",
        &["thompson", "ucb", "greedy"],
        "Bandit exploration: Thompson sampling, LinUCB, or none.",
    ),
    f64_(
        "agent.bandit.prior_precision",
        1e-9,
        1e6,
        "Bandit: precision of the zero-mean Gaussian prior on the weights.",
    ),
    f64_(
        "agent.bandit.noise_sd",
        1e-9,
        100.0,
        "Bandit: standard deviation of the reward noise.",
    ),
    f64_(
        "agent.bandit.ucb_alpha",
        0.0,
        100.0,
        "Bandit (LinUCB): width of the optimism bonus in posterior sds.",
    ),
    choice(
        "interests.source",
        &["true", "predicted"],
        "Interests used by the w3 term and the agents: the simulator's truth or a prediction.",
    ),
    f64_(
        "interests.prior_strength",
        0.0,
        1000.0,
        "Interest prediction: pseudo-observations pulling a user's rates towards the region's.",
    ),
    int("experiment.episodes", 0.0, 1e6, "Training episodes."),
    int(
        "experiment.eval_episodes",
        1.0,
        1e5,
        "Evaluation episodes per policy.",
    ),
    int(
        "experiment.eval_every",
        0.0,
        1e6,
        "Episodes between learning-curve points; 0: no curve.",
    ),
    int(
        "experiment.curve_sessions",
        1.0,
        1e5,
        "Held-out sessions per policy at each learning-curve point.",
    ),
    flag(
        "experiment.common_draws",
        "Draw each training episode's user and step randomness from (seed, episode, step) \
         streams, so agents trained side by side meet the same users.",
    ),
];

/// What `configSchema()` and `instatok config --schema` return.
#[derive(Debug, Clone, Serialize)]
pub struct Schema {
    /// Every field, in the configuration's order.
    pub fields: Vec<FieldSpec>,
    /// Memory budgets, in bytes, that [`crate::budget`] refuses worlds above.
    pub budget: crate::budget::Budgets,
}

/// The schema as plain serde data (for the page and the CLI).
pub fn schema() -> Schema {
    Schema {
        fields: FIELDS.to_vec(),
        budget: crate::budget::Budgets::DOCUMENTED,
    }
}

/// The row of `path` (with `[]` for list elements), if it is a field.
pub fn field(path: &str) -> Option<&'static FieldSpec> {
    FIELDS.iter().find(|f| f.path == path)
}

/// The allowed range of `f` as text, e.g. `[0, 1]`, `one of mse, huber`.
pub fn describe(f: &FieldSpec, doc: &Value) -> String {
    // The effective bound, and the field it comes from when that field is the tighter one:
    // `18 (world.age_min)`.
    let bound = |v: Option<f64>, other: Option<&str>, lower: bool| -> String {
        let ov = other.and_then(|o| lookup(doc, o).first().and_then(|x| x.1.as_f64()));
        match (v, ov) {
            (Some(a), Some(b)) if (lower && b > a) || (!lower && b < a) => {
                format!("{} ({})", fmt_num(b), other.unwrap_or_default())
            }
            (Some(a), _) => fmt_num(a),
            (None, Some(b)) => format!("{} ({})", fmt_num(b), other.unwrap_or_default()),
            (None, None) => "?".into(),
        }
    };
    let null = if f.nullable { " or null" } else { "" };
    match f.kind {
        Kind::Bool => "true or false".into(),
        Kind::Enum => format!("one of {}", f.values.join(", ")),
        Kind::List => format!(
            "a list of {} to {} entries",
            bound(f.min, None, true),
            bound(f.max, None, false)
        ),
        Kind::Int => format!(
            "a whole number in [{}, {}]{null}",
            bound(f.min, f.min_field, true),
            bound(f.max, f.max_field, false)
        ),
        Kind::F32 | Kind::F64 => format!(
            "a number in [{}, {}]{null}",
            bound(f.min, f.min_field, true),
            bound(f.max, f.max_field, false)
        ),
    }
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1e15 && v.fract() == 0.0 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Every value at `path` in `doc` (one per list element for `[]` paths), with its concrete
/// path (`behaviour.region_affinity[3].delta`). Missing fields give no entry.
pub fn lookup<'a>(doc: &'a Value, path: &str) -> Vec<(String, &'a Value)> {
    let mut out = vec![(String::new(), doc)];
    for seg in path.split('.') {
        let (key, each) = match seg.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for (p, v) in out {
            let Some(child) = v.as_object().and_then(|o| o.get(key)) else {
                continue;
            };
            let p = if p.is_empty() {
                key.to_string()
            } else {
                format!("{p}.{key}")
            };
            if each {
                if let Some(items) = child.as_array() {
                    next.extend(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, x)| (format!("{p}[{i}]"), x)),
                    );
                }
            } else {
                next.push((p, child));
            }
        }
        out = next;
    }
    out
}

/// Check every field of `doc` whose path starts with `prefix` ("" for all) against its row;
/// the error names the first field at fault and its range.
pub fn validate_value(doc: &Value, prefix: &str) -> Result<()> {
    for f in FIELDS.iter().filter(|f| f.path.starts_with(prefix)) {
        for (path, v) in lookup(doc, f.path) {
            check(f, &path, v, doc)?;
        }
    }
    Ok(())
}

/// Check one value against its row (`path` is the concrete path named in the error).
pub fn check(f: &FieldSpec, path: &str, v: &Value, doc: &Value) -> Result<()> {
    let bad = |got: String| {
        Err(Error::field(
            path,
            format!("must be {} (got {got})", describe(f, doc)),
        ))
    };
    if v.is_null() {
        if f.nullable {
            return Ok(());
        }
        return match f.kind {
            Kind::F32 | Kind::F64 => bad("NaN, an infinity or null".into()),
            _ => bad("null".into()),
        };
    }
    let num = |v: &Value| v.as_f64();
    let limit = |x: Option<f64>, other: Option<&str>, lower: bool| -> Option<f64> {
        let o = other.and_then(|o| lookup(doc, o).first().and_then(|x| x.1.as_f64()));
        match (x, o) {
            (Some(a), Some(b)) => Some(if lower { a.max(b) } else { a.min(b) }),
            (a, b) => a.or(b),
        }
    };
    match f.kind {
        Kind::Bool if v.is_boolean() => Ok(()),
        Kind::Bool => bad(shown(&v.to_string())),
        Kind::Enum => match v.as_str() {
            Some(s) if f.values.contains(&s) => Ok(()),
            _ => bad(shown(&v.to_string())),
        },
        Kind::List => match v.as_array() {
            Some(a) if in_range(a.len() as f64, f.min, f.max, false) => Ok(()),
            Some(a) => bad(format!("{} entries", a.len())),
            None => bad(shown(&v.to_string())),
        },
        Kind::Int => {
            let ok = (v.is_u64() || v.is_i64())
                && num(v).is_some_and(|x| {
                    in_range(
                        x,
                        limit(f.min, f.min_field, true),
                        limit(f.max, f.max_field, false),
                        false,
                    )
                });
            if ok {
                Ok(())
            } else {
                bad(shown(&v.to_string()))
            }
        }
        Kind::F32 | Kind::F64 => match num(v) {
            Some(x)
                if x.is_finite()
                    && in_range(
                        x,
                        limit(f.min, f.min_field, true),
                        limit(f.max, f.max_field, false),
                        f.kind == Kind::F32,
                    ) =>
            {
                Ok(())
            }
            _ => bad(shown(&v.to_string())),
        },
    }
}

/// `lo <= x <= hi`; for an f32 field the bounds are rounded to f32 first, so the documented
/// minimum stored as f32 (e.g. tau 1e-6, which is 9.99999997e-7 in f32) is accepted.
fn in_range(x: f64, lo: Option<f64>, hi: Option<f64>, as_f32: bool) -> bool {
    let r = |b: f64| if as_f32 { b as f32 as f64 } else { b };
    lo.is_none_or(|lo| x >= r(lo)) && hi.is_none_or(|hi| x <= r(hi))
}

/// Read a number typed by a person (CLI, `--set`, a link): finite, and not so small that it
/// silently rounds to 0 (`1e-400`), nor, for an f32 field, to 0 or infinity in f32.
pub fn parse_number(raw: &str, kind: Kind) -> std::result::Result<f64, String> {
    let t = raw.trim();
    let v: f64 = t
        .parse()
        .map_err(|_| format!("{} is not a number", shown_quoted(raw)))?;
    if !v.is_finite() {
        return Err(format!("{} is not a finite number", shown_quoted(raw)));
    }
    let mantissa = t.split(['e', 'E']).next().unwrap_or("");
    let nonzero_text = mantissa.chars().any(|c| ('1'..='9').contains(&c));
    if v == 0.0 && nonzero_text {
        return Err(format!(
            "{} is too small: it would round to 0",
            shown_quoted(raw)
        ));
    }
    if kind == Kind::F32 {
        let s = v as f32;
        if !s.is_finite() {
            return Err(format!(
                "{} is too large for a 32-bit float",
                shown_quoted(raw)
            ));
        }
        if s == 0.0 && v != 0.0 {
            return Err(format!(
                "{} is too small: it would round to 0",
                shown_quoted(raw)
            ));
        }
    }
    Ok(v)
}

/// Read a whole number typed by a person (a CLI flag) in `[lo, hi]`; the message names the
/// range and shows the value cut to [`crate::error::MAX_SHOWN`] characters.
pub fn parse_whole(raw: &str, lo: u64, hi: u64) -> std::result::Result<u64, String> {
    match raw.trim().parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!(
            "must be a whole number in [{lo}, {hi}] (got {})",
            shown_quoted(raw)
        )),
    }
}

fn shown_quoted(raw: &str) -> String {
    format!("\"{}\"", shown(raw))
}

/// Read `raw` as a value of field `f` (named `path` in errors) and check its range.
pub fn parse_field(f: &FieldSpec, raw: &str, doc: &Value) -> Result<Value> {
    let path = f.path;
    let wrong = |why: String| Error::field(path, format!("must be {} ({why})", describe(f, doc)));
    let t = raw.trim();
    if t == "null" {
        if f.nullable {
            return Ok(Value::Null);
        }
        return Err(wrong("got null".into()));
    }
    let v = match f.kind {
        Kind::Int => {
            let n: u64 = t
                .parse()
                .map_err(|_| wrong(format!("got {}", shown_quoted(raw))))?;
            Value::from(n)
        }
        Kind::F32 | Kind::F64 => {
            let x = parse_number(raw, f.kind).map_err(wrong)?;
            serde_json::Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| wrong(format!("got {}", shown_quoted(raw))))?
        }
        Kind::Bool => match t {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong(format!("got {}", shown_quoted(raw)))),
        },
        Kind::Enum => {
            let s = t.trim_matches('"');
            Value::String(s.to_string())
        }
        Kind::List => serde_json::from_str(t).map_err(|e| wrong(shown(&e.to_string())))?,
    };
    check(f, path, &v, doc)?;
    Ok(v)
}

/// Apply `PATH=VALUE` overrides in order to `cfg`, then validate. A path is a field of
/// [`FIELDS`] (read with its kind: `agent.gamma=0.9`, `agent.replay_capacity=null`,
/// `agent.loss=huber`) or a whole section (`agent.target={"kind":"soft","tau":0.01}`, read as
/// JSON). Errors name the field and its range; giving the same path twice is an error (no
/// silent last-wins). `cfg` is not changed on error.
pub fn apply_sets<S: AsRef<str>>(cfg: &Config, sets: &[S]) -> Result<Config> {
    if sets.is_empty() {
        return Ok(cfg.clone());
    }
    let mut doc = serde_json::to_value(cfg).map_err(|e| Error::field("config", e.to_string()))?;
    let mut seen = BTreeSet::new();
    for s in sets {
        let s = s.as_ref();
        let (path, raw) = s.split_once('=').ok_or_else(|| {
            Error::field(
                "--set",
                format!(
                    "expected PATH=VALUE, e.g. agent.gamma=0.9 (got \"{}\")",
                    shown(s)
                ),
            )
        })?;
        let path = path.trim();
        if !seen.insert(path.to_string()) {
            return Err(Error::field(
                path,
                "given twice with --set; give each field once",
            ));
        }
        let value = match field(path) {
            Some(f) if !path.contains("[]") => parse_field(f, raw, &doc)?,
            _ => serde_json::from_str(raw.trim()).map_err(|e| {
                Error::field(path, format!("not valid JSON: {}", shown(&e.to_string())))
            })?,
        };
        let node = node_mut(&mut doc, path).ok_or_else(|| {
            Error::field(
                shown(path),
                "no such configuration field (see `instatok config --schema`)",
            )
        })?;
        *node = value;
        serde_json::from_value::<Config>(doc.clone())
            .map_err(|e| Error::field(path, shown(&e.to_string())))?;
    }
    let out: Config =
        serde_json::from_value(doc).map_err(|e| Error::field("--set", shown(&e.to_string())))?;
    out.validate()?;
    Ok(out)
}

fn node_mut<'a>(doc: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut node = doc;
    for key in path.split('.') {
        node = node.as_object_mut()?.get_mut(key)?;
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_of_the_config_has_a_row() {
        let mut c = Config::default_preset();
        c.agent.grad_clip = Some(1.0);
        let doc = serde_json::to_value(&c).unwrap();
        fn leaves(v: &Value, p: &str, out: &mut Vec<String>) {
            match v {
                Value::Object(o) => {
                    for (k, x) in o {
                        let q = if p.is_empty() {
                            k.clone()
                        } else {
                            format!("{p}.{k}")
                        };
                        leaves(x, &q, out)
                    }
                }
                Value::Array(a) => {
                    out.push(p.to_string());
                    if let Some(x) = a.first() {
                        leaves(x, &format!("{p}[]"), out)
                    }
                }
                _ => out.push(p.to_string()),
            }
        }
        let mut all = Vec::new();
        leaves(&doc, "", &mut all);
        for target in [
            r#"{"kind":"hard","every":3}"#,
            r#"{"kind":"soft","tau":0.1}"#,
        ] {
            leaves(
                &serde_json::from_str::<Value>(target).unwrap(),
                "agent.target",
                &mut all,
            );
        }
        for p in all {
            assert!(field(&p).is_some(), "{p} has no row in schema::FIELDS");
        }
    }

    #[test]
    fn the_readme_lists_every_field() {
        let readme = include_str!("../README.md");
        for f in FIELDS {
            let row = format!("| `{}` | ", f.path);
            assert!(readme.contains(&row), "README.md has no row for {}", f.path);
        }
    }

    #[test]
    fn documented_minimum_tau_is_accepted() {
        let mut c = Config::default_preset();
        c.agent.target = crate::agent::TargetUpdate::Soft { tau: 1e-6 };
        c.validate().unwrap();
        let c = apply_sets(
            &Config::default_preset(),
            &[r#"agent.target={"kind":"soft","tau":1e-6}"#],
        )
        .unwrap();
        assert_eq!(
            c.agent.target,
            crate::agent::TargetUpdate::Soft { tau: 1e-6 }
        );
        let mut c = c;
        c.agent.target = crate::agent::TargetUpdate::Soft { tau: 9e-7 };
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .contains("agent.target.tau"));
    }

    fn set_err(sets: &[&str]) -> String {
        apply_sets(&Config::default_preset(), sets)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn set_errors_name_the_field_and_range() {
        let e = set_err(&["agent.gamma=NaN"]);
        assert!(
            e.starts_with("agent.gamma: must be a number in [0, 1]"),
            "{e}"
        );
        let e = set_err(&["agent.gamma=1e-400"]);
        assert!(e.contains("agent.gamma") && e.contains("round to 0"), "{e}");
        let e = set_err(&["world.n_users=1.5"]);
        assert!(
            e.starts_with("world.n_users: must be a whole number in [1, 100000]"),
            "{e}"
        );
        let e = set_err(&["agent.loss=l1"]);
        assert!(e.contains("agent.loss: must be one of mse, huber"), "{e}");
        let e = set_err(&["agent.gamma=0.5", "agent.gamma=0.9"]);
        assert!(e.contains("agent.gamma") && e.contains("twice"), "{e}");
        let e = set_err(&["world.age_max=10"]);
        assert!(
            e.starts_with("world.age_max: must be a whole number in [18 (world.age_min), 120]"),
            "{e}"
        );
        let long = format!("agent.gamma={}", "9".repeat(12_000));
        let e = set_err(&[&long]);
        assert!(e.len() < 300 && e.contains('…'), "{} chars", e.len());
        let e = set_err(&["agent.target.tau=0.5"]);
        assert!(e.contains("agent.target.tau"), "{e}");
    }

    #[test]
    fn sets_apply_in_order_and_keep_the_input() {
        let base = Config::default_preset();
        let c = apply_sets(
            &base,
            &[
                "agent.gamma=0.9",
                "agent.replay_capacity=null",
                "agent.loss=huber",
                r#"agent.target={"kind":"soft","tau":0.01}"#,
                "agent.grad_clip=10",
            ],
        )
        .unwrap();
        assert_eq!(c.agent.gamma, 0.9);
        assert_eq!(c.agent.replay_capacity, None);
        assert_eq!(c.agent.grad_clip, Some(10.0));
        assert!(apply_sets(&base, &["agent.gama=0.9"]).is_err());
        assert_eq!(base, Config::default_preset());
    }
}
