//! The Clockify provider: the only module that knows Clockify's paths,
//! query parameters and JSON (`../shared/api/clockify.md`).
//!
//! Reading: the key owner (`GET /v1/user`), every workspace member with
//! their workspace membership (the membership status, not the account
//! status, says active or inactive), every policy, and the balances of the
//! policies the manifests reference, each list at its largest page size,
//! stopping on `Last-Page: true` (or a short page when the header is
//! missing). Calls: user status PUT, policy PUT (a full replace, users
//! written as a `{contains, ids, status}` filter), and the balance PATCH
//! grouping every user of one policy who gets the same value.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use futures_util::StreamExt as _;

use super::{Endpoint, Executed, Outcome, ProviderError, Sink};
use crate::http::{Rate, Reader, Reply, Wire, describe};
use crate::manifest::checked::{self, BalanceUpdate, ProviderKind};
use crate::model::{
    Call, Change, ChangeKind, Holding, LivePerson, LivePolicy, LiveState, LiveStatus, Method,
    ReadScope, Role, Status, Unit,
};

/// The users list has no documented maximum; 5,000 is the largest page the
/// API is known to accept anywhere.
const USERS_PAGE: usize = 5000;
/// Policies and balances: at most 200 a page.
const PAGE: usize = 200;
/// The account statuses of people who can be workspace members. Without
/// this the API leaves out `LIMITED` accounts.
const ACCOUNT_STATUSES: &str = "ACTIVE,PENDING_EMAIL_VERIFICATION,NOT_REGISTERED,LIMITED";

const WIRE: Wire = Wire {
    auth_header: "X-Api-Key",
    error_message,
    throttled_ok: |_| false,
    min_throttle_wait: Duration::from_secs(1),
};

/// `{"message": "...", "code": 501}`.
fn error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct ErrorBody {
        message: String,
        code: Option<Value>,
    }
    let e: ErrorBody = serde_json::from_slice(body).ok()?;
    Some(match e.code {
        Some(code) => format!("{} (code {code})", e.message),
        None => e.message,
    })
}

#[derive(Deserialize)]
struct UserDto {
    id: String,
    email: String,
    name: Option<String>,
    #[serde(default)]
    memberships: Option<Vec<MembershipDto>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MembershipDto {
    target_id: Option<String>,
    membership_type: Option<String>,
    membership_status: Option<String>,
}

#[derive(Deserialize)]
struct MeDto {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyDto {
    id: String,
    name: String,
    time_unit: String,
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    user_ids: Vec<String>,
    #[serde(default)]
    everyone_including_new: bool,
}

#[derive(Deserialize)]
struct BalancesDto {
    count: Option<usize>,
    balances: Vec<BalanceDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceDto {
    user_id: String,
    balance: Option<f64>,
}

/// A read-only Clockify client.
pub struct Client {
    name: String,
    workspace: String,
    balance_update: BalanceUpdate,
    http: Reader,
    /// Each policy as read, for the full-replace PUT that assigns people.
    raw_policies: Mutex<HashMap<String, Map<String, Value>>>,
}

impl Client {
    pub fn new(provider: &checked::Provider, endpoint: Endpoint) -> Result<Self, ProviderError> {
        let ProviderKind::Clockify {
            workspace_id,
            requests_per_second,
            balance_update,
        } = &provider.kind
        else {
            unreachable!(
                "a Clockify client for a {} provider",
                provider.kind.type_name()
            );
        };
        Ok(Self {
            name: provider.name.clone(),
            workspace: workspace_id.clone(),
            balance_update: *balance_update,
            http: Reader::new(&endpoint, WIRE, Rate::PerSecond(*requests_per_second))?,
            raw_policies: Mutex::new(HashMap::new()),
        })
    }

    fn ws(&self) -> String {
        format!("/v1/workspaces/{}", self.workspace)
    }

    /// Requests sent so far (reads, writes and retries).
    pub fn requests(&self) -> usize {
        self.http.calls()
    }

    pub async fn read(&self, scope: &ReadScope) -> Result<LiveState, ProviderError> {
        let users_path = format!("{}/users", self.ws());
        let users_query = [
            ("status", "ALL".to_owned()),
            ("account-statuses", ACCOUNT_STATUSES.to_owned()),
            ("memberships", "WORKSPACE".to_owned()),
            ("include-roles", "false".to_owned()),
            ("sort-column", "ID".to_owned()),
            ("sort-order", "ASCENDING".to_owned()),
        ];
        let policies_path = format!("{}/time-off/policies", self.ws());
        let policies_query = [("status", "ALL".to_owned())];
        let (me, users, policies) = tokio::try_join!(
            self.get_json::<MeDto>("/v1/user", &[]),
            self.pages::<UserDto>(&users_path, &users_query, USERS_PAGE, |r| {
                decode_array(r)
            }),
            self.pages::<Value>(&policies_path, &policies_query, PAGE, |r| {
                decode_array(r)
            }),
        )?;

        let wanted: HashSet<&str> = scope.emails.iter().map(String::as_str).collect();
        let mut people = Vec::new();
        for u in users {
            let email = u.email.to_lowercase();
            if !scope.all_people && !wanted.contains(email.as_str()) {
                continue;
            }
            let status = self.membership_status(&u, &users_path)?;
            people.push(LivePerson {
                key_owner: u.id == me.id,
                id: u.id,
                email: u.email,
                name: u.name,
                status,
                role: Role::User,
            });
        }

        let mut live_policies = Vec::new();
        let mut raw = HashMap::new();
        let mut assigned: HashMap<String, (Vec<String>, bool)> = HashMap::new();
        for value in policies {
            let p: PolicyDto =
                serde_json::from_value(value.clone()).map_err(|e| ProviderError::Decode {
                    call: describe("GET", &policies_path, &policies_query),
                    message: e.to_string(),
                })?;
            let unit = match p.time_unit.as_str() {
                "DAYS" => Unit::Days,
                "HOURS" => Unit::Hours,
                other => {
                    return Err(ProviderError::Decode {
                        call: describe("GET", &policies_path, &policies_query),
                        message: format!("policy `{}` has an unknown timeUnit `{other}`", p.name),
                    });
                }
            };
            if let Value::Object(map) = value {
                raw.insert(p.id.clone(), map);
            }
            assigned.insert(p.id.clone(), (p.user_ids, p.everyone_including_new));
            live_policies.push(LivePolicy {
                id: p.id,
                name: p.name,
                policy_type: None,
                unit,
                archived: p.archived,
                everyone: p.everyone_including_new,
            });
        }
        *self.raw_policies.lock().expect("raw policies lock") = raw;

        // Balances of the referenced policies, in parallel.
        let referenced: HashSet<&str> = scope.policies.iter().map(|(n, _)| n.as_str()).collect();
        let reads = live_policies
            .iter()
            .filter(|p| referenced.contains(p.name.as_str()))
            .map(|p| async move {
                let path = format!("{}/time-off/balance/policy/{}", self.ws(), p.id);
                let rows = self.balances(&path).await?;
                Ok::<_, ProviderError>((p.id.clone(), rows))
            });
        let balances = futures_util::future::try_join_all(reads).await?;

        let mut holdings = Vec::new();
        for (policy, rows) in balances {
            let (user_ids, everyone) = &assigned[&policy];
            let by_user: HashMap<&str, Option<f64>> = rows
                .iter()
                .map(|b| (b.user_id.as_str(), b.balance))
                .collect();
            let mut holders: Vec<&str> = user_ids.iter().map(String::as_str).collect();
            if *everyone {
                holders.extend(rows.iter().map(|b| b.user_id.as_str()));
            }
            holders.sort_unstable();
            holders.dedup();
            for person in holders {
                holdings.push(Holding {
                    person: person.to_owned(),
                    policy: policy.clone(),
                    balance: by_user.get(person).copied().flatten(),
                });
            }
        }

        Ok(LiveState {
            people,
            policies: live_policies,
            holdings,
            // Clockify time-off requests are not managed (manifests refuse them).
            requests: Vec::new(),
            read_calls: self.http.calls(),
        })
    }

    /// The status of the person's membership of this workspace.
    fn membership_status(&self, u: &UserDto, path: &str) -> Result<LiveStatus, ProviderError> {
        let membership = u.memberships.iter().flatten().find(|m| {
            m.membership_type.as_deref() == Some("WORKSPACE")
                && m.target_id.as_deref() == Some(self.workspace.as_str())
        });
        let status = membership.and_then(|m| m.membership_status.as_deref());
        match status {
            Some("ACTIVE") => Ok(LiveStatus::Active),
            Some("INACTIVE") => Ok(LiveStatus::Inactive),
            Some("PENDING") => Ok(LiveStatus::Pending),
            Some("DECLINED") => Ok(LiveStatus::Declined),
            other => Err(ProviderError::Decode {
                call: format!("GET {path}"),
                message: match other {
                    Some(s) => format!("user {} has an unknown membershipStatus `{s}`", u.id),
                    None => format!(
                        "user {} has no WORKSPACE membership of workspace {}",
                        u.id, self.workspace
                    ),
                },
            }),
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ProviderError> {
        let reply = self.http.get(path, query).await?;
        serde_json::from_slice(&reply.body).map_err(|e| ProviderError::Decode {
            call: describe("GET", path, query),
            message: e.to_string(),
        })
    }

    /// Every page of a list: `page` from 1 at `page-size` `size`, until
    /// `Last-Page: true`, or a short page when the header is missing.
    async fn pages<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        size: usize,
        decode: impl Fn(&Reply) -> Result<Vec<T>, String>,
    ) -> Result<Vec<T>, ProviderError> {
        let mut all = Vec::new();
        for page in 1.. {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("page-size", size.to_string()));
            let reply = self.http.get(path, &q).await?;
            let items = decode(&reply).map_err(|message| ProviderError::Decode {
                call: describe("GET", path, &q),
                message,
            })?;
            let n = items.len();
            all.extend(items);
            let last = match reply.header("last-page") {
                Some(v) => v.eq_ignore_ascii_case("true"),
                None => n < size,
            };
            if last || n == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// Every balance row of one policy (`{count, balances}` pages). The
    /// first page's `count` says how many pages follow: they are read in
    /// parallel (within the throttle); should the last of them still say
    /// `Last-Page: false`, reading goes on page by page.
    async fn balances(&self, path: &str) -> Result<Vec<BalanceDto>, ProviderError> {
        let page = |n: usize| async move {
            let q = [("page", n.to_string()), ("page-size", PAGE.to_string())];
            let reply = self.http.get(path, &q).await?;
            let dto: BalancesDto =
                serde_json::from_slice(&reply.body).map_err(|e| ProviderError::Decode {
                    call: describe("GET", path, &q),
                    message: e.to_string(),
                })?;
            let last = match reply.header("last-page") {
                Some(v) => v.eq_ignore_ascii_case("true"),
                None => dto.balances.len() < PAGE,
            };
            Ok::<_, ProviderError>((dto, last))
        };
        let (first, mut last) = page(1).await?;
        let mut all = first.balances;
        let mut next = 2;
        if !last && let Some(count) = first.count {
            let pages = count.div_ceil(PAGE);
            if pages >= next {
                let rest = futures_util::future::try_join_all((next..=pages).map(page)).await?;
                for (dto, l) in rest {
                    all.extend(dto.balances);
                    last = l;
                }
                next = pages + 1;
            }
        }
        while !last {
            let (dto, l) = page(next).await?;
            let n = dto.balances.len();
            all.extend(dto.balances);
            last = l || n == 0;
            next += 1;
        }
        Ok(all)
    }

    /// The calls that realise `changes`, in their order, grouped: one
    /// policy PUT per policy, one balance PATCH per policy and value.
    pub fn calls(
        &self,
        changes: &[Change],
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
    ) -> Vec<Call> {
        let adds = self.balance_update == BalanceUpdate::Add;
        self.build_calls(changes, live, has_expiration, adds)
    }

    /// [`Client::calls`] with the PATCH's semantics given: `adds` sends the
    /// difference, otherwise the target.
    fn build_calls(
        &self,
        changes: &[Change],
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        adds: bool,
    ) -> Vec<Call> {
        let raw = self.raw_policies.lock().expect("raw policies lock");
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
                    method: Method::Put,
                    path: format!("{}/users/{}", self.ws(), super::seg(&change.person.id)),
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
                                method: Method::Put,
                                path: format!(
                                    "{}/time-off/policies/{}",
                                    self.ws(),
                                    super::seg(&policy.id)
                                ),
                                body: None, // filled below, once every person is known
                                changes: vec![change.id],
                            });
                        }
                    }
                }
                ChangeKind::Balance {
                    policy, from, to, ..
                } => {
                    let value = if adds { to - from.unwrap_or(0.0) } else { *to };
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
                                method: Method::Patch,
                                path: format!(
                                    "{}/time-off/balance/policy/{}",
                                    self.ws(),
                                    policy.id
                                ),
                                body: Some(json!({
                                    "userIds": [change.person.id],
                                    "value": value,
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
            let empty = Map::new();
            let read = raw.get(&policy).unwrap_or(&empty);
            calls[i].body = Some(policy_put_body(
                read,
                &people,
                has_expiration.get(name).copied().unwrap_or(false),
            ));
        }
        calls
    }
}

/// The full-replace body of `PUT .../time-off/policies/{id}`: every field
/// as read, the users as a `{contains, ids, status}` filter holding those
/// already on the policy and `add`, and the declared `hasExpiration`
/// (the API never returns it).
fn policy_put_body(read: &Map<String, Value>, add: &[String], has_expiration: bool) -> Value {
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

fn decode_array<T: DeserializeOwned>(reply: &Reply) -> Result<Vec<T>, String> {
    serde_json::from_slice(&reply.body).map_err(|e| e.to_string())
}

// ------------------------------------------------------------------ apply --

use crate::model::BALANCE_EPSILON as EPSILON;

/// Apply's writing side of a Clockify client.
pub struct Writer<'c> {
    client: &'c Client,
    http: crate::http::Writer,
    /// Whether the balance PATCH adds (`Some(true)`) or sets; `None` until
    /// a write under `balance_update: auto` has told.
    adds: Mutex<Option<bool>>,
    /// Why balance writes stopped (a write could not be verified).
    stopped: Mutex<Option<String>>,
}

/// A balance change's person, old value (0 when none) and target.
fn balance_of(c: &Change) -> Option<(&str, f64, f64)> {
    match &c.kind {
        ChangeKind::Balance { from, to, .. } => {
            Some((c.person.id.as_str(), from.unwrap_or(0.0), *to))
        }
        _ => None,
    }
}

impl<'c> Writer<'c> {
    pub fn new(client: &'c Client) -> Self {
        Self {
            client,
            http: crate::http::Writer::for_apply(&client.http),
            adds: Mutex::new(match client.balance_update {
                BalanceUpdate::Add => Some(true),
                BalanceUpdate::Set => Some(false),
                BalanceUpdate::Auto => None,
            }),
            stopped: Mutex::new(None),
        }
    }

    fn adds(&self) -> Option<bool> {
        *self.adds.lock().expect("adds lock")
    }

    fn stop(&self, why: String) {
        self.stopped
            .lock()
            .expect("stopped lock")
            .get_or_insert(why);
    }

    pub async fn run_phase(
        &self,
        changes: &[Change],
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        sink: Sink<'_>,
    ) {
        let (balances, others): (Vec<Change>, Vec<Change>) = changes
            .iter()
            .cloned()
            .partition(|c| matches!(c.kind, ChangeKind::Balance { .. }));
        if !others.is_empty() {
            // Status and policy PUTs replace a value: safe to resend.
            let calls = self
                .client
                .build_calls(&others, live, has_expiration, false);
            futures_util::stream::iter(calls)
                .for_each_concurrent(super::CONCURRENCY, |call| async move {
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
        for policy in policies {
            let mine: Vec<Change> = balances
                .iter()
                .filter(
                    |c| matches!(&c.kind, ChangeKind::Balance { policy: p, .. } if p.id == policy),
                )
                .cloned()
                .collect();
            self.policy_balances(&policy, mine, live, has_expiration, sink)
                .await;
        }
    }

    /// Write and verify the balances of one policy.
    async fn policy_balances(
        &self,
        policy: &str,
        mut changes: Vec<Change>,
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        sink: Sink<'_>,
    ) {
        // Under `auto`, a person whose balance is not zero tells add from set.
        if self.stopped.lock().expect("stopped lock").is_none()
            && self.adds().is_none()
            && let Some(i) = changes.iter().position(|c| {
                balance_of(c).is_some_and(|(_, f, t)| f.abs() > EPSILON && (f - t).abs() > EPSILON)
            })
        {
            let probe = changes.remove(i);
            self.probe(&probe, live, has_expiration, sink).await;
        }
        let stopped = self.stopped.lock().expect("stopped lock").clone();
        if let Some(why) = stopped {
            for call in self
                .client
                .build_calls(&changes, live, has_expiration, false)
            {
                sink(Executed {
                    call,
                    outcome: Outcome::Skipped {
                        reason: why.clone(),
                    },
                });
            }
            return;
        }
        // Until the semantics are known only people at zero remain, for
        // whom adding and setting agree: sending the target is right either way.
        let adds = self.adds();
        let calls = self
            .client
            .build_calls(&changes, live, has_expiration, adds.unwrap_or(false));
        let idempotent = adds == Some(false);
        let changes = &changes;
        let applied: Vec<Vec<usize>> = futures_util::stream::iter(calls)
            .map(|call| async move { self.patch(call, changes, idempotent, sink).await })
            .buffer_unordered(super::CONCURRENCY)
            .collect()
            .await;
        let written: Vec<&Change> = changes
            .iter()
            .filter(|c| applied.iter().flatten().any(|id| *id == c.id))
            .collect();
        if !written.is_empty() {
            self.verify(policy, &written, sink).await;
        }
    }

    /// Send one balance PATCH; the ids of the changes that took effect.
    /// A PATCH that may add is never sent again blind: after an unclear
    /// failure the policy's balances are read, and only the people still at
    /// their old value get it again.
    async fn patch(
        &self,
        call: Call,
        changes: &[Change],
        idempotent: bool,
        sink: Sink<'_>,
    ) -> Vec<usize> {
        super::send_checked(&self.http, call, idempotent, sink, |call| async move {
            let policy = call.path.rsplit('/').next().unwrap_or_default().to_owned();
            let now = self.read_balances(&policy).await?;
            let mut resend = Vec::new();
            let mut done = Vec::new();
            let mut odd = Vec::new();
            for id in &call.changes {
                let Some((person, from, to)) =
                    changes.iter().find(|c| c.id == *id).and_then(balance_of)
                else {
                    continue;
                };
                let value = now.get(person).copied().unwrap_or(0.0);
                if (value - to).abs() < EPSILON {
                    done.push(*id);
                } else if (value - from).abs() < EPSILON {
                    resend.push((*id, person.to_owned()));
                } else {
                    odd.push((*id, format!("{person}: {value} (was {from}, wanted {to})")));
                }
            }
            let odd = (!odd.is_empty()).then(|| {
                let why = format!(
                    "after an unclear failure of {} {}, balances are neither old nor new: {}",
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
            Ok(super::Recheck { done, resend, odd })
        })
        .await
    }

    /// Under `auto`: PATCH one person whose old balance is not zero with the
    /// target, read it back, and learn whether the PATCH adds or sets; if it
    /// added, correct that person's balance at once.
    async fn probe(
        &self,
        change: &Change,
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        sink: Sink<'_>,
    ) {
        let Some((person, from, to)) = balance_of(change) else {
            return;
        };
        let policy = match &change.kind {
            ChangeKind::Balance { policy, .. } => policy.id.clone(),
            _ => return,
        };
        let calls =
            self.client
                .build_calls(std::slice::from_ref(change), live, has_expiration, false);
        let Some(call) = calls.into_iter().next() else {
            return;
        };
        let sent = self
            .http
            .send(call.method, &call.path, call.body.as_ref(), false)
            .await;
        if let Err(f) = &sent
            && !f.unclear
        {
            sink(Executed {
                call,
                outcome: Outcome::failed(&f.error),
            });
            return;
        }
        if let Err(f) = &sent {
            sink(Executed {
                call: call.clone(),
                outcome: Outcome::Unclear {
                    message: f.error.to_string(),
                },
            });
        }
        let value = match self.read_balances(&policy).await {
            Ok(now) => now.get(person).copied().unwrap_or(0.0),
            Err(e) => {
                self.stop(format!(
                    "the first balance write could not be read back: {e}"
                ));
                sink(Executed {
                    call,
                    outcome: Outcome::failed_with(format!(
                        "written, but the balance could not be read back: {e}"
                    )),
                });
                return;
            }
        };
        if (value - to).abs() < EPSILON {
            tracing::info!("balance_update auto: the PATCH sets the balance");
            *self.adds.lock().expect("adds lock") = Some(false);
            sink(Executed {
                call,
                outcome: Outcome::Applied,
            });
        } else if (value - (from + to)).abs() < EPSILON {
            tracing::info!(
                "balance_update auto: the PATCH adds to the balance; correcting the first write"
            );
            *self.adds.lock().expect("adds lock") = Some(true);
            sink(Executed {
                call: call.clone(),
                outcome: Outcome::Applied,
            });
            // Bring the person from `from + to` down to `to`.
            let mut fix = call;
            if let Some(Value::Object(body)) = &mut fix.body {
                body.insert("value".into(), json!(to - value));
            }
            let fixed = self
                .patch(fix, std::slice::from_ref(change), false, sink)
                .await;
            let _ = fixed;
            self.verify(&policy, &[change], sink).await;
        } else if (value - from).abs() < EPSILON && sent.is_err() {
            // The unclear failure did not take effect: send it again, now
            // that nothing can double.
            let again = self
                .patch(call, std::slice::from_ref(change), false, sink)
                .await;
            if again.is_empty() {
                return;
            }
            Box::pin(self.probe_result(change, &policy, from, to)).await;
        } else {
            let why = format!(
                "balance_update auto: after writing {to} to {} ({}), the balance is {value}, neither set ({to}) nor added ({})",
                change.person.email,
                from,
                from + to
            );
            self.stop(why.clone());
            sink(Executed {
                call,
                outcome: Outcome::failed_with(why),
            });
        }
    }

    /// After a resent probe: learn the semantics from the value now.
    async fn probe_result(&self, change: &Change, policy: &str, from: f64, to: f64) {
        if let Ok(now) = self.read_balances(policy).await {
            let value = now.get(change.person.id.as_str()).copied().unwrap_or(0.0);
            if (value - to).abs() < EPSILON {
                *self.adds.lock().expect("adds lock") = Some(false);
            } else if (value - (from + to)).abs() < EPSILON {
                *self.adds.lock().expect("adds lock") = Some(true);
                self.stop(format!(
                    "balance_update auto: the PATCH adds; {} now has {value} instead of {to}; run apply again to correct it",
                    change.person.email
                ));
            }
        }
    }

    /// Read the policy's balances back and compare with what was written.
    /// A mismatch fails those changes and stops the provider's remaining
    /// balance writes.
    async fn verify(&self, policy: &str, written: &[&Change], sink: Sink<'_>) {
        let path = format!("{}/time-off/balance/policy/{policy}", self.client.ws());
        let read = Call {
            provider: self.client.name.clone(),
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
            let Some((person, _, to)) = balance_of(c) else {
                continue;
            };
            let value = now.get(person).copied();
            if value.is_none_or(|v| (v - to).abs() > EPSILON) {
                wrong.push((
                    c.id,
                    format!(
                        "{}: expected {to}, found {}",
                        c.person.email,
                        value.map_or_else(|| "no balance".to_owned(), |v| v.to_string())
                    ),
                ));
            }
        }
        if wrong.is_empty() {
            return;
        }
        let why = format!(
            "balance read-back does not match: {}",
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

    /// Every balance of one policy, by person.
    async fn read_balances(&self, policy: &str) -> Result<HashMap<String, f64>, ProviderError> {
        let path = format!("{}/time-off/balance/policy/{policy}", self.client.ws());
        let rows = self.client.balances(&path).await?;
        Ok(rows
            .into_iter()
            .filter_map(|b| b.balance.map(|v| (b.user_id, v)))
            .collect())
    }
}
