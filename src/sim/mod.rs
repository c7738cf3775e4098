//! The simulated world of the notebook: videos, users, their historical interactions, and the
//! model of how a user responds to a video.

pub mod behaviour;
pub mod history;
pub mod world;

pub use behaviour::{Action, ResponseModel};
pub use history::{generate_history, HistoryRow};
pub use world::{Category, Gender, Region, User, Video, World};
