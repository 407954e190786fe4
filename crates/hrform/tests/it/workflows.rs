//! The GitHub Actions examples' shell steps, run for real: the scripts of
//! `examples/github-actions/scripts/` with a stand-in `gh` on PATH
//! (`tests/fixtures/gh/gh`: records every call, answers from a JSON state
//! file) and the real hrform against the sandbox; and the workflows' trust
//! rules (who holds HR keys, who may write) read from the YAML.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value, json};

use crate::common::{CLOCKIFY_KEY, CONNECTEAM_KEY, Output, Test, crate_dir, repo_root};

const SEED: &str = include_str!("../fixtures/plan/seed.yaml");
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
                    "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n"
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
        let path = format!(
            "{}:{}",
            crate_dir().join("tests/fixtures/gh").display(),
            std::env::var("PATH").unwrap_or_default()
        );
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
        let status = Command::new("python3")
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

/// The first push of a pull request creates the hrform comment (marker,
/// status line, plan), saves plan.json and writes the job summary; the
/// second push edits that same comment and creates none.
#[test]
fn first_push_creates_the_comment_and_a_second_push_edits_it() {
    let ci = Ci::new(json!([]));
    let out = ci.pr();
    out.code(0);
    let calls = ci.calls();
    assert_eq!(count(&calls, "POST", "/issues/7/comments"), 1, "{calls:?}");
    assert_eq!(count(&calls, "PATCH", "/issues/comments/"), 0);
    let mine = ci.my_comments();
    assert_eq!(mine.len(), 1);
    let body = mine[0]["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- hrform {"), "{body}");
    assert!(body.contains("**Status:** planned"));
    assert!(body.contains("Vacation"));
    assert!(ci.out.join("plan.json").exists());
    let summary = std::fs::read_to_string(ci.t.path().join("summary.md")).unwrap();
    assert!(summary.contains("### hrform plan: Plan: 2 people change"));

    // Second push: Bob is activated too.
    let t_path = ci.t.path().to_owned();
    std::fs::write(
        t_path.join("users.yaml"),
        format!("{USERS}  - {{ email: bob@example.com, status: active }}\n"),
    )
    .unwrap();
    ci.pr().code(0);
    let calls = ci.calls();
    assert_eq!(count(&calls, "POST", "/issues/7/comments"), 1, "{calls:?}");
    assert_eq!(
        count(
            &calls,
            "PATCH",
            &format!("/issues/comments/{}", mine[0]["id"])
        ),
        1
    );
    let mine = ci.my_comments();
    assert_eq!(mine.len(), 1, "still one comment");
    assert!(
        mine[0]["body"]
            .as_str()
            .unwrap()
            .contains("Plan: 3 people change")
    );
}

/// A comment that carries the marker but was written by someone else is
/// neither edited nor taken for ours: hrform writes its own.
#[test]
fn a_marked_comment_by_someone_else_is_left_alone() {
    let forged = "<!-- hrform {\"format_version\":1} -->\n**Status:** applied (not really)";
    let ci = Ci::new(json!([
        { "id": 5, "issue": PR, "user": { "login": "mallory" }, "body": forged },
    ]));
    ci.pr().code(0);
    ci.pr().code(0);
    let state = ci.state();
    let other = &state["comments"][0];
    assert_eq!(other["id"], 5);
    assert_eq!(other["body"], forged);
    let calls = ci.calls();
    assert_eq!(count(&calls, "PATCH", "/issues/comments/5"), 0, "{calls:?}");
    assert_eq!(count(&calls, "POST", "/issues/7/comments"), 1);
    assert_eq!(ci.my_comments().len(), 1);
}

/// On merge the reviewed plan is fetched and applied, the journal written,
/// and the comment's status line says so.
#[test]
fn merge_applies_the_reviewed_plan_and_marks_the_comment() {
    let ci = Ci::new(json!([]));
    ci.pr().code(0);
    ci.upload_plan_and_merge();
    let out = ci.apply();
    out.code(0);
    assert!(!ci.sandbox_writes().is_empty());
    assert!(ci.t.path().join("journal.jsonl").exists());
    let body = ci.my_comments()[0]["body"].as_str().unwrap().to_owned();
    assert!(
        body.lines()
            .any(|l| l == format!("**Status:** applied at {MERGE}.")),
        "{body}"
    );
    // The rest of the comment is the reviewed plan, unchanged.
    assert!(body.contains("### hrform plan: Plan: 2 people change"));
    // A second plan shows nothing left to do.
    let again = ci.t.run_with(&["plan", "--detailed-exitcode"]);
    again.code(0);
}

/// A reviewed plan made from other manifests than those merged is stale:
/// apply exits 4, writes nothing, and the comment says how to recover.
#[test]
fn a_stale_plan_on_merge_applies_nothing_and_marks_the_comment() {
    let ci = Ci::new(json!([]));
    ci.pr().code(0);
    ci.upload_plan_and_merge();
    // What merged is not what was reviewed.
    std::fs::write(
        ci.t.path().join("users.yaml"),
        format!("{USERS}  - {{ email: bob@example.com, status: active }}\n"),
    )
    .unwrap();
    let out = ci.apply();
    out.code(4);
    assert!(ci.sandbox_writes().is_empty(), "{:?}", ci.sandbox_writes());
    let body = ci.my_comments()[0]["body"].as_str().unwrap().to_owned();
    let status = body.lines().find(|l| l.starts_with("**Status:**")).unwrap();
    assert!(
        status.starts_with("**Status:** not applied: the reviewed plan is stale (exit 4"),
        "{status}"
    );
    assert!(
        status.contains("To recover: open a pull request"),
        "{status}"
    );
    assert_eq!(body.matches("**Status:**").count(), 1);
}

/// The merge job is given a plan artifact that is not the reviewed plan
/// (one byte more; still a valid plan of the same manifests): apply
/// refuses it by its digest (exit 6), nothing is written, and the comment
/// says so. The artifact is taken from the head commit's successful plan
/// run, by its id, never by name.
#[test]
fn an_artifact_other_than_the_reviewed_plan_applies_nothing_and_marks_the_comment() {
    let ci = Ci::new(json!([]));
    ci.pr().code(0);
    let mut plan = std::fs::read(ci.out.join("plan.json")).unwrap();
    plan.push(b'\n');
    ci.upload_plan_and_merge_with(&plan);
    let out = ci.apply();
    out.code(6);
    assert!(
        out.stderr.contains("is not the reviewed plan"),
        "{}",
        out.stderr
    );
    assert!(ci.sandbox_writes().is_empty(), "{:?}", ci.sandbox_writes());
    let calls = ci.calls();
    assert_eq!(
        count(&calls, "GET", "actions/runs/501/artifacts"),
        1,
        "{calls:?}"
    );
    assert_eq!(
        count(&calls, "GET", "actions/artifacts?name="),
        0,
        "{calls:?}"
    );
    let body = ci.my_comments()[0]["body"].as_str().unwrap().to_owned();
    let status = body.lines().find(|l| l.starts_with("**Status:**")).unwrap();
    assert!(
        status.starts_with(
            "**Status:** not applied: the plan artifact of run 501 is not the reviewed plan"
        ),
        "{status}"
    );
    assert!(status.contains("exit 6"), "{status}");
    assert_eq!(body.matches("**Status:**").count(), 1);
}

/// A pull request with no reviewed plan (its comment says "no plan") is
/// not applied, whatever artifact exists.
#[test]
fn a_merge_without_a_reviewed_digest_applies_nothing() {
    let ci = Ci::new(json!([]));
    ci.pr().code(0);
    let plan = std::fs::read(ci.out.join("plan.json")).unwrap();
    // The comment now shows a failed plan (no digest).
    std::fs::write(ci.t.path().join("users.yaml"), "users:\n  - emial: x\n").unwrap();
    ci.pr().code(1);
    std::fs::write(ci.t.path().join("users.yaml"), USERS).unwrap();
    std::fs::write(
        ci.out.join("comment.md"),
        "<!-- hrform {\"format_version\":1,\"failed\":true} -->\n",
    )
    .unwrap();
    ci.upload_plan_and_merge_with(&plan);
    ci.apply().code(1);
    assert!(ci.sandbox_writes().is_empty());
    let body = ci.my_comments()[0]["body"].as_str().unwrap().to_owned();
    assert!(
        body.contains("**Status:** not applied: the pull request has no reviewed plan"),
        "{body}"
    );
}

/// `${{ … }}` of the example workflows' `env:` and `with:`, as GitHub
/// would evaluate them for pull request 7 of REPO (test keys as secrets).
fn github_expression(expr: &str) -> String {
    match expr.trim() {
        "secrets.CLOCKIFY_API_KEY" => CLOCKIFY_KEY.to_owned(),
        "secrets.CONNECTEAM_API_KEY" => CONNECTEAM_KEY.to_owned(),
        "github.event.pull_request.number" => PR.to_string(),
        "github.event.pull_request.head.sha" => HEAD.to_owned(),
        "github.repository" => REPO.to_owned(),
        "github.token" => "stand-in".to_owned(),
        "env.HRFORM_VERSION" => "0.1.0".to_owned(),
        other => panic!("the test does not know the expression {other}"),
    }
}

fn evaluate(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("an expression ends") + start;
        out.push_str(&github_expression(&rest[start + 3..end]));
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn executable(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The plan job of `hrform-plan.yml`, step by step as written, for a pull
/// request whose tree plants a `.github/hrform/pr.sh`, a workflow step, an
/// `hrform` and a `.bashrc` that would print the keys and leave a canary:
/// the base branch's scripts run, the plan is made from the pull request's
/// manifests, and nothing from its tree runs while the keys are present.
#[test]
fn a_pull_request_tree_runs_nothing_while_keys_are_present() {
    let ci = Ci::new(json!([]));
    let pr_tree = ci.t.path();
    let canary = ci.state.with_file_name("canary");
    let evil = format!(
        "#!/usr/bin/env bash\necho \"stolen: $CLOCKIFY_API_KEY\"\necho ran >>'{}'\n",
        canary.display()
    );
    for planted in [
        ".github/hrform/pr.sh",
        ".github/hrform/lib.sh",
        "hrform",
        "bin/hrform",
        "jq",
    ] {
        executable(&pr_tree.join(planted), &evil);
    }
    std::fs::write(pr_tree.join(".bashrc"), &evil).unwrap();
    std::fs::write(pr_tree.join(".envrc"), &evil).unwrap();
    std::fs::create_dir_all(pr_tree.join(".github/workflows")).unwrap();
    std::fs::write(
        pr_tree.join(".github/workflows/hrform-plan.yml"),
        format!(
            "on: pull_request_target\njobs:\n  plan:\n    runs-on: ubuntu-latest\n    environment: hr-plan\n    steps:\n      - run: echo \"${{{{ secrets.CLOCKIFY_API_KEY }}}}\" >'{}'\n",
            canary.display()
        ),
    )
    .unwrap();

    // The base branch: the example workflows and scripts where the README
    // says to copy them.
    let workspace = tempfile::tempdir().unwrap();
    let ws = workspace.path();
    let base = tempfile::tempdir().unwrap();
    copy_tree(
        &repo_root().join("examples/github-actions/scripts"),
        &base.path().join(".github/hrform"),
    );
    copy_tree(
        &repo_root().join("examples/github-actions/workflows"),
        &base.path().join(".github/workflows"),
    );
    // What the hrform action puts on PATH: the binary under test.
    let tools = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hrform"), tools.path().join("hrform")).unwrap();
    let path = format!(
        "{}:{}:{}",
        tools.path().display(),
        crate_dir().join("tests/fixtures/gh").display(),
        std::env::var("PATH").unwrap_or_default()
    );

    let text =
        std::fs::read_to_string(base.path().join(".github/workflows/hrform-plan.yml")).unwrap();
    let workflow: Value = serde_saphyr::from_str(&text).unwrap();
    let steps = workflow["jobs"]["plan"]["steps"].as_array().unwrap();
    let mut outputs = String::new();
    let mut ran = 0;
    for step in steps {
        if let Some(uses) = step["uses"].as_str() {
            let with = &step["with"];
            if uses.starts_with("actions/checkout@") {
                assert_eq!(with["persist-credentials"], false, "{step:?}");
                match with["path"].as_str() {
                    // The pull request's tree: data, in its own directory.
                    Some(dir) => {
                        assert_eq!(evaluate(with["ref"].as_str().unwrap()), HEAD);
                        copy_tree(pr_tree, &ws.join(dir));
                    }
                    None => {
                        assert!(
                            with["ref"].is_null(),
                            "the base checkout is the base: {step:?}"
                        );
                        copy_tree(base.path(), ws);
                    }
                }
            } else {
                assert!(
                    uses.starts_with("your-org/hrform@")
                        || uses.starts_with("actions/upload-artifact@"),
                    "an unexpected action in the keyed job: {uses}"
                );
            }
            continue;
        }
        let run = step["run"].as_str().expect("a step uses or runs");
        let mut cmd = ci.t.program("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", run])
            .current_dir(ws)
            .env("PATH", &path)
            .env("GH_STANDIN_STATE", &ci.state)
            .env("GH_STANDIN_LOG", &ci.log)
            .env("HOME", ws)
            .env_remove("HRFORM")
            .env_remove("GH_TOKEN");
        for (key, value) in step["env"].as_object().into_iter().flatten() {
            cmd.env(key, evaluate(value.as_str().unwrap()));
        }
        let out = cmd.output().unwrap();
        outputs.push_str(&String::from_utf8_lossy(&out.stdout));
        outputs.push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{run}: {outputs}");
        ran += 1;
    }
    assert_eq!(ran, 1, "one script step");
    assert!(
        !canary.exists(),
        "something from the pull request ran: {outputs}"
    );
    assert!(
        !outputs.contains(CLOCKIFY_KEY) && !outputs.contains("stolen"),
        "{outputs}"
    );
    let comment = std::fs::read_to_string(ws.join("out/comment.md")).unwrap();
    assert!(
        comment.contains("Vacation"),
        "the plan is of the pull request's manifests: {comment}"
    );
    assert!(ws.join("out/plan.json").exists());
    assert!(
        ci.calls().is_empty(),
        "the keyed job called GitHub: {:?}",
        ci.calls()
    );
}

/// Every example workflow (and this repository's own): a job that holds
/// HR keys (`secrets.` other than the token) is in an environment and its
/// token can only read; a job whose token may write holds no HR key; the
/// workflow grants nothing by default; every action is pinned by commit.
#[test]
fn jobs_holding_keys_cannot_write_and_jobs_that_write_hold_no_keys() {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in ["examples/github-actions/workflows", ".github/workflows"] {
        for entry in std::fs::read_dir(repo_root().join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    let mut keyed = 0;
    let mut writers = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let workflow: Value = serde_saphyr::from_str(&text).unwrap();
        let name = file.display();
        let top = &workflow["permissions"];
        assert!(
            top.as_object().is_some_and(|p| p.is_empty()),
            "{name}: top-level permissions must be {{}}, got {top:?}"
        );
        for (job_name, job) in workflow["jobs"].as_object().unwrap() {
            let job_text = serde_json::to_string(job).unwrap();
            let holds_keys = job_text.contains("secrets.");
            let perms = job["permissions"].as_object().cloned().unwrap_or_default();
            let writes: Vec<&String> = perms
                .iter()
                .filter(|(_, v)| *v == "write")
                .map(|(k, _)| k)
                .collect();
            if holds_keys && !file.ends_with("release.yml") {
                keyed += 1;
                assert!(
                    job["environment"].is_string(),
                    "{name}/{job_name}: keys outside an environment"
                );
                assert!(
                    writes.is_empty(),
                    "{name}/{job_name}: holds keys and may write {writes:?}"
                );
            }
            if !writes.is_empty() && file.starts_with(repo_root().join("examples")) {
                writers += 1;
                assert!(
                    !holds_keys,
                    "{name}/{job_name}: may write {writes:?} and holds keys"
                );
                assert!(job["environment"].is_null(), "{name}/{job_name}");
            }
            for step in job["steps"].as_array().into_iter().flatten() {
                if let Some(uses) = step["uses"].as_str() {
                    let (_, rev) = uses
                        .split_once('@')
                        .unwrap_or_else(|| panic!("{name}: {uses} unpinned"));
                    assert!(
                        rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                        "{name}/{job_name}: {uses} is not pinned by commit"
                    );
                }
            }
        }
    }
    assert!(
        keyed >= 3 && writers >= 3,
        "keyed {keyed}, writers {writers}"
    );
}

/// The drift check opens one issue when the plan has changes, updates that
/// issue (no second one) while drift remains, and closes it once the HR
/// systems match the manifests.
#[test]
fn drift_opens_then_closes_one_issue() {
    let ci = Ci::new(json!([]));
    ci.drift().code(0);
    let issues = ci.state()["issues"].clone();
    assert_eq!(issues.as_array().unwrap().len(), 1);
    assert_eq!(issues[0]["state"], "open");
    assert_eq!(issues[0]["labels"], json!(["hrform-drift"]));
    assert!(issues[0]["body"].as_str().unwrap().contains("Vacation"));

    ci.drift().code(0);
    let calls = ci.calls();
    assert_eq!(opened(&calls), 1, "{calls:?}");
    assert_eq!(
        count(&calls, "PATCH", &format!("/issues/{}", issues[0]["number"])),
        1
    );

    ci.t.run_with(&["apply", "--yes", "-q"]).code(0);
    ci.drift().code(0);
    let state = ci.state();
    let issues = state["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "one issue, ever");
    assert_eq!(issues[0]["state"], "closed");
    assert_eq!(
        count(
            &ci.calls(),
            "POST",
            &format!("/issues/{}/comments", issues[0]["number"])
        ),
        1,
        "a closing note"
    );
    assert_eq!(opened(&ci.calls()), 1);
}

/// The GitLab example (`examples/gitlab-ci/hrform.sh`) with a stand-in
/// `curl` answering as the GitLab API: the merge-request note, the apply
/// and the drift issue, each mode with only the secrets of its job.
struct Gitlab {
    ci: Ci,
    state: PathBuf,
    log: PathBuf,
    out: PathBuf,
}

impl Gitlab {
    fn new(notes: Value) -> Gitlab {
        let ci = Ci::new(json!([]));
        let dir = ci.state.parent().unwrap().to_owned();
        let gl = Gitlab {
            state: dir.join("gitlab.json"),
            log: dir.join("gitlab.jsonl"),
            out: dir.join("gl-out"),
            ci,
        };
        std::fs::write(
            &gl.state,
            json!({
                "token": "glpat-notes",
                "tokens": { "glpat-notes": "api", "glpat-read": "read_api" },
                "project": 42,
                "me": { "id": 9, "username": "hrform-bot" },
                "next_id": 500,
                "notes": notes,
                "mrs_by_commit": {},
                "mrs": {},
                "pipelines": [],
                "issues": [],
            })
            .to_string(),
        )
        .unwrap();
        std::fs::write(&gl.log, "").unwrap();
        gl
    }

    fn state(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(&self.state).unwrap()).unwrap()
    }

    fn write_state(&self, state: &Value) {
        std::fs::write(&self.state, state.to_string()).unwrap();
    }

    /// One job: the keys only where the job holds them (plan, apply,
    /// drift-plan), the GitLab token only where it needs one.
    fn run(&self, mode: &str) -> Output {
        let mut cmd = self.ci.t.program("bash");
        cmd.arg(repo_root().join("examples/gitlab-ci/hrform.sh"))
            .arg(mode)
            .env("CURL", crate_dir().join("tests/fixtures/gitlab/curl"))
            .env("GL_STANDIN_STATE", &self.state)
            .env("GL_STANDIN_LOG", &self.log)
            .env("CI_API_V4_URL", "https://gitlab.example/api/v4")
            .env("CI_PROJECT_ID", "42")
            .env("CI_MERGE_REQUEST_IID", "7")
            .env("CI_COMMIT_SHA", MERGE)
            .env("MR_TREE", self.ci.t.path())
            .env("OUT_DIR", &self.out)
            .env("IN_DIR", &self.out)
            .env_remove("HRFORM_GITLAB_TOKEN");
        match mode {
            "plan" | "drift-plan" => {}
            "apply" => {
                cmd.env("HRFORM_GITLAB_TOKEN", "glpat-read");
            }
            _ => {
                cmd.env("HRFORM_GITLAB_TOKEN", "glpat-notes")
                    .env_remove("CLOCKIFY_API_KEY")
                    .env_remove("CONNECTEAM_API_KEY");
            }
        }
        Output::from(cmd.output().unwrap())
    }

    fn my_notes(&self) -> Vec<Value> {
        self.state()["notes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["author"]["id"] == 9)
            .cloned()
            .collect()
    }

    fn log(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Record the merge of !7 (head HEAD) as MERGE, with pipeline 70's
    /// hrform-plan job (id 700) holding `plan` (and an older pipeline).
    fn merge_with(&self, plan: &std::path::Path) {
        let mut state = self.state();
        state["mrs_by_commit"] = json!({ MERGE: [{ "iid": 7, "state": "merged" }] });
        state["mrs"] = json!({ "7": { "iid": 7, "sha": HEAD } });
        state["pipelines"] = json!([
            { "id": 60, "mr": 7, "sha": "3333333333333333333333333333333333333333", "status": "success",
              "jobs": [{ "id": 600, "name": "hrform-plan", "status": "success", "plan": "/nonexistent" }] },
            { "id": 70, "mr": 7, "sha": HEAD, "status": "success",
              "jobs": [{ "id": 700, "name": "hrform-plan", "status": "success", "plan": plan }] },
        ]);
        self.write_state(&state);
    }
}

/// GitLab: the plan job (keys, no token) and the note job (token, no keys)
/// keep one merge-request note, edited on the next push, leaving a marked
/// note by someone else alone; on merge the apply job (keys, read-only
/// token) applies the plan of the head pipeline's hrform-plan job, by job
/// id and the note's digest, and the status job marks the note.
#[test]
fn gitlab_keeps_one_merge_request_note_and_applies_the_reviewed_plan() {
    let forged = "<!-- hrform {} -->\n**Status:** applied";
    let gl = Gitlab::new(json!([
        { "id": 3, "mr": 7, "author": { "id": 66, "username": "mallory" }, "body": forged }
    ]));
    gl.run("plan").code(0);
    assert!(gl.log().is_empty(), "the keyed plan job called GitLab");
    gl.run("note").code(0);
    let notes = gl.my_notes();
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]["body"]
            .as_str()
            .unwrap()
            .starts_with("<!-- hrform {")
    );
    gl.run("plan").code(0);
    gl.run("note").code(0);
    let again = gl.my_notes();
    assert_eq!(again.len(), 1, "edited, not a second note");
    assert_eq!(again[0]["id"], notes[0]["id"]);
    assert_eq!(
        gl.state()["notes"][0]["body"],
        forged,
        "someone else's note"
    );
    let log = std::fs::read_to_string(&gl.log).unwrap();
    assert_eq!(log.matches("\"method\": \"POST\"").count(), 1, "{log}");
    assert_eq!(
        log.matches(
            "\"method\": \"PUT\", \"path\": \"/api/v4/projects/42/merge_requests/7/notes/3\""
        )
        .count(),
        0
    );

    gl.merge_with(&gl.out.join("plan.json"));
    let before = gl.log().len();
    gl.run("apply").code(0);
    assert!(
        gl.log()[before..]
            .iter()
            .all(|c| c["method"] == "GET" && c["scope"] == "read_api"),
        "{:?}",
        &gl.log()[before..]
    );
    assert!(!gl.ci.sandbox_writes().is_empty());
    gl.run("status").code(0);
    let body = gl.my_notes()[0]["body"].as_str().unwrap().to_owned();
    assert!(
        body.lines()
            .any(|l| l == format!("**Status:** applied at {MERGE}.")),
        "{body}"
    );
}

/// GitLab: a plan artifact other than the reviewed plan is refused by its
/// digest (exit 6), nothing is written, and the note says so.
#[test]
fn gitlab_applies_nothing_but_the_reviewed_plan() {
    let gl = Gitlab::new(json!([]));
    gl.run("plan").code(0);
    gl.run("note").code(0);
    let other = gl.out.with_file_name("other-plan.json");
    let mut bytes = std::fs::read(gl.out.join("plan.json")).unwrap();
    bytes.push(b'\n');
    std::fs::write(&other, bytes).unwrap();
    gl.merge_with(&other);
    gl.run("apply").code(6);
    assert!(gl.ci.sandbox_writes().is_empty());
    gl.run("status").code(0);
    let body = gl.my_notes()[0]["body"].as_str().unwrap().to_owned();
    assert!(
        body.contains("**Status:** not applied: the plan of job 700 is not the reviewed plan"),
        "{body}"
    );
}

/// GitLab's drift check, like GitHub's: one issue opened, then updated,
/// then closed with a note once the HR systems match.
#[test]
fn gitlab_drift_opens_updates_and_closes_one_issue() {
    let gl = Gitlab::new(json!([]));
    let drift = || {
        gl.run("drift-plan").code(0);
        gl.run("drift-report").code(0);
    };
    drift();
    let issues = gl.state()["issues"].clone();
    assert_eq!(issues.as_array().unwrap().len(), 1);
    assert_eq!(issues[0]["state"], "opened");
    assert_eq!(issues[0]["labels"], json!(["hrform-drift"]));
    assert!(
        issues[0]["description"]
            .as_str()
            .unwrap()
            .contains("Vacation")
    );
    drift();
    assert_eq!(gl.state()["issues"].as_array().unwrap().len(), 1);
    let puts = gl
        .log()
        .iter()
        .filter(|c| c["method"] == "PUT" && c["path"].as_str().unwrap().ends_with("/issues/501"))
        .count();
    assert_eq!(puts, 1, "updated once");
    gl.ci.t.run_with(&["apply", "--yes", "-q"]).code(0);
    drift();
    let state = gl.state();
    let issues = state["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "one issue, ever");
    assert_eq!(issues[0]["state"], "closed");
    assert_eq!(
        issues[0]["notes"].as_array().unwrap().len(),
        1,
        "a closing note"
    );
}

/// A push whose manifests do not validate replaces the comment's earlier
/// plan with a "no plan" status (and annotates the errors), so reviewers
/// never approve a plan of older manifests.
#[test]
fn invalid_manifests_replace_the_plan_with_no_plan() {
    let ci = Ci::new(json!([]));
    ci.pr().code(0);
    std::fs::write(ci.t.path().join("users.yaml"), "users:\n  - emial: x\n").unwrap();
    let out = ci.pr();
    out.code(1);
    assert!(
        out.stderr.contains("::error file=users.yaml,line=2"),
        "{}",
        out.stderr
    );
    let mine = ci.my_comments();
    assert_eq!(mine.len(), 1);
    let body = mine[0]["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- hrform {\"format_version\":1,\"failed\":true} -->"));
    assert!(
        body.contains("**Status:** no plan: `hrform validate` or `hrform plan` exited 1"),
        "{body}"
    );
    assert!(!body.contains("Vacation"));
}

/// The layout check of the pull-request workflow (GitHub step, GitLab
/// job line) as written in the YAML, run with bash and the real hrform on
/// PATH: a tree in `fmt` form passes; a mis-formatted one fails with exit
/// 2, naming the file and showing the diff, and is left as it was.
#[test]
fn the_layout_check_fails_on_manifests_not_in_fmt_form() {
    let read = |p: &str| std::fs::read_to_string(repo_root().join(p)).unwrap();
    let github: Value =
        serde_saphyr::from_str(&read("examples/github-actions/workflows/hrform-plan.yml")).unwrap();
    let step = github["jobs"]["validate"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("hrform fmt")))
        .expect("a step runs hrform fmt");
    let gitlab: Value = serde_saphyr::from_str(&read("examples/gitlab-ci/.gitlab-ci.yml")).unwrap();
    let line = gitlab["hrform-validate"]["script"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l.as_str().is_some_and(|l| l.contains("hrform fmt")))
        .expect("the validate job runs hrform fmt");
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hrform"), bin.path().join("hrform")).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let messy = "users:\n  - {status: active, email: ada@example.com}\n";
    for command in [step["run"].as_str().unwrap(), line.as_str().unwrap()] {
        let tidy = Test::new().file(
            "users.yaml",
            "users:\n  - email: ada@example.com\n    status: active\n",
        );
        let run = |t: &Test| {
            let out = t
                .program("bash")
                .args(["-c", command])
                .env("PATH", &path)
                .env("HRFORM_DIR", t.path())
                .output()
                .unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        };
        assert_eq!(run(&tidy).0, Some(0), "{command}");
        let t = Test::new().file("users.yaml", messy);
        let (code, stdout) = run(&t);
        assert_eq!(code, Some(2), "{command}: {stdout}");
        assert!(
            stdout.contains("users.yaml") && stdout.contains("+    status: active"),
            "{command}: {stdout}"
        );
        assert_eq!(
            std::fs::read_to_string(t.path().join("users.yaml")).unwrap(),
            messy
        );
    }
}
