//! `cargo xtask dist`: builds the static site into `dist/` (wasm + glue, page, vendored uPlot).

use crate::tools::{self, cmd, section, WASM_TARGET};
use anyhow::{bail, Context, Result};
use flate2::{write::GzEncoder, Compression};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `cargo xtask dist`.
#[derive(clap::Args, Default)]
pub struct DistArgs {
    /// Skip wasm-opt (faster builds while iterating; the wasm is larger).
    #[arg(long)]
    pub no_opt: bool,
}

/// Features that current rustc and wasm-bindgen output use; wasm-opt must accept them all.
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-simd",
];

/// Compiles, instantiates and lists the exports of a wasm-bindgen module in Node, so a
/// wasm-opt result can be checked against the module it came from.
const VERIFY_SCRIPT: &str = r#"
import { readFileSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import v8 from 'node:v8';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
// Node 20 compiles relaxed SIMD only with this flag (later versions have it on, and ignore
// the flag with a warning once it is gone).
v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const [glue, wasm] = process.argv.slice(2);
const module = await WebAssembly.compile(readFileSync(wasm));
console.log('exports: ' + WebAssembly.Module.exports(module).map((e) => e.name).sort().join(','));
// The glue is an ES module without a package.json saying so: import a .mjs copy.
const dir = mkdtempSync(join(tmpdir(), 'xtask-verify-'));
try {
  copyFileSync(glue, join(dir, 'glue.mjs'));
  const { initSync } = await import(pathToFileURL(join(dir, 'glue.mjs')));
  initSync({ module });
  console.log('instantiated');
} catch (e) {
  console.log('not instantiated: ' + String(e).split('\n')[0]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
"#;

/// Builds `dist/` and returns its path.
pub fn run(args: &DistArgs) -> Result<PathBuf> {
    let started = Instant::now();
    let root = tools::repo_root();
    let dist = root.join("dist");
    let pkg = dist.join("pkg");

    section("dist: tools");
    tools::ensure_wasm_target()?;
    tools::ensure_wasm_bindgen_cli()?;
    tools::ensure_npm_packages()?;

    section("dist: wasm builds, SIMD128 and SIMD128 with relaxed SIMD");
    tools::run_both(&mut wasm_build(), &mut relaxed_build(&root))?;
    let wasm = root.join("target/wasm32-unknown-unknown/release/instatok.wasm");
    if dist.exists() {
        fs::remove_dir_all(&dist).with_context(|| format!("clearing {}", dist.display()))?;
    }
    tools::run(&mut bind(&wasm, &pkg))?;

    let bg = pkg.join("instatok_bg.wasm");
    let relaxed = bind_relaxed(&root, &pkg)?;

    if args.no_opt {
        println!("wasm-opt skipped (--no-opt)");
    } else {
        section("dist: wasm-opt, both modules at once");
        // One thread each (wasm-opt -Oz spends most of its time in one).
        std::thread::scope(|s| {
            let relaxed = s.spawn(|| optimize(&root, &pkg, &relaxed, Simd::Relaxed));
            let plain = optimize(&root, &pkg, &bg, Simd::Plain);
            let relaxed = relaxed
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the wasm-opt thread panicked")));
            plain.and(relaxed)
        })?;
    }

    section("dist: page and assets");
    fs::copy(root.join("index.html"), dist.join("index.html")).context("copying index.html")?;
    copy_dir(&root.join("www"), &dist.join("www"))?;
    let vendor = dist.join("vendor");
    fs::create_dir_all(&vendor)?;
    for file in ["uPlot.iife.min.js", "uPlot.min.css"] {
        let from = root.join("node_modules/uplot/dist").join(file);
        fs::copy(&from, vendor.join(file))
            .with_context(|| format!("copying {}", from.display()))?;
    }

    section("dist: sizes");
    print_sizes(&dist)?;
    println!(
        "dist built in {:.1}s: {}",
        started.elapsed().as_secs_f64(),
        dist.display()
    );
    Ok(dist)
}

/// `cargo build` of the core's wasm library, release profile.
fn wasm_build() -> std::process::Command {
    let mut build = tools::cargo();
    build.args([
        "build",
        "--release",
        "--lib",
        "--target",
        WASM_TARGET,
        "-p",
        "instatok",
    ]);
    build
}

/// `wasm-bindgen` of `wasm` into `out_dir` (ES-module glue for the web, no typings).
fn bind(wasm: &Path, out_dir: &Path) -> std::process::Command {
    let mut bind = cmd("wasm-bindgen");
    bind.args(["--target", "web", "--no-typescript", "--out-dir"])
        .arg(out_dir)
        .arg(wasm);
    bind
}

/// The SIMD instructions a module may use.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Simd {
    /// SIMD128 (every current browser).
    Plain,
    /// SIMD128 and relaxed SIMD.
    Relaxed,
}

/// The rustflags of the second module, `pkg/instatok_relaxed_bg.wasm`: SIMD128 plus relaxed
/// SIMD, whose fused multiply-add the matrix kernel uses (see `src/agent/gemm.rs`). The page
/// loads it where the browser validates relaxed SIMD (`www/wasm.js`), the first module
/// elsewhere.
const RELAXED_RUSTFLAGS: &str = "-C target-feature=+simd128,+relaxed-simd";

/// The build of the relaxed-SIMD module, into its own target directory (other rustflags would
/// rebuild the first module's dependencies every time).
fn relaxed_build(root: &Path) -> std::process::Command {
    let mut build = wasm_build();
    build
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            RELAXED_RUSTFLAGS,
        )
        .arg("--target-dir")
        .arg(root.join("target/wasm-relaxed"));
    build
}

/// Binds the relaxed-SIMD module built by [`relaxed_build`], checks that its glue is the
/// first module's (one `pkg/instatok.js` serves both), and copies it into `pkg`. Returns its
/// path.
fn bind_relaxed(root: &Path, pkg: &Path) -> Result<PathBuf> {
    let target_dir = root.join("target/wasm-relaxed");
    let bound = root.join("target/xtask/relaxed-pkg");
    if bound.exists() {
        fs::remove_dir_all(&bound)?;
    }
    tools::run(&mut bind(
        &target_dir.join("wasm32-unknown-unknown/release/instatok.wasm"),
        &bound,
    ))?;
    let glue = |dir: &Path| fs::read(dir.join("instatok.js")).context("reading the glue");
    if glue(&bound)? != glue(pkg)? {
        bail!(
            "the relaxed-SIMD module's glue ({}) differs from the first module's: they must \
             share pkg/instatok.js",
            bound.join("instatok.js").display()
        );
    }
    let relaxed = pkg.join("instatok_relaxed_bg.wasm");
    fs::copy(bound.join("instatok_bg.wasm"), &relaxed).context("copying the relaxed module")?;
    Ok(relaxed)
}

/// Runs `wasm-opt -Oz` from npm's binaryen on `bg`, keeping the result only if the optimised
/// module still compiles, instantiates and exports the same names as the original.
fn optimize(root: &Path, pkg: &Path, bg: &Path, simd: Simd) -> Result<()> {
    let wasm_opt = root.join("node_modules/.bin/wasm-opt");
    if !wasm_opt.exists() {
        println!("wasm-opt skipped: {} not found", wasm_opt.display());
        return Ok(());
    }
    let scratch = root.join("target/xtask");
    fs::create_dir_all(&scratch)?;
    // Per-process and per-module names: two `dist` runs at once, and the two modules of one
    // run (optimised side by side), must not take each other's files.
    let id = format!(
        "{}.{}",
        std::process::id(),
        match simd {
            Simd::Plain => "simd128",
            Simd::Relaxed => "relaxed",
        }
    );
    let optimized = scratch.join(format!("instatok_bg.opt.{id}.wasm"));
    let mut opt = cmd(&wasm_opt);
    opt.arg("-Oz").args(WASM_OPT_FEATURES);
    if simd == Simd::Relaxed {
        opt.arg("--enable-relaxed-simd");
    }
    tools::run(opt.arg(bg).arg("-o").arg(&optimized))?;

    let script = scratch.join(format!("verify-wasm.{id}.mjs"));
    fs::write(&script, VERIFY_SCRIPT)?;
    let verdict = compare(&script, &pkg.join("instatok.js"), bg, &optimized);
    let _ = fs::remove_file(&script);
    if let Err(why) = verdict {
        let _ = fs::remove_file(&optimized);
        println!("wasm-opt output rejected, keeping the unoptimised module: {why:#}");
        return Ok(());
    }
    let raw_before = fs::metadata(bg)?.len();
    fs::rename(&optimized, bg)?;
    let raw_after = fs::metadata(bg)?.len();
    println!(
        "wasm-opt -Oz {}: {} -> {} ({:.0}%)",
        bg.file_name().unwrap_or_default().to_string_lossy(),
        human(raw_before),
        human(raw_after),
        100.0 * raw_after as f64 / raw_before as f64
    );
    Ok(())
}

/// Checks in Node that `optimized` compiles, exports what `original` does, and instantiates
/// with the glue whenever `original` does; the error says why not.
fn compare(script: &Path, glue: &Path, original: &Path, optimized: &Path) -> Result<()> {
    let check = |wasm: &Path| -> Result<String> {
        let out = cmd("node").arg(script).arg(glue).arg(wasm).output()?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let why = stderr
                .lines()
                .find(|l| l.contains("Error"))
                .unwrap_or("node failed");
            bail!("{}: {}", wasm.display(), why.trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let exports = |report: &str| {
        report
            .lines()
            .find(|l| l.starts_with("exports:"))
            .map(str::to_owned)
    };
    let instantiated = |report: &str| report.lines().any(|l| l == "instantiated");
    let last_line = |report: &str| report.lines().last().unwrap_or_default().to_owned();

    let before = check(original)?;
    let after = check(optimized)?;
    if exports(&before) != exports(&after) {
        bail!("its exports changed");
    }
    match (instantiated(&before), instantiated(&after)) {
        (true, false) => bail!("{}", last_line(&after)),
        (false, _) => println!(
            "note: the module does not instantiate in Node even unoptimised ({}); \
             checked that the optimised one compiles with the same exports",
            last_line(&before)
        ),
        (true, true) => println!("optimised module compiles, instantiates, same exports"),
    }
    Ok(())
}

/// Copies a directory tree.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)
                .with_context(|| format!("copying {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// One file of the built site and its sizes.
pub struct FileSize {
    /// Path relative to `dist/`, with `/` separators.
    pub path: String,
    /// Bytes on disk.
    pub raw: u64,
    /// Bytes after gzip at the default level, as a static host would serve it.
    pub gzip: u64,
}

/// Every file under `dir`, sorted by path, with raw and gzip sizes.
pub fn sizes(dir: &Path) -> Result<Vec<FileSize>> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<FileSize>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(base, &path, out)?;
            continue;
        }
        let bytes = fs::read(&path)?;
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(&bytes)?;
        let rel = path.strip_prefix(base).unwrap_or(&path);
        out.push(FileSize {
            path: rel.to_string_lossy().replace('\\', "/"),
            raw: bytes.len() as u64,
            gzip: gz.finish()?.len() as u64,
        });
    }
    Ok(())
}

/// Prints a table of the raw and gzip size of each file in `dir`.
pub fn print_sizes(dir: &Path) -> Result<()> {
    let files = sizes(dir)?;
    println!("{:<40} {:>10} {:>10}", "file", "raw", "gzip");
    for f in &files {
        println!("{:<40} {:>10} {:>10}", f.path, human(f.raw), human(f.gzip));
    }
    let (raw, gzip) = files
        .iter()
        .fold((0, 0), |(r, g), f| (r + f.raw, g + f.gzip));
    println!("{:<40} {:>10} {:>10}", "total", human(raw), human(gzip));
    Ok(())
}

/// Bytes as `12.3 KB` (1 KB = 1000 bytes, as size budgets are usually stated).
pub fn human(bytes: u64) -> String {
    if bytes < 1000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} KB", bytes as f64 / 1e3)
    } else {
        format!("{:.2} MB", bytes as f64 / 1e6)
    }
}
