//! `hrform export`: read one provider's live state (everyone, every policy,
//! the requests of the window), turn it into manifests (`crate::export`),
//! check the tree they would make, and write them (or print them).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::cli::ExportArgs;
use crate::exit::ExitStatus;
use crate::export::{self, render};
use crate::model::{ReadScope, Vendor};
use crate::providers::{Endpoint, ProviderClient};

/// How many times items that fail validation are dropped and the rest
/// checked again before export gives up.
const VALIDATION_ROUNDS: usize = 3;

pub(crate) fn run(args: &ExportArgs, context: &crate::context::Context) -> Result<ExitStatus> {
    let dir = &args.config.dir;
    let dest = Destination::new(args);
    // `--force` replaces export's own earlier output of this provider (the
    // file and its parts): it declares no one the new export must skip,
    // and the parts a smaller export no longer needs are removed after.
    let earlier = if args.force && !dest.to_stdout {
        earlier_parts(&dest.dir, &dest.stem)
    } else {
        Vec::new()
    };
    let Some(loaded) = super::common::load_manifests_except(
        dir,
        args.sandbox.as_ref(),
        &earlier,
        "nothing was exported",
        crate::cli::DiagnosticFormat::Text,
        context,
    )?
    else {
        return Ok(ExitStatus::Error);
    };
    let config = loaded.config.as_ref().expect("loaded without errors");
    let mut stderr = crate::output::stderr();
    let Some(provider) = config.providers.get(&args.provider) else {
        return Err(super::common::usage_error(format!(
            "--provider {}: no provider of that name is declared under {}{}",
            crate::escape::text(&args.provider),
            dir.display(),
            super::common::hint(&args.provider, config.providers.keys().map(String::as_str))
        )));
    };
    let vendor = provider.kind.vendor();
    let year = crate::plan::leave_year(config);
    let window = (
        args.since.unwrap_or(year.start),
        args.until.unwrap_or(year.end),
    );
    if window.0 > window.1 {
        return Err(super::common::usage_error(format!(
            "--since {} is after --until {}",
            window.0, window.1
        )));
    }
    if args.profiles && args.format == crate::cli::ExportFormat::Csv {
        return Err(super::common::usage_error(
            "--profiles groups YAML users; --format csv groups people by leave in its rules already"
                .to_owned(),
        ));
    }
    // Checked before reading (the first file) and again once the number of
    // parts is known.
    if let Some(path) = dest.in_the_way(1, args.force) {
        return refuse(&mut stderr, &path);
    }

    let scope = ReadScope {
        all_people: true,
        all_policies: true,
        requests: match vendor {
            Vendor::Connecteam => Some((window.0.min(year.start), window.1.max(year.end))),
            Vendor::Clockify => None,
        },
        ..ReadScope::default()
    };
    let declared = crate::plan::declared(&loaded.sources, provider);
    let live = read_live(args, config, provider, &scope, &declared)?;
    tracing::info!(calls = live.read_calls, "read provider `{}`", provider.name);

    let declared = export::Declared::of(config, &provider.name);
    let mut exported = export::export(&live, &declared.context(vendor, year, window));
    if args.format == crate::cli::ExportFormat::Csv {
        return write_roster(args, &dest, &exported, &provider.name);
    }
    if args.profiles {
        export::profiles::group(&mut exported, &provider.name, &config.profile_names);
    }
    let schema = schema_path(&dest.dir);
    let header = render::Header {
        schema: &schema,
        provider: &provider.name,
        kind: provider.kind.type_name(),
        today: config.today,
        leave_year: (year.start, year.end),
        window: (vendor == Vendor::Connecteam).then_some(window),
    };
    let skip: Vec<PathBuf> = args.sandbox.iter().chain(&earlier).cloned().collect();
    let checked = match check_in_tree(&mut exported, &header, &dest, dir, &skip, context) {
        Ok(checked) => checked,
        Err(check) => {
            write!(
                stderr,
                "{}",
                crate::diag::render_all(
                    &check.diagnostics,
                    &check.sources,
                    super::common::stderr_color()
                )
            )?;
            writeln!(
                stderr,
                "error: the tree would not validate with the export in it; nothing was written"
            )?;
            return Ok(ExitStatus::Error);
        }
    };

    let targets: Vec<PathBuf> = checked.names.iter().map(|n| dest.dir.join(n)).collect();
    if dest.to_stdout {
        let mut stdout = crate::output::stdout();
        for (k, part) in checked.parts.iter().enumerate() {
            if k > 0 {
                stdout.write_all(b"---\n")?;
            }
            stdout.write_all(part.text.as_bytes())?;
        }
        stdout.flush()?;
    } else {
        if let Some(path) = dest.in_the_way(checked.parts.len(), args.force) {
            return refuse(&mut stderr, &path);
        }
        std::fs::create_dir_all(&dest.dir)
            .with_context(|| format!("cannot create {}", dest.dir.display()))?;
        for (path, part) in targets.iter().zip(&checked.parts) {
            write_file(path, &part.text, args.force)?;
        }
        // Parts of an earlier, larger export that this one did not write.
        for path in earlier.iter().filter(|p| !targets.contains(p)) {
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            writeln!(
                stderr,
                "Removed {} (an earlier export's part)",
                path.display()
            )?;
        }
    }
    report(
        &mut stderr,
        &exported,
        &checked,
        &provider.name,
        live.read_calls,
        (!dest.to_stdout).then_some(&targets[..]),
    )?;
    Ok(ExitStatus::Success)
}

/// `--format csv`: the roster table and the manifest that reads it,
/// written beside each other (never over a file, unless `--force`).
fn write_roster(
    args: &ExportArgs,
    dest: &Destination,
    exported: &export::Export,
    provider: &str,
) -> Result<ExitStatus> {
    if dest.to_stdout {
        return Err(super::common::usage_error(
            "--format csv writes two files (the roster and its manifest): give --out DIR, not -"
                .to_owned(),
        ));
    }
    let csv_name = format!("{}.roster.csv", dest.stem);
    let yaml_name = format!("{}.roster.yaml", dest.stem);
    let (csv, yaml) = export::roster::roster(exported, provider, &csv_name);
    let mut stderr = crate::output::stderr();
    for name in [&csv_name, &yaml_name] {
        let path = dest.dir.join(name);
        if !args.force && std::fs::symlink_metadata(&path).is_ok() {
            return refuse(&mut stderr, &path);
        }
    }
    std::fs::create_dir_all(&dest.dir)
        .with_context(|| format!("cannot create {}", dest.dir.display()))?;
    write_file(&dest.dir.join(&csv_name), &csv, args.force)?;
    write_file(&dest.dir.join(&yaml_name), &yaml, args.force)?;
    let mut stdout = crate::output::stdout();
    write!(stdout, "{}", crate::escape::text_keep_newlines(&yaml))?;
    stdout.flush()?;
    writeln!(
        stderr,
        "Wrote {} ({} people) and {}",
        dest.dir.join(&csv_name).display(),
        exported.users.len(),
        dest.dir.join(&yaml_name).display()
    )?;
    if !exported.requests.is_empty() {
        writeln!(
            stderr,
            "warning: {} time-off requests are not in a roster; export them with --format yaml",
            exported.requests.len()
        )?;
    }
    Ok(ExitStatus::Success)
}

/// Where an export goes: a directory and the provider's file stem, or
/// standard output.
struct Destination {
    dir: PathBuf,
    stem: String,
    to_stdout: bool,
    /// Where the files sit in the tree for validation: a file under the
    /// configuration directory is checked where it will be; one outside
    /// it (or on stdout), as if it were in it.
    tree_dir: PathBuf,
}

impl Destination {
    fn new(args: &ExportArgs) -> Self {
        let config_dir = &args.config.dir;
        let to_stdout = args.out.as_deref() == Some(Path::new("-"));
        let dir = args
            .out
            .clone()
            .filter(|_| !to_stdout)
            .unwrap_or_else(|| config_dir.clone());
        let tree_dir = match (to_stdout, inside(&dir, config_dir)) {
            (false, Some(rel)) => config_dir.join(rel),
            _ => config_dir.clone(),
        };
        Self {
            stem: file_stem(&args.provider),
            dir,
            to_stdout,
            tree_dir,
        }
    }

    /// The first of the files an export in `parts` parts would write that
    /// exists already, unless `force` replaces them (or nothing is written).
    fn in_the_way(&self, parts: usize, force: bool) -> Option<PathBuf> {
        if self.to_stdout || force {
            return None;
        }
        file_names(&self.stem, parts)
            .iter()
            .map(|n| self.dir.join(n))
            .find(|p| std::fs::symlink_metadata(p).is_ok())
    }
}

fn refuse(stderr: &mut crate::output::Out<anstream::Stderr>, path: &Path) -> Result<ExitStatus> {
    writeln!(
        stderr,
        "error: {} exists; nothing was exported (--force replaces it)",
        path.display()
    )?;
    Ok(ExitStatus::Error)
}

/// Read the provider's live state (from the sandbox with `--sandbox`).
fn read_live(
    args: &ExportArgs,
    config: &crate::manifest::checked::Config,
    provider: &crate::manifest::checked::Provider,
    scope: &ReadScope,
    declared: &str,
) -> Result<crate::model::LiveState> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let (sandbox, endpoint) = match &args.sandbox {
            Some(seed) => {
                let (sandbox, mut endpoints) = super::common::start_sandbox(seed, config).await?;
                (Some(sandbox), endpoints.remove(&provider.name))
            }
            None => (None, None),
        };
        let endpoint = match endpoint {
            Some(e) => e,
            None => Endpoint::from_config(provider)?,
        };
        let client = ProviderClient::new(provider, &config.policies, endpoint, declared)?;
        let live = client.read(scope).await;
        if let Some(sandbox) = sandbox {
            sandbox.stop().await;
        }
        anyhow::Ok(live?)
    })
}

/// An export whose files validate in the tree.
struct Checked {
    parts: Vec<render::Rendered>,
    names: Vec<String>,
    /// Items the checks refused, by diagnostic code.
    invalid: BTreeMap<String, usize>,
    /// Requests left out because their person was.
    orphaned: usize,
}

/// Render `exported` and check the tree with its files in it: items the
/// checks refuse are left out (and counted), the rest checked again, up to
/// [`VALIDATION_ROUNDS`] times. `Err` holds the last failed check when a
/// diagnostic cannot be pinned to an item or the rounds run out.
fn check_in_tree(
    exported: &mut export::Export,
    header: &render::Header<'_>,
    dest: &Destination,
    dir: &Path,
    skip: &[PathBuf],
    context: &crate::context::Context,
) -> std::result::Result<Checked, Box<crate::manifest::Loaded>> {
    let mut invalid: BTreeMap<String, usize> = BTreeMap::new();
    let mut orphaned = 0;
    let mut round = 0;
    loop {
        let parts = render::render(exported, header, render::MAX_NODES);
        let names = file_names(&dest.stem, parts.len());
        let extra: Vec<(PathBuf, String)> = names
            .iter()
            .zip(&parts)
            .map(|(n, p)| (dest.tree_dir.join(n), p.text.clone()))
            .collect();
        let check = crate::discover::load_with(dir, skip, &extra, context);
        if !check.has_errors() {
            return Ok(Checked {
                parts,
                names,
                invalid,
                orphaned,
            });
        }
        // Which part each checked file is.
        let part_of: BTreeMap<crate::diag::FileId, usize> = check
            .manifests
            .iter()
            .filter_map(|(p, id)| {
                let full = dir.join(p);
                extra
                    .iter()
                    .position(|(e, _)| *e == full || e == p)
                    .map(|k| (*id, k))
            })
            .collect();
        let mut drop: BTreeSet<render::Item> = BTreeSet::new();
        let mut unplaced = false;
        for d in check.diagnostics.iter().filter(|d| d.is_error()) {
            let item = d
                .primary
                .as_ref()
                .and_then(|l| parts[*part_of.get(&l.loc.file)?].item_at(l.loc.line));
            match item {
                Some(item) => {
                    drop.insert(item);
                    *invalid.entry(d.code.as_str().to_owned()).or_default() += 1;
                }
                None => unplaced = true,
            }
        }
        round += 1;
        if unplaced || drop.is_empty() || round > VALIDATION_ROUNDS {
            return Err(Box::new(check));
        }
        orphaned += exported.leave_out(&drop);
    }
}

/// What was exported, and what was left out and why.
fn report(
    stderr: &mut crate::output::Out<anstream::Stderr>,
    exported: &export::Export,
    checked: &Checked,
    provider: &str,
    read_calls: usize,
    targets: Option<&[PathBuf]>,
) -> std::io::Result<()> {
    let s = &exported.skipped;
    writeln!(
        stderr,
        "Exported {} {} and {} from provider `{}` ({} read calls){}",
        exported.users.len(),
        if exported.users.len() == 1 {
            "person"
        } else {
            "people"
        },
        crate::diag::count(exported.requests.len(), "request"),
        crate::escape::text(provider),
        read_calls,
        match targets {
            None => String::new(),
            Some(targets) => format!(
                " to {}",
                targets
                    .iter()
                    .map(|t| t.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    )?;
    if !exported.profiles.is_empty() {
        let on: usize = exported.profiles.iter().map(|p| p.people).sum();
        writeln!(
            stderr,
            "{} of them share {}",
            on,
            crate::diag::count(exported.profiles.len(), "profile")
        )?;
    }
    if s.declared > 0 {
        writeln!(stderr, "{} people already declared, skipped", s.declared)?;
    }
    for (why, n) in &s.reasons {
        writeln!(stderr, "left out: {n} {why}")?;
    }
    for (code, n) in &checked.invalid {
        writeln!(stderr, "left out: {n} that failed validation ({code})")?;
    }
    if checked.orphaned > 0 {
        writeln!(
            stderr,
            "left out: {} requests of people left out",
            checked.orphaned
        )?;
    }
    Ok(())
}

/// The files of `dir` an earlier export of `stem` wrote:
/// `<stem>.export.yaml` and `<stem>.export-N.yaml`, as `out_dir.join(name)`
/// (the paths the new export writes), in name order.
fn earlier_parts(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let first = format!("{stem}.export.yaml");
    let part = format!("{stem}.export-");
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| {
            *name == first
                || name
                    .strip_prefix(&part)
                    .and_then(|rest| rest.strip_suffix(".yaml"))
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|name| dir.join(name))
        .collect();
    out.sort();
    out
}

/// The files of an export in `parts` parts: `<stem>.export.yaml`, then
/// `<stem>.export-2.yaml`, ...
fn file_names(stem: &str, parts: usize) -> Vec<String> {
    (1..=parts.max(1))
        .map(|k| match k {
            1 => format!("{stem}.export.yaml"),
            k => format!("{stem}.export-{k}.yaml"),
        })
        .collect()
}

/// The provider's name as a file name: letters, digits, `-` and `_` kept,
/// anything else `_`.
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `dir` relative to `root`, when it is `root` or under it.
fn inside(dir: &Path, root: &Path) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    let root = root.canonicalize().ok()?;
    dir.strip_prefix(&root).ok().map(Path::to_path_buf)
}

/// The `$schema=` value: `schemas/manifest.schema.json` of the nearest
/// ancestor of `dir` that holds one, relative to `dir`; else the name
/// `hrform schema manifest > manifest.schema.json` would give it.
pub(super) fn schema_path(dir: &Path) -> String {
    let Ok(start) = dir.canonicalize() else {
        return "manifest.schema.json".into();
    };
    let mut up = String::new();
    for ancestor in start.ancestors() {
        if ancestor.join("schemas/manifest.schema.json").is_file() {
            return format!("{up}schemas/manifest.schema.json");
        }
        up.push_str("../");
    }
    "manifest.schema.json".into()
}

/// Write `text` to `path`: a new file, or (with `force`) atomically in
/// place of one; never through a symlink.
pub(super) fn write_file(path: &Path, text: &str, force: bool) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let context = || format!("cannot write {}", path.display());
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            anyhow::bail!("cannot write {}: it is a symlink", path.display())
        }
        Ok(_) if force => crate::private_file::replace_atomically(path, text).with_context(context),
        _ => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .with_context(context)?;
            file.write_all(text.as_bytes()).with_context(context)
        }
    }
}
