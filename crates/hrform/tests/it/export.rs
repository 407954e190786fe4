//! `hrform export` end to end: the binary reads a sandbox world over HTTP
//! and writes manifests; the round trip is that they validate and that
//! `plan` right after finds nothing to change, with no more reads than
//! that plan makes.

use crate::common::{Output, Test, repo_root};
use crate::export_world;

/// GET calls in the sandbox log whose path starts with `prefix`, since the
/// log was `from` long.
fn gets(t: &Test, from: usize, clockify: bool) -> usize {
    t.sandbox_log()[from..]
        .iter()
        .filter(|e| e["method"] == "GET")
        .filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with("/api/")) == clockify)
        .count()
}

/// Export each provider, then check: the tree validates and plan shows `No
/// changes.` (exit 0 with `--detailed-exitcode`) without a warning about
/// a request, `fmt` would leave the exports as they are, and each export
/// read no more than the plan after it.
fn round_trip(t: &Test, providers: &[(&str, bool)]) -> Vec<Output> {
    let mut exports = Vec::new();
    let mut calls = Vec::new();
    for (name, clockify) in providers {
        let from = t.sandbox_log().len();
        let out = t.run_with(&["export", "--provider", name]);
        out.code(0);
        assert!(
            out.stdout.is_empty(),
            "data goes to the file: {}",
            out.stdout
        );
        calls.push((name, *clockify, gets(t, from, *clockify)));
        exports.push(out);
    }
    // Plan loads and validates the tree first: an error would fail it.
    let from = t.sandbox_log().len();
    let plan = t.run_with(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    assert!(
        !plan.stderr.contains("request-needs-recreate"),
        "{}",
        plan.stderr
    );
    assert_eq!(
        t.sandbox_log()[from..]
            .iter()
            .filter(|e| e["method"] != "GET")
            .count(),
        0
    );
    // What export writes is already in `fmt` form (the test's own files
    // may not be).
    let fmt = t.run_with(&["fmt", "--check"]);
    assert!(
        !fmt.stdout.contains(".export"),
        "export wrote what fmt would change:\n{}{}",
        fmt.stdout,
        t.run_with(&["fmt", "--diff"]).stdout
    );
    assert!(!fmt.stderr.contains("error"), "{}", fmt.stderr);
    for (name, clockify, export_calls) in calls {
        let plan_calls = gets(t, from, clockify);
        assert!(
            export_calls <= plan_calls,
            "export of {name} made {export_calls} reads, the plan after it {plan_calls}"
        );
    }
    exports
}

/// A copy of `examples/acme` (providers only, or everything) pointed at a
/// sandbox of its world.
pub(crate) fn acme(all: bool) -> Test {
    let seed = std::fs::read_to_string(repo_root().join("examples/acme/sandbox.yaml")).unwrap();
    let mut t = Test::new().sandbox(&seed);
    let base = t.sandbox_url();
    for entry in std::fs::read_dir(repo_root().join("examples/acme")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name == "sandbox.yaml" || (!all && name != "providers.yaml") {
            continue;
        }
        let mut text = std::fs::read_to_string(&path).unwrap();
        if name == "providers.yaml" {
            text = text
                .replace(
                    "    type: clockify\n",
                    &format!("    type: clockify\n    base_url: {base}/api\n"),
                )
                .replace(
                    "    type: connecteam\n",
                    &format!("    type: connecteam\n    base_url: {base}\n"),
                )
                .replace("requests_per_minute: 60", "requests_per_minute: 200");
        }
        t = t.file(&name, &text);
    }
    t
}

/// The acme world round-trips on both vendors: everyone exported, and the
/// plan after it has nothing to do.
#[test]
fn acme_world_round_trips() {
    let t = acme(false);
    let outs = round_trip(&t, &[("clockify", true), ("field", false)]);
    let clockify = std::fs::read_to_string(t.path().join("clockify.export.yaml")).unwrap();
    assert!(clockify.starts_with("# yaml-language-server: $schema="));
    // Lucía's name, in a comment; the pending invitee has no status.
    assert!(clockify.contains("  - email: lucia.fernandez@acme.example  # Lucía Fernández\n"));
    assert!(clockify.contains(
        "  - email: noah.berg@acme.example\n    provider: clockify\n    # status: invited, not joined"
    ));
    // Hiroshi's part-time allowances, as the live balances imply them.
    assert!(clockify.contains(
        "  - email: hiroshi.tanaka@acme.example  # Hiroshi Tanaka\n    provider: clockify\n    status: active\n    time_off:\n      - { policy: Sick, allowance: 40, unit: hours }\n      - { policy: Vacation, allowance: 12.5, unit: days }\n"
    ), "{clockify}");
    assert!(
        outs[0].stderr.contains("Exported 33 people and 0 requests"),
        "{}",
        outs[0].stderr
    );
    let field = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    assert!(field.contains("    status: inactive\n"), "{field}");
}

/// Exporting into the whole acme tree adds only the people no manifest
/// declares (the unmanaged ones), says how many were skipped, and the tree
/// still validates with no one declared twice.
#[test]
fn export_into_a_tree_skips_declared_people() {
    let t = acme(true);
    let out = t.run_with(&["export", "--provider", "clockify"]);
    out.code(0);
    assert!(
        out.stderr.contains("29 people already declared, skipped"),
        "{}",
        out.stderr
    );
    let text = std::fs::read_to_string(t.path().join("clockify.export.yaml")).unwrap();
    let emails: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  - email: "))
        .map(|l| l.split("  #").next().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "jonas.weber@brightpixel.example",
            "karen.liu@acme.example",
            "noah.berg@acme.example",
            "qa.automation@acme.example"
        ]
    );
    t.run_with(&["validate"]).code(0);
    // The plan no longer lists them as unmanaged.
    let plan = t.run_with(&["plan"]);
    plan.code(0);
    assert!(
        !plan.stdout.contains("qa.automation@acme.example"),
        "{}",
        plan.stdout
    );
}

/// An existing output file is never replaced without `--force` (exit 1,
/// naming it, the file untouched); `--out -` writes to stdout only.
#[test]
fn export_never_overwrites_and_can_print() {
    let t = acme(false).file("field.export.yaml", "# mine\n");
    let out = t.run_with(&["export", "--provider", "field"]);
    out.code(1);
    assert!(
        out.stderr.contains("field.export.yaml exists"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap(),
        "# mine\n"
    );
    let printed = t.run_with(&["export", "--provider", "field", "--out", "-"]);
    printed.code(0);
    assert!(
        printed
            .stdout
            .starts_with("# yaml-language-server: $schema=")
    );
    assert!(
        printed
            .stdout
            .contains("  - email: diego.alvarez@acme.example")
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap(),
        "# mine\n"
    );
    t.run_with(&["export", "--provider", "field", "--force"])
        .code(0);
    assert_eq!(
        std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap(),
        printed.stdout
    );
    // An unknown provider is a usage error that suggests the right one.
    let wrong = t.run_with(&["export", "--provider", "feild"]);
    wrong.code(64);
    assert!(wrong.stderr.contains("field"), "{}", wrong.stderr);
}

/// `--force` replaces export's own earlier output: its people are not
/// taken as declared elsewhere (the new file holds them all again, never
/// an emptier one), and a part an earlier, larger export wrote and this
/// one does not is removed, so no one is declared twice or lost.
#[test]
fn export_force_replaces_its_own_earlier_output() {
    let t = acme(false);
    t.run_with(&["export", "--provider", "field"]).code(0);
    let first = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    assert!(first.contains("  - email: diego.alvarez@acme.example"));
    // As if an earlier export had needed two parts.
    let part = first.split("users:\n").nth(1).unwrap().to_owned();
    let t = t.file("field.export-2.yaml", &format!("users:\n{part}"));
    let again = t.run_with(&["export", "--provider", "field", "--force"]);
    again.code(0);
    assert!(
        !again.stderr.contains("already declared"),
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("field.export-2.yaml"),
        "{}",
        again.stderr
    );
    assert!(!t.path().join("field.export-2.yaml").exists());
    let second = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    assert_eq!(first, second);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
    // A file of another name stays, and its people are skipped.
    let t = t.file("crew.yaml", &format!("users:\n{part}"));
    let third = t.run_with(&["export", "--provider", "field", "--force"]);
    third.code(0);
    assert!(t.path().join("crew.yaml").exists());
    assert!(
        third.stderr.contains("people already declared, skipped"),
        "{}",
        third.stderr
    );
    // `--force` never writes through (or replaces) a link committed in
    // the output's place.
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("authorized_keys");
    std::fs::write(&victim, "ssh-ed25519 AAAA admin\n").unwrap();
    std::fs::remove_file(t.path().join("field.export.yaml")).unwrap();
    std::os::unix::fs::symlink(&victim, t.path().join("field.export.yaml")).unwrap();
    let linked = t.run_with(&["export", "--provider", "field", "--force"]);
    linked.code(1);
    assert!(linked.stderr.contains("symlink"), "{}", linked.stderr);
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "ssh-ed25519 AAAA admin\n"
    );
    assert!(
        std::fs::symlink_metadata(t.path().join("field.export.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// The generated world of 1,040 people (520 a vendor), every kind of
/// data in it, round-trips on both vendors. 520 is past one page of
/// everything paged: Connecteam users (500), balances and requests (100),
/// Clockify balance rows (200); the size itself is not what is tested.
#[test]
fn generated_world_round_trips() {
    let n = 520;
    let t = Test::new().sandbox(&export_world::seed(n));
    let providers = export_world::providers(&t.sandbox_url());
    let t = t.file("providers.yaml", &providers);
    let outs = round_trip(&t, &[("office", true), ("field", false)]);
    assert!(
        outs[0].stderr.contains(&format!("Exported {n} people")),
        "{}",
        outs[0].stderr
    );
    // One Connecteam email is not an address: validation refuses it, so
    // the export leaves that person out and says why.
    assert!(
        outs[1]
            .stderr
            .contains(&format!("Exported {} people", n - 1)),
        "{}",
        outs[1].stderr
    );
    assert!(
        outs[1]
            .stderr
            .contains("left out: 1 that failed validation (invalid-email)"),
        "{}",
        outs[1].stderr
    );
    let field = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    for needle in [
        "{ policy: Standard, policy_type: Time Off, allowance: 2, unit: days }",
        "{ policy: Accrued }  # the system accrues it: no allowance",
        "    key: BHR-0\n",
        "  - key: connecteam:",
        "    all_day: false\n    start_time: \"09:00:00\"\n    end_time: \"13:30:00\"\n",
        "    status: pending\n",
        "    status: denied\n",
        "    adjust_for_dst: true\n",
    ] {
        let needle = needle.replace("    key: BHR", "  - key: BHR");
        assert!(field.contains(&needle), "no {needle:?} in the export");
    }
}

/// Hostile notes, names and emails from the HR system come back exactly:
/// parsed from the export, every note equals the live one character for
/// character, and no value became structure.
#[test]
fn hostile_notes_round_trip_exactly() {
    let t = Test::new().sandbox(&export_world::seed(24));
    let providers = export_world::providers(&t.sandbox_url());
    let t = t.file("providers.yaml", &providers);
    round_trip(&t, &[("field", false)]);
    let text = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let state = t.sandbox_state();
    let live = state["connecteam"]["requests"].as_array().unwrap();
    let exported = doc["time_off_requests"].as_array().unwrap();
    assert_eq!(exported.len(), live.len());
    let mut notes = 0;
    for r in exported {
        let key = r["key"].as_str().unwrap();
        let found = live
            .iter()
            .find(|l| {
                key.strip_prefix("connecteam:") == l["id"].as_str()
                    || l["manager_note"]
                        .as_str()
                        .is_some_and(|n| n.ends_with(&format!("[hrform:{key}]")))
            })
            .unwrap_or_else(|| panic!("no live request for {key}"));
        if let Some(note) = r.get("employee_note") {
            assert_eq!(note, &found["employee_note"], "{key}");
            notes += 1;
        }
        if key.starts_with("connecteam:")
            && let Some(note) = r.get("manager_note")
        {
            assert_eq!(note, &found["manager_note"], "{key}");
            notes += 1;
        }
    }
    assert!(notes >= 10, "{notes} notes checked");
    let emails: Vec<&str> = doc["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&"ops#4&co@example.com"), "{emails:?}");
    // A name with a newline stays in its comment.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("users: []") || l.starts_with("- evil"))
    );
    // Bidirectional overrides and terminal escapes are written as YAML
    // escapes, never raw: a PR diff of the file reads as it means.
    assert!(
        !text.contains(['\u{202e}', '\u{1b}']),
        "a raw bidi or escape character in the export"
    );
}

/// `--since` and `--until` choose the requests' window (the leave year's
/// usage is still read for the allowances); the plan after it still has
/// nothing to do, and a window that ends before it starts is a usage error.
#[test]
fn window_chooses_the_requests() {
    let t = Test::new().sandbox(&export_world::seed(24));
    let providers = export_world::providers(&t.sandbox_url());
    let t = t.file("providers.yaml", &providers);
    let out = t.run_with(&[
        "export",
        "--provider",
        "field",
        "--since",
        "2026-08-01",
        "--until",
        "2027-01-31",
    ]);
    out.code(0);
    let text = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    let starts: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("    start_date: "))
        .collect();
    assert!(!starts.is_empty());
    assert!(starts.iter().all(|d| *d >= "2026-08-01"), "{starts:?}");
    assert!(text.contains("# Time-off requests overlapping 2026-08-01 to 2027-01-31."));
    let plan = t.run_with(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    let bad = t.run_with(&[
        "export",
        "--provider",
        "field",
        "--out",
        "-",
        "--since",
        "2026-08-01",
        "--until",
        "2026-01-31",
    ]);
    bad.code(64);
}

/// A live request without a marker that a request of the tree adopts (by
/// person, type and dates) is not exported again under `connecteam:ID`:
/// the plan still adopts it for the tree's key and creates nothing.
#[test]
fn requests_the_tree_adopts_are_not_exported_again() {
    let seed = "seed_version: 1
connecteam:
  api_key: sandbox-connecteam-key
  key_owner: owner@example.com
  users:
    - { email: owner@example.com, first_name: O, last_name: W, role: owner }
    - { email: kim@example.com, first_name: Kim, last_name: Field }
  policy_types:
    - name: Vacation
      policies:
        - name: Vacation
          unit: days
          assignments:
            - { user: kim@example.com, balance: 20 }
  requests:
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-09-01, end_date: 2026-09-03 }
    - { user: kim@example.com, policy_type: Vacation, start_date: 2026-10-05, end_date: 2026-10-05, status: pending }
";
    let t = Test::new().sandbox(seed);
    let providers = format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {}\n    requests_per_minute: 200\n",
        t.sandbox_url()
    );
    let t = t.file("providers.yaml", &providers).file(
        "requests.yaml",
        "time_off_requests:\n  - { key: BHR-1, user: kim@example.com, policy_type: Vacation, start_date: 2026-09-01, end_date: 2026-09-03, timezone: UTC }\n",
    );
    let out = t.run_with(&["export", "--provider", "field"]);
    out.code(0);
    assert!(
        out.stderr
            .contains("left out: 1 requests a request of the tree adopts"),
        "{}",
        out.stderr
    );
    let text = std::fs::read_to_string(t.path().join("field.export.yaml")).unwrap();
    assert_eq!(text.matches("  - key: ").count(), 1, "{text}");
    assert!(text.contains("    start_date: 2026-10-05\n"), "{text}");
    let plan = t.run_with(&["plan"]);
    plan.code(0);
    assert!(
        plan.stdout.contains("BHR-1 (adopt an unmarked request)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout
            .contains("Plan: 1 person changes, 1 change: 0 to add, 1 to change, 0 to remove.\n1 API call (PUT 1)"),
        "{}",
        plan.stdout
    );
}

mod property {
    use proptest::prelude::*;

    use crate::common::Test;

    /// One small generated Connecteam world: people with a status, a
    /// balance, and requests with notes drawn from hostile characters.
    /// A person: archived, balance in half days, requests (day, approved,
    /// note).
    type Person = (bool, u8, Vec<(u8, bool, String)>);

    fn world(people: &[Person]) -> String {
        let json = |s: &str| serde_json::to_string(s).unwrap();
        let mut s = String::from(
            "seed_version: 1\nconnecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: p0@example.com\n  users:\n",
        );
        for (i, (archived, _, _)) in people.iter().enumerate() {
            let role = if i == 0 { ", role: owner" } else { "" };
            s.push_str(&format!(
                "    - {{ email: p{i}@example.com, first_name: P, last_name: \"{i}\", archived: {}{role} }}\n",
                *archived && i > 0
            ));
        }
        s.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation\n          unit: days\n          assignments:\n");
        for (i, (_, balance, _)) in people.iter().enumerate() {
            s.push_str(&format!(
                "            - {{ user: p{i}@example.com, balance: {} }}\n",
                f64::from(*balance) / 2.0
            ));
        }
        s.push_str("  requests:\n");
        if people.iter().all(|(_, _, r)| r.is_empty()) {
            s.push_str("    []\n");
        }
        for (i, (_, _, requests)) in people.iter().enumerate() {
            for (day, approved, note) in requests {
                let status = if *approved { "approved" } else { "pending" };
                s.push_str(&format!(
                    "    - {{ user: p{i}@example.com, policy_type: Vacation, start_date: 2026-04-{:02}, end_date: 2026-04-{:02}, status: {status}, employee_note: {}, manager_note: {} }}\n",
                    day % 28 + 1,
                    day % 28 + 1,
                    json(note),
                    json(&note.chars().rev().collect::<String>())
                ));
            }
        }
        s
    }

    fn note() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('a'),
                Just(' '),
                Just(':'),
                Just('#'),
                Just('"'),
                Just('\''),
                Just('\n'),
                Just('-'),
                Just('['),
                Just('{'),
                Just('é'),
                Just('日'),
                Just('\u{202e}'),
                Just('\\'),
                Just('\t'),
                Just('1'),
                Just('.'),
            ],
            1..12,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

        /// For generated worlds: export, then validate (no error), then
        /// plan (no change).
        #[test]
        fn export_validates_and_plans_to_no_change(
            people in proptest::collection::vec(
                (any::<bool>(), 0u8..60, proptest::collection::vec((0u8..28, any::<bool>(), note()), 0..3)),
                1..6,
            )
        ) {
            let t = Test::new().sandbox(&world(&people));
            let providers = format!(
                "providers:\n  field:\n    type: connecteam\n    base_url: {}\n    requests_per_minute: 200\n",
                t.sandbox_url()
            );
            let t = t.file("providers.yaml", &providers);
            let out = t.run_with(&["export", "--provider", "field"]);
            prop_assert_eq!(out.code, 0, "{}", out.stderr);
            let v = t.run_with(&["validate"]);
            prop_assert_eq!(v.code, 0, "{}", v.stderr);
            let plan = t.run_with(&["plan", "--detailed-exitcode"]);
            prop_assert_eq!(plan.code, 0, "{}\n{}", plan.stdout, plan.stderr);
            // In fmt form as written (the test's providers.yaml aside).
            let fmt = t.run_with(&["fmt", "--check"]);
            prop_assert!(!fmt.stdout.contains(".export"), "{}", t.run_with(&["fmt", "--diff"]).stdout);
        }
    }
}
