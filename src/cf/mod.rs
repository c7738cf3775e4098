//! The item-item collaborative filter of the post: an item x user score matrix, cosine
//! similarity between items, candidate generation (`get_recom`) and the business-weighted
//! score (`gen_scores`). Interactions update it incrementally; a test proves the result equals
//! a rebuild from scratch, which the notebook does at every step.

pub mod candidates;
pub mod explain;
pub mod similarity;

pub use candidates::{business_score, Candidate};
pub use similarity::{gram_from_log, CollaborativeFilter};
