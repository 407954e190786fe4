//! Identity spoofing by the HR system: a live email that only looks like a
//! declared one.

use super::*;

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
