//! The crate's error type and its mapping to exit codes (0 ok, 1 runtime, 2 invalid input).
//!
//! Errors are data: an invalid scenario carries its [`Diagnostics`] (file, line, column,
//! source line, suggestion), a usage error names the flag to fix. They become text only where
//! they are printed (`main`), through `Display`.

use crate::scenario::diagnostics::Diagnostics;
use std::path::PathBuf;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The scenario (or a value derived from it) is invalid: every problem found, with its
    /// place in the file. Exit code 2.
    #[error("{0}")]
    Invalid(Diagnostics),
    /// The command line is wrong: `flag` is what the user must fix, as they wrote it
    /// (`--variant fastr`, `--out results/`), `message` says why. Exit code 2.
    #[error("{flag}: {message}")]
    Usage {
        /// The flag or argument at fault, with its value where that helps.
        flag: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A JSON file of a batch directory could not be understood. Exit code 2 (the directory
    /// given is not a batch this version can read).
    #[error("{}: not a valid batch file ({source}); was it written by this version of tabletop?", path.display())]
    BatchFile {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// Reading or writing a file failed. Exit code 1.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing CSV failed. Exit code 1.
    #[error("writing {what}: {source}")]
    Csv {
        /// The file being produced.
        what: String,
        /// The underlying error.
        source: csv::Error,
    },
    /// Anything else that went wrong at run time. Exit code 1.
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    /// Process exit code for this error: 2 for invalid usage or input, 1 for run-time failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Usage { .. } | Error::BatchFile { .. } => 2,
            Error::Io { .. } | Error::Csv { .. } | Error::Runtime(_) => 1,
        }
    }

    /// Wrap an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// A usage error at `flag` (as the user wrote it, e.g. `--shard 4/3`).
    pub(crate) fn usage(flag: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Usage {
            flag: flag.into(),
            message: message.into(),
        }
    }
}

/// Result with the crate's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
