//! The plan: what apply would do, as one model rendered three ways.
//!
//! Owns deriving the plan from the manifests and what was read ([`derive`],
//! a pure function): diffing each provider against the manifests (`diff`),
//! turning changes into calls (through `vendors`, the only modules that
//! know the wire), the safety rules, `--target` filtering, and the
//! versioned plan document saved by `--out`. What to read is
//! [`read_scope`]; the reading itself is the shell's. Rendering lives in
//! `render`.

pub mod balance;
pub mod comment;
pub mod dated;
pub mod diff;
pub mod digest;
pub mod identity;
pub mod render;
pub mod requests;
pub mod safety;
pub mod strategy;
pub mod targets;

mod scope;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::diag::{Diagnostic, Sources};
use crate::manifest::Config;
use crate::manifest::checked::{self, ProviderKind, UnmanagedUsersSetting};
use crate::model::{Call, Change, ChangeKind, LiveState, LiveStatus, ReadScope};
pub use safety::SafetyCheck;
pub use scope::{previous_year_people, read_scope};
pub use targets::{Target, selected};

/// The version of the plan's JSON format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 2;

/// A plan: the changes apply would make and the exact calls that make them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "hrform plan")]
pub struct Plan {
    /// The version of this document's format.
    pub format_version: u32,
    /// The hrform version that made the plan; apply refuses a plan made by another.
    pub hrform_version: String,
    /// SHA-256 of the manifests the plan was made from (paths and contents).
    pub manifests_hash: String,
    /// The providers read, in name order.
    pub providers: Vec<ProviderSummary>,
    /// Every change, grouped by provider in the order apply makes them.
    pub changes: Vec<Change>,
    /// The API calls that realise the changes, in order.
    pub calls: Vec<Call>,
    /// People in a provider but in no manifest (with `unmanaged_users: report | deactivate`).
    pub unmanaged: Vec<Unmanaged>,
    /// Every safety rule that applies, with its numbers, over the whole plan.
    pub safety: Vec<SafetyCheck>,
    /// The `--target` selectors the plan was limited to (empty: everything).
    pub targets: Vec<String>,
    pub summary: Summary,
    /// Dated changes ahead, within `settings.schedule_horizon_days`: each
    /// with its day and no call (they are planned on the day).
    #[serde(default)]
    pub scheduled: Vec<dated::Scheduled>,
    /// With `apply --due-only`: the differences that are not due to a
    /// declared date, reported and not applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drift: Vec<Change>,
    /// Errors between the manifests and the live systems. Not zero: the
    /// plan shows what it could derive for everyone else, and can be
    /// neither saved nor applied.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub errors: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One provider as read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderSummary {
    pub name: String,
    /// `clockify` or `connecteam`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many read calls the plan made to it.
    pub read_calls: usize,
}

/// A person in a provider but in no manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Unmanaged {
    pub provider: String,
    pub id: String,
    pub email: String,
    /// The display name the HR system holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub status: LiveStatus,
    /// Whether the plan deactivates them (`unmanaged_users: deactivate`).
    pub deactivate: bool,
}

/// Counts for the closing line.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    /// People with at least one change.
    pub people: usize,
    pub changes: usize,
    pub calls: usize,
    /// Calls by HTTP method.
    pub calls_by_method: BTreeMap<String, usize>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// Whether apply may make this plan: not while errors remain.
    pub fn appliable(&self) -> bool {
        self.errors == 0
    }

    /// Whether a safety rule blocks this plan (apply needs `--force`).
    pub fn blocked(&self) -> bool {
        self.safety.iter().any(|s| s.blocked)
    }

    /// Whether a rule blocks it that `--force` does not override.
    pub fn blocked_even_with_force(&self) -> bool {
        self.safety.iter().any(|s| s.blocked && !s.overridable)
    }
}

/// Options of one planning run.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--target` selectors.
    pub targets: Vec<Target>,
    /// [`manifests_hash`] of the manifests the plan is made from.
    pub manifests_hash: String,
    /// Only the changes due because a declared date arrived; the rest is
    /// drift, reported in [`Plan::drift`].
    pub due_only: bool,
}

/// What was read for a plan: each provider's live state, and for each
/// provider whose previous leave year's usage was read, that year.
#[derive(Debug, Clone, Default)]
pub struct Live {
    pub states: BTreeMap<String, LiveState>,
    pub previous_year: BTreeMap<String, checked::LeaveYear>,
}

/// The plan that brings the live systems (`live`, read as [`read_scope`]
/// and [`previous_year_people`] say) to the manifests (`config`), on
/// `today`: each person as their dates make them on that day
/// ([`dated::user_on`]), with the dated changes ahead in `scheduled`. Any
/// error is among the diagnostics; the plan then holds what could be
/// derived for everyone else (see [`Plan::appliable`]).
pub fn derive(
    config: &Config,
    live: &Live,
    today: jiff::civil::Date,
    options: &PlanOptions,
) -> (Plan, Vec<Diagnostic>) {
    let on = dated::config_on(config, today);
    let before = options.due_only.then(|| {
        let before = dated::config_before_due(config, today);
        let (changes, _, _) = provider_changes(&before, live, today);
        changes
    });
    let (mut plan, diagnostics) = derive_on(&on, live, today, options, before.as_deref());
    // The dates that decide a status, for the plan to say why.
    for change in plan.changes.iter_mut().chain(plan.drift.iter_mut()) {
        if let ChangeKind::Status { reason, .. } = &mut change.kind {
            let email = crate::mailbox::key(&change.person.email);
            *reason = config
                .users
                .iter()
                .find(|u| u.provider == change.provider && u.email.key() == email)
                .and_then(|u| dated::status_reason(u, today));
        }
    }
    plan.scheduled = dated::scheduled(config, today);
    (plan, diagnostics)
}

/// Every change of every provider for `config` as it stands (its people
/// already as of the day), with the unmanaged people and the diagnostics.
fn provider_changes(
    config: &Config,
    live: &Live,
    today: jiff::civil::Date,
) -> (Vec<Change>, Vec<Unmanaged>, Vec<Diagnostic>) {
    let settings = &config.settings;
    let leave_year = checked::LeaveYear::containing(today, settings.leave_year_start);
    let carry = carry_over(config);
    let mut diagnostics = Vec::new();
    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    for (name, provider) in &config.providers {
        let state = &live.states[name];
        let vendor = provider.kind.vendor();
        let users: Vec<_> = config
            .users
            .iter()
            .filter(|u| &u.provider == name)
            .collect();
        let declared: Vec<(&crate::manifest::checked::Email, crate::diag::Loc)> = users
            .iter()
            .map(|u| (&u.email, u.loc))
            .chain(
                config
                    .requests
                    .iter()
                    .filter(|r| &r.provider == name)
                    .map(|r| (&r.user, r.loc)),
            )
            .collect();
        diagnostics.extend(identity::ambiguous_people(name, state, &declared));
        let has_expiration = has_expiration(config, name);
        let deactivate = settings.unmanaged_users == UnmanagedUsersSetting::Deactivate;
        let mut leave = balance::Leave::new(
            leave_year,
            live.previous_year.get(name).copied(),
            &carry[name],
        );
        leave.joined = joined(&users, leave_year);
        let mut d = diff::diff_provider(
            name,
            vendor,
            &users,
            state,
            &has_expiration,
            diff::UnmanagedRule {
                deactivate,
                protected: &settings.safety.protected_users,
            },
            &leave,
        );
        diagnostics.append(&mut d.diagnostics);
        let requests: Vec<_> = config
            .requests
            .iter()
            .filter(|r| &r.provider == name)
            .collect();
        if !requests.is_empty() {
            // People named only by requests are managed, not unmanaged.
            let named: std::collections::HashSet<&str> =
                requests.iter().map(|r| r.user.key()).collect();
            let spared: Vec<String> = d
                .unmanaged
                .iter()
                .filter(|p| named.contains(crate::mailbox::key(&p.email).as_str()))
                .map(|p| p.id.clone())
                .collect();
            d.unmanaged.retain(|p| !spared.contains(&p.id));
            d.changes.retain(|c| !spared.contains(&c.person.id));
            let mut r = requests::diff_requests(name, &requests, &users, state, settings);
            diagnostics.append(&mut r.diagnostics);
            d.changes.append(&mut r.changes);
        }
        order(&mut d.changes);
        if settings.unmanaged_users != UnmanagedUsersSetting::Ignore {
            unmanaged.extend(d.unmanaged.iter().map(|p| {
                Unmanaged {
                    provider: name.clone(),
                    id: p.id.clone(),
                    email: p.email.clone(),
                    name: p.name.clone(),
                    status: p.status,
                    deactivate: d.changes.iter().any(|c| {
                        c.person.id == p.id && matches!(c.kind, ChangeKind::Status { .. })
                    }),
                }
            }));
        }
        changes.extend(d.changes);
    }
    // A protected email that names nobody in any system protects nothing:
    // most likely a typo, or a person who left.
    for email in &settings.safety.protected_users {
        let somewhere = live.states.values().any(|state| {
            state
                .people
                .iter()
                .any(|p| crate::mailbox::key(&p.email) == email.key())
        });
        if !somewhere {
            diagnostics.push(
                Diagnostic::warning(
                    crate::diag::Code::ProtectedUserNotFound,
                    format!(
                        "settings.safety.protected_users: `{email}` is in no provider ({})",
                        config
                            .providers
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
                .help("check the spelling, or remove the entry"),
            );
        }
    }
    crate::diag::sort(&mut diagnostics);
    (changes, unmanaged, diagnostics)
}

/// The plan for `config` (its people already as of `today`). `before`:
/// with `--due-only`, the changes of the config before the dates that fell
/// due; a change among them is drift, not due.
fn derive_on(
    config: &Config,
    live: &Live,
    today: jiff::civil::Date,
    options: &PlanOptions,
    before: Option<&[Change]>,
) -> (Plan, Vec<Diagnostic>) {
    let (mut changes, mut unmanaged, diagnostics) = provider_changes(config, live, today);
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        // The rest of the plan still shows (it cannot be applied), except
        // the deactivation of people in no manifest: a mistyped or unknown
        // email leaves the person it meant "unmanaged", and the plan must
        // not show them leaving. They are reported only.
        let unmanaged_ids: std::collections::HashSet<(&str, &str)> = unmanaged
            .iter()
            .map(|u| (u.provider.as_str(), u.id.as_str()))
            .collect();
        changes.retain(|c| {
            !(matches!(c.kind, ChangeKind::Status { .. })
                && unmanaged_ids.contains(&(c.provider.as_str(), c.person.id.as_str())))
        });
        for u in &mut unmanaged {
            u.deactivate = false;
        }
    }
    let mut drift = Vec::new();
    if let Some(before) = before {
        let (due, not_due): (Vec<Change>, Vec<Change>) = changes
            .into_iter()
            .partition(|c| !before.iter().any(|b| same_change(b, c)));
        changes = due;
        drift = not_due;
    }
    for (i, change) in changes.iter_mut().enumerate() {
        change.id = i;
    }
    provenance(config, &mut changes);
    // Safety is judged on the whole plan, whatever the targets.
    let safety = safety::evaluate(&config.settings.safety, &changes, &live.states);
    let changes: Vec<Change> = changes
        .into_iter()
        .filter(|c| selected(c, &options.targets))
        .collect();

    let calls = calls(config, &changes, &live.states);
    let providers = config
        .providers
        .iter()
        .map(|(name, p)| ProviderSummary {
            name: name.clone(),
            kind: p.kind.type_name().to_owned(),
            read_calls: live.states[name].read_calls,
        })
        .collect();
    let summary = summarise(&changes, &calls);
    let plan = Plan {
        format_version: FORMAT_VERSION,
        hrform_version: env!("CARGO_PKG_VERSION").to_owned(),
        manifests_hash: options.manifests_hash.clone(),
        providers,
        changes,
        calls,
        unmanaged,
        safety,
        targets: options.targets.iter().map(Target::to_string).collect(),
        summary,
        scheduled: Vec::new(),
        drift,
        errors,
    };
    (plan, diagnostics)
}

/// One change, whatever its number in its plan.
fn same_change(a: &Change, b: &Change) -> bool {
    a.provider == b.provider && a.person == b.person && a.kind == b.kind
}

/// The people (email keys) whose start date falls in `year`.
fn joined(
    users: &[&checked::User],
    year: checked::LeaveYear,
) -> std::collections::BTreeSet<String> {
    users
        .iter()
        .filter(|u| u.start_date.is_some_and(|s| year.contains(s)))
        .map(|u| u.email.key().to_owned())
        .collect()
}

/// The calls that realise `changes`, provider by provider (in name
/// order), each built by its vendor against the state read of it.
pub fn calls(
    config: &Config,
    changes: &[Change],
    states: &BTreeMap<String, LiveState>,
) -> Vec<Call> {
    let mut calls = Vec::new();
    for (name, provider) in &config.providers {
        let mine: Vec<Change> = changes
            .iter()
            .filter(|c| &c.provider == name)
            .cloned()
            .collect();
        // Every provider with changes was read: its state is there.
        if !mine.is_empty() {
            calls.extend(crate::vendors::calls(
                provider,
                &config.policies,
                &mine,
                &states[name],
            ));
        }
    }
    calls
}

/// The leave year today (decided once, when the manifests were checked,
/// in the settings' timezone) falls in.
pub fn leave_year(config: &Config) -> checked::LeaveYear {
    checked::LeaveYear::containing(config.today, config.settings.leave_year_start)
}

/// Provider name → its policies declared `carry_over`.
pub fn carry_over(config: &Config) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut out: BTreeMap<String, std::collections::BTreeSet<String>> = config
        .providers
        .keys()
        .map(|p| (p.clone(), Default::default()))
        .collect();
    for ((provider, policy), s) in &config.policies {
        if s.carry_over {
            out.entry(provider.clone())
                .or_default()
                .insert(policy.clone());
        }
    }
    out
}

/// Clockify policy name → declared `has_expiration`, for one provider.
pub fn has_expiration(config: &Config, provider: &str) -> BTreeMap<String, bool> {
    config
        .policies
        .iter()
        .filter(|((p, _), _)| p == provider)
        .filter_map(|((_, policy), s)| s.has_expiration.map(|h| (policy.clone(), h)))
        .collect()
}

/// The design's order within a provider: activate, assign, set balances,
/// (requests), deactivate; then by person and policy.
fn order(changes: &mut [Change]) {
    fn policy(kind: &ChangeKind) -> &str {
        match kind {
            ChangeKind::Assign { policy, .. } | ChangeKind::Balance { policy, .. } => &policy.name,
            ChangeKind::CreateRequest { key, .. }
            | ChangeKind::UpdateRequest { key, .. }
            | ChangeKind::DenyRequest { key, .. } => key,
            ChangeKind::Status { .. } => "",
        }
    }
    changes.sort_by(|a, b| {
        a.kind
            .phase()
            .cmp(&b.kind.phase())
            .then_with(|| {
                a.person
                    .email
                    .to_ascii_lowercase()
                    .cmp(&b.person.email.to_ascii_lowercase())
            })
            .then_with(|| policy(&a.kind).cmp(policy(&b.kind)))
    });
}

pub fn summarise(changes: &[Change], calls: &[Call]) -> Summary {
    let mut people: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c.provider.as_str(), c.person.id.as_str()))
        .collect();
    people.sort_unstable();
    people.dedup();
    let mut calls_by_method = BTreeMap::new();
    for call in calls {
        *calls_by_method.entry(call.method.to_string()).or_insert(0) += 1;
    }
    Summary {
        people: people.len(),
        changes: changes.len(),
        calls: calls.len(),
        calls_by_method,
    }
}

/// SHA-256 over the manifests' paths and contents, in load order.
pub fn manifests_hash(
    sources: &Sources,
    manifests: &[(std::path::PathBuf, crate::diag::FileId)],
) -> String {
    let mut hasher = Sha256::new();
    for (path, id) in manifests {
        // Paths relative to the configuration directory, with `/`, so the
        // hash does not depend on where hrform runs from.
        let path = path.to_string_lossy().replace('\\', "/");
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        let text = sources.text(*id);
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    let digest = hasher.finalize();
    let mut hex = String::with_capacity(64);
    for byte in digest {
        use std::fmt::Write as _;
        let _ = write!(hex, "{byte:02x}");
    }
    format!("sha256:{hex}")
}

/// The plan's JSON Schema (draft-07).
pub fn schema() -> schemars::Schema {
    schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Plan>()
}

/// Fill each change's `because`: a status change comes from where the
/// person is declared, a policy's from what gives the policy.
fn provenance(config: &Config, changes: &mut [Change]) {
    let people: std::collections::HashMap<(&str, &str), &checked::User> = config
        .users
        .iter()
        .map(|u| ((u.provider.as_str(), u.email.key()), u))
        .collect();
    for c in changes {
        let key = crate::mailbox::key(&c.person.email);
        let Some(user) = people.get(&(c.provider.as_str(), key.as_str())) else {
            continue;
        };
        let policy = match &c.kind {
            ChangeKind::Assign { policy, .. } | ChangeKind::Balance { policy, .. } => Some(policy),
            _ => None,
        };
        let entry = policy.and_then(|p| {
            user.time_off.iter().find(|t| {
                t.policy == p.name && (t.policy_type.is_none() || t.policy_type == p.policy_type)
            })
        });
        c.because = match (policy, entry) {
            (Some(_), Some(t)) if !t.because.is_empty() => {
                t.because.iter().map(ToString::to_string).collect()
            }
            (None, _) if !matches!(c.kind, ChangeKind::Status { .. }) => continue,
            _ => user.because.iter().map(ToString::to_string).collect(),
        };
    }
}
