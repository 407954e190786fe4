//! `hrform plan` end to end: the real binary against the sandbox over HTTP.

use crate::common::{Test, repo_root};

const SEED: &str = include_str!("../fixtures/plan/seed.yaml");

/// Providers pointing at the test's sandbox.
fn providers(t: &Test) -> String {
    let url = t.sandbox_url();
    format!(
        "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
    base_url: {url}/api
    requests_per_second: 50
  field:
    type: connecteam
    base_url: {url}
policies:
  clockify:
    Vacation: {{ has_expiration: false }}
    Sick: {{ has_expiration: false }}
    Parental: {{ has_expiration: false }}
"
    )
}

/// The manifests that describe the seed exactly.
const EQUAL: &str = "\
users:
  - { email: ada@example.com, provider: clockify, status: active, time_off: [{ policy: Vacation, balance: 12, unit: days }, { policy: Sick, balance: 40, unit: hours }] }
  - { email: bob@example.com, provider: clockify, status: inactive }
  - { email: cy@example.com, provider: clockify, status: active, time_off: [{ policy: Vacation, balance: 20, unit: days }] }
  - { email: kim@example.com, provider: field, status: active, time_off: [{ policy: Vacation - Full-time, balance: 15, unit: days }, { policy: Sick, balance: 40, unit: hours }] }
  - { email: lee@example.com, provider: field, status: inactive }
  - { email: max@example.com, provider: field, status: active, time_off: [{ policy: Vacation - Part-time }] }
";

/// Every kind of change on each vendor.
const CHANGES: &str = "\
users:
  # Clockify: a balance, an assignment, an activation, a deactivation
  - { email: ada@example.com, provider: clockify, status: active, time_off: [{ policy: Vacation, balance: 15, unit: days }, { policy: Sick, balance: 40, unit: hours }, { policy: Parental }] }
  - { email: bob@example.com, provider: clockify, status: active }
  - { email: cy@example.com, provider: clockify, status: inactive, time_off: [{ policy: Vacation, balance: 20, unit: days }] }
  # Connecteam: a move between policies of one type carrying its balance, a balance, a restore, an archive
  - { email: kim@example.com, provider: field, status: active, time_off: [{ policy: Vacation - Part-time, balance: 10, unit: days }, { policy: Sick, balance: 32, unit: hours }] }
  - { email: lee@example.com, provider: field, status: active }
  - { email: max@example.com, provider: field, status: inactive }
";

fn world(users: &str) -> Test {
    let t = Test::new().sandbox(SEED);
    let providers = providers(&t);
    t.file("providers.yaml", &providers)
        .file("users.yaml", users)
}

/// A world equal to the manifests plans `No changes.` and exits 0 under
/// `--detailed-exitcode`.
#[test]
fn equal_world_plans_no_changes() {
    let t = world(EQUAL).args(&["plan", "--detailed-exitcode"]);
    let out = t.run();
    out.code(0);
    assert_eq!(out.stdout, "No changes.\n");
}

/// Each kind of change on each vendor plans exactly the expected calls
/// (exit 2), and the sandbox saw no write: only GETs.
#[test]
fn every_kind_of_change_plans_exact_calls_without_writing() {
    let t = world(CHANGES).args(&["plan", "--detailed-exitcode", "--output", "json"]);
    let out = t.run();
    out.code(2);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let calls: Vec<String> = plan["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["provider"].as_str().unwrap(),
                c["method"].as_str().unwrap(),
                c["path"].as_str().unwrap(),
                c["body"]
            )
        })
        .collect();
    crate::snapshot!(calls.join("\n"));
    assert_eq!(plan["summary"]["changes"], 8, "{}", out.stdout);
    assert_eq!(plan["summary"]["people"], 6);
    assert_eq!(plan["summary"]["calls"], 8);

    let log = t.sandbox_log();
    assert!(!log.is_empty());
    for entry in &log {
        assert_eq!(entry["method"], "GET", "plan wrote: {entry}");
        assert_eq!(entry["wrote"], false, "plan wrote: {entry}");
    }
}

/// Every list is read at the API's largest page size.
#[test]
fn reads_use_the_largest_page_sizes() {
    let t = world(EQUAL).args(&["plan"]);
    t.run().code(0);
    for entry in t.sandbox_log() {
        let path = entry["path"].as_str().unwrap();
        let query = entry["query"].to_string();
        if path.ends_with("/users") && path.starts_with("/api/") {
            assert!(query.contains("page-size"), "{entry}");
        }
        if path.contains("/time-off/balance/policy/") || path.ends_with("/time-off/policies") {
            assert!(query.contains("200"), "page-size 200 expected: {entry}");
        }
        if path == "/users/v1/users" {
            assert!(query.contains("500"), "limit 500 expected: {entry}");
        }
        if path.ends_with("/balances") && path.starts_with("/time-off/") {
            assert!(query.contains("100"), "limit 100 expected: {entry}");
        }
    }
}

/// The text rendering groups by person and closes with the summary line.
#[test]
fn text_rendering() {
    let out = world(CHANGES).args(&["plan"]).run();
    out.code(0);
    crate::snapshot!(out.stdout);
}

/// The Markdown rendering is a pull-request comment: the hidden marker and
/// the status line, the headline, the changes that harm if wrong first,
/// one table of every change, the API calls folded.
#[test]
fn markdown_rendering() {
    let out = world(CHANGES).args(&["plan", "--output", "markdown"]).run();
    out.code(0);
    let mut lines = out.stdout.lines();
    assert!(lines.next().unwrap().starts_with("<!-- hrform {"));
    assert!(lines.next().unwrap().starts_with("**Status:** planned"));
    let at = |s: &str| out.stdout.find(s).unwrap_or_else(|| panic!("no {s}"));
    assert!(at("### hrform plan: Plan: 6 people change, ") < at("#### Check these first"));
    assert!(at("#### Check these first") < at("#### Every change"));
    assert!(at("**deactivation**: Cy Young &lt;cy@example.com&gt;") < at("#### Every change"));
    assert!(
        at("**balance decrease**: Kim Field &lt;kim@example.com&gt;") < at("#### Every change")
    );
    assert!(at("#### Every change") < at("<details><summary>API calls"));
    // The manifests hold the sandbox's port, so their hash varies by run.
    crate::snapshot!(out.stdout);
}

/// The marker carries the SHA-256 of the whole JSON plan (what `--out`
/// saves) and the manifests hash, even when the comment is cut.
#[test]
fn markdown_marker_digests_the_saved_plan() {
    let t = world(CHANGES);
    let out = t.run_with(&["plan", "--output", "markdown", "--out", "plan.json"]);
    out.code(0);
    let first = out.stdout.lines().next().unwrap();
    let json = first
        .strip_prefix("<!-- hrform ")
        .and_then(|l| l.strip_suffix(" -->"))
        .expect("a marker line");
    let marker: serde_json::Value = serde_json::from_str(json).unwrap();
    let saved = std::fs::read(t.path().join("plan.json")).unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(&saved)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(marker["plan_sha256"], format!("sha256:{digest}"));
    assert_eq!(marker["manifests_hash"], plan["manifests_hash"]);
    assert_eq!(marker["format_version"], 1);
    assert_eq!(
        marker["providers"],
        serde_json::json!(["clockify", "field"])
    );
}

/// `--target` limits the changes; safety still counts the whole plan.
#[test]
fn target_limits_the_plan() {
    let out = world(CHANGES)
        .args(&[
            "plan",
            "--output",
            "json",
            "--target",
            "provider=field",
            "--target",
            "ada@example.com",
        ])
        .run();
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let people: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person"]["email"].as_str().unwrap())
        .collect();
    assert!(
        people.iter().all(|p| [
            "ada@example.com",
            "kim@example.com",
            "lee@example.com",
            "max@example.com"
        ]
        .contains(p)),
        "{people:?}"
    );
    assert!(people.contains(&"ada@example.com") && people.contains(&"kim@example.com"));
}

/// A `--target` naming nothing declared is a usage error (64, like every
/// invalid option value), naming the target and suggesting the closest.
#[test]
fn an_unknown_target_is_a_usage_error_with_a_suggestion() {
    for (target, names, suggestion) in [
        (
            "provider=clokify",
            "no provider `clokify`",
            "did you mean `clockify`?",
        ),
        (
            "ada@exmple.com",
            "no declared user has this email",
            "did you mean `ada@example.com`?",
        ),
    ] {
        let bad = world(CHANGES).args(&["plan", "--target", target]).run();
        bad.code(64);
        bad.stderr_has(&[&format!("error: --target {target}: "), names, suggestion]);
        assert!(bad.stdout.is_empty(), "{}", bad.stdout);
    }
}

/// `--out` saves the JSON plan with the manifests' hash and the version,
/// and never the API key.
#[test]
fn plan_file_holds_hash_and_version_but_no_key() {
    let t = world(CHANGES).args(&["plan", "--out", "out/plan.json", "-vvv"]);
    let out = t.run();
    out.code(0);
    let saved = std::fs::read_to_string(t.path().join("out/plan.json")).unwrap();
    let plan: serde_json::Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(plan["format_version"], 2);
    assert_eq!(plan["hrform_version"], env!("CARGO_PKG_VERSION"));
    assert!(
        plan["manifests_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    // Every crate's trace logs too (HTTP client included).
    let traced = world(CHANGES)
        .env("HRFORM_LOG", "trace")
        .args(&["plan", "--output", "json"])
        .run();
    traced.code(0);
    assert!(traced.stderr.contains("GET /v1/user"), "no trace logged");
    for text in [&saved, &out.stdout, &out.stderr, &traced.stderr] {
        assert!(!text.contains(crate::common::CLOCKIFY_KEY), "key leaked");
        assert!(!text.contains(crate::common::CONNECTEAM_KEY), "key leaked");
    }
}

/// A missing API key is an error that names the variable.
#[test]
fn missing_key_names_the_variable() {
    let out = world(EQUAL)
        .env("CONNECTEAM_API_KEY", "")
        .args(&["plan"])
        .run();
    out.code(1);
    assert!(out.stderr.contains("CONNECTEAM_API_KEY"), "{}", out.stderr);
}

/// A wrong API key is refused with the API's answer, and the key is not shown.
#[test]
fn wrong_key_is_a_clear_error() {
    let out = world(EQUAL)
        .env("CLOCKIFY_API_KEY", "not-the-key-123")
        .args(&["plan"])
        .run();
    out.code(1);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    assert!(!out.stderr.contains("not-the-key-123"), "{}", out.stderr);
}

/// Each resolution error exits 1 with its diagnostic, pointing at the manifest.
#[test]
fn resolution_errors_point_at_the_manifest() {
    let out = world(
        "\
users:
  - { email: nobody@example.com, provider: clockify }
  - { email: ada@example.com, provider: clockify, time_off: [{ policy: Vacaton }, { policy: Sick, balance: 5, unit: days }] }
  - { email: eve@example.com, provider: clockify, status: active }
  - { email: owner@example.com, provider: clockify, status: inactive }
  - { email: mia@example.com, provider: field, status: inactive }
",
    )
    .args(&["plan"])
    .run();
    out.code(1);
    crate::snapshot!(out.stderr);
}

/// A Clockify assignment change needs the policy's `has_expiration` declared.
#[test]
fn clockify_assignment_needs_has_expiration() {
    let t = Test::new().sandbox(SEED);
    let providers = providers(&t).replace("    Parental: { has_expiration: false }\n", "");
    let out = t
        .file("providers.yaml", &providers)
        .file("users.yaml", "users:\n  - { email: ada@example.com, provider: clockify, time_off: [{ policy: Parental }] }\n")
        .args(&["plan"])
        .run();
    out.code(1);
    assert!(
        out.stderr.contains("error[has-expiration-required]"),
        "{}",
        out.stderr
    );
}

/// `unmanaged_users: report` lists people in no manifest; `deactivate`
/// plans their deactivation, sparing the key owner and Connecteam managers.
#[test]
fn unmanaged_users_reported_and_deactivated() {
    let report = world(&format!("{EQUAL}settings:\n  unmanaged_users: report\n"))
        .args(&["plan", "--output", "json"])
        .run();
    report.code(0);
    let plan: serde_json::Value = serde_json::from_str(&report.stdout).unwrap();
    let unmanaged: Vec<String> = plan["unmanaged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            format!(
                "{} {} {}",
                u["provider"].as_str().unwrap(),
                u["email"].as_str().unwrap(),
                u["deactivate"]
            )
        })
        .collect();
    crate::snapshot!(unmanaged.join("\n"));
    assert_eq!(plan["changes"].as_array().unwrap().len(), 0);

    let deactivate = world(&format!(
        "{EQUAL}settings:\n  unmanaged_users: deactivate\n"
    ))
    .args(&["plan", "--output", "json"])
    .run();
    let plan: serde_json::Value = serde_json::from_str(&deactivate.stdout).unwrap();
    let targets: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["person"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["zed@example.com"]);
}

/// Safety rules are evaluated and shown with their numbers.
#[test]
fn safety_rules_are_shown() {
    let out = world(&format!(
        "{CHANGES}settings:\n  safety: {{ max_deactivations: 1, max_balance_change: 2, max_deactivation_percent: 50 }}\n"
    ))
    .args(&["plan", "--output", "json"])
    .run();
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let rules: Vec<String> = plan["safety"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["rule"].as_str().unwrap(),
                c["blocked"],
                c["message"].as_str().unwrap()
            )
        })
        .collect();
    crate::snapshot!(rules.join("\n"));
}

/// The README's first command: a plan of the acme example against its
/// sandbox world, in all three renderings.
#[test]
fn acme_example_plan_renderings() {
    for (format, name) in [
        ("text", "acme_text"),
        ("json", "acme_json"),
        ("markdown", "acme_markdown"),
    ] {
        let out = Test::new()
            .args(&[
                "plan",
                "-C",
                "examples/acme",
                "--sandbox",
                "examples/acme/sandbox.yaml",
                "--output",
                format,
            ])
            .current_dir(&repo_root())
            .run();
        out.code(0);
        crate::snapshot!(name, out.stdout);
    }
}

/// The calls of a plan, one line each, for comparing plans.
fn call_lines(stdout: &str) -> Vec<String> {
    let plan: serde_json::Value = serde_json::from_str(stdout).unwrap();
    plan["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}",
                c["provider"], c["method"], c["path"], c["body"]
            )
        })
        .collect()
}

/// Reads are retried through 5xx, 429, Connecteam's throttling 200s and
/// dropped connections: the plan is the one a healthy sandbox gives.
#[test]
fn reads_survive_faults() {
    let healthy = world(CHANGES).args(&["plan", "--output", "json"]).run();
    healthy.code(0);

    let faults: hrform::sandbox::Options = hrform::sandbox::Options {
        faults: "error_rate=0.15,throttle_rate=0.1,throttle200_rate=0.1,reset_rate=0.1,seed=7"
            .parse()
            .unwrap(),
        ..Default::default()
    };
    let t = Test::new().sandbox_with(SEED, faults);
    let providers = providers(&t);
    let t = t
        .file("providers.yaml", &providers)
        .file("users.yaml", CHANGES)
        .args(&["plan", "--output", "json"]);
    let faulty = t.run();
    faulty.code(0);
    assert_eq!(call_lines(&faulty.stdout), call_lines(&healthy.stdout));

    // Faults really happened, and were retried: more requests than reads.
    let log = t.sandbox_log();
    let failed = log.iter().filter(|e| e["status"] != 200).count();
    assert!(failed > 0, "no fault was injected: {log:?}");
    let plan: serde_json::Value = serde_json::from_str(&faulty.stdout).unwrap();
    let counted: u64 = plan["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["read_calls"].as_u64().unwrap())
        .sum();
    assert!(
        counted as usize >= log.len() - failed,
        "{counted} vs {}",
        log.len()
    );
    for entry in &log {
        assert_eq!(entry["method"], "GET", "plan wrote: {entry}");
    }
}

/// A world larger than one page of everything: every page is read, no more
/// than needed, and the plan is empty when the manifests match it.
#[test]
fn large_worlds_are_read_page_by_page() {
    let (clockify_users, connecteam_users) = (450, 250);
    let mut seed = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, name: Olive Owner }\n",
    );
    let mut users = String::from("users:\n");
    for i in 0..clockify_users {
        seed.push_str(&format!(
            "    - {{ email: c{i}@example.com, name: C {i} }}\n"
        ));
    }
    seed.push_str("  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n");
    for i in 0..clockify_users {
        seed.push_str(&format!(
            "        - {{ user: c{i}@example.com, balance: {} }}\n",
            i % 30
        ));
        users.push_str(&format!(
            "  - {{ email: c{i}@example.com, provider: clockify, status: active, time_off: [{{ policy: Vacation, balance: {}, unit: days }}] }}\n",
            i % 30
        ));
    }
    seed.push_str("connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }\n");
    for i in 0..connecteam_users {
        seed.push_str(&format!(
            "    - {{ email: f{i}@example.com, first_name: F, last_name: N{i} }}\n"
        ));
    }
    seed.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation - Full-time\n          unit: days\n          assignments:\n");
    for i in 0..connecteam_users {
        seed.push_str(&format!(
            "            - {{ user: f{i}@example.com, balance: {} }}\n",
            i % 20
        ));
        users.push_str(&format!(
            "  - {{ email: f{i}@example.com, provider: field, status: active, time_off: [{{ policy: Vacation - Full-time, balance: {}, unit: days }}] }}\n",
            i % 20
        ));
    }
    let t = Test::new().sandbox(&seed);
    let providers = providers(&t);
    let out = t
        .file("providers.yaml", &providers)
        .file("users.yaml", &users)
        .args(&["plan", "--output", "json", "--detailed-exitcode"])
        .run();
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        plan["changes"].as_array().unwrap().len(),
        0,
        "{}",
        out.stdout
    );
    // Clockify: key owner, users (one page of 5,000), policies, and
    // ⌈450/200⌉ = 3 balance pages. Connecteam: policy types, users (one
    // page of 500), ⌈250/100⌉ = 3 balance pages, and one page of this
    // leave year's requests (the usage a declared balance is checked
    // against: a balance that would give back leave taken is a refund).
    let reads: Vec<(String, u64)> = plan["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["read_calls"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        [("clockify".to_owned(), 6), ("field".to_owned(), 6)],
        "{}",
        out.stdout
    );
}

/// Item 13: `hrform plan | head` (the reader gone before the plan is
/// written) exits quietly with 0, as ripgrep does, not `error: Broken
/// pipe` and exit 1; so does `hrform schema`.
#[test]
fn a_closed_stdout_pipe_ends_quietly() {
    let t = world(EQUAL);
    for args in [&["plan"][..], &["schema", "manifest"][..]] {
        let mut child = t
            .command_with(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start hrform");
        // Close the read end before hrform writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// Item 13: an empty API key variable is reported as empty, and one that
/// is not UTF-8 as such, not as "not set".
#[test]
fn key_variables_empty_or_not_utf8_say_so() {
    use std::os::unix::ffi::OsStrExt as _;
    let t = world(EQUAL).env("CLOCKIFY_API_KEY", "");
    let out = t.run_with(&["plan"]);
    out.code(1);
    assert!(
        out.stderr.contains("CLOCKIFY_API_KEY is empty"),
        "{}",
        out.stderr
    );
    let out = t
        .command_with(&["plan"])
        .env(
            "CLOCKIFY_API_KEY",
            std::ffi::OsStr::from_bytes(b"sandbox-\xff-key"),
        )
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("CLOCKIFY_API_KEY is not valid UTF-8"),
        "{stderr}"
    );
}

/// Item 13: a `protected_users` entry naming nobody in any system is
/// warned about; one naming an existing person (declared or not) is not.
#[test]
fn protected_users_naming_nobody_are_warned() {
    let t = world(&format!(
        "{EQUAL}settings:\n  safety: {{ protected_users: [ada@example.com, Zed@example.com, nobody@example.com] }}\n"
    ));
    let out = t.run_with(&["plan"]);
    out.code(0);
    assert!(
        out.stderr.contains("warning[protected-user-not-found]")
            && out
                .stderr
                .contains("`nobody@example.com` is in no provider"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("`ada@example.com`"), "{}", out.stderr);
    assert!(!out.stderr.contains("`Zed@example.com`"), "{}", out.stderr);
}

/// A plan too big for one comment is cut on a line boundary under 60,000
/// characters, with a note, open blocks closed, and the marker's digest
/// still that of the whole plan.
#[test]
fn markdown_comment_is_capped_on_a_line_boundary() {
    let n = 900;
    let mut seed = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com }\n",
    );
    let mut users = String::from("users:\n");
    for i in 0..n {
        seed.push_str(&format!(
            "    - {{ email: person.number.{i}@example.com, status: inactive }}\n"
        ));
        users.push_str(&format!(
            "  - {{ email: person.number.{i}@example.com, status: active }}\n"
        ));
    }
    let t = Test::new().sandbox(&seed);
    let url = t.sandbox_url();
    let t = t
        .file(
            "providers.yaml",
            &format!(
                "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n    requests_per_second: 50\n"
            ),
        )
        .file("users.yaml", &users);
    let out = t.run_with(&["plan", "--output", "markdown", "--out", "plan.json"]);
    out.code(0);
    let md = &out.stdout;
    assert!(
        md.chars().count() <= 60_000,
        "{} characters",
        md.chars().count()
    );
    assert!(md.contains("_The plan is cut here: "));
    assert_eq!(md.matches("```").count() % 2, 0, "a code fence left open");
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    // Every table row kept is whole.
    for line in md.lines().filter(|l| l.starts_with("| person.number")) {
        assert!(line.ends_with(" | inactive | active |"), "{line}");
    }
    let saved = std::fs::read(t.path().join("plan.json")).unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    assert_eq!(plan["changes"].as_array().unwrap().len(), n);
    use sha2::Digest as _;
    let digest: String = sha2::Sha256::digest(&saved)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        md.lines()
            .next()
            .unwrap()
            .contains(&format!("\"plan_sha256\":\"sha256:{digest}\""))
    );
}
