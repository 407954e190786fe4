//! `hrform fmt`: rewrite every manifest in canonical form (the formatter
//! is `crate::fmt`; this is the files around it). Finds the manifests as
//! every command does (`discover::find_files`: hidden entries, seed files
//! and links out of the tree skipped the same way), never writes through a
//! symlink, and writes each changed file atomically (a temporary file in
//! the same directory, renamed over the original). Opens no socket.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};

use crate::cli::{FmtArgs, GlobalArgs};
use crate::diag::{self, Code, Diagnostic, Sources};
use crate::exit::ExitStatus;
use crate::manifest;

/// A file whose canonical form differs from what it holds.
struct Change {
    path: PathBuf,
    shown: PathBuf,
    before: String,
    after: String,
}

pub(crate) fn run(args: &FmtArgs, global: &GlobalArgs) -> Result<ExitStatus> {
    let dir = &args.config.dir;
    let found = crate::discover::find_files(dir, &[])
        .with_context(|| format!("cannot read the configuration directory {}", dir.display()))?;
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    for message in found.unreadable {
        diags.push(Diagnostic::error(Code::Io, message));
    }
    for (link, why) in found.refused {
        diags.push(manifest::refused_link(dir, &link, why, &mut sources));
    }
    let mut changes = Vec::new();
    let mut files = 0usize;
    for path in found.files {
        // A link to a manifest inside the tree: its target is formatted
        // where it lies; the link itself is never written through.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            continue;
        }
        let shown = manifest::display_path(dir, &path);
        let text = match std::fs::read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                diags.push(Diagnostic::error(
                    Code::Io,
                    format!(
                        "{} is not valid UTF-8; fmt left it as it is",
                        shown.display()
                    ),
                ));
                continue;
            }
            Err(err) => {
                diags.push(Diagnostic::error(
                    Code::Io,
                    format!("cannot read {}: {err}", shown.display()),
                ));
                continue;
            }
        };
        let file = sources.add(shown.clone(), text);
        let text = sources.text(file);
        let Some(docs) = manifest::parse(text, file, &mut diags) else {
            continue;
        };
        if manifest::is_seed(&docs) {
            continue;
        }
        files += 1;
        match crate::fmt::format(text, &docs) {
            Ok(after) if after == text => {}
            Ok(after) => changes.push(Change {
                path,
                shown,
                before: text.to_owned(),
                after,
            }),
            Err(refusal) => diags.push(refusal.diagnostic(file)),
        }
    }
    if files == 0 && diags.is_empty() {
        // As every command: a wrong -C is an error, not a clean check.
        diags.push(manifest::no_manifests(dir));
    }
    let mut stdout = crate::output::stdout();
    let write = !args.check && !args.diff;
    for change in &changes {
        if args.diff {
            let diff = similar::TextDiff::from_lines(&change.before, &change.after);
            let shown = change.shown.display().to_string();
            let (old, new) = if change.shown.is_absolute() {
                (shown.clone(), shown)
            } else {
                (format!("a/{shown}"), format!("b/{shown}"))
            };
            write!(
                stdout,
                "{}",
                diff.unified_diff().context_radius(3).header(&old, &new)
            )?;
        } else {
            writeln!(stdout, "{}", change.shown.display())?;
        }
        if write {
            crate::private_file::replace_atomically(&change.path, &change.after)
                .with_context(|| format!("cannot write {}", change.shown.display()))?;
        }
    }
    stdout.flush()?;
    diag::sort(&mut diags);
    super::common::emit_diagnostics(
        args.format,
        &diags,
        &sources,
        None,
        super::common::DocStream::Stderr,
    )?;
    let mut stderr = crate::output::stderr();
    let (errors, _) = diag::summary(&diags);
    let verb = if write { "reformatted" } else { "would change" };
    if !global.quiet {
        writeln!(
            stderr,
            "fmt: {} of {} {verb}{}",
            changes.len(),
            diag::count(files, "file"),
            if errors > 0 {
                format!("; {} left as they are", diag::count(errors, "error"))
            } else {
                String::new()
            }
        )?;
    }
    Ok(if errors > 0 {
        ExitStatus::Error
    } else if args.check && !changes.is_empty() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}
