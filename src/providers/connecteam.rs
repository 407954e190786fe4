//! The Connecteam provider: the only module that knows Connecteam's paths,
//! query parameters and JSON (`../shared/api/connecteam.md`).
//!
//! Reading: the policy types with their policies (one call), every user
//! (`userStatus=all`, 500 a page), and the balances of each policy type the
//! manifests reference (100 a page; the only place assignments show), with
//! limit/offset paging that stops on a short page. Calls: archive/restore in
//! batches of 25 (`PUT /users/v1/users`), the assignment PUT (one user a
//! call, carrying the balance when one is declared) and the absolute balance
//! PUT.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use futures_util::{StreamExt as _, TryStreamExt as _};

use super::{Endpoint, Executed, Outcome, PageGuard, ProviderError, Sink};
use crate::http::{Rate, Reader, Wire, describe};
use crate::manifest::checked::{self, ProviderKind};
use crate::model::{
    Amount, Call, Change, ChangeKind, Holding, LivePerson, LivePolicy, LiveRequest, LiveState,
    LiveStatus, Method, Operation, PolicyTypeRef, ReadScope, Role, Status, Unit,
};

/// `GET /users/v1/users`: at most 500 a page.
const USERS_PAGE: usize = 500;
/// `GET .../balances`: at most 100 a page.
const BALANCES_PAGE: usize = 100;
/// `GET /time-off/v1/requests`: at most 100 a page.
const REQUESTS_PAGE: usize = 100;
/// The most 365-day slices one read of requests may take.
const MAX_REQUEST_SLICES: usize = 25;
/// `GET /time-off/v1/requests`: a window of at most 365 days.
const REQUEST_WINDOW_DAYS: i64 = 365;
/// `PUT /users/v1/users`: at most 25 users a call.
const USERS_BATCH: usize = 25;

const WIRE: Wire = Wire {
    auth_header: "X-API-KEY",
    error_message,
    throttled_ok,
    min_throttle_wait: Duration::from_millis(500),
};

/// `{"detail": "text"}` or FastAPI's `{"detail": [{"loc": [...], "msg": ...}]}`.
fn error_message(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    match v.get("detail")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => Some(
            items
                .iter()
                .map(|i| {
                    let loc: Vec<String> = i
                        .get("loc")
                        .and_then(Value::as_array)
                        .map(|l| {
                            l.iter()
                                .map(|p| match p {
                                    Value::String(s) => s.clone(),
                                    other => other.to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let msg = i.get("msg").and_then(Value::as_str).unwrap_or("invalid");
                    format!("{}: {msg}", loc.join("."))
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => Some(other.to_string()),
    }
    .or_else(|| v.get("error").and_then(Value::as_str).map(str::to_owned))
}

/// A 200 whose body is `{"detail": "Too many requests"}` and no `data`.
fn throttled_ok(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .is_ok_and(|v| v.get("data").is_none() && v.get("detail").is_some_and(Value::is_string))
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Deserialize)]
struct UsersData {
    users: Vec<UserDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserDto {
    user_id: i64,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    user_type: String,
    #[serde(default)]
    is_archived: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PolicyTypesData {
    policy_types: Vec<PolicyTypeDto>,
}

#[derive(Deserialize)]
struct PolicyTypeDto {
    #[serde(deserialize_with = "id_string")]
    id: String,
    name: String,
    #[serde(default)]
    policies: Option<Vec<PolicyDto>>,
}

#[derive(Deserialize)]
struct PolicyDto {
    #[serde(deserialize_with = "id_string")]
    id: String,
    name: String,
    unit: String,
    /// `fixed`, `hourly` or `unlimited` (added 2026-07-13).
    #[serde(default, rename = "accrualType")]
    accrual_type: Option<String>,
}

#[derive(Deserialize)]
struct DurationDto {
    amount: Amount,
}

#[derive(Deserialize)]
struct RequestsData {
    requests: Vec<RequestDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestDto {
    #[serde(deserialize_with = "id_string")]
    id: String,
    user_id: i64,
    #[serde(deserialize_with = "id_string")]
    policy_type_id: String,
    is_all_day: bool,
    start_date: String,
    end_date: String,
    start_time: Option<String>,
    end_time: Option<String>,
    timezone: String,
    status: String,
    employee_note: Option<String>,
    manager_note: Option<String>,
    is_adjust_for_day_light_saving: Option<bool>,
    time_clock_id: Option<i64>,
    /// On approved requests: what is deducted, in the policy's unit.
    #[serde(default)]
    duration: Option<DurationDto>,
}

/// `[first, last]` cut into windows of at most 365 days, each starting the
/// day after the previous one ends.
pub(crate) fn request_slices(
    first: jiff::civil::Date,
    last: jiff::civil::Date,
) -> Vec<(jiff::civil::Date, jiff::civil::Date)> {
    let mut out = Vec::new();
    let mut from = first;
    loop {
        let to = from
            .checked_add(jiff::Span::new().days(REQUEST_WINDOW_DAYS - 1))
            .map_or(last, |d| d.min(last));
        out.push((from, to));
        if to >= last {
            break;
        }
        match to.tomorrow() {
            Ok(next) => from = next,
            Err(_) => break,
        }
    }
    out
}

#[derive(Deserialize)]
struct BalancesData {
    balances: Vec<BalanceDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BalanceDto {
    user_id: i64,
    #[serde(deserialize_with = "id_string")]
    policy_id: String,
    balance: Option<Amount>,
}

/// A request as the model has it.
fn live_request(r: RequestDto, types: &[PolicyTypeDto]) -> LiveRequest {
    let policy_type = types
        .iter()
        .find(|t| t.id == r.policy_type_id)
        .map_or_else(|| r.policy_type_id.clone(), |t| t.name.clone());
    LiveRequest {
        id: r.id,
        person: r.user_id.to_string(),
        policy_type_id: r.policy_type_id,
        policy_type,
        all_day: r.is_all_day,
        start_date: r.start_date,
        end_date: r.end_date,
        start_time: (!r.is_all_day).then_some(r.start_time).flatten(),
        end_time: (!r.is_all_day).then_some(r.end_time).flatten(),
        timezone: r.timezone,
        duration: (r.status == "approved")
            .then_some(r.duration.map(|d| d.amount))
            .flatten(),
        status: r.status,
        employee_note: r.employee_note.filter(|n| !n.is_empty()),
        manager_note: r.manager_note.filter(|n| !n.is_empty()),
        adjust_for_dst: r.is_adjust_for_day_light_saving,
        time_clock_id: r.time_clock_id,
    }
}

/// Ids are documented as strings; accept a number too, kept as its text.
fn id_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

/// A read-only Connecteam client.
pub struct Client {
    name: String,
    http: Reader,
}

impl Client {
    pub fn new(provider: &checked::Provider, endpoint: Endpoint) -> Result<Self, ProviderError> {
        let ProviderKind::Connecteam {
            requests_per_minute,
        } = &provider.kind
        else {
            unreachable!(
                "a Connecteam client for a {} provider",
                provider.kind.type_name()
            );
        };
        Ok(Self {
            name: provider.name.clone(),
            http: Reader::new(&endpoint, WIRE, Rate::PerMinute(*requests_per_minute))?,
        })
    }

    /// Requests sent so far (reads, writes and retries).
    pub fn requests(&self) -> usize {
        self.http.calls()
    }

    pub async fn read(&self, scope: &ReadScope) -> Result<LiveState, ProviderError> {
        let types_path = "/time-off/v1/policy-types";
        let users_query = [("userStatus", "all".to_owned())];
        let (types, users) = tokio::try_join!(
            self.get_json::<PolicyTypesData>(types_path, &[]),
            self.pages::<UsersData, _>("/users/v1/users", &users_query, USERS_PAGE, |d| d.users),
        )?;

        let wanted: HashSet<&str> = scope.emails.iter().map(String::as_str).collect();
        let mut people = Vec::new();
        for u in users {
            // hrform matches people by email; one without cannot be managed.
            let Some(email) = u.email.filter(|e| !e.trim().is_empty()) else {
                continue;
            };
            if !scope.all_people && !wanted.contains(email.to_lowercase().as_str()) {
                continue;
            }
            let role = match u.user_type.as_str() {
                "owner" => Role::Owner,
                "manager" => Role::Manager,
                _ => Role::User,
            };
            let name = match (u.first_name, u.last_name) {
                (Some(f), Some(l)) => Some(format!("{f} {l}").trim().to_owned()),
                (f, l) => f.or(l),
            };
            people.push(LivePerson {
                id: u.user_id.to_string(),
                email,
                name,
                status: if u.is_archived {
                    LiveStatus::Inactive
                } else {
                    LiveStatus::Active
                },
                role,
                key_owner: false,
            });
        }

        let mut policies = Vec::new();
        for t in &types.policy_types {
            for p in t.policies.iter().flatten() {
                let unit = match p.unit.as_str() {
                    "days" => Unit::Days,
                    "hours" => Unit::Hours,
                    other => {
                        return Err(ProviderError::Decode {
                            call: format!("GET {types_path}"),
                            message: format!("policy `{}` has an unknown unit `{other}`", p.name),
                        });
                    }
                };
                policies.push(LivePolicy {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    policy_type: Some(PolicyTypeRef {
                        id: t.id.clone(),
                        name: t.name.clone(),
                    }),
                    unit,
                    archived: false,
                    everyone: false,
                    // A fixed allowance is HR's to set; hourly accrual and
                    // unlimited policies have no allowance to declare.
                    accrues: p
                        .accrual_type
                        .as_deref()
                        .filter(|a| *a != "fixed")
                        .map(|a| format!("accrualType: {a}")),
                });
            }
        }

        // The policy types holding a referenced policy: their balances say
        // who is on which policy.
        let mut type_ids: Vec<&str> = policies
            .iter()
            .filter(|p| {
                scope.policies.iter().any(|(name, ty)| {
                    &p.name == name
                        && ty
                            .as_ref()
                            .is_none_or(|t| p.policy_type.as_ref().is_some_and(|pt| &pt.name == t))
                })
            })
            .filter_map(|p| p.policy_type.as_ref().map(|t| t.id.as_str()))
            .collect();
        type_ids.sort_unstable();
        type_ids.dedup();
        // Types named only by requests: the assignments of the requests'
        // people, 100 ids a call (`userIds`), not the whole type.
        let mut request_type_ids: Vec<&str> = types
            .policy_types
            .iter()
            .filter(|t| scope.request_types.contains(&t.name))
            .map(|t| t.id.as_str())
            .filter(|id| !type_ids.contains(id))
            .collect();
        request_type_ids.sort_unstable();
        request_type_ids.dedup();
        let ids: Vec<String> = people.iter().map(|p| p.id.clone()).collect();
        let mut reads: Vec<(String, Vec<(&str, String)>)> = type_ids
            .iter()
            .map(|id| {
                (
                    format!("/time-off/v1/policy-types/{}/balances", super::seg(id)),
                    Vec::new(),
                )
            })
            .collect();
        for id in &request_type_ids {
            for chunk in ids.chunks(BALANCES_PAGE) {
                let query = chunk.iter().map(|u| ("userIds", u.clone())).collect();
                reads.push((
                    format!("/time-off/v1/policy-types/{}/balances", super::seg(id)),
                    query,
                ));
            }
        }
        let reads = reads.iter().map(|(path, query)| async move {
            self.pages::<BalancesData, _>(path, query, BALANCES_PAGE, |d| d.balances)
                .await
        });
        let (balances, requests) = tokio::try_join!(
            futures_util::future::try_join_all(reads),
            self.read_requests(scope, &types.policy_types, &people),
        )?;
        let holdings = balances
            .into_iter()
            .flatten()
            .map(|b| Holding {
                person: b.user_id.to_string(),
                policy: b.policy_id,
                balance: b.balance,
                used: None,
                unreadable: None,
            })
            .collect();

        Ok(LiveState {
            people,
            policies,
            holdings,
            requests,
            earlier_requests: Vec::new(),
            read_calls: self.http.calls(),
        })
    }

    /// The approved requests of `people` over `window`, for usage: in
    /// slices of at most 365 days; with `userIds` (100 a call) when there
    /// are at most 100 people, else every approved request of the window.
    pub async fn read_usage(
        &self,
        (first, last): (jiff::civil::Date, jiff::civil::Date),
        people: &[String],
    ) -> Result<Vec<LiveRequest>, ProviderError> {
        let filter = people.len() <= REQUESTS_PAGE;
        let slices = request_slices(first, last);
        let reads = slices.iter().map(|(from, to)| async move {
            let mut query = vec![
                ("startDate", from.to_string()),
                ("endDate", to.to_string()),
                ("statuses", "approved".to_owned()),
            ];
            if filter {
                query.extend(people.iter().map(|p| ("userIds", p.clone())));
            }
            self.pages::<RequestsData, _>("/time-off/v1/requests", &query, REQUESTS_PAGE, |d| {
                d.requests
            })
            .await
        });
        let found = futures_util::future::try_join_all(reads).await?;
        let wanted: HashSet<&str> = people.iter().map(String::as_str).collect();
        let mut seen = HashSet::new();
        let mut out: Vec<LiveRequest> = found
            .into_iter()
            .flatten()
            .filter(|r| {
                wanted.contains(r.user_id.to_string().as_str()) && seen.insert(r.id.clone())
            })
            // Usage needs the type's id only; the plan has the names.
            .map(|r| live_request(r, &[]))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The requests overlapping the scope's window, in slices of at most
    /// 365 days (the API's limit), all three statuses (the API defaults to
    /// approved only), deduplicated by id across slices; only those of the
    /// people read.
    async fn read_requests(
        &self,
        scope: &ReadScope,
        types: &[PolicyTypeDto],
        people: &[LivePerson],
    ) -> Result<Vec<LiveRequest>, ProviderError> {
        let Some((first, last)) = scope.requests else {
            return Ok(Vec::new());
        };
        let slices = request_slices(first, last);
        // Validation keeps request dates within ten years of today, so a
        // window is at most 21 years; a longer one is refused, not read.
        if slices.len() > MAX_REQUEST_SLICES {
            return Err(ProviderError::Bound {
                call: "GET /time-off/v1/requests".into(),
                message: format!(
                    "the requests' window {first} to {last} needs {} reads of 365 days, more than the {MAX_REQUEST_SLICES} hrform makes",
                    slices.len()
                ),
            });
        }
        // A few people of a large account: only theirs (`userIds`, at most
        // 100 so the URL stays short); otherwise every request of the
        // window, which costs no more.
        let only: Vec<String> = if !scope.all_people && people.len() <= REQUESTS_PAGE {
            people.iter().map(|p| p.id.clone()).collect()
        } else {
            Vec::new()
        };
        let only = &only;
        let reads = slices.into_iter().map(|(from, to)| async move {
            let mut query = vec![
                ("startDate", from.to_string()),
                ("endDate", to.to_string()),
                ("statuses", "approved".to_owned()),
                ("statuses", "pending".to_owned()),
                ("statuses", "denied".to_owned()),
            ];
            query.extend(only.iter().map(|id| ("userIds", id.clone())));
            self.pages::<RequestsData, _>("/time-off/v1/requests", &query, REQUESTS_PAGE, |d| {
                d.requests
            })
            .await
        });
        let found: Vec<Vec<RequestDto>> = futures_util::stream::iter(reads)
            .buffered(super::CONCURRENCY)
            .try_collect()
            .await?;
        let ours: HashSet<&str> = people.iter().map(|p| p.id.as_str()).collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for r in found.into_iter().flatten() {
            let person = r.user_id.to_string();
            if !ours.contains(person.as_str()) || !seen.insert(r.id.clone()) {
                continue;
            }
            out.push(live_request(r, types));
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ProviderError> {
        let reply = self.http.get(path, query).await?;
        let envelope: Envelope<T> =
            serde_json::from_slice(&reply.body).map_err(|e| ProviderError::Decode {
                call: describe("GET", path, query),
                message: e.to_string(),
            })?;
        Ok(envelope.data)
    }

    /// Every page of a list: `limit` `size` from `offset` 0, the offset
    /// moving by what came back, until a page is short.
    async fn pages<D: DeserializeOwned, T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        size: usize,
        items: impl Fn(D) -> Vec<T>,
    ) -> Result<Vec<T>, ProviderError> {
        let mut all = Vec::new();
        let mut guard = PageGuard::new();
        loop {
            let mut q = query.to_vec();
            q.push(("limit", size.to_string()));
            q.push(("offset", all.len().to_string()));
            let call = describe("GET", path, &q);
            guard.before_page(&call)?;
            let reply = self.http.get(path, &q).await?;
            let envelope: Envelope<D> =
                serde_json::from_slice(&reply.body).map_err(|e| ProviderError::Decode {
                    call: call.clone(),
                    message: e.to_string(),
                })?;
            let page = items(envelope.data);
            let n = page.len();
            if n == 0 {
                break;
            }
            guard.page(&call, &reply.body)?;
            all.extend(page);
            if n < size {
                break;
            }
        }
        Ok(all)
    }

    /// The calls that realise `changes`, in their order: archive and
    /// restore batched 25 users a call, one assignment or balance PUT per
    /// change.
    pub fn calls(&self, changes: &[Change], _live: &LiveState) -> Vec<Call> {
        let mut calls: Vec<Call> = Vec::new();
        // The open archive/restore batch for each direction.
        let mut open: HashMap<bool, usize> = HashMap::new();
        for change in changes {
            let user_id = wire_user_id(&change.person.id);
            match &change.kind {
                ChangeKind::CreateRequest { request, .. } => calls.push(Call {
                    provider: self.name.clone(),
                    op: Operation::CreateRequest,
                    method: Method::Post,
                    path: "/time-off/v1/requests".into(),
                    body: Some(request_body(request, &user_id)),
                    changes: vec![change.id],
                }),
                ChangeKind::UpdateRequest {
                    request, fields, ..
                } => {
                    let body: serde_json::Map<String, Value> = fields
                        .iter()
                        .map(|(name, (_, to))| (wire_field(name).to_owned(), to.clone()))
                        .collect();
                    calls.push(Call {
                        provider: self.name.clone(),
                        op: Operation::UpdateRequest,
                        method: Method::Put,
                        path: format!("/time-off/v1/requests/{}", super::seg(&request.id)),
                        body: Some(Value::Object(body)),
                        changes: vec![change.id],
                    });
                }
                ChangeKind::DenyRequest { request, .. } => calls.push(Call {
                    provider: self.name.clone(),
                    op: Operation::DenyRequest,
                    method: Method::Put,
                    path: format!("/time-off/v1/requests/{}", super::seg(&request.id)),
                    body: Some(json!({ "status": "denied" })),
                    changes: vec![change.id],
                }),
                ChangeKind::Status { to, .. } => {
                    let archive = *to == Status::Inactive;
                    let item = json!({ "userId": user_id, "isArchived": archive });
                    match open.get(&archive).copied() {
                        Some(i) if calls[i].changes.len() < USERS_BATCH => {
                            calls[i].changes.push(change.id);
                            if let Some(Value::Array(items)) = &mut calls[i].body {
                                items.push(item);
                            }
                        }
                        _ => {
                            open.insert(archive, calls.len());
                            calls.push(Call {
                                provider: self.name.clone(),
                                op: Operation::Status,
                                method: Method::Put,
                                path: "/users/v1/users?includeSmartGroupIds=false".into(),
                                body: Some(json!([item])),
                                changes: vec![change.id],
                            });
                        }
                    }
                }
                ChangeKind::Assign {
                    policy,
                    balance,
                    unit,
                    ..
                } => {
                    let body = match balance {
                        Some(b) => {
                            json!({"userId": user_id, "balance": b.to_f64(), "unit": unit.as_str()})
                        }
                        None => json!({ "userId": user_id }),
                    };
                    calls.push(Call {
                        provider: self.name.clone(),
                        op: Operation::Assign,
                        method: Method::Put,
                        path: format!(
                            "/time-off/v1/time-off-policies/{}/assignments",
                            super::seg(&policy.id)
                        ),
                        body: Some(body),
                        changes: vec![change.id],
                    });
                }
                ChangeKind::Balance { policy, to, .. } => {
                    // Every Connecteam policy is read with its type; without
                    // one there is no path to build (the change then fails
                    // as "no call was made", never a `/policy-types//…` call).
                    let Some(type_id) = policy.policy_type_id.as_deref().filter(|t| !t.is_empty())
                    else {
                        tracing::error!("policy {} has no policy type: no balance call", policy.id);
                        continue;
                    };
                    calls.push(Call {
                        provider: self.name.clone(),
                        op: Operation::Balance,
                        method: Method::Put,
                        path: format!(
                            "/time-off/v1/policy-types/{}/balances/{}",
                            super::seg(type_id),
                            super::seg(&change.person.id)
                        ),
                        body: Some(json!({ "balance": to.to_f64() })),
                        changes: vec![change.id],
                    });
                }
            }
        }
        calls
    }
}

/// The user (as the API writes their id) and dates of a create body.
fn create_span(body: &Value) -> Option<(String, jiff::civil::Date, jiff::civil::Date)> {
    let date = |k: &str| body.get(k)?.as_str()?.parse::<jiff::civil::Date>().ok();
    let user = body.get("userId")?.to_string();
    Some((user, date("startDate")?, date("endDate")?))
}

/// The body of `POST /time-off/v1/requests`.
fn request_body(r: &LiveRequest, user_id: &Value) -> Value {
    let mut body = serde_json::Map::new();
    body.insert("userId".into(), user_id.clone());
    body.insert("policyTypeId".into(), json!(r.policy_type_id));
    body.insert("isAllDay".into(), json!(r.all_day));
    body.insert("startDate".into(), json!(r.start_date));
    body.insert("endDate".into(), json!(r.end_date));
    if !r.all_day {
        body.insert("startTime".into(), json!(r.start_time));
        body.insert("endTime".into(), json!(r.end_time));
    }
    body.insert("timezone".into(), json!(r.timezone));
    body.insert("status".into(), json!(r.status));
    if let Some(note) = &r.employee_note {
        body.insert("employeeNote".into(), json!(note));
    }
    if let Some(note) = &r.manager_note {
        body.insert("managerNote".into(), json!(note));
    }
    if r.adjust_for_dst == Some(true) {
        body.insert("isAdjustForDayLightSaving".into(), json!(true));
    }
    if let Some(id) = r.time_clock_id {
        body.insert("timeClockId".into(), json!(id));
    }
    Value::Object(body)
}

/// The wire name of a request field the planner names neutrally.
fn wire_field(name: &str) -> &str {
    match name {
        "all_day" => "isAllDay",
        "start_date" => "startDate",
        "end_date" => "endDate",
        "start_time" => "startTime",
        "end_time" => "endTime",
        "manager_note" => "managerNote",
        "adjust_for_dst" => "isAdjustForDayLightSaving",
        "time_clock_id" => "timeClockId",
        other => other, // timezone, status
    }
}

/// Connecteam user ids are integers on the wire.
fn wire_user_id(id: &str) -> Value {
    id.parse::<i64>()
        .map_or_else(|_| Value::String(id.to_owned()), Value::from)
}

// ------------------------------------------------------------------ apply --

/// Apply's writing side of a Connecteam client.
pub struct Writer<'c> {
    client: &'c Client,
    http: crate::http::Writer,
}

impl<'c> Writer<'c> {
    pub fn new(client: &'c Client) -> Self {
        Self {
            client,
            http: crate::http::Writer::for_apply(&client.http),
        }
    }

    pub async fn run_phase(&self, changes: &[Change], live: &LiveState, sink: Sink<'_>) {
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
            .buffer_unordered(super::CONCURRENCY)
            .collect()
            .await;
        if !creates.is_empty() {
            applied.push(self.create_requests(creates, sink).await);
        }
        // Assignments are verified by reading the balances of their types.
        let assigned: Vec<&Change> = changes
            .iter()
            .filter(|c| matches!(c.kind, ChangeKind::Assign { .. }))
            .filter(|c| applied.iter().flatten().any(|id| *id == c.id))
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
        super::send_checked(&self.http, call, false, sink, |call| async move {
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
            Ok(super::Recheck {
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
        super::send_all_checked(
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
                    .map(|(call, exists)| super::Recheck {
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
                .pages::<RequestsData, _>("/time-off/v1/requests", &query, REQUESTS_PAGE, |d| {
                    d.requests
                })
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
        let users: UsersData = self.client.get_json("/users/v1/users", &query).await?;
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
                let path = format!(
                    "/time-off/v1/policy-types/{}/balances",
                    super::seg(&type_id)
                );
                let mut query: Vec<(&str, String)> = vec![("limit", BALANCES_PAGE.to_string())];
                query.extend(chunk.iter().map(|c| ("userIds", c.person.id.clone())));
                let read = Call {
                    provider: self.client.name.clone(),
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
