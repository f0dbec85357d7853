//! Import errors and warnings, with the file name and 1-based line they refer to.
//!
//! Every message renders as one readable line (`HD650.csv:14: expected a number in column 2
//! ("raw"), found "abc"`), so the CLI and the GUI can show it as it is.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a file could not be imported.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {kind}", line_suffix(*.line))]
pub struct ImportError {
    /// The file name as the user knows it (last path component, or the name given to
    /// [`super::import_bytes`]).
    pub file: String,
    /// The 1-based line the problem was found on, when it is about one line.
    pub line: Option<usize>,
    /// What went wrong.
    pub kind: ImportErrorKind,
}

/// The kinds of import failure, for callers that react differently to them.
#[derive(Debug, thiserror::Error)]
pub enum ImportErrorKind {
    /// The file could not be opened or read.
    #[error("cannot read the file: {0}")]
    Io(#[source] std::io::Error),
    /// The file exceeds [`super::MAX_FILE_BYTES`]; nothing beyond the limit was read.
    #[error(
        "the file is larger than {limit_mb} MB; measurement and EQ files are much smaller, \
         is this the right file?"
    )]
    TooLarge {
        /// The limit in megabytes (10^6 bytes).
        limit_mb: u64,
    },
    /// The file has no content besides whitespace or comments.
    #[error("the file is empty")]
    Empty,
    /// The bytes are not text (NUL bytes or many control characters).
    #[error("this is not a text file (it contains binary data)")]
    Binary,
    /// Text, but none of the supported formats.
    #[error(
        "not a recognised format: expected a frequency-response table (AutoEq CSV, REW or \
         squig.link text) or an Equalizer APO config (Preamp/Filter/GraphicEQ lines)"
    )]
    UnknownFormat,
    /// The format was recognised but its content is invalid; the message says what was
    /// expected and what was found.
    #[error("{0}")]
    Invalid(String),
}

fn line_suffix(line: Option<usize>) -> String {
    match line {
        Some(n) => format!(":{n}"),
        None => String::new(),
    }
}

impl ImportError {
    /// An error about the whole file.
    pub(crate) fn file(file: &str, kind: ImportErrorKind) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            kind,
        }
    }

    /// An [`ImportErrorKind::Invalid`] error at a 1-based line.
    pub(crate) fn at(file: &str, line: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: Some(line),
            kind: ImportErrorKind::Invalid(message.into()),
        }
    }

    /// An [`ImportErrorKind::Invalid`] error about the whole file.
    pub(crate) fn invalid(file: &str, message: impl Into<String>) -> Self {
        Self::file(file, ImportErrorKind::Invalid(message.into()))
    }
}

/// Something the importer fixed or ignored, which the user may want to know about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportWarning {
    /// The 1-based line it refers to, if any.
    pub line: Option<usize>,
    /// What was fixed or ignored.
    pub message: String,
}

impl ImportWarning {
    /// A warning about one line.
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        Self {
            line: Some(line),
            message: message.into(),
        }
    }

    /// A warning about the whole file.
    pub(crate) fn general(message: impl Into<String>) -> Self {
        Self {
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(n) => write!(f, "line {n}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Shortens a token for an error message, so a megabyte of garbage on one line does not end
/// up in a dialog box.
pub(crate) fn excerpt(token: &str) -> String {
    const MAX_CHARS: usize = 32;
    let mut out: String = token
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if token.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_with_file_and_line() {
        let e = ImportError::at(
            "HD650.csv",
            14,
            "expected a number in column 2 (\"raw\"), found \"abc\"",
        );
        assert_eq!(
            e.to_string(),
            "HD650.csv:14: expected a number in column 2 (\"raw\"), found \"abc\""
        );
        let e = ImportError::file("x.txt", ImportErrorKind::Empty);
        assert_eq!(e.to_string(), "x.txt: the file is empty");
        assert!(!e.to_string().contains('\n'));
    }

    #[test]
    fn excerpt_truncates_and_hides_control_characters() {
        assert_eq!(excerpt("abc"), "abc");
        assert_eq!(excerpt("a\u{7}b"), "a\u{FFFD}b");
        let long = "x".repeat(100);
        assert_eq!(excerpt(&long).chars().count(), 33);
    }
}
