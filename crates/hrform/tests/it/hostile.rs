//! A hostile server: a loopback HTTP/1.1 server whose every answer a test
//! chooses (endless pages, a repeated page, a count of 10^15, an endless
//! body, no answer at all, duplicate records), for the bounds and checks
//! that no well-behaved emulator exercises. The real `hrform` binary talks
//! to it over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::common::Test;

/// What the server does with one request.
pub enum Answer {
    /// A status, extra headers and a JSON body.
    Json(u16, Vec<(&'static str, String)>, String),
    /// 200 with a chunked body that never ends.
    Endless,
    /// Read the request and never answer.
    Silent,
}

/// A request as the server saw it.
pub struct Seen {
    pub method: String,
    /// The path, without the query.
    pub path: String,
    pub query: String,
}

impl Seen {
    /// The value of query parameter `name`, if present.
    pub fn param(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(self.query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

pub struct Hostile {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
}

impl Hostile {
    /// Start the server on 127.0.0.1 in a thread of its own.
    pub fn start(handler: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let handler = Arc::new(handler);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        continue;
                    };
                    let handler = Arc::clone(&handler);
                    let counter = Arc::clone(&counter);
                    tokio::spawn(async move {
                        let _ = serve(socket, handler.as_ref(), &counter).await;
                    });
                }
            });
        });
        Self { url, hits }
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed)
    }
}

async fn serve(
    mut socket: tokio::net::TcpStream,
    handler: &(dyn Fn(&Seen) -> Answer + Send + Sync),
    counter: &AtomicUsize,
) -> std::io::Result<()> {
    loop {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if socket.read(&mut byte).await? == 0 {
                return Ok(());
            }
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).into_owned();
        let length: usize = text
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0u8; length];
        socket.read_exact(&mut body).await?;
        let mut parts = text.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let target = parts.next().unwrap_or_default();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let seen = Seen {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        match handler(&seen) {
            Answer::Json(status, headers, body) => {
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                socket.write_all(out.as_bytes()).await?;
            }
            Answer::Endless => {
                socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
                    )
                    .await?;
                let chunk = format!("{:x}\r\n{}\r\n", 65536, " ".repeat(65536));
                loop {
                    socket.write_all(chunk.as_bytes()).await?;
                }
            }
            Answer::Silent => {
                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                return Ok(());
            }
        }
    }
}

pub const WS: &str = "64a687e29ae1f428e7ebe303";

/// A JSON 200.
pub fn ok(body: serde_json::Value) -> Answer {
    Answer::Json(200, Vec::new(), body.to_string())
}

/// A Clockify user of the workspace.
pub fn ck_user(id: &str, email: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "email": email, "name": email,
        "memberships": [{"targetId": WS, "membershipType": "WORKSPACE", "membershipStatus": status}],
    })
}

/// A Clockify policy.
pub fn ck_policy(id: &str, name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "name": name, "timeUnit": "DAYS", "archived": false,
        "userIds": [], "everyoneIncludingNew": false,
    })
}

/// A Clockify API: `/v1/user` is `owner`; users, policies and balance
/// pages are what `users`, `policies` and `balances` answer (each gets the
/// request); anything else is a 404.
pub fn clockify(
    users: impl Fn(&Seen) -> Answer + Send + Sync + 'static,
    policies: impl Fn(&Seen) -> Answer + Send + Sync + 'static,
    balances: impl Fn(&Seen) -> Answer + Send + Sync + 'static,
) -> Hostile {
    let ws = format!("/api/v1/workspaces/{WS}");
    Hostile::start(move |r| {
        let p = r.path.as_str();
        if p == "/api/v1/user" {
            ok(serde_json::json!({"id": "owner"}))
        } else if p == format!("{ws}/users") {
            users(r)
        } else if p == format!("{ws}/time-off/policies") {
            policies(r)
        } else if p.starts_with(&format!("{ws}/time-off/balance/policy/"))
            || p.starts_with(&format!("{ws}/time-off/balance/user/"))
        {
            balances(r)
        } else {
            Answer::Json(404, Vec::new(), r#"{"message":"no such path"}"#.into())
        }
    })
}

/// A one-page answer: `items` with `Last-Page: true`.
pub fn last_page(items: serde_json::Value) -> Answer {
    Answer::Json(200, vec![("last-page", "true".into())], items.to_string())
}

/// A Test whose manifests point a Clockify provider at `server` and declare
/// `users` (YAML list items).
pub fn clockify_test(server: &Hostile, users: &str) -> Test {
    Test::new()
        .env("CLOCKIFY_API_KEY", "hostile-key")
        .file(
            "providers.yaml",
            &format!(
                "providers:\n  clockify:\n    type: clockify\n    workspace_id: {WS}\n    base_url: {}/api\n    requests_per_second: 50\npolicies:\n  clockify:\n    Vacation: {{ has_expiration: false }}\n",
                server.url
            ),
        )
        .file("users.yaml", &format!("users:\n{users}"))
}

/// A Test whose manifests point a Connecteam provider at `server`.
pub fn connecteam_test(server: &Hostile, users: &str) -> Test {
    Test::new()
        .env("CONNECTEAM_API_KEY", "hostile-key")
        .file(
            "providers.yaml",
            &format!(
                "providers:\n  field:\n    type: connecteam\n    base_url: {}\n    requests_per_minute: 200\n",
                server.url
            ),
        )
        .file("users.yaml", &format!("users:\n{users}"))
}

/// A Connecteam user.
pub fn ct_user(id: i64, email: &str, archived: bool) -> serde_json::Value {
    serde_json::json!({
        "userId": id, "firstName": "A", "lastName": "B", "email": email,
        "userType": "user", "isArchived": archived,
    })
}

/// A Connecteam API with no policy types and `users` answering the users
/// list.
pub fn connecteam(users: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Hostile {
    Hostile::start(move |r| match r.path.as_str() {
        "/time-off/v1/policy-types" => ok(serde_json::json!({"data": {"policyTypes": []}})),
        "/users/v1/users" => users(r),
        _ => Answer::Json(404, Vec::new(), r#"{"detail":"no such path"}"#.into()),
    })
}

// ---------------------------------------------------------------------------
// Item 9: server-driven work is bounded.

/// A Clockify list that always says `Last-Page: false` and answers every
/// `page` with the same page stops at the second page: no progress.
#[test]
fn clockify_repeated_page_is_no_progress() {
    let server = clockify(
        |_| {
            Answer::Json(
                200,
                vec![("last-page", "false".into())],
                serde_json::json!([ck_user("u1", "ada@example.com", "ACTIVE")]).to_string(),
            )
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["page 2 repeats page 1", "/users"]);
    assert!(server.hits() < 10, "{} requests", server.hits());
}

/// A Connecteam list that ignores `offset` (every page the same full page)
/// stops at the second page.
#[test]
fn connecteam_ignored_offset_is_no_progress() {
    let users: Vec<serde_json::Value> = (1..=500)
        .map(|i| ct_user(i, &format!("u{i}@example.com"), false))
        .collect();
    let page = serde_json::json!({"data": {"users": users}}).to_string();
    let server = connecteam(move |_| Answer::Json(200, Vec::new(), page.clone()));
    let t = connecteam_test(&server, "  - { email: u1@example.com, status: active }\n");
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["page 2 repeats page 1", "offset=500"]);
    assert!(server.hits() < 10, "{} requests", server.hits());
}

/// A Clockify balance `count` of 10^15 is refused after the first page:
/// no fan-out of pages from it.
#[test]
fn clockify_huge_balance_count_is_refused_without_fan_out() {
    let server = clockify(
        |_| {
            last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "ACTIVE"
            )]))
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| {
            Answer::Json(
                200,
                vec![("last-page", "false".into())],
                serde_json::json!({"count": 1_000_000_000_000_000u64, "balances": [{"userId": "u1", "balance": 1.0}]})
                    .to_string(),
            )
        },
    );
    let t = clockify_test(
        &server,
        "  - { email: ada@example.com, status: active, time_off: [{ policy: Vacation }] }\n",
    );
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["count of 1000000000000000 rows", "page cap of 1000"]);
    assert!(server.hits() < 10, "{} requests", server.hits());
}

/// A body that never ends is cut at the body cap with an error naming the
/// call and the cap (the process neither buffers it all nor aborts).
#[test]
fn endless_body_stops_at_the_cap() {
    let server = clockify(
        |_| Answer::Endless,
        |_| last_page(serde_json::json!([])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["/users", "longer than the 64 MiB"]);
}

/// A host that accepts connections and never answers costs one call's
/// deadline (here scaled to 1.8 s), not ten attempts of 30 s: the error
/// names the call and the deadline.
#[test]
fn silent_host_ends_at_the_call_deadline() {
    let server = clockify(|_| Answer::Silent, |_| Answer::Silent, |_| Answer::Silent);
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n")
        .env("HRFORM_BACKOFF_SCALE", "0.01");
    let started = std::time::Instant::now();
    let out = t.run_with(&["plan"]);
    let took = started.elapsed();
    out.code(1);
    assert!(out.stderr.contains("deadline of 1.8s"), "{}", out.stderr);
    assert!(took.as_secs() < 20, "took {took:?}");
}

// ---------------------------------------------------------------------------
// Items 3 and 4: what a server says never panics, and ambiguity is an error.

/// Two non-archived Clockify policies with one name: the `ambiguous-policy`
/// error naming both ids (it was a panic on `types[0]`).
#[test]
fn two_clockify_policies_of_one_name_are_ambiguous_not_a_panic() {
    let server = clockify(
        |_| {
            last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "ACTIVE"
            )]))
        },
        |_| {
            last_page(serde_json::json!([
                ck_policy("p1", "Vacation"),
                ck_policy("p2", "Vacation")
            ]))
        },
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(
        &server,
        "  - { email: ada@example.com, status: active, time_off: [{ policy: Vacation }] }\n",
    );
    let out = t.run_with(&["plan"]);
    out.code(1)
        .stderr_has(&["error[ambiguous-policy]", "p1, p2", "users.yaml:2:"]);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

/// Two live Clockify accounts whose emails differ only in case: the
/// declared person is ambiguous, an error naming both ids (the last one
/// used to win silently).
#[test]
fn two_live_accounts_with_one_email_are_ambiguous() {
    let server = clockify(
        |_| {
            last_page(serde_json::json!([
                ck_user("u1", "Ada@example.com", "INACTIVE"),
                ck_user("u2", "ada@example.com", "ACTIVE")
            ]))
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(
        &server,
        "  - { email: ada@example.com, status: inactive }\n",
    );
    t.run_with(&["plan"]).code(1).stderr_has(&[
        "error[ambiguous-identity]",
        "u1 (Ada@example.com, inactive)",
        "u2 (ada@example.com, active)",
    ]);
}

/// An archived Connecteam twin of an active account (one email, two ids)
/// does not stand in for the declared leaver: an error naming both.
#[test]
fn archived_connecteam_twin_is_ambiguous() {
    let page = serde_json::json!({"data": {"users": [
        ct_user(7, "lee@example.com", true),
        ct_user(8, "LEE@example.com", false),
    ]}})
    .to_string();
    let server = connecteam(move |_| Answer::Json(200, Vec::new(), page.clone()));
    let t = connecteam_test(
        &server,
        "  - { email: lee@example.com, status: inactive }\n",
    );
    t.run_with(&["plan"]).code(1).stderr_has(&[
        "error[ambiguous-identity]",
        "7 (lee@example.com",
        "8 (LEE@example.com",
    ]);
}

/// One id listed twice with different data is an error naming the id.
#[test]
fn one_id_listed_twice_with_different_data_is_an_error() {
    let server = clockify(
        |_| {
            last_page(serde_json::json!([
                ck_user("u1", "ada@example.com", "ACTIVE"),
                ck_user("u1", "ada@example.com", "INACTIVE")
            ]))
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, "  - { email: ada@example.com, status: active }\n");
    t.run_with(&["plan"])
        .code(1)
        .stderr_has(&["error[ambiguous-identity]", "lists user id u1 twice"]);
}

// ---------------------------------------------------------------------------
// Requests are read into dates, times and a status, not kept as text.

/// A Connecteam API with one `Vacation` type holding policy `p1`, the user
/// 7 `kim@example.com` on it, and `requests` as the one page of requests.
fn connecteam_with_requests(requests: serde_json::Value) -> Hostile {
    let requests = serde_json::json!({"data": {"requests": requests}}).to_string();
    Hostile::start(move |r| match r.path.as_str() {
        "/time-off/v1/policy-types" => ok(serde_json::json!({"data": {"policyTypes": [
            {"id": "t1", "name": "Vacation", "policies": [
                {"id": "p1", "name": "Standard", "unit": "days", "accrualType": "fixed"}
            ]}
        ]}})),
        "/users/v1/users" => ok(serde_json::json!({"data": {"users": [
            ct_user(7, "kim@example.com", false)
        ]}})),
        "/time-off/v1/policy-types/t1/balances" => ok(serde_json::json!({"data": {"balances": [
            {"userId": 7, "policyId": "p1", "balance": 20}
        ]}})),
        "/time-off/v1/requests" => Answer::Json(200, Vec::new(), requests.clone()),
        _ => Answer::Json(404, Vec::new(), r#"{"detail":"no such path"}"#.into()),
    })
}

/// A live partial-day request marked `K-1`, 09:00–13:00 as `start`/`end`.
fn partial_request(start: &str, end: &str, status: &str, date: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "9", "userId": 7, "policyTypeId": "t1", "isAllDay": false,
        "startDate": date, "endDate": date, "startTime": start, "endTime": end,
        "timezone": "Europe/Dublin", "status": status, "managerNote": "[hrform:K-1]",
    })
}

const K1: &str = "  - { key: K-1, user: kim@example.com, policy_type: Vacation, start_date: 2026-06-20, end_date: 2026-06-20, all_day: false, start_time: '09:00', end_time: '13:00', timezone: Europe/Dublin }\n";

/// `hrform plan ARGS` of request K-1 against a server holding `live`.
fn plan_k1(live: serde_json::Value, args: &[&str]) -> crate::common::Output {
    let server = connecteam_with_requests(serde_json::json!([live]));
    connecteam_test(&server, "  - { email: kim@example.com }\n")
        .file("requests.yaml", &format!("time_off_requests:\n{K1}"))
        .run_with(args)
}

/// The API writing a time without its seconds (`09:00`) states the same
/// time as the manifest's `09:00`: nothing to change (compared as times,
/// not as text, where `09:00` ≠ `09:00:00`).
#[test]
fn a_time_without_seconds_is_the_same_time() {
    let same = partial_request("09:00", "13:00", "approved", "2026-06-20");
    let out = plan_k1(same, &["plan", "--detailed-exitcode"]);
    out.code(0);
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
    // A different time is a change, shown in the API's own spelling.
    let later = partial_request("09:30", "13:00", "approved", "2026-06-20");
    let out = plan_k1(later, &["plan", "--detailed-exitcode"]);
    out.code(2);
    assert!(
        out.stdout.contains("start_time 09:30:00") && out.stdout.contains("start_time 09:00:00"),
        "{}",
        out.stdout
    );
}

/// A request whose status, date or time is not one the API documents is
/// an error naming the call, the request and the value (escaped), not a
/// request silently skipped or compared as text.
#[test]
fn a_request_the_model_cannot_read_is_an_error_naming_it() {
    for (request, said) in [
        (
            partial_request("09:00", "13:00", "cancelled", "2026-06-20"),
            "request 9: status `cancelled` is not approved, pending or denied",
        ),
        (
            partial_request("09:00", "13:00", "approved", "2026-13-40"),
            "request 9: startDate `2026-13-40` is not a date (YYYY-MM-DD)",
        ),
        (
            partial_request("9 o'clock\u{1b}[31m", "13:00", "approved", "2026-06-20"),
            "request 9: startTime `9 o'clock\\u{1b}[31m` is not a time (HH:MM:SS)",
        ),
    ] {
        let out = plan_k1(request, &["plan"]);
        out.code(1);
        assert!(
            out.stderr.contains("GET /time-off/v1/requests") && out.stderr.contains(said),
            "{said}\n{}",
            out.stderr
        );
        assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    }
}
