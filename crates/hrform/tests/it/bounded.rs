//! Errors that do not drown the rest: a code repeated past 20 times is
//! counted, a tree with no `providers:` stops with one error, discovery is
//! bounded, and a plan with errors still shows everyone else's changes
//! (never saved, never applied).

use crate::common::Test;

const OWNER_SEED: &str = "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, name: Olive Owner }\n";

/// A test directory with a sandbox from `seed` and a Clockify provider
/// pointing at it.
fn clockify_world(seed: &str, settings: &str) -> Test {
    let t = Test::new().sandbox(seed);
    let url = t.sandbox_url();
    t.file(
        "providers.yaml",
        &format!(
            "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n{settings}"
        ),
    )
}

/// 2,000 people the HR system does not know: the first 20 errors, then a
/// count; the JSON report lists them all.
#[test]
fn two_thousand_unknown_people_give_a_bounded_report() {
    let mut users = String::from("users:\n  - { email: owner@example.com, provider: clockify }\n");
    for i in 0..2000 {
        users.push_str(&format!(
            "  - {{ email: nobody.{i}@example.com, provider: clockify }}\n"
        ));
    }
    let t = clockify_world(OWNER_SEED, "").file("users.yaml", &users);
    let out = t.run_with(&["plan", "--format", "text"]);
    out.code(1);
    assert_eq!(
        out.stderr.matches("error[user-not-found]").count(),
        20,
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("and 1,980 more user-not-found errors; --format json lists them all"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.lines().count() < 300,
        "{}",
        out.stderr.lines().count()
    );
    let json = t.run_with(&["plan", "--format", "json"]);
    json.code(1);
    assert_eq!(json.stderr.matches("\"user-not-found\"").count(), 2000);
}

/// A directory with YAML files of all kinds and no `providers:` (hrform run
/// in the wrong place): one error, at once.
#[test]
fn a_tree_without_providers_stops_with_one_error() {
    let mut t = Test::new();
    for i in 0..50 {
        t = t.file(
            &format!("junk/file{i}.yaml"),
            "name: something else\nitems: [1, 2\n",
        );
    }
    for command in ["validate", "plan"] {
        let out = t.run_with(&[command]);
        out.code(1);
        assert_eq!(out.stderr.matches("error[").count(), 1, "{}", out.stderr);
        assert!(
            out.stderr.contains(
                "error[no-provider]: no manifest under . declares `providers:` (50 YAML files read)"
            ),
            "{}",
            out.stderr
        );
    }
}

/// Past 20,000 YAML files discovery stops with one clear error.
#[test]
fn discovery_is_bounded() {
    let t = Test::new();
    for i in 0..20_001 {
        std::fs::write(t.path().join(format!("f{i:05}.yaml")), "").unwrap();
    }
    let out = t.run_with(&["validate"]);
    out.code(1);
    assert_eq!(out.stderr.matches("error[").count(), 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("discovery stopped past 20000 YAML files"),
        "{}",
        out.stderr
    );
}

/// One person with an unknown email, one with an unknown policy: everyone
/// else's changes still show (marked not appliable), then the errors, and
/// the exit code is 1. The bad person shows none of their changes; the
/// unknown email does not make the person it meant look like a leaver;
/// `--out` saves nothing and apply refuses.
#[test]
fn a_plan_with_one_bad_person_still_shows_the_rest() {
    let seed = format!(
        "{OWNER_SEED}    - {{ email: ada@example.com, name: Ada Lovelace, status: inactive }}\n    - {{ email: bob@example.com, name: Bob Builder }}\n    - {{ email: cy@example.com, name: Cy Young }}\n  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n        - {{ user: cy@example.com, balance: 3 }}\n"
    );
    let users = "\
users:
  - { email: owner@example.com, provider: clockify }
  - { email: ada@example.com, provider: clockify, status: active }
  - { email: bobby@example.com, provider: clockify }
  - { email: cy@example.com, provider: clockify, time_off: [{ policy: Vacation, balance: 5, unit: days }, { policy: Vacaton, balance: 1, unit: days }] }
";
    let t = clockify_world(&seed, "settings:\n  unmanaged_users: deactivate\n")
        .file("users.yaml", users);
    let out = t.run_with(&["plan", "--out", "plan.json"]);
    out.code(1);
    assert!(
        out.stdout.contains("Not appliable: 2 errors"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  Ada Lovelace <ada@example.com>\n    + status  inactive → active"),
        "{}",
        out.stdout
    );
    // Cy has an error: none of Cy's changes; Bob is reported, not deactivated.
    assert!(
        !out.stdout.contains("Cy Young <cy@example.com>\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("bob@example.com>  active  reported"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("active  deactivate"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("Plan (not appliable): 1 person changes, 1 change: 1 to add"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("error[user-not-found]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("error[unknown-policy]"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--out saved nothing"), "{}", out.stderr);
    assert!(!t.path().join("plan.json").exists());

    // The PR comment of such a plan never says it will be applied.
    let md = t.run_with(&["plan", "--output", "markdown"]);
    md.code(1);
    assert!(
        md.stdout
            .contains("**Status:** not appliable: fix the errors"),
        "{}",
        md.stdout
    );
    assert!(
        !md.stdout.contains("applies this plan when"),
        "{}",
        md.stdout
    );

    let json = t.run_with(&["plan", "--output", "json"]);
    json.code(1);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plan["errors"], 2);
    assert_eq!(plan["changes"].as_array().unwrap().len(), 1);

    let apply = t.run_with(&["apply", "--yes"]);
    apply.code(1);
    assert!(
        apply.stderr.contains("nothing was written"),
        "{}",
        apply.stderr
    );
    // Nothing was written: Ada is still to be activated.
    let again = t.run_with(&["plan"]);
    assert!(
        again.stdout.contains("+ status  inactive → active"),
        "{}",
        again.stdout
    );
}
