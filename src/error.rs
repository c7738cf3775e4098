//! Errors of the core: invalid configuration or input, always naming the field at fault.

use thiserror::Error;

/// A value a user supplied (config field, CLI flag, URL parameter, file) that is not allowed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// A field is outside its allowed range or otherwise invalid.
    #[error("{field}: {reason}")]
    InvalidField {
        /// Dotted path of the field, e.g. `agent.gamma`.
        field: String,
        /// What is allowed, and what was given.
        reason: String,
    },
    /// An action that does not fit the current state (e.g. responding with no open session).
    #[error("{0}")]
    State(String),
}

impl Error {
    /// An invalid field.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;
