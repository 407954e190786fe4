//! Clockify's wire: its JSON shapes (the response DTOs), page sizes, and
//! the [`Wire`] the transport needs (key header, error body, throttle).
//!
//! May import: `crate::http` (its [`Wire`] type), `crate::model` (amounts).
//! Nothing else in hrform sees these types or field names.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::http::Wire;
use crate::model::Amount;
use crate::providers::seg;

/// The users list has no documented maximum; 5,000 is the largest page the
/// API is known to accept anywhere.
pub(super) const USERS_PAGE: usize = 5000;
/// Policies and balances: at most 200 a page.
pub(super) const PAGE: usize = 200;
/// The account statuses of people who can be workspace members. Without
/// this the API leaves out `LIMITED` accounts.
pub(super) const ACCOUNT_STATUSES: &str =
    "ACTIVE,PENDING_EMAIL_VERIFICATION,NOT_REGISTERED,LIMITED";

pub(super) const WIRE: Wire = Wire {
    auth_header: "X-Api-Key",
    error_message,
    throttled_ok: |_| false,
    min_throttle_wait: Duration::from_secs(1),
};

/// `{"message": "...", "code": 501}`.
pub(super) fn error_message(body: &[u8]) -> Option<String> {
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
pub(super) struct UserDto {
    pub(super) id: String,
    pub(super) email: String,
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) memberships: Option<Vec<MembershipDto>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MembershipDto {
    pub(super) target_id: Option<String>,
    pub(super) membership_type: Option<String>,
    pub(super) membership_status: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct MeDto {
    pub(super) id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PolicyDto {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) time_unit: String,
    #[serde(default)]
    pub(super) archived: bool,
    #[serde(default)]
    pub(super) user_ids: Vec<String>,
    #[serde(default)]
    pub(super) everyone_including_new: bool,
    /// `{amount, period, timeUnit}` when the policy accrues by itself.
    #[serde(default)]
    pub(super) automatic_accrual: Option<Value>,
}

#[derive(Deserialize)]
pub(super) struct BalancesDto {
    pub(super) count: Option<usize>,
    pub(super) balances: Vec<BalanceDto>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BalanceDto {
    pub(super) user_id: String,
    pub(super) balance: Option<Amount>,
    pub(super) total: Option<Amount>,
    pub(super) used: Option<Amount>,
}

/// A balance row read as available and used. The docs disagree on which
/// of `balance` and `total` is the accrued amount (`api/clockify.md` §3.2);
/// either way accrued = available + used, so the row itself tells: the
/// field that exceeds the other by `used` is the accrued one. With nothing
/// used the two are equal and either reading gives the same numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Row {
    pub(super) available: Amount,
    pub(super) used: Amount,
}

impl BalanceDto {
    pub(super) fn row(&self) -> Result<Option<Row>, String> {
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
pub(super) fn workspace_path(workspace: &str) -> String {
    format!("/v1/workspaces/{workspace}")
}

/// `GET`: the key owner.
pub(super) const ME: &str = "/v1/user";

/// The workspace's members (`GET`).
pub(super) fn users_path(ws: &str) -> String {
    format!("{ws}/users")
}

/// One member's status (`PUT`).
pub(super) fn user_path(ws: &str, user: &str) -> String {
    format!("{ws}/users/{}", seg(user))
}

/// Every policy (`GET`).
pub(super) fn policies_path(ws: &str) -> String {
    format!("{ws}/time-off/policies")
}

/// One policy (the full-replace `PUT`).
pub(super) fn policy_path(ws: &str, policy: &str) -> String {
    format!("{ws}/time-off/policies/{}", seg(policy))
}

/// One policy's balances (`GET` pages, `PATCH`).
pub(super) fn balances_path(ws: &str, policy: &str) -> String {
    format!("{ws}/time-off/balance/policy/{}", seg(policy))
}

/// Every decoder of this wire run on `body`, results dropped: for the
/// property test that no answer panics (`providers::no_panic_tests`).
#[cfg(test)]
pub(in crate::providers) fn decode_everything(body: &[u8]) {
    let _ = error_message(body);
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
