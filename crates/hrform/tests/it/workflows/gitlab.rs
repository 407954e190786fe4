//! The GitLab example (`examples/gitlab-ci/hrform.sh`): one merge-request
//! note, the reviewed plan applied, the drift issue.

use super::*;

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
            .env("PATH", search_path(&[]))
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
