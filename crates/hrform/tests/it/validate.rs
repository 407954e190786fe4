//! `hrform validate`: offline checks, their diagnostics and exit codes.

use crate::common::{Test, crate_dir, repo_root};

/// A small valid configuration with two providers.
const PROVIDERS: &str = "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
  field:
    type: connecteam
";

/// Every broken manifest set under tests/fixtures/invalid exits 1 with its
/// pinned diagnostics (code, file:line:column, message, suggestion).
#[test]
fn invalid_corpus_reports_pinned_diagnostics() {
    let root = crate_dir().join("tests/fixtures/invalid");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .expect("corpus dir")
        .map(|e| {
            e.expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8 name")
        })
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 40,
        "the corpus holds {} cases, expected at least 40",
        cases.len()
    );
    for case in cases {
        let out = Test::new()
            .args(&["validate", "-C", &case])
            .current_dir(&root)
            .run();
        assert_eq!(out.code, 1, "{case} should fail validation\n{}", out.stderr);
        assert!(out.stdout.is_empty(), "{case} wrote to stdout");
        crate::snapshot!(format!("invalid__{case}"), out.stderr);
    }
}

/// The acme example validates clean.
#[test]
fn acme_example_is_valid() {
    let out = Test::new()
        .args(&["validate", "-C", "examples/acme"])
        .current_dir(&repo_root())
        .run();
    out.code(0);
    assert!(out.stderr.starts_with("valid: "), "{}", out.stderr);
    assert!(!out.stderr.contains("error"), "{}", out.stderr);
}

/// Every mistake of one file comes out in one run, not just the first.
#[test]
fn all_errors_of_a_file_in_one_run() {
    let out = Test::new()
        .file("providers.yaml", PROVIDERS)
        .file(
            "team.yaml",
            "\
users:
  - email: not-an-email
    provider: clockify
    nickname: Ada
  - email: bob@example.com
    provider: clokify
    status: retired
  - email: eve@example.com
    provider: field
    time_off:
      - { policy: Sick, balance: -1, unit: hours }
",
        )
        .args(&["validate"])
        .run();
    out.code(1);
    for code in [
        "error[invalid-email]",
        "error[unknown-key]",
        "error[unknown-provider]",
        "error[invalid-value]",
        "error[invalid-balance]",
    ] {
        assert!(
            out.stderr.contains(code),
            "missing {code} in\n{}",
            out.stderr
        );
    }
    assert!(
        out.stderr
            .ends_with("invalid: 5 errors and 0 warnings in 2 files\n"),
        "{}",
        out.stderr
    );
}

/// A clean configuration exits 0 and says what it checked.
#[test]
fn clean_configuration_exits_zero_with_a_summary() {
    let out = Test::new()
        .file("providers.yaml", PROVIDERS)
        .file(
            "people/team.yml",
            "users:\n  - { email: ada@example.com, provider: clockify, status: active }\n",
        )
        .args(&["validate"])
        .run();
    out.code(0);
    assert_eq!(
        out.stderr,
        "valid: 2 files, 1 user, 0 requests, 0 warnings\n"
    );
    assert_eq!(out.stdout, "");
}

/// Hidden folders and sandbox seed files beside the manifests are not read.
#[test]
fn hidden_folders_and_seed_files_are_skipped() {
    let out = Test::new()
        .file("providers.yaml", PROVIDERS)
        .file(
            ".github/workflows/plan.yml",
            "on: [pull_request]\njobs: {}\n",
        )
        .file(".hrform/notes.yaml", "whatever: true\n")
        .file("sandbox.yaml", "seed_version: 1\nclockify: {}\n")
        .args(&["validate"])
        .run();
    out.code(0);
    assert_eq!(
        out.stderr,
        "valid: 2 files, 0 users, 0 requests, 0 warnings\n"
    );
}

/// A directory with no manifests is an error, not a silent success.
#[test]
fn empty_directory_is_an_error() {
    let t = Test::new().args(&["validate", "-C", "nothing-here"]);
    std::fs::create_dir(t.path().join("nothing-here")).unwrap();
    let out = t.run();
    out.code(1);
    assert!(out.stderr.contains("error[no-manifests]"), "{}", out.stderr);
}

/// A secret written into a manifest is reported without ever printing it.
#[test]
fn secrets_in_manifests_are_reported_but_never_echoed() {
    let out = Test::new()
        .file(
            "providers.yaml",
            "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
    api_key: MzA0ZTk1-super-secret
  field:
    type: connecteam
    api_key_env: ct_live_9f8e7d6c5b4a
",
        )
        .args(&["validate"])
        .run();
    out.code(1);
    assert_eq!(
        out.stderr.matches("error[secret-in-manifest]").count(),
        2,
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("super-secret"), "{}", out.stderr);
    assert!(!out.stderr.contains("ct_live"), "{}", out.stderr);
    assert!(out.stderr.contains("api_key_env"), "{}", out.stderr);
}

/// Warnings do not fail validation.
#[test]
fn warnings_alone_exit_zero() {
    let out = Test::new()
        .file(
            "m.yaml",
            &format!("{PROVIDERS}profiles:\n  spare:\n    time_off: [{{ policy: Vacation }}]\n"),
        )
        .args(&["validate"])
        .run();
    out.code(0);
    assert!(
        out.stderr.contains("warning[unused-profile]"),
        "{}",
        out.stderr
    );
}

/// `validate` makes no network call: with a provider pointing at a
/// listening loopback port, nothing connects to it.
#[test]
fn validate_opens_no_connection() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/api", listener.local_addr().unwrap());
    let out = Test::new()
        .file(
            "providers.yaml",
            &format!(
                "providers:\n  c:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}\n"
            ),
        )
        .file("users.yaml", "users:\n  - { email: ada@example.com, status: active }\n")
        .args(&["validate"])
        .run();
    out.code(0);
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("validate connected to the provider: {other:?}"),
    }
}

/// Under strace, `validate` creates no socket at all (Linux; CI installs strace).
#[test]
fn validate_creates_no_socket() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install strace for this test"
        );
        eprintln!("strace not installed; the socket check runs in CI");
        return;
    }
    let t = Test::new().file("providers.yaml", PROVIDERS).file(
        "users.yaml",
        "users:\n  - { email: ada@example.com, provider: field }\n",
    );
    let log = t.path().join("strace.log");
    let out = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=socket,connect", "-o"])
        .arg(&log)
        .arg(env!("CARGO_BIN_EXE_hrform"))
        .arg("validate")
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains("socket(") || l.contains("connect("))
        .collect();
    assert!(
        calls.is_empty(),
        "validate made network calls:\n{}",
        calls.join("\n")
    );
}

/// A partial day during which the clocks change is a warning that gives the
/// hours elapsed (or both readings of a time that happens twice), unless
/// `adjust_for_dst` says how Connecteam should count it; a daytime request on
/// the same date, or one ending the moment the clocks jump, is not.
#[test]
fn clock_changes_during_partial_days_are_warned() {
    let request = |key: &str, date: &str, start: &str, end: &str, tz: &str, extra: &str| {
        format!(
            "  - {{ key: {key}, user: kim@example.com, policy_type: Sick, start_date: {date}, end_date: {date}, all_day: false, start_time: '{start}', end_time: '{end}', timezone: {tz}{extra} }}\n"
        )
    };
    let mut manifest = String::from(
        "providers:\n  field:\n    type: connecteam\nusers:\n  - { email: kim@example.com, provider: field }\ntime_off_requests:\n",
    );
    // Warned: forward in Dublin, back in Dublin (plain and twice), back in New York.
    manifest += &request("W-1", "2026-03-29", "00:30", "03:00", "Europe/Dublin", "");
    manifest += &request("W-2", "2026-10-25", "00:30", "03:00", "Europe/Dublin", "");
    manifest += &request("W-3", "2026-10-25", "01:30", "03:00", "Europe/Dublin", "");
    manifest += &request(
        "W-4",
        "2026-11-01",
        "00:00",
        "01:30",
        "America/New_York",
        "",
    );
    // Not warned: declared either way, daytime, ending as the clocks jump.
    manifest += &request(
        "Q-1",
        "2026-03-29",
        "00:30",
        "03:00",
        "Europe/Dublin",
        ", adjust_for_dst: true",
    );
    manifest += &request(
        "Q-2",
        "2026-10-25",
        "01:30",
        "03:00",
        "Europe/Dublin",
        ", adjust_for_dst: false",
    );
    manifest += &request(
        "Q-3",
        "2026-03-08",
        "09:00",
        "17:00",
        "America/New_York",
        "",
    );
    manifest += &request("Q-4", "2026-03-29", "00:00", "01:00", "Europe/Dublin", "");
    let out = Test::new()
        .file("m.yaml", &manifest)
        .args(&["validate"])
        .run();
    out.code(0);
    assert_eq!(
        out.stderr.matches("warning[clock-change]").count(),
        4,
        "{}",
        out.stderr
    );
    for line in [7, 8, 9, 10] {
        assert!(
            out.stderr.contains(&format!("m.yaml:{line}:")),
            "no warning on line {line}\n{}",
            out.stderr
        );
    }
    crate::snapshot!(out.stderr);
}

/// Item 11: a request date more than ten years from today (`0206-08-10`)
/// is a located `implausible-date` error suggesting `2026-08-10`, instead
/// of passing and making plan read 1,821 one-year slices.
#[test]
fn dates_far_from_today_are_typos_with_a_suggestion() {
    let out = Test::new()
        .file("providers.yaml", PROVIDERS)
        .file(
            "requests.yaml",
            "time_off_requests:\n  - { key: T-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 0206-08-10, end_date: 2026-08-10, timezone: UTC }\n",
        )
        .args(&["validate"])
        .run();
    out.code(1);
    assert!(
        out.stderr.contains("error[implausible-date]")
            && out.stderr.contains("requests.yaml:2:")
            && out.stderr.contains("did you mean `2026-08-10`?"),
        "{}",
        out.stderr
    );
}

/// Item 13: YAML 1.1 forms the README's YAML 1.2 promise excludes
/// (`0b101`, `1_000`, `!!binary`) are located errors, not silently read.
#[test]
fn yaml_1_1_forms_are_rejected_with_their_location() {
    let out = Test::new()
        .file("providers.yaml", PROVIDERS)
        .file(
            "users.yaml",
            "users:\n  - { email: a@example.com, provider: clockify, time_off: [{ policy: Vacation, balance: 0b101, unit: days }] }\n  - { email: b@example.com, provider: clockify, time_off: [{ policy: Vacation, balance: 1_000, unit: days }] }\ntime_off_requests:\n  - { key: T-1, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-08-10, end_date: 2026-08-10, timezone: UTC, employee_note: !!binary aGVsbG8= }\n",
        )
        .args(&["validate"])
        .run();
    out.code(1);
    for (what, at) in [
        ("`0b101` is a YAML 1.1 number form", "users.yaml:2:"),
        ("`1_000` is a YAML 1.1 number form", "users.yaml:3:"),
        ("`!!binary` values are not accepted", "users.yaml:5:"),
    ] {
        assert!(
            out.stderr.contains(what) && out.stderr.contains(at),
            "{what} at {at}:\n{}",
            out.stderr
        );
    }
}

/// Item 13: a manifest that is not UTF-8 is an error naming its line and
/// column.
#[test]
fn invalid_utf8_names_the_line() {
    let t = Test::new().file("providers.yaml", PROVIDERS);
    std::fs::write(
        t.path().join("users.yaml"),
        b"users:\n  - { email: a@example.com, provider: clockify }\n  - { email: b\xff@example.com, provider: clockify }\n",
    )
    .unwrap();
    let out = t.args(&["validate"]).run();
    out.code(1);
    assert!(
        out.stderr
            .contains("users.yaml is not valid UTF-8 (line 3, column 15)")
            && out.stderr.contains("users.yaml:3:15"),
        "{}",
        out.stderr
    );
}

/// Colour is decided once, from `--color` and the environment: a
/// non-empty `CLICOLOR_FORCE` colours diagnostics on a pipe, `NO_COLOR`
/// beats it, `CLICOLOR=0` turns colour off, and `--color` beats them all.
#[test]
fn colour_follows_clicolor_force_no_color_and_the_flag() {
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut t = Test::new()
            .file("hrform.yaml", "providers:\n  x:\n    type: nope\n")
            .args(&[&["validate"], args].concat());
        for (k, v) in env {
            t = t.env(k, v);
        }
        let out = t.run();
        out.code(1);
        out.stderr.contains('\u{1b}')
    };
    assert!(!run(&[], &[]), "a pipe is not coloured by default");
    assert!(
        run(&[("CLICOLOR_FORCE", "1")], &[]),
        "CLICOLOR_FORCE colours"
    );
    assert!(
        !run(&[("CLICOLOR_FORCE", "0")], &[]),
        "CLICOLOR_FORCE=0 does not"
    );
    assert!(
        !run(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &[]),
        "NO_COLOR beats CLICOLOR_FORCE"
    );
    assert!(
        !run(&[("CLICOLOR_FORCE", "1")], &["--color", "never"]),
        "--color never beats the environment"
    );
    assert!(
        run(
            &[("NO_COLOR", "1"), ("CLICOLOR", "0")],
            &["--color", "always"]
        ),
        "--color always beats the environment"
    );
}
