//! The Connecteam client's reads: policy types with their policies, the
//! users, the referenced types' balances (the only place assignments show)
//! and time-off requests, into the neutral [`LiveState`]. Each list is read
//! whole or filtered by the people who matter, whichever costs fewer calls
//! (`hrform_core::plan::strategy`).
//!
//! May import: `super::wire`, `crate::providers` (paging, `seg`),
//! `crate::http` (the read-only transport), `crate::model`, the core's
//! `plan::strategy` and `mailbox`.

use std::collections::HashSet;

use futures_util::{StreamExt as _, TryStreamExt as _};
use serde::de::DeserializeOwned;

use super::Client;
use super::wire::*;
use crate::http::describe;
use crate::model::{
    Holding, LivePerson, LivePolicy, LiveRequest, LiveState, LiveStatus, PolicyTypeRef, ReadScope,
    Role, Unit,
};
use crate::providers::{PageGuard, ProviderError};
use hrform_core::plan::strategy::{self, Choice, Costs, Strategy};

/// Addresses one filtered users call carries (the URL budget may cut
/// fewer).
const EMAILS_PER_CALL: usize = 100;

impl Client {
    pub(crate) async fn read(&self, scope: &ReadScope) -> Result<LiveState, ProviderError> {
        let types_path = POLICY_TYPES;
        let (types, (users, account)) = tokio::try_join!(
            self.get_json::<PolicyTypesData>(types_path, &[]),
            self.read_users(scope),
        )?;

        let wanted = scope.people_filter();
        let mut people = Vec::new();
        for u in users {
            // hrform matches people by email; one without cannot be managed.
            let Some(email) = u.email.filter(|e| !e.trim().is_empty()) else {
                continue;
            };
            if !wanted.keeps(&email) {
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
                scope.all_policies
                    || scope.policies.iter().any(|(name, ty)| {
                        &p.name == name
                            && ty.as_ref().is_none_or(|t| {
                                p.policy_type.as_ref().is_some_and(|pt| &pt.name == t)
                            })
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
        // Each referenced type's balances: whole, or only the people read
        // (`userIds`, 100 a call) when that costs fewer calls. Everyone's
        // balances are read when everyone is (a rule needs them all).
        let id_chunks = strategy::chunks("userIds", &ids, BALANCES_PAGE);
        let costs = Costs {
            whole: account.map(|n| strategy::pages(n, BALANCES_PAGE)),
            filtered: (!scope.all_people && !scope.all_policies).then_some(id_chunks.len() as u64),
        };
        let mut reads: Vec<(String, Vec<(&str, String)>)> = Vec::new();
        for id in &type_ids {
            let choice = Choice::new(format!("balances:{id}"), costs);
            match choice.chosen {
                Strategy::Whole => reads.push((type_balances_path(id), Vec::new())),
                Strategy::Filtered => {
                    for chunk in &id_chunks {
                        let query = chunk.iter().map(|u| ("userIds", u.clone())).collect();
                        reads.push((type_balances_path(id), query));
                    }
                }
            }
            self.choose(choice);
        }
        for id in &request_type_ids {
            for chunk in ids.chunks(BALANCES_PAGE) {
                let query = chunk.iter().map(|u| ("userIds", u.clone())).collect();
                reads.push((type_balances_path(id), query));
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
            as_read: Default::default(),
        })
    }

    /// Every user (`userStatus=all`), or, when it costs fewer calls and no
    /// rule needs everyone, only those with the declared addresses
    /// (`emailAddresses`, repeated, 100 a call): a filtered read that misses
    /// a declared user reads the list whole after all. With the account's
    /// size when every user was read.
    async fn read_users(
        &self,
        scope: &ReadScope,
    ) -> Result<(Vec<UserDto>, Option<usize>), ProviderError> {
        let all = [("userStatus", "all".to_owned())];
        let chunks = strategy::chunks("emailAddresses", &scope.emails, EMAILS_PER_CALL);
        let choice = Choice::new(
            "people",
            strategy::people(None, USERS_PAGE, chunks.len() as u64, scope.all_people),
        );
        let chosen = choice.chosen;
        self.choose(choice);
        if chosen == Strategy::Filtered {
            let reads = chunks.iter().map(|chunk| {
                let mut query = all.to_vec();
                query.extend(chunk.iter().map(|e| ("emailAddresses", e.clone())));
                async move {
                    self.pages::<UsersData, _>(USERS, &query, USERS_PAGE, |d| d.users)
                        .await
                }
            });
            let users: Vec<UserDto> = futures_util::future::try_join_all(reads)
                .await?
                .into_iter()
                .flatten()
                .collect();
            let found: HashSet<String> = users
                .iter()
                .filter_map(|u| u.email.as_deref().map(hrform_core::mailbox::key))
                .collect();
            if scope.expected.iter().all(|e| found.contains(e)) {
                return Ok((users, None));
            }
            tracing::debug!(
                "a declared user was not found by the email filter: reading every user"
            );
            self.choose(Choice::new(
                "people:fallback",
                Costs {
                    whole: None,
                    filtered: None,
                },
            ));
        }
        let users = self
            .pages::<UsersData, _>(USERS, &all, USERS_PAGE, |d| d.users)
            .await?;
        let n = users.len();
        Ok((users, Some(n)))
    }

    fn choose(&self, choice: Choice) {
        self.choices.lock().expect("choices lock").push(choice);
    }

    /// The approved requests of `people` over `window`, for usage: with
    /// `userIds` when there are at most 100 people, else every approved
    /// request of the window.
    pub(crate) async fn read_usage(
        &self,
        window: (jiff::civil::Date, jiff::civil::Date),
        people: &[String],
    ) -> Result<Vec<LiveRequest>, ProviderError> {
        let only: &[String] = if people.len() <= REQUESTS_PAGE {
            people
        } else {
            &[]
        };
        let wanted: HashSet<&str> = people.iter().map(String::as_str).collect();
        // Usage needs the type's id only; the plan has the names.
        self.requests_over(window, &["approved"], only, &wanted, &[])
            .await
    }

    /// The requests overlapping the scope's window, all three statuses (the
    /// API defaults to approved only); only those of the people read, with
    /// `userIds` when they are a few of a large account.
    pub(super) async fn read_requests(
        &self,
        scope: &ReadScope,
        types: &[PolicyTypeDto],
        people: &[LivePerson],
    ) -> Result<Vec<LiveRequest>, ProviderError> {
        let Some(window) = scope.requests else {
            return Ok(Vec::new());
        };
        // A few people of a large account: only theirs (`userIds`, at most
        // 100 so the URL stays short); otherwise every request of the
        // window, which costs no more.
        let only: Vec<String> = if !scope.all_people && people.len() <= REQUESTS_PAGE {
            people.iter().map(|p| p.id.clone()).collect()
        } else {
            Vec::new()
        };
        let slices = request_slices(window.0, window.1).len() as u64;
        self.choose(Choice {
            list: "requests".into(),
            costs: Costs {
                whole: None,
                filtered: (!scope.all_people && people.len() <= REQUESTS_PAGE).then_some(slices),
            },
            chosen: if only.is_empty() {
                Strategy::Whole
            } else {
                Strategy::Filtered
            },
        });
        let ours: HashSet<&str> = people.iter().map(|p| p.id.as_str()).collect();
        self.requests_over(
            window,
            &["approved", "pending", "denied"],
            &only,
            &ours,
            types,
        )
        .await
    }

    /// The one requests read: `[first, last]` in slices of at most 365 days
    /// (the API's limit; at most `MAX_REQUEST_SLICES`, read
    /// `CONCURRENCY` at a time), with `statuses` and `only`'s `userIds`;
    /// the requests of `ours`, deduplicated by id across slices, by id.
    async fn requests_over(
        &self,
        (first, last): (jiff::civil::Date, jiff::civil::Date),
        statuses: &[&str],
        only: &[String],
        ours: &HashSet<&str>,
        types: &[PolicyTypeDto],
    ) -> Result<Vec<LiveRequest>, ProviderError> {
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
        let reads = slices.into_iter().map(|(from, to)| async move {
            let mut query = vec![("startDate", from.to_string()), ("endDate", to.to_string())];
            query.extend(statuses.iter().map(|s| ("statuses", (*s).to_owned())));
            query.extend(only.iter().map(|id| ("userIds", id.clone())));
            self.pages::<RequestsData, _>(REQUESTS, &query, REQUESTS_PAGE, |d| d.requests)
                .await
        });
        let found: Vec<Vec<RequestDto>> = futures_util::stream::iter(reads)
            .buffered(crate::providers::CONCURRENCY)
            .try_collect()
            .await?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for r in found.into_iter().flatten() {
            let person = r.user_id.to_string();
            if !ours.contains(person.as_str()) || !seen.insert(r.id.clone()) {
                continue;
            }
            out.push(
                live_request(r, types).map_err(|message| ProviderError::Decode {
                    call: format!("GET {REQUESTS}"),
                    message,
                })?,
            );
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// The account the key belongs to, as (company name, company id), for
    /// `hrform init`.
    pub(crate) async fn account(&self) -> Result<(String, String), ProviderError> {
        let me: MeData = self.get_json(ME, &[]).await?;
        Ok((me.company_name, me.company_id))
    }

    pub(super) async fn get_json<T: DeserializeOwned>(
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
    pub(super) async fn pages<D: DeserializeOwned, T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        size: usize,
        items: impl Fn(D) -> Vec<T>,
    ) -> Result<Vec<T>, ProviderError> {
        let mut all = Vec::new();
        let mut guard = PageGuard::new(&self.http);
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
            guard.page(&call, &reply.body, n)?;
            all.extend(page);
            if n < size {
                break;
            }
        }
        Ok(all)
    }
}
