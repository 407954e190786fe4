//! Changes with a date, through the binary against the sandbox with
//! `HRFORM_TODAY`: joiners and leavers on their day, `from` schedules,
//! prorated allowances under each rounding mode, tenure tiers, and what
//! `apply --due-only` applies and leaves alone.

use serde_json::Value;

use crate::common::{Output, Test};

/// A Connecteam account: kim (active, on Vacation with `kim_balance` left
/// after 3 days approved in September 2026) and `more` people.
fn seed(kim_balance: &str, more_people: &str) -> String {
    format!(
        "seed_version: 1
connecteam:
  api_key: sandbox-connecteam-key
  key_owner: owner@example.com
  users:
    - {{ email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }}
    - {{ email: kim@example.com, first_name: Kim, last_name: Field }}
{more_people}  policy_types:
    - name: Vacation
      policies:
        - name: Vacation
          unit: days
          accrual_type: fixed
          assignments:
            - {{ user: kim@example.com, balance: {kim_balance} }}
  requests:
    - {{ user: kim@example.com, policy_type: Vacation, start_date: 2026-09-01, end_date: 2026-09-03, status: approved }}
"
    )
}

fn world(seed: &str, users: &str) -> Test {
    let t = Test::new().sandbox(seed);
    let providers = format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {}\n    requests_per_minute: 200\n",
        t.sandbox_url()
    );
    t.file("providers.yaml", &providers).file("hr.yaml", users)
}

fn on(t: &Test, today: &str, args: &[&str]) -> Output {
    let mut cmd = t.command_with(args);
    cmd.env("HRFORM_TODAY", today);
    Output::from(cmd.output().expect("run hrform"))
}

fn user<'a>(state: &'a Value, email: &str) -> &'a Value {
    state["connecteam"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap()
}

fn balance(t: &Test, email: &str) -> Option<f64> {
    t.sandbox_state()["connecteam"]["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["email"] == email)
        .and_then(|b| b["balance"].as_f64())
}

fn writes(t: &Test) -> usize {
    t.sandbox_log()
        .iter()
        .filter(|e| e["method"] != "GET")
        .count()
}

fn archived(t: &Test, email: &str) -> bool {
    user(&t.sandbox_state(), email)["archived"] == true
}

const JOINER: &str =
    "    - { email: new@example.com, first_name: Nia, last_name: New, archived: true }\n";

/// A joiner merged a week before the start date: nothing is called, the
/// plan shows the activation as scheduled with its date; `plan --at` the
/// date shows it; `apply --due-only` does nothing the day before and
/// activates and assigns, prorated, on the day. A hand-made drift on kim's
/// balance is reported and left alone.
#[test]
fn a_joiner_is_activated_on_the_day_and_drift_is_left_alone() {
    let t = world(
        &seed("20", JOINER),
        "users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation, allowance: 25, unit: days }] }
  - email: new@example.com
    provider: field
    status: active
    start_date: 2026-07-01
    time_off: [{ policy: Vacation, allowance: 25, unit: days, prorate: true }]
",
    );
    let plan = on(&t, "2026-06-24", &["plan", "--target", "new@example.com"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("Scheduled (no call until the day)")
            && plan.stdout.contains(
                "2026-07-01  field  new@example.com  status → active (start date 2026-07-01)"
            )
            && plan.stdout.contains(
                "2026-07-01  field  new@example.com  Vacation assigned allowance 12.5 days (prorated: from 2026-07-01, 184 of 365 days)"
            ),
        "{}",
        plan.stdout
    );
    let json = on(&t, "2026-06-24", &["plan", "--output", "json"]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["scheduled"][0]["date"], "2026-07-01");
    assert_eq!(doc["scheduled"][0]["email"], "new@example.com");
    // Outside the horizon (31 days by default): not shown.
    let early = on(&t, "2026-05-15", &["plan"]);
    assert!(!early.stdout.contains("Scheduled"), "{}", early.stdout);

    let at = on(&t, "2026-06-24", &["plan", "--at", "2026-07-01"]);
    at.code(0);
    assert!(
        at.stdout.contains("active (start date 2026-07-01)")
            && at
                .stdout
                .contains("allowance 25 → 12.5 days (prorated: from 2026-07-01, 184 of 365 days)"),
        "{}",
        at.stdout
    );
    assert_eq!(writes(&t), 0, "plan writes nothing");

    // The day before: nothing is due; kim's drift is reported, not applied.
    let before = on(&t, "2026-06-30", &["apply", "--due-only", "--yes"]);
    before.code(0);
    assert!(
        before
            .stdout
            .contains("Drift (not due to a date; not applied)")
            && before.stdout.contains("field  kim@example.com  Vacation"),
        "{}",
        before.stdout
    );
    assert_eq!(writes(&t), 0);
    assert!(archived(&t, "new@example.com"));

    let day = on(&t, "2026-07-01", &["apply", "--due-only", "--yes"]);
    day.code(0);
    assert!(!archived(&t, "new@example.com"), "{}", day.stdout);
    assert_eq!(balance(&t, "new@example.com"), Some(12.5));
    assert_eq!(
        balance(&t, "kim@example.com"),
        Some(20.0),
        "drift left alone"
    );
    assert!(day.stdout.contains("kim@example.com"), "{}", day.stdout);

    // Converged for the joiner; kim's drift remains for a reviewed apply.
    let again = on(&t, "2026-07-01", &["plan", "--target", "new@example.com"]);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

/// A leaver is deactivated the day after the last day, not before; the
/// dates win over a `status: active` left in the manifest, and say so.
#[test]
fn a_leaver_is_deactivated_the_day_after_the_last_day() {
    let t = world(
        &seed("22", ""),
        "users:\n  - { email: kim@example.com, provider: field, status: active, end_date: 2026-06-30 }\n",
    );
    let last = on(&t, "2026-06-30", &["apply", "--due-only", "--yes"]);
    last.code(0);
    assert!(
        last.stdout.contains(
            "2026-07-01  field  kim@example.com  status → inactive (last day 2026-06-30; dates win over `status: active`)"
        ),
        "{}",
        last.stdout
    );
    assert!(!archived(&t, "kim@example.com"));
    let after = on(&t, "2026-07-01", &["plan"]);
    assert!(
        after
            .stdout
            .contains("inactive (last day 2026-06-30; dates win over `status: active`)"),
        "{}",
        after.stdout
    );
    on(&t, "2026-07-01", &["apply", "--due-only", "--yes"]).code(0);
    assert!(archived(&t, "kim@example.com"));
}

/// A `from` schedule switches the allowance on January 1, when the leave
/// year also starts again: 3 days used in 2026 no longer count.
#[test]
fn a_schedule_switches_the_allowance_with_the_new_leave_year() {
    let t = world(
        &seed("22", ""),
        "users:
  - email: kim@example.com
    provider: field
    time_off:
      - { policy: Vacation, allowance: 25, unit: days }
      - { policy: Vacation, allowance: 27, unit: days, from: 2027-01-01 }
",
    );
    let dec = on(&t, "2026-12-31", &["plan", "--detailed-exitcode"]);
    assert_eq!(dec.code, 0, "{}{}", dec.stdout, dec.stderr);
    assert!(
        dec.stdout.contains(
            "2027-01-01  field  kim@example.com  Vacation allowance 25 days → allowance 27 days (from 2027-01-01)"
        ),
        "{}",
        dec.stdout
    );
    let jan = on(&t, "2027-01-01", &["apply", "--due-only", "--yes"]);
    jan.code(0);
    assert_eq!(balance(&t, "kim@example.com"), Some(27.0), "{}", jan.stdout);
    assert!(
        jan.stdout.contains("allowance 27 days (from 2027-01-01)"),
        "{}",
        jan.stdout
    );
    let again = on(&t, "2027-01-02", &["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// Tenure tiers are chosen on the leave year's first day: the fifth
/// anniversary in March 2026 changes nothing until January 2027.
#[test]
fn tenure_tiers_change_with_the_leave_year_after_an_anniversary() {
    let t = world(
        &seed("19", ""),
        "users:
  - email: kim@example.com
    provider: field
    start_date: 2021-03-01
    time_off:
      - policy: Vacation
        unit: days
        allowance_by_tenure: [{ years: 0, allowance: 20 }, { years: 3, allowance: 22 }, { years: 5, allowance: 25 }]
",
    );
    // 2026: 4 completed years on January 1 → 22; 19 left + 3 used = 22.
    for day in ["2026-02-28", "2026-03-01", "2026-12-31"] {
        let p = on(&t, day, &["plan", "--detailed-exitcode"]);
        assert_eq!(p.code, 0, "{day}: {}", p.stdout);
    }
    let dec = on(&t, "2026-12-20", &["plan"]);
    assert!(
        dec.stdout.contains(
            "2027-01-01  field  kim@example.com  Vacation allowance 22 days (4 years of service) → allowance 25 days (5 years of service)"
        ),
        "{}",
        dec.stdout
    );
    let jan = on(&t, "2027-01-01", &["plan", "--output", "json"]);
    let doc: Value = serde_json::from_str(&jan.stdout).unwrap();
    let change = &doc["changes"][0];
    assert_eq!(change["to"].as_f64(), Some(25.0), "{}", jan.stdout);
    assert_eq!(change["allowance"]["basis"]["tenure_years"], 5);
}

/// Days from January 1 of a non-leap year to `(month, day)`, both
/// counted, by a month table (independent of hrform's date library).
fn days_from(month: usize, day: u32) -> u32 {
    const LENGTHS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let before: u32 = LENGTHS[..month - 1].iter().sum();
    365 - (before + day - 1)
}

/// `allowance × days ÷ 365` rounded to `step` by `mode`, in integers:
/// the result in hundredths.
fn expected_hundredths(allowance: u32, days: u32, step_hundredths: u32, mode: &str) -> u32 {
    let numerator = allowance * 100 * days; // hundredths × 365
    let unit = step_hundredths * 365;
    let (q, r) = (numerator / unit, numerator % unit);
    let steps = match mode {
        "up" => q + u32::from(r > 0),
        "down" => q,
        _ => q + u32::from(2 * r >= unit),
    };
    steps * step_hundredths
}

/// Proration under each rounding mode and a few steps, for joiners on
/// several days, against the table above; one entry overrides the
/// settings' rounding.
#[test]
fn proration_under_each_rounding_mode_matches_an_independent_table() {
    let starts = [(2, 14), (7, 1), (9, 30), (11, 17)];
    let roundings = [
        ("nearest", 50),
        ("up", 50),
        ("down", 50),
        ("nearest", 100),
        ("up", 25),
    ];
    let mut people = String::new();
    let mut users = String::from("users:\n");
    let mut expected = Vec::new();
    for (i, (month, day)) in starts.iter().enumerate() {
        for (j, (mode, step)) in roundings.iter().enumerate() {
            let email = format!("p{i}{j}@example.com");
            people.push_str(&format!(
                "    - {{ email: {email}, first_name: P, last_name: \"{i}{j}\" }}\n"
            ));
            users.push_str(&format!(
                "  - {{ email: {email}, provider: field, start_date: 2026-{month:02}-{day:02}, time_off: [{{ policy: Vacation, allowance: 23, unit: days, prorate: true, rounding: {{ step: {}, mode: {mode} }} }}] }}\n",
                f64::from(*step) / 100.0
            ));
            let days = days_from(*month, *day);
            expected.push((email, days, expected_hundredths(23, days, *step, mode)));
        }
    }
    let t = world(&seed("22", &people), &users);
    let out = on(&t, "2026-12-31", &["plan", "--output", "json"]);
    out.code(0);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    for (email, days, hundredths) in expected {
        let assign = doc["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["person"]["email"] == email.as_str() && c["change"] == "assign")
            .unwrap_or_else(|| panic!("no assignment for {email}: {}", out.stdout));
        let got = (assign["allowance"].as_f64().unwrap() * 100.0).round() as u32;
        assert_eq!(got, hundredths, "{email}: {days} days");
        assert_eq!(assign["basis"]["prorated"]["days"], days, "{email}");
    }
}

/// Located errors: a last day before the first, a start date for someone
/// declared inactive, tenure without a start date, two entries of one
/// policy from one date.
#[test]
fn bad_dates_are_located_errors() {
    let cases = [
        (
            "  - { email: a@example.com, start_date: 2026-07-01, end_date: 2026-06-30 }\n",
            "end-before-start",
            "hr.yaml:2:",
        ),
        (
            "  - { email: a@example.com, status: inactive, start_date: 2026-07-01 }\n",
            "start-date-for-inactive",
            "hr.yaml:2:",
        ),
        (
            "  - { email: a@example.com, time_off: [{ policy: V, unit: days, allowance_by_tenure: [{ years: 0, allowance: 20 }] }] }\n",
            "tenure-without-start-date",
            "hr.yaml:2:",
        ),
        (
            "  - { email: a@example.com, time_off: [{ policy: V, allowance: 1, unit: days, from: 2027-01-01 }, { policy: V, allowance: 2, unit: days, from: 2027-01-01 }] }\n",
            "duplicate",
            "hr.yaml:2:",
        ),
        (
            "  - { email: a@example.com, start_date: 2020-01-01, time_off: [{ policy: V, unit: days, allowance_by_tenure: [{ years: 1, allowance: 20 }] }] }\n",
            "invalid-tenure",
            "hr.yaml:2:",
        ),
        (
            "  - { email: a@example.com, time_off: [{ policy: V, allowance: 1, unit: days, prorate: true, rounding: { step: 0 } }] }\n",
            "invalid-value",
            "hr.yaml:2:",
        ),
    ];
    for (user, code, place) in cases {
        let t = Test::new()
            .file(
                "providers.yaml",
                "providers:\n  field:\n    type: connecteam\n",
            )
            .file("hr.yaml", &format!("users:\n{user}"));
        let out = t.run_with(&["validate"]);
        out.code(1);
        assert!(
            out.stderr.contains(code) && out.stderr.contains(place),
            "{code}: {}",
            out.stderr
        );
    }
}

/// `carry_over` carries last year's leftover only to people who held the
/// policy then: someone put on it now, or who started this leave year, gets
/// the allowance once (the balance was doubled, 25 → 50, before).
#[test]
fn carry_over_does_not_double_a_new_allowance() {
    let seed = seed(
        "22",
        "    - { email: ann@example.com, first_name: Ann, last_name: New }\n",
    );
    let policies = "policies:\n  field:\n    Vacation: { carry_over: true }\n";
    let t = world(
        &seed,
        &format!(
            "users:
  - {{ email: ann@example.com, provider: field, time_off: [{{ policy: Vacation, allowance: 25, unit: days }}] }}
  - {{ email: kim@example.com, provider: field, start_date: 2026-02-01, time_off: [{{ policy: Vacation, allowance: 25, unit: days }}] }}
{policies}"
        ),
    );
    let plan = on(&t, "2026-06-15", &["plan", "--output", "json"]);
    plan.code(0);
    let doc: Value = serde_json::from_str(&plan.stdout).unwrap();
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{}", plan.stdout);
    assert_eq!(changes[0]["person"]["email"], "ann@example.com");
    assert_eq!(
        changes[0]["balance"].as_f64(),
        Some(25.0),
        "{}",
        plan.stdout
    );
}

/// `plan --at` is a preview: it cannot be saved for apply; `--due-only`
/// re-plans, so it takes no plan file. Both are usage errors (exit 64).
#[test]
fn at_and_due_only_refuse_plan_files() {
    let t = Test::new();
    t.run_with(&["plan", "--at", "2026-07-01", "--out", "plan.json"])
        .code(64);
    t.run_with(&["apply", "plan.json", "--due-only"]).code(64);
    t.run_with(&["plan", "--at", "2026-13-01"]).code(64);
}

/// Clockify: a leaver goes `INACTIVE` the day after the last day, and a
/// joiner who is inactive in the workspace is activated on the start day.
#[test]
fn clockify_people_follow_their_dates() {
    let t = Test::new().sandbox(
        "seed_version: 1
clockify:
  api_key: sandbox-clockify-key
  workspace_id: 64a687e29ae1f428e7ebe303
  key_owner: owner@example.com
  users:
    - { email: owner@example.com, name: Olive Owner }
    - { email: cy@example.com, name: Cy Young }
    - { email: bob@example.com, name: Bob Builder, status: inactive }
",
    );
    let url = t.sandbox_url();
    let t = t.file(
        "hr.yaml",
        &format!(
            "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\nusers:\n  - {{ email: cy@example.com, end_date: 2026-06-30 }}\n  - {{ email: bob@example.com, start_date: 2026-07-01 }}\n"
        ),
    );
    let status = |email: &str| {
        t.sandbox_state()["clockify"]["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["email"] == email)
            .map(|u| u["status"].as_str().unwrap_or_default().to_owned())
            .unwrap()
    };
    on(&t, "2026-06-30", &["apply", "--due-only", "--yes"]).code(0);
    assert_eq!(
        (status("cy@example.com"), status("bob@example.com")),
        ("active".into(), "inactive".into())
    );
    let day = on(&t, "2026-07-01", &["apply", "--due-only", "--yes"]);
    day.code(0);
    assert_eq!(
        (status("cy@example.com"), status("bob@example.com")),
        ("inactive".into(), "active".into()),
        "{}",
        day.stdout
    );
}
