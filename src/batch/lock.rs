//! A lock on an output directory: `tabletop.lock`, holding the writer's host, process id and
//! start time, created atomically (`create_new`) before anything is written and removed when
//! the writer finishes. A second writer is refused with exit code 2 and told who holds the
//! directory; a lock left by a process that died on this host is taken over, and one from
//! another host is explained (delete it once that writer is known to be gone).

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The lock file's name inside the output directory.
pub const LOCK_FILE: &str = super::runner::LOCK_FILE;

/// Directories this process holds, so that a command locking a directory and then calling a
/// function that locks it again (a ledger's batch) does not refuse itself.
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// A held lock; dropping it removes the lock file (unless an outer guard of this process
/// holds the same directory).
#[derive(Debug)]
pub struct DirLock {
    path: PathBuf,
    key: PathBuf,
    outer: bool,
}

/// Who wrote a lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Holder {
    host: String,
    pid: u32,
    started: String,
    /// `$TABLETOP_LOCK_OWNER`: the scheduler's name for the task (Slurm array job and task,
    /// Kubernetes Job uid and index), so that a requeued or retried task, on any node,
    /// takes over the lock its failed attempt left.
    owner: String,
}

impl Holder {
    fn me() -> Holder {
        Holder {
            host: host_name(),
            pid: std::process::id(),
            started: super::runner::rfc3339_now(),
            owner: std::env::var("TABLETOP_LOCK_OWNER").unwrap_or_default(),
        }
    }

    fn render(&self) -> String {
        format!(
            "host={}\npid={}\nstarted={}\nowner={}\ntool=tabletop {}\n",
            self.host,
            self.pid,
            self.started,
            self.owner,
            env!("CARGO_PKG_VERSION")
        )
    }

    fn parse(text: &str) -> Option<Holder> {
        let mut host = None;
        let mut pid = None;
        let mut started = String::new();
        let mut owner = String::new();
        for line in text.lines() {
            match line.split_once('=') {
                Some(("host", v)) => host = Some(v.to_string()),
                Some(("pid", v)) => pid = v.trim().parse().ok(),
                Some(("started", v)) => started = v.to_string(),
                Some(("owner", v)) => owner = v.to_string(),
                _ => {}
            }
        }
        Some(Holder {
            host: host?,
            pid: pid?,
            started,
            owner,
        })
    }
}

/// This machine's name: `/proc/sys/kernel/hostname`, `$HOSTNAME`, or "unknown-host".
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether process `pid` is known to be gone on this host (only decidable where `/proc`
/// exists; elsewhere a lock is never assumed stale).
fn surely_dead(pid: u32) -> bool {
    Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

impl DirLock {
    /// Lock `dir` (created if absent) for writing, or fail with exit code 2 naming the
    /// holder. `flag` names the option that chose the directory, for the message.
    pub fn acquire(dir: &Path, flag: &str) -> Result<DirLock> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let key = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        let path = dir.join(LOCK_FILE);
        {
            let held = HELD.lock().unwrap_or_else(|e| e.into_inner());
            if held.contains(&key) {
                return Ok(DirLock {
                    path,
                    key,
                    outer: true,
                });
            }
        }
        let me = Holder::me();
        // Two attempts: the second after removing a lock whose process died on this host.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    f.write_all(me.render().as_bytes())
                        .and_then(|_| f.sync_all())
                        .map_err(|e| Error::io(&path, e))?;
                    HELD.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(key.clone());
                    return Ok(DirLock {
                        path,
                        key,
                        outer: false,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match Holder::parse(&text) {
                        Some(h) if h.host == me.host && h.pid != me.pid && surely_dead(h.pid) => {
                            // Stale: its writer died on this machine. Take it over.
                            let _ = std::fs::remove_file(&path);
                        }
                        Some(h)
                            if !h.owner.is_empty()
                                && h.owner == me.owner
                                && (h.host != me.host || h.pid != me.pid) =>
                        {
                            // The same scheduler task, requeued or retried: its earlier
                            // attempt is gone (the scheduler runs one attempt at a time).
                            let _ = std::fs::remove_file(&path);
                        }
                        h => return Err(refused(dir, flag, &path, h.as_ref(), &me)),
                    }
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        Err(refused(dir, flag, &path, None, &me))
    }
}

fn refused(dir: &Path, flag: &str, path: &Path, h: Option<&Holder>, me: &Holder) -> Error {
    let who = match h {
        Some(h) => format!(
            "process {} on host {} (started {})",
            h.pid,
            h.host,
            if h.started.is_empty() {
                "at an unknown time"
            } else {
                &h.started
            }
        ),
        None => "an unknown writer (the lock file is unreadable)".into(),
    };
    let advice = match h {
        Some(h) if h.host == me.host => format!(
            "wait for it to finish, or choose another directory; if process {} is not a \
             tabletop process any more, delete {}",
            h.pid,
            path.display()
        ),
        _ => format!(
            "wait for it to finish, or choose another directory; if that writer is known to \
             have stopped (its job ended or its machine rebooted), delete {}",
            path.display()
        ),
    };
    Error::usage(
        format!("{flag} {}", dir.display()),
        format!(
            "the directory is in use by another tabletop: {who}. Two writers would mix their files: {advice}"
        ),
    )
}

impl Drop for DirLock {
    fn drop(&mut self) {
        if self.outer {
            return;
        }
        let _ = std::fs::remove_file(&self.path);
        let mut held = HELD.lock().unwrap_or_else(|e| e.into_inner());
        held.retain(|k| k != &self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_and_the_lock_is_released_on_drop() {
        let d = tempfile::tempdir().unwrap();
        let foreign = Holder {
            host: "other-node-17".into(),
            pid: 4242,
            started: "2026-01-01T00:00:00Z".into(),
            owner: "slurm:77_0".into(),
        };
        std::fs::write(d.path().join(LOCK_FILE), foreign.render()).unwrap();
        let e = DirLock::acquire(d.path(), "--out").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(
            msg.contains("other-node-17") && msg.contains("4242"),
            "{msg}"
        );
        assert!(msg.contains("delete"), "{msg}");
        std::fs::remove_file(d.path().join(LOCK_FILE)).unwrap();

        let g = DirLock::acquire(d.path(), "--out").unwrap();
        let text = std::fs::read_to_string(d.path().join(LOCK_FILE)).unwrap();
        let h = Holder::parse(&text).unwrap();
        assert_eq!(h.pid, std::process::id());
        assert_eq!(h.host, host_name());
        // Re-entrant in one process (the outer guard keeps the file).
        drop(DirLock::acquire(d.path(), "--out").unwrap());
        assert!(d.path().join(LOCK_FILE).exists());
        drop(g);
        assert!(!d.path().join(LOCK_FILE).exists());
    }

    #[test]
    fn a_lock_left_by_a_dead_process_on_this_host_is_taken_over() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        let d = tempfile::tempdir().unwrap();
        // Pid far above any pid_max in use: surely not running.
        let dead = Holder {
            host: host_name(),
            pid: 4_000_000_000,
            started: String::new(),
            owner: String::new(),
        };
        std::fs::write(d.path().join(LOCK_FILE), dead.render()).unwrap();
        let g = DirLock::acquire(d.path(), "--out").unwrap();
        drop(g);
        assert!(!d.path().join(LOCK_FILE).exists());
    }
}
