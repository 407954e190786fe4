//! Errors that say what to do: every vendor error answer the API notes
//! document, as the real binary shows it after `plan`: what it means for
//! this tree (the provider, the variable the key came from and where keys
//! are made, the workspace and where it is declared, the entry the call
//! names), the call as method and path (its query only at `-v`), and
//! never the key. The sandbox answers the rows it can produce (a wrong
//! key, a wrong workspace); a hostile loopback server answers the rest.

use crate::common::{CLOCKIFY_KEY, Test};
use crate::hostile::{
    Answer, Hostile, WS, ck_policy, ck_user, clockify, clockify_test, connecteam_test, last_page,
};

const BALANCES: &str = "/time-off/balance/policy/p1";
const USER: &str =
    "  - { email: ada@example.com, status: active, time_off: [{ policy: Vacation }] }\n";

/// A Clockify API that reads fine up to the balances of policy `p1`,
/// which answer `status` with `body`.
fn clockify_answering(status: u16, body: &'static str) -> Hostile {
    clockify(
        |_| {
            last_page(serde_json::json!([ck_user(
                "u1",
                "ada@example.com",
                "ACTIVE"
            )]))
        },
        |_| last_page(serde_json::json!([ck_policy("p1", "Vacation")])),
        move |_| Answer::Json(status, Vec::new(), body.into()),
    )
}

/// A Connecteam API answering every call `status` with `body`.
fn connecteam_answering(status: u16, body: &'static str) -> Hostile {
    Hostile::start(move |_| Answer::Json(status, Vec::new(), body.into()))
}

/// One row per (vendor, status, body code) of the table: the answer, and
/// what the message must say.
#[test]
fn each_vendor_error_row_says_what_to_do() {
    let clockify_rows: &[(u16, &str, &[&str])] = &[
        (
            400,
            r#"{"message":"Policy doesn't belong to Workspace","code":501}"#,
            &[
                "the policy with id p1 is not in Clockify workspace",
                WS,
                "providers.yaml:3",
            ],
        ),
        (
            400,
            r#"{"message":"bad param","code":3000}"#,
            &["a bug in hrform"],
        ),
        (
            400,
            r#"{"message":"missing param","code":3001}"#,
            &["a bug in hrform"],
        ),
        (
            400,
            r#"{"message":"JSON parse error","code":3002}"#,
            &["a bug in hrform"],
        ),
        (
            400,
            r#"{"message":"odd","code":77}"#,
            &["Clockify refused the request as invalid"],
        ),
        (
            401,
            r#"{"message":"Multiple or none auth tokens present","code":1000}"#,
            &["CLOCKIFY_API_KEY", "Profile settings → API"],
        ),
        (
            401,
            r#"{"message":"Api key does not exist","code":4003}"#,
            &[
                "provider `clockify`",
                "CLOCKIFY_API_KEY",
                "Profile settings → API",
            ],
        ),
        (
            401,
            r#"{"message":"Token is not valid","code":4017}"#,
            &["add-on token", "Profile settings → API"],
        ),
        (401, "", &["CLOCKIFY_API_KEY", "Profile settings → API"]),
        (
            403,
            r#"{"message":"Access Denied","code":501}"#,
            &["CLOCKIFY_API_KEY", WS, "providers.yaml:3"],
        ),
        (
            404,
            r#"{"message":"No static resource x.","code":3000}"#,
            &["no such API path", "base_url", "providers.yaml:3"],
        ),
        (
            404,
            r#"{"message":"gone"}"#,
            &["the policy with id p1 was not found"],
        ),
        (
            405,
            r#"{"message":"Request method 'GET' is not supported","code":3000}"#,
            &["no such call at this path", "base_url"],
        ),
        (
            429,
            "<html>cloudfront</html>",
            &["too many requests", "requests_per_second"],
        ),
    ];
    for (status, body, needles) in clockify_rows {
        let server = clockify_answering(*status, body);
        let out = clockify_test(&server, USER)
            .env("HRFORM_BACKOFF_SCALE", "0.002")
            .run_with(&["plan"]);
        out.code(1).stderr_has(needles);
        assert!(out.stderr.contains("clockify: "), "{}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("{BALANCES} answered HTTP {status}")),
            "{}",
            out.stderr
        );
        assert!(
            !out.stderr.contains("page-size"),
            "query shown: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("hostile-key"), "{}", out.stderr);
    }

    let connecteam_rows: &[(u16, &str, &[&str])] = &[
        (
            400,
            r#"{"detail":"Cannot archive owners or managers, user ids: [1]"}"#,
            &["cannot archive owners or managers"],
        ),
        (
            400,
            r#"{"detail":"Admin cannot archive / delete himself"}"#,
            &["archive themselves"],
        ),
        (
            400,
            r#"{"detail":"Can't archive user who is already archived"}"#,
            &["already archived in Connecteam"],
        ),
        (
            400,
            r#"{"error":"BAD: no"}"#,
            &["Connecteam refused the request", "code BAD"],
        ),
        (
            401,
            r#"{"detail":"Not authenticated"}"#,
            &[
                "provider `field`",
                "CONNECTEAM_API_KEY",
                "Settings → API keys",
            ],
        ),
        (
            403,
            r#"{"detail":"Forbidden"}"#,
            &["CONNECTEAM_API_KEY", "Expert plan", "providers.yaml:3"],
        ),
        (
            404,
            r#"{"detail":"Not Found"}"#,
            &["was not found in Connecteam"],
        ),
        (
            422,
            r#"{"detail":[{"loc":["query","limit"],"msg":"too big","type":"x"}]}"#,
            &["a bug in hrform", "query.limit: too big"],
        ),
        (422, r#"{"detail":"odd"}"#, &["a bug in hrform"]),
        (
            429,
            r#"{"detail":"Too many requests"}"#,
            &["too many requests", "requests_per_minute"],
        ),
        (
            200,
            r#"{"detail":"Too many requests"}"#,
            &["too many requests", "requests_per_minute"],
        ),
    ];
    for (status, body, needles) in connecteam_rows {
        let server = connecteam_answering(*status, body);
        let out = connecteam_test(&server, "  - { email: ada@example.com, status: active }\n")
            .env("HRFORM_BACKOFF_SCALE", "0.002")
            .run_with(&["plan"]);
        out.code(1).stderr_has(needles);
        assert!(out.stderr.contains("field: "), "{}", out.stderr);
        assert!(
            out.stderr.contains(&format!("answered HTTP {status}")),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("hostile-key"), "{}", out.stderr);
    }
}

/// A call's query is left out of the message and logged at `-v`.
#[test]
fn the_query_shows_only_at_verbose() {
    let server = clockify(
        |_| Answer::Json(400, Vec::new(), r#"{"message":"odd","code":77}"#.into()),
        |_| last_page(serde_json::json!([])),
        |_| last_page(serde_json::json!({"count": 0, "balances": []})),
    );
    let t = clockify_test(&server, USER);
    let quiet = t.run_with(&["plan"]);
    quiet.code(1).stderr_has(&["/users answered HTTP 400"]);
    assert!(!quiet.stderr.contains("page-size"), "{}", quiet.stderr);
    let verbose = t.run_with(&["plan", "-v"]);
    verbose
        .code(1)
        .stderr_has(&["page-size=", "/users answered HTTP 400"]);
}

const CLOCKIFY_SEED: &str = "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, name: Olive Owner }\n";
const CONNECTEAM_SEED: &str = "seed_version: 1\nconnecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: Olive, last_name: Owner, role: owner }\n";

/// The sandbox's own answers: a key it does not know (Clockify code 4003,
/// Connecteam's 401) and a workspace the key has no access to (403).
#[test]
fn the_sandbox_rows_say_what_to_do() {
    let t = Test::new().sandbox(CLOCKIFY_SEED);
    let url = t.sandbox_url();
    let provider = |ws: &str| {
        format!(
            "providers:\n  clockify:\n    type: clockify\n    workspace_id: {ws}\n    base_url: {url}/api\n"
        )
    };
    let users = "users:\n  - { email: owner@example.com, provider: clockify }\n";
    let t = t
        .file("providers.yaml", &provider(WS))
        .file("users.yaml", users);
    let wrong_key = t.env("CLOCKIFY_API_KEY", "wrong-key-0123456789");
    let out = wrong_key.run_with(&["plan"]);
    out.code(1).stderr_has(&[
        "clockify: Clockify does not know the API key in CLOCKIFY_API_KEY",
        "Profile settings → API",
        "code 4003",
    ]);
    assert!(
        !out.stderr.contains("wrong-key-0123456789"),
        "{}",
        out.stderr
    );

    let other = "0123456789abcdef01234567";
    let t = Test::new().sandbox(CLOCKIFY_SEED);
    let url = t.sandbox_url();
    let t = t
        .file(
            "providers.yaml",
            &format!(
                "providers:\n  clockify:\n    type: clockify\n    workspace_id: {other}\n    base_url: {url}/api\n"
            ),
        )
        .file("users.yaml", users);
    let out = t.run_with(&["plan"]);
    out.code(1).stderr_has(&[
        &format!("no access to Clockify workspace {other}"),
        "providers.yaml:3",
        "answered HTTP 403, code 501",
    ]);
    assert!(!out.stderr.contains(CLOCKIFY_KEY), "{}", out.stderr);

    let t = Test::new().sandbox(CONNECTEAM_SEED);
    let url = t.sandbox_url();
    let out = t
        .file(
            "providers.yaml",
            &format!("providers:\n  field:\n    type: connecteam\n    base_url: {url}\n"),
        )
        .file(
            "users.yaml",
            "users:\n  - { email: owner@example.com, provider: field }\n",
        )
        .env("CONNECTEAM_API_KEY", "wrong-key-0123456789")
        .run_with(&["plan"]);
    out.code(1).stderr_has(&[
        "field: Connecteam refused the API key in CONNECTEAM_API_KEY",
        "Settings → API keys",
    ]);
    assert!(
        !out.stderr.contains("wrong-key-0123456789"),
        "{}",
        out.stderr
    );
}
