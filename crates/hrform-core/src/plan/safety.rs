//! The safety rules of `settings.safety`, evaluated over a whole plan:
//! which rule would block apply, with the numbers.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::amount::Amount;
use crate::manifest::checked::Safety;
use crate::model::{BalanceReason, Change, ChangeKind, LiveState, LiveStatus};

/// One safety rule and how the plan measures against it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SafetyCheck {
    /// The setting, e.g. `max_deactivations`.
    pub rule: String,
    /// Where it applies (a provider, a person and policy), if not everywhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The configured limit.
    pub limit: f64,
    /// What the plan would do.
    pub actual: f64,
    /// Whether apply refuses without `--force`.
    pub blocked: bool,
    /// Whether `--force` overrides it (never for `protected_users`).
    pub overridable: bool,
    /// In words, with the override.
    pub message: String,
}

/// Evaluate every configured rule over `changes` (the whole plan, before
/// `--target`), with `live` for the number of active people.
pub fn evaluate(
    safety: &Safety,
    changes: &[Change],
    live: &BTreeMap<String, LiveState>,
) -> Vec<SafetyCheck> {
    let mut checks = Vec::new();
    let deactivations: Vec<&Change> = changes
        .iter()
        .filter(|c| c.kind.is_deactivation())
        .collect();
    if let Some(limit) = safety.max_deactivations {
        let actual = deactivations.len();
        let blocked = actual > limit as usize;
        checks.push(SafetyCheck {
            rule: "max_deactivations".into(),
            scope: None,
            limit: f64::from(limit),
            actual: actual as f64,
            blocked,
            overridable: true,
            message: if blocked {
                format!("{actual} deactivations exceed the limit of {limit}; apply refuses without --force")
            } else {
                format!("{actual} deactivations, limit {limit}")
            },
        });
    }
    if let Some(limit) = safety.max_deactivation_percent {
        for (provider, state) in live {
            let active = state
                .people
                .iter()
                .filter(|p| p.status == LiveStatus::Active)
                .count();
            let count = deactivations
                .iter()
                .filter(|c| &c.provider == provider)
                .count();
            let percent = if active == 0 {
                0.0
            } else {
                count as f64 * 100.0 / active as f64
            };
            let blocked = percent > limit;
            checks.push(SafetyCheck {
                rule: "max_deactivation_percent".into(),
                scope: Some(provider.clone()),
                limit,
                actual: round2(percent),
                blocked,
                overridable: true,
                message: if blocked {
                    format!(
                        "{count} of {active} active people in `{provider}` ({:.1}%) exceed the limit of {limit}%; apply refuses without --force",
                        percent
                    )
                } else {
                    format!("{count} of {active} active people in `{provider}` ({percent:.1}%), limit {limit}%")
                },
            });
        }
    }
    if let Some(limit) = safety.max_balance_change {
        // Every balance write counts, from 0 when there was none: a new
        // balance, and a new Connecteam assignment that carries one.
        let mut worst: Option<Amount> = None;
        for change in changes {
            let (from, to, policy, unit) = match &change.kind {
                ChangeKind::Balance {
                    from,
                    to,
                    policy,
                    unit,
                    ..
                } => (from.unwrap_or(Amount::ZERO), *to, policy, unit),
                ChangeKind::Assign {
                    balance: Some(to),
                    policy,
                    unit,
                    ..
                } => (Amount::ZERO, *to, policy, unit),
                _ => continue,
            };
            let delta = (to - from).abs();
            if delta > limit {
                checks.push(SafetyCheck {
                    rule: "max_balance_change".into(),
                    scope: Some(format!("{} {}", change.person.email, policy.name)),
                    limit: limit.to_f64(),
                    actual: delta.to_f64(),
                    blocked: true,
                    overridable: true,
                    message: format!(
                        "{} {}: {from} → {to} {unit} changes by {delta} (limit {limit}); apply refuses without --force",
                        change.person.email, policy.name,
                    ),
                });
            }
            if worst.is_none_or(|w| delta > w) {
                worst = Some(delta);
            }
        }
        if !checks.iter().any(|c| c.rule == "max_balance_change") {
            let actual = worst.unwrap_or(Amount::ZERO);
            checks.push(SafetyCheck {
                rule: "max_balance_change".into(),
                scope: None,
                limit: limit.to_f64(),
                actual: actual.to_f64(),
                blocked: false,
                overridable: true,
                message: format!("largest balance change {actual}, limit {limit}"),
            });
        }
    }
    // A declared remaining balance must not silently give back leave taken.
    for change in changes {
        let ChangeKind::Balance {
            policy,
            from,
            to,
            unit,
            reason:
                BalanceReason::Refund {
                    restores,
                    requests,
                    allowed,
                },
            ..
        } = &change.kind
        else {
            continue;
        };
        let by = match requests {
            Some(1) => " by 1 approved request".to_owned(),
            Some(n) => format!(" by {n} approved requests"),
            None => String::new(),
        };
        let from = from.unwrap_or(Amount::ZERO);
        checks.push(SafetyCheck {
            rule: "usage_refund".into(),
            scope: Some(format!("{} {}", change.person.email, policy.name)),
            limit: 0.0,
            actual: restores.to_f64(),
            blocked: !allowed,
            overridable: true,
            message: if *allowed {
                format!(
                    "{} {}: {from} → {to} {unit} restores {restores} {unit} used{by} (allowed by `allow_refund: true`)",
                    change.person.email, policy.name
                )
            } else {
                format!(
                    "{} {}: {from} → {to} {unit} restores {restores} {unit} used{by}; apply refuses without --force \
                     (declare an `allowance` instead of a `balance`, or `allow_refund: true` on the entry if the refund is meant)",
                    change.person.email, policy.name
                )
            },
        });
    }
    let protected: Vec<&&Change> = deactivations
        .iter()
        .filter(|c| {
            safety
                .protected_users
                .iter()
                .any(|p| p.key() == crate::mailbox::key(&c.person.email))
        })
        .collect();
    if !protected.is_empty() {
        checks.push(SafetyCheck {
            rule: "protected_users".into(),
            scope: None,
            limit: 0.0,
            actual: protected.len() as f64,
            blocked: true,
            overridable: false,
            message: format!(
                "protected users would be deactivated: {}; this is refused even with --force",
                protected
                    .iter()
                    .map(|c| c.person.email.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    checks
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
