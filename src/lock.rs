//! The apply lock: `.hrform/apply.lock` under the configuration directory,
//! created with `create_new` and holding who took it (pid, host, time), held
//! for the whole apply (plan, writes and read-backs) and removed when it
//! ends. Two applies of one configuration directory on one machine (or on
//! machines sharing the directory) cannot run at once.
//!
//! A lock is stale, and taken over with a note, when its pid is not alive
//! on this host (the apply was killed), or when it is older than
//! [`STALE_AFTER`]; otherwise apply refuses, naming who holds it and since
//! when. A lock that cannot be read is never taken over: delete it by hand.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A lock older than this is stale whoever holds it: no apply takes hours.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(6 * 60 * 60);

/// What the lock file says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Holder {
    pub pid: u32,
    pub host: String,
    /// RFC 3339.
    pub since: String,
    pub hrform: String,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    #[error(
        "another apply holds the lock {}: pid {} on {} since {}; wait for it to finish (if that process is gone, delete the file)",
        path.display(), holder.pid, holder.host, holder.since
    )]
    Held { path: PathBuf, holder: Holder },
    #[error(
        "the lock {} exists but cannot be read ({why}); if no apply is running, delete it",
        path.display()
    )]
    Unreadable { path: PathBuf, why: String },
    #[error("cannot create the lock {}: {why}", path.display())]
    Io { path: PathBuf, why: String },
}

/// A held lock; dropping it removes the file.
#[derive(Debug)]
pub(crate) struct ApplyLock {
    path: PathBuf,
    /// The stale lock this one replaced, if any (for a note).
    pub replaced: Option<Holder>,
}

impl ApplyLock {
    /// Take the lock of the configuration directory `dir`.
    pub(crate) fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(".hrform").join("apply.lock");
        let io = |e: std::io::Error| LockError::Io {
            path: path.clone(),
            why: e.to_string(),
        };
        crate::private_file::state_dir(dir).map_err(io)?;
        let me = Holder {
            pid: std::process::id(),
            host: host(),
            since: jiff::Timestamp::now().to_string(),
            hrform: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let mut replaced = None;
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    let text = serde_json::to_string(&me).map_err(|e| LockError::Io {
                        path: path.clone(),
                        why: e.to_string(),
                    })?;
                    file.write_all(text.as_bytes()).map_err(io)?;
                    return Ok(Self { path, replaced });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = read(&path)?;
                    if !is_stale(&holder, &me.host) {
                        return Err(LockError::Held { path, holder });
                    }
                    std::fs::remove_file(&path).map_err(io)?;
                    replaced = Some(holder);
                }
                Err(e) => return Err(io(e)),
            }
        }
        // Another process took it between the removal and the creation.
        let holder = read(&path)?;
        Err(LockError::Held { path, holder })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn read(path: &Path) -> Result<Holder, LockError> {
    let unreadable = |why: String| LockError::Unreadable {
        path: path.to_owned(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))
}

/// Stale: older than [`STALE_AFTER`], or taken on this host by a process
/// that is no longer alive.
fn is_stale(holder: &Holder, this_host: &str) -> bool {
    let old = holder
        .since
        .parse::<jiff::Timestamp>()
        .ok()
        .and_then(|t| {
            let age = jiff::Timestamp::now().duration_since(t);
            Duration::try_from(age).ok()
        })
        .is_some_and(|age| age > STALE_AFTER);
    old || (holder.host == this_host && !alive(holder.pid))
}

/// Whether process `pid` exists (Linux: `/proc/PID`; elsewhere assume it
/// does, so only the age makes such a lock stale).
fn alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// This machine's name.
fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".to_owned())
}
