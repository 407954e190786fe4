//! Reading for a plan: one read-only client per provider, each reading
//! what the core's `plan::read_scope` asks for (in parallel), then the
//! previous leave year's usage where the diff needs it. The reads make a
//! [`Live`]; the plan itself is the core's pure `plan::derive`. Before
//! reading, the calls and time are estimated (said when long, or with
//! `-v`); after, `-v` says how each list was read (`read strategy:` lines).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hrform_core::plan::{self, Live, Plan, PlanOptions};

use super::Session;
use crate::diag::{Diagnostic, Sources};
use crate::manifest::Config;
use crate::model::{LiveState, ReadScope};
use crate::providers::{Endpoint, ProviderClient, ProviderError};

/// Why planning failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The manifests do not resolve against the live systems: the
    /// diagnostics, and the plan of everything else (not appliable).
    #[error("the manifests do not match the live systems ({} errors)", .0.iter().filter(|d| d.is_error()).count())]
    Resolution(Vec<Diagnostic>, Box<Plan>),
}

/// Read every provider, diff, and build the plan.
///
/// `endpoints`: where each provider is (by provider name).
pub(crate) async fn make_plan(
    config: &Config,
    sources: &Sources,
    manifests: &[(std::path::PathBuf, crate::diag::FileId)],
    endpoints: BTreeMap<String, Endpoint>,
    options: &PlanOptions,
) -> Result<(Plan, Vec<Diagnostic>), PlanError> {
    let (plan, warnings, _) = plan_session(config, sources, manifests, endpoints, options).await?;
    Ok((plan, warnings))
}

/// [`make_plan`], keeping the clients and the live state for apply.
pub(crate) async fn plan_session(
    config: &Config,
    sources: &Sources,
    manifests: &[(std::path::PathBuf, crate::diag::FileId)],
    endpoints: BTreeMap<String, Endpoint>,
    options: &PlanOptions,
) -> Result<(Plan, Vec<Diagnostic>, Session), PlanError> {
    // "Today" is read once (when the manifests were checked): the leave
    // year read and the one diffed agree even when the run crosses midnight.
    let today = config.today;
    // `--target` of people alone reads only theirs, when that cannot
    // change the plan's verdict (`strategy::targeted`).
    let narrowed = plan::strategy::targeted(config, &options.targets);
    let config = narrowed.as_ref().unwrap_or(config);
    let (clients, live) = read(config, sources, endpoints, today).await?;
    let options = PlanOptions {
        manifests_hash: plan::manifests_hash(sources, manifests),
        ..options.clone()
    };
    let (plan, diagnostics) = plan::derive(config, &live, today, &options);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(PlanError::Resolution(diagnostics, Box::new(plan)));
    }
    let session = Session {
        clients,
        live: live.states,
    };
    Ok((plan, diagnostics, session))
}

/// `-v` and above: say how each list is read, and always the estimate.
static VERBOSE: AtomicBool = AtomicBool::new(false);

/// Set once at the edge, from `-v`.
pub(crate) fn set_verbose(verbose: bool) {
    VERBOSE.store(verbose, Ordering::Relaxed);
}

fn verbose() -> bool {
    VERBOSE.load(Ordering::Relaxed)
}

/// Estimates above this many seconds are said without `-v`.
const ESTIMATE_SAID_ABOVE: f64 = 5.0;

/// The calls and time a provider's read is expected to take at its
/// declared rate, on stderr when long (always with `-v`):
/// `estimate: provider=NAME calls=N seconds=S` (`calls>=N` when the
/// account's size is not known before reading).
fn announce_estimate(provider: &crate::manifest::checked::Provider, scope: &ReadScope) {
    use crate::manifest::checked::ProviderKind;
    let estimate = plan::strategy::estimate(provider.kind.vendor(), scope);
    let (per_second, burst) = match &provider.kind {
        ProviderKind::Clockify {
            requests_per_second,
            ..
        } => (*requests_per_second, 1),
        ProviderKind::Connecteam {
            requests_per_minute,
        } => (
            f64::from(*requests_per_minute) / 60.0,
            u64::from(*requests_per_minute),
        ),
    };
    let seconds = estimate.seconds(per_second, burst);
    if verbose() || seconds > ESTIMATE_SAID_ABOVE {
        let _ = writeln!(
            crate::output::stderr(),
            "estimate: provider={} calls{}{} seconds={seconds:.0}",
            provider.name,
            if estimate.exact { "=" } else { ">=" },
            estimate.calls,
        );
    }
}

/// The clients, and what they read: every provider's scope, then the
/// previous leave year's usage of the people who need it.
async fn read(
    config: &Config,
    sources: &Sources,
    endpoints: BTreeMap<String, Endpoint>,
    today: jiff::civil::Date,
) -> Result<(BTreeMap<String, Arc<ProviderClient>>, Live), PlanError> {
    let leave_year =
        crate::manifest::checked::LeaveYear::containing(today, config.settings.leave_year_start);
    let mut reads = tokio::task::JoinSet::new();
    let mut clients: BTreeMap<String, Arc<ProviderClient>> = BTreeMap::new();
    for (name, provider) in &config.providers {
        let endpoint = match endpoints.get(name) {
            Some(e) => e.clone(),
            None => Endpoint::from_config(provider)?,
        };
        let client = Arc::new(ProviderClient::new(
            provider,
            &config.policies,
            endpoint,
            &declared(sources, provider),
        )?);
        clients.insert(name.clone(), Arc::clone(&client));
        let scope = plan::read_scope(config, name, leave_year);
        announce_estimate(provider, &scope);
        let name = name.clone();
        reads.spawn(async move { (name, client.read(&scope).await) });
    }
    let mut states: BTreeMap<String, LiveState> = BTreeMap::new();
    while let Some(joined) = reads.join_next().await {
        let (name, state) = joined.expect("a provider read panicked");
        states.insert(name, state?);
    }
    if verbose() {
        let mut stderr = crate::output::stderr();
        for (name, client) in &clients {
            for choice in client.choices() {
                let _ = writeln!(stderr, "read strategy: provider={name} {choice}");
            }
        }
    }
    let mut previous_year = BTreeMap::new();
    for name in config.providers.keys() {
        let state = states.get_mut(name).expect("every provider was read");
        let people = plan::previous_year_people(config, name, state, today);
        if people.is_empty() {
            // Nothing more to read: the usage it summed serves the diff.
            continue;
        }
        let previous = leave_year.previous(config.settings.leave_year_start);
        state.earlier_requests = clients[name]
            .read_usage((previous.start, previous.end), &people)
            .await?;
        state.read_calls = clients[name].requests();
        previous_year.insert(name.clone(), previous);
    }
    Ok((
        clients,
        Live {
            states,
            previous_year,
        },
    ))
}

/// Where `provider` is declared, `file:line`, for error messages.
pub(crate) fn declared(sources: &Sources, provider: &crate::manifest::checked::Provider) -> String {
    format!(
        "{}:{}",
        sources.path(provider.loc.file).display(),
        provider.loc.line
    )
}
