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

use super::{Endpoint, ProviderError};
use crate::http::{Rate, Reader, Wire, describe};
use crate::manifest::checked::{self, ProviderKind};
use crate::model::{
    Call, Change, ChangeKind, Holding, LivePerson, LivePolicy, LiveState, LiveStatus, Method,
    PolicyTypeRef, ReadScope, Role, Status, Unit,
};

/// `GET /users/v1/users`: at most 500 a page.
const USERS_PAGE: usize = 500;
/// `GET .../balances`: at most 100 a page.
const BALANCES_PAGE: usize = 100;
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
    balance: Option<f64>,
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
        let reads = type_ids.iter().map(|id| async move {
            let path = format!("/time-off/v1/policy-types/{id}/balances");
            self.pages::<BalancesData, _>(&path, &[], BALANCES_PAGE, |d| d.balances)
                .await
        });
        let balances = futures_util::future::try_join_all(reads).await?;
        let holdings = balances
            .into_iter()
            .flatten()
            .map(|b| Holding {
                person: b.user_id.to_string(),
                policy: b.policy_id,
                balance: b.balance,
            })
            .collect();

        Ok(LiveState {
            people,
            policies,
            holdings,
            read_calls: self.http.calls(),
        })
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
        loop {
            let mut q = query.to_vec();
            q.push(("limit", size.to_string()));
            q.push(("offset", all.len().to_string()));
            let page = items(self.get_json::<D>(path, &q).await?);
            let n = page.len();
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
                        Some(b) => json!({"userId": user_id, "balance": b, "unit": unit.as_str()}),
                        None => json!({ "userId": user_id }),
                    };
                    calls.push(Call {
                        provider: self.name.clone(),
                        method: Method::Put,
                        path: format!("/time-off/v1/time-off-policies/{}/assignments", policy.id),
                        body: Some(body),
                        changes: vec![change.id],
                    });
                }
                ChangeKind::Balance { policy, to, .. } => {
                    let type_id = policy.policy_type_id.as_deref().unwrap_or_default();
                    calls.push(Call {
                        provider: self.name.clone(),
                        method: Method::Put,
                        path: format!(
                            "/time-off/v1/policy-types/{type_id}/balances/{}",
                            change.person.id
                        ),
                        body: Some(json!({ "balance": to })),
                        changes: vec![change.id],
                    });
                }
            }
        }
        calls
    }
}

/// Connecteam user ids are integers on the wire.
fn wire_user_id(id: &str) -> Value {
    id.parse::<i64>()
        .map_or_else(|_| Value::String(id.to_owned()), Value::from)
}
