//! Clockify's wire: its JSON shapes (the response DTOs), paths and page
//! sizes. The transport's side (key header, error body, throttle) is the
//! shell's `providers::clockify::transport`.
//!
//! May import: `crate::vendors` (`seg`), `crate::model` (amounts).
//! Outside this vendor's two halves nothing sees these types or field names.

use serde::Deserialize;
use serde_json::Value;

use crate::model::Amount;
use crate::vendors::seg;

/// The users list has no documented maximum; 5,000 is the largest page the
/// API is known to accept anywhere.
pub const USERS_PAGE: usize = 5000;
/// Policies and balances: at most 200 a page.
pub const PAGE: usize = 200;
/// The account statuses of people who can be workspace members. Without
/// this the API leaves out `LIMITED` accounts.
pub const ACCOUNT_STATUSES: &str = "ACTIVE,PENDING_EMAIL_VERIFICATION,NOT_REGISTERED,LIMITED";

#[derive(Deserialize)]
pub struct UserDto {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    #[serde(default)]
    pub memberships: Option<Vec<MembershipDto>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipDto {
    pub target_id: Option<String>,
    pub membership_type: Option<String>,
    pub membership_status: Option<String>,
}

#[derive(Deserialize)]
pub struct MeDto {
    pub id: String,
}

/// One of the key's workspaces (`GET /v1/workspaces`, `WorkspaceDtoV1`).
#[derive(Deserialize)]
pub struct WorkspaceDto {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyDto {
    pub id: String,
    pub name: String,
    pub time_unit: String,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub user_ids: Vec<String>,
    #[serde(default)]
    pub everyone_including_new: bool,
    /// `{amount, period, timeUnit}` when the policy accrues by itself.
    #[serde(default)]
    pub automatic_accrual: Option<Value>,
}

#[derive(Deserialize)]
pub struct BalancesDto {
    pub count: Option<usize>,
    pub balances: Vec<BalanceDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceDto {
    pub user_id: String,
    /// Set on every row; read to sort one person's rows by policy.
    #[serde(default)]
    pub policy_id: Option<String>,
    pub balance: Option<Amount>,
    pub total: Option<Amount>,
    pub used: Option<Amount>,
}

/// A balance row read as available and used. The docs disagree on which
/// of `balance` and `total` is the accrued amount (`api/clockify.md` §3.2);
/// either way accrued = available + used, so the row itself tells: the
/// field that exceeds the other by `used` is the accrued one. With nothing
/// used the two are equal and either reading gives the same numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub available: Amount,
    pub used: Amount,
}

impl BalanceDto {
    pub fn row(&self) -> Result<Option<Row>, String> {
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

/// `/v1/workspaces/{id}`: every workspace path starts here.
pub fn workspace_path(workspace: &str) -> String {
    format!("/v1/workspaces/{workspace}")
}

/// `GET`: the key owner.
pub const ME: &str = "/v1/user";

/// `GET`: the workspaces the key's user belongs to (a bare array, not paged).
pub const WORKSPACES: &str = "/v1/workspaces";

/// The workspace's members (`GET`).
pub fn users_path(ws: &str) -> String {
    format!("{ws}/users")
}

/// One member's status (`PUT`).
pub fn user_path(ws: &str, user: &str) -> String {
    format!("{ws}/users/{}", seg(user))
}

/// Every policy (`GET`).
pub fn policies_path(ws: &str) -> String {
    format!("{ws}/time-off/policies")
}

/// One policy (the full-replace `PUT`).
pub fn policy_path(ws: &str, policy: &str) -> String {
    format!("{ws}/time-off/policies/{}", seg(policy))
}

/// One policy's balances (`GET` pages, `PATCH`).
pub fn balances_path(ws: &str, policy: &str) -> String {
    format!("{ws}/time-off/balance/policy/{}", seg(policy))
}

/// One person's balances, a row per policy (`GET` pages).
pub fn user_balances_path(ws: &str, user: &str) -> String {
    format!("{ws}/time-off/balance/user/{}", seg(user))
}

/// Every decoder of this wire run on `body`, results dropped: for the
/// property test that no answer panics (`vendors::no_panic_tests`).
#[cfg(test)]
pub(crate) fn decode_everything(body: &[u8]) {
    let _ = serde_json::from_slice::<MeDto>(body);
    let _ = serde_json::from_slice::<Vec<UserDto>>(body);
    let _ = serde_json::from_slice::<Vec<PolicyDto>>(body);
    if let Ok(b) = serde_json::from_slice::<BalancesDto>(body) {
        for row in &b.balances {
            let _ = row.row();
        }
    }
    if let Ok(rows) = serde_json::from_slice::<Vec<BalanceDto>>(body) {
        for row in &rows {
            let _ = row.row();
        }
    }
}
