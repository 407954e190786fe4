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

use super::{Endpoint, ProviderError};
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

    /// Every balance row of one policy (`{count, balances}` pages).
    async fn balances(&self, path: &str) -> Result<Vec<BalanceDto>, ProviderError> {
        let mut all = Vec::new();
        for page in 1.. {
            let q = [("page", page.to_string()), ("page-size", PAGE.to_string())];
            let reply = self.http.get(path, &q).await?;
            let dto: BalancesDto =
                serde_json::from_slice(&reply.body).map_err(|e| ProviderError::Decode {
                    call: describe("GET", path, &q),
                    message: e.to_string(),
                })?;
            let n = dto.balances.len();
            all.extend(dto.balances);
            let last = match reply.header("last-page") {
                Some(v) => v.eq_ignore_ascii_case("true"),
                None => n < PAGE || dto.count.is_some_and(|c| all.len() >= c),
            };
            if last || n == 0 {
                break;
            }
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
        let raw = self.raw_policies.lock().expect("raw policies lock");
        let mut calls: Vec<Call> = Vec::new();
        // Group key -> index in `calls`.
        let mut groups: HashMap<(String, String), usize> = HashMap::new();
        // Policy -> people added by this plan.
        let mut added: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for change in changes {
            match &change.kind {
                ChangeKind::Status { to, .. } => calls.push(Call {
                    provider: self.name.clone(),
                    method: Method::Put,
                    path: format!("{}/users/{}", self.ws(), change.person.id),
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
                                path: format!("{}/time-off/policies/{}", self.ws(), policy.id),
                                body: None, // filled below, once every person is known
                                changes: vec![change.id],
                            });
                        }
                    }
                }
                ChangeKind::Balance {
                    policy, from, to, ..
                } => {
                    let value = match self.balance_update {
                        BalanceUpdate::Set | BalanceUpdate::Auto => *to,
                        BalanceUpdate::Add => to - from.unwrap_or(0.0),
                    };
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
