//! The apply lock: an operating-system advisory lock (`flock`) on
//! `.hrform/apply.lock` under the configuration directory, held for the
//! whole apply (plan, writes and read-backs). Two applies of one
//! configuration directory on one machine cannot run at once.
//!
//! The lock exists only while a live process holds it: the kernel releases
//! it when the process ends, however it ends, so there is nothing stale to
//! take over. The file's contents (who holds it: pid, host, time) are
//! information for the message when the lock is held, read at most
//! [`MAX_INFO_BYTES`], shown escaped, and never a reason to refuse: a file
//! committed to the repository, naming a far-future holder, blocks nothing.
//!
//! The file is opened without following links (`O_NOFOLLOW`) and without
//! blocking (`O_NONBLOCK`), and must be a regular file: a committed
//! symlink (to `/dev/zero`, to a file outside the tree) or a FIFO there is
//! refused with an error naming it, never read, followed or replaced.
//! Its `.hrform` directory must not be a link either.
//!
//! The file is never removed (removing it would let a second process lock
//! a new file while a third still holds the old one); its contents are
//! cleared when the apply ends.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, Write as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How much of the lock file is read for the message.
pub(crate) const MAX_INFO_BYTES: u64 = 4096;

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
    /// `holder` is already escaped for one line.
    #[error(
        "another apply holds the lock {}: {holder}; wait for it to finish",
        crate::escape::text(&path.display().to_string())
    )]
    Held { path: PathBuf, holder: String },
    #[error(
        "the lock {} is not a regular file ({what}); hrform never follows or reads it: delete it, and git-ignore `.hrform/`",
        crate::escape::text(&path.display().to_string())
    )]
    NotAFile { path: PathBuf, what: &'static str },
    #[error("cannot take the lock {}: {why}", crate::escape::text(&path.display().to_string()))]
    Io { path: PathBuf, why: String },
}

/// A held lock; dropping it clears the file and releases the lock.
#[derive(Debug)]
pub(crate) struct ApplyLock {
    file: File,
}

impl ApplyLock {
    /// Take the lock of the configuration directory `dir`, or refuse at
    /// once if another process holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(".hrform").join("apply.lock");
        let io = |e: std::io::Error| LockError::Io {
            path: path.clone(),
            why: crate::escape::text(&e.to_string()).into_owned(),
        };
        crate::private_file::state_dir(dir).map_err(io)?;
        let opened = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
            .open(&path);
        let mut file = match opened {
            Ok(file) => file,
            Err(e) => {
                let meta = std::fs::symlink_metadata(&path);
                return Err(match meta {
                    Ok(m) if m.file_type().is_symlink() => LockError::NotAFile {
                        path,
                        what: "a symlink",
                    },
                    Ok(m) if !m.is_file() => LockError::NotAFile {
                        path,
                        what: "not a regular file",
                    },
                    _ => io(e),
                });
            }
        };
        if !file.metadata().map_err(io)?.is_file() {
            return Err(LockError::NotAFile {
                path,
                what: "not a regular file",
            });
        }
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let holder = describe(&read_info(&mut file));
                return Err(LockError::Held { path, holder });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let me = Holder {
            pid: std::process::id(),
            host: host(),
            since: jiff::Timestamp::now().to_string(),
            hrform: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let text = serde_json::to_string(&me).map_err(|e| io(std::io::Error::other(e)))?;
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(text.as_bytes()).map_err(io)?;
        Ok(Self { file })
    }
}

impl Drop for ApplyLock {
    fn drop(&mut self) {
        // The lock goes with the descriptor; the record goes first.
        let _ = self.file.set_len(0);
    }
}

/// The start of the lock file, at most [`MAX_INFO_BYTES`].
fn read_info(file: &mut File) -> Vec<u8> {
    let mut bytes = Vec::new();
    if file.rewind().is_ok() {
        let _ = file.take(MAX_INFO_BYTES).read_to_end(&mut bytes);
    }
    bytes
}

/// Who holds the lock, from what its file says, escaped for one line.
fn describe(bytes: &[u8]) -> String {
    use crate::escape::text as esc;
    match serde_json::from_slice::<Holder>(bytes) {
        Ok(h) => format!(
            "pid {} on {} since {} (hrform {})",
            h.pid,
            esc(&h.host),
            esc(&h.since),
            esc(&h.hrform)
        ),
        Err(_) if bytes.is_empty() => "its file names no holder".to_owned(),
        Err(_) => {
            let said: String = String::from_utf8_lossy(bytes).chars().take(200).collect();
            format!("its file says \"{}\"", esc(&said))
        }
    }
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

/// A warning when `.hrform/` of `dir` (or anything in it) is tracked by
/// git: a committed lock or journal is a pull request's to plant. `None`
/// when git is missing, `dir` is not in a work tree, or nothing is tracked.
pub(crate) fn tracked_state_warning(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["ls-files", "-z", "--", ".hrform"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() || out.stdout.is_empty() {
        return None;
    }
    Some(format!(
        "warning: {} is tracked by git; hrform keeps its lock and journal there: add `.hrform/` to .gitignore and run `git rm -r --cached .hrform`",
        crate::escape::text(&dir.join(".hrform").display().to_string())
    ))
}
