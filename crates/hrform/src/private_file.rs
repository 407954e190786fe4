//! Files hrform writes (the journal, a saved plan): created `0600`, and
//! never written through a symlink; and manifests it replaces (`fmt`,
//! `export --force`), atomically.
//!
//! The last path component is opened with `O_NOFOLLOW`, so a symlink put
//! there (say, a committed `.hrform/journal.jsonl` pointing at a file of
//! the CI machine) makes the open fail instead of writing to its target;
//! there is no check-then-open window to race. The mode is set on the open
//! file too (`fchmod`), so a file that already existed with looser
//! permissions ends up `0600` as well.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

/// How a private file is opened.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    /// Append to it, creating it if absent (the journal).
    Append,
    /// Replace its contents, creating it if absent (a saved plan).
    Truncate,
}

/// Open `path` for writing, `0600`, refusing a symlink.
pub(crate) fn open(path: &Path, mode: Mode) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
    match mode {
        Mode::Append => options.append(true),
        Mode::Truncate => options.truncate(true),
    };
    let file = options.open(path).map_err(|e| {
        let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            io::Error::other("it is a symlink, and hrform never writes through one")
        } else {
            e
        }
    })?;
    // Character devices and pipes (`/dev/null`, a FIFO) are the runner's
    // choice and keep their mode; a regular file becomes 0600.
    if file.metadata()?.is_file() {
        file.set_permissions(Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Refuse a directory hrform would create files in when it is a symlink
/// (a committed `.hrform` pointing elsewhere).
pub(crate) fn refuse_linked_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(io::Error::other(format!(
            "{} is a symlink, and hrform never writes through one",
            dir.display()
        ))),
        _ => Ok(()),
    }
}

/// hrform's state directory of the configuration directory `config`
/// (`.hrform`, for the apply lock and the default journal), created when
/// missing. A pull request controls the configuration directory, so a
/// committed `.hrform` that is a link is refused before anything is
/// created or written through it.
pub(crate) fn state_dir(config: &Path) -> io::Result<std::path::PathBuf> {
    let dir = config.join(".hrform");
    refuse_linked_dir(&dir)?;
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Replace the file `path` with `text` (`fmt`, `export --force`): written
/// to a new hidden file beside it (created exclusively, with the
/// original's permissions), synced, and renamed over it, so a reader sees
/// the old file or the new, never half, and a failed write leaves the old.
/// The directory is synced after the rename, so the new name survives a
/// crash too (a rename lives in the directory, which `sync_all` of the file
/// does not cover). Callers never pass a symlink (the rename would replace
/// the link).
pub(crate) fn replace_atomically(path: &Path, text: &str) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = std::fs::metadata(path)?.permissions();
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(".{name}.hrform-{}-{attempt}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(text.as_bytes())?;
        file.set_permissions(permissions)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

/// Make the entries of `dir` durable (`fsync` of the directory itself);
/// `""`, the parent of a bare file name, is the current directory.
fn sync_dir(dir: &Path) -> io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replace_keeps_the_mode_leaves_no_temporary_and_syncs_its_directory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.yaml");
        std::fs::write(&path, "old\n").unwrap();
        std::fs::set_permissions(&path, Permissions::from_mode(0o640)).unwrap();
        replace_atomically(&path, "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["people.yaml"], "no temporary left beside it");
    }

    #[test]
    fn a_bare_file_name_syncs_the_current_directory() {
        sync_dir(Path::new("")).unwrap();
    }

    #[test]
    fn a_missing_file_is_an_error_and_nothing_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.yaml");
        assert!(replace_atomically(&path, "x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
