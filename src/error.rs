//! The crate's error type and its mapping to exit codes (0 ok, 1 runtime, 2 invalid input).

use std::path::PathBuf;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario (or a value derived from it) is invalid; the text is the rendered
    /// diagnostics report. Exit code 2.
    #[error("{0}")]
    Invalid(String),
    /// The command line is wrong (bad flag value, unknown variant). Exit code 2.
    #[error("{0}")]
    Usage(String),
    /// Reading or writing a file failed. Exit code 1.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Anything else that went wrong at run time. Exit code 1.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// Process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Usage(_) => 2,
            Error::Io { .. } | Error::Runtime(_) => 1,
        }
    }

    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
