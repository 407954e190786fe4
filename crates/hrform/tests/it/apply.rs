//! `hrform apply` end to end: the real binary against the sandbox over HTTP.

use crate::common::{CLOCKIFY_KEY, CONNECTEAM_KEY, Output, Test};

const SEED: &str = include_str!("../fixtures/plan/seed.yaml");

/// Providers pointing at the test's sandbox, with `balance_update`.
fn providers(t: &Test, balance_update: &str) -> String {
    let url = t.sandbox_url();
    format!(
        "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
    base_url: {url}/api
    requests_per_second: 50
    balance_update: {balance_update}
  field:
    type: connecteam
    base_url: {url}
    requests_per_minute: 200
policies:
  clockify:
    Vacation: {{ has_expiration: false }}
    Sick: {{ has_expiration: false }}
    Parental: {{ has_expiration: false }}
"
    )
}

/// Every kind of change on each vendor (as in the plan tests).
const CHANGES: &str = "\
users:
  - { email: ada@example.com, provider: clockify, status: active, time_off: [{ policy: Vacation, balance: 15, unit: days }, { policy: Sick, balance: 40, unit: hours }, { policy: Parental }] }
  - { email: bob@example.com, provider: clockify, status: active }
  - { email: cy@example.com, provider: clockify, status: inactive, time_off: [{ policy: Vacation, balance: 20, unit: days }] }
  - { email: kim@example.com, provider: field, status: active, time_off: [{ policy: Vacation - Part-time, balance: 10, unit: days }, { policy: Sick, balance: 32, unit: hours }] }
  - { email: lee@example.com, provider: field, status: active }
  - { email: max@example.com, provider: field, status: inactive }
";

fn world_with(seed: &str, balance_update: &str, users: &str) -> Test {
    let t = Test::new().sandbox(seed);
    let providers = providers(&t, balance_update);
    t.file("providers.yaml", &providers)
        .file("users.yaml", users)
}

/// The seed with the Clockify balance PATCH setting (`set`) or adding (`add`).
fn seed_patching(how: &str) -> String {
    let seed = SEED.replace(
        "  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, name: Olive Owner }",
        &format!(
            "  key_owner: owner@example.com\n  quirks: {{ balance_patch: {how} }}\n  users:\n    - {{ email: owner@example.com, name: Olive Owner }}"
        ),
    );
    assert_ne!(seed, SEED);
    seed
}

/// The plan tests' world where the PATCH sets, and hrform knows it: every
/// planned call is exactly one write.
fn world(users: &str) -> Test {
    world_with(&seed_patching("set"), "set", users)
}

/// The writes the sandbox saw: `METHOD path`, in order.
fn writes(t: &Test) -> Vec<String> {
    t.sandbox_log()
        .iter()
        .filter(|e| e["wrote"] == true)
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().unwrap(),
                // Plans name paths relative to the base URL (Clockify's ends in /api).
                e["path"].as_str().unwrap().trim_start_matches("/api")
            )
        })
        .collect()
}

/// The calls of a JSON plan: `METHOD path` (query left out).
fn planned(stdout: &str) -> Vec<String> {
    let plan: serde_json::Value = serde_json::from_str(stdout).unwrap();
    plan["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let path = c["path"].as_str().unwrap();
            let path = path.split('?').next().unwrap();
            format!("{} {path}", c["method"].as_str().unwrap())
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// Apply makes exactly the planned writes, then a re-plan shows no changes.
#[test]
fn apply_makes_the_planned_writes_and_converges() {
    let t = world(CHANGES);
    let plan = t.run_with(&["plan", "--output", "json"]);
    plan.code(0);
    let out = t.run_with(&["apply", "--yes"]);
    out.code(0);
    assert!(
        out.stdout.contains("Apply: 8 applied, 0 failed, 0 skipped"),
        "{}",
        out.stdout
    );
    assert_eq!(sorted(writes(&t)), sorted(planned(&plan.stdout)));
    t.run_with(&["plan", "--detailed-exitcode"])
        .code(0)
        .stdout
        .contains("No changes.");

    // The journal starts with a line saying a run starts, then has one
    // line per call, each with its outcome.
    let journal = std::fs::read_to_string(t.path().join(".hrform/journal.jsonl")).expect("journal");
    let mut lines: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.remove(0)["event"], "start", "{journal}");
    assert_eq!(lines.len(), 8, "{journal}");
    assert!(lines.iter().all(|l| l["outcome"] == "applied"), "{journal}");
}

/// Both Clockify PATCH semantics end with the declared balances, with
/// `auto` and with the matching fixed setting.
#[test]
fn clockify_balances_end_right_under_both_patch_semantics() {
    for (quirk, setting) in [
        ("add", "auto"),
        ("set", "auto"),
        ("add", "add"),
        ("set", "set"),
    ] {
        let t = world_with(&seed_patching(quirk), setting, CHANGES);
        let out = t.run_with(&["apply", "--yes"]);
        out.code(0);
        let again = t.run_with(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            again.code, 0,
            "PATCH {quirk} with balance_update {setting}: {}\n{}",
            again.stdout, out.stdout
        );
    }
}

/// A wrong fixed setting is caught by the read-back: the change fails
/// (exit 5) with expected and actual, and the rest of the balances stop.
#[test]
fn wrong_patch_setting_is_caught_by_the_read_back() {
    let t = world_with(&seed_patching("add"), "set", CHANGES);
    let out = t.run_with(&["apply", "--yes"]);
    out.code(5);
    assert!(
        out.stdout.contains("expected 15, found 27"),
        "{}",
        out.stdout
    );
}

/// Without a terminal and without `--yes`, apply refuses and writes nothing.
#[test]
fn no_terminal_no_yes_refuses() {
    let t = world(CHANGES);
    let out = t.run_with(&["apply"]);
    out.code(1);
    assert!(out.stderr.contains("--yes"), "{}", out.stderr);
    assert!(writes(&t).is_empty());
}

/// Each safety rule blocks (exit 3, naming the rule and the numbers) and
/// writes nothing; `--force` goes ahead.
#[test]
fn safety_rules_block_and_force_overrides() {
    for (rule, expect) in [
        ("max_deactivations: 1", "max_deactivations"),
        ("max_balance_change: 2", "max_balance_change"),
        ("max_deactivation_percent: 10", "max_deactivation_percent"),
    ] {
        let t = world(&format!("{CHANGES}settings:\n  safety: {{ {rule} }}\n"));
        let out = t.run_with(&["apply", "--yes"]);
        out.code(3);
        assert!(out.stderr.contains(expect), "{rule}: {}", out.stderr);
        assert!(out.stderr.contains("--force"), "{}", out.stderr);
        assert!(writes(&t).is_empty(), "{rule}: blocked apply wrote");
        t.run_with(&["apply", "--yes", "--force"]).code(0);
        t.run_with(&["plan", "--detailed-exitcode"]).code(0);
    }
}

/// A saved plan applied after the world moved skips exactly the moved
/// changes (exit 4) and makes the rest.
#[test]
fn saved_plan_skips_what_moved() {
    let t = world(CHANGES);
    t.run_with(&["plan", "--out", "plan.json"]).code(0);
    // Behind hrform's back: kim's Sick balance moves from 40 to 35.
    let state = t.sandbox_state();
    let text = state.to_string();
    assert!(text.contains("kim@example.com"));
    let (kim, sick_type) = ids_of_kim_and_sick(&t);
    let status = t.sandbox_send(
        "PUT",
        &format!("/time-off/v1/policy-types/{sick_type}/balances/{kim}"),
        ("X-API-KEY", CONNECTEAM_KEY),
        serde_json::json!({ "balance": 35 }),
    );
    assert_eq!(status, 200);
    let before = writes(&t).len();

    let out = t.run_with(&["apply", "plan.json"]);
    out.code(4);
    assert!(
        out.stderr
            .contains("skipped, stale: field kim@example.com: Sick 40 → 32 hours"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("Apply: 7 applied, 0 failed, 1 skipped"),
        "{}",
        out.stdout
    );
    assert_eq!(writes(&t).len() - before, 7);
    // Only the moved balance is left to do.
    let again = t.run_with(&["plan", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(
        plan["changes"].as_array().unwrap().len(),
        1,
        "{}",
        again.stdout
    );
}

/// kim's Connecteam user id and the Sick policy type's id, from the plan.
fn ids_of_kim_and_sick(t: &Test) -> (String, String) {
    let out = t.run_with(&["plan", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let change = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["person"]["email"] == "kim@example.com" && c["policy"]["name"] == "Sick")
        .expect("kim's Sick change")
        .clone();
    (
        change["person"]["id"].as_str().unwrap().to_owned(),
        change["policy"]["policy_type_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// A plan made from other manifests is refused (exit 4) before any write.
#[test]
fn plan_from_other_manifests_is_refused() {
    let t = world(CHANGES);
    t.run_with(&["plan", "--out", "plan.json"]).code(0);
    let t = t.file("users.yaml", &CHANGES.replace("balance: 15", "balance: 16"));
    let out = t.run_with(&["apply", "plan.json"]);
    out.code(4);
    assert!(out.stderr.contains("other manifests"), "{}", out.stderr);
    assert!(writes(&t).is_empty());
}

/// The `plan_sha256` of the comment's marker on `plan --output markdown`.
fn marker_digest(markdown: &str) -> String {
    let marker = markdown.lines().next().unwrap();
    let json = marker
        .strip_prefix("<!-- hrform ")
        .and_then(|m| m.strip_suffix(" -->"))
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    value["plan_sha256"].as_str().unwrap().to_owned()
}

/// `apply --plan-sha256` with the digest the reviewed comment's marker
/// shows applies the plan (the digest is of `plan --out`'s exact bytes,
/// given with or without `sha256:`, in either case).
#[test]
fn plan_sha256_of_the_reviewed_comment_applies() {
    let t = world(CHANGES);
    let plan = t.run_with(&["plan", "--output", "markdown", "--out", "plan.json"]);
    plan.code(0);
    let digest = marker_digest(&plan.stdout);
    let upper = format!(
        "sha256:{}",
        digest.strip_prefix("sha256:").unwrap().to_uppercase()
    );
    let out = t.run_with(&["apply", "plan.json", "--plan-sha256", &upper, "-q"]);
    out.code(0);
    assert!(!writes(&t).is_empty());
}

/// A plan file one byte off the reviewed one (still a valid plan) is
/// refused with exit 6: no read of the HR systems, no write, no lock file.
#[test]
fn plan_sha256_mismatch_exits_6_and_touches_nothing() {
    let t = world(CHANGES);
    let plan = t.run_with(&["plan", "--output", "markdown", "--out", "plan.json"]);
    plan.code(0);
    let digest = marker_digest(&plan.stdout);
    let path = t.path().join("plan.json");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(b'\n');
    std::fs::write(&path, bytes).unwrap();
    let _ = std::fs::remove_dir_all(t.path().join(".hrform"));
    let before = t.sandbox_log().len();
    let out = t.run_with(&["apply", "plan.json", "--plan-sha256", &digest, "--yes"]);
    out.code(6);
    assert!(
        out.stderr.contains("is not the reviewed plan") && out.stderr.contains(&digest),
        "{}",
        out.stderr
    );
    assert_eq!(t.sandbox_log().len(), before, "the HR systems were called");
    assert!(writes(&t).is_empty());
    assert!(
        !t.path().join(".hrform").exists(),
        "a lock or journal was made"
    );
}

/// A malformed digest, or one without a plan file, is a usage error.
#[test]
fn plan_sha256_malformed_is_a_usage_error() {
    let t = world(CHANGES);
    t.run_with(&["plan", "--out", "plan.json"]).code(0);
    let short = "ab".repeat(31);
    let signed = format!("+{}", "a".repeat(63));
    for bad in [short.as_str(), signed.as_str(), "sha1:00"] {
        t.run_with(&["apply", "plan.json", "--plan-sha256", bad])
            .code(64);
    }
    t.run_with(&["apply", "--plan-sha256", &"a".repeat(64), "--yes"])
        .code(64);
    assert!(writes(&t).is_empty());
}

/// At the highest verbosity, and with every crate's trace logs, the API
/// keys appear in no output, plan file, journal or export.
#[test]
fn keys_appear_nowhere() {
    let t = world(CHANGES);
    let plan = t.run_with(&["plan", "--out", "plan.json", "-vvv"]);
    plan.code(0);
    let t = t.env("HRFORM_LOG", "trace");
    let apply = t.run_with(&["apply", "plan.json", "-vvv", "--journal", "j.jsonl"]);
    apply.code(0);
    assert!(apply.stderr.contains("PUT"), "no trace: {}", apply.stderr);
    let saved = std::fs::read_to_string(t.path().join("plan.json")).unwrap();
    let journal = std::fs::read_to_string(t.path().join("j.jsonl")).unwrap();
    let exports: Vec<Output> = ["clockify", "field"]
        .into_iter()
        .map(|p| {
            let out = t.run_with(&["export", "--provider", p, "--out", "-", "-vvv"]);
            out.code(0);
            out
        })
        .collect();
    for text in [
        &plan.stdout,
        &plan.stderr,
        &apply.stdout,
        &apply.stderr,
        &saved,
        &journal,
    ]
    .into_iter()
    .chain(exports.iter().flat_map(|o| [&o.stdout, &o.stderr]))
    {
        assert!(!text.contains(CLOCKIFY_KEY), "Clockify key leaked");
        assert!(!text.contains(CONNECTEAM_KEY), "Connecteam key leaked");
    }
}

/// A generated world of `n` people per vendor, each needing a balance
/// change, some a status change; manifests declare the target.
fn drifted_world(n: usize) -> (String, String) {
    let mut seed = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  quirks: { balance_patch: add }\n  users:\n    - { email: owner@example.com, name: Olive Owner }\n",
    );
    let mut users = String::from("users:\n");
    for i in 0..n {
        let status = if i % 10 == 0 { "inactive" } else { "active" };
        seed.push_str(&format!(
            "    - {{ email: c{i}@example.com, name: C {i}, status: {status} }}\n"
        ));
    }
    seed.push_str("  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n");
    for i in 0..n {
        seed.push_str(&format!(
            "        - {{ user: c{i}@example.com, balance: {} }}\n",
            i % 7 + 1
        ));
        users.push_str(&format!(
            "  - {{ email: c{i}@example.com, provider: clockify, status: active, time_off: [{{ policy: Vacation, balance: {}, unit: days }}] }}\n",
            i % 5 + 10
        ));
    }
    seed.push_str("connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }\n");
    for i in 0..n {
        let archived = if i % 10 == 0 { ", archived: true" } else { "" };
        seed.push_str(&format!(
            "    - {{ email: f{i}@example.com, first_name: F, last_name: N{i}{archived} }}\n"
        ));
    }
    seed.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation - Full-time\n          unit: days\n          assignments:\n");
    for i in 0..n {
        seed.push_str(&format!(
            "            - {{ user: f{i}@example.com, balance: {} }}\n",
            i % 7 + 1
        ));
        users.push_str(&format!(
            "  - {{ email: f{i}@example.com, provider: field, status: active, time_off: [{{ policy: Vacation - Full-time, balance: {}, unit: days }}] }}\n",
            i % 5 + 10
        ));
    }
    (seed, users)
}

/// Under 20% server errors, throttling of both vendors' kinds and dropped
/// connections (some after the write was applied), apply converges over
/// several fault seeds, and no balance is credited twice: every balance
/// ends exactly as declared even though the Clockify PATCH adds.
#[test]
fn apply_converges_under_faults() {
    let (seed, users) = drifted_world(60);
    // Each run makes over a hundred calls, so every kind of fault comes up
    // under each seed: two seeds, two different interleavings.
    for fault_seed in 1..=2 {
        let options = hrform::sandbox::Options {
            faults: format!(
                "error_rate=0.2,throttle_rate=0.05,throttle200_rate=0.05,reset_rate=0.1,seed={fault_seed}"
            )
            .parse()
            .unwrap(),
            ..Default::default()
        };
        let t = Test::new().sandbox_with(&seed, options);
        let providers = providers(&t, "add");
        let t = t
            .file("providers.yaml", &providers)
            .file("users.yaml", &users);
        // Apply until it reports success; each run must make progress.
        t.apply_until_done(&format!("seed {fault_seed}"), 5, |out| {
            // A balance credited twice would show in a read-back.
            assert!(
                !out.stdout.contains("read-back does not match")
                    && !out.stdout.contains("neither old nor new"),
                "seed {fault_seed}: a balance went wrong\n{}",
                out.stdout
            );
        });
        // Read the final state without faults getting in the way: the plan
        // retries its reads, and must find nothing left to do.
        let again = t.run_with(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            again.code, 0,
            "seed {fault_seed}: not converged\n{}",
            again.stdout
        );
    }
}

/// An apply killed half-way (the process, mid-write) and run again
/// converges: the second run plans from what the first left behind, so
/// nothing is credited twice even though the Clockify PATCH adds.
#[test]
fn apply_killed_half_way_then_rerun_converges() {
    let (seed, users) = drifted_world(60);
    let t = Test::new().sandbox(&seed);
    // Slow enough (10 a second) that the kill lands half-way.
    let slow = providers(&t, "add").replace("requests_per_second: 50", "requests_per_second: 10");
    let t = t.file("providers.yaml", &slow).file("users.yaml", &users);
    let mut child = t
        .command_with(&["apply", "--yes", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start apply");
    let start = std::time::Instant::now();
    loop {
        if writes(&t).len() >= 15 {
            break;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "apply finished before it could be killed"
        );
        assert!(start.elapsed().as_secs() < 60, "apply made no writes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().expect("kill apply");
    child.wait().expect("reap apply");
    let first = writes(&t).len();
    // The rerun's pace is not what is tested: back to the usual rate.
    let usual = providers(&t, "add");
    let t = t.file("providers.yaml", &usual);
    let pending = t.run_with(&["plan", "--detailed-exitcode"]);
    assert_eq!(pending.code, 2, "the kill came too late to test anything");

    let out = t.run_with(&["apply", "--yes", "-q"]);
    out.code(0);
    assert!(writes(&t).len() > first);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}

/// Item 10: while another process holds the lock on `.hrform/apply.lock`
/// (an advisory lock, here taken by this test), apply refuses (exit 1)
/// naming who the file says holds it and since when, and writes nothing.
#[test]
fn apply_refuses_while_another_holds_the_lock() {
    let t = world("users:\n  - { email: bob@example.com, provider: clockify, status: active }\n");
    let since = jiff::Timestamp::now().to_string();
    let t = t.file(
        ".hrform/apply.lock",
        &format!(
            r#"{{"pid": 4242, "host": "build-agent-7", "since": "{since}", "hrform": "0.1.0"}}"#
        ),
    );
    let held = std::fs::File::open(t.path().join(".hrform/apply.lock")).expect("open lock");
    held.try_lock().expect("the test takes the lock");
    let out = t.run_with(&["apply", "--yes", "-q"]);
    out.code(1);
    assert!(
        out.stderr.contains("another apply holds the lock")
            && out.stderr.contains("pid 4242 on build-agent-7")
            && out.stderr.contains(&since),
        "{}",
        out.stderr
    );
    assert!(writes(&t).is_empty(), "{:?}", writes(&t));
    drop(held);
    // Released: the next apply runs, whatever the file still says.
    t.run_with(&["apply", "--yes", "-q"]).code(0);
    assert_eq!(writes(&t).len(), 1);
}

/// Item 3: nothing a file says may panic: a saved plan whose change names a
/// provider the manifests do not declare (a tampered file) is skipped as
/// stale, saying so, instead of panicking on a map lookup.
#[test]
fn saved_plan_naming_an_unknown_provider_does_not_panic() {
    let t = world("users:\n  - { email: bob@example.com, provider: clockify, status: active }\n");
    t.run_with(&["plan", "--out", "plan.json"]).code(0);
    let path = t.path().join("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    plan["changes"][0]["provider"] = serde_json::json!("nowhere");
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = t.run_with(&["apply", "plan.json"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.code(4);
    assert!(
        out.stderr
            .contains("provider `nowhere` is not in the manifests"),
        "{}",
        out.stderr
    );
}

/// Issue 12 item 13: a saved plan whose change was edited (nothing moved in
/// the HR system) is not reported as "made against another value": apply
/// says the plan file was edited, makes nothing of it, and exits 4.
#[test]
fn an_edited_plan_change_is_not_called_stale() {
    let t = world(
        "users:\n  - { email: kim@example.com, provider: field, time_off: [{ policy: Sick, balance: 32, unit: hours }] }\n",
    );
    t.run_with(&["plan", "--out", "plan.json"]).code(0);
    let path = t.path().join("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(plan["changes"][0]["to"], serde_json::json!(32.0));
    plan["changes"][0]["to"] = serde_json::json!(99);
    std::fs::write(&path, plan.to_string()).unwrap();
    let before = writes(&t).len();
    let out = t.run_with(&["apply", "plan.json"]);
    out.code(4);
    assert!(
        out.stderr
            .contains("the plan file was edited after it was made"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("made against another value"),
        "{}",
        out.stderr
    );
    assert_eq!(writes(&t).len(), before);
}
