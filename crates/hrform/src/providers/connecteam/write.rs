//! Apply's Connecteam writer: archive/restore batches rechecked after an
//! unclear failure, assignment and balance PUTs (the balance echo checked),
//! request POSTs never resent blind (their markers are looked for), and
//! assignments read back.
//!
//! May import: `super::{calls, wire, read}`, `crate::providers` (the
//! send/recheck helpers, `Sink`, `Outcome`), `crate::http::Writer`,
//! `crate::model`.

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt as _;
use serde_json::{Value, json};

use super::Client;
use super::calls::{create_span, wire_user_id};
use super::wire::*;
use crate::model::{Amount, Call, Change, ChangeKind, LiveState, Method, Operation, Status};
use crate::providers::{self, Executed, Outcome, ProviderError, Sink, WriteAccess};

// ------------------------------------------------------------------ apply --

/// Apply's writing side of a Connecteam client.
pub(crate) struct Writer<'c> {
    client: &'c Client,
    http: crate::http::Writer,
}

impl<'c> Writer<'c> {
    pub(crate) fn new(client: &'c Client, access: WriteAccess) -> Self {
        Self {
            client,
            http: crate::http::Writer::for_apply(&client.http, access),
        }
    }

    pub(crate) async fn run_phase(&self, changes: &[Change], live: &LiveState, sink: Sink<'_>) {
        let (creates, calls): (Vec<Call>, Vec<Call>) = self
            .client
            .calls(changes, live)
            .into_iter()
            .partition(|c| c.op == Operation::CreateRequest);
        let mut applied: Vec<Vec<usize>> = futures_util::stream::iter(calls)
            .map(|call| async move {
                if call.op == Operation::Status {
                    self.status_batch(call, changes, sink).await
                } else {
                    self.put(call, sink).await
                }
            })
            .buffer_unordered(providers::CONCURRENCY)
            .collect()
            .await;
        if !creates.is_empty() {
            applied.push(self.create_requests(creates, sink).await);
        }
        // Assignments are verified by reading the balances of their types.
        let applied: HashSet<usize> = applied.into_iter().flatten().collect();
        let assigned: Vec<&Change> = changes
            .iter()
            .filter(|c| matches!(c.kind, ChangeKind::Assign { .. }))
            .filter(|c| applied.contains(&c.id))
            .collect();
        if !assigned.is_empty() {
            self.verify_assignments(&assigned, sink).await;
        }
    }

    /// An assignment or balance PUT: both replace a value, so they are safe
    /// to resend. A balance PUT's answer echoes the balance: it must match.
    async fn put(&self, call: Call, sink: Sink<'_>) -> Vec<usize> {
        match self
            .http
            .send(call.method, &call.path, call.body.as_ref(), true)
            .await
        {
            Err(f) => {
                sink(Executed {
                    call,
                    outcome: Outcome::failed(&f.error),
                });
                Vec::new()
            }
            Ok(reply) => {
                if call.op == Operation::Balance {
                    let want = call
                        .body
                        .as_ref()
                        .and_then(|b| b.get("balance"))
                        .and_then(Value::as_f64)
                        .and_then(Amount::from_f64);
                    let got = serde_json::from_slice::<Value>(&reply.body)
                        .ok()
                        .and_then(|v| v.pointer("/data/balance/balance").and_then(Value::as_f64))
                        .and_then(Amount::from_f64);
                    if let (Some(want), Some(got)) = (want, got)
                        && want != got
                    {
                        sink(Executed {
                            call,
                            outcome: Outcome::failed_with(format!(
                                "the balance was set, but the API answered {got} instead of {want}"
                            )),
                        });
                        return Vec::new();
                    }
                }
                let ids = call.changes.clone();
                sink(Executed {
                    call,
                    outcome: Outcome::Applied,
                });
                ids
            }
        }
    }

    /// Archive or restore up to 25 people. Archiving someone already
    /// archived is an error on this API, so the batch is not resent blind:
    /// after an unclear failure the people are read again and only those
    /// not yet changed are sent.
    async fn status_batch(&self, call: Call, changes: &[Change], sink: Sink<'_>) -> Vec<usize> {
        providers::send_checked(&self.http, call, false, sink, |call| async move {
            let people: Vec<&Change> = changes
                .iter()
                .filter(|c| call.changes.contains(&c.id))
                .collect();
            let ids: Vec<String> = people.iter().map(|c| c.person.id.clone()).collect();
            let now = self.archived(&ids).await?;
            let (done, left): (Vec<&Change>, Vec<&Change>) =
                people.into_iter().partition(|c| match c.kind {
                    ChangeKind::Status { to, .. } => {
                        now.get(&c.person.id) == Some(&(to == Status::Inactive))
                    }
                    _ => false,
                });
            let resend = (!left.is_empty()).then(|| {
                let mut next = call.clone();
                next.changes = left.iter().map(|c| c.id).collect();
                next.body = Some(Value::Array(
                    left.iter()
                        .map(|c| {
                            let archive = matches!(
                                c.kind,
                                ChangeKind::Status {
                                    to: Status::Inactive,
                                    ..
                                }
                            );
                            json!({ "userId": wire_user_id(&c.person.id), "isArchived": archive })
                        })
                        .collect(),
                ));
                next
            });
            Ok(providers::Recheck {
                done: done.iter().map(|c| c.id).collect(),
                resend,
                odd: None,
            })
        })
        .await
    }

    /// Create requests. A POST is not idempotent and the API has no
    /// idempotency key: after unclear failures the people's requests are
    /// read again (one read per person for all their unclear POSTs of a
    /// round) and the markers looked for before any POST is resent.
    async fn create_requests(&self, calls: Vec<Call>, sink: Sink<'_>) -> Vec<usize> {
        providers::send_all_checked(
            &self.http,
            calls,
            false,
            sink,
            |call| {
                call.body
                    .as_ref()
                    .and_then(create_span)
                    .map(|(user, ..)| user)
            },
            |calls| async move {
                let spans: Vec<_> = calls
                    .iter()
                    .filter_map(|c| c.body.as_ref().and_then(create_span))
                    .collect();
                let keys: Vec<Option<String>> = calls
                    .iter()
                    .map(|c| {
                        c.body
                            .as_ref()
                            .and_then(|b| b.get("managerNote"))
                            .and_then(Value::as_str)
                            .and_then(crate::model::marker_key)
                            .map(str::to_owned)
                    })
                    .collect();
                let (Some((user, ..)), true, true) = (
                    spans.first(),
                    spans.len() == calls.len(),
                    keys.iter().all(Option::is_some),
                ) else {
                    return Err(ProviderError::Decode {
                        call: "POST /time-off/v1/requests".to_owned(),
                        message: "a request carries no user, dates or marker to look for".into(),
                    });
                };
                let from = spans.iter().map(|s| s.1).min().unwrap_or(spans[0].1);
                let to = spans.iter().map(|s| s.2).max().unwrap_or(spans[0].2);
                let found = self.markers(user, from, to).await?;
                Ok(calls
                    .into_iter()
                    .zip(
                        keys.iter()
                            .map(|k| k.as_ref().is_some_and(|k| found.contains(k))),
                    )
                    .map(|(call, exists)| providers::Recheck {
                        done: if exists {
                            call.changes.clone()
                        } else {
                            Vec::new()
                        },
                        resend: (!exists).then_some(call),
                        odd: None,
                    })
                    .collect())
            },
        )
        .await
    }

    /// The markers on `user`'s requests (any status) over `from..=to`.
    async fn markers(
        &self,
        user: &str,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<HashSet<String>, ProviderError> {
        let mut keys = HashSet::new();
        for (from, to) in request_slices(from, to) {
            let query = [
                ("startDate", from.to_string()),
                ("endDate", to.to_string()),
                ("userIds", user.to_owned()),
                ("statuses", "approved".to_owned()),
                ("statuses", "pending".to_owned()),
                ("statuses", "denied".to_owned()),
            ];
            let found = self
                .client
                .pages::<RequestsData, _>(REQUESTS, &query, REQUESTS_PAGE, |d| d.requests)
                .await?;
            keys.extend(
                found
                    .iter()
                    .filter_map(|r| r.manager_note.as_deref().and_then(crate::model::marker_key))
                    .map(str::to_owned),
            );
        }
        Ok(keys)
    }

    /// Whether each of these people is archived now.
    async fn archived(&self, ids: &[String]) -> Result<HashMap<String, bool>, ProviderError> {
        let mut query: Vec<(&str, String)> = vec![
            ("userStatus", "all".to_owned()),
            ("limit", USERS_PAGE.to_string()),
        ];
        query.extend(ids.iter().map(|id| ("userIds", id.clone())));
        let users: UsersData = self.client.get_json(USERS, &query).await?;
        Ok(users
            .users
            .into_iter()
            .map(|u| (u.user_id.to_string(), u.is_archived))
            .collect())
    }

    /// Read the balances of the assigned people's policy types and check
    /// each is on the policy, with the balance given.
    async fn verify_assignments(&self, assigned: &[&Change], sink: Sink<'_>) {
        let mut by_type: HashMap<String, Vec<&Change>> = HashMap::new();
        for c in assigned {
            if let ChangeKind::Assign { policy, .. } = &c.kind {
                by_type
                    .entry(policy.policy_type_id.clone().unwrap_or_default())
                    .or_default()
                    .push(c);
            }
        }
        let mut types: Vec<_> = by_type.into_iter().collect();
        types.sort_by(|a, b| a.0.cmp(&b.0));
        for (type_id, changes) in types {
            for chunk in changes.chunks(BALANCES_PAGE) {
                let path = type_balances_path(&type_id);
                let mut query: Vec<(&str, String)> = vec![("limit", BALANCES_PAGE.to_string())];
                query.extend(chunk.iter().map(|c| ("userIds", c.person.id.clone())));
                let read = Call {
                    provider: self.client.config.name.clone(),
                    op: Operation::Read,
                    method: Method::Get,
                    path: format!("{path}?{}", crate::http::query_string(&query)),
                    body: None,
                    changes: chunk.iter().map(|c| c.id).collect(),
                };
                let rows = match self.client.get_json::<BalancesData>(&path, &query).await {
                    Ok(d) => d.balances,
                    Err(e) => {
                        sink(Executed {
                            call: read,
                            outcome: Outcome::failed_with(format!(
                                "assignments made, but could not be read back: {e}"
                            )),
                        });
                        continue;
                    }
                };
                let mut wrong = Vec::new();
                for c in chunk {
                    let ChangeKind::Assign {
                        policy, balance, ..
                    } = &c.kind
                    else {
                        continue;
                    };
                    let row = rows.iter().find(|r| r.user_id.to_string() == c.person.id);
                    let ok = row.is_some_and(|r| {
                        r.policy_id == policy.id && balance.is_none_or(|b| r.balance == Some(b))
                    });
                    if !ok {
                        wrong.push((
                            c.id,
                            format!(
                                "{}: expected {}{}, found {}",
                                c.person.email,
                                policy.name,
                                balance.map_or_else(String::new, |b| format!(" with {b}")),
                                row.map_or_else(
                                    || "no assignment".to_owned(),
                                    |r| format!(
                                        "policy {} with {}",
                                        r.policy_id,
                                        r.balance.map_or_else(
                                            || "no balance".to_owned(),
                                            |v| v.to_string()
                                        )
                                    )
                                )
                            ),
                        ));
                    }
                }
                if !wrong.is_empty() {
                    let mut failed = read;
                    failed.changes = wrong.iter().map(|(id, _)| *id).collect();
                    sink(Executed {
                        call: failed,
                        outcome: Outcome::failed_with(format!(
                            "assignment read-back does not match: {}",
                            wrong
                                .iter()
                                .map(|(_, m)| m.as_str())
                                .collect::<Vec<_>>()
                                .join("; ")
                        )),
                    });
                }
            }
        }
    }
}
