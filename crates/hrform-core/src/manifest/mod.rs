//! Manifests: parsing their text with locations, and checking them into a
//! [`Config`]. Finding and reading the files is the shell's (`hrform`'s
//! `discover`): they come in here as bytes, with what discovery refused.
//!
//! The pipeline is parse → decode → validate, each stage in its own module:
//! `node` parses YAML (serde-saphyr) into a located tree, `decode` reads the
//! raw types of `raw` out of it, and `validate` merges the documents and
//! checks them into the types of `checked`. Every stage collects all its
//! diagnostics instead of stopping at the first. This module is the only
//! entry point: [`load`], given a [`Context`] for what the world supplies
//! (today, the allowed hosts).

mod bounds;
pub mod checked;
mod decode;
pub mod node;
pub mod raw;
mod validate;
mod yaml;

pub use validate::{ALLOWED_HOSTS_ENV, is_request_key_char, tz_db};

use std::path::{Path, PathBuf};

use serde_saphyr::Spanned;

pub use self::checked::Config;
use self::node::Node;
pub use self::validate::{CLOCKIFY_DEFAULT_BASE_URL, CONNECTEAM_DEFAULT_BASE_URL};
pub use self::yaml::{is_seed, parse};
use self::yaml::{lexical_secrets, yaml_1_1_forms};
use crate::diag::{self, Code, Diagnostic, Loc, Sources};

/// The largest roster file hrform reads, in bytes (about 100,000 rows).
pub const ROSTER_MAX_BYTES: u64 = 32 * 1024 * 1024;

/// The key that marks a sandbox seed file; such files are not manifests.
pub const SEED_MARKER_KEY: &str = "seed_version";

/// The outcome of loading a configuration directory.
#[derive(Debug)]
pub struct Loaded {
    /// The checked configuration; `None` when any error was found.
    pub config: Option<Config>,
    /// Every error and warning, sorted by location.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, for rendering diagnostics.
    pub sources: Sources,
    /// The manifest files (not seeds), with their paths relative to the
    /// configuration directory: what a plan's manifests hash covers.
    pub manifests: Vec<(PathBuf, diag::FileId)>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// What the world supplies to the checks, read once by the shell: nothing
/// here reads a clock or an environment variable itself.
#[derive(Debug, Clone)]
pub struct Context {
    /// The moment hrform runs; today is its date in the relevant timezone.
    pub now: jiff::Timestamp,
    /// A fixed today (`HRFORM_TODAY`), for tests and reproducible runs.
    pub today: Option<jiff::civil::Date>,
    /// The extra API hosts whoever runs hrform allows
    /// (`HRFORM_ALLOWED_HOSTS`, comma-separated), empty when unset.
    pub allowed_hosts: String,
}

impl Context {
    /// Today in `tz`, or the fixed today.
    pub fn today(&self, tz: &jiff::tz::TimeZone) -> jiff::civil::Date {
        self.today
            .unwrap_or_else(|| tz.to_datetime(self.now).date())
    }
}

/// Reads a roster file (the path as reached from the working directory)
/// for [`load`]: the shell's, so that this crate does no I/O. It refuses
/// files outside the configuration directory (links included) and files
/// over the size bound, with a message saying why.
pub struct TableReader(pub Box<ReadTable>);

/// How a [`TableReader`] reads: the file's bytes, or why not.
pub type ReadTable = dyn Fn(&Path) -> Result<Vec<u8>, String> + Send + Sync;

impl Default for TableReader {
    fn default() -> Self {
        Self(Box::new(|_| {
            Err("roster files are not read here".to_owned())
        }))
    }
}

impl std::fmt::Debug for TableReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TableReader")
    }
}

/// What discovery found under the configuration directory, read.
#[derive(Debug, Default)]
pub struct Input {
    /// Reads the roster files manifests declare.
    pub tables: TableReader,
    /// The manifests, in order, each with its bytes or why it could not be
    /// read.
    pub files: Vec<(PathBuf, std::io::Result<Vec<u8>>)>,
    /// Symlinks refused, with why (never what they point at).
    pub refused: Vec<(PathBuf, &'static str)>,
    /// Entries that could not be read (permissions, ...).
    pub unreadable: Vec<String>,
}

/// Check the manifests discovery found under `dir` (paths are shown as
/// reached from the working directory).
pub fn load(dir: &Path, input: Input, context: &Context) -> Loaded {
    let mut sources = Sources::default();
    let mut diagnostics = Vec::new();
    let mut docs = Vec::new();
    let mut manifests = Vec::new();
    let mut incomplete = decode::Incomplete::default();
    let mut secrets = Vec::new();
    // hrform run in the wrong directory (a home, `/tmp`) finds YAML files of
    // all kinds: when none even mentions `providers` (and no refused link
    // might), one error says so instead of one per file. A file past the
    // parse bounds keeps its own located error.
    let readable = input.files.iter().filter_map(|(_, b)| b.as_ref().ok());
    let mut mentions = readable.clone().map(|b| {
        b.windows(b"providers".len())
            .any(|w| w == b"providers".as_slice())
    });
    let within_bounds = readable
        .clone()
        .all(|b| std::str::from_utf8(b).is_ok_and(|t| bounds::check(t).is_ok()));
    if input.refused.is_empty()
        && within_bounds
        && readable.clone().next().is_some()
        && !mentions.any(|m| m)
    {
        return Loaded {
            config: None,
            diagnostics: vec![no_providers_anywhere(dir, readable.count())],
            sources,
            manifests,
        };
    }
    for message in input.unreadable {
        diagnostics.push(Diagnostic::error(Code::Io, message));
    }
    if !input.refused.is_empty() {
        // What a refused link held may be declared anywhere.
        incomplete = decode::Incomplete {
            names: true,
            users: true,
        };
    }
    for (link, why) in input.refused {
        diagnostics.push(refused_link(dir, &link, why, &mut sources));
    }
    for (path, bytes) in input.files {
        let bytes = match bytes {
            Ok(bytes) => bytes,
            Err(err) => {
                diagnostics.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read {}: {err}", path.display()),
                ));
                continue;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => {
                // Point at the first byte that is not UTF-8, in the text
                // as far as it can be shown.
                let valid = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                let before = String::from_utf8_lossy(&bytes[..valid]);
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                let file = sources.add(
                    display_path(dir, &path),
                    String::from_utf8_lossy(&bytes).into_owned(),
                );
                diagnostics.push(
                    Diagnostic::error(
                        Code::Io,
                        format!(
                            "{} is not valid UTF-8 (line {line}, column {col})",
                            display_path(dir, &path).display()
                        ),
                    )
                    .at(
                        Loc {
                            file,
                            line: u32::try_from(line).unwrap_or(u32::MAX),
                            col: u32::try_from(col).unwrap_or(u32::MAX),
                            len: 1,
                        },
                        "not UTF-8",
                    )
                    .help("save the file as UTF-8"),
                );
                incomplete = decode::Incomplete {
                    names: true,
                    users: true,
                };
                continue;
            }
        };
        let file = sources.add(display_path(dir, &path), text);
        let Some(parsed) = parse(sources.text(file), file, &mut diagnostics) else {
            // Without a tree, mask by the look of each line.
            for loc in lexical_secrets(sources.text(file), file) {
                sources.add_secret(loc);
            }
            // A file that did not parse may declare anything.
            incomplete = decode::Incomplete {
                names: true,
                users: true,
            };
            continue;
        };
        if is_seed(&parsed) {
            tracing::info!("skipping sandbox seed file {}", path.display());
            continue;
        }
        for doc in &parsed {
            yaml_1_1_forms(doc, None, sources.text(file), file, &mut diagnostics);
        }
        manifests.push((path.strip_prefix(dir).unwrap_or(&path).to_path_buf(), file));
        let mut cx = decode::Cx {
            file,
            diags: &mut diagnostics,
            secrets: &mut secrets,
            incomplete: &mut incomplete,
        };
        let relative = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
        docs.extend(parsed.iter().filter_map(|doc| {
            let mut m = <raw::Manifest as decode::Decode>::decode(doc, &mut cx)?;
            for r in m.rosters.iter_mut().flatten() {
                r.value.manifest = relative.clone();
            }
            Some(m)
        }));
    }
    for doc in &mut docs {
        for r in doc.rosters.iter_mut().flatten() {
            read_roster(
                dir,
                &mut r.value,
                &input.tables,
                &mut sources,
                &mut diagnostics,
            );
        }
    }
    let files: Vec<String> = sources
        .iter()
        .map(|(_, path, _)| path.display().to_string())
        .collect();
    if manifests.is_empty() && diagnostics.is_empty() {
        diagnostics.push(no_manifests(dir));
    }
    let config = validate::validate(docs, incomplete, context, files, &mut diagnostics);
    for loc in secrets
        .iter()
        .chain(diagnostics.iter().flat_map(|d| &d.secrets))
    {
        sources.add_secret(*loc);
    }
    diag::sort(&mut diagnostics);
    let config = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        config
    };
    Loaded {
        config,
        diagnostics,
        sources,
        manifests,
    }
}

/// Read and parse the table of roster `r`, keeping it (and its file id)
/// in `r.table`; every problem becomes a diagnostic at the roster.
fn read_roster(
    dir: &Path,
    r: &mut raw::Roster,
    reader: &TableReader,
    sources: &mut Sources,
    diags: &mut Vec<Diagnostic>,
) {
    use std::path::Component;
    let written = r.file.value.as_str();
    let rel = Path::new(written);
    let inside = !written.trim().is_empty()
        && rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !inside {
        diags.push(
            Diagnostic::error(
                Code::RosterFile,
                format!(
                    "the roster file `{written}` is not a path inside the configuration directory"
                ),
            )
            .at(r.file.loc, "outside the tree")
            .help("write the path relative to this manifest, without `..` or a leading `/`"),
        );
        return;
    }
    let path = dir
        .join(r.manifest.parent().unwrap_or(Path::new("")))
        .join(rel);
    let shown = display_path(dir, &path);
    let bytes = match (reader.0)(&path) {
        Ok(bytes) => bytes,
        Err(why) => {
            diags.push(
                Diagnostic::error(
                    Code::RosterFile,
                    format!("cannot read the roster {}: {why}", shown.display()),
                )
                .at(r.file.loc, "this file"),
            );
            return;
        }
    };
    let xlsx = written.to_ascii_lowercase().ends_with(".xlsx");
    let delimiter = match (&r.delimiter, xlsx) {
        (None, _) => None,
        (Some(d), false) if [",", ";", "\t", "\\t"].contains(&d.value.as_str()) => {
            Some(if d.value == ";" {
                b';'
            } else if d.value == "," {
                b','
            } else {
                b'\t'
            })
        }
        (Some(d), _) => {
            let why = if xlsx {
                "`delimiter` applies to CSV rosters only"
            } else {
                "`delimiter` must be `,`, `;` or a tab"
            };
            diags.push(
                Diagnostic::error(Code::InvalidValue, why)
                    .at(d.loc, "not a delimiter hrform reads"),
            );
            return;
        }
    };
    if let (Some(s), false) = (&r.sheet, xlsx) {
        diags.push(
            Diagnostic::error(Code::InvalidValue, "`sheet` applies to .xlsx rosters only")
                .at(s.loc, "not a workbook"),
        );
        return;
    }
    let parsed = if xlsx {
        crate::table::parse_xlsx(&bytes, r.sheet.as_ref().map(|s| s.value.as_str()))
    } else {
        crate::table::parse_csv(&bytes, delimiter)
    };
    // The file's cells are never shown: a diagnostic names the row and
    // header, so columns hrform does not read stay out of every output.
    let file = sources.add(shown.clone(), String::new());
    match parsed {
        Ok(table) => r.table = Some((file, std::sync::Arc::new(table))),
        Err(err) => {
            let row = match &err {
                crate::table::TableError::Width { row, .. }
                | crate::table::TableError::NotUtf8 { row, .. }
                | crate::table::TableError::Csv { row, .. }
                | crate::table::TableError::CellError { row, .. } => Some(*row),
                _ => None,
            };
            let mut d = Diagnostic::error(
                Code::RosterFile,
                format!("cannot read the roster {}: {err}", shown.display()),
            );
            d = match row {
                Some(row) => d
                    .at(
                        Loc {
                            file,
                            line: row,
                            col: 1,
                            len: 0,
                        },
                        format!("row {row}"),
                    )
                    .also(r.file.loc, "the roster"),
                None => d.at(r.file.loc, "this file"),
            };
            diags.push(d);
        }
    }
}

/// The error for a symlink discovery refused (`why`), named as shown
/// from `dir`; the link is registered in `sources` with no text.
pub fn refused_link(dir: &Path, link: &Path, why: &str, sources: &mut Sources) -> Diagnostic {
    let shown = display_path(dir, link);
    let file = sources.add(shown.clone(), String::new());
    Diagnostic::error(
        Code::SymlinkOutsideTree,
        format!("{} {why}", shown.display()),
    )
    .at(
        Loc {
            file,
            line: 1,
            col: 1,
            len: 0,
        },
        "symlink",
    )
    .help(
        "hrform reads only files inside the configuration directory; \
             replace the link with the file itself",
    )
}

/// The error for a configuration directory without a manifest.
pub fn no_manifests(dir: &Path) -> Diagnostic {
    Diagnostic::error(
        Code::NoManifests,
        format!("no manifests (*.yaml, *.yml) found under {}", dir.display()),
    )
    .help("run hrform in the directory that holds the manifests, or point -C at it")
}

/// The one error for a tree where no file mentions `providers` (`files`:
/// how many YAML files were read).
pub fn no_providers_anywhere(dir: &Path, files: usize) -> Diagnostic {
    Diagnostic::error(
        Code::NoProvider,
        format!(
            "no manifest under {} declares `providers:` ({} read); nothing else was checked",
            dir.display(),
            diag::count(files, "YAML file")
        ),
    )
    .help("run hrform in the directory that holds the manifests, or point -C at it; the HR systems are declared under `providers:` (type clockify or connecteam)")
}

/// The path shown in diagnostics: as reached from the working directory,
/// without a leading `./`.
pub fn display_path(dir: &Path, path: &Path) -> PathBuf {
    if dir == Path::new(".") {
        path.strip_prefix(".").unwrap_or(path).to_path_buf()
    } else {
        path.to_path_buf()
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
