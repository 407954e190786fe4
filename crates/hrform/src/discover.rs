//! Discovery: finding the manifests under the configuration directory
//! (hidden entries and the paths in `skip` left out, symlinks out of the
//! tree refused) and reading them, for `hrform_core::manifest::load` to
//! check. The only place manifests are read from disk.

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::diag::{Code, Diagnostic, Sources};
use crate::manifest::{self, Input, Loaded};

/// Load every manifest under `dir` (skipping hidden entries, seed files and
/// the paths in `skip`), and check them.
pub fn load(dir: &Path, skip: &[PathBuf], context: &Context) -> Loaded {
    load_with(dir, skip, &[], context)
}

/// [`load`], with `extra` files (path under `dir`, text) read as if they
/// were in the tree, in place of a file of the same path: what the tree
/// would be once they are written (`hrform export` checks its output so).
pub fn load_with(
    dir: &Path,
    skip: &[PathBuf],
    extra: &[(PathBuf, String)],
    context: &Context,
) -> Loaded {
    let found = match find_files(dir, skip) {
        Ok(found) => found,
        Err(err) => {
            return Loaded {
                config: None,
                diagnostics: vec![Diagnostic::error(
                    Code::Io,
                    format!(
                        "cannot read the configuration directory {}: {err}",
                        dir.display()
                    ),
                )],
                sources: Sources::default(),
                manifests: Vec::new(),
            };
        }
    };
    let mut paths = found.files;
    for (path, _) in extra {
        if !paths.contains(path) {
            paths.push(path.clone());
        }
    }
    let files = paths
        .into_iter()
        .map(|path| {
            let given = extra.iter().find(|(p, _)| *p == path);
            let bytes =
                given.map_or_else(|| std::fs::read(&path), |(_, t)| Ok(t.clone().into_bytes()));
            (path, bytes)
        })
        .collect();
    let input = Input {
        tables: table_reader(dir),
        files,
        refused: found.refused,
        unreadable: found.unreadable,
    };
    manifest::load(dir, input, &context.manifest)
}

/// Reads roster files for the core: only regular files inside `dir` once
/// every link is resolved, of at most [`manifest::ROSTER_MAX_BYTES`].
fn table_reader(dir: &Path) -> manifest::TableReader {
    let root = dir.canonicalize();
    manifest::TableReader(Box::new(move |path: &Path| {
        let root = root.as_ref().map_err(|e| e.to_string())?;
        let target = path.canonicalize().map_err(|e| format!("{e}"))?;
        if !target.starts_with(root) {
            return Err(
                "it is outside the configuration directory (through a symlink); it was not read"
                    .to_owned(),
            );
        }
        let meta = std::fs::metadata(&target).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("it is not a regular file".to_owned());
        }
        if meta.len() > manifest::ROSTER_MAX_BYTES {
            return Err(format!(
                "it is over {} bytes, the most hrform reads",
                manifest::ROSTER_MAX_BYTES
            ));
        }
        let mut bytes = Vec::new();
        use std::io::Read as _;
        std::fs::File::open(&target)
            .and_then(|f| {
                f.take(manifest::ROSTER_MAX_BYTES + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > manifest::ROSTER_MAX_BYTES {
            return Err("it grew over the size bound while read".to_owned());
        }
        Ok(bytes)
    }))
}

/// Discovery stops past this many manifest files: far more than any HR
/// tree holds (one file per person of a 20,000-person company), so running
/// in the wrong directory costs one line, not a scroll-back.
pub(crate) const MAX_FILES: usize = 20_000;

/// Discovery stops past this many bytes of manifests in all (each file is
/// bounded on its own too, at 4 MiB).
pub(crate) const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// What discovery found under the configuration directory.
#[derive(Debug, Default)]
pub(crate) struct Found {
    /// The manifests to read, in sorted order.
    pub(crate) files: Vec<PathBuf>,
    /// Symlinks refused, with why (never what they point at).
    pub(crate) refused: Vec<(PathBuf, &'static str)>,
    /// Entries that could not be read (permissions, ...).
    pub(crate) unreadable: Vec<String>,
}

/// The file just found.
fn entry_path_last(found: &Found) -> &Path {
    found.files.last().map_or(Path::new(""), PathBuf::as_path)
}

/// Every `*.yaml` / `*.yml` under `dir`, recursively, in a stable (sorted)
/// order, skipping hidden files and folders and the paths in `skip`.
///
/// Symlinks are never followed out of the tree: the walk does not follow
/// links, and each link met is resolved and checked. A link to a manifest
/// inside the tree is read (it is the same as reading its target, which
/// the tree holds anyway); a linked directory inside the tree is not
/// descended (its files are read where they really are, so a link cannot
/// make a loop or read a file twice). A link that leads out of the tree,
/// that loops, or that points at nothing is refused by name, its target
/// never opened, and the rest of the tree is still read.
pub(crate) fn find_files(dir: &Path, skip: &[PathBuf]) -> std::io::Result<Found> {
    let root = dir.canonicalize()?;
    let skip: Vec<PathBuf> = skip.iter().filter_map(|p| p.canonicalize().ok()).collect();
    let mut found = Found::default();
    let mut bytes: u64 = 0;
    let mut too_many = |path: &Path, found: &Found| -> std::io::Result<()> {
        bytes += std::fs::metadata(path).map_or(0, |m| m.len());
        if found.files.len() > MAX_FILES || bytes > MAX_TOTAL_BYTES {
            return Err(std::io::Error::other(format!(
                "discovery stopped past {MAX_FILES} YAML files or {} MiB of them, more than any HR configuration holds; run hrform in the directory that holds the manifests, or point -C at it",
                MAX_TOTAL_BYTES / (1024 * 1024)
            )));
        }
        Ok(())
    };
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                let path = err.path().map(|p| p.display().to_string());
                found.unreadable.push(match path {
                    Some(p) => format!("cannot read {p}: {err}"),
                    None => err.to_string(),
                });
                continue;
            }
        };
        let is_yaml = entry
            .path()
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml");
        if entry.path_is_symlink() && entry.depth() > 0 {
            let Ok(target) = entry.path().canonicalize() else {
                found.refused.push((
                    entry.into_path(),
                    "is a symlink that loops or points at nothing; it was not followed",
                ));
                continue;
            };
            let inside = target.starts_with(&root);
            let is_dir = target.is_dir();
            match (inside, is_dir) {
                (false, true) => found.refused.push((
                    entry.into_path(),
                    "is a symlink to a directory outside the configuration directory; it was not followed",
                )),
                (false, false) if is_yaml => found.refused.push((
                    entry.into_path(),
                    "is a symlink to a file outside the configuration directory; it was not read",
                )),
                (true, false) if is_yaml && target.is_file() && !skip.contains(&target) => {
                    found.files.push(entry.into_path());
                    too_many(&target, &found)?;
                }
                _ => {}
            }
            continue;
        }
        if !entry.file_type().is_file() || !is_yaml {
            continue;
        }
        if !skip.is_empty()
            && let Ok(canonical) = entry.path().canonicalize()
            && skip.contains(&canonical)
        {
            continue;
        }
        found.files.push(entry.into_path());
        too_many(entry_path_last(&found), &found)?;
    }
    Ok(found)
}
