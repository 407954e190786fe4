//! Apply: make the planned calls, and only those.
//!
//! Owns checking a saved plan against the manifests and the hrform version,
//! checking each change's precondition against a fresh read (a change whose
//! live value moved is skipped as stale), running each provider's changes in
//! the design's phases (activate, assign, balances, deactivate) with
//! dependent changes skipped when what they depend on failed, and the
//! per-change outcome the report and exit code come from. The writes
//! themselves, their retries and read-backs, are the provider modules'.

pub(crate) mod journal;

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::diag::{Diagnostic, Sources};
use crate::manifest::Config;
use crate::model::{Change, ChangeKind, LiveState, Phase};
use crate::plan::{self, Plan, PlanError, PlanOptions, Session};
use crate::providers::{Endpoint, Executed, Outcome, ProviderWriter, Sink};

/// The capability to write. Every constructor of anything that sends a
/// write ([`crate::http::Writer::for_apply`], the vendor writers,
/// `ProviderWriter`) takes one. Its field is private to this module, so only
/// apply (and its submodules) can make one: plan code holds readers only,
/// and cannot write by construction — the compiler checks it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WriteAccess(());

/// Why apply could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The plan file was made by another hrform.
    #[error(
        "the plan file was made by hrform {found}, and this is hrform {ours}; run `hrform plan --out` again"
    )]
    OtherVersion { found: String, ours: String },
    /// The plan file was made from other manifests.
    #[error(
        "the plan file was made from other manifests ({found}; now {now}); run `hrform plan --out` again and have it reviewed"
    )]
    OtherManifests { found: String, now: String },
}

/// A reviewed change whose live value moved since the plan was made.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stale {
    pub change: Change,
    /// What the live system holds now.
    pub now: String,
    /// Whether the live value moved. `false`: the live value is the one the
    /// reviewed change was computed against, but the change is not what the
    /// manifests ask for now (the plan file was edited).
    pub moved: bool,
}

/// What apply is about to do.
pub(crate) struct Prepared {
    /// The changes to apply (with the calls apply would make).
    pub plan: Plan,
    pub warnings: Vec<Diagnostic>,
    /// Reviewed changes skipped because their precondition no longer holds.
    pub stale: Vec<Stale>,
    /// Changes a fresh plan shows that the reviewed plan did not: not made.
    pub unreviewed: Vec<Change>,
    session: Session,
}

/// Plan afresh; with a saved plan, keep only its changes whose precondition
/// still holds.
pub(crate) async fn prepare(
    config: &Config,
    sources: &Sources,
    manifests: &[(std::path::PathBuf, crate::diag::FileId)],
    endpoints: BTreeMap<String, Endpoint>,
    saved: Option<&Plan>,
    due_only: bool,
) -> Result<Prepared, ApplyError> {
    if let Some(saved) = saved {
        let ours = env!("CARGO_PKG_VERSION");
        if saved.hrform_version != ours {
            return Err(ApplyError::OtherVersion {
                found: saved.hrform_version.clone(),
                ours: ours.to_owned(),
            });
        }
        let now = plan::manifests_hash(sources, manifests);
        if saved.manifests_hash != now {
            return Err(ApplyError::OtherManifests {
                found: saved.manifests_hash.clone(),
                now,
            });
        }
    }
    let options = PlanOptions {
        // A saved plan's selectors, as `plan --target` parsed them.
        targets: saved
            .map(|p| p.targets.iter().filter_map(|t| t.parse().ok()).collect())
            .unwrap_or_default(),
        due_only,
        ..PlanOptions::default()
    };
    let (fresh, warnings, session) =
        plan::plan_session(config, sources, manifests, endpoints, &options).await?;
    let Some(saved) = saved else {
        return Ok(Prepared {
            plan: fresh,
            warnings,
            stale: Vec::new(),
            unreviewed: Vec::new(),
            session,
        });
    };
    let mut keep = Vec::new();
    let mut stale = Vec::new();
    for change in &saved.changes {
        match fresh.changes.iter().find(|f| same_change(f, change)) {
            Some(f) => keep.push(f.clone()),
            None => stale.push(Stale {
                // A plan file names its providers; a tampered one may name
                // a provider the manifests do not declare.
                now: session.live.get(&change.provider).map_or_else(
                    || format!("provider `{}` is not in the manifests", change.provider),
                    |live| live_now(change, live),
                ),
                moved: !fresh.changes.iter().any(|f| same_precondition(f, change)),
                change: change.clone(),
            }),
        }
    }
    let unreviewed = fresh
        .changes
        .iter()
        .filter(|f| !saved.changes.iter().any(|c| same_change(f, c)))
        .cloned()
        .collect();
    let mut plan = fresh;
    plan.changes = keep;
    plan.calls = plan::calls(config, &plan.changes, &session.live);
    plan.summary = plan::summarise(&plan.changes, &plan.calls);
    Ok(Prepared {
        plan,
        warnings,
        stale,
        unreviewed,
        session,
    })
}

/// The same change computed against the same live value. Amounts are
/// exact decimals, so the whole change must be equal: a balance change
/// also carries the usage it was computed with, so leave taken since the
/// plan makes it stale.
fn same_change(a: &Change, b: &Change) -> bool {
    a.provider == b.provider && a.person.same(&b.person) && a.kind == b.kind
}

/// Two changes about the same thing, computed against the same live value
/// (whatever their targets).
fn same_precondition(a: &Change, b: &Change) -> bool {
    if a.provider != b.provider || !a.person.same(&b.person) {
        return false;
    }
    match (&a.kind, &b.kind) {
        (ChangeKind::Status { from: f1, .. }, ChangeKind::Status { from: f2, .. }) => f1 == f2,
        (
            ChangeKind::Assign {
                policy: p1,
                replaces: r1,
                ..
            },
            ChangeKind::Assign {
                policy: p2,
                replaces: r2,
                ..
            },
        ) => p1 == p2 && r1 == r2,
        (
            ChangeKind::Balance {
                policy: p1,
                from: f1,
                used: u1,
                ..
            },
            ChangeKind::Balance {
                policy: p2,
                from: f2,
                used: u2,
                ..
            },
        ) => p1 == p2 && f1 == f2 && u1 == u2,
        (
            ChangeKind::UpdateRequest {
                key: k1,
                request: r1,
                ..
            },
            ChangeKind::UpdateRequest {
                key: k2,
                request: r2,
                ..
            },
        )
        | (
            ChangeKind::DenyRequest {
                key: k1,
                request: r1,
                ..
            },
            ChangeKind::DenyRequest {
                key: k2,
                request: r2,
                ..
            },
        ) => k1 == k2 && r1 == r2,
        (ChangeKind::CreateRequest { key: k1, .. }, ChangeKind::CreateRequest { key: k2, .. }) => {
            k1 == k2
        }
        _ => false,
    }
}

/// What the live system holds now for the thing `change` is about.
fn live_now(change: &Change, live: &LiveState) -> String {
    let person = live.people.iter().find(|p| p.id == change.person.id);
    match &change.kind {
        ChangeKind::Status { .. } => person.map_or_else(
            || "the person is gone".to_owned(),
            |p| format!("status {}", p.status),
        ),
        ChangeKind::CreateRequest { key, .. }
        | ChangeKind::UpdateRequest { key, .. }
        | ChangeKind::DenyRequest { key, .. } => {
            let marked = live.requests.iter().find(|r| {
                r.manager_note.as_deref().and_then(crate::model::marker_key) == Some(key.as_str())
            });
            match marked {
                Some(r) => format!(
                    "request {} {} → {} ({})",
                    r.id, r.start_date, r.end_date, r.status
                ),
                None => format!("no request marked {key}"),
            }
        }
        ChangeKind::Assign { policy, .. } | ChangeKind::Balance { policy, .. } => {
            let held = live
                .holdings
                .iter()
                .find(|h| h.person == change.person.id && h.policy == policy.id);
            match held {
                None => format!("not on {}", policy.name),
                Some(h) => match (h.balance, h.used) {
                    (Some(b), Some(u)) => format!("on {} with {b} (used {u})", policy.name),
                    (Some(b), None) => format!("on {} with {b}", policy.name),
                    (None, _) => format!("on {} (no balance)", policy.name),
                },
            }
        }
    }
}

/// How one change ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ChangeOutcome {
    Applied,
    Failed(String),
    Skipped(String),
}

/// The result of a run.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// Every change apply set out to make, with how it ended, in plan order.
    pub changes: Vec<(Change, ChangeOutcome)>,
    /// Requests sent, reads included (retries included).
    pub requests: usize,
}

impl Report {
    pub(crate) fn count(&self, f: impl Fn(&ChangeOutcome) -> bool) -> usize {
        self.changes.iter().filter(|(_, o)| f(o)).count()
    }
    pub(crate) fn failed(&self) -> usize {
        self.count(|o| matches!(o, ChangeOutcome::Failed(_)))
    }
}

/// Make the prepared changes, providers in parallel, reporting every call
/// to `sink` as it ends.
pub(crate) async fn execute(prepared: &Prepared, sink: Sink<'_>) -> Report {
    let records: Mutex<Vec<Executed>> = Mutex::new(Vec::new());
    let collect = |e: Executed| {
        sink(e.clone());
        records.lock().expect("records lock").push(e);
    };
    let collect: Sink<'_> = &collect;
    let runs = prepared.session.clients.iter().map(|(name, client)| {
        let records = &records;
        async move {
            let writer = ProviderWriter::new(client, WriteAccess(()));
            let live = &prepared.session.live[name];
            for phase_now in Phase::ALL {
                // What earlier phases achieved, once per phase.
                let done = outcomes(&records.lock().expect("records lock"));
                let mut todo: Vec<Change> = Vec::new();
                let mut blocked: Vec<(Change, String)> = Vec::new();
                for change in prepared
                    .plan
                    .changes
                    .iter()
                    .filter(|c| &c.provider == name && c.kind.phase() == phase_now)
                {
                    match depends_on_failure(change, &prepared.plan.changes, &done) {
                        Some(why) => blocked.push((change.clone(), why)),
                        None => todo.push(change.clone()),
                    }
                }
                for (change, why) in blocked {
                    for call in client.calls(std::slice::from_ref(&change), live) {
                        collect(Executed {
                            call,
                            outcome: Outcome::Skipped {
                                reason: why.clone(),
                            },
                        });
                    }
                }
                if !todo.is_empty() {
                    writer.run_phase(&todo, live, collect).await;
                }
            }
        }
    });
    futures_util::future::join_all(runs).await;

    let records = records.into_inner().expect("records lock");
    let outcomes = outcomes(&records);
    let changes = prepared
        .plan
        .changes
        .iter()
        .map(|c| {
            let outcome = outcomes.get(&c.id).cloned().unwrap_or_else(|| {
                ChangeOutcome::Failed("no call was made for this change".to_owned())
            });
            (c.clone(), outcome)
        })
        .collect();
    let requests = prepared
        .session
        .clients
        .values()
        .map(|c| c.requests())
        .sum();
    Report { changes, requests }
}

/// Each change's outcome: the last call record that names it decides.
fn outcomes(records: &[Executed]) -> HashMap<usize, ChangeOutcome> {
    let mut out = HashMap::new();
    for r in records {
        let outcome = match &r.outcome {
            Outcome::Applied => ChangeOutcome::Applied,
            Outcome::Failed { message, .. } => ChangeOutcome::Failed(message.clone()),
            Outcome::Unclear { message } => ChangeOutcome::Failed(format!(
                "{message} (it may have taken effect; plan again to see)"
            )),
            Outcome::Skipped { reason } => ChangeOutcome::Skipped(reason.clone()),
        };
        for id in &r.call.changes {
            out.insert(*id, outcome.clone());
        }
    }
    out
}

/// A balance on a policy depends on the assignment to it in the same run.
fn depends_on_failure(
    change: &Change,
    all: &[Change],
    done: &HashMap<usize, ChangeOutcome>,
) -> Option<String> {
    let ChangeKind::Balance { policy, .. } = &change.kind else {
        return None;
    };
    let assign = all.iter().find(|c| {
        c.provider == change.provider
            && c.person.id == change.person.id
            && matches!(&c.kind, ChangeKind::Assign { policy: p, .. } if p.id == policy.id)
    })?;
    match done.get(&assign.id) {
        Some(ChangeOutcome::Applied) => None,
        _ => Some(format!(
            "the assignment to {} it depends on was not made",
            policy.name
        )),
    }
}

/// Changes by id, for naming people in the journal.
pub(crate) fn people_by_change(plan: &Plan) -> HashMap<usize, String> {
    plan.changes
        .iter()
        .map(|c| (c.id, c.person.email.clone()))
        .collect()
}
