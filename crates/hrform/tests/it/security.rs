//! Trust boundaries (issue 11): each test plays one attack for real, by a
//! pull request (manifests and files beside them) or by an HR system (the
//! data and errors it returns), and asserts that the key, the file's
//! contents and the injected text never appear, and what the user is told
//! instead.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::Test;

/// A key no output may ever show.
const KEY: &str = "k3y-that-must-never-leak-5f0c";

/// One request a [`Loopback`] server received: its request line, headers
/// and body, as raw text.
#[derive(Debug, Clone)]
struct Received {
    line: String,
    raw: String,
}

/// A tiny HTTP/1.1 server on 127.0.0.1 that answers every request with
/// what `answer` returns for its request line, and records everything it
/// receives (connections included).
struct Loopback {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<Mutex<usize>>,
}

impl Loopback {
    fn start(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("addr").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let answer = Arc::new(answer);
        {
            let received = Arc::clone(&received);
            let connections = Arc::clone(&connections);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    let Ok(stream) = stream else { continue };
                    *connections.lock().unwrap() += 1;
                    let received = Arc::clone(&received);
                    let answer = Arc::clone(&answer);
                    std::thread::spawn(move || serve(stream, &received, &*answer));
                }
            });
        }
        Self {
            port,
            received,
            connections,
        }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }
}

/// Serve requests on one keep-alive connection until the client closes it.
fn serve(
    stream: std::net::TcpStream,
    received: &Mutex<Vec<Received>>,
    answer: &(dyn Fn(&str) -> String + Send + Sync),
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut writer = stream.try_clone().expect("clone stream");
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut raw = line.clone();
        let mut length = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            raw.push_str(&header);
            if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if header == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        raw.push_str(&String::from_utf8_lossy(&body));
        let line = line.trim_end().to_owned();
        let response = answer(&line);
        received.lock().unwrap().push(Received { line, raw });
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

/// An HTTP/1.1 response with a JSON body.
fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        s.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        s.push_str("content-type: application/json\r\n");
    }
    s.push_str("\r\n");
    s.push_str(body);
    s
}

/// A Clockify provider at `base_url` whose key is in `CLOCKIFY_API_KEY`,
/// with one declared user.
fn clockify_at(base_url: &str) -> String {
    format!(
        "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
    base_url: {base_url}
users:
  - {{ email: ada@example.com, status: active }}
"
    )
}

/// Assert that nothing a run printed holds `needle`.
#[track_caller]
fn never_shown(out: &crate::common::Output, needle: &str) {
    assert!(
        !out.stdout.contains(needle) && !out.stderr.contains(needle),
        "{needle:?} was shown\n--- stdout\n{}\n--- stderr\n{}",
        out.stdout,
        out.stderr
    );
}

/// A server that answers every call with a 301/302/303/307/308 to a second
/// origin gets nothing sent there: no redirect is followed, the key and the
/// body stay home, and the user is told the call, the status and the
/// origin the redirect named (never the key, nor the Location's path).
#[test]
fn redirects_are_never_followed() {
    let thief = Loopback::start(|_| response("200 OK", &[], "[]"));
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let location = format!("{}/steal?from=hrform", thief.origin());
        let redirector =
            Loopback::start(move |_| response(status, &[("location", location.as_str())], ""));
        let t = Test::new()
            .file(
                "hrform.yaml",
                &clockify_at(&format!("{}/api", redirector.origin())),
            )
            .env("CLOCKIFY_API_KEY", KEY)
            .args(&["plan"]);
        let out = t.run();
        out.code(1);
        let code = &status[..3];
        assert!(
            out.stderr.contains(&format!(
                "GET /v1/user failed: HTTP {code}: a redirect to {}, which hrform never follows",
                thief.origin()
            )),
            "{status}: {}",
            out.stderr
        );
        never_shown(&out, KEY);
        never_shown(&out, "steal");
        assert!(
            !redirector.received().is_empty(),
            "{status}: the first origin was asked"
        );
        assert_eq!(
            thief.connections(),
            0,
            "{status}: the redirect was followed"
        );
    }
}

/// A connection refused (nothing listens) is tried twice, not for minutes.
#[test]
fn refused_connections_are_not_retried_for_minutes() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let t = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at(&format!("http://127.0.0.1:{port}/api")),
        )
        .env("CLOCKIFY_API_KEY", KEY)
        .args(&["plan", "-vv"]);
    let out = t.run();
    out.code(1);
    assert!(out.stderr.contains("could not connect"), "{}", out.stderr);
    // Counted, not timed: the parallel reads (user, users, policies) are
    // each retried once, then given up.
    let retries = out.stderr.matches("retrying").count();
    assert!(
        (1..=3).contains(&retries),
        "{retries} retries:\n{}",
        out.stderr
    );
    never_shown(&out, KEY);
}

/// A TLS handshake that fails (here: https to a server that speaks plain
/// HTTP) is a permanent failure: one attempt per call, no backoff.
#[test]
fn tls_failures_are_not_retried() {
    let server = Loopback::start(|_| response("400 Bad Request", &[], ""));
    let t = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at(&format!("https://127.0.0.1:{}/api", server.port)),
        )
        .env("CLOCKIFY_API_KEY", KEY)
        .args(&["plan"]);
    let out = t.run();
    out.code(1);
    // The plan reads users and policies in parallel: whichever fails first
    // is the one reported, so the test names no particular call.
    assert!(
        out.stderr.contains("error: GET /v1/") && out.stderr.contains(" failed: could not connect"),
        "{}",
        out.stderr
    );
    // One connection each.
    assert!(
        server.connections() <= 2,
        "{} connections",
        server.connections()
    );
    never_shown(&out, KEY);
}

/// `api_key_env: GITHUB_TOKEN` (the CI token, from a pull request) is
/// refused offline: `plan` connects nowhere and the token never shows.
#[test]
fn manifest_cannot_send_another_variable_as_the_key() {
    let collector = Loopback::start(|_| response("200 OK", &[], "{}"));
    let manifest = clockify_at(&format!("{}/api", collector.origin())).replace(
        "    base_url:",
        "    api_key_env: GITHUB_TOKEN\n    base_url:",
    );
    let t = Test::new()
        .file("hrform.yaml", &manifest)
        .env("GITHUB_TOKEN", KEY)
        .env("CLOCKIFY_API_KEY", "unused");
    for command in ["validate", "plan"] {
        let out = t.run_with(&[command]);
        out.code(1);
        assert!(
            out.stderr.contains("error[key-variable-not-allowed]")
                && out.stderr.contains("--> hrform.yaml:5:18"),
            "{command}: {}",
            out.stderr
        );
        never_shown(&out, KEY);
    }
    assert_eq!(collector.connections(), 0, "plan connected");
}

/// A `base_url` on a host of the author's choosing is refused offline with
/// its own code, located; whoever runs hrform can allow a host in
/// `HRFORM_ALLOWED_HOSTS` (exactly that host: not a suffix of it).
#[test]
fn base_url_must_be_a_vendor_host_or_allowed_by_the_runner() {
    let t = Test::new().file(
        "hrform.yaml",
        &clockify_at("https://hr-proxy.corp.example/api"),
    );
    let out = t.run_with(&["validate"]);
    out.code(1);
    assert!(
        out.stderr
            .contains("error[host-not-allowed]: `hr-proxy.corp.example`")
            && out.stderr.contains("--> hrform.yaml:5:15"),
        "{}",
        out.stderr
    );
    let allowed = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at("https://hr-proxy.corp.example/api"),
        )
        .env(
            "HRFORM_ALLOWED_HOSTS",
            "other.example, hr-proxy.corp.example",
        );
    allowed.run_with(&["validate"]).code(0);
    let suffix = Test::new()
        .file(
            "hrform.yaml",
            &clockify_at("https://evil.hr-proxy.corp.example/api"),
        )
        .env("HRFORM_ALLOWED_HOSTS", "hr-proxy.corp.example");
    suffix.run_with(&["validate"]).code(1);
}

/// Symlinks in the configuration directory that lead out of it (to a file
/// holding a secret, to a directory of manifests), or that loop, are
/// refused by name; their targets are never read, and the rest of the tree
/// is still read and reported. A link to a manifest inside the tree is read.
#[test]
fn symlinks_never_lead_out_of_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials.yaml");
    std::fs::write(&secret, format!("aws_secret_access_key: {KEY}\nbogus: [\n")).unwrap();
    std::fs::create_dir(outside.path().join("more")).unwrap();
    std::fs::write(
        outside.path().join("more/users.yaml"),
        format!("users:\n  - {{ email: {KEY}@example.com }}\n"),
    )
    .unwrap();
    let t = Test::new()
        .file("providers.yaml", "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n")
        .file("real/users.yaml", "users:\n  - { email: ada@example.com, status: retired }\n");
    let dir = t.path();
    std::os::unix::fs::symlink(&secret, dir.join("creds.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("more"), dir.join("team")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-b.yaml"), dir.join("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.join("loop-a.yaml"), dir.join("loop-b.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.join("real"), dir.join("again")).unwrap();
    std::os::unix::fs::symlink(dir.join("real/users.yaml"), dir.join("inside.yaml")).unwrap();
    let out = t.run_with(&["validate"]);
    out.code(1);
    for (link, why) in [
        (
            "creds.yaml",
            "is a symlink to a file outside the configuration directory",
        ),
        (
            "team",
            "is a symlink to a directory outside the configuration directory",
        ),
        ("loop-a.yaml", "is a symlink that loops"),
        ("loop-b.yaml", "is a symlink that loops"),
    ] {
        assert!(
            out.stderr
                .contains(&format!("error[symlink-outside-tree]: {link} {why}"))
                && out.stderr.contains(&format!("--> {link}:1:1")),
            "{link}: {}",
            out.stderr
        );
    }
    never_shown(&out, KEY);
    never_shown(&out, "aws_secret_access_key");
    never_shown(&out, &outside.path().display().to_string());
    // The rest of the tree is read: the mistake in real/users.yaml, once
    // where it is, and once more through the link to it inside the tree;
    // the linked directory inside the tree is not descended.
    assert!(
        out.stderr.contains("--> real/users.yaml:2:"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--> inside.yaml:2:"), "{}", out.stderr);
    assert!(!out.stderr.contains("again/"), "{}", out.stderr);
}

/// A secret written into a manifest never shows in any diagnostic: not in
/// a flow mapping where a second error prints the same line, not under
/// `key:` or `auth:` in a provider, not in a file that does not parse, and
/// the secret-in-manifest error points at the key's own column.
#[test]
fn secrets_in_manifests_are_masked_in_every_snippet() {
    let t = Test::new()
        .file(
            "providers.yaml",
            &format!(
                "\
providers:
  clockify: {{type: clockify, api_key: {KEY}, bogus: 1, workspace_id: 64a687e29ae1f428e7ebe303}}
  field:
    type: connecteam
    key: {KEY}
    auth:
      user: hr-bot
      pass: {KEY}
    api_key_env: {{ {KEY}: 1 }}
"
            ),
        )
        .file(
            "broken.yaml",
            &format!("users: [{{email: a@example.com, token: {KEY}, ]\n"),
        );
    let out = t.run_with(&["validate"]);
    out.code(1);
    never_shown(&out, KEY);
    let stderr = &out.stderr;
    for (code, at) in [
        ("secret-in-manifest", "providers.yaml:2:30"),
        ("unknown-key", "providers.yaml:2:"),
        ("secret-in-manifest", "providers.yaml:5:5"),
        ("secret-in-manifest", "providers.yaml:6:5"),
        ("yaml-syntax", "broken.yaml:1:"),
    ] {
        let found = stderr
            .split("\n\n")
            .any(|d| d.starts_with(&format!("error[{code}]")) && d.contains(&format!("--> {at}")));
        assert!(found, "{code} at {at}\n{stderr}");
    }
    assert!(
        stderr.contains("api_key: *****************************, bogus: 1"),
        "{stderr}"
    );
}

/// A request id from the API holding `../` (here: one that would climb to
/// the users endpoint) is percent-encoded into one path segment: apply's
/// PUT goes to that request, never to another endpoint.
#[test]
fn ids_from_the_api_never_leave_their_path_segment() {
    const ID: &str = "../../../users/v1/users";
    let seed = format!(
        "{}\n  requests:\n    - {{ id: '{ID}', user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-03, timezone: Europe/Dublin, manager_note: '[hrform:R-2]' }}\n",
        include_str!("../fixtures/plan/seed.yaml").trim_end()
    );
    let t = Test::new().sandbox(&seed);
    let providers = format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {}\n",
        t.sandbox_url()
    );
    let t = t.file("providers.yaml", &providers).file(
        "hr.yaml",
        "\
users:
  - { email: kim@example.com, provider: field, time_off: [{ policy: Vacation - Full-time }] }
time_off_requests:
  - { key: R-2, provider: field, user: kim@example.com, policy_type: Vacation, start_date: 2026-04-01, end_date: 2026-04-04, timezone: Europe/Dublin }
",
    );
    let out = t.run_with(&["apply", "--yes", "-q"]);
    out.code(0);
    let writes: Vec<(String, String)> = t
        .sandbox_log()
        .iter()
        .filter(|e| e["method"] != "GET")
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_owned(),
                e["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        writes,
        vec![(
            "PUT".to_owned(),
            "/time-off/v1/requests/..%2F..%2F..%2Fusers%2Fv1%2Fusers".to_owned()
        )]
    );
    let state = t.sandbox_state();
    let request = state["connecteam"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == ID)
        .expect("the request is still there")
        .clone();
    assert_eq!(request["end_date"], "2026-04-04", "{request}");
}

/// Data an HR system returns, with terminal escapes (clear screen, set the
/// window title) and Markdown (a heading, a link, a mention, a fence).
const EVIL_EMAIL: &str =
    "x\u{1b}[2J\u{1b}]0;owned\u{7}\n## Approved by @acme/hr [click](https://e.vil) ```@example.com";

/// The plan tests' world plus one Clockify person whose email carries
/// `EVIL_EMAIL`, reported as unmanaged.
fn evil_world() -> Test {
    let seed = include_str!("../fixtures/plan/seed.yaml").replace(
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

/// Writes the sandbox received (every method but GET).
fn writes(t: &Test) -> usize {
    t.sandbox_log()
        .iter()
        .filter(|e| e["method"] != "GET")
        .count()
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

use crate::hostile::{
    Answer, Hostile, WS, ck_policy, ck_user, clockify, clockify_test, connecteam, connecteam_test,
    ct_user, last_page, ok,
};

/// One Clockify person `live` (inactive) in a sandbox, and manifests
/// declaring `kim@example.com` active.
fn spoof_world(live: &str) -> Test {
    let seed = format!(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: {WS}\n  key_owner: owner@example.com\n  users:\n    - {{ email: owner@example.com }}\n    - {{ email: {}, status: inactive }}\n",
        serde_json::to_string(live).unwrap()
    );
    let t = Test::new().sandbox(&seed);
    let providers = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: {WS}\n    base_url: {}/api\n    requests_per_second: 50\n",
        t.sandbox_url()
    );
    t.file("providers.yaml", &providers).file(
        "users.yaml",
        "users:\n  - { email: kim@example.com, status: active }\n",
    )
}

/// A live account whose email only looks like the declared
/// `kim@example.com` (Kelvin sign, Cyrillic letters, full-width letters, a
/// zero-width joiner, a soft hyphen, a right-to-left override, a dotless
/// i) is not that person: plan is a located `confusable-identity` error
/// naming both addresses escaped, and apply makes no call.
#[test]
fn lookalike_live_email_is_a_confusable_identity_error_before_any_write() {
    for (live, shown) in [
        ("\u{212a}im@example.com", "\\u{212a}im@example.com"),
        (
            "k\u{0456}m@\u{0435}xample.com",
            "k\\u{456}m@\\u{435}xample.com",
        ),
        ("\u{ff4b}im@example.com", "\\u{ff4b}im@example.com"),
        ("k\u{200d}im@example.com", "k\\u{200d}im@example.com"),
        ("ki\u{00ad}m@example.com", "ki\\u{ad}m@example.com"),
        ("\u{202e}kim@example.com", "\\u{202e}kim@example.com"),
        ("k\u{0131}m@example.com", "k\\u{131}m@example.com"),
    ] {
        let t = spoof_world(live);
        let out = t.run_with(&["plan"]);
        out.code(1).stderr_has(&[
            "error[confusable-identity]",
            shown,
            "`kim@example.com`",
            "users.yaml:2:",
        ]);
        for c in ['\u{200d}', '\u{ad}', '\u{202e}'] {
            assert!(!out.stderr.contains(c), "{c:?} shown raw:\n{}", out.stderr);
        }
        // apply plans the same way: once is enough to show it writes nothing.
        if live.starts_with('\u{212a}') {
            let out = t.run_with(&["apply", "--yes"]);
            out.code(1).stderr_has(&["error[confusable-identity]"]);
            assert_eq!(writes(&t), 0, "{live:?}: apply wrote");
        }
    }
    // ASCII case is the one folding: `KIM@EXAMPLE.COM` is kim.
    let t = spoof_world("KIM@EXAMPLE.COM");
    let out = t.run_with(&["plan"]);
    out.code(0);
    assert!(!out.stderr.contains("confusable"), "{}", out.stderr);
}

/// A `Retry-After` and `x-ratelimit-minute-reset` of 2^64 and 2^63 on a
/// throttled read do not panic plan: the wait is clamped and the read
/// retried.
#[test]
fn huge_rate_limit_headers_during_plan_do_not_panic() {
    let hits = std::sync::atomic::AtomicUsize::new(0);
    let server = clockify(
        move |_| {
            if hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
                Answer::Json(
                    429,
                    vec![
                        ("retry-after", "18446744073709551616".into()),
                        ("x-ratelimit-minute-remaining", "0".into()),
                        ("x-ratelimit-minute-reset", "9223372036854775808".into()),
                    ],
                    r#"{"message":"slow down"}"#.into(),
                )
            } else {
                last_page(serde_json::json!([ck_user(
                    "u1",
                    "ada@example.com",
                    "ACTIVE"
                )]))
            }
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.001");
    let out = t.run_with(&["plan"]);
    out.code(0);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// The answer to a write that took effect carries rate-limit headers past
/// any clock: apply does not panic, and the journal records the write.
#[test]
fn huge_rate_limit_headers_after_a_write_keep_it_in_the_journal() {
    let server = Hostile::start(|r| {
        let ws = format!("/api/v1/workspaces/{WS}");
        let huge = vec![
            ("retry-after", "18446744073709551616".to_owned()),
            ("x-ratelimit-minute-remaining", "0".to_owned()),
            (
                "x-ratelimit-minute-reset",
                "18446744073709551615".to_owned(),
            ),
        ];
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/api/v1/user") => ok(serde_json::json!({"id": "owner"})),
            ("GET", p) if p == format!("{ws}/users") => last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "INACTIVE"
            )])),
            ("GET", p) if p == format!("{ws}/time-off/policies") => {
                last_page(serde_json::json!([ck_policy("p1", "Vacation")]))
            }
            ("PUT", p) if p == format!("{ws}/users/u1") => Answer::Json(
                200,
                huge,
                ck_user("u1", "ada@example.com", "ACTIVE").to_string(),
            ),
            _ => Answer::Json(404, Vec::new(), r#"{"message":"no such path"}"#.into()),
        }
    });
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.001");
    let out = t.run_with(&["apply", "--yes"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.code(0);
    let journal = std::fs::read_to_string(t.path().join(".hrform/journal.jsonl")).unwrap();
    let applied: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|l: &serde_json::Value| l["method"] == "PUT")
        .collect();
    assert_eq!(applied.len(), 1, "{journal}");
    assert_eq!(applied[0]["outcome"], "applied", "{journal}");
}

/// A server error message quoting the API key is shown with the key
/// masked, on the terminal and in every format.
#[test]
fn api_error_quoting_the_key_is_printed_masked() {
    let server = clockify(
        |_| {
            Answer::Json(
                403,
                Vec::new(),
                format!(r#"{{"message":"key {KEY} may not read users"}}"#),
            )
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("CLOCKIFY_API_KEY", KEY);
    for format in ["text", "json", "github"] {
        let out = t.run_with(&["plan", "--format", format]);
        assert_ne!(out.code, 0);
        never_shown(&out, KEY);
        assert!(
            out.stderr.contains("key ******** may not read users")
                || out.stdout.contains("key ******** may not read users"),
            "{format}: {}{}",
            out.stdout,
            out.stderr
        );
    }
}

/// An amount too small for a float (`1e-400`) is refused like one with
/// too many places, not read as 0.
#[test]
fn underflowing_amount_is_an_invalid_balance() {
    let t = Test::new().file(
        "hrform.yaml",
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\npolicies:\n  clockify:\n    Vacation: { has_expiration: false }\nusers:\n  - email: ada@example.com\n    time_off:\n      - { policy: Vacation, balance: 1e-400, unit: days }\n      - { policy: Vacation, allowance: 1e-7, unit: days }\n",
    );
    t.run_with(&["validate"]).code(1).stderr_has(&[
        "error[invalid-balance]",
        "`1e-400` is too small to tell from 0",
        "hrform.yaml:11:",
        "hrform.yaml:12:",
    ]);
}

/// An `@` after a non-ASCII letter (`é@team`), or any character but an
/// ASCII letter or digit, mentions nobody in the PR comment.
#[test]
fn at_sign_after_a_non_ascii_letter_mentions_nobody() {
    let seed = include_str!("../fixtures/plan/seed.yaml").replace(
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

/// One list that never ends, a page at a time, stops at the list's
/// deadline (shortened by the backoff scale), not after 1,000 pages.
#[test]
fn endless_slow_list_stops_at_the_list_deadline() {
    let server = connecteam(|r| {
        let offset: i64 = r.param("offset").and_then(|o| o.parse().ok()).unwrap_or(0);
        std::thread::sleep(Duration::from_millis(40));
        let users: Vec<_> = (0..500)
            .map(|i| {
                ct_user(
                    offset + i + 1,
                    &format!("u{}@example.com", offset + i),
                    false,
                )
            })
            .collect();
        ok(serde_json::json!({"data": {"users": users}}))
    });
    let t = connecteam_test(&server, "  - { email: u1@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.001");
    let out = t.run_with(&["plan"]);
    out.code(1)
        .stderr_has(&["the list did not end within its deadline of 1.2s"]);
    assert!(server.hits() < 200, "{} requests", server.hits());
}

/// A users list past 200,000 people stops at the bound with a clear
/// error, reading no page after it.
#[test]
fn people_past_the_bound_stop_the_read() {
    let server = clockify(
        |r| {
            let page: usize = r.param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            let size: usize = r
                .param("page-size")
                .and_then(|p| p.parse().ok())
                .unwrap_or(50);
            let mut body = String::with_capacity(size * 160);
            body.push('[');
            for i in 0..size {
                if i > 0 {
                    body.push(',');
                }
                let n = (page - 1) * size + i;
                body.push_str(&format!(
                    r#"{{"id":"u{n}","email":"p{n}@example.com","name":"P","memberships":[{{"targetId":"{WS}","membershipType":"WORKSPACE","membershipStatus":"ACTIVE"}}]}}"#
                ));
            }
            body.push(']');
            Answer::Json(200, vec![("last-page", "false".into())], body)
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: p1@example.com, status: active }\n");
    let out = t.run_with(&["plan"]);
    out.code(1)
        .stderr_has(&["more than 200000 items (hrform's bound per list"]);
    assert!(server.hits() < 50, "{} requests", server.hits());
}

/// Clockify refusing the users page size with 400 "Page size cannot be
/// larger than N" is asked again, once, at N: plan succeeds.
#[test]
fn clockify_page_size_refusal_is_retried_at_the_size_it_names() {
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&sizes);
    let server = clockify(
        move |r| {
            let size = r.param("page-size").unwrap_or_default();
            seen.lock().unwrap().push(size.clone());
            if size != "50" {
                return Answer::Json(
                    400,
                    Vec::new(),
                    r#"{"message":"Page size cannot be larger than 50","code":501}"#.into(),
                );
            }
            last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "ACTIVE"
            )]))
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"]).code(0);
    let sizes = sizes.lock().unwrap().clone();
    assert_eq!(sizes.len(), 2, "{sizes:?}");
    assert_eq!(sizes[1], "50");

    // Named again at the smaller size: not retried a second time.
    let server = clockify(
        |_| {
            Answer::Json(
                400,
                Vec::new(),
                r#"{"message":"Page size cannot be larger than 1"}"#.into(),
            )
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["Page size cannot be larger than 1"]);
}

/// The sandbox answers `PUT /time-off/v1/requests/{id}` of a request with
/// no time clock without `timeClockId`, as its GET does.
#[test]
fn sandbox_request_update_without_time_clock_omits_time_clock_id() {
    let seed = format!(
        "{}\n  requests:\n    - {{ user: kim@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-06, all_day: true, timezone: Europe/Dublin, status: approved }}\n",
        include_str!("../fixtures/plan/seed.yaml").trim_end()
    );
    let t = Test::new().sandbox(&seed);
    let base = t.sandbox_url();
    let key = crate::common::CONNECTEAM_KEY;
    let (listed, updated) = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = reqwest::Client::new();
        let listed: serde_json::Value = client
            .get(format!(
                "{base}/time-off/v1/requests?startDate=2026-01-01&endDate=2026-12-31"
            ))
            .header("X-API-KEY", key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = listed["data"]["requests"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let updated: serde_json::Value = client
            .put(format!("{base}/time-off/v1/requests/{id}"))
            .header("X-API-KEY", key)
            .json(&serde_json::json!({"managerNote": "checked"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (listed, updated)
    });
    let request = &listed["data"]["requests"][0];
    assert!(request.get("timeClockId").is_none(), "{listed}");
    assert_eq!(updated["data"]["managerNote"], "checked", "{updated}");
    assert!(updated["data"].get("timeClockId").is_none(), "{updated}");
}

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

/// Issue 19, item 5: manifests built to make the YAML parser slow (deep
/// flow or block nesting, `? ` and `- ` chains, more than the size limit)
/// are refused with a located error by validate and fmt alike; long
/// scalars, unclosed quotes, many keys and aliases end in bounded errors
/// or are read (the parser's own budget).
#[test]
fn pathological_manifests_are_refused_with_a_located_error() {
    let deep_block: String = (0..200).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "flow-map",
            "a: ".to_owned() + &"{a: ".repeat(200_000),
            "bad.yaml:1:132",
        ),
        ("flow-seq", "[".repeat(500_000), "bad.yaml:1:33"),
        ("block", deep_block, "bad.yaml:33:33"),
        ("keys", "? ".repeat(100_000), "bad.yaml:1:1"),
        ("dashes", "- ".repeat(100_000), "bad.yaml:1:1"),
        (
            "huge",
            format!("users: []\n# {}\n", "x".repeat(5 * 1024 * 1024)),
            "bad.yaml:1:1",
        ),
    ];
    for (name, text, at) in &cases {
        let t = Test::new().file("bad.yaml", text);
        for cmd in ["validate", "fmt"] {
            let out = t.run_with(&[cmd, "--color", "never"]);
            out.code(1);
            assert!(
                out.stderr.contains("refused:") && out.stderr.contains(at),
                "{name} {cmd}: {}",
                &out.stderr[..out.stderr.len().min(2000)]
            );
        }
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
    let seed = include_str!("../fixtures/plan/seed.yaml").replace(
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
