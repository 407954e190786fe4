//! The example workflows' trust rules, run as written: nothing from a pull
//! request's tree runs while HR keys are present, jobs holding keys cannot
//! write, and the layout check (GitHub step, GitLab job line).

use super::*;

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
    let path = search_path(&[tools.path(), &crate_dir().join("tests/fixtures/gh")]);

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
