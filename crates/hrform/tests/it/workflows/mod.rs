//! The GitHub Actions examples' shell steps, run for real: the scripts of
//! `examples/github-actions/scripts/` with a stand-in `gh` on PATH
//! (`tests/fixtures/gh/gh`: records every call, answers from a JSON state
//! file) and the real hrform against the sandbox; and the workflows' trust
//! rules (who holds HR keys, who may write) read from the YAML. The same
//! for the GitLab example with a stand-in `curl`. This module holds the
//! shared world (`Ci`); the tests are in `github` (pull request, merge,
//! drift), `gitlab` and `trust` (what runs with keys, the layout check).

mod github;
mod gitlab;
mod trust;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::common::{CLOCKIFY_KEY, CONNECTEAM_KEY, Output, Test, crate_dir, repo_root};

const SEED: &str = include_str!("../../fixtures/plan/seed.yaml");
const REPO: &str = "acme/hr-config";
const ME: &str = "github-actions[bot]";
const PR: u64 = 7;
const HEAD: &str = "1111111111111111111111111111111111111111";
const MERGE: &str = "2222222222222222222222222222222222222222";

/// Ada's Vacation goes 12 → 15 and Cy is deactivated.
const USERS: &str = "\
users:
  - { email: ada@example.com, status: active, time_off: [{ policy: Vacation, balance: 15, unit: days }] }
  - { email: cy@example.com, status: inactive }
";

/// A world whose manifests differ from the seed, and a GitHub state.
struct Ci {
    t: Test,
    state: PathBuf,
    log: PathBuf,
    /// Where the plan job puts plan.json and comment.md (its artifact).
    out: PathBuf,
    /// Holds the stand-in's state and log; removed with the test.
    _gh: tempfile::TempDir,
}

impl Ci {
    fn new(comments: Value) -> Ci {
        let t = Test::new().sandbox(SEED);
        let url = t.sandbox_url();
        let t = t
            .file(
                "providers.yaml",
                &format!(
                    "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n    requests_per_second: 50\n"
                ),
            )
            .file("users.yaml", USERS);
        let gh = tempfile::tempdir().unwrap();
        let ci = Ci {
            state: gh.path().join("state.json"),
            log: gh.path().join("log.jsonl"),
            out: gh.path().join("out"),
            t,
            _gh: gh,
        };
        ci.write_state(&json!({
            "repo": REPO,
            "me": ME,
            "next_id": 1000,
            "comments": comments,
            "issues": [],
            "pulls_by_commit": {},
            "artifacts": [],
            "runs": [],
        }));
        std::fs::write(&ci.log, "").unwrap();
        ci
    }

    fn write_state(&self, state: &Value) {
        std::fs::write(&self.state, serde_json::to_string_pretty(state).unwrap()).unwrap();
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.state).unwrap()).unwrap()
    }

    /// The `gh` calls made so far: (method, path).
    fn calls(&self) -> Vec<(String, String)> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["method"].as_str().unwrap().to_owned(),
                    v["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn script(&self, name: &str) -> Command {
        let script = repo_root()
            .join("examples/github-actions/scripts")
            .join(name);
        let mut cmd = self.t.program("bash");
        let path = search_path(&[&crate_dir().join("tests/fixtures/gh")]);
        cmd.arg(script)
            .env("PATH", path)
            .env("GH_REPO", REPO)
            .env("GH_TOKEN", "stand-in")
            .env("GH_STANDIN_STATE", &self.state)
            .env("GH_STANDIN_LOG", &self.log)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("HRFORM_COMMENT_AUTHOR");
        cmd
    }

    /// The plan job (`pr.sh`: HR keys, no GitHub token) on the manifests,
    /// then, if it left a comment, the comment job (`comment.sh`: the
    /// token, no HR keys). The plan job's outcome.
    fn pr(&self) -> Output {
        let plan = self.plan_job();
        if self.out.join("comment.md").exists() {
            let comment = self.comment_job();
            assert_eq!(comment.code, 0, "comment job: {}", comment.stderr);
        }
        plan
    }

    fn plan_job(&self) -> Output {
        let summary = self.t.path().join("summary.md");
        Output::from(
            self.script("pr.sh")
                .env("PR_TREE", self.t.path())
                .env("OUT_DIR", &self.out)
                .env("GITHUB_STEP_SUMMARY", summary)
                // The plan job holds no token that could write.
                .env_remove("GH_TOKEN")
                .output()
                .unwrap(),
        )
    }

    /// A job without HR keys: the token only.
    fn keyless(&self, name: &str) -> Command {
        let mut cmd = self.script(name);
        cmd.env_remove("CLOCKIFY_API_KEY")
            .env_remove("CONNECTEAM_API_KEY");
        cmd
    }

    fn comment_job(&self) -> Output {
        Output::from(
            self.keyless("comment.sh")
                .env("PR_NUMBER", PR.to_string())
                .env("COMMENT", self.out.join("comment.md"))
                .output()
                .unwrap(),
        )
    }

    /// Upload the plan job's artifact as run 501 of hrform-plan.yml on the
    /// pull request's head (plan.json as given), and record that `MERGE`
    /// merged it.
    fn upload_plan_and_merge_with(&self, plan_json: &[u8]) {
        let dir = self.state.with_file_name("artifact");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("plan.json"), plan_json).unwrap();
        let zip = self.state.with_file_name("plan.zip");
        let status = Command::new(python_dir().join("python3"))
            .args(["-m", "zipfile", "-c"])
            .arg(&zip)
            .arg(dir.join("plan.json"))
            .arg(self.out.join("comment.md"))
            .status()
            .unwrap();
        assert!(status.success());
        let mut state = self.state();
        let artifact = json!([{ "name": "hrform-plan", "zip": zip }]);
        state["runs"] = json!([
            // An older run on another commit, and a failed one: never taken.
            { "id": 400, "run_number": 1, "workflow": "hrform-plan.yml", "head_sha": "3333333333333333333333333333333333333333",
              "event": "pull_request_target", "conclusion": "success", "artifacts": [] },
            { "id": 450, "run_number": 2, "workflow": "hrform-plan.yml", "head_sha": HEAD,
              "event": "pull_request_target", "conclusion": "failure", "artifacts": [] },
            { "id": 501, "run_number": 3, "workflow": "hrform-plan.yml", "head_sha": HEAD,
              "event": "pull_request_target", "conclusion": "success", "artifacts": artifact },
        ]);
        state["pulls_by_commit"] = json!({
            MERGE: [{ "number": PR, "head": { "sha": HEAD }, "merged_at": "2026-06-15T10:00:00Z" }]
        });
        self.write_state(&state);
    }

    fn upload_plan_and_merge(&self) {
        let plan = std::fs::read(self.out.join("plan.json")).unwrap();
        self.upload_plan_and_merge_with(&plan);
    }

    /// The merge job (`apply.sh`: HR keys, read-only token), then the
    /// status job (`status.sh`: no HR keys). The merge job's outcome.
    fn apply(&self) -> Output {
        let status = self.state.with_file_name("status.tsv");
        let before = self.calls().len();
        let out = Output::from(
            self.script("apply.sh")
                .env("COMMIT_SHA", MERGE)
                .env("HRFORM_DIR", self.t.path())
                .env("STATUS_OUT", &status)
                .output()
                .unwrap(),
        );
        let calls = self.calls()[before..].to_vec();
        assert!(
            calls.iter().all(|(m, _)| m == "GET"),
            "the merge job's token only reads: {calls:?}"
        );
        let report = Output::from(
            self.keyless("status.sh")
                .env("STATUS_IN", &status)
                .output()
                .unwrap(),
        );
        assert_eq!(report.code, 0, "status job: {}", report.stderr);
        out
    }

    /// The drift plan job (HR keys, no token), then the report job (the
    /// token, no HR keys). The report job's outcome.
    fn drift(&self) -> Output {
        let calls = self.calls().len();
        let plan = Output::from(
            self.script("drift.sh")
                .arg("plan")
                .env("HRFORM_DIR", self.t.path())
                .env("OUT_DIR", &self.out)
                .env_remove("GH_TOKEN")
                .output()
                .unwrap(),
        );
        assert_eq!(plan.code, 0, "drift plan: {}", plan.stderr);
        assert_eq!(self.calls().len(), calls, "the keyed job called GitHub");
        Output::from(
            self.keyless("drift.sh")
                .arg("report")
                .env("IN_DIR", &self.out)
                .output()
                .unwrap(),
        )
    }

    /// The comments on the pull request written by the token's user.
    fn my_comments(&self) -> Vec<Value> {
        self.state()["comments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["user"]["login"] == ME && c["issue"] == PR)
            .cloned()
            .collect()
    }

    /// Requests the sandbox served that write.
    fn sandbox_writes(&self) -> Vec<Value> {
        self.t
            .sandbox_log()
            .into_iter()
            .filter(|e| e["method"] != "GET")
            .collect()
    }
}

fn count(calls: &[(String, String)], method: &str, path_part: &str) -> usize {
    calls
        .iter()
        .filter(|(m, p)| m == method && p.contains(path_part))
        .count()
}

/// How many issues were opened (`POST …/issues`).
fn opened(calls: &[(String, String)]) -> usize {
    calls
        .iter()
        .filter(|(m, p)| m == "POST" && p == &format!("repos/{REPO}/issues"))
        .count()
}

/// A directory holding `python3`, which runs the interpreter itself with
/// `-S` (the stand-ins `gh` and `curl` use the standard library only): not
/// through a version manager's shim (pyenv's costs a large part of a second
/// a call), nor importing `site`. Made once.
fn python_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        assert!(out.status.success(), "python3 -c failed");
        let exe = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        let dir = tempfile::tempdir().unwrap();
        let wrapper = dir.path().join("python3");
        std::fs::write(&wrapper, format!("#!/bin/sh\nexec '{exe}' -S \"$@\"\n")).unwrap();
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        dir
    })
    .path()
}

/// `PATH` for a job: `first`, then [`python_dir`], then the test's own.
fn search_path(first: &[&Path]) -> String {
    let mut dirs: Vec<String> = first.iter().map(|d| d.display().to_string()).collect();
    dirs.push(python_dir().display().to_string());
    dirs.push(std::env::var("PATH").unwrap_or_default());
    dirs.join(":")
}
