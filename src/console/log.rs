//! The session log: an append-only JSON Lines record of a played exercise. The first line
//! names the scenario (path and hash), the seed and the run; every later line is one action,
//! note, expected-action mark or clock position, with the scenario time, the tick it applies
//! from, the wall time and who made it. Replaying the actions in order on the same scenario
//! and seed reproduces the played run exactly.

use crate::error::{Error, Result};
use crate::sim::Action;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The first line of a session log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Scenario file as given to `serve`.
    pub scenario: PathBuf,
    /// Hash of the validated scenario (as in `outcome.json`).
    pub scenario_hash: String,
    /// Master seed.
    pub seed: u64,
    /// Run index.
    pub run_index: u64,
    /// Variant applied, if any.
    #[serde(default)]
    pub variant: Option<String>,
    /// tabletop version that wrote the log.
    pub version: String,
    /// Wall time the session started [ms since the Unix epoch].
    pub wall_ms: u64,
}

/// One later line of a session log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// An action on the run (facilitator or team).
    Action {
        /// Tick it applies from (applied before this tick runs).
        tick: u64,
        /// Scenario time [h].
        sim_h: f64,
        /// Wall time [ms since the Unix epoch].
        wall_ms: u64,
        /// `facilitator` or `team:<agency id>`.
        who: String,
        /// The action.
        action: Action,
    },
    /// An observer note, tied to objectives.
    Note {
        /// Tick it was written at.
        tick: u64,
        /// Scenario time [h].
        sim_h: f64,
        /// Wall time [ms since the Unix epoch].
        wall_ms: u64,
        /// Who wrote it.
        who: String,
        /// Objective ids it is about.
        #[serde(default)]
        objectives: Vec<String>,
        /// The note.
        text: String,
    },
    /// The facilitator marks whether the players took an inject's expected action.
    Mark {
        /// Tick.
        tick: u64,
        /// Scenario time [h].
        sim_h: f64,
        /// Wall time [ms since the Unix epoch].
        wall_ms: u64,
        /// Who marked it.
        who: String,
        /// Inject id.
        inject: String,
        /// Whether the players took the expected action.
        taken: bool,
    },
    /// Where the clock stood (written on pause, so that a resumed session starts there).
    Clock {
        /// Next tick to run.
        tick: u64,
        /// Wall time [ms since the Unix epoch].
        wall_ms: u64,
    },
    /// A fork-and-forecast asked at a pause (kept for the after-action report).
    Forecast {
        /// Tick it was asked at.
        tick: u64,
        /// Wall time [ms since the Unix epoch].
        wall_ms: u64,
        /// Who asked.
        who: String,
        /// Continuations per candidate.
        runs: u64,
        /// Candidate label → share of continuations meeting each objective (by catalog order;
        /// null where no continuation applies).
        shares: Vec<(String, Vec<Option<f64>>)>,
    },
}

impl Entry {
    /// The tick an entry belongs to.
    pub fn tick(&self) -> u64 {
        match self {
            Entry::Action { tick, .. }
            | Entry::Note { tick, .. }
            | Entry::Mark { tick, .. }
            | Entry::Clock { tick, .. }
            | Entry::Forecast { tick, .. } => *tick,
        }
    }
}

/// Wall time now [ms since the Unix epoch].
pub fn wall_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A session log read back.
#[derive(Debug, Clone)]
pub struct Session {
    /// The header.
    pub header: Header,
    /// Every later entry, in order.
    pub entries: Vec<Entry>,
}

impl Session {
    /// The actions with their ticks, in order.
    pub fn actions(&self) -> Vec<(u64, Action)> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Action { tick, action, .. } => Some((*tick, action.clone())),
                _ => None,
            })
            .collect()
    }

    /// The last tick any entry names (where a resumed session's clock starts).
    pub fn last_tick(&self) -> u64 {
        self.entries.iter().map(Entry::tick).max().unwrap_or(0)
    }
}

/// Read a session log (a torn last line, from a crash mid-write, is ignored).
pub fn read(path: &Path) -> Result<Session> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let bad = |n: usize, e: serde_json::Error| Error::Usage {
        flag: format!("{}:{}", path.display(), n + 1),
        message: format!("not a session log line: {e}"),
    };
    let (n, first) = lines.next().ok_or_else(|| Error::Usage {
        flag: path.display().to_string(),
        message: "empty session log".into(),
    })?;
    let header: Header = serde_json::from_str(first).map_err(|e| bad(n, e))?;
    let rest: Vec<(usize, &str)> = lines.collect();
    let mut entries = Vec::with_capacity(rest.len());
    for (j, (n, l)) in rest.iter().enumerate() {
        match serde_json::from_str::<Entry>(l) {
            Ok(e) => entries.push(e),
            // Only the very last line may be torn (unterminated) by a crash.
            Err(_) if j + 1 == rest.len() && !text.ends_with('\n') => {}
            Err(e) => return Err(bad(*n, e)),
        }
    }
    Ok(Session { header, entries })
}

/// An open session log, appended to line by line (each line flushed and synced).
#[derive(Debug)]
pub struct Writer {
    file: std::fs::File,
    path: PathBuf,
}

impl Writer {
    /// Create a new log with its header (fails if the file exists).
    pub fn create(path: &Path, header: &Header) -> Result<Writer> {
        let file = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut w = Writer {
            file,
            path: path.to_path_buf(),
        };
        w.line(&serde_json::to_string(header).expect("header serialises"))?;
        Ok(w)
    }

    /// Open an existing log to append to (for `--resume`); a torn last line left by a crash
    /// is cut off first.
    pub fn append(path: &Path) -> Result<Writer> {
        let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        if !text.is_empty() && !text.ends_with(b"\n") {
            let keep = text.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .and_then(|f| f.set_len(keep as u64))
                .map_err(|e| Error::io(path, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        Ok(Writer {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Append one entry.
    pub fn push(&mut self, e: &Entry) -> Result<()> {
        self.line(&serde_json::to_string(e).expect("entry serialises"))
    }

    fn line(&mut self, s: &str) -> Result<()> {
        let p = &self.path;
        self.file
            .write_all(format!("{s}\n").as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io(p, e))
    }
}
