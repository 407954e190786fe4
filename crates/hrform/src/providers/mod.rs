//! Providers: one client per HR system, the shell's half of each vendor.
//! They read live state into the neutral types of `model`, and make the
//! calls apply sends. The vendor's other half, pure, is the core's
//! `vendors::<vendor>`: its JSON shapes, paths and decoders (`wire`) and
//! its call builders (`calls`); only these two halves know its JSON.
//!
//! Every vendor is a folder of the same shape, `providers/<vendor>/`:
//! - `mod.rs`: `Client` (read-only) with the vendor's configuration, given
//!   at construction: `Client::new(provider, policies, endpoint)`;
//! - `transport.rs`: the `http::Wire` (key header, error body, throttle);
//! - `read.rs`: `Client::read(&self, &ReadScope) -> Result<LiveState, _>`,
//!   everything later calls need kept in the returned state (records the
//!   vendor must echo back go in `LiveState::as_read`);
//! - `write.rs`: `Writer::new(&Client, WriteAccess)` and
//!   `Writer::run_phase(&self, &[Change], &LiveState, Sink)`, apply's only.
//!
//! Each vendor file may import `crate::providers` (this module: paging,
//! the send/recheck helpers), `crate::http` (transport only: it knows no
//! vendor), `crate::model`, `crate::manifest::checked` and its own half in
//! `hrform_core::vendors`; never another vendor, `plan`, `apply` or
//! `commands`.
//!
//! Adding a third vendor:
//! 1. add `hrform_core::vendors::<new>` (`wire`, `calls`, `Config`) and its
//!    arm in `vendors::calls`; copy a vendor folder to `providers/<new>/`
//!    and fill in its `transport`, `read` and `write`;
//! 2. add its `ProviderKind` variant (and its manifest fields) in
//!    `manifest::checked`, and `Vendor` in `model`;
//! 3. add `pub mod <new>;` here and one arm to each `match` below
//!    (`ProviderClient`, `ProviderWriter`: the compiler lists them);
//! 4. add a property test of its call builder to the core's
//!    `vendors/calls_tests.rs`, and its emulator to `hrform-sandbox` if the
//!    integration tests should drive it.
//!
//! Plan cannot write, by construction: plan holds `ProviderClient`s, which
//! only read (`http::Reader` can only GET). Everything that can send a
//! write (`ProviderWriter::new`, each vendor's `Writer::new`,
//! `http::Writer::for_apply`) is `pub(crate)` and takes a
//! [`crate::apply::WriteAccess`], which only `crate::apply` makes (its
//! field is private to `apply`, so the compiler refuses any other maker);
//! `write_access_tests` pins every writer constructor to taking one.

pub(crate) mod clockify;
pub(crate) mod connecteam;

use std::collections::{BTreeMap, HashMap};

use crate::manifest::checked::{self, ProviderKind};
use crate::model::{Call, Change, LiveState, ReadScope};

// The transport's types, which every provider speaks.
pub(crate) use crate::apply::WriteAccess;
pub(crate) use crate::http::{Endpoint, ProviderError};

/// A provider client, read-only: plan can read and describe calls, never
/// write. (Writes are a separate type, for apply.)
pub(crate) enum ProviderClient {
    Clockify(clockify::Client),
    Connecteam(connecteam::Client),
}

impl ProviderClient {
    /// The client for `provider`, with its vendor's configuration taken
    /// from the manifests' per-policy settings (`policies`); `manifest`
    /// says where the provider is declared (`providers.yaml:2`), for
    /// error messages.
    pub(crate) fn new(
        provider: &checked::Provider,
        policies: &BTreeMap<(String, String), checked::PolicySettings>,
        endpoint: Endpoint,
        manifest: &str,
    ) -> Result<Self, ProviderError> {
        Ok(match &provider.kind {
            ProviderKind::Clockify { .. } => Self::Clockify(clockify::Client::new(
                provider, policies, endpoint, manifest,
            )?),
            ProviderKind::Connecteam { .. } => Self::Connecteam(connecteam::Client::new(
                provider, policies, endpoint, manifest,
            )?),
        })
    }

    /// Requests sent so far (reads, writes and retries).
    pub(crate) fn requests(&self) -> usize {
        match self {
            Self::Clockify(c) => c.requests(),
            Self::Connecteam(c) => c.requests(),
        }
    }

    /// How each list was read so far, for `-v`.
    pub(crate) fn choices(&self) -> Vec<hrform_core::plan::strategy::Choice> {
        let choices = match self {
            Self::Clockify(c) => &c.choices,
            Self::Connecteam(c) => &c.choices,
        };
        choices.lock().expect("choices lock").clone()
    }

    /// Read what `scope` asks for.
    pub(crate) async fn read(&self, scope: &ReadScope) -> Result<LiveState, ProviderError> {
        match self {
            Self::Clockify(c) => c.read(scope).await,
            Self::Connecteam(c) => c.read(scope).await,
        }
    }

    /// The approved requests of `people` over `window` (inclusive), for
    /// usage counting only (Connecteam; Clockify counts usage itself).
    pub(crate) async fn read_usage(
        &self,
        window: (jiff::civil::Date, jiff::civil::Date),
        people: &[String],
    ) -> Result<Vec<crate::model::LiveRequest>, ProviderError> {
        match self {
            Self::Clockify(_) => Ok(Vec::new()),
            Self::Connecteam(c) => c.read_usage(window, people).await,
        }
    }

    /// The exact calls that realise `changes` (all of this provider), grouped
    /// so one call serves many where the API allows, in the design's order:
    /// activate, assign, set balances, (requests), deactivate. A pure
    /// function of `changes` and `live` (what [`Self::read`] returned).
    pub(crate) fn calls(&self, changes: &[Change], live: &LiveState) -> Vec<Call> {
        match self {
            Self::Clockify(c) => c.calls(changes, live),
            Self::Connecteam(c) => c.calls(changes, live),
        }
    }
}

/// What a provider's error messages say about its tree (see
/// [`crate::http::explain`]).
pub(crate) fn tree(provider: &checked::Provider, manifest: &str) -> crate::http::Tree {
    crate::http::Tree {
        provider: provider.name.clone(),
        env: provider.api_key_env.clone(),
        workspace: match &provider.kind {
            ProviderKind::Clockify { workspace_id, .. } => Some(workspace_id.clone()),
            ProviderKind::Connecteam { .. } => None,
        },
        manifest: manifest.to_owned(),
    }
}

/// What happened to one call during apply.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub(crate) struct Executed {
    pub call: Call,
    pub outcome: Outcome,
}

/// The outcome of one call.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub(crate) enum Outcome {
    Applied,
    /// The API refused it, it never got through, or the read-back showed
    /// something other than what was written.
    Failed {
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        message: String,
    },
    /// Not sent.
    Skipped {
        reason: String,
    },
    /// The call may or may not have taken effect (a dropped connection, a
    /// timeout, a 5xx); what follows in the journal says what was found.
    Unclear {
        message: String,
    },
}

impl Outcome {
    pub(crate) fn failed(error: &ProviderError) -> Self {
        Outcome::Failed {
            status: match error {
                ProviderError::Status { status, .. } | ProviderError::Redirect { status, .. } => {
                    Some(*status)
                }
                _ => None,
            },
            message: error.to_string(),
        }
    }

    /// A failure hrform found itself (no HTTP status to report).
    pub(crate) fn failed_with(message: impl Into<String>) -> Self {
        Outcome::Failed {
            status: None,
            message: message.into(),
        }
    }
}

/// Where executed calls are reported, as they happen (journal, progress).
pub(crate) type Sink<'s> = &'s (dyn Fn(Executed) + Send + Sync);

/// Apply's writing client for one provider, over the reader's connection
/// and throttle. Only apply can make one: every constructor down to
/// [`crate::http::Writer`] takes a [`WriteAccess`].
pub(crate) enum ProviderWriter<'c> {
    Clockify(clockify::Writer<'c>),
    Connecteam(connecteam::Writer<'c>),
}

impl<'c> ProviderWriter<'c> {
    pub(crate) fn new(client: &'c ProviderClient, access: WriteAccess) -> Self {
        match client {
            ProviderClient::Clockify(c) => Self::Clockify(clockify::Writer::new(c, access)),
            ProviderClient::Connecteam(c) => Self::Connecteam(connecteam::Writer::new(c, access)),
        }
    }

    /// Make the calls that realise `changes` (all of one phase: activate,
    /// assign, balances or deactivate), reporting each to `sink`.
    pub(crate) async fn run_phase(&self, changes: &[Change], live: &LiveState, sink: Sink<'_>) {
        match self {
            Self::Clockify(w) => w.run_phase(changes, live, sink).await,
            Self::Connecteam(w) => w.run_phase(changes, live, sink).await,
        }
    }
}

/// How many times a write that did not take effect is sent again.
pub(crate) const RESENDS: usize = 3;

/// What a read after an unclear failure found about a call's changes.
pub(crate) struct Recheck {
    /// Changes that took effect.
    pub done: Vec<usize>,
    /// The call to send again for those that did not (`None`: none left).
    pub resend: Option<Call>,
    /// Changes found in neither the old nor the new state, and why.
    pub odd: Option<(Vec<usize>, String)>,
}

/// Send a write. A write that must not run twice (`idempotent` false) is
/// never sent again blind: after an unclear failure, `recheck` reads the
/// live state; what took effect is reported applied, what did not is sent
/// again (up to [`RESENDS`] sends in all), anything else fails. Every
/// attempt is reported to `sink`. Returns the ids of the changes that took
/// effect.
pub(crate) async fn send_checked<F, Fut>(
    http: &crate::http::Writer,
    call: Call,
    idempotent: bool,
    sink: Sink<'_>,
    recheck: F,
) -> Vec<usize>
where
    F: Fn(Call) -> Fut,
    Fut: std::future::Future<Output = Result<Recheck, ProviderError>>,
{
    let recheck = &recheck;
    send_all_checked(
        http,
        vec![call],
        idempotent,
        sink,
        |_| (),
        |mut calls| async move {
            match calls.pop() {
                Some(call) => Ok(vec![recheck(call).await?]),
                None => Ok(Vec::new()),
            }
        },
    )
    .await
}

/// A round's unclear calls of one group (with their errors) and what the
/// recheck found about them.
type Rechecked = (
    Vec<(Call, ProviderError)>,
    Result<Vec<Recheck>, ProviderError>,
);

/// [`send_checked`] for many calls at once, up to [`CONCURRENCY`] in
/// flight, in rounds: every call is sent, then the calls whose failure was
/// unclear are rechecked together, one `recheck` per `group` (say, per
/// person: one read answers for all of that person's calls), and what did
/// not take effect is sent in the next round. `recheck` gets a group's
/// calls and returns one [`Recheck`] for each, in order.
pub(crate) async fn send_all_checked<K, G, F, Fut>(
    http: &crate::http::Writer,
    calls: Vec<Call>,
    idempotent: bool,
    sink: Sink<'_>,
    group: G,
    recheck: F,
) -> Vec<usize>
where
    K: Ord,
    G: Fn(&Call) -> K,
    F: Fn(Vec<Call>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<Recheck>, ProviderError>>,
{
    use futures_util::StreamExt as _;
    let mut took = Vec::new();
    let mut pending = calls;
    for round in 1..=RESENDS {
        let sent: Vec<(Call, Result<(), crate::http::Failure>)> =
            futures_util::stream::iter(pending)
                .map(|call| async move {
                    let result = http
                        .send(call.method, &call.path, call.body.as_ref(), idempotent)
                        .await
                        .map(drop);
                    (call, result)
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
        let mut unclear: std::collections::BTreeMap<K, Vec<(Call, ProviderError)>> =
            std::collections::BTreeMap::new();
        for (call, result) in sent {
            match result {
                Ok(()) => {
                    took.extend(call.changes.iter().copied());
                    sink(Executed {
                        call,
                        outcome: Outcome::Applied,
                    });
                }
                Err(f) if !f.unclear || idempotent => sink(Executed {
                    call,
                    outcome: Outcome::failed(&f.error),
                }),
                Err(f) => {
                    sink(Executed {
                        call: call.clone(),
                        outcome: Outcome::Unclear {
                            message: f.error.to_string(),
                        },
                    });
                    tracing::info!(call = %call.path, error = %f.error, "unclear failure; reading the live state before sending again");
                    unclear
                        .entry(group(&call))
                        .or_default()
                        .push((call, f.error));
                }
            }
        }
        let recheck = &recheck;
        let found: Vec<Rechecked> = futures_util::stream::iter(unclear.into_values())
            .map(|failed| async move {
                let calls = failed.iter().map(|(c, _)| c.clone()).collect();
                let found = recheck(calls).await;
                (failed, found)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        pending = Vec::new();
        for (failed, found) in found {
            let found = match found {
                Ok(found) if found.len() == failed.len() => found,
                unanswered => {
                    let why = match unanswered {
                        Err(e) => format!(
                            "it could not be read back to tell whether it took effect, so it was not sent again: {e}"
                        ),
                        Ok(_) => "the read-back did not answer for it, so it was not sent again"
                            .to_owned(),
                    };
                    for (call, error) in failed {
                        sink(Executed {
                            call,
                            outcome: Outcome::failed_with(format!("{error}; {why}")),
                        });
                    }
                    continue;
                }
            };
            for ((call, _), found) in failed.into_iter().zip(found) {
                if !found.done.is_empty() {
                    let mut applied = call.clone();
                    applied.changes.clone_from(&found.done);
                    took.extend(found.done);
                    sink(Executed {
                        call: applied,
                        outcome: Outcome::Applied,
                    });
                }
                if let Some((ids, message)) = found.odd {
                    let mut failed = call.clone();
                    failed.changes = ids;
                    sink(Executed {
                        call: failed,
                        outcome: Outcome::failed_with(message),
                    });
                }
                match found.resend {
                    Some(next) if round < RESENDS => pending.push(next),
                    Some(next) => sink(Executed {
                        call: next,
                        outcome: Outcome::failed_with(format!(
                            "did not take effect after {RESENDS} sends"
                        )),
                    }),
                    None => {}
                }
            }
        }
        if pending.is_empty() {
            break;
        }
    }
    took
}

/// How many calls of one phase may be in flight at once (the throttle
/// still paces them).
pub(crate) const CONCURRENCY: usize = 8;

/// The most pages hrform reads of one list (1,000 pages is 5 million
/// Clockify users, 200,000 policy or balance rows, 500,000 Connecteam users,
/// 100,000 assignments of one type or requests of one slice).
pub(crate) const MAX_PAGES: usize = 1_000;

/// The most items one list may hold: 200,000 people of one provider (far
/// above any organisation that keeps time off in these systems), and as many
/// policies, balance rows or requests. Reading stops at the first page past
/// it, so a hostile server costs a bounded amount of memory.
pub(crate) const MAX_LIST_ITEMS: usize = 200_000;

/// The longest one list may take to read, all its pages and their retries
/// included (shortened by [`crate::http::BACKOFF_SCALE_ENV`] against a
/// loopback host, for tests); checked before each page, so a list ends at
/// most one call's deadline after it.
pub(crate) const LIST_DEADLINE: std::time::Duration = std::time::Duration::from_secs(20 * 60);

/// The loop control of one paged list: the page cap, the item bound, the
/// list's deadline, and no-progress detection (a page whose body repeats an
/// earlier page's, as from a server that ignores `page` or `offset`).
pub(crate) struct PageGuard {
    pages: usize,
    items: usize,
    seen: HashMap<u64, usize>,
    started: tokio::time::Instant,
    deadline: std::time::Duration,
}

impl PageGuard {
    /// A guard for a list read through `http` (whose backoff scale shortens
    /// the deadline).
    pub(crate) fn new(http: &crate::http::Reader) -> Self {
        Self::with_deadline(http.scaled(LIST_DEADLINE))
    }

    fn with_deadline(deadline: std::time::Duration) -> Self {
        Self {
            pages: 0,
            items: 0,
            seen: HashMap::new(),
            started: tokio::time::Instant::now(),
            deadline,
        }
    }

    /// Whether another page may be asked for; `call` names the list.
    pub(crate) fn before_page(&self, call: &str) -> Result<(), ProviderError> {
        if self.pages >= MAX_PAGES {
            return Err(ProviderError::Bound {
                call: call.to_owned(),
                message: format!(
                    "the list did not end within {MAX_PAGES} pages (hrform's page cap)"
                ),
            });
        }
        if self.started.elapsed() >= self.deadline {
            return Err(ProviderError::Bound {
                call: call.to_owned(),
                message: format!(
                    "the list did not end within its deadline of {:.1}s ({} pages read; hrform's bound per list)",
                    self.deadline.as_secs_f64(),
                    self.pages
                ),
            });
        }
        Ok(())
    }

    /// Count a page of `items` items read by `call` with `body`: an error
    /// when the same body came back before (the list makes no progress),
    /// or when the list now holds more than [`MAX_LIST_ITEMS`].
    pub(crate) fn page(
        &mut self,
        call: &str,
        body: &[u8],
        items: usize,
    ) -> Result<(), ProviderError> {
        use std::hash::{Hash as _, Hasher as _};
        self.pages += 1;
        self.items = self.items.saturating_add(items);
        if self.items > MAX_LIST_ITEMS {
            return Err(ProviderError::Bound {
                call: call.to_owned(),
                message: format!(
                    "the list holds more than {MAX_LIST_ITEMS} items (hrform's bound per list: people per provider, policies, balances or requests)"
                ),
            });
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        body.hash(&mut h);
        if let Some(first) = self.seen.insert(h.finish(), self.pages) {
            return Err(ProviderError::Bound {
                call: call.to_owned(),
                message: format!(
                    "page {} repeats page {first}: the server is not moving through the list",
                    self.pages
                ),
            });
        }
        Ok(())
    }
}

/// Plan cannot write: the only constructors of anything that writes need
/// apply's token. These are compile-time checks (a constructor without the
/// token would not coerce to these types), run as tests so they show up.
#[cfg(test)]
mod write_access_tests {
    use super::*;

    #[test]
    fn every_writer_constructor_needs_apply_s_token() {
        fn constructors<'c>(_: &'c ()) {
            let _: fn(&'c ProviderClient, WriteAccess) -> ProviderWriter<'c> = ProviderWriter::new;
            let _: fn(&'c clockify::Client, WriteAccess) -> clockify::Writer<'c> =
                clockify::Writer::new;
            let _: fn(&'c connecteam::Client, WriteAccess) -> connecteam::Writer<'c> =
                connecteam::Writer::new;
            let _: fn(&crate::http::Reader, WriteAccess) -> crate::http::Writer =
                crate::http::Writer::for_apply;
        }
        constructors(&());
    }
}

#[cfg(test)]
mod page_guard_tests {
    use super::*;

    /// Item 9: a list that never ends stops at the page cap, with an error
    /// naming the call and the cap.
    #[test]
    fn page_cap_ends_a_list_that_never_ends() {
        let mut guard = PageGuard::with_deadline(LIST_DEADLINE);
        for n in 0..MAX_PAGES {
            guard.before_page("GET /x").expect("under the cap");
            guard
                .page("GET /x", format!("[{n}]").as_bytes(), 1)
                .expect("new page");
        }
        let err = guard.before_page("GET /x?page=1001").unwrap_err();
        assert_eq!(
            err.to_string(),
            "GET /x?page=1001: gave up: the list did not end within 1000 pages (hrform's page cap)"
        );
    }

    /// A page whose body repeats an earlier one is no progress.
    #[test]
    fn repeated_page_is_no_progress() {
        let mut guard = PageGuard::with_deadline(LIST_DEADLINE);
        guard.page("GET /x?page=1", b"[1]", 1).unwrap();
        guard.page("GET /x?page=2", b"[2]", 1).unwrap();
        let err = guard.page("GET /x?page=3", b"[1]", 1).unwrap_err();
        assert!(err.to_string().contains("page 3 repeats page 1"), "{err}");
    }

    /// A list stops at the first page past the item bound, and a list
    /// past its deadline asks for no further page.
    #[test]
    fn item_bound_and_deadline_end_a_list() {
        let mut guard = PageGuard::with_deadline(LIST_DEADLINE);
        guard.page("GET /x?page=1", b"[1]", MAX_LIST_ITEMS).unwrap();
        let err = guard.page("GET /x?page=2", b"[2]", 1).unwrap_err();
        assert!(err.to_string().contains("more than 200000 items"), "{err}");
        let guard = PageGuard::with_deadline(std::time::Duration::ZERO);
        let err = guard.before_page("GET /x?page=1").unwrap_err();
        assert!(err.to_string().contains("within its deadline"), "{err}");
    }
}
