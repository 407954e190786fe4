//! The CI examples' daily job: `apply --due-only` on the main branch,
//! serialised with the merge apply, keys only in the protected environment;
//! its command line run for real against the sandbox on a joiner's day.

use serde_json::Value;

use crate::common::{Output, Test, repo_root};

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// GitHub: a scheduled workflow whose one job runs `apply --due-only` on
/// main, in the merge apply's concurrency group (never cancelled), with
/// the keys only in that job and its environment `hr-production`, and a
/// token that can only read.
#[test]
fn github_runs_due_changes_daily_beside_the_merge_apply() {
    let due = yaml("examples/github-actions/workflows/hrform-due.yml");
    let merge = yaml("examples/github-actions/workflows/hrform-apply.yml");
    assert!(due["on"]["schedule"][0]["cron"].is_string());
    assert_eq!(due["concurrency"]["group"], merge["concurrency"]["group"]);
    assert_eq!(due["concurrency"]["cancel-in-progress"], false);
    let jobs = due["jobs"].as_object().unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs["due"];
    assert_eq!(job["environment"], merge["jobs"]["apply"]["environment"]);
    assert_eq!(job["environment"], "hr-production");
    assert!(
        job["if"].as_str().unwrap().contains("refs/heads/main"),
        "{job:?}"
    );
    let perms = job["permissions"].as_object().unwrap();
    assert!(perms.values().all(|v| v == "read"), "{perms:?}");
    let run = due_step(job);
    assert!(run.contains("apply") && run.contains("--due-only"), "{run}");
}

/// GitLab: the due job runs on scheduled pipelines of the default branch,
/// in the merge apply's resource group, not interruptible, keys from
/// `hr-production`; the drift check runs after it.
#[test]
fn gitlab_runs_due_changes_on_the_schedule_beside_the_merge_apply() {
    let ci = yaml("examples/gitlab-ci/.gitlab-ci.yml");
    let due = &ci["hrform-due"];
    let apply = &ci["hrform-apply"];
    assert_eq!(due["resource_group"], apply["resource_group"]);
    assert_eq!(due["interruptible"], false);
    assert_eq!(due["environment"]["name"], apply["environment"]["name"]);
    let rule = due["rules"][0]["if"].as_str().unwrap();
    assert!(
        rule.contains("\"schedule\"") && rule.contains("$CI_DEFAULT_BRANCH"),
        "{rule}"
    );
    let script = due["script"][0].as_str().unwrap();
    assert!(script.contains("apply") && script.contains("--due-only"));
    assert_eq!(ci["hrform-drift-plan"]["needs"][0]["job"], "hrform-due");
}

/// The run step of the GitHub job.
fn due_step(job: &Value) -> String {
    job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("hrform"))
        .unwrap()
        .to_owned()
}

/// Both examples' command lines, run by a shell with the real hrform on
/// PATH against the sandbox: nothing the day before a joiner's start, the
/// activation on the day, a journal written.
#[test]
fn the_due_command_lines_activate_a_joiner_on_the_day() {
    let github = due_step(&yaml("examples/github-actions/workflows/hrform-due.yml")["jobs"]["due"]);
    let gitlab = yaml("examples/gitlab-ci/.gitlab-ci.yml")["hrform-due"]["script"][0]
        .as_str()
        .unwrap()
        .to_owned();
    for line in [github, gitlab] {
        let t = Test::new().sandbox(
            "seed_version: 1
connecteam:
  api_key: sandbox-connecteam-key
  key_owner: owner@example.com
  users:
    - { email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }
    - { email: new@example.com, first_name: Nia, last_name: New, archived: true }
",
        );
        let url = t.sandbox_url();
        let t = t.file(
            "hr.yaml",
            &format!(
                "providers:\n  field:\n    type: connecteam\n    base_url: {url}\n    requests_per_minute: 200\nusers:\n  - {{ email: new@example.com, start_date: 2026-07-01 }}\n"
            ),
        );
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_hrform"))
            .parent()
            .unwrap()
            .to_owned();
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let run = |today: &str| {
            let mut cmd = t.program("bash");
            cmd.args(["-c", &line])
                .env("PATH", &path)
                .env("HRFORM_DIR", ".")
                .env("HRFORM_TODAY", today);
            Output::from(cmd.output().unwrap())
        };
        let archived = || {
            t.sandbox_state()["connecteam"]["users"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["email"] == "new@example.com" && u["archived"] == true)
        };
        run("2026-06-30").code(0);
        assert!(archived(), "{line}: activated early");
        run("2026-07-01").code(0);
        assert!(!archived(), "{line}: not activated on the day");
        assert!(t.path().join("journal.jsonl").exists(), "{line}");
    }
}

/// The pull-request comment shows what merging schedules, with its day.
#[test]
fn the_comment_shows_what_is_scheduled() {
    let t = Test::new().sandbox(
        "seed_version: 1
connecteam:
  api_key: sandbox-connecteam-key
  key_owner: owner@example.com
  users:
    - { email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }
    - { email: new@example.com, first_name: Nia, last_name: New, archived: true }
",
    );
    let url = t.sandbox_url();
    let t = t.file(
        "hr.yaml",
        &format!(
            "providers:\n  field:\n    type: connecteam\n    base_url: {url}\nusers:\n  - {{ email: new@example.com, start_date: 2026-06-20 }}\n"
        ),
    );
    let out = t.run_with(&["plan", "--output", "markdown"]);
    out.code(0);
    assert!(
        out.stdout.contains("#### Scheduled")
            && out.stdout.contains(
                "| 2026-06-20 | new@example.com | field | status → active (start date 2026-06-20) |"
            ),
        "{}",
        out.stdout
    );
}
