//! Shared helpers: running commands, locating the repository, and installing the pinned tools
//! (wasm target, wasm-bindgen CLI, npm packages) that the other commands need.

use anyhow::{bail, Context, Result};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The wasm target the crate is compiled for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The repository root: the checkout `cargo xtask` runs in, found by walking up from the
/// current directory (see [`find_root`]), never the path baked in at build time, so a checkout
/// copied elsewhere with its `target/` works on its own tree. Exits with a message outside a
/// checkout.
pub fn repo_root() -> PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let cwd = std::env::current_dir().unwrap_or_else(|e| {
            eprintln!("error: cannot read the current directory: {e}");
            std::process::exit(1)
        });
        find_root(&cwd).unwrap_or_else(|| {
            eprintln!(
                "error: {} is not inside an InstaTok checkout (no parent directory holds xtask/ \
                 and a Cargo.toml with [workspace]); run cargo xtask from the checkout",
                cwd.display()
            );
            std::process::exit(1)
        })
    })
    .clone()
}

/// The nearest directory at or above `start` that holds `xtask/` and a `Cargo.toml` declaring
/// a `[workspace]`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            dir.join("xtask").is_dir()
                && fs::read_to_string(dir.join("Cargo.toml"))
                    .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
        })
        .map(Path::to_path_buf)
}

/// The `cargo` that invoked us, so nested builds use the same toolchain.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(repo_root());
    cmd
}

/// A command that runs in the repository root.
pub fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(repo_root());
    cmd
}

/// Prints the command line, runs it with inherited stdio and fails, naming it, unless it exits 0.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    println!("$ {line}");
    let start = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("could not start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    println!("  (took {:.1}s)", start.elapsed().as_secs_f64());
    Ok(())
}

/// Runs two commands at once (their output interleaves), like [`run`] each: the two wasm
/// builds spend much of their time in one thread each (the crate's own code generation and
/// link-time optimisation). On this 2-core machine, after a change to `src/`, they took 32 s
/// side by side against 71 s one after the other; from a clean checkout 159-163 s against
/// 192 s. Fails, naming it, if either fails (after both have ended).
pub fn run_both(a: &mut Command, b: &mut Command) -> Result<()> {
    let (line_a, line_b) = (describe(a), describe(b));
    println!("$ {line_a}\n$ {line_b}\n  (at once)");
    let start = Instant::now();
    let mut child = b
        .spawn()
        .with_context(|| format!("could not start `{line_b}`"))?;
    let first = a.status();
    let second = child.wait();
    for (line, status) in [(&line_a, first), (&line_b, second)] {
        let status = status.with_context(|| format!("could not run `{line}`"))?;
        if !status.success() {
            bail!("`{line}` failed ({status})");
        }
    }
    println!("  (both took {:.1}s)", start.elapsed().as_secs_f64());
    Ok(())
}

/// Runs the command quietly and returns its stdout; `None` if it cannot start or fails.
pub fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `program arg1 arg2 ...`, for messages: `cargo` for the toolchain's cargo, and paths inside
/// the repository shown relative to it.
fn describe(cmd: &Command) -> String {
    let root = repo_root();
    let short = |s: &OsStr| {
        let path = Path::new(s);
        path.strip_prefix(&root)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    };
    let program = if std::env::var_os("CARGO").as_deref() == Some(cmd.get_program()) {
        "cargo".to_owned()
    } else {
        short(cmd.get_program())
    };
    std::iter::once(program)
        .chain(cmd.get_args().map(short))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A section header, so long logs stay readable.
pub fn section(title: &str) {
    println!("\n==> {title}");
}

/// Adds the wasm target with rustup unless it is already installed.
pub fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

/// The `wasm-bindgen` crate version recorded in Cargo.lock; the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock_path = repo_root().join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .with_context(|| format!("reading {}", lock_path.display()))?;
    parse_lock_version(&lock, "wasm-bindgen").with_context(|| {
        format!(
            "no `wasm-bindgen` package in {}; is it a dependency of the crate?",
            lock_path.display()
        )
    })
}

/// Finds `version = "..."` of the `[[package]]` named `name` in a Cargo.lock.
fn parse_lock_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    lock.split("[[package]]")
        .filter(|block| block.lines().any(|l| l.trim() == wanted))
        .find_map(|block| {
            block.lines().find_map(|l| {
                l.trim()
                    .strip_prefix("version = \"")?
                    .strip_suffix('"')
                    .map(str::to_owned)
            })
        })
}

/// Installs `wasm-bindgen-cli` at the Cargo.lock version unless both `wasm-bindgen` and
/// `wasm-bindgen-test-runner` already report that version.
pub fn ensure_wasm_bindgen_cli() -> Result<()> {
    let want = locked_wasm_bindgen_version()?;
    let have = |tool: &str| {
        output(Command::new(tool).arg("--version"))
            .and_then(|s| s.split_whitespace().nth(1).map(str::to_owned))
    };
    let bindgen = have("wasm-bindgen");
    let runner = have("wasm-bindgen-test-runner");
    if bindgen.as_deref() == Some(want.as_str()) && runner.as_deref() == Some(want.as_str()) {
        return Ok(());
    }
    println!(
        "wasm-bindgen CLI is {}, Cargo.lock wants {want}; installing (takes a few minutes)",
        bindgen.as_deref().unwrap_or("missing")
    );
    // No --locked: the CLI's own lockfile is not published, as its docs note.
    run(cargo().args(["install", "wasm-bindgen-cli", "--version", &want]))
}

/// Runs `npm ci` when node_modules is missing or older than package-lock.json.
pub fn ensure_npm_packages() -> Result<()> {
    let root = repo_root();
    let lock = root.join("package-lock.json");
    // npm writes this hidden lockfile on every install; it is how npm itself tells staleness.
    let installed = root.join("node_modules/.package-lock.json");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    let lock_time = modified(&lock).context("package-lock.json is missing; run `npm install`")?;
    match modified(&installed) {
        Some(t) if t >= lock_time => Ok(()),
        _ => run(cmd("npm").args(["ci", "--no-audit", "--no-fund"])),
    }
}

/// A free TCP port on 127.0.0.1, for servers the tests start.
pub fn bind_free_port() -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(("127.0.0.1", 0)).context("binding a free port on 127.0.0.1")
}

#[cfg(test)]
mod tests {
    use super::parse_lock_version;

    const LOCK: &str = r#"
[[package]]
name = "wasm-bindgen-backend"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
"#;

    #[test]
    fn finds_exact_package_not_prefix() {
        assert_eq!(
            parse_lock_version(LOCK, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(parse_lock_version(LOCK, "js-sys"), None);
    }
}

#[cfg(test)]
mod root_tests {
    use super::*;

    /// A scratch checkout skeleton: `Cargo.toml` with `[workspace]`, `xtask/`, `src/deep/`.
    fn skeleton(dir: &Path) {
        fs::create_dir_all(dir.join("xtask/src")).unwrap();
        fs::create_dir_all(dir.join("src/deep")).unwrap();
        fs::write(
            dir.join("Cargo.toml"),
            "[workspace]\nmembers = [\".\", \"xtask\"]\n",
        )
        .unwrap();
        fs::write(
            dir.join("xtask/Cargo.toml"),
            "[package]\nname = \"xtask\"\n",
        )
        .unwrap();
    }

    #[test]
    fn the_root_is_found_from_where_it_runs() {
        let base = std::env::temp_dir().join(format!("xtask-root-{}", std::process::id()));
        let (a, b) = (base.join("a"), base.join("copy/b"));
        skeleton(&a);
        skeleton(&b);
        // A copied checkout (with a target/ built elsewhere) resolves to itself.
        fs::create_dir_all(b.join("target/debug")).unwrap();
        assert_eq!(find_root(&a.join("src/deep")), Some(a.clone()));
        assert_eq!(find_root(&b.join("src/deep")), Some(b.clone()));
        assert_eq!(find_root(&b.join("target/debug")), Some(b.clone()));
        // xtask/'s own Cargo.toml has no [workspace]: the walk goes past it.
        assert_eq!(find_root(&b.join("xtask/src")), Some(b.clone()));
        // Outside any checkout: none (unless the temp dir itself sits in one).
        let outside = base.join("nothing");
        fs::create_dir_all(&outside).unwrap();
        assert_eq!(find_root(&outside), find_root(&std::env::temp_dir()));
        fs::remove_dir_all(&base).unwrap();
    }
}
