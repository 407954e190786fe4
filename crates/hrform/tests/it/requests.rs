//! Time-off requests end to end: plan and apply against the sandbox.

use crate::common::Test;

const SEED: &str = include_str!("../fixtures/plan/seed.yaml");

/// Live requests added to the plan tests' world.
const LIVE: &str = "
  requests:
    # equal to the manifests
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-06, all_day: true, timezone: Europe/Dublin, status: approved, manager_note: '[hrform:R-1]' }
    # its end date moves
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-03, all_day: true, timezone: Europe/Dublin, status: approved, manager_note: 'HR import [hrform:R-2]' }
    # pending, to approve
    - { user: max@example.com, policy_type: Vacation, start_date: 2026-05-01, end_date: 2026-05-01, all_day: true, timezone: Europe/Dublin, status: pending, manager_note: '[hrform:R-3]' }
    # left the manifests: denied when pruning
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-06-01, end_date: 2026-06-02, all_day: true, timezone: Europe/Dublin, status: approved, manager_note: '[hrform:R-4]' }
    # unmarked, equal to R-5: adopted
    - { user: max@example.com, policy_type: Vacation, start_date: 2026-07-10, end_date: 2026-07-10, all_day: true, timezone: Europe/Dublin, status: approved, manager_note: 'booked by phone' }
    # its employee note differs: the API cannot change it
    - { user: kim@example.com, policy_type: Sick, start_date: 2026-08-03, end_date: 2026-08-03, all_day: false, start_time: '09:00:00', end_time: '12:00:00', timezone: Europe/Dublin, status: approved, employee_note: Dentist, manager_note: '[hrform:R-6]' }
    # an employee's own request: never touched
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-10-05, end_date: 2026-10-05, all_day: true, timezone: Europe/Dublin, status: approved }
";

const MANIFESTS: &str = "\
users:
  - { email: kim@example.com, provider: field, status: active, time_off: [{ policy: Vacation - Full-time }, { policy: Sick }] }
  - { email: max@example.com, provider: field, status: active, time_off: [{ policy: Vacation - Part-time }] }
time_off_requests:
  - { key: R-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-06, timezone: Europe/Dublin }
  - { key: R-2, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-04, timezone: Europe/Dublin }
  - { key: R-3, provider: field, user: max@example.com, policy_type: Vacation, start_date: 2026-05-01, end_date: 2026-05-01, timezone: Europe/Dublin, status: approved }
  - { key: R-5, provider: field, user: max@example.com, policy_type: Vacation, start_date: 2026-07-10, end_date: 2026-07-10, timezone: Europe/Dublin }
  - { key: R-6, provider: field, user: kim@example.com, policy_type: Sick, start_date: 2026-08-03, end_date: 2026-08-03, all_day: false, start_time: '09:00', end_time: '12:00', timezone: Europe/Dublin, employee_note: Doctor }
  - { key: R-7, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-09-14, end_date: 2026-09-18, timezone: Europe/Dublin, employee_note: Hiking }
  # The night Irish clocks go forward (01:00 → 02:00): times kept as written, in the request's zone.
  - { key: R-8, provider: field, user: kim@example.com, policy_type: Sick, start_date: 2026-03-29, end_date: 2026-03-29, all_day: false, start_time: '00:30', end_time: '03:00', timezone: Europe/Dublin, manager_note: from BambooHR, adjust_for_dst: true, time_clock_id: 123 }
  # The night New York clocks go back (02:00 → 01:00): 01:30 happens twice; the flag, declared false, says how to count it.
  - { key: R-9, provider: field, user: kim@example.com, policy_type: Sick, start_date: 2026-11-01, end_date: 2026-11-01, all_day: false, start_time: '01:30', end_time: '03:00', timezone: America/New_York, adjust_for_dst: false }
";

fn providers(t: &Test) -> String {
    format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {}\n    requests_per_minute: 200\n",
        t.sandbox_url()
    )
}

fn seed_with(requests: &str) -> String {
    // The Connecteam section is last in the seed: append its requests.
    format!("{}{requests}", SEED.trim_end())
}

/// A sandbox on `seed` (with `options`), the Connecteam provider pointing
/// at it, and `manifests`.
fn world_of(seed: &str, options: hrform::sandbox::Options, manifests: &str) -> Test {
    let t = Test::new().sandbox_with(seed, options);
    let providers = providers(&t);
    t.file("providers.yaml", &providers)
        .file("hr.yaml", manifests)
}

fn world(settings: &str) -> Test {
    world_of(
        &seed_with(LIVE),
        hrform::sandbox::Options::default(),
        &format!("{MANIFESTS}{settings}"),
    )
}

/// Manifests declaring `n` one-day requests for kim, keyed `PREFIX-i`, on
/// consecutive days from 2026-01-05.
fn one_day_requests(prefix: &str, n: i64) -> String {
    let mut manifests = String::from(
        "users:\n  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }\ntime_off_requests:\n",
    );
    let start = jiff::civil::date(2026, 1, 5);
    for i in 0..n {
        let day = start.checked_add(jiff::Span::new().days(i)).unwrap();
        manifests.push_str(&format!(
            "  - {{ key: {prefix}-{i}, provider: field, user: kim@example.com, policy_type: Vacation, start_date: {day}, end_date: {day}, timezone: UTC }}\n"
        ));
    }
    manifests
}

/// Live requests by marker key, and how many carry each.
fn requests(t: &Test) -> Vec<serde_json::Value> {
    t.sandbox_state()["connecteam"]["requests"]
        .as_array()
        .unwrap()
        .clone()
}

/// Create, update, approve, deny on prune, adopt an unmarked match, and
/// refuse an immutable-field change; then a re-plan shows no changes.
#[test]
fn requests_sync_and_converge() {
    let t = world("settings:\n  prune_requests: true\n");
    let plan = t.run_with(&["plan", "--show-calls"]);
    plan.code(0);
    crate::snapshot!(plan.stdout);
    assert!(
        plan.stderr.contains("warning[request-needs-recreate]"),
        "{}",
        plan.stderr
    );
    // R-8 and R-9 span a clock change but declare `adjust_for_dst`.
    assert!(!plan.stderr.contains("clock-change"), "{}", plan.stderr);

    let out = t.run_with(&["apply", "--yes"]);
    out.code(0);
    assert!(
        out.stdout.contains("Apply: 7 applied, 0 failed"),
        "{}",
        out.stdout
    );
    let again = t.run_with(&["plan", "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);

    let live = requests(&t);
    let note = |key: &str| -> Vec<serde_json::Value> {
        live.iter()
            .filter(|r| {
                r["manager_note"]
                    .as_str()
                    .is_some_and(|n| n.ends_with(&format!("[hrform:{key}]")))
            })
            .cloned()
            .collect()
    };
    assert_eq!(note("R-2")[0]["end_date"], "2026-04-04");
    assert_eq!(note("R-2")[0]["manager_note"], "HR import [hrform:R-2]");
    assert_eq!(note("R-3")[0]["status"], "approved");
    assert_eq!(note("R-4")[0]["status"], "denied");
    assert_eq!(
        note("R-5")[0]["manager_note"],
        "booked by phone [hrform:R-5]"
    );
    assert_eq!(
        note("R-6")[0]["employee_note"],
        "Dentist",
        "immutable change made"
    );
    let created = note("R-7");
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["employee_note"], "Hiking");
    assert_eq!(created[0]["status"], "approved");
    // Notes, the DST flag and the time clock round-trip; times stay as written.
    let r8 = &note("R-8")[0];
    assert_eq!(r8["manager_note"], "from BambooHR [hrform:R-8]");
    assert_eq!(r8["adjust_for_dst"], true);
    assert_eq!(r8["time_clock_id"], 123);
    assert_eq!(
        (r8["start_time"].as_str(), r8["end_time"].as_str()),
        (Some("00:30:00"), Some("03:00:00"))
    );
    assert_eq!(r8["timezone"], "Europe/Dublin");
    let r9 = &note("R-9")[0];
    assert_eq!(r9["adjust_for_dst"], false);
    assert_eq!(
        (r9["start_time"].as_str(), r9["end_time"].as_str()),
        (Some("01:30:00"), Some("03:00:00"))
    );
    assert_eq!(r9["timezone"], "America/New_York");
    // The employee's own request is untouched, and nothing was duplicated.
    assert_eq!(live.len(), 10);
}

/// Without `prune_requests`, a request that left the manifests stays.
#[test]
fn no_prune_leaves_dropped_requests() {
    let t = world("");
    let plan = t.run_with(&["plan", "--output", "json"]);
    plan.code(0);
    assert!(!plan.stdout.contains("\"deny_request\""), "{}", plan.stdout);
}

/// With `recreate_requests`, an immutable-field change denies the old
/// request and creates a new one; then the plan is empty.
#[test]
fn recreate_requests_denies_and_creates() {
    let t = world("settings:\n  recreate_requests: true\n");
    let plan = t.run_with(&["plan", "--output", "json"]);
    plan.code(0);
    let json: serde_json::Value = serde_json::from_str(&plan.stdout).unwrap();
    let r6: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["key"] == "R-6")
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert_eq!(r6, ["deny_request", "create_request"]);
    t.run_with(&["apply", "--yes"]).code(0);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
    let live = requests(&t);
    let r6: Vec<&serde_json::Value> = live
        .iter()
        .filter(|r| {
            r["manager_note"]
                .as_str()
                .is_some_and(|n| n.contains("[hrform:R-6]"))
        })
        .collect();
    assert_eq!(r6.len(), 2);
    assert!(
        r6.iter()
            .any(|r| r["status"] == "denied" && r["employee_note"] == "Dentist")
    );
    assert!(
        r6.iter()
            .any(|r| r["status"] == "approved" && r["employee_note"] == "Doctor")
    );
}

/// Plan-time checks: an unknown policy type, a person on no policy of the
/// type, two live requests with one marker; overlaps and double deduction
/// are warnings.
#[test]
fn request_checks() {
    let live = "
  requests:
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:D-1]' }
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-09, end_date: 2026-03-09, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:D-1]' }
";
    let t = world_of(
        &seed_with(live),
        hrform::sandbox::Options::default(),
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time, balance: 15, unit: days }] }
time_off_requests:
  - { key: D-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, timezone: UTC }
  - { key: T-1, provider: field, user: kim@example.com, policy_type: Vacaton, start_date: 2026-03-02, end_date: 2026-03-02, timezone: UTC }
  - { key: A-1, provider: field, user: lee@example.com, policy_type: Sick, start_date: 2026-03-02, end_date: 2026-03-02, timezone: UTC }
  - { key: O-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-03, timezone: UTC }
  - { key: O-2, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-04-03, end_date: 2026-04-05, timezone: UTC }
",
    );
    let out = t.run_with(&["plan"]);
    out.code(1);
    crate::snapshot!(out.stderr);
}

/// Requests across two years are read in two slices of at most 365 days;
/// one that straddles the boundary comes back in both and counts once.
#[test]
fn two_year_window_read_in_slices() {
    let live = "
  requests:
    - { user: kim@example.com, policy_type: Vacation, start_date: 2025-01-01, end_date: 2025-01-01, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:S-1]' }
    - { user: kim@example.com, policy_type: Vacation, start_date: 2025-12-30, end_date: 2026-01-02, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:S-2]' }
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-12-31, end_date: 2026-12-31, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:S-3]' }
";
    let t = world_of(
        &seed_with(live),
        hrform::sandbox::Options::default(),
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }
time_off_requests:
  - { key: S-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2025-01-01, end_date: 2025-01-01, timezone: UTC }
  - { key: S-2, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2025-12-30, end_date: 2026-01-02, timezone: UTC }
  - { key: S-3, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-12-31, end_date: 2026-12-31, timezone: UTC }
",
    );
    let out = t.run_with(&["plan", "--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Slices are read in parallel: their order in the log is not fixed.
    let mut windows: Vec<String> = t
        .sandbox_log()
        .iter()
        .filter(|e| e["path"] == "/time-off/v1/requests")
        .map(|e| e["query"].to_string())
        .collect();
    windows.sort();
    assert_eq!(windows.len(), 2, "{windows:?}");
    assert!(
        windows[0].contains("2025-01-01") && windows[0].contains("2025-12-31"),
        "{windows:?}"
    );
    assert!(
        windows[1].contains("2026-01-01") && windows[1].contains("2026-12-31"),
        "{windows:?}"
    );
}

/// With the sandbox dropping the connection after many POSTs were applied,
/// a sync of new requests ends with each exactly once.
#[test]
fn creates_survive_dropped_connections_without_duplicates() {
    let n = 20;
    let manifests = one_day_requests("F", n);
    // Half the drops come after the request was handled: 30% of POSTs are
    // applied and their answer lost (and reads fail as often, and retry).
    // One fault seed (that some POST was dropped after it applied is
    // asserted below).
    let fault_seed = 1;
    let options = hrform::sandbox::Options {
        faults: format!("reset_rate=0.6,seed={fault_seed}").parse().unwrap(),
        ..Default::default()
    };
    let t = world_of(SEED, options, &manifests);
    t.apply_until_done(&format!("seed {fault_seed}"), 5, |_| {});
    let live = requests(&t);
    for i in 0..n {
        let marker = format!("[hrform:F-{i}]");
        let count = live
            .iter()
            .filter(|r| {
                r["manager_note"]
                    .as_str()
                    .is_some_and(|m| m.ends_with(&marker))
            })
            .count();
        assert_eq!(count, 1, "seed {fault_seed}: F-{i} exists {count} times");
    }
    assert_eq!(live.len(), n as usize);
    let after_faults = t
        .sandbox_log()
        .iter()
        .filter(|e| e["method"] == "POST" && e["fault"] == "reset_after")
        .count();
    assert!(
        after_faults > 0,
        "seed {fault_seed}: no POST was dropped after it applied"
    );
}

/// A multi-line value that changes is shown as a line diff (`similar`).
#[test]
fn multi_line_notes_are_shown_as_a_line_diff() {
    let live = "
  requests:
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, all_day: true, timezone: UTC, status: approved, manager_note: \"Approved by Ana\\nsee ticket 12 [hrform:M-1]\" }
";
    let t = world_of(
        &seed_with(live),
        hrform::sandbox::Options::default(),
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }
time_off_requests:
  - { key: M-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, timezone: UTC, manager_note: \"Approved by Ana\\nsee ticket 13\" }
",
    );
    let out = t.run_with(&["plan", "--show-calls"]);
    out.code(0);
    crate::snapshot!(out.stdout);
}

/// The DST flag is compared only where the API returns it: with the
/// sandbox echoing `isAdjustForDayLightSaving`, a flag that differs is one
/// PUT carrying only it, and then the plan is empty; where the API does not
/// return it (the documented responses), nothing is planned for it.
#[test]
fn dst_flag_is_updated_only_where_the_api_returns_it() {
    let live = "
  requests:
    - { user: kim@example.com, policy_type: Sick, start_date: 2026-10-25, end_date: 2026-10-25, all_day: false, start_time: '00:30:00', end_time: '03:00:00', timezone: Europe/Dublin, status: approved, manager_note: '[hrform:N-1]' }
";
    let manifests = "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Sick }] }
time_off_requests:
  - { key: N-1, provider: field, user: kim@example.com, policy_type: Sick, start_date: 2026-10-25, end_date: 2026-10-25, all_day: false, start_time: '00:30', end_time: '03:00', timezone: Europe/Dublin, adjust_for_dst: true }
";
    for echo in [true, false] {
        let mut seed = seed_with(live);
        if echo {
            seed = seed.replace(
                "connecteam:\n  api_key: sandbox-connecteam-key\n",
                "connecteam:\n  api_key: sandbox-connecteam-key\n  quirks: { echo_dst_flag: true }\n",
            );
            assert!(seed.contains("echo_dst_flag"));
        }
        let t = world_of(&seed, hrform::sandbox::Options::default(), manifests);
        let plan = t.run_with(&["plan", "--detailed-exitcode", "--show-calls"]);
        if !echo {
            assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
            continue;
        }
        assert_eq!(plan.code, 2, "{}\n{}", plan.stdout, plan.stderr);
        assert!(
            plan.stdout
                .contains(r#"{"isAdjustForDayLightSaving":true}"#),
            "{}",
            plan.stdout
        );
        assert!(
            plan.stdout.contains("1 change: 0 to add, 1 to change"),
            "{}",
            plan.stdout
        );
        t.run_with(&["apply", "--yes"]).code(0);
        t.run_with(&["plan", "--detailed-exitcode"]).code(0);
        assert_eq!(requests(&t)[0]["adjust_for_dst"], true);
    }
}

/// After a round of creates, the unclear ones are rechecked with one read
/// per person, not one per POST: 20 creates for one person with 60% of
/// POSTs dropped cost at most one recheck read a round (3 rounds at most).
#[test]
fn unclear_creates_are_rechecked_with_one_read_per_person() {
    let n = 20;
    let manifests = one_day_requests("B", n);
    let options = hrform::sandbox::Options {
        faults: "reset_rate=0.6,methods=POST,seed=5".parse().unwrap(),
        ..Default::default()
    };
    let t = world_of(SEED, options, &manifests);
    let out = t.run_with(&["apply", "--yes", "-q"]);
    assert!(
        out.code == 0 || out.code == 5,
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let log = t.sandbox_log();
    let unclear = log
        .iter()
        .filter(|e| {
            e["method"] == "POST" && e["fault"].as_str().is_some_and(|f| f.starts_with("reset"))
        })
        .count();
    let reads = log
        .iter()
        .filter(|e| e["method"] == "GET" && e["path"] == "/time-off/v1/requests")
        .count();
    // One read of the plan, then at most one recheck per round.
    assert!(
        unclear > 3,
        "only {unclear} POSTs were dropped: the test shows nothing"
    );
    assert!(
        (2..=4).contains(&reads),
        "{reads} request reads for {unclear} unclear POSTs"
    );
    if out.code == 5 {
        t.run_with(&["apply", "--yes", "-q"]).code(0);
    }
    let live = requests(&t);
    assert_eq!(live.len(), n as usize);
    let mut keys: Vec<&str> = live
        .iter()
        .filter_map(|r| r["manager_note"].as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n as usize, "a request exists twice");
}

/// Item 5: an absolute balance declared for `Kim@Example.com` next to an
/// approved request of the same type for `kim@example.com` is the
/// double-deduction warning: emails compare by key, not by spelling.
#[test]
fn double_deduction_is_warned_whatever_the_email_case() {
    let t = world_of(
        SEED,
        hrform::sandbox::Options::default(),
        "\
users:
  - { email: Kim@Example.com, provider: field, time_off: [{ policy: Vacation - Full-time, balance: 15, unit: days }] }
time_off_requests:
  - { key: C-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, timezone: UTC }
",
    );
    let out = t.run_with(&["plan"]);
    out.code(0);
    assert!(
        out.stderr.contains("warning[double-deduction]"),
        "{}",
        out.stderr
    );
}

/// Item 6: a time zone written in another case is stored, sent and
/// compared in its canonical IANA spelling: a live request equal but for
/// the zone's case plans no update, and a new one is created with
/// `Europe/Dublin`.
#[test]
fn time_zones_are_sent_in_their_canonical_spelling() {
    let live = "
  requests:
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-06, all_day: true, timezone: Europe/Dublin, status: approved, manager_note: '[hrform:Z-1]' }
";
    let t = world_of(
        &seed_with(live),
        hrform::sandbox::Options::default(),
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }
time_off_requests:
  - { key: Z-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-06, timezone: europe/DUBLIN }
  - { key: Z-2, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-05-04, end_date: 2026-05-04, timezone: EUROPE/dublin }
",
    );
    let out = t.run_with(&["plan", "--output", "json"]);
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let calls = plan["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "only Z-2's create: {calls:?}");
    assert_eq!(calls[0]["method"], "POST");
    assert_eq!(calls[0]["body"]["timezone"], "Europe/Dublin", "{calls:?}");
}

/// Item 10: hrform's marker on two live requests (two applies at once) is a
/// planned repair, not an error blocking every plan: the later copy is
/// denied, the earliest kept, and the next plan has nothing to do.
#[test]
fn duplicate_markers_are_repaired_by_denying_the_later_copies() {
    let live = "
  requests:
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:D-1]' }
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, all_day: true, timezone: UTC, status: approved, manager_note: '[hrform:D-1]' }
";
    let t = world_of(
        &seed_with(live),
        hrform::sandbox::Options::default(),
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }
time_off_requests:
  - { key: D-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-02, timezone: UTC }
",
    );
    // Connecteam request ids grow with time (a time-stamped hex id).
    let id_of = |r: &serde_json::Value| r["id"].as_str().expect("a request id").to_owned();
    let before = requests(&t);
    let mut ids: Vec<String> = before.iter().map(id_of).collect();
    ids.sort_unstable();
    let plan = t.run_with(&["plan", "--detailed-exitcode"]);
    plan.code(2);
    assert!(
        plan.stderr.contains("warning[duplicate-request-marker]"),
        "{}",
        plan.stderr
    );
    t.run_with(&["apply", "--yes", "-q"]).code(0);
    let after = requests(&t);
    let status = |id: &str| {
        after
            .iter()
            .find(|r| id_of(r) == id)
            .map(|r| r["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status(&ids[0]).as_deref(), Some("approved"), "{after:?}");
    assert_eq!(status(&ids[1]).as_deref(), Some("denied"), "{after:?}");
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}
