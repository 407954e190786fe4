//! The Clockify client's reads: the key owner, the workspace's members,
//! every policy and the referenced policies' balances, into the neutral
//! [`LiveState`] (with the policies as read, for the full-replace PUT).
//!
//! Each list is read whole or filtered by the people who matter, whichever
//! costs fewer calls (`hrform_core::plan::strategy`).
//!
//! May import: `super::wire`, `crate::providers` (paging, `seg`),
//! `crate::http` (the read-only transport), `crate::model`, the core's
//! `plan::strategy` and `mailbox`.

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt as _;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::Client;
use super::wire::*;
use crate::http::{Reply, describe};
use crate::model::{Holding, LivePerson, LivePolicy, LiveState, LiveStatus, ReadScope, Role, Unit};
use crate::providers::{MAX_PAGES, PageGuard, ProviderError};
use hrform_core::plan::strategy::{self, Choice, Costs, Strategy};

impl Client {
    pub(crate) async fn read(&self, scope: &ReadScope) -> Result<LiveState, ProviderError> {
        let users_path = users_path(&self.ws());
        let users_query = [
            ("status", "ALL".to_owned()),
            ("account-statuses", ACCOUNT_STATUSES.to_owned()),
            ("memberships", "WORKSPACE".to_owned()),
            ("include-roles", "false".to_owned()),
            ("sort-column", "ID".to_owned()),
            ("sort-order", "ASCENDING".to_owned()),
        ];
        let policies_path = policies_path(&self.ws());
        let policies_query = [("status", "ALL".to_owned())];
        // Each page's users are reduced as they are read (the memberships
        // to the one status that matters), so a long list holds no more
        // than it needs.
        let (me, (users, account), policies) = tokio::try_join!(
            self.get_json::<MeDto>(ME, &[]),
            self.read_users(scope, &users_path, &users_query),
            self.pages::<Value>(&policies_path, &policies_query, PAGE, |r| {
                decode_array(r)
            }),
        )?;

        let wanted = scope.people_filter();
        let mut people = Vec::new();
        for (id, email, name, status) in users {
            if !wanted.keeps(&email) {
                continue;
            }
            people.push(LivePerson {
                key_owner: id == me.id,
                id,
                email,
                name,
                status: status?,
                role: Role::User,
            });
        }

        let mut live_policies = Vec::new();
        let mut as_read = crate::model::AsRead::default();
        let mut assigned: HashMap<String, (Vec<String>, bool)> = HashMap::new();
        for value in policies {
            let p: PolicyDto =
                serde::Deserialize::deserialize(&value).map_err(|e| ProviderError::Decode {
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
                as_read.insert(p.id.clone(), Value::Object(map));
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

        // Balances of the referenced policies: each policy's whole list, or
        // one call a person read (a row per policy) when that costs fewer
        // calls; everyone's when a rule needs everyone.
        let referenced: HashSet<&str> = scope.policies.iter().map(|(n, _)| n.as_str()).collect();
        let wanted: Vec<&LivePolicy> = live_policies
            .iter()
            .filter(|p| referenced.contains(p.name.as_str()) || (scope.all_policies && !p.archived))
            .collect();
        let whole: u64 = wanted
            .iter()
            .map(|p| {
                let (user_ids, everyone) = &assigned[&p.id];
                let holders = if *everyone {
                    account.unwrap_or(people.len())
                } else {
                    user_ids.len()
                };
                strategy::pages(holders, PAGE)
            })
            .sum();
        let choice = Choice::new(
            "balances",
            Costs {
                whole: Some(whole),
                filtered: (!scope.all_people && !scope.all_policies).then_some(people.len() as u64),
            },
        );
        let filtered = !wanted.is_empty() && choice.chosen == Strategy::Filtered;
        if !wanted.is_empty() {
            self.choose(choice);
        }
        let balances: Vec<(String, Vec<BalanceDto>)> = if filtered {
            let paths: Vec<String> = people
                .iter()
                .map(|person| user_balances_path(&self.ws(), &person.id))
                .collect();
            let mut rows: Vec<BalanceDto> = Vec::new();
            for group in paths.chunks(crate::providers::CONCURRENCY.max(1)) {
                let reads = group.iter().map(|path| self.balances(path));
                rows.extend(
                    futures_util::future::try_join_all(reads)
                        .await?
                        .into_iter()
                        .flatten(),
                );
            }
            let mut by_policy: HashMap<String, Vec<BalanceDto>> = HashMap::new();
            for row in rows {
                if let Some(policy) = row.policy_id.clone() {
                    by_policy.entry(policy).or_default().push(row);
                }
            }
            wanted
                .iter()
                .map(|p| (p.id.clone(), by_policy.remove(&p.id).unwrap_or_default()))
                .collect()
        } else {
            let reads = wanted.iter().map(|p| async move {
                let path = balances_path(&self.ws(), &p.id);
                let rows = self.balances(&path).await?;
                Ok::<_, ProviderError>((p.id.clone(), rows))
            });
            futures_util::future::try_join_all(reads).await?
        };
        let read: HashSet<&str> = people.iter().map(|p| p.id.as_str()).collect();

        let mut holdings = Vec::new();
        for (policy, rows) in balances {
            let (user_ids, everyone) = &assigned[&policy];
            // Read filtered: the policy's assignees that were read.
            let user_ids: Vec<String> = user_ids
                .iter()
                .filter(|u| !filtered || read.contains(u.as_str()))
                .cloned()
                .collect();
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
            as_read,
        })
    }

    /// The workspace's members, or, when it costs fewer calls and no rule
    /// needs everyone, one `email` call per declared address (a substring
    /// filter: what it returns is then matched exactly, look-alikes kept,
    /// by the scope's people filter); a filtered read that misses a declared
    /// user reads the list whole after all. With the account's size when
    /// every member was read.
    async fn read_users(
        &self,
        scope: &ReadScope,
        users_path: &str,
        users_query: &[(&str, String)],
    ) -> Result<(Vec<Member>, Option<usize>), ProviderError> {
        let decode = |r: &Reply| {
            decode_array::<UserDto>(r).map(|page| {
                page.into_iter()
                    .map(|u| {
                        let status = self.membership_status(&u, users_path);
                        (u.id, u.email, u.name, status)
                    })
                    .collect::<Vec<_>>()
            })
        };
        let choice = Choice::new(
            "people",
            strategy::people(
                None,
                USERS_PAGE,
                scope.emails.len() as u64,
                scope.all_people,
            ),
        );
        let chosen = choice.chosen;
        self.choose(choice);
        if chosen == Strategy::Filtered {
            let mut users: Vec<Member> = Vec::new();
            for email in &scope.emails {
                let mut query = users_query.to_vec();
                query.push(("email", email.clone()));
                let found = self.pages(users_path, &query, USERS_PAGE, decode).await?;
                // One member matched by two addresses (a substring filter)
                // is kept once; an id listed twice by one answer stays
                // twice, for the ambiguity check.
                let earlier: HashSet<String> = users.iter().map(|(id, ..)| id.clone()).collect();
                users.extend(found.into_iter().filter(|(id, ..)| !earlier.contains(id)));
            }
            let found: HashSet<String> = users
                .iter()
                .map(|(_, email, ..)| hrform_core::mailbox::key(email))
                .collect();
            if scope.expected.iter().all(|e| found.contains(e)) {
                return Ok((users, None));
            }
            tracing::debug!(
                "a declared user was not found by the email filter: reading every member"
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
            .pages(users_path, users_query, USERS_PAGE, decode)
            .await?;
        let n = users.len();
        Ok((users, Some(n)))
    }

    pub(super) fn choose(&self, choice: Choice) {
        self.choices.lock().expect("choices lock").push(choice);
    }

    /// The status of the person's membership of this workspace.
    fn membership_status(&self, u: &UserDto, path: &str) -> Result<LiveStatus, ProviderError> {
        let membership = u.memberships.iter().flatten().find(|m| {
            m.membership_type.as_deref() == Some("WORKSPACE")
                && m.target_id.as_deref() == Some(self.config.workspace.as_str())
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
                        u.id, self.config.workspace
                    ),
                },
            }),
        }
    }

    /// The workspaces the key can see, as (id, name), for `hrform init`.
    pub(crate) async fn workspaces(&self) -> Result<Vec<(String, String)>, ProviderError> {
        let list: Vec<WorkspaceDto> = self.get_json(WORKSPACES, &[]).await?;
        Ok(list.into_iter().map(|w| (w.id, w.name)).collect())
    }

    pub(super) async fn get_json<T: DeserializeOwned>(
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
    /// `Last-Page: true`, or a short page when the header is missing. A
    /// first page refused with 400 "Page size cannot be larger than N"
    /// (a workspace whose limit is lower) is asked again, once, at N.
    pub(super) async fn pages<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        size: usize,
        decode: impl Fn(&Reply) -> Result<Vec<T>, String>,
    ) -> Result<Vec<T>, ProviderError> {
        let mut all = Vec::new();
        let mut guard = PageGuard::new(&self.http);
        let mut size = size;
        let mut resized = false;
        let mut page = 0usize;
        loop {
            page += 1;
            let mut q = query.to_vec();
            q.push(("page", page.to_string()));
            q.push(("page-size", size.to_string()));
            let call = describe("GET", path, &q);
            guard.before_page(&call)?;
            let reply = match self.http.get(path, &q).await {
                Ok(reply) => reply,
                Err(ProviderError::Status {
                    status: 400,
                    message,
                    ..
                }) if page == 1
                    && !resized
                    && let Some(largest) =
                        largest_page_size(&message).filter(|n| (1..size).contains(n)) =>
                {
                    tracing::debug!(%call, largest, "page size refused; asking again at the largest named");
                    size = largest;
                    resized = true;
                    page = 0;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let items = decode(&reply).map_err(|message| ProviderError::Decode {
                call: call.clone(),
                message,
            })?;
            let n = items.len();
            if n == 0 {
                break;
            }
            guard.page(&call, &reply.body, n)?;
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
    /// most [`crate::providers::CONCURRENCY`] at once (within the throttle), and a
    /// `count` past the page cap is an error; should the last of them still
    /// say `Last-Page: false`, reading goes on page by page.
    pub(super) async fn balances(&self, path: &str) -> Result<Vec<BalanceDto>, ProviderError> {
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
        let mut guard = PageGuard::new(&self.http);
        let (first, mut last, call, body) = page(1).await?;
        if !first.balances.is_empty() {
            guard.page(&call, &body, first.balances.len())?;
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
                    .buffered(crate::providers::CONCURRENCY);
                while let Some(read) = rest.next().await {
                    let (dto, l, call, body) = read?;
                    if dto.balances.is_empty() {
                        last = true;
                        continue;
                    }
                    guard.page(&call, &body, dto.balances.len())?;
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
                guard.page(&call, &body, n)?;
            }
            all.extend(dto.balances);
            last = l || n == 0;
            next += 1;
        }
        Ok(all)
    }
}

/// The N of Clockify's "Page size cannot be larger than N": digits only,
/// `None` past `usize::MAX` or when the phrase is not there.
fn largest_page_size(message: &str) -> Option<usize> {
    const PHRASE: &str = "page size cannot be larger than";
    let lower = message.to_ascii_lowercase();
    let rest = lower[lower.find(PHRASE)? + PHRASE.len()..].trim_start();
    let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    digits.parse().ok()
}

/// A member as read: id, email, name and workspace status.
type Member = (
    String,
    String,
    Option<String>,
    Result<LiveStatus, ProviderError>,
);

fn decode_array<T: DeserializeOwned>(reply: &Reply) -> Result<Vec<T>, String> {
    serde_json::from_slice(&reply.body).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::largest_page_size;

    #[test]
    fn largest_page_size_is_read_with_checked_arithmetic() {
        for (message, want) in [
            ("Page size cannot be larger than 1000", Some(1000)),
            ("page size cannot be larger than  50.", Some(50)),
            (
                "Page size cannot be larger than 99999999999999999999999",
                None,
            ),
            ("Page size cannot be larger than -5", None),
            ("Page size cannot be larger than", None),
            ("Page size must be positive", None),
        ] {
            assert_eq!(largest_page_size(message), want, "{message}");
        }
    }
}
