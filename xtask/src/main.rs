//! `cargo xtask`: the developer tasks of InstaTok Playground (build, serve, test, bench).

mod bench;
mod dist;
mod serve;
mod test;
mod tools;

use anyhow::Result;
use clap::{Parser, Subcommand};

/// Developer tasks for InstaTok Playground. Run from anywhere in the repository.
#[derive(Parser)]
#[command(name = "cargo xtask", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the static site into dist/: wasm + JS glue, page, assets, vendored uPlot.
    Dist(dist::DistArgs),
    /// Build dist/ and serve it on 127.0.0.1.
    Serve(serve::ServeArgs),
    /// Run every test: native, wasm in headless Chromium, and the page's end-to-end tests.
    Test,
    /// Print native and in-browser benchmark figures and the bundle's gzip sizes.
    Bench {
        /// Also run the page at full speed for 190 s (episodes per second late vs early).
        #[arg(long)]
        long: bool,
        /// Also time scikit-learn and implicit on our `large` matrix, alternated with our
        /// index build (about a minute; needs `pip install -r bench/requirements.txt`).
        #[arg(long)]
        references: bool,
    },
    /// Long run: train many native steps (release build) and print memory and steps per
    /// second at the start and the end.
    Soak {
        /// Native environment steps.
        #[arg(long, default_value_t = 1_000_000)]
        steps: u64,
        /// Instead: the page in headless Chromium (tests/e2e/soak.mjs), 200,000 steps unless
        /// --steps says otherwise.
        #[arg(long)]
        browser: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let result: Result<()> = match cli.command {
        Command::Dist(args) => dist::run(&args).map(|_| ()),
        Command::Serve(args) => serve::run(&args),
        Command::Test => test::run(),
        Command::Bench { long, references } => bench::run(long, references),
        Command::Soak { steps, browser } => {
            if browser {
                bench::soak_browser(steps)
            } else {
                soak(steps)
            }
        }
    };
    if let Err(err) = result {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

/// `cargo xtask soak`: `instatok soak` in a release build on the checkout's own tree.
fn soak(steps: u64) -> Result<()> {
    tools::section(&format!("soak: {steps} native steps"));
    tools::run(tools::cargo().args([
        "run",
        "--release",
        "--bin",
        "instatok",
        "--",
        "soak",
        "--soak-steps",
        &steps.to_string(),
    ]))
}
