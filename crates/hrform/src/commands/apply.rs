//! `hrform apply`: plan (or load a reviewed plan), confirm, make the calls,
//! journal each, and report.

use std::collections::BTreeMap;
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context as _, Result};

use crate::apply::{self, ApplyError, ChangeOutcome};
use crate::cli::{ApplyArgs, GlobalArgs};
use crate::diag;
use crate::escape::text as esc;
use crate::exit::ExitStatus;
use crate::manifest;
use crate::plan::{PlanError, render};
use crate::providers::{Executed, Outcome};

pub(crate) fn run(
    args: &ApplyArgs,
    global: &GlobalArgs,
    context: &crate::context::Context,
) -> Result<ExitStatus> {
    // The plan file's bytes are read once: the digest checked is of the
    // very bytes parsed, and it is checked before anything else is read,
    // locked or written.
    let saved_bytes = match &args.planfile {
        Some(path) => Some(std::fs::read(path).with_context(|| {
            format!(
                "cannot read the plan file {}",
                esc(&path.display().to_string())
            )
        })?),
        None => None,
    };
    if let (Some(expected), Some(bytes), Some(path)) =
        (&args.plan_sha256, &saved_bytes, &args.planfile)
    {
        let actual = crate::plan::digest::PlanDigest::of(bytes);
        if actual != *expected {
            // Through the one escaping writer, like every other line.
            writeln!(
                crate::output::stderr(),
                "error: {} is not the reviewed plan: its digest is {actual}, the reviewed plan's is {expected}; nothing was read or written",
                esc(&path.display().to_string())
            )?;
            return Ok(ExitStatus::DigestMismatch);
        }
    }
    let Some(loaded) = super::common::load_manifests(
        &args.config.dir,
        args.sandbox.as_ref(),
        "nothing was read or written",
        args.format,
        context,
    )?
    else {
        return Ok(ExitStatus::Error);
    };
    let config = loaded.config.as_ref().expect("loaded without errors");
    let saved = match (&args.planfile, &saved_bytes) {
        (Some(path), Some(bytes)) => Some(read_plan(path, bytes)?),
        _ => None,
    };
    if saved.is_none() && !args.yes && !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "refusing to apply without confirmation: there is no terminal to ask on; pass --yes, or apply a reviewed plan file"
        );
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let (sandbox, endpoints) = match &args.sandbox {
            Some(seed) => {
                let (sandbox, endpoints) = super::common::start_sandbox(seed, config).await?;
                (Some(sandbox), endpoints)
            }
            None => (None, BTreeMap::new()),
        };
        let status = apply_with(args, global, config, &loaded, saved.as_ref(), endpoints).await;
        if let Some(sandbox) = sandbox {
            sandbox.stop().await;
        }
        status
    })
}

async fn apply_with(
    args: &ApplyArgs,
    global: &GlobalArgs,
    config: &manifest::Config,
    loaded: &manifest::Loaded,
    saved: Option<&crate::plan::Plan>,
    endpoints: BTreeMap<String, crate::providers::Endpoint>,
) -> Result<ExitStatus> {
    let mut stderr = crate::output::stderr();
    // Held from the plan to the last read-back: two applies of one
    // configuration at once would both plan from the same state.
    let _lock = match crate::lock::ApplyLock::acquire(&args.config.dir) {
        Ok(lock) => lock,
        Err(e) => {
            writeln!(stderr, "error: {e}; nothing was written")?;
            return Ok(ExitStatus::Error);
        }
    };
    if let Some(warning) = crate::lock::tracked_state_warning(&args.config.dir) {
        writeln!(stderr, "{warning}")?;
    }
    let prepared = match apply::prepare(
        config,
        &loaded.sources,
        &loaded.manifests,
        endpoints,
        saved,
        args.due_only,
    )
    .await
    {
        Ok(p) => p,
        Err(e @ (ApplyError::OtherVersion { .. } | ApplyError::OtherManifests { .. })) => {
            writeln!(stderr, "error: {e}")?;
            return Ok(ExitStatus::Stale);
        }
        Err(ApplyError::Plan(PlanError::Resolution(diags, _))) => {
            super::common::emit_diagnostics(
                args.format,
                &diags,
                &loaded.sources,
                Some("error: the manifests do not match the live systems; nothing was written"),
                super::common::DocStream::Stderr,
            )?;
            return Ok(ExitStatus::Error);
        }
        Err(ApplyError::Plan(PlanError::Provider(e))) => return Err(e.into()),
    };
    super::common::emit_diagnostics(
        args.format,
        &prepared.warnings,
        &loaded.sources,
        None,
        super::common::DocStream::Stderr,
    )?;
    let mut stdout = crate::output::stdout();
    write!(
        stdout,
        "{}",
        render::text(
            &prepared.plan,
            &render::TextOptions {
                color: super::common::stdout_color(),
                show_calls: global.verbose > 0,
                verbose: global.verbose > 0,
            }
        )
    )?;
    stdout.flush()?;
    for s in &prepared.stale {
        if s.moved {
            writeln!(
                stderr,
                "skipped, stale: {} {}: {} (the plan was made against another value; now {})",
                esc(&s.change.provider),
                esc(&s.change.person.email),
                esc(&describe(&s.change)),
                esc(&s.now.to_string())
            )?;
        } else {
            writeln!(
                stderr,
                "skipped: {} {}: {} is not what the manifests ask for against the same live value ({}): the plan file was edited after it was made",
                esc(&s.change.provider),
                esc(&s.change.person.email),
                esc(&describe(&s.change)),
                esc(&s.now.to_string())
            )?;
        }
    }
    if !prepared.unreviewed.is_empty() {
        writeln!(
            stderr,
            "note: {} not in the reviewed plan will not be made; plan again to review them",
            diag::count(prepared.unreviewed.len(), "change")
        )?;
    }
    if prepared.plan.blocked() && (!args.force || prepared.plan.blocked_even_with_force()) {
        for check in prepared.plan.safety.iter().filter(|s| s.blocked) {
            writeln!(
                stderr,
                "error[safety]: {}: {}",
                check.rule,
                esc(&check.message)
            )?;
        }
        writeln!(
            stderr,
            "error: blocked by the safety rules above; nothing was written (review, then re-run with --force to override)"
        )?;
        return Ok(ExitStatus::Blocked);
    }
    if prepared.plan.changes.is_empty() {
        return Ok(if prepared.stale.is_empty() {
            ExitStatus::Success
        } else {
            ExitStatus::Stale
        });
    }
    // The terminal is read on a blocking thread, not on the runtime's.
    let changes = prepared.plan.changes.len();
    if saved.is_none() && !args.yes && !tokio::task::block_in_place(|| confirm(changes))? {
        writeln!(stderr, "Apply cancelled; nothing was written.")?;
        return Ok(ExitStatus::Error);
    }

    let journal_path = match &args.journal {
        Some(path) => path.clone(),
        None => {
            // In `.hrform`, which the lock has already checked is no link.
            let dir = crate::private_file::state_dir(&args.config.dir).with_context(|| {
                format!(
                    "cannot open the journal under {}; nothing was written",
                    args.config.dir.join(".hrform").display()
                )
            })?;
            dir.join("journal.jsonl")
        }
    };
    // Opened, and its first line written, before the first API write: a
    // journal that cannot be written stops apply before anything changes.
    let journal = crate::apply::journal::Journal::open(
        &journal_path,
        apply::people_by_change(&prepared.plan),
        prepared.plan.calls.len(),
    )?;
    let progress = Progress::new(global.quiet, &prepared.plan);
    let sink = |e: Executed| {
        progress.show(&e);
        journal.write(&e);
    };
    let report = apply::execute(&prepared, &sink).await;
    progress.finish();
    let journal_failed = journal.error();
    if let Some(e) = &journal_failed {
        writeln!(
            stderr,
            "error: the journal {} could not be written: {e}; no API write was sent after that",
            journal_path.display()
        )?;
    }

    let applied = report.count(|o| matches!(o, ChangeOutcome::Applied));
    let failed = report.failed();
    let skipped = report.count(|o| matches!(o, ChangeOutcome::Skipped(_)));
    writeln!(stdout)?;
    for (change, outcome) in &report.changes {
        match outcome {
            ChangeOutcome::Applied => {}
            ChangeOutcome::Failed(why) => writeln!(
                stdout,
                "failed   {} {}: {}: {}",
                esc(&change.provider),
                esc(&change.person.email),
                esc(&describe(change)),
                esc(&why.to_string())
            )?,
            ChangeOutcome::Skipped(why) => writeln!(
                stdout,
                "skipped  {} {}: {}: {}",
                esc(&change.provider),
                esc(&change.person.email),
                esc(&describe(change)),
                esc(&why.to_string())
            )?,
        }
    }
    // In the words of the plan's summary, so the two can be compared.
    let planned = render::summary_line(&prepared.plan);
    writeln!(
        stdout,
        "Apply: {applied} applied, {failed} failed, {} skipped; planned: {}; {} API requests, reads included. Journal: {}",
        skipped + prepared.stale.len(),
        planned.trim_start_matches("Plan: ").trim_end_matches('.'),
        report.requests,
        journal_path.display()
    )?;
    stdout.flush()?;
    Ok(if failed > 0 || skipped > 0 || journal_failed.is_some() {
        ExitStatus::Partial
    } else if !prepared.stale.is_empty() {
        ExitStatus::Stale
    } else {
        ExitStatus::Success
    })
}

/// A change in a few words.
fn describe(change: &crate::model::Change) -> String {
    use crate::model::ChangeKind;
    match &change.kind {
        ChangeKind::Status { from, to, .. } => format!("status {from} → {to}"),
        ChangeKind::Assign { policy, .. } => format!("assign {}", policy.name),
        ChangeKind::Balance {
            policy,
            from,
            to,
            unit,
            ..
        } => format!(
            "{} {} → {to} {unit}",
            policy.name,
            from.map_or_else(|| "none".to_owned(), |f| f.to_string())
        ),
        ChangeKind::CreateRequest { key, .. } => format!("create request {key}"),
        ChangeKind::UpdateRequest { key, .. } => format!("update request {key}"),
        ChangeKind::DenyRequest { key, .. } => format!("deny request {key}"),
    }
}

fn read_plan(path: &Path, bytes: &[u8]) -> Result<crate::plan::Plan> {
    let plan: crate::plan::Plan = serde_json::from_slice(bytes).with_context(|| {
        format!(
            "{} is not an hrform plan (expected the JSON of `hrform plan --out`)",
            path.display()
        )
    })?;
    anyhow::ensure!(
        plan.appliable(),
        "{}: the plan has {} between the manifests and the live systems; fix them and plan again",
        path.display(),
        diag::count(plan.errors, "error")
    );
    anyhow::ensure!(
        plan.format_version == crate::plan::FORMAT_VERSION,
        "{}: plan format {} is not the format {} this hrform reads; plan again",
        path.display(),
        plan.format_version,
        crate::plan::FORMAT_VERSION
    );
    Ok(plan)
}

/// Ask on the terminal; only `yes` goes ahead.
fn confirm(changes: usize) -> Result<bool> {
    let mut stderr = crate::output::stderr();
    write!(
        stderr,
        "\nApply {}? Only `yes` is accepted: ",
        diag::count(changes, "change")
    )?;
    stderr.flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim() == "yes")
}

/// Progress in changes and people, not HTTP requests (a change may take
/// several calls, a call may make several changes, and read-backs are
/// calls too): a bar on a terminal, plain lines otherwise, nothing with `-q`.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    /// Change id → (provider, person id), to count people.
    people_of: std::collections::HashMap<usize, (String, String)>,
    done: Mutex<std::collections::BTreeSet<usize>>,
    total: usize,
    total_people: usize,
}

impl Progress {
    fn new(quiet: bool, plan: &crate::plan::Plan) -> Self {
        let total = plan.changes.len();
        let people_of: std::collections::HashMap<usize, (String, String)> = plan
            .changes
            .iter()
            .map(|c| (c.id, (c.provider.clone(), c.person.id.clone())))
            .collect();
        let mut people: Vec<&(String, String)> = people_of.values().collect();
        people.sort();
        people.dedup();
        let total_people = people.len();
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} changes {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Self {
            bar,
            quiet,
            people_of,
            done: Mutex::new(std::collections::BTreeSet::new()),
            total,
            total_people,
        }
    }

    fn show(&self, e: &Executed) {
        if self.quiet {
            return;
        }
        let word = match &e.outcome {
            Outcome::Applied => "applied",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Unclear { .. } => "unclear, checking",
        };
        let (changes, people) = {
            let mut done = self.done.lock().expect("progress lock");
            if !matches!(e.outcome, Outcome::Unclear { .. }) {
                done.extend(
                    e.call
                        .changes
                        .iter()
                        .filter(|id| self.people_of.contains_key(id)),
                );
            }
            let mut people: Vec<&(String, String)> = done
                .iter()
                .filter_map(|id| self.people_of.get(id))
                .collect();
            people.sort();
            people.dedup();
            (done.len(), people.len())
        };
        // The path only: a query can be long and says nothing to a reader.
        let path = e.call.path.split('?').next().unwrap_or_default();
        match &self.bar {
            Some(bar) => {
                bar.set_position(changes as u64);
                bar.set_message(format!("{} {}", esc(&e.call.provider), word));
            }
            None => {
                let _ = writeln!(
                    crate::output::stderr(),
                    "[{changes}/{} changes, {people}/{} people] {} {} {} {word}",
                    self.total,
                    self.total_people,
                    esc(&e.call.provider),
                    e.call.method,
                    esc(path)
                );
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
