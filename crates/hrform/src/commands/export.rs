//! `hrform export`: read one provider's live state (everyone, every policy,
//! the requests of the window), turn it into manifests (`crate::export`),
//! check the tree they would make, and write them (or print them).

use std::collections::{BTreeMap, BTreeSet, HashSet};
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
    let stem = file_stem(&args.provider);
    let to_stdout = args.out.as_deref() == Some(Path::new("-"));
    let out_dir = args
        .out
        .clone()
        .filter(|_| !to_stdout)
        .unwrap_or_else(|| dir.clone());
    // `--force` replaces export's own earlier output of this provider (the
    // file and its parts): it declares no one the new export must skip,
    // and the parts a smaller export no longer needs are removed after.
    let earlier = if args.force && !to_stdout {
        earlier_parts(&out_dir, &stem)
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

    // Where the files go, and where they sit in the tree for validation:
    // a file under the configuration directory is checked where it will
    // be; one outside it (or on stdout), as if it were in it.
    let tree_dir = match (to_stdout, inside(&out_dir, dir)) {
        (false, Some(rel)) => dir.join(rel),
        _ => dir.clone(),
    };
    let exists = |names: &[String]| -> Option<PathBuf> {
        names
            .iter()
            .map(|n| out_dir.join(n))
            .find(|p| std::fs::symlink_metadata(p).is_ok())
    };
    // Checked before reading (the first file) and again once the number of
    // parts is known.
    let refuse = |stderr: &mut crate::output::Out<anstream::Stderr>, path: PathBuf| {
        writeln!(
            stderr,
            "error: {} exists; nothing was exported (--force replaces it)",
            path.display()
        )
        .map(|()| ExitStatus::Error)
    };
    if !to_stdout
        && !args.force
        && let Some(path) = exists(&file_names(&stem, 1))
    {
        return Ok(refuse(&mut stderr, path)?);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let requests_window = match vendor {
        Vendor::Connecteam => Some((window.0.min(year.start), window.1.max(year.end))),
        Vendor::Clockify => None,
    };
    let scope = ReadScope {
        all_people: true,
        all_policies: true,
        requests: requests_window,
        ..ReadScope::default()
    };
    let live = runtime.block_on(async {
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
        let client = ProviderClient::new(provider, &config.policies, endpoint)?;
        let live = client.read(&scope).await;
        if let Some(sandbox) = sandbox {
            sandbox.stop().await;
        }
        anyhow::Ok(live?)
    })?;
    tracing::info!(calls = live.read_calls, "read provider `{}`", provider.name);

    let declared_people: HashSet<String> = config
        .users
        .iter()
        .filter(|u| u.provider == provider.name)
        .map(|u| u.email.key().to_owned())
        .collect();
    let declared_keys: HashSet<String> = config.requests.iter().map(|r| r.key.clone()).collect();
    let declared_requests: HashSet<export::Match> = config
        .requests
        .iter()
        .filter(|r| r.provider == provider.name)
        .map(|r| {
            let times = match r.span {
                crate::manifest::checked::DaySpan::AllDay => None,
                crate::manifest::checked::DaySpan::Partial { start, end } => Some((start, end)),
            };
            (
                r.user.key().to_owned(),
                r.policy_type.clone(),
                r.start_date,
                r.end_date,
                times,
            )
        })
        .collect();
    let carry_over = crate::plan::carry_over(config)
        .remove(&provider.name)
        .unwrap_or_default();
    let cx = export::Context {
        vendor,
        leave_year: year,
        window,
        declared_people: &declared_people,
        declared_keys: &declared_keys,
        declared_requests: &declared_requests,
        carry_over: &carry_over,
    };
    let mut exported = export::export(&live, &cx);
    let schema = schema_path(&out_dir);
    let header = render::Header {
        schema: &schema,
        provider: &provider.name,
        kind: provider.kind.type_name(),
        today: config.today,
        leave_year: (year.start, year.end),
        window: (vendor == Vendor::Connecteam).then_some(window),
    };

    // The tree with the export in it must validate: items the checks
    // refuse are left out (and counted), the rest checked again.
    let skip: Vec<PathBuf> = args.sandbox.iter().chain(&earlier).cloned().collect();
    let mut invalid: BTreeMap<String, usize> = BTreeMap::new();
    let mut orphaned = 0;
    let mut round = 0;
    let (parts, names) = loop {
        let parts = render::render(&exported, &header, render::MAX_NODES);
        let names = file_names(&stem, parts.len());
        let extra: Vec<(PathBuf, String)> = names
            .iter()
            .zip(&parts)
            .map(|(n, p)| (tree_dir.join(n), p.text.clone()))
            .collect();
        let check = crate::discover::load_with(dir, &skip, &extra, context);
        if !check.has_errors() {
            break (parts, names);
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
        for item in drop.iter().rev() {
            match *item {
                render::Item::User(i) => {
                    exported.users.remove(i);
                }
                render::Item::Request(i) => {
                    exported.requests.remove(i);
                }
            }
        }
        // The requests of a person left out go too.
        let kept: HashSet<String> = exported
            .users
            .iter()
            .map(|u| crate::mailbox::key(&u.email))
            .collect();
        let before = exported.requests.len();
        exported
            .requests
            .retain(|r| kept.contains(&crate::mailbox::key(&r.user)));
        orphaned += before - exported.requests.len();
    };

    let targets: Vec<PathBuf> = names.iter().map(|n| out_dir.join(n)).collect();
    if to_stdout {
        let mut stdout = crate::output::stdout();
        for (k, part) in parts.iter().enumerate() {
            if k > 0 {
                stdout.write_all(b"---\n")?;
            }
            stdout.write_all(part.text.as_bytes())?;
        }
        stdout.flush()?;
    } else {
        if !args.force
            && let Some(path) = exists(&names)
        {
            return Ok(refuse(&mut stderr, path)?);
        }
        std::fs::create_dir_all(&out_dir)
            .with_context(|| format!("cannot create {}", out_dir.display()))?;
        for (path, part) in targets.iter().zip(&parts) {
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
        crate::escape::text(&provider.name),
        live.read_calls,
        if to_stdout {
            String::new()
        } else {
            format!(
                " to {}",
                targets
                    .iter()
                    .map(|t| t.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    )?;
    if s.declared > 0 {
        writeln!(stderr, "{} people already declared, skipped", s.declared)?;
    }
    for (why, n) in &s.reasons {
        writeln!(stderr, "left out: {n} {why}")?;
    }
    for (code, n) in &invalid {
        writeln!(stderr, "left out: {n} that failed validation ({code})")?;
    }
    if orphaned > 0 {
        writeln!(stderr, "left out: {orphaned} requests of people left out")?;
    }
    Ok(ExitStatus::Success)
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
fn schema_path(dir: &Path) -> String {
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
fn write_file(path: &Path, text: &str, force: bool) -> Result<()> {
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
