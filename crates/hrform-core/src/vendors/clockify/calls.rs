//! The Clockify call builders: pure functions of the planned changes and
//! what was read (the policies as read, inside [`LiveState`]), turning
//! changes into the exact calls, grouped: one status PUT per person, one
//! policy PUT (a full replace) per policy, one balance PATCH per policy
//! and value. Also what the balance PATCH's value means ([`Mode`]).
//!
//! May import: `super::wire`, `crate::vendors` (`seg`), `crate::model`,
//! `crate::manifest::checked` (the declared `balance_update`).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use super::Config;
use super::wire::{balances_path, policy_path, user_path};
use crate::manifest::checked::BalanceUpdate;
use crate::model::{Amount, Call, Change, ChangeKind, LiveState, Method, Operation, Status};

impl Config {
    /// The calls that realise `changes`, in their order, grouped: one
    /// policy PUT per policy, one balance PATCH per policy and value.
    pub fn calls(&self, changes: &[Change], live: &LiveState) -> Vec<Call> {
        // Under `auto` the plan shows what a PATCH that sets the accrued
        // amount would carry (the allowance itself); apply learns the truth.
        let mode = Mode::declared(self.balance_update).unwrap_or(Mode::SetAccrued);
        self.build_calls(changes, live, mode)
    }

    /// [`Config::calls`] with the PATCH's semantics given.
    pub fn build_calls(&self, changes: &[Change], live: &LiveState, mode: Mode) -> Vec<Call> {
        let mut calls: Vec<Call> = Vec::new();
        // Group key -> index in `calls`.
        let mut groups: HashMap<(String, String), usize> = HashMap::new();
        // Policy -> people added by this plan.
        let mut added: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for change in changes {
            match &change.kind {
                ChangeKind::CreateRequest { .. }
                | ChangeKind::UpdateRequest { .. }
                | ChangeKind::DenyRequest { .. } => {
                    unreachable!("validation keeps time-off requests off Clockify providers")
                }
                ChangeKind::Status { to, .. } => calls.push(Call {
                    provider: self.name.clone(),
                    op: Operation::Status,
                    method: Method::Put,
                    path: user_path(&self.ws(), &change.person.id),
                    body: Some(json!({ "status": match to {
                        Status::Active => "ACTIVE",
                        Status::Inactive => "INACTIVE",
                    }})),
                    changes: vec![change.id],
                }),
                ChangeKind::Assign { policy, .. } => {
                    added
                        .entry(policy.id.clone())
                        .or_default()
                        .push(change.person.id.clone());
                    let key = ("assign".to_owned(), policy.id.clone());
                    match groups.get(&key) {
                        Some(&i) => calls[i].changes.push(change.id),
                        None => {
                            groups.insert(key, calls.len());
                            calls.push(Call {
                                provider: self.name.clone(),
                                op: Operation::Assign,
                                method: Method::Put,
                                path: policy_path(&self.ws(), &policy.id),
                                body: None, // filled below, once every person is known
                                changes: vec![change.id],
                            });
                        }
                    }
                }
                ChangeKind::Balance { policy, .. } => {
                    let Some(b) = Bal::of(change) else { continue };
                    let value = mode.value(b);
                    let key = ("balance".to_owned(), format!("{}/{}", policy.id, value));
                    match groups.get(&key) {
                        Some(&i) => {
                            calls[i].changes.push(change.id);
                            if let Some(Value::Object(body)) = &mut calls[i].body
                                && let Some(Value::Array(ids)) = body.get_mut("userIds")
                            {
                                ids.push(Value::String(change.person.id.clone()));
                            }
                        }
                        None => {
                            groups.insert(key, calls.len());
                            calls.push(Call {
                                provider: self.name.clone(),
                                op: Operation::Balance,
                                method: Method::Patch,
                                path: balances_path(&self.ws(), &policy.id),
                                body: Some(json!({
                                    "userIds": [change.person.id],
                                    "value": value.to_f64(),
                                })),
                                changes: vec![change.id],
                            });
                        }
                    }
                }
            }
        }
        for (policy, people) in added {
            let i = groups[&("assign".to_owned(), policy.clone())];
            let name = live
                .policies
                .iter()
                .find(|p| p.id == policy)
                .map(|p| p.name.as_str())
                .unwrap_or_default();
            // A full replace needs every field as read: without the policy
            // as read there is no body to send (the call is dropped and the
            // change fails as "no call was made"), never a `name: null` PUT.
            let Some(read) = live
                .as_read
                .get(&policy)
                .and_then(Value::as_object)
                .filter(|r| r.get("name").is_some_and(Value::is_string))
            else {
                tracing::error!("policy {policy} was not read: no full-replace PUT");
                continue;
            };
            calls[i].body = Some(policy_put_body(
                read,
                &people,
                self.has_expiration.get(name).copied().unwrap_or(false),
            ));
        }
        calls.retain(|c| !(c.op == Operation::Assign && c.body.is_none()));
        calls
    }
}

/// The full-replace body of `PUT .../time-off/policies/{id}`: every field
/// as read, the users as a `{contains, ids, status}` filter holding those
/// already on the policy and `add`, and the declared `hasExpiration`
/// (the API never returns it).
pub fn policy_put_body(read: &Map<String, Value>, add: &[String], has_expiration: bool) -> Value {
    let field = |k: &str, default: Value| read.get(k).cloned().unwrap_or(default);
    let ids = |k: &str| -> Vec<String> {
        read.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut users = ids("userIds");
    for id in add {
        if !users.contains(id) {
            users.push(id.clone());
        }
    }
    let mut body = Map::new();
    body.insert("name".into(), field("name", Value::Null));
    body.insert("allowHalfDay".into(), field("allowHalfDay", json!(false)));
    body.insert(
        "allowNegativeBalance".into(),
        field("allowNegativeBalance", json!(false)),
    );
    body.insert("archived".into(), field("archived", json!(false)));
    body.insert(
        "everyoneIncludingNew".into(),
        field("everyoneIncludingNew", json!(false)),
    );
    body.insert("hasExpiration".into(), json!(has_expiration));
    body.insert(
        "approve".into(),
        field(
            "approve",
            json!({"requiresApproval": false, "teamManagers": false, "specificMembers": false, "userIds": []}),
        ),
    );
    body.insert(
        "users".into(),
        json!({"contains": "CONTAINS", "ids": users, "status": "ACTIVE"}),
    );
    body.insert(
        "userGroups".into(),
        json!({"contains": "CONTAINS", "ids": ids("userGroupIds"), "status": "ACTIVE"}),
    );
    for optional in [
        "automaticAccrual",
        "automaticTimeEntryCreation",
        "negativeBalance",
        "color",
        "icon",
    ] {
        if let Some(v) = read.get(optional)
            && !v.is_null()
        {
            body.insert(optional.into(), v.clone());
        }
    }
    Value::Object(body)
}

/// What the balance PATCH does with its `value`. The docs leave it open
/// (`api/clockify.md` §3.4, §3.2): it may add to the balance, or replace the
/// accrued amount, or replace the available one. Adding to the accrued or to
/// the available amount is the same (usage does not move).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Add,
    SetAccrued,
    SetAvailable,
}

impl Mode {
    /// Every mode, in the order `auto` tries them.
    pub const ALL: [Mode; 3] = [Mode::SetAccrued, Mode::SetAvailable, Mode::Add];

    pub fn declared(b: BalanceUpdate) -> Option<Mode> {
        match b {
            BalanceUpdate::Auto => None,
            BalanceUpdate::Add => Some(Mode::Add),
            BalanceUpdate::SetAccrued => Some(Mode::SetAccrued),
            BalanceUpdate::SetAvailable => Some(Mode::SetAvailable),
        }
    }

    /// The PATCH value that brings `b` to its target under this mode.
    pub fn value(self, b: Bal) -> Amount {
        match self {
            Mode::Add => b.to - b.from,
            Mode::SetAccrued => b.to + b.used,
            Mode::SetAvailable => b.to,
        }
    }

    /// The available amount a person at `b` has after a PATCH of `value`.
    pub fn result(self, b: Bal, value: Amount) -> Amount {
        match self {
            Mode::Add => b.from + value,
            Mode::SetAccrued => value - b.used,
            Mode::SetAvailable => value,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Mode::Add => "adds its value to the balance",
            Mode::SetAccrued => "sets the accrued amount",
            Mode::SetAvailable => "sets the available amount",
        }
    }
}

/// A balance change's numbers: available now (0 when none), target, and
/// the usage the row reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bal {
    pub from: Amount,
    pub to: Amount,
    pub used: Amount,
}

impl Bal {
    pub fn of(c: &Change) -> Option<Bal> {
        match &c.kind {
            ChangeKind::Balance { from, to, used, .. } => Some(Bal {
                from: from.unwrap_or(Amount::ZERO),
                to: *to,
                used: *used,
            }),
            _ => None,
        }
    }
}
