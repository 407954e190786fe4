//! hrform's own files under `.hrform/`: the journal and plan files are
//! private and never followed through symlinks, a failing journal stops
//! writes, the apply lock, and a tracked state directory.

use super::*;

/// A Clockify world of `n` inactive people whom the manifests activate:
/// `n` status PUTs to apply.
fn activation_world(n: usize) -> Test {
    let mut seed = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com }\n",
    );
    let mut users = String::from("users:\n");
    for i in 0..n {
        seed.push_str(&format!(
            "    - {{ email: p{i}@example.com, status: inactive }}\n"
        ));
        users.push_str(&format!(
            "  - {{ email: p{i}@example.com, status: active }}\n"
        ));
    }
    let t = Test::new().sandbox(&seed);
    let providers = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\n    requests_per_second: 50\n",
        t.sandbox_url()
    );
    t.file("providers.yaml", &providers)
        .file("users.yaml", &users)
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A journal committed as a symlink (`.hrform/journal.jsonl` pointing at a
/// file of the machine), or a `.hrform` directory that is a link, is never
/// written through: apply exits 1 before any API write, the target intact.
#[test]
fn journal_symlinks_are_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("authorized_keys");
    std::fs::write(&victim, "ssh-ed25519 AAAA admin\n").unwrap();

    let t = activation_world(2);
    std::fs::create_dir(t.path().join(".hrform")).unwrap();
    std::os::unix::fs::symlink(&victim, t.path().join(".hrform/journal.jsonl")).unwrap();
    let out = t.run_with(&["apply", "--yes"]);
    out.code(1);
    assert!(
        out.stderr
            .contains("cannot open the journal .hrform/journal.jsonl; nothing was written")
            || out
                .stderr
                .contains("cannot open the journal ./.hrform/journal.jsonl; nothing was written"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("symlink"), "{}", out.stderr);
    assert_eq!(writes(&t), 0);

    let linked = activation_world(2);
    std::os::unix::fs::symlink(outside.path(), linked.path().join(".hrform")).unwrap();
    let out = linked.run_with(&["apply", "--yes"]);
    out.code(1);
    assert!(out.stderr.contains("is a symlink"), "{}", out.stderr);
    assert_eq!(writes(&linked), 0);

    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "ssh-ed25519 AAAA admin\n"
    );
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 1);
}

/// A journal that cannot be written at all (`/dev/full`) stops apply
/// before its first API write: exit 1, naming the file.
#[test]
fn unwritable_journal_stops_apply_before_any_write() {
    let t = activation_world(2);
    let out = t.run_with(&["apply", "--yes", "--journal", "/dev/full"]);
    out.code(1);
    assert!(
        out.stderr
            .contains("cannot open the journal /dev/full; nothing was written"),
        "{}",
        out.stderr
    );
    assert_eq!(writes(&t), 0);
}

/// A journal that fails mid-run (a pipe whose reader goes away after the
/// first line) stops further API writes, and apply exits 5 naming it.
#[test]
fn journal_failing_mid_run_stops_further_writes() {
    let n = 30;
    let t = activation_world(n);
    let fifo = t.path().join("journal.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(std::fs::File::open(fifo).unwrap());
            let mut first = String::new();
            lines.read_line(&mut first).unwrap();
            first
        })
    };
    let out = t.run_with(&["apply", "--yes", "-q", "--journal", fifo.to_str().unwrap()]);
    let first = reader.join().unwrap();
    assert!(first.contains("\"event\":\"start\""), "{first}");
    out.code(5);
    assert!(
        out.stderr.contains(&format!(
            "error: the journal {} could not be written",
            fifo.display()
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("not sent: the journal"),
        "{}",
        out.stdout
    );
    let sent = writes(&t);
    assert!(
        sent < n / 2,
        "{sent} of {n} writes were sent after the journal failed"
    );
}

/// The journal and a saved plan are created 0600; a plan file that is a
/// symlink is refused and its target left alone.
#[test]
fn journal_and_plan_files_are_private() {
    let t = activation_world(2);
    t.run_with(&["plan", "--out", "plan.json"]).code(0);
    assert_eq!(mode(&t.path().join("plan.json")), 0o600);
    t.run_with(&["apply", "--yes", "-q"]).code(0);
    assert_eq!(mode(&t.path().join(".hrform/journal.jsonl")), 0o600);

    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "keep\n").unwrap();
    std::os::unix::fs::symlink(&victim, t.path().join("linked.json")).unwrap();
    let out = t.run_with(&["plan", "--out", "linked.json"]);
    out.code(1);
    assert!(out.stderr.contains("symlink"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
}

// ---------------------------------------------------------------------------
// Issue 19: identity that cannot be spoofed, no panic on any answer, and
// the smaller holes.

/// Issue 19, item 3: a lock committed as a symlink (to `/dev/zero`, which
/// would be read forever, or to a file outside the tree, which would be
/// echoed) is never followed nor read: apply refuses naming the file,
/// exit 1, before any API write; the target is untouched and unread.
#[test]
fn planted_lock_symlinks_are_refused_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "TOP-SECRET-CONTENTS\n").unwrap();
    for target in [std::path::Path::new("/dev/zero"), secret.as_path()] {
        let t = activation_world(1);
        std::fs::create_dir(t.path().join(".hrform")).unwrap();
        std::os::unix::fs::symlink(target, t.path().join(".hrform/apply.lock")).unwrap();
        let out = t.run_with(&["apply", "--yes"]);
        out.code(1);
        assert!(
            out.stderr
                .contains("apply.lock is not a regular file (a symlink)")
                && out.stderr.contains("never follows or reads it"),
            "{}",
            out.stderr
        );
        never_shown(&out, "TOP-SECRET-CONTENTS");
        assert_eq!(writes(&t), 0);
        assert!(
            std::fs::symlink_metadata(t.path().join(".hrform/apply.lock"))
                .unwrap()
                .file_type()
                .is_symlink(),
            "the link is left as it is"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&secret).unwrap(),
        "TOP-SECRET-CONTENTS\n"
    );
}

/// Issue 19, item 3: a committed lock file that no process holds, naming a
/// holder far in the future (with newlines in its fields), blocks nothing:
/// apply runs and writes.
#[test]
fn planted_lock_file_naming_a_future_holder_blocks_nothing() {
    let t = activation_world(1).file(
        ".hrform/apply.lock",
        r#"{"pid": 1, "host": "ci\n::error::pwned", "since": "2999-01-01T00:00:00Z", "hrform": "9.9.9"}"#,
    );
    let out = t.run_with(&["apply", "--yes", "-q"]);
    out.code(0);
    assert_eq!(writes(&t), 1);
    never_shown(&out, "pwned");
}

/// Issue 19, item 3: two applies at once: the second is refused while the
/// first holds the lock (the first waits on a server that has not answered
/// yet), and its message shows the holder the file names, escaped (a
/// newline and a workflow command in the host field stay on one line).
#[test]
fn second_concurrent_apply_is_refused_showing_the_holder_escaped() {
    // A server that accepts and never answers while `gate` is closed.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let gate = Arc::new(Mutex::new(Vec::new()));
    {
        let gate = Arc::clone(&gate);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                gate.lock().unwrap().push(stream);
            }
        });
    }
    let t = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at(&format!("http://127.0.0.1:{port}/api")),
        )
        .env("CLOCKIFY_API_KEY", KEY);
    let mut first = t
        .command_with(&["apply", "--yes", "-q"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lock = t.path().join(".hrform/apply.lock");
    let start = Instant::now();
    while gate.lock().unwrap().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "first apply never called"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let record = std::fs::read_to_string(&lock).unwrap();
    assert!(
        record.contains(&format!("\"pid\":{}", first.id())),
        "{record}"
    );
    // What the file says is information only: make it hostile.
    std::fs::write(
        &lock,
        r#"{"pid": 77, "host": "ci\n::error::pwned\u001b[2J", "since": "now", "hrform": "x"}"#,
    )
    .unwrap();
    let out = t.run_with(&["apply", "--yes", "-q"]);
    let _ = first.kill();
    let _ = first.wait();
    out.code(1);
    assert!(
        out.stderr.contains("another apply holds the lock")
            && out
                .stderr
                .contains("pid 77 on ci\\u{a}::error::pwned\\u{1b}[2J since now"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    assert!(
        !out.stderr.lines().any(|l| l.trim_start().starts_with("::")),
        "{}",
        out.stderr
    );
}

/// Issue 19, item 3: apply warns when `.hrform/` is tracked by git (a
/// committed lock or journal is a pull request's to plant), and still runs.
#[test]
fn tracked_state_directory_is_warned_about() {
    let t = activation_world(1).file(".hrform/apply.lock", "planted");
    let git = |args: &[&str]| {
        t.program("git")
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !git(&["init", "-q"]) {
        return; // no git here: nothing to check (and no failure, by design)
    }
    assert!(git(&["add", ".hrform/apply.lock"]));
    let out = t.run_with(&["apply", "--yes", "-q"]);
    out.code(0);
    assert!(
        out.stderr.contains(".hrform is tracked by git")
            && out.stderr.contains("add `.hrform/` to .gitignore"),
        "{}",
        out.stderr
    );
}
