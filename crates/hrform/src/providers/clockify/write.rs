//! Apply's Clockify writer: status and policy PUTs, and the balance
//! PATCHes one policy at a time, each read back; under `balance_update:
//! auto` it learns what the PATCH does from a first write's read-back.
//! A read-back reads only the written people when that costs fewer calls
//! than the policy's whole list.
//!
//! May import: `super::{calls, wire, read}`, `crate::providers` (the
//! send/recheck helpers, `Sink`, `Outcome`), `crate::http::Writer`,
//! `crate::model`.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use futures_util::StreamExt as _;
use serde_json::{Value, json};

use super::Client;
use super::calls::{Bal, Mode};
use super::wire::{PAGE, Row, balances_path, user_balances_path};
use crate::model::{Amount, Call, Change, ChangeKind, LiveState, Method, Operation};
use crate::providers::{self, Executed, Outcome, ProviderError, Sink, WriteAccess};
use hrform_core::plan::strategy;

/// Apply's writing side of a Clockify client.
pub(crate) struct Writer<'c> {
    client: &'c Client,
    http: crate::http::Writer,
    /// The PATCH semantics still possible: one once known (declared, or
    /// learnt from a read-back under `balance_update: auto`).
    modes: Mutex<Vec<Mode>>,
    /// Why balance writes stopped (a write could not be verified).
    stopped: Mutex<Option<String>>,
    /// Per policy: the people whose balances are written, and how many
    /// the policy holds (`None`: everyone, a number not known): the
    /// read-back reads only the written people when that costs fewer calls.
    written: Mutex<HashMap<String, Written>>,
}

/// The people whose balances of one policy are written, and how many the
/// policy holds.
type Written = (Vec<String>, Option<usize>);

impl<'c> Writer<'c> {
    pub(crate) fn new(client: &'c Client, access: WriteAccess) -> Self {
        Self {
            client,
            http: crate::http::Writer::for_apply(&client.http, access),
            modes: Mutex::new(match Mode::declared(client.config.balance_update) {
                Some(m) => vec![m],
                None => Mode::ALL.to_vec(),
            }),
            stopped: Mutex::new(None),
            written: Mutex::new(HashMap::new()),
        }
    }

    fn modes(&self) -> Vec<Mode> {
        self.modes.lock().expect("modes lock").clone()
    }

    fn stopped(&self) -> Option<String> {
        self.stopped.lock().expect("stopped lock").clone()
    }

    fn stop(&self, why: String) {
        self.stopped
            .lock()
            .expect("stopped lock")
            .get_or_insert(why);
    }

    pub(crate) async fn run_phase(&self, changes: &[Change], live: &LiveState, sink: Sink<'_>) {
        let (balances, others): (Vec<Change>, Vec<Change>) = changes
            .iter()
            .cloned()
            .partition(|c| matches!(c.kind, ChangeKind::Balance { .. }));
        if !others.is_empty() {
            // Status and policy PUTs replace a value: safe to resend.
            let calls = self
                .client
                .config
                .build_calls(&others, live, Mode::SetAccrued);
            futures_util::stream::iter(calls)
                .for_each_concurrent(providers::CONCURRENCY, |call| async move {
                    let outcome = match self
                        .http
                        .send(call.method, &call.path, call.body.as_ref(), true)
                        .await
                    {
                        Ok(_) => Outcome::Applied,
                        Err(f) => Outcome::failed(&f.error),
                    };
                    sink(Executed { call, outcome });
                })
                .await;
        }
        // Balances: one policy at a time, each verified by a read-back
        // before the next policy is written.
        let mut policies: Vec<String> = Vec::new();
        for c in &balances {
            if let ChangeKind::Balance { policy, .. } = &c.kind
                && !policies.contains(&policy.id)
            {
                policies.push(policy.id.clone());
            }
        }
        for policy in &policies {
            let people: Vec<String> = balances
                .iter()
                .filter(
                    |c| matches!(&c.kind, ChangeKind::Balance { policy: p, .. } if &p.id == policy),
                )
                .map(|c| c.person.id.clone())
                .collect();
            let holders = live.as_read.get(policy).and_then(|p| {
                let everyone = p.get("everyoneIncludingNew").and_then(Value::as_bool) == Some(true);
                let ids = p.get("userIds").and_then(Value::as_array).map(Vec::len);
                if everyone { None } else { ids }
            });
            self.written
                .lock()
                .expect("written lock")
                .insert(policy.clone(), (people, holders));
        }
        for policy in policies {
            let mine: Vec<Change> = balances
                .iter()
                .filter(
                    |c| matches!(&c.kind, ChangeKind::Balance { policy: p, .. } if p.id == policy),
                )
                .cloned()
                .collect();
            self.policy_balances(&policy, mine, live, sink).await;
        }
    }

    /// Write and verify the balances of one policy. A change whose PATCH
    /// value is the same under every mode still possible is sent at once;
    /// the others wait until a probe has told the modes apart.
    async fn policy_balances(
        &self,
        policy: &str,
        mut pending: Vec<Change>,
        live: &LiveState,
        sink: Sink<'_>,
    ) {
        let mut written: Vec<Change> = Vec::new();
        // Each probe rules out at least one mode, or stops: at most 3 rounds.
        for _ in 0..=Mode::ALL.len() {
            if pending.is_empty() {
                break;
            }
            if let Some(why) = self.stopped() {
                self.skip(&pending, live, &why, sink);
                pending.clear();
                break;
            }
            let modes = self.modes();
            let agree = |c: &Change| {
                Bal::of(c).is_some_and(|b| {
                    let v = modes[0].value(b);
                    modes.iter().all(|m| m.value(b) == v)
                })
            };
            let (safe, waiting): (Vec<Change>, Vec<Change>) =
                pending.drain(..).partition(|c| agree(c));
            if !safe.is_empty() {
                let calls = self.client.config.build_calls(&safe, live, modes[0]);
                let safe_ref = &safe;
                let applied: Vec<Vec<usize>> = futures_util::stream::iter(calls)
                    .map(|call| async move { self.patch(call, policy, safe_ref, sink).await })
                    .buffer_unordered(providers::CONCURRENCY)
                    .collect()
                    .await;
                let applied: HashSet<usize> = applied.into_iter().flatten().collect();
                written.extend(safe.into_iter().filter(|c| applied.contains(&c.id)));
            }
            if waiting.is_empty() {
                break;
            }
            // The change whose read-back tells the most modes apart.
            let Some(i) = (0..waiting.len()).max_by_key(|&i| {
                Bal::of(&waiting[i]).map_or(0, |b| {
                    let v = modes[0].value(b);
                    let mut outcomes: Vec<Amount> = modes.iter().map(|m| m.result(b, v)).collect();
                    outcomes.sort();
                    outcomes.dedup();
                    outcomes.len()
                })
            }) else {
                break;
            };
            let mut waiting = waiting;
            let probe = waiting.remove(i);
            match self.probe(&probe, &modes, live, sink).await {
                Probed::Done => written.push(probe),
                Probed::Correct(next) => waiting.push(*next),
                Probed::Stopped => {}
            }
            pending = waiting;
        }
        if !pending.is_empty() {
            let why = self
                .stopped()
                .unwrap_or_else(|| "the PATCH's semantics could not be learnt".to_owned());
            self.stop(why.clone());
            self.skip(&pending, live, &why, sink);
        }
        if !written.is_empty() {
            let written: Vec<&Change> = written.iter().collect();
            self.verify(policy, &written, sink).await;
        }
    }

    fn skip(&self, changes: &[Change], live: &LiveState, why: &str, sink: Sink<'_>) {
        let mode = self.modes()[0];
        for call in self.client.config.build_calls(changes, live, mode) {
            sink(Executed {
                call,
                outcome: Outcome::Skipped {
                    reason: why.to_owned(),
                },
            });
        }
    }

    /// Send one balance PATCH whose value every mode still possible agrees
    /// on; the ids of the changes that took effect. It is never sent again
    /// blind: after an unclear failure the policy's balances are read, and
    /// only the people still at their old value get it again.
    async fn patch(
        &self,
        call: Call,
        policy: &str,
        changes: &[Change],
        sink: Sink<'_>,
    ) -> Vec<usize> {
        let idempotent = !self.modes().contains(&Mode::Add);
        providers::send_checked(&self.http, call, idempotent, sink, |call| async move {
            let now = self.read_balances(policy).await?;
            let mut resend = Vec::new();
            let mut done = Vec::new();
            let mut odd = Vec::new();
            for id in &call.changes {
                let Some(c) = changes.iter().find(|c| c.id == *id) else {
                    continue;
                };
                let Some(b) = Bal::of(c) else { continue };
                let person = c.person.id.as_str();
                let value = now.get(person).map_or(Amount::ZERO, |r| r.available);
                if value == b.to {
                    done.push(*id);
                } else if value == b.from {
                    resend.push((*id, person.to_owned()));
                } else {
                    odd.push((
                        *id,
                        format!("{person}: {value} (was {}, wanted {})", b.from, b.to),
                    ));
                }
            }
            let odd = (!odd.is_empty()).then(|| {
                let why = format!(
                    "after an unclear failure of {} {}, balances are neither old nor new (another writer?): {}",
                    call.method,
                    call.path,
                    odd.iter()
                        .map(|(_, m)| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                self.stop(why.clone());
                (odd.iter().map(|(id, _)| *id).collect(), why)
            });
            let resend = (!resend.is_empty()).then(|| {
                let mut next = call.clone();
                next.changes = resend.iter().map(|(id, _)| *id).collect();
                if let Some(Value::Object(body)) = &mut next.body {
                    body.insert(
                        "userIds".into(),
                        json!(resend.iter().map(|(_, p)| p).collect::<Vec<_>>()),
                    );
                }
                next
            });
            Ok(providers::Recheck { done, resend, odd })
        })
        .await
    }

    /// PATCH one person with the value the first mode still possible needs,
    /// read it back, and keep only the modes that predict what is there.
    /// Any failure — the PATCH refused, its answer lost and the read-back
    /// failing, or a value no mode predicts — stops this provider's balance
    /// writes: nothing more may go out while the semantics are unknown.
    async fn probe(
        &self,
        change: &Change,
        modes: &[Mode],
        live: &LiveState,
        sink: Sink<'_>,
    ) -> Probed {
        let Some(b) = Bal::of(change) else {
            return Probed::Stopped;
        };
        let ChangeKind::Balance { policy, .. } = &change.kind else {
            return Probed::Stopped;
        };
        let guess = modes[0];
        let value = guess.value(b);
        let Some(call) = self
            .client
            .config
            .build_calls(std::slice::from_ref(change), live, guess)
            .into_iter()
            .next()
        else {
            return Probed::Stopped;
        };
        let mut sent = Err(None);
        // The balances as read back after an unclear answer that took
        // effect: they are the read-back below, not read again.
        let mut seen = None;
        for _ in 0..providers::RESENDS {
            match self
                .http
                .send(call.method, &call.path, call.body.as_ref(), false)
                .await
            {
                Ok(_) => {
                    sent = Ok(());
                    break;
                }
                Err(f) if !f.unclear => {
                    let why = format!(
                        "balance_update auto: the first balance write ({} {}) failed: {}; no other balance is written until hrform knows what the PATCH does",
                        call.method, call.path, f.error
                    );
                    self.stop(why.clone());
                    sink(Executed {
                        call,
                        outcome: Outcome::failed(&f.error),
                    });
                    return Probed::Stopped;
                }
                Err(f) => {
                    // It may have taken effect: read before anything else.
                    match self.read_balances(&policy.id).await {
                        Ok(now) => {
                            let here = now
                                .get(&change.person.id)
                                .map_or(Amount::ZERO, |r| r.available);
                            if here == b.from && modes.iter().all(|m| m.result(b, value) != b.from)
                            {
                                sent = Err(Some(f.error.to_string()));
                                continue; // did not take effect: send again
                            }
                            seen = Some(now);
                            sent = Ok(());
                            break;
                        }
                        Err(e) => {
                            let why = format!(
                                "balance_update auto: the first balance write ({} {}) had no clear answer ({}) and could not be read back: {e}",
                                call.method, call.path, f.error
                            );
                            self.stop(why.clone());
                            sink(Executed {
                                call,
                                outcome: Outcome::failed_with(why),
                            });
                            return Probed::Stopped;
                        }
                    }
                }
            }
        }
        if let Err(message) = sent {
            let why = format!(
                "balance_update auto: the first balance write ({} {}) did not take effect after {} sends{}",
                call.method,
                call.path,
                providers::RESENDS,
                message.map(|m| format!(": {m}")).unwrap_or_default()
            );
            self.stop(why.clone());
            sink(Executed {
                call,
                outcome: Outcome::failed_with(why),
            });
            return Probed::Stopped;
        }
        let read = match seen {
            Some(now) => Ok(now),
            None => self.read_balances(&policy.id).await,
        };
        let observed = match read {
            Ok(now) => now.get(&change.person.id).copied(),
            Err(e) => {
                let why = format!("the first balance write could not be read back: {e}");
                self.stop(why.clone());
                sink(Executed {
                    call,
                    outcome: Outcome::failed_with(format!(
                        "written, but the balance could not be read back: {e}"
                    )),
                });
                return Probed::Stopped;
            }
        };
        let available = observed.map_or(Amount::ZERO, |r| r.available);
        let left: Vec<Mode> = modes
            .iter()
            .copied()
            .filter(|m| m.result(b, value) == available)
            .collect();
        if left.is_empty() {
            let why = format!(
                "balance_update auto: after a PATCH of {value} to {} (available {}, used {}), the available balance is {available}, which no reading of the PATCH explains (another writer?)",
                change.person.email, b.from, b.used
            );
            self.stop(why.clone());
            sink(Executed {
                call,
                outcome: Outcome::failed_with(why),
            });
            return Probed::Stopped;
        }
        if left.len() == 1 {
            tracing::info!("balance_update auto: the PATCH {}", left[0].words());
        }
        *self.modes.lock().expect("modes lock") = left;
        if available == b.to {
            sink(Executed {
                call,
                outcome: Outcome::Applied,
            });
            return Probed::Done;
        }
        // The guess was wrong for this person: correct them at once, now
        // from where they are.
        tracing::info!(
            "balance_update auto: correcting {} from {available} to {}",
            change.person.email,
            b.to
        );
        sink(Executed {
            call,
            outcome: Outcome::Applied,
        });
        let mut next = change.clone();
        if let ChangeKind::Balance { from, used, .. } = &mut next.kind {
            *from = Some(available);
            if let Some(r) = observed {
                *used = r.used;
            }
        }
        Probed::Correct(Box::new(next))
    }

    /// Read the policy's balances back and compare with what was written.
    /// A mismatch fails those changes and stops the provider's remaining
    /// balance writes.
    async fn verify(&self, policy: &str, written: &[&Change], sink: Sink<'_>) {
        let path = balances_path(&self.client.ws(), policy);
        let read = Call {
            provider: self.client.config.name.clone(),
            op: Operation::Read,
            method: Method::Get,
            path: path.clone(),
            body: None,
            changes: written.iter().map(|c| c.id).collect(),
        };
        let now = match self.read_balances(policy).await {
            Ok(now) => now,
            Err(e) => {
                let why = format!("balances written could not be read back: {e}");
                self.stop(why.clone());
                sink(Executed {
                    call: read,
                    outcome: Outcome::failed_with(why),
                });
                return;
            }
        };
        let mut wrong = Vec::new();
        for c in written {
            let Some(b) = Bal::of(c) else { continue };
            let value = now.get(c.person.id.as_str()).map(|r| r.available);
            if value != Some(b.to) {
                wrong.push((
                    c.id,
                    format!(
                        "{}: expected {}, found {}",
                        c.person.email,
                        b.to,
                        value.map_or_else(|| "no balance".to_owned(), |v| v.to_string())
                    ),
                ));
            }
        }
        if wrong.is_empty() {
            return;
        }
        let why = format!(
            "balance read-back does not match (another writer at the same time?): {}",
            wrong
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        );
        self.stop(why.clone());
        let mut failed = read;
        failed.changes = wrong.iter().map(|(id, _)| *id).collect();
        sink(Executed {
            call: failed,
            outcome: Outcome::failed_with(why),
        });
    }

    /// Every readable balance row of one policy, by person.
    /// The balances of `policy` as they are now: its whole list, or only
    /// the written people's (one call each) when that costs fewer calls.
    async fn read_balances(&self, policy: &str) -> Result<HashMap<String, Row>, ProviderError> {
        let (people, holders) = self
            .written
            .lock()
            .expect("written lock")
            .get(policy)
            .cloned()
            .unwrap_or_default();
        let costs = strategy::Costs {
            whole: holders.map(|n| strategy::pages(n, PAGE)),
            filtered: (!people.is_empty()).then_some(people.len() as u64),
        };
        let rows = if costs.choose() == strategy::Strategy::Filtered {
            let mut rows = Vec::new();
            for person in &people {
                let path = user_balances_path(&self.client.ws(), person);
                rows.extend(
                    self.client
                        .balances(&path)
                        .await?
                        .into_iter()
                        .filter(|b| b.policy_id.as_deref() == Some(policy)),
                );
            }
            rows
        } else {
            let path = balances_path(&self.client.ws(), policy);
            self.client.balances(&path).await?
        };
        Ok(rows
            .into_iter()
            .filter_map(|b| b.row().ok().flatten().map(|r| (b.user_id, r)))
            .collect())
    }
}

/// How a probe ended.
enum Probed {
    /// The person is at the target.
    Done,
    /// The modes are narrowed; the person still needs this change.
    Correct(Box<Change>),
    /// Balance writes stopped (the reason is recorded).
    Stopped,
}
