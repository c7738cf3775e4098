//! `cargo xtask test`: every test the project has: native, wasm in headless Chromium, and the
//! page's end-to-end tests against a freshly built `dist/`.

use crate::dist::{self, DistArgs};
use crate::serve::{self, StaticServer};
use crate::tools::{self, cmd, section, WASM_TARGET};
use anyhow::{bail, Result};
use std::fs;
use std::path::Path;

/// Chromium flags for a closed network and a root user, on top of the runner's own
/// `headless`, `no-sandbox` and `disable-dev-shm-usage`.
const WEBDRIVER_JSON: &str = r#"{
  "goog:chromeOptions": {
    "args": [
      "disable-gpu", "disable-quic", "no-first-run", "disable-background-networking",
      "disable-component-update", "disable-sync"
    ]
  }
}
"#;

/// One step of the run: a name for the summary and the function that runs it.
type Step = (&'static str, fn() -> Result<()>);

/// Where the browser tests expect Chromium and ChromeDriver (Debian's packages).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The one command that installs them (what `.ci/run` runs).
const APT_INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";

/// What to do about the browser before building anything.
#[derive(Debug, PartialEq, Eq)]
enum BrowserPlan {
    /// Both are there.
    Ready,
    /// Missing, and we are root: install them with apt-get.
    Install,
    /// Missing, and we cannot install: stop with the command to run.
    Stop(String),
}

fn browser_plan(chromium: bool, chromedriver: bool, root: bool, apt: bool) -> BrowserPlan {
    if chromium && chromedriver {
        return BrowserPlan::Ready;
    }
    let missing = match (chromium, chromedriver) {
        (false, false) => format!("{CHROMIUM} and {CHROMEDRIVER} are"),
        (false, true) => format!("{CHROMIUM} is"),
        _ => format!("{CHROMEDRIVER} is"),
    };
    if root && apt {
        BrowserPlan::Install
    } else if apt {
        BrowserPlan::Stop(format!(
            "{missing} missing (the wasm and e2e tests need them); install them with:\n  sudo sh -c '{APT_INSTALL}'\nthen run cargo xtask test again"
        ))
    } else {
        BrowserPlan::Stop(format!(
            "{missing} missing (the wasm and e2e tests need them) and this machine has no apt-get; \
             install Chromium and a matching ChromeDriver at those paths (on Debian/Ubuntu: {APT_INSTALL}), \
             then run cargo xtask test again"
        ))
    }
}

fn executable(path: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn running_as_root() -> bool {
    tools::output(std::process::Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

/// Makes sure Chromium and ChromeDriver are installed before anything is built: installs them
/// with apt-get as root (as `.ci/run` does), otherwise stops with the one command to run.
fn ensure_browser() -> Result<()> {
    let plan = browser_plan(
        executable(CHROMIUM),
        executable(CHROMEDRIVER),
        running_as_root(),
        executable("/usr/bin/apt-get"),
    );
    match plan {
        BrowserPlan::Ready => Ok(()),
        BrowserPlan::Install => {
            section("system packages: chromium, chromedriver (apt-get)");
            tools::run(
                std::process::Command::new("sh")
                    .args(["-c", APT_INSTALL])
                    .env("DEBIAN_FRONTEND", "noninteractive"),
            )?;
            if !(executable(CHROMIUM) && executable(CHROMEDRIVER)) {
                bail!("apt-get ran but {CHROMIUM} or {CHROMEDRIVER} is still missing");
            }
            Ok(())
        }
        BrowserPlan::Stop(msg) => bail!("{msg}"),
    }
}

/// Runs all three steps, even after a failure, and fails if any failed. Checks for Chromium
/// and ChromeDriver first (installing them as root), before building anything.
pub fn run() -> Result<()> {
    ensure_browser()?;
    let steps: [Step; 3] = [("native", native), ("wasm", wasm), ("e2e", e2e)];
    let mut summary = Vec::new();
    let mut failed = false;
    for (name, step) in steps {
        summary.push(match step() {
            Ok(()) => format!("{name} ok"),
            Err(err) => {
                eprintln!("error: {name} tests: {err:#}");
                failed = true;
                format!("{name} FAILED")
            }
        });
    }
    println!("\nxtask test: {}", summary.join(", "));
    if failed {
        bail!("some tests failed");
    }
    Ok(())
}

/// `cargo test --workspace` on the host.
fn native() -> Result<()> {
    section("test: native (cargo test --workspace)");
    tools::run(tools::cargo().args(["test", "--workspace"]))?;
    Ok(())
}

/// `tests/web.rs` under wasm-bindgen-test-runner in headless Chromium.
fn wasm() -> Result<()> {
    section("test: wasm (headless Chromium)");
    let root = tools::repo_root();
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen_cli()?;
    let scratch = root.join("target/xtask");
    fs::create_dir_all(&scratch)?;
    let webdriver_json = scratch.join("webdriver.json");
    fs::write(&webdriver_json, WEBDRIVER_JSON)?;
    let mut test = tools::cargo();
    test.args([
        "test",
        "--target",
        WASM_TARGET,
        "-p",
        "instatok",
        "--test",
        "web",
    ])
    // Also set in .cargo/config.toml; repeated so the step works without it.
    .env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
        "wasm-bindgen-test-runner",
    )
    // The test file says `run_in_browser`; this only matters if it forgot to.
    .env("WASM_BINDGEN_USE_BROWSER", "1")
    .env("WASM_BINDGEN_TEST_WEBDRIVER_JSON", &webdriver_json);
    if std::env::var_os("WASM_BINDGEN_TEST_TIMEOUT").is_none() {
        // The runner's default of 20 s is short for training a network in a debug-ish build.
        test.env("WASM_BINDGEN_TEST_TIMEOUT", "300");
    }
    tools::run(&mut test)?;
    Ok(())
}

/// Builds dist/, serves it on a free port and runs `node --test tests/e2e/` against it.
fn e2e() -> Result<()> {
    let root = tools::repo_root();
    let dist = dist::run(&DistArgs::default())?;
    section("test: e2e (node --test tests/e2e/)");
    let server = serve::start_on_free_port(dist)?;
    let result = tools::run(node_against(&root, &server).args([
        "--test",
        // A hung browser must not hang CI: no single test may take longer than this.
        "--test-timeout=300000",
        "tests/e2e/",
    ]));
    drop(server);
    result?;
    Ok(())
}

/// `node` with BASE_URL and ARTIFACTS_DIR set for the page's test and bench scripts.
pub fn node_against(root: &Path, server: &StaticServer) -> std::process::Command {
    let artifacts = root.join("target/e2e-artifacts");
    let _ = fs::create_dir_all(&artifacts);
    let mut node = cmd("node");
    node.env("BASE_URL", server.url())
        .env("ARTIFACTS_DIR", artifacts);
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_is_installed_as_root_or_the_command_is_named() {
        assert_eq!(browser_plan(true, true, false, true), BrowserPlan::Ready);
        assert_eq!(browser_plan(false, true, true, true), BrowserPlan::Install);
        assert_eq!(browser_plan(true, false, true, true), BrowserPlan::Install);
        match browser_plan(false, false, false, true) {
            BrowserPlan::Stop(m) => {
                assert!(
                    m.contains("/usr/bin/chromium and /usr/bin/chromedriver are missing"),
                    "{m}"
                );
                assert!(
                    m.contains("apt-get install -y chromium chromium-driver"),
                    "{m}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            browser_plan(false, true, true, false),
            BrowserPlan::Stop(_)
        ));
    }
}
