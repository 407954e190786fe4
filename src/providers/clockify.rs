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

use super::{Endpoint, Executed, MAX_PAGES, Outcome, PageGuard, ProviderError, Sink};
use crate::http::{Rate, Reader, Reply, Wire, describe};
use crate::manifest::checked::{self, BalanceUpdate, ProviderKind};
use crate::model::{
    Amount, Call, Change, ChangeKind, Holding, LivePerson, LivePolicy, LiveState, LiveStatus,
    Method, Operation, ReadScope, Role, Status, Unit,
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
    /// `{amount, period, timeUnit}` when the policy accrues by itself.
    #[serde(default)]
    automatic_accrual: Option<Value>,
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
    balance: Option<Amount>,
    total: Option<Amount>,
    used: Option<Amount>,
}

/// A balance row read as available and used. The docs disagree on which
/// of `balance` and `total` is the accrued amount (`api/clockify.md` §3.2);
/// either way accrued = available + used, so the row itself tells: the
/// field that exceeds the other by `used` is the accrued one. With nothing
/// used the two are equal and either reading gives the same numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    available: Amount,
    used: Amount,
}

impl BalanceDto {
    fn row(&self) -> Result<Option<Row>, String> {
        let Some(balance) = self.balance else {
            return Ok(None);
        };
        let used = self.used.unwrap_or(Amount::ZERO);
        let Some(total) = self.total else {
            return Ok(Some(Row {
                available: balance,
                used,
            }));
        };
        if total + used == balance {
            Ok(Some(Row {
                available: total,
                used,
            }))
        } else if balance + used == total {
            Ok(Some(Row {
                available: balance,
                used,
            }))
        } else {
            Err(format!(
                "balance {balance}, total {total} and used {used}: neither field is the other plus used"
            ))
        }
    }
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

    /// Policies as if read (their names), for the call builders' tests.
    #[cfg(test)]
    pub(crate) fn with_policies_read(self, policies: &[(&str, &str)]) -> Self {
        let raw = policies
            .iter()
            .map(|(id, name)| {
                let mut m = Map::new();
                m.insert("id".into(), json!(id));
                m.insert("name".into(), json!(name));
                ((*id).to_owned(), m)
            })
            .collect();
        *self.raw_policies.lock().expect("raw policies lock") = raw;
        self
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
                accrues: p
                    .automatic_accrual
                    .filter(|a| !a.is_null())
                    .map(|a| format!("automaticAccrual {a}")),
            });
        }
        *self.raw_policies.lock().expect("raw policies lock") = raw;

        // Balances of the referenced policies, in parallel.
        let referenced: HashSet<&str> = scope.policies.iter().map(|(n, _)| n.as_str()).collect();
        let reads = live_policies
            .iter()
            .filter(|p| referenced.contains(p.name.as_str()))
            .map(|p| async move {
                let path = format!(
                    "{}/time-off/balance/policy/{}",
                    self.ws(),
                    super::seg(&p.id)
                );
                let rows = self.balances(&path).await?;
                Ok::<_, ProviderError>((p.id.clone(), rows))
            });
        let balances = futures_util::future::try_join_all(reads).await?;

        let mut holdings = Vec::new();
        for (policy, rows) in balances {
            let (user_ids, everyone) = &assigned[&policy];
            let by_user: HashMap<&str, Result<Option<Row>, String>> =
                rows.iter().map(|b| (b.user_id.as_str(), b.row())).collect();
            let mut holders: Vec<&str> = user_ids.iter().map(String::as_str).collect();
            if *everyone {
                holders.extend(rows.iter().map(|b| b.user_id.as_str()));
            }
            holders.sort_unstable();
            holders.dedup();
            for person in holders {
                let row = by_user.get(person).cloned().unwrap_or(Ok(None));
                holdings.push(Holding {
                    person: person.to_owned(),
                    policy: policy.clone(),
                    balance: row.as_ref().ok().copied().flatten().map(|r| r.available),
                    used: row.as_ref().ok().copied().flatten().map(|r| r.used),
                    unreadable: row.err(),
                });
            }
        }

        Ok(LiveState {
            people,
            policies: live_policies,
            holdings,
            // Clockify time-off requests are not managed (manifests refuse them).
            requests: Vec::new(),
            earlier_requests: Vec::new(),
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
        let mut guard = PageGuard::new();
        for page in 1.. {
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("page-size", size.to_string()));
            let call = describe("GET", path, &q);
            guard.before_page(&call)?;
            let reply = self.http.get(path, &q).await?;
            let items = decode(&reply).map_err(|message| ProviderError::Decode {
                call: call.clone(),
                message,
            })?;
            let n = items.len();
            if n == 0 {
                break;
            }
            guard.page(&call, &reply.body)?;
            all.extend(items);
            let last = match reply.header("last-page") {
                Some(v) => v.eq_ignore_ascii_case("true"),
                None => n < size,
            };
            if last {
                break;
            }
        }
        Ok(all)
    }

    /// Every balance row of one policy (`{count, balances}` pages). The
    /// first page's `count` says how many pages follow: they are read at
    /// most [`super::CONCURRENCY`] at once (within the throttle), and a
    /// `count` past the page cap is an error; should the last of them still
    /// say `Last-Page: false`, reading goes on page by page.
    async fn balances(&self, path: &str) -> Result<Vec<BalanceDto>, ProviderError> {
        let page = |n: usize| async move {
            let q = [("page", n.to_string()), ("page-size", PAGE.to_string())];
            let call = describe("GET", path, &q);
            let reply = self.http.get(path, &q).await?;
            let dto: BalancesDto =
                serde_json::from_slice(&reply.body).map_err(|e| ProviderError::Decode {
                    call: call.clone(),
                    message: e.to_string(),
                })?;
            let last = match reply.header("last-page") {
                Some(v) => v.eq_ignore_ascii_case("true"),
                None => dto.balances.len() < PAGE,
            };
            Ok::<_, ProviderError>((dto, last, call, reply.body))
        };
        let mut guard = PageGuard::new();
        let (first, mut last, call, body) = page(1).await?;
        if !first.balances.is_empty() {
            guard.page(&call, &body)?;
        }
        last = last || first.balances.is_empty();
        let mut next = 2;
        let count = first.count;
        let mut all = first.balances;
        if !last && let Some(count) = count {
            let pages = count.div_ceil(PAGE);
            if pages > MAX_PAGES {
                return Err(ProviderError::Bound {
                    call,
                    message: format!(
                        "its count of {count} rows means {pages} pages, more than hrform's page cap of {MAX_PAGES}"
                    ),
                });
            }
            if pages >= next {
                let mut rest = futures_util::stream::iter(next..=pages)
                    .map(page)
                    .buffered(super::CONCURRENCY);
                while let Some(read) = rest.next().await {
                    let (dto, l, call, body) = read?;
                    if dto.balances.is_empty() {
                        last = true;
                        continue;
                    }
                    guard.page(&call, &body)?;
                    all.extend(dto.balances);
                    last = l;
                }
                next = pages + 1;
            }
        }
        while !last {
            guard.before_page(&describe(
                "GET",
                path,
                &[("page", next.to_string()), ("page-size", PAGE.to_string())],
            ))?;
            let (dto, l, call, body) = page(next).await?;
            let n = dto.balances.len();
            if n > 0 {
                guard.page(&call, &body)?;
            }
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
        // Under `auto` the plan shows what a PATCH that sets the accrued
        // amount would carry (the allowance itself); apply learns the truth.
        let mode = Mode::declared(self.balance_update).unwrap_or(Mode::SetAccrued);
        self.build_calls(changes, live, has_expiration, mode)
    }

    /// [`Client::calls`] with the PATCH's semantics given.
    fn build_calls(
        &self,
        changes: &[Change],
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        mode: Mode,
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
                    op: Operation::Status,
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
                                op: Operation::Assign,
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
                                path: format!(
                                    "{}/time-off/balance/policy/{}",
                                    self.ws(),
                                    super::seg(&policy.id)
                                ),
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
            let Some(read) = raw
                .get(&policy)
                .filter(|r| r.get("name").is_some_and(Value::is_string))
            else {
                tracing::error!("policy {policy} was not read: no full-replace PUT");
                continue;
            };
            calls[i].body = Some(policy_put_body(
                read,
                &people,
                has_expiration.get(name).copied().unwrap_or(false),
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

/// What the balance PATCH does with its `value`. The docs leave it open
/// (`api/clockify.md` §3.4, §3.2): it may add to the balance, or replace the
/// accrued amount, or replace the available one. Adding to the accrued or to
/// the available amount is the same (usage does not move).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Add,
    SetAccrued,
    SetAvailable,
}

impl Mode {
    /// Every mode, in the order `auto` tries them.
    const ALL: [Mode; 3] = [Mode::SetAccrued, Mode::SetAvailable, Mode::Add];

    fn declared(b: BalanceUpdate) -> Option<Mode> {
        match b {
            BalanceUpdate::Auto => None,
            BalanceUpdate::Add => Some(Mode::Add),
            BalanceUpdate::SetAccrued => Some(Mode::SetAccrued),
            BalanceUpdate::SetAvailable => Some(Mode::SetAvailable),
        }
    }

    /// The PATCH value that brings `b` to its target under this mode.
    fn value(self, b: Bal) -> Amount {
        match self {
            Mode::Add => b.to - b.from,
            Mode::SetAccrued => b.to + b.used,
            Mode::SetAvailable => b.to,
        }
    }

    /// The available amount a person at `b` has after a PATCH of `value`.
    fn result(self, b: Bal, value: Amount) -> Amount {
        match self {
            Mode::Add => b.from + value,
            Mode::SetAccrued => value - b.used,
            Mode::SetAvailable => value,
        }
    }

    fn words(self) -> &'static str {
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
struct Bal {
    from: Amount,
    to: Amount,
    used: Amount,
}

impl Bal {
    fn of(c: &Change) -> Option<Bal> {
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

/// Apply's writing side of a Clockify client.
pub struct Writer<'c> {
    client: &'c Client,
    http: crate::http::Writer,
    /// The PATCH semantics still possible: one once known (declared, or
    /// learnt from a read-back under `balance_update: auto`).
    modes: Mutex<Vec<Mode>>,
    /// Why balance writes stopped (a write could not be verified).
    stopped: Mutex<Option<String>>,
}

impl<'c> Writer<'c> {
    pub fn new(client: &'c Client) -> Self {
        Self {
            client,
            http: crate::http::Writer::for_apply(&client.http),
            modes: Mutex::new(match Mode::declared(client.balance_update) {
                Some(m) => vec![m],
                None => Mode::ALL.to_vec(),
            }),
            stopped: Mutex::new(None),
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
                .build_calls(&others, live, has_expiration, Mode::SetAccrued);
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

    /// Write and verify the balances of one policy. A change whose PATCH
    /// value is the same under every mode still possible is sent at once;
    /// the others wait until a probe has told the modes apart.
    async fn policy_balances(
        &self,
        policy: &str,
        mut pending: Vec<Change>,
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        sink: Sink<'_>,
    ) {
        let mut written: Vec<Change> = Vec::new();
        // Each probe rules out at least one mode, or stops: at most 3 rounds.
        for _ in 0..=Mode::ALL.len() {
            if pending.is_empty() {
                break;
            }
            if let Some(why) = self.stopped() {
                self.skip(&pending, live, has_expiration, &why, sink);
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
                let calls = self
                    .client
                    .build_calls(&safe, live, has_expiration, modes[0]);
                let safe_ref = &safe;
                let applied: Vec<Vec<usize>> = futures_util::stream::iter(calls)
                    .map(|call| async move { self.patch(call, safe_ref, sink).await })
                    .buffer_unordered(super::CONCURRENCY)
                    .collect()
                    .await;
                written.extend(
                    safe.into_iter()
                        .filter(|c| applied.iter().flatten().any(|id| *id == c.id)),
                );
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
            match self.probe(&probe, &modes, live, has_expiration, sink).await {
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
            self.skip(&pending, live, has_expiration, &why, sink);
        }
        if !written.is_empty() {
            let written: Vec<&Change> = written.iter().collect();
            self.verify(policy, &written, sink).await;
        }
    }

    fn skip(
        &self,
        changes: &[Change],
        live: &LiveState,
        has_expiration: &BTreeMap<String, bool>,
        why: &str,
        sink: Sink<'_>,
    ) {
        let mode = self.modes()[0];
        for call in self.client.build_calls(changes, live, has_expiration, mode) {
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
    async fn patch(&self, call: Call, changes: &[Change], sink: Sink<'_>) -> Vec<usize> {
        let idempotent = !self.modes().contains(&Mode::Add);
        super::send_checked(&self.http, call, idempotent, sink, |call| async move {
            // The policy from the changes, not the (encoded) path.
            let policy = call
                .changes
                .iter()
                .find_map(|id| changes.iter().find(|c| c.id == *id))
                .and_then(|c| match &c.kind {
                    ChangeKind::Balance { policy, .. } => Some(policy.id.clone()),
                    _ => None,
                })
                .unwrap_or_default();
            let now = self.read_balances(&policy).await?;
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
            Ok(super::Recheck { done, resend, odd })
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
        has_expiration: &BTreeMap<String, bool>,
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
            .build_calls(std::slice::from_ref(change), live, has_expiration, guess)
            .into_iter()
            .next()
        else {
            return Probed::Stopped;
        };
        let mut sent = Err(None);
        for _ in 0..super::RESENDS {
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
                super::RESENDS,
                message.map(|m| format!(": {m}")).unwrap_or_default()
            );
            self.stop(why.clone());
            sink(Executed {
                call,
                outcome: Outcome::failed_with(why),
            });
            return Probed::Stopped;
        }
        let observed = match self.read_balances(&policy.id).await {
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
        let path = format!(
            "{}/time-off/balance/policy/{}",
            self.client.ws(),
            super::seg(policy)
        );
        let read = Call {
            provider: self.client.name.clone(),
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
    async fn read_balances(&self, policy: &str) -> Result<HashMap<String, Row>, ProviderError> {
        let path = format!(
            "{}/time-off/balance/policy/{}",
            self.client.ws(),
            super::seg(policy)
        );
        let rows = self.client.balances(&path).await?;
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
