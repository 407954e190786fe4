//! Unit tests of the text rendering of a plan.

use super::*;
use crate::model::{LiveStatus, Status, Unit};

fn policy(name: &str) -> PolicyRef {
    PolicyRef {
        id: name.into(),
        name: name.into(),
        policy_type_id: None,
        policy_type: None,
    }
}

/// Each kind of change reads with Terraform's mark.
#[test]
fn marks_follow_terraform() {
    let assign = |replaces: Option<PolicyRef>| ChangeKind::Assign {
        policy: policy("Vacation"),
        replaces,
        balance: None,
        allowance: None,
        unit: Unit::Days,
        basis: None,
    };
    let cases = [
        (
            ChangeKind::Status {
                from: LiveStatus::Inactive,
                to: Status::Active,
                reason: None,
            },
            '+',
        ),
        (
            ChangeKind::Status {
                from: LiveStatus::Active,
                to: Status::Inactive,
                reason: None,
            },
            '-',
        ),
        (assign(None), '+'),
        (assign(Some(policy("Old"))), '~'),
        (
            ChangeKind::Balance {
                policy: policy("Vacation"),
                from: Some(Amount::from_i64(20)),
                to: Amount::from_i64(25),
                used: Amount::ZERO,
                allowance: None,
                reason: BalanceReason::Remaining,
                unit: Unit::Days,
            },
            '~',
        ),
    ];
    for (kind, sign) in cases {
        assert_eq!(Mark::of(&kind).sign(), sign, "{kind:?}");
    }
}

#[test]
fn a_person_reads_by_name_then_email() {
    assert_eq!(
        person_label("ada@x.example", Some("Ada Lovelace")),
        "Ada Lovelace <ada@x.example>"
    );
    assert_eq!(person_label("ada@x.example", Some("  ")), "ada@x.example");
    assert_eq!(person_label("ada@x.example", None), "ada@x.example");
}
