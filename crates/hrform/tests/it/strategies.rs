//! Read strategies through the binary against the sandbox: each list read
//! whole or filtered by the people who matter, by cost (`-v` says which);
//! calls counted from the sandbox's request log; and the throttle drawing
//! no 429 from a sandbox enforcing the declared rate in a sliding (or
//! fixed) window.

use std::fmt::Write as _;

use crate::common::{Output, Test};

/// A generated world: a Connecteam account of `ct` people on three policy
/// types (every one assigned, 10 days each) and a Clockify workspace of
/// `cl` people on two policies (every one assigned, 12 days each).
fn seed(ct: usize, cl: usize, extra_connecteam: &str) -> String {
    let mut s = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: c0@example.com\n  users:\n",
    );
    let (ct, cl) = (ct.max(1), cl.max(1));
    for i in 0..cl {
        let _ = writeln!(s, "    - {{ email: c{i}@example.com }}");
    }
    s.push_str("  policies:\n");
    for (name, unit) in [("Vacation", "days"), ("Sick", "hours")] {
        let _ = writeln!(
            s,
            "    - name: {name}\n      unit: {unit}\n      assignments:"
        );
        for i in 0..cl {
            let _ = writeln!(s, "        - {{ user: c{i}@example.com, balance: 12 }}");
        }
    }
    s.push_str(
        "connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: f0@example.com\n  users:\n",
    );
    for i in 0..ct {
        let role = if i == 0 { ", role: owner" } else { "" };
        let _ = writeln!(
            s,
            "    - {{ email: f{i}@example.com, first_name: F, last_name: P{i}{role} }}"
        );
    }
    s.push_str(extra_connecteam);
    s.push_str("  policy_types:\n");
    for (ty, unit) in [("Vacation", "days"), ("Sick", "hours"), ("Study", "days")] {
        let _ = writeln!(
            s,
            "    - name: {ty}\n      policies:\n        - name: {ty} Standard\n          unit: {unit}\n          assignments:"
        );
        for i in 0..ct {
            let _ = writeln!(s, "            - {{ user: f{i}@example.com, balance: 10 }}");
        }
    }
    s
}

fn providers(t: &Test, rpm: u32, settings: &str) -> String {
    let url = t.sandbox_url();
    format!(
        "providers:\n  office:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n    requests_per_second: 50\n    balance_update: set\n  field:\n    type: connecteam\n    base_url: {url}\n    requests_per_minute: {rpm}\npolicies:\n  office:\n    Vacation: {{ has_expiration: false }}\n    Sick: {{ has_expiration: false }}\n{settings}"
    )
}

/// `n` declared Connecteam people from `f{from}`, on all three types, the
/// first one's Vacation changed to 12 days.
fn connecteam_users(from: usize, n: usize) -> String {
    let mut s = String::from("users:\n");
    for i in from..from + n {
        let vacation = if i == from { 12 } else { 10 };
        let _ = writeln!(
            s,
            "  - {{ email: f{i}@example.com, provider: field, time_off: [{{ policy: Vacation Standard, balance: {vacation}, unit: days }}, {{ policy: Sick Standard, balance: 10, unit: hours }}, {{ policy: Study Standard, balance: 10, unit: days }}] }}"
        );
    }
    s
}

/// `n` declared Clockify people from `c{from}`, the first one's Vacation
/// changed to 15 days.
fn clockify_users(from: usize, n: usize) -> String {
    let mut s = String::from("users:\n");
    for i in from..from + n {
        let vacation = if i == from { 15 } else { 12 };
        let _ = writeln!(
            s,
            "  - {{ email: c{i}@example.com, provider: office, time_off: [{{ policy: Vacation, balance: {vacation}, unit: days }}, {{ policy: Sick, balance: 12, unit: hours }}] }}"
        );
    }
    s
}

fn world(seed: &str, rpm: u32, settings: &str, users: &str) -> Test {
    let t = Test::new().sandbox(seed);
    let providers = providers(&t, rpm, settings);
    t.file("providers.yaml", &providers)
        .file("users.yaml", users)
}

/// Requests the sandbox saw for one vendor (`/api/` is Clockify's).
fn calls(t: &Test, clockify: bool) -> usize {
    t.sandbox_log()
        .iter()
        .filter(|e| e["path"].as_str().unwrap().starts_with("/api/") == clockify)
        .count()
}

/// The `read strategy:` line of `provider` and `list` (a list ending in
/// `:` is any of its kind, e.g. `balances:` of any policy type), as `-v`
/// prints it.
fn strategy<'a>(out: &'a Output, provider: &str, list: &str) -> &'a str {
    let space = if list.ends_with(':') { "" } else { " " };
    let prefix = format!("read strategy: provider={provider} list={list}{space}");
    out.stderr
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} line in:\n{}", out.stderr))
}

/// 20 declared people in a large Connecteam account: users filtered by
/// `emailAddresses`, each type's balances by `userIds`, in at most 8 calls
/// (whole, the same plan costs 3 user pages and 12 balance pages a type),
/// and the plan is the same as when reading everyone.
#[test]
fn connecteam_few_declared_in_a_large_account_are_read_filtered() {
    let t = world(&seed(1200, 0, ""), 200, "", &connecteam_users(100, 20));
    let out = t.run_with(&["plan", "-v", "--output", "json"]);
    out.code(0);
    assert!(
        calls(&t, false) <= 8,
        "{} calls:\n{}",
        calls(&t, false),
        out.stderr
    );
    assert_eq!(
        strategy(&out, "field", "people"),
        "read strategy: provider=field list=people chosen=filtered whole=? filtered=1"
    );
    assert!(strategy(&out, "field", "balances:").contains("chosen=filtered"));
    assert!(
        out.stderr.contains("estimate: provider=field calls"),
        "{}",
        out.stderr
    );
    let filtered: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();

    // The same manifests with `unmanaged_users: report` need everyone: read
    // whole, and the plan's changes are the same.
    let whole = world(
        &seed(1200, 0, ""),
        200,
        "settings:\n  unmanaged_users: report\n",
        &connecteam_users(100, 20),
    );
    let out = whole.run_with(&["plan", "-v", "--output", "json"]);
    out.code(0);
    assert!(strategy(&out, "field", "people").contains("chosen=whole"));
    assert!(strategy(&out, "field", "balances:").contains("chosen=whole"));
    assert!(calls(&whole, false) > 30, "{}", calls(&whole, false));
    let read_whole: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(filtered["changes"], read_whole["changes"]);
    assert_eq!(filtered["calls"], read_whole["calls"]);
    assert_eq!(filtered["changes"].as_array().unwrap().len(), 1);
}

/// `--target` one person in a large Clockify workspace: `users?email=`,
/// then that person's balances, in at most 6 calls (whole: the members and
/// 5 pages of each policy's balances); without `--target`, 20 declared
/// people read the members whole.
#[test]
fn clockify_target_one_person_reads_only_them() {
    let t = world(&seed(0, 1000, ""), 200, "", &clockify_users(10, 20));
    let out = t.run_with(&["plan", "-v", "--target", "c10@example.com"]);
    out.code(0);
    assert!(
        calls(&t, true) <= 6,
        "{} calls:\n{}",
        calls(&t, true),
        out.stderr
    );
    assert_eq!(
        strategy(&out, "office", "people"),
        "read strategy: provider=office list=people chosen=filtered whole=? filtered=1"
    );
    assert!(strategy(&out, "office", "balances").contains("chosen=filtered"));
    assert!(out.stdout.contains("c10@example.com"), "{}", out.stdout);

    let all = world(&seed(0, 1000, ""), 200, "", &clockify_users(10, 20));
    let out = all.run_with(&["plan", "-v"]);
    out.code(0);
    assert!(strategy(&out, "office", "people").contains("chosen=whole"));
    // 20 balance calls against 2 policies × 5 pages: the whole lists.
    assert_eq!(
        strategy(&out, "office", "balances"),
        "read strategy: provider=office list=balances chosen=whole whole=10 filtered=20"
    );
}

/// Small manifests in small accounts are read whole on both vendors: 150
/// declared Connecteam people (two filtered calls against one page), 20
/// declared Clockify people.
#[test]
fn small_accounts_are_read_whole() {
    let mut users = connecteam_users(0, 150);
    users.push_str(&clockify_users(0, 20)["users:\n".len()..]);
    let t = world(&seed(150, 30, ""), 200, "", &users);
    let out = t.run_with(&["plan", "-v"]);
    out.code(0);
    assert_eq!(
        strategy(&out, "field", "people"),
        "read strategy: provider=field list=people chosen=whole whole=? filtered=2"
    );
    assert!(strategy(&out, "field", "balances:").contains("chosen=whole whole=2 filtered=2"));
    assert!(strategy(&out, "office", "people").contains("chosen=whole"));
    assert!(strategy(&out, "office", "balances").contains("chosen=whole whole=2 filtered=20"));
}

/// A look-alike of a declared person is still the `confusable-identity`
/// error of a whole read when the people are read filtered: the sandbox's
/// filter folds case, so it returns the Kelvin-sign spoof for `kim`; the
/// declared `kim` is then missing from what the filter found, so the list
/// is read whole after all (the second `people` line).
#[test]
fn a_filtered_read_still_sees_look_alikes() {
    let spoof = "    - { email: \"\\u212Aim@example.com\", first_name: K, last_name: Spoof }\n";
    let users = "users:\n  - { email: kim@example.com, provider: field }\n";
    let t = world(&seed(600, 0, spoof), 200, "", users);
    let out = t.run_with(&["plan", "-v"]);
    out.code(1);
    assert!(strategy(&out, "field", "people").contains("chosen=filtered"));
    assert_eq!(
        strategy(&out, "field", "people:fallback"),
        "read strategy: provider=field list=people:fallback chosen=whole whole=? filtered=-"
    );
    out.stderr_has(&["confusable-identity"]);
}

/// `--target` reads only the targeted people unless a person left out would
/// change the verdict: here a declared deactivation counted by
/// `max_deactivations` keeps the whole plan's reads.
#[test]
fn target_keeps_every_declared_person_when_a_safety_limit_counts_them() {
    let mut users = clockify_users(0, 3);
    users.push_str("  - { email: c5@example.com, provider: office, status: inactive }\n");
    let settings = "settings:\n  safety:\n    max_deactivations: 0\n";
    let t = world(&seed(0, 30, ""), 200, settings, &users);
    let out = t.run_with(&["plan", "-v", "--target", "c0@example.com"]);
    out.code(0);
    assert!(strategy(&out, "office", "people").contains("chosen=whole"));
    assert!(
        out.stdout.contains("1 deactivations exceed the limit of 0"),
        "{}",
        out.stdout
    );
}

/// At the declared rate, with the sandbox enforcing it in a sliding window
/// (and then in a fixed one), neither plan nor the apply run right after it
/// draws a 429: the minute is scaled to 0.6 s on both sides.
#[test]
fn no_429_at_the_declared_rate_in_plan_and_apply() {
    for window in ["sliding", "fixed"] {
        let options = hrform::sandbox::Options {
            rate: format!("connecteam=5/600ms,window={window}")
                .parse()
                .expect("rate spec"),
            ..hrform::sandbox::Options::default()
        };
        let t = Test::new().sandbox_with(&seed(40, 0, ""), options);
        let providers = providers(&t, 5, "");
        let mut users = connecteam_users(0, 3);
        users.push_str(
            "  - { email: f3@example.com, provider: field, time_off: [{ policy: Vacation Standard, balance: 7, unit: days }] }\n",
        );
        let t = t
            .file("providers.yaml", &providers)
            .file("users.yaml", &users)
            .env("HRFORM_BACKOFF_SCALE", "0.01");
        t.run_with(&["plan"]).code(0);
        let out = t.run_with(&["apply", "--yes"]);
        out.code(0);
        let log = t.sandbox_log();
        let refused = log.iter().filter(|e| e["status"] == 429).count();
        assert_eq!(refused, 0, "{window}: {refused} of {} refused", log.len());
        assert!(log.iter().filter(|e| e["wrote"] == true).count() >= 2);
        t.run_with(&["plan", "--detailed-exitcode"]).code(0);
    }
}
