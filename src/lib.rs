//! InstaTok Playground: the short-video recommender of the blog post "InstaTok" as a plain,
//! deterministic Rust library: a world simulator (`sim`), an item-item collaborative filter
//! (`cf`), the session environment (`env`), a deep-Q-learning agent (`agent`), baseline
//! policies (`policy`) and experiments (`experiment`). The browser front end lives in `web`,
//! the only module that touches wasm-bindgen; the CLI is `src/main.rs`.

pub mod agent;
pub mod budget;
pub mod build;
pub mod cf;
pub mod config;
pub mod divergence;
pub mod env;
pub mod error;
pub mod experiment;
pub mod explain;
pub mod export;
pub mod interests;
pub mod policy;
pub mod profile;
pub mod rng;
pub mod schema;
pub mod sim;
pub mod stats;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use config::{Config, Preset};
pub use error::{Error, Result};
