//! Loader errors that say where (file, line, column) and what (expected vs found).

use std::fmt;
use std::path::PathBuf;

pub type Result<T> = std::result::Result<T, DataError>;

/// Where in a source a problem was found. Lines and columns are 1-based, as editors show them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u64,
    /// 1-based column number and, when the source has a header, the column's name.
    pub column: Option<(usize, Option<String>)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        match &self.column {
            Some((n, Some(name))) => write!(f, ":{n} (column '{name}')"),
            Some((n, None)) => write!(f, ":{n}"),
            None => Ok(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// The I/O error is part of the message, not a `source`: error reports print the chain, and
    /// it would otherwise appear twice.
    #[error("{file}: {error}")]
    Io { file: String, error: std::io::Error },
    /// A value that does not parse as what the format requires.
    #[error("{at}: expected {expected}, found {found:?}")]
    Parse { at: Location, expected: String, found: String },
    /// A header that lacks a column the format needs.
    #[error("{file}:1: missing column '{column}' (header has: {header})")]
    MissingColumn { file: String, column: String, header: String },
    /// Input that parses but cannot be used (empty file, inconsistent lengths, ...).
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

impl DataError {
    pub fn io(file: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DataError::Io { file: file.into().display().to_string(), error: source }
    }

    pub fn parse(file: &str, line: u64, column: Option<(usize, Option<String>)>, expected: impl Into<String>, found: impl Into<String>) -> Self {
        DataError::Parse { at: Location { file: file.to_string(), line, column }, expected: expected.into(), found: found.into() }
    }

    pub fn invalid(file: &str, line: u64, message: impl Into<String>) -> Self {
        DataError::Invalid { at: Location { file: file.to_string(), line, column: None }, message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_line_column_expected_found() {
        let e = DataError::parse("log.csv", 7, Some((3, Some("correct".into()))), "0 or 1", "yes");
        assert_eq!(e.to_string(), "log.csv:7:3 (column 'correct'): expected 0 or 1, found \"yes\"");
        let e = DataError::parse("a.txt", 2, Some((5, None)), "an integer", "x");
        assert_eq!(e.to_string(), "a.txt:2:5: expected an integer, found \"x\"");
    }
}
