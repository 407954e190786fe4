//! The plan as a ledger: people by name beside their email, a mark per
//! change that survives without colour, a legend, a summary in people and
//! changes by kind with the API calls apart, and the calls only on request.

use crate::common::{Test, repo_root};

fn acme_plan(extra: &[&str]) -> crate::common::Output {
    let mut args = vec![
        "plan",
        "-C",
        "examples/acme",
        "--sandbox",
        "examples/acme/sandbox.yaml",
    ];
    args.extend_from_slice(extra);
    let out = Test::new()
        .args(&args)
        .env("NO_COLOR", "1")
        .current_dir(&repo_root())
        .run();
    out.code(0);
    out
}

/// The text plan of the acme example without colour: names, marks, the
/// legend and the summary, and no API calls.
#[test]
fn acme_text_ledger() {
    let out = acme_plan(&[]);
    assert!(!out.stdout.contains('\u{1b}'), "no colour with NO_COLOR");
    assert!(
        out.stdout
            .contains("+ add or activate   ~ change   - deactivate or deny")
    );
    assert!(
        out.stdout
            .contains("  Rebecca Stone <rebecca.stone@acme.example>\n    - status")
    );
    assert!(!out.stdout.contains("API calls, in order"));
    assert!(
        out.stdout
            .contains("15 API calls (PATCH 3, POST 4, PUT 8); --show-calls lists them.")
    );
    crate::snapshot!("acme_text_ledger", out.stdout);
}

/// The PR comment of the acme example: the same marks and names, the calls
/// folded.
#[test]
fn acme_comment_ledger() {
    let out = acme_plan(&["--output", "markdown"]);
    assert!(
        out.stdout
            .contains("| `-` | status ⚠️<br><sub>because users: examples/acme/leavers.yaml:15</sub> | active | inactive |")
    );
    assert!(
        out.stdout
            .contains("Rebecca Stone &lt;rebecca.stone@acme.example&gt;")
    );
    assert!(
        out.stdout
            .contains("<details><summary>API calls, in order (15)</summary>")
    );
    crate::snapshot!("acme_comment_ledger", out.stdout);
}

/// `--show-calls` and `-v` list the calls; the JSON keeps them always and
/// carries the names additively.
#[test]
fn calls_on_request_and_names_in_json() {
    for flag in ["--show-calls", "-v"] {
        let out = acme_plan(&[flag]);
        assert!(out.stdout.contains("API calls, in order"), "{flag}");
        assert!(
            out.stdout
                .contains("15 API calls (PATCH 3, POST 4, PUT 8).\n"),
            "{flag}"
        );
    }
    let out = acme_plan(&["--output", "json"]);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(plan["format_version"], 2);
    assert_eq!(plan["calls"].as_array().unwrap().len(), 15);
    let rebecca = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["person"]["email"] == "rebecca.stone@acme.example")
        .unwrap();
    assert_eq!(rebecca["person"]["name"], "Rebecca Stone");
}

/// A name from the HR system is data: its control characters are escaped
/// in the text plan.
#[test]
fn display_names_are_escaped() {
    let seed = "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com }\n    - { email: ada@example.com, name: \"Ada\\e[31mRED\", status: inactive }\n";
    let t = Test::new().sandbox(seed);
    let url = t.sandbox_url();
    let out = t
        .file(
            "providers.yaml",
            &format!(
                "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n"
            ),
        )
        .file("users.yaml", "users:\n  - { email: ada@example.com, status: active }\n")
        .env("NO_COLOR", "1")
        .run_with(&["plan"]);
    out.code(0);
    assert!(!out.stdout.contains('\u{1b}'), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("  Ada\\u{1b}[31mRED <ada@example.com>\n    + status  inactive → active"),
        "{}",
        out.stdout
    );
}

/// Apply reports progress in changes and people, never past the total,
/// and ends with the plan's summary in the same words.
#[test]
fn apply_progress_counts_changes_and_people() {
    let acme = repo_root().join("examples/acme");
    let mut t = Test::new();
    for entry in std::fs::read_dir(&acme).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        t = t.file(&name, &std::fs::read_to_string(&path).unwrap());
    }
    let out = t.run_with(&["apply", "--yes", "--sandbox", "sandbox.yaml"]);
    out.code(0);
    let progress: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with('[')).collect();
    assert!(!progress.is_empty(), "{}", out.stderr);
    for line in &progress {
        assert!(line.contains("/17 changes, "), "{line}");
        assert!(line.contains("/17 people] "), "{line}");
    }
    assert!(
        progress
            .last()
            .unwrap()
            .starts_with("[17/17 changes, 17/17 people]"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains(
            "Apply: 17 applied, 0 failed, 0 skipped; planned: 17 people change, 17 changes: 7 to add, 8 to change, 2 to remove; "
        ),
        "{}",
        out.stdout
    );
}
