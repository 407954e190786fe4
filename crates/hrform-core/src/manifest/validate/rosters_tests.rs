//! Unit tests of roster validation.

use super::*;
use crate::amount::Amount;
use crate::manifest::checked::Declared;

const LOC: Loc = Loc {
    file: FileId(0),
    line: 1,
    col: 1,
    len: 1,
};

fn give(policy: &str, days: Option<i64>) -> checked::TimeOff {
    checked::TimeOff {
        policy: policy.into(),
        policy_type: None,
        amount: days.map(|d| Declared::Allowance(Amount::from_f64(d as f64).unwrap())),
        allow_refund: false,
        unit: days.map(|_| checked::Unit::Days),
        profile: None,
        from: None,
        prorate: false,
        rounding: None,
        tenure: Vec::new(),
        basis: None,
        loc: LOC,
        because: vec![],
    }
}

fn rule(
    name: &str,
    when: &[(&str, &[&str])],
    except: &[&str],
    gives: Vec<checked::TimeOff>,
) -> Rule {
    Rule {
        name: name.into(),
        when: when
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect(),
        except: except.iter().map(|s| s.to_string()).collect(),
        gives,
    }
}

#[test]
fn rules_match_every_key_any_value_after_trimming() {
    let attrs = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let r = rule(
        "ie",
        &[("type", &["Full-Time"]), ("country", &["IE", "GB"])],
        &["CEO@acme.test"],
        vec![],
    );
    let ada = Email::new("ada@acme.test");
    for (attributes, email, want) in [
        (
            attrs(&[("type", "Full-Time"), ("country", "IE")]),
            &ada,
            true,
        ),
        (
            attrs(&[("type", " Full-Time "), ("country", "GB")]),
            &ada,
            true,
        ),
        (
            attrs(&[("type", "Full-Time"), ("country", "FR")]),
            &ada,
            false,
        ),
        (
            attrs(&[("type", "full-time"), ("country", "IE")]),
            &ada,
            false,
        ),
        (attrs(&[("country", "IE")]), &ada, false),
        (
            attrs(&[("type", "Full-Time"), ("country", "IE")]),
            &Email::new("ceo@ACME.test"),
            false,
        ),
    ] {
        assert_eq!(
            rule_matches(&r, email, &attributes),
            want,
            "{attributes:?} {email}"
        );
    }
    let everyone = rule("all", &[], &[], vec![]);
    assert!(rule_matches(&everyone, &ada, &BTreeMap::new()));
}

#[test]
fn rules_merge_by_policy_and_conflict_on_different_settings() {
    let a = rule(
        "a",
        &[],
        &[],
        vec![give("Vacation", Some(20)), give("Sick", None)],
    );
    let b = rule(
        "b",
        &[],
        &[],
        vec![give("Vacation", Some(20)), give("Parental", Some(5))],
    );
    let c = rule("c", &[], &[], vec![give("Vacation", Some(25))]);
    let given = merge_rules([&a, &b]).unwrap();
    let shown: Vec<(String, Vec<String>)> = given
        .into_iter()
        .map(|((p, _), (_, names))| (p, names))
        .collect();
    assert_eq!(
        shown,
        vec![
            ("Parental".to_owned(), vec!["b".to_owned()]),
            ("Sick".to_owned(), vec!["a".to_owned()]),
            ("Vacation".to_owned(), vec!["a".to_owned(), "b".to_owned()]),
        ]
    );
    let conflict = merge_rules([&a, &b, &c]).unwrap_err();
    assert_eq!(
        (
            conflict.policy.as_str(),
            conflict.first.0.name.as_str(),
            conflict.second.0.name.as_str()
        ),
        ("Vacation", "a", "c")
    );
    assert!(merge_rules(std::iter::empty()).unwrap().is_empty());
}

#[test]
fn secret_looking_headers() {
    for h in [
        "SSN",
        "Social Security Number",
        "API Key",
        "Password",
        "Bank Account",
        "IBAN",
        "Access Token",
    ] {
        assert!(header_looks_secret(h), "{h}");
    }
    for h in [
        "Work Email",
        "Department",
        "Employment Type",
        "Country",
        "Hire Date",
        "Preferred Name",
    ] {
        assert!(!header_looks_secret(h), "{h}");
    }
}
