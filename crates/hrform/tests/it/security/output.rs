//! API data reaching terminals, pull-request comments and CI logs: escapes
//! shown escaped, markdown inert, mentions defused, comments capped, and
//! no workflow command from any command's output.

use super::*;

/// Data an HR system returns, with terminal escapes (clear screen, set the
/// window title) and Markdown (a heading, a link, a mention, a fence).
const EVIL_EMAIL: &str =
    "x\u{1b}[2J\u{1b}]0;owned\u{7}\n## Approved by @acme/hr [click](https://e.vil) ```@example.com";

/// The plan tests' world plus one Clockify person whose email carries
/// `EVIL_EMAIL`, reported as unmanaged.
fn evil_world() -> Test {
    let seed = include_str!("../../fixtures/plan/seed.yaml").replace(
        "    - { email: zed@example.com, name: Zed Stray }\n",
        &format!(
            "    - {{ email: zed@example.com, name: Zed Stray }}\n    - {{ email: {} }}\n",
            serde_json::to_string(EVIL_EMAIL).unwrap()
        ),
    );
    let t = Test::new().sandbox(&seed);
    let manifest = format!(
        "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
    base_url: {}/api
users:
  - {{ email: ada@example.com, status: active }}
settings:
  unmanaged_users: report
",
        t.sandbox_url()
    );
    t.file("hrform.yaml", &manifest)
}

/// Terminal escapes in API data are shown escaped (`\u{1b}`), with
/// `--color always` as without; hrform's own colours still show.
#[test]
fn terminal_escapes_from_api_data_are_shown_escaped() {
    let t = evil_world();
    for color in ["never", "always"] {
        let out = t.run_with(&["plan", "--color", color]);
        out.code(0);
        for raw in ["\u{1b}[2J", "\u{1b}]0;", "\u{7}", "\n## Approved"] {
            never_shown(&out, raw);
        }
        assert!(
            out.stdout
                .contains("x\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{a}## Approved by @acme/hr"),
            "{color}: {}",
            out.stdout
        );
        assert_eq!(
            color == "always",
            out.stdout.contains("\u{1b}[1m"),
            "{color}: own styling"
        );
    }
}

/// Markdown in API data cannot add a heading, a link, a mention or break
/// out of the code block of the PR comment.
#[test]
fn markdown_from_api_data_is_inert_in_the_pr_comment() {
    let out = evil_world().run_with(&["plan", "--output", "markdown"]);
    out.code(0);
    let md = &out.stdout;
    for raw in [
        "\u{1b}",
        "\n## Approved",
        "[click](",
        "@acme",
        "https://e.vil",
        "```@",
    ] {
        assert!(!md.contains(raw), "{raw:?} reached the comment:\n{md}");
    }
    assert!(
        md.contains("\\#\\# Approved by @\u{200d}acme/hr \\[click\\]"),
        "{md}"
    );
}

/// A blocked plan of 2,000 balance changes renders a comment under 65,000
/// characters, the blocked-rules list included, saying what was cut.
#[test]
fn markdown_comment_stays_under_the_limit_with_a_long_blocked_list() {
    let n = 2_000;
    let mut seed = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com }\n",
    );
    let mut users = String::from("users:\n");
    let mut assignments = String::new();
    for i in 0..n {
        seed.push_str(&format!("    - {{ email: p{i}@example.com }}\n"));
        assignments.push_str(&format!(
            "        - {{ user: p{i}@example.com, balance: 1 }}\n"
        ));
        users.push_str(&format!(
            "  - {{ email: p{i}@example.com, time_off: [{{ policy: Vacation, balance: 30, unit: days }}] }}\n"
        ));
    }
    seed.push_str("  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n");
    seed.push_str(&assignments);
    let t = Test::new().sandbox(&seed);
    let providers = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\n    requests_per_second: 50\nsettings:\n  safety:\n    max_balance_change: 1\n",
        t.sandbox_url()
    );
    let t = t
        .file("providers.yaml", &providers)
        .file("users.yaml", &users);
    let out = t.run_with(&["plan", "--output", "markdown"]);
    out.code(0);
    // The PR comment (`plan::comment`) holds every section, blocked rules
    // first, and is cut on a line boundary under 60,000 characters with a
    // note saying so.
    let chars = out.stdout.chars().count();
    assert!(chars < 60_000, "{chars} characters");
    assert!(
        out.stdout.contains("max\\_balance\\_change"),
        "{}",
        &out.stdout[..2000]
    );
    assert!(out.stdout.contains("The plan is cut here"));
}

/// An `@` after a non-ASCII letter (`é@team`), or any character but an
/// ASCII letter or digit, mentions nobody in the PR comment.
#[test]
fn at_sign_after_a_non_ascii_letter_mentions_nobody() {
    let seed = include_str!("../../fixtures/plan/seed.yaml").replace(
        "    - { email: zed@example.com, name: Zed Stray }\n",
        "    - { email: zed@example.com, name: Zed Stray }\n    - { email: \"jos\u{e9}@acme-hr@example.com\", name: \"\u{c9}@team \u{5f20}@org/admins _@x\" }\n",
    );
    let t = Test::new().sandbox(&seed);
    let manifest = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\nusers:\n  - {{ email: ada@example.com, status: active }}\nsettings:\n  unmanaged_users: report\n",
        t.sandbox_url()
    );
    let t = t.file("hrform.yaml", &manifest);
    let out = t.run_with(&["plan", "--output", "markdown"]);
    out.code(0);
    assert!(
        out.stdout.contains("jos\u{e9}@\u{200d}acme"),
        "{}",
        out.stdout
    );
    for raw in ["\u{e9}@acme", "@acme-hr@example"] {
        assert!(
            !out.stdout.contains(raw),
            "{raw:?} reached the comment:\n{}",
            out.stdout
        );
    }
}

/// What a hostile party writes to steer a CI log: a newline then a
/// workflow command, the legacy form, a terminal escape, a C1 control.
const LOG_INJECTION: &str = "x\n::error::pwned ##[error]legacy \u{1b}[2J\u{1b}]0;t\u{7} \u{9b}31m";

/// Assert that no line of a run could command the runner or the terminal:
/// none starts with `::` (after whitespace) and has `::` again, as the
/// runner reads a command, but hrform's own annotations
/// (`own`: `--format github`), none holds `##[`, and no control character
/// but newline and tab is left.
#[track_caller]
fn log_safe(what: &str, out: &crate::common::Output, own: bool) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        for line in text.lines() {
            let start = line.trim_start();
            let ours = own
                && (start.starts_with("::error file=")
                    || start.starts_with("::error title=")
                    || start.starts_with("::warning file=")
                    || start.starts_with("::warning title=")
                    || start.starts_with("::stop-commands::")
                    || (start.len() == 36
                        && start.ends_with("::")
                        && start[2..34].bytes().all(|b| b.is_ascii_hexdigit())));
            assert!(
                ours || !(start.starts_with("::") && start[2..].contains("::")),
                "{what}: {stream} line starts a workflow command: {line:?}"
            );
            assert!(
                !line.contains("##["),
                "{what}: {stream} legacy command: {line:?}"
            );
            assert!(
                !line.chars().any(|c| c != '\t' && c.is_control()),
                "{what}: {stream} raw control character: {line:?}"
            );
        }
    }
}

/// Issue 19, item 4: a file name, HR data and an API error message built to
/// inject workflow commands or terminal escapes reach no CI log raw, from
/// any command (validate, plan, apply, fmt, export) in text and in the
/// github format.
#[test]
fn nothing_reaches_a_ci_log_raw_from_any_command() {
    // A file name with the payload, holding a syntax error.
    let name = format!("{LOG_INJECTION}.yaml");
    let t = Test::new()
        .file(&name, "settings:\n  bogus: [1\n")
        .env("GITHUB_ACTIONS", "false");
    for args in [
        &["validate"][..],
        &["validate", "--format", "github"],
        &["validate", "--format", "json"],
        &["plan"],
        &["plan", "--format", "github"],
        &["apply", "--yes"],
        &["apply", "--yes", "--format", "github"],
        &["fmt", "--check"],
        &["fmt", "--check", "--format", "github"],
        &["export", "--provider", "x", "--out", "-"],
    ] {
        let out = t.run_with(args);
        assert_ne!(out.code, 0, "{args:?}");
        log_safe(
            &format!("file name, {args:?}"),
            &out,
            args.contains(&"github"),
        );
    }

    // HR data: a person's email and name with the payload, reported as
    // unmanaged by plan and apply, and exported.
    // YAML allows no raw C1 control: the seed writes it escaped.
    let yaml = |s: String| {
        serde_json::to_string(&s)
            .unwrap()
            .replace('\u{9b}', "\\u009b")
    };
    let seed = include_str!("../../fixtures/plan/seed.yaml").replace(
        "    - { email: zed@example.com, name: Zed Stray }\n",
        &format!(
            "    - {{ email: zed@example.com, name: Zed Stray }}\n    - {{ email: {}, name: {} }}\n",
            yaml(format!("{LOG_INJECTION}@example.com")),
            yaml(format!("::set-output name=x::{LOG_INJECTION}"))
        ),
    );
    let t = Test::new().sandbox(&seed).env("GITHUB_ACTIONS", "false");
    let manifest = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\nusers:\n  - {{ email: ada@example.com, status: active }}\nsettings:\n  unmanaged_users: report\n",
        t.sandbox_url()
    );
    let t = t.file("hrform.yaml", &manifest);
    for args in [
        &["plan"][..],
        &["plan", "--output", "json"],
        &["plan", "--output", "markdown"],
        &["apply", "--yes"],
        &["export", "--provider", "clockify", "--out", "-"],
        &["fmt", "--check"],
    ] {
        let out = t.run_with(args);
        log_safe(&format!("HR data, {args:?}"), &out, false);
    }

    // An API error message with the payload, for every call.
    let message = serde_json::to_string(&serde_json::json!({ "message": LOG_INJECTION })).unwrap();
    let server = Loopback::start(move |_| response("400 Bad Request", &[], &message));
    let t = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at(&format!("http://127.0.0.1:{}/api", server.port)),
        )
        .env("CLOCKIFY_API_KEY", KEY)
        .env("GITHUB_ACTIONS", "false");
    for args in [
        &["plan"][..],
        &["apply", "--yes"],
        &["export", "--provider", "clockify", "--out", "-"],
    ] {
        let out = t.run_with(args);
        assert_ne!(out.code, 0, "{args:?}");
        assert!(out.stderr.contains("pwned"), "{args:?}: {}", out.stderr);
        log_safe(&format!("API error, {args:?}"), &out, false);
    }
}
