//! The item-item collaborative filter of the post: an item x user score matrix, cosine
//! similarity between items, candidate generation (`get_recom`) and the business-weighted
//! score (`gen_scores`). Interactions update it incrementally. Two filters: the exact one
//! (every pair's dot product; a test proves it equals a rebuild from scratch, which the
//! notebook does at every step) and a top-K neighbour index over a window of recent
//! interactions, whose cost per step stays flat (a test proves it equals a brute-force top-K).

pub mod candidates;
pub mod explain;
pub mod filter;
pub mod neighbours;
pub mod similarity;

pub use candidates::{business_score, Candidate};
pub use filter::CollaborativeFilter;
pub use neighbours::TopKFilter;
pub use similarity::{gram_from_log, ExactFilter};
