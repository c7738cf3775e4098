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
    /// The field name and the reason are cut to [`MAX_MESSAGE`] characters, so a hostile value
    /// echoed in either cannot flood a terminal or a page.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidField {
            field: shorten(&field.into(), MAX_SHOWN),
            reason: shorten(&reason.into(), MAX_MESSAGE),
        }
    }
}

/// Longest value echoed whole in a message; longer ones show their first characters and `…`.
pub const MAX_SHOWN: usize = 80;

/// Longest reason kept in an [`Error::InvalidField`].
pub const MAX_MESSAGE: usize = 240;

/// `s` as it may appear in a message: whole up to [`MAX_SHOWN`] characters, else its first
/// characters, `…` and the full length.
pub fn shown(s: &str) -> String {
    shorten(s, MAX_SHOWN)
}

/// `s` cut to at most `max` characters (on a character boundary) plus `… (N chars)`.
pub fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((cut, _)) => format!("{}… ({} chars)", &s[..cut], s.chars().count()),
    }
}

/// Result alias for the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_a_character_boundary() {
        assert_eq!(shown("short"), "short");
        let long = "é".repeat(12_000);
        let s = shown(&long);
        assert!(
            s.starts_with(&"é".repeat(MAX_SHOWN)) && s.ends_with("… (12000 chars)"),
            "{s}"
        );
        let e = Error::field("x", "y".repeat(100_000)).to_string();
        assert!(e.chars().count() < MAX_MESSAGE + 30, "{}", e.len());
    }
}
