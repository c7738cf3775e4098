//! The `instatok` command line: train the DQN and compare it with the baselines, print a
//! configuration, or run the benchmark. Shares the library core with the browser playground.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(cli::run());
}

#[cfg(target_arch = "wasm32")]
fn main() {}
