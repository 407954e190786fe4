//! Allowances end to end: what HR grants for the leave year, with the usage
//! the HR systems count added back, so leave taken is never planned back.
//! Through the binary against the sandbox.

use crate::common::Test;

/// A Connecteam account: kim on Vacation with 22 days left after 3 days of
/// approved leave in September 2026 (the seed's balance is already net).
fn connecteam_seed(balance: &str, requests: &str, accrual: &str) -> String {
    format!(
        "seed_version: 1
connecteam:
  api_key: sandbox-connecteam-key
  key_owner: owner@example.com
  users:
    - {{ email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }}
    - {{ email: kim@example.com, first_name: Kim, last_name: Field }}
  policy_types:
    - name: Vacation
      policies:
        - name: Vacation
          unit: days
          accrual_type: {accrual}
          assignments:
            - {{ user: kim@example.com, balance: {balance} }}
  requests:
    - {{ user: kim@example.com, policy_type: Vacation, start_date: 2026-09-01, end_date: 2026-09-03, status: approved }}
{requests}"
    )
}

fn connecteam_world(seed: &str, time_off: &str, more: &str) -> Test {
    let t = Test::new().sandbox(seed);
    let providers = format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {}\n    requests_per_minute: 200\n",
        t.sandbox_url()
    );
    t.file("providers.yaml", &providers).file(
        "hr.yaml",
        &format!(
            "users:\n  - {{ email: kim@example.com, provider: field, time_off: [{time_off}] }}\n{more}"
        ),
    )
}

/// kim's live Vacation balance in the sandbox.
fn connecteam_balance(t: &Test) -> f64 {
    let state = t.sandbox_state();
    state["connecteam"]["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["email"] == "kim@example.com")
        .and_then(|b| b["balance"].as_f64())
        .unwrap()
}

fn kim_id(t: &Test) -> i64 {
    t.sandbox_state()["connecteam"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "kim@example.com")
        .and_then(|u| u["id"].as_i64())
        .unwrap()
}

fn vacation_type(t: &Test) -> String {
    t.sandbox_state()["connecteam"]["balances"][0]["policy_type_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn writes(t: &Test) -> Vec<String> {
    t.sandbox_log()
        .iter()
        .filter(|e| e["method"] != "GET")
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().unwrap(),
                e["path"].as_str().unwrap()
            )
        })
        .collect()
}

/// The scenario: the employee books three days in the app, which
/// Connecteam deducts. With an allowance the next plan is empty; with a
/// remaining `balance` the refund is shown and apply refuses (exit 3).
#[test]
fn leave_booked_in_the_app_is_not_planned_back() {
    let t = connecteam_world(
        &connecteam_seed("22", "", "fixed"),
        "{ policy: Vacation, allowance: 25, unit: days }",
        "",
    );
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
    // Three more days, booked and approved in the app.
    let status = t.sandbox_send(
        "POST",
        "/time-off/v1/requests",
        ("X-API-KEY", "sandbox-connecteam-key"),
        serde_json::json!({
            "userId": kim_id(&t), "policyTypeId": vacation_type(&t), "isAllDay": true,
            "startDate": "2026-10-12", "endDate": "2026-10-14", "timezone": "UTC", "status": "approved"
        }),
    );
    assert_eq!(status, 200);
    assert_eq!(connecteam_balance(&t), 19.0);
    let plan = t.run_with(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // The same world declared as a remaining balance: the refund shows.
    let t = t.file(
        "hr.yaml",
        "users:\n  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation, balance: 25, unit: days }] }\n",
    );
    let plan = t.run_with(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("Vacation  19 → 25 days (restores 6 days used by 2 approved requests)"),
        "{}",
        plan.stdout
    );
    let apply = t.run_with(&["apply", "--yes"]);
    assert_eq!(apply.code, 3, "{}\n{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("error[safety]: usage_refund"),
        "{}",
        apply.stderr
    );
    assert!(
        writes(&t).iter().all(|w| w.starts_with("POST")),
        "{:?}",
        writes(&t)
    );
    assert_eq!(connecteam_balance(&t), 19.0);
    // Declared as meant, the refund goes through.
    let t = t.file(
        "hr.yaml",
        "users:\n  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation, balance: 25, unit: days, allow_refund: true }] }\n",
    );
    t.run_with(&["apply", "--yes"]).code(0);
    assert_eq!(connecteam_balance(&t), 25.0);
}

/// Connecteam: an allowance raised or lowered is one balance PUT to
/// allowance − usage; the plan shows allowance, used and remaining; the
/// re-plan is empty.
#[test]
fn connecteam_allowance_raised_and_lowered() {
    for (allowance, remaining) in [("27", 24.0), ("20", 17.0), ("22.5", 19.5)] {
        let t = connecteam_world(
            &connecteam_seed("22", "", "fixed"),
            &format!("{{ policy: Vacation, allowance: {allowance}, unit: days }}"),
            "",
        );
        let plan = t.run_with(&["plan"]);
        plan.code(0);
        assert!(
            plan.stdout.contains(&format!(
                "Vacation  allowance 25 → {allowance} days (used 3, remaining 22 → {remaining})"
            )),
            "{}",
            plan.stdout
        );
        // Usage costs one read: the leave year's requests of the people
        // with allowances (`userIds`), one window of 365 days. A balance
        // below allowance − usage may be last leave year's leftover: one
        // more read, of last year's approved requests, tells.
        let reads: Vec<String> = t
            .sandbox_log()
            .iter()
            .filter(|e| e["path"] == "/time-off/v1/requests")
            .map(|e| e["query"].as_str().unwrap().to_owned())
            .collect();
        let raised = remaining > 22.0;
        assert_eq!(reads.len(), if raised { 2 } else { 1 }, "{reads:?}");
        assert!(
            reads[0].contains("startDate=2026-01-01&endDate=2026-12-31")
                && reads[0].contains("userIds="),
            "{reads:?}"
        );
        if raised {
            assert!(
                reads[1].starts_with(
                    "startDate=2025-01-01&endDate=2025-12-31&statuses=approved&userIds="
                ),
                "{reads:?}"
            );
        }
        t.run_with(&["apply", "--yes"]).code(0);
        let puts: Vec<String> = writes(&t);
        assert_eq!(puts.len(), 1, "{puts:?}");
        assert!(puts[0].contains("/balances/"), "{puts:?}");
        assert_eq!(connecteam_balance(&t), remaining);
        t.run_with(&["plan", "--detailed-exitcode"]).code(0);
    }
}

/// A balance adjusted by hand in the HR system is planned back, and the
/// plan says the allowance differs, not usage.
#[test]
fn a_hand_adjustment_is_planned_back_as_not_usage() {
    let t = connecteam_world(
        &connecteam_seed("30", "", "fixed"),
        "{ policy: Vacation, allowance: 25, unit: days }",
        "",
    );
    let plan = t.run_with(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout
            .contains("~ Vacation  allowance 33 → 25 days (used 3, remaining 30 → 22); the allowance in Connecteam is 33, the manifests say 25: changed in the manifests, or in Connecteam by hand"),
        "{}",
        plan.stdout
    );
    t.run_with(&["apply", "--yes"]).code(0);
    assert_eq!(connecteam_balance(&t), 22.0);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}

/// New approved requests and an allowance change in one apply: the balance
/// ends at allowance − all usage (no double deduction), re-plan empty.
#[test]
fn new_requests_and_allowance_in_one_apply() {
    let t = connecteam_world(
        &connecteam_seed("22", "", "fixed"),
        "{ policy: Vacation, allowance: 27, unit: days }",
        "time_off_requests:\n  - { key: R-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-11-02, end_date: 2026-11-03, timezone: UTC }\n",
    );
    let plan = t.run_with(&["plan"]);
    plan.code(0);
    assert!(!plan.stderr.contains("double-deduction"), "{}", plan.stderr);
    t.run_with(&["apply", "--yes"]).code(0);
    // 27 granted, 3 + 2 used.
    assert_eq!(connecteam_balance(&t), 22.0);
    let again = t.run_with(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}", again.stdout);
}

/// At a new leave year the usage counted starts again: last year's balance
/// still in place is shown as `new leave year 2027`, not as an unexplained
/// increase; with a new request in the same apply the balance ends at
/// allowance − this year's usage. With `carry_over`, last year's unused
/// allowance is kept on top.
#[test]
fn a_new_leave_year_grants_the_allowance_again() {
    for (carry, expected) in [(false, 23.0), (true, 45.0)] {
        let policies = if carry {
            "policies:\n  field:\n    Vacation: { carry_over: true }\n"
        } else {
            ""
        };
        let t = connecteam_world(
            &connecteam_seed("22", "", "fixed"),
            "{ policy: Vacation, allowance: 25, unit: days }",
            &format!(
                "time_off_requests:\n  - {{ key: R-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2027-02-01, end_date: 2027-02-02, timezone: UTC }}\n{policies}"
            ),
        )
        .env("HRFORM_TODAY", "2027-01-10");
        let plan = t.run_with(&["plan"]);
        plan.code(0);
        assert!(
            plan.stdout
                .contains("Vacation  new leave year 2027 → allowance 25 days"),
            "{}",
            plan.stdout
        );
        if carry {
            assert!(plan.stdout.contains("22 carried over"), "{}", plan.stdout);
        }
        t.run_with(&["apply", "--yes"]).code(0);
        assert_eq!(connecteam_balance(&t), expected, "carry_over {carry}");
        let again = t.run_with(&["plan", "--detailed-exitcode"]);
        assert_eq!(again.code, 0, "carry_over {carry}: {}", again.stdout);
    }
}

/// A policy that accrues by itself takes no allowance: a located error.
#[test]
fn an_accruing_policy_takes_no_allowance() {
    let t = connecteam_world(
        &connecteam_seed("22", "", "hourly"),
        "{ policy: Vacation, allowance: 25, unit: days }",
        "",
    );
    let plan = t.run_with(&["plan"]);
    plan.code(1);
    assert!(
        plan.stderr.contains("error[accruing-policy]: policy `Vacation` accrues its balance itself (accrualType: hourly)"),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("hr.yaml:2:"), "{}", plan.stderr);
}

/// An entry has an allowance or a balance, not both.
#[test]
fn allowance_and_balance_together_are_refused() {
    let t = Test::new()
        .file(
            "providers.yaml",
            "providers:\n  field: { type: connecteam }\n",
        )
        .file(
            "hr.yaml",
            "users:\n  - { email: kim@example.com, time_off: [{ policy: Vacation, allowance: 25, balance: 20, unit: days }] }\n",
        );
    let out = t.run_with(&["validate"]);
    out.code(1);
    assert!(
        out.stderr.contains("error[allowance-and-balance]"),
        "{}",
        out.stderr
    );
}

/// Clockify: the allowance is compared with accrued = available + used,
/// whichever of `balance` and `total` holds it; raising (ada) and lowering
/// (bo) it ends at allowance − used under every PATCH semantics the sandbox
/// offers, learnt by `auto` or declared; the re-plan is empty. Both
/// directions go in one apply, so `auto` learns from the first row it
/// writes and writes the other once.
#[test]
fn clockify_allowance_under_every_reading_and_patch() {
    for fields in ["accrued_in_balance", "accrued_in_total"] {
        for patch in ["add", "set", "set_available"] {
            for declared in ["auto", "declared"] {
                let update = match (declared, patch) {
                    ("auto", _) => "auto",
                    (_, "add") => "add",
                    (_, "set") => "set_accrued",
                    _ => "set_available",
                };
                let seed = format!(
                    "seed_version: 1
clockify:
  api_key: sandbox-clockify-key
  workspace_id: 64a687e29ae1f428e7ebe303
  key_owner: owner@example.com
  quirks: {{ balance_patch: {patch}, balance_fields: {fields} }}
  users:
    - {{ email: owner@example.com }}
    - {{ email: ada@example.com }}
    - {{ email: bo@example.com }}
    - {{ email: cy@example.com }}
  policies:
    - name: Vacation
      unit: days
      assignments:
        - {{ user: ada@example.com, balance: 20, used: 3 }}
        - {{ user: bo@example.com, balance: 20, used: 3 }}
        - {{ user: cy@example.com, balance: 20, used: 0 }}
"
                );
                let t = Test::new().sandbox(&seed);
                let providers = format!(
                    "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\n    requests_per_second: 50\n    balance_update: {update}\n",
                    t.sandbox_url()
                );
                let t = t.file("providers.yaml", &providers).file(
                    "hr.yaml",
                    "users:\n  - { email: ada@example.com, time_off: [{ policy: Vacation, allowance: 25, unit: days }] }\n  - { email: bo@example.com, time_off: [{ policy: Vacation, allowance: 18, unit: days }] }\n  - { email: cy@example.com, time_off: [{ policy: Vacation, allowance: 20, unit: days }] }\n",
                );
                let case = format!("{fields} {patch} {update}");
                let plan = t.run_with(&["plan"]);
                assert_eq!(plan.code, 0, "{case}: {}", plan.stderr);
                for (allowance, remaining) in [(25, 22), (18, 15)] {
                    assert!(
                        plan.stdout.contains(&format!(
                            "Vacation  allowance 20 → {allowance} days (used 3, remaining 17 → {remaining})"
                        )),
                        "{case}: {}",
                        plan.stdout
                    );
                }
                // cy's 20 with nothing used is already right.
                assert!(!plan.stdout.contains("cy@"), "{case}: {}", plan.stdout);
                let apply = t.run_with(&["apply", "--yes"]);
                assert_eq!(apply.code, 0, "{case}: {}\n{}", apply.stdout, apply.stderr);
                let patches = writes(&t).len();
                if declared == "declared" {
                    assert_eq!(patches, 2, "{case}: {:?}", writes(&t));
                } else {
                    // A probe, a correction when the first guess was wrong,
                    // and the other row written once as learnt.
                    assert!((2..=3).contains(&patches), "{case}: {:?}", writes(&t));
                }
                let rows = t.sandbox_state()["clockify"]["balances"].clone();
                for (email, allowance) in [("ada@example.com", 25.0), ("bo@example.com", 18.0)] {
                    let row = rows
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|b| b["email"] == email)
                        .unwrap()
                        .clone();
                    assert_eq!(row["accrued"].as_f64(), Some(allowance), "{case}: {row}");
                    assert_eq!(row["used"].as_f64(), Some(3.0), "{case}: {row}");
                }
                let again = t.run_with(&["plan", "--detailed-exitcode"]);
                assert_eq!(again.code, 0, "{case}: {}", again.stdout);
            }
        }
    }
}

/// A Clockify workspace: ada, cy and dee on Vacation with non-zero
/// balances; PATCH adds (the default reading that punishes a blind send).
fn clockify_world(options: hrform::sandbox::Options, update: &str, users: &str) -> Test {
    let seed = "seed_version: 1
clockify:
  api_key: sandbox-clockify-key
  workspace_id: 64a687e29ae1f428e7ebe303
  key_owner: owner@example.com
  users:
    - { email: owner@example.com }
    - { email: ada@example.com }
    - { email: cy@example.com }
    - { email: dee@example.com }
  policies:
    - name: Vacation
      unit: days
      assignments:
        - { user: ada@example.com, balance: 15.1 }
        - { user: cy@example.com, balance: 20.1 }
        - { user: dee@example.com, balance: 10 }
";
    let t = Test::new().sandbox_with(seed, options);
    let providers = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\n    requests_per_second: 50\n    balance_update: {update}\n",
        t.sandbox_url()
    );
    t.file("providers.yaml", &providers).file("hr.yaml", users)
}

/// Issue 12 item 7: balances are exact decimals from the YAML text to the
/// wire: 15.1 → 15.2 and 20.1 → 20.2 are one adding PATCH of exactly 0.1.
#[test]
fn equal_decimal_deltas_are_one_exact_patch() {
    let t = clockify_world(
        hrform::sandbox::Options::default(),
        "add",
        "users:\n  - { email: ada@example.com, time_off: [{ policy: Vacation, allowance: 15.2, unit: days }] }\n  - { email: cy@example.com, time_off: [{ policy: Vacation, allowance: 20.2, unit: days }] }\n",
    );
    let plan = t.run_with(&["plan", "--output", "json"]);
    plan.code(0);
    let plan: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let calls = plan["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["body"]["value"].to_string(), "0.1");
    t.run_with(&["apply", "--yes"]).code(0);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}

/// Issue 12 item 2: under `auto`, a probe PATCH that keeps failing stops
/// the provider's balance writes: no other PATCH goes to a non-zero
/// balance, and the run says why (exit 5).
#[test]
fn a_failed_probe_stops_balance_writes() {
    let options = hrform::sandbox::Options {
        faults: "error_rate=1,methods=PATCH,seed=1".parse().unwrap(),
        ..Default::default()
    };
    let t = clockify_world(
        options,
        "auto",
        "users:\n  - { email: ada@example.com, time_off: [{ policy: Vacation, allowance: 16, unit: days }] }\n  - { email: cy@example.com, time_off: [{ policy: Vacation, allowance: 21, unit: days }] }\n  - { email: dee@example.com, time_off: [{ policy: Vacation, allowance: 11, unit: days }] }\n",
    );
    let out = t.run_with(&["apply", "--yes"]);
    assert_eq!(out.code, 5, "{}\n{}", out.stdout, out.stderr);
    let patches: Vec<serde_json::Value> = t
        .sandbox_log()
        .into_iter()
        .filter(|e| e["method"] == "PATCH")
        .collect();
    // Only the probe, sent again after each read showed it had not taken
    // effect; never the two others.
    assert!(!patches.is_empty() && patches.len() <= 3, "{patches:?}");
    let probe = patches[0]["body"]["userIds"].clone();
    assert!(
        patches.iter().all(|p| p["body"]["userIds"] == probe),
        "{patches:?}"
    );
    assert!(
        out.stdout.contains("no other balance is written")
            || out.stdout.contains("did not take effect"),
        "{}",
        out.stdout
    );
}

/// Issue 12 item 8: every balance write counts against
/// `max_balance_change`, from 0 when there was none (a new Connecteam
/// assignment that carries a balance).
#[test]
fn max_balance_change_counts_new_balances_from_zero() {
    let seed = "seed_version: 1
connecteam:
  api_key: sandbox-connecteam-key
  key_owner: owner@example.com
  users:
    - { email: owner@example.com, first_name: O, last_name: O, role: owner }
    - { email: kim@example.com, first_name: Kim, last_name: Field }
  policy_types:
    - name: Vacation
      policies:
        - { name: Vacation, unit: days }
";
    let t = connecteam_world(
        seed,
        "{ policy: Vacation, allowance: 25, unit: days }",
        "settings:\n  safety: { max_balance_change: 10 }\n",
    );
    let out = t.run_with(&["apply", "--yes"]);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains(
            "max_balance_change: kim@example.com Vacation: 0 → 25 days changes by 25 (limit 10)"
        ),
        "{}",
        out.stderr
    );
    assert!(writes(&t).is_empty());
}

/// Issue 12 item 1: requests for people declared without `time_off`, who
/// are on a policy of the request's type in Connecteam, plan and apply;
/// the type's assignments are read for those people only.
#[test]
fn requests_only_configurations_plan_and_apply() {
    let t = connecteam_world(
        &connecteam_seed("22", "", "fixed"),
        "",
        "time_off_requests:\n  - { key: R-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-11-02, end_date: 2026-11-03, timezone: UTC }\n",
    );
    let plan = t.run_with(&["plan"]);
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout
            .contains("+ R-1  2026-11-02 → 2026-11-03 Vacation (approved)"),
        "{}",
        plan.stdout
    );
    let balances: Vec<String> = t
        .sandbox_log()
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.contains("/balances")))
        .map(|e| e["query"].to_string())
        .collect();
    assert_eq!(balances.len(), 1, "{balances:?}");
    assert!(balances[0].contains("userIds"), "{balances:?}");
    t.run_with(&["apply", "--yes"]).code(0);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}
