//! A staged builder of the environment, driven in chunks, so a caller (the page's Web Worker)
//! can build a `large` world without one long task and show progress while it builds.

use serde::Serialize;

use crate::cf::{CollaborativeFilter, TopKFilter};
use crate::config::Config;
use crate::env::Environment;
use crate::error::Result;
use crate::rng::CoreRng;
use crate::sim::history::{extend_history, HistoryRow};
use crate::sim::world::World;

/// What the builder is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BuildStage {
    /// Drawing videos and users.
    World,
    /// Drawing the historical log, user by user.
    History,
    /// Aggregating the log into the item x user matrix (the exact filter: all of its build).
    Matrix,
    /// Computing each video's top-K neighbours, video by video.
    Index,
    /// Finished: call `finish`.
    Done,
}

/// Progress after a call to `advance`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BuildProgress {
    /// The stage the next call works on.
    pub stage: BuildStage,
    /// Units done in that stage (users for `history`, videos for `index`).
    pub done: usize,
    /// Units in that stage.
    pub total: usize,
    /// Overall share done, in [0, 1] (stages weighted by their measured cost).
    pub fraction: f64,
}

/// Builds exactly what `Environment::new` builds, in steps of bounded work.
///
/// ```
/// # use instatok::{build::EnvBuilder, Config};
/// let mut b = EnvBuilder::new(&Config::default_preset()).unwrap();
/// while !b.advance(500).is_done() {}
/// let env = b.finish();
/// # assert_eq!(env.world().videos.len(), 3000);
/// ```
#[derive(Debug)]
pub struct EnvBuilder {
    cfg: Config,
    rng: CoreRng,
    stage: BuildStage,
    world: Option<World>,
    history: Vec<HistoryRow>,
    next: usize,
    cf: Option<CollaborativeFilter>,
}

impl BuildProgress {
    /// Whether the environment is ready for `finish`.
    pub fn is_done(&self) -> bool {
        self.stage == BuildStage::Done
    }
}

impl EnvBuilder {
    /// Validate the configuration and prepare the build (no work yet).
    pub fn new(cfg: &Config) -> Result<Self> {
        cfg.validate()?;
        Ok(EnvBuilder {
            cfg: cfg.clone(),
            rng: crate::rng::stream(cfg.seed, crate::env::STREAM_WORLD),
            stage: BuildStage::World,
            world: None,
            history: Vec::new(),
            next: 0,
            cf: None,
        })
    }

    /// Do at most about `units` units of work (a user's history or a video's neighbour list
    /// each; drawing the world and aggregating the matrix are one step each) and report
    /// progress. About 2,000 units take a few milliseconds natively at any world size.
    pub fn advance(&mut self, units: usize) -> BuildProgress {
        let units = units.max(1);
        match self.stage {
            BuildStage::World => {
                self.world = Some(World::generate(&self.cfg.world, &mut self.rng));
                self.stage = BuildStage::History;
            }
            BuildStage::History => {
                let world = self.world.as_mut().expect("world drawn");
                let end = (self.next + units).min(world.users.len());
                extend_history(
                    world,
                    &self.cfg,
                    self.next..end,
                    &mut self.rng,
                    &mut self.history,
                );
                self.next = end;
                if end == world.users.len() {
                    self.next = 0;
                    self.stage = BuildStage::Matrix;
                }
            }
            BuildStage::Matrix => {
                let world = self.world.as_ref().expect("world drawn");
                let log = crate::env::score_log(&self.cfg, &self.history);
                let (n_items, n_users) = (world.videos.len(), world.users.len());
                self.cf = Some(match self.cfg.cf.top_k {
                    Some(k) => {
                        self.stage = BuildStage::Index;
                        CollaborativeFilter::TopK(TopKFilter::unindexed(
                            n_items,
                            n_users,
                            &log,
                            k,
                            self.cfg.cf.history_window,
                        ))
                    }
                    None => {
                        self.stage = BuildStage::Done;
                        CollaborativeFilter::build(&self.cfg.cf, n_items, n_users, &log)
                    }
                });
            }
            BuildStage::Index => {
                if let Some(CollaborativeFilter::TopK(f)) = self.cf.as_mut() {
                    let end = (self.next + units).min(f.n_items());
                    f.rebuild_lists(self.next, end);
                    self.next = end;
                    if end == f.n_items() {
                        self.stage = BuildStage::Done;
                    }
                } else {
                    self.stage = BuildStage::Done;
                }
            }
            BuildStage::Done => {}
        }
        self.progress()
    }

    /// Progress so far.
    pub fn progress(&self) -> BuildProgress {
        let w = &self.cfg.world;
        let (done, total) = match self.stage {
            BuildStage::World | BuildStage::Matrix | BuildStage::Done => (0, 1),
            BuildStage::History => (self.next, w.n_users),
            BuildStage::Index => (self.next, w.n_videos),
        };
        // Shares of the build measured at `large`: world 2%, history 38%, matrix 15%,
        // index 45%.
        let part = done as f64 / total.max(1) as f64;
        let fraction = match self.stage {
            BuildStage::World => 0.0,
            BuildStage::History => 0.02 + 0.38 * part,
            BuildStage::Matrix => 0.40,
            BuildStage::Index => 0.55 + 0.45 * part,
            BuildStage::Done => 1.0,
        };
        BuildProgress {
            stage: self.stage,
            done,
            total,
            fraction,
        }
    }

    /// Complete any remaining work and assemble the environment.
    pub fn finish(mut self) -> Environment {
        while !self.advance(usize::MAX / 2).is_done() {}
        let world = self.world.take().expect("world drawn");
        let cf = self.cf.take().expect("filter built");
        Environment::from_parts(&self.cfg, world, &self.history, cf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Preset;
    use crate::profile::NoProfiler;

    #[test]
    fn chunks_build_what_new_builds() {
        for preset in [Preset::Seed, Preset::Default] {
            let mut cfg = Config::preset(preset);
            cfg.world.n_videos = 400;
            cfg.world.n_users = 40;
            let mut b = EnvBuilder::new(&cfg).unwrap();
            let mut last = -1.0;
            let mut calls = 0;
            loop {
                let p = b.advance(7);
                assert!(p.fraction >= last && p.fraction <= 1.0, "{p:?}");
                last = p.fraction;
                calls += 1;
                if p.is_done() {
                    break;
                }
            }
            // 40 users in chunks of 7 is 6 calls, plus the world and the matrix.
            assert!(calls >= 8, "{calls} calls: the work was not split");
            let mut chunked = b.finish();
            let mut whole = Environment::new(&cfg).unwrap();
            assert_eq!(chunked.world(), whole.world());
            assert_eq!(chunked.cf().n_recorded(), whole.cf().n_recorded());
            let mut rng_a = crate::rng::stream(5, 5);
            let mut rng_b = crate::rng::stream(5, 5);
            for user in 0..40 {
                assert_eq!(chunked.reset(user).unwrap(), whole.reset(user).unwrap());
                let a = chunked.step(1, &mut rng_a, &mut NoProfiler).unwrap();
                let b = whole.step(1, &mut rng_b, &mut NoProfiler).unwrap();
                assert_eq!((a.video, a.reward), (b.video, b.reward));
                assert_eq!(a.next_obs, b.next_obs);
            }
        }
    }

    #[test]
    fn an_invalid_config_is_refused() {
        let mut cfg = Config::default_preset();
        cfg.cf.top_k = Some(0);
        assert!(EnvBuilder::new(&cfg).is_err());
    }
}
