//! The GitHub Actions example's jobs: the pull-request comment, the merge
//! job applying only the reviewed plan, and the drift issue.

use super::*;

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
