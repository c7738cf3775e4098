//! `cargo xtask bench`: prints benchmark figures (native, in the browser) and the bundle's
//! gzip sizes against the size budget. Figures only; nothing here asserts on time.

use crate::dist::{self, human, DistArgs};
use crate::serve;
use crate::test::node_against;
use crate::tools::{self, section};
use anyhow::Result;

/// What the page should cost over the wire, gzip-compressed, all files together.
const BUDGET_BYTES: u64 = 500_000;

/// `cargo xtask soak --browser`: builds dist/, serves it and runs tests/e2e/soak.mjs
/// (`steps` page steps; the native soak's default of 1,000,000 means the browser's 200,000).
pub fn soak_browser(steps: u64) -> Result<()> {
    let root = tools::repo_root();
    let steps = if steps == 1_000_000 { 200_000 } else { steps };
    let dist = dist::run(&DistArgs::default())?;
    section(&format!("soak: {steps} steps in headless Chromium"));
    let server = serve::start_on_free_port(dist)?;
    let result = tools::run(
        node_against(&root, &server)
            .env("SOAK_STEPS", steps.to_string())
            .arg("tests/e2e/soak.mjs"),
    );
    drop(server);
    result
}

/// Times scikit-learn's and implicit's item-item similarity on our `large` matrix in
/// alternation with our index build (`bench/reference.py`), when Python has both packages:
/// the reference figures were measured once, and this machine's speed drifts.
fn same_run_references(root: &std::path::Path) -> Result<()> {
    section("bench: same-run references (python3 bench/reference.py)");
    let have = tools::output(tools::cmd("python3").args(["-c", "import sklearn, implicit"]));
    if have.is_none() {
        println!(
            "skipped: python3 lacks scikit-learn or implicit (pip install -r \
             bench/requirements.txt adds them)"
        );
        return Ok(());
    }
    let binary = root.join("target/release/instatok");
    tools::run(
        tools::cmd("python3")
            .arg("bench/reference.py")
            .arg(&binary)
            .arg("3"),
    )
}

/// Runs the native and browser benchmarks and prints the size report; `long` adds the
/// page's 190 s full-speed run, `references` the same-run reference figures.
pub fn run(long: bool, references: bool) -> Result<()> {
    let root = tools::repo_root();
    section("bench: native (instatok bench)");
    // The native `seed` experiment's timings, for the browser run's ratio.
    let figures = root.join("target/xtask/bench-native.json");
    std::fs::create_dir_all(root.join("target/xtask"))?;
    let _ = std::fs::remove_file(&figures);
    tools::run(
        tools::cargo()
            .args([
                "run",
                "--release",
                "-p",
                "instatok",
                "--bin",
                "instatok",
                "--",
                "bench",
                "--figures",
            ])
            .arg(&figures),
    )?;

    if references {
        same_run_references(&root)?;
    } else {
        println!(
            "\n(same-run references for the index build, scikit-learn and implicit on our \
             matrix: cargo xtask bench --references)"
        );
    }

    let dist = dist::run(&DistArgs::default())?;
    section("bench: browser (node tests/e2e/bench.mjs)");
    let server = serve::start_on_free_port(dist.clone())?;
    let result = tools::run(
        node_against(&root, &server)
            .env("NATIVE_FIGURES", &figures)
            .env("BENCH_LONG", if long { "1" } else { "" })
            .arg("tests/e2e/bench.mjs"),
    );
    drop(server);
    result?;

    section("bench: bundle size (gzip)");
    let files = dist::sizes(&dist)?;
    let mut total = 0;
    for kind in ["html", "js", "css", "wasm"] {
        let sizes = files
            .iter()
            .filter(|f| f.path.rsplit('.').next() == Some(kind))
            .map(|f| f.gzip);
        // A browser downloads one of the two WebAssembly modules (www/wasm.js picks it): the
        // larger counts, not both.
        let (bytes, note): (u64, _) = if kind == "wasm" {
            (
                sizes.max().unwrap_or(0),
                "  (the larger of the two modules; a browser downloads one)",
            )
        } else {
            (sizes.sum(), "")
        };
        total += bytes;
        println!("{kind:<6} {:>10}{note}", human(bytes));
    }
    let verdict = if total <= BUDGET_BYTES {
        "within"
    } else {
        "OVER"
    };
    println!(
        "total  {:>10}  ({verdict} the {} target, {:.0}% of it)",
        human(total),
        human(BUDGET_BYTES),
        100.0 * total as f64 / BUDGET_BYTES as f64
    );
    Ok(())
}
