//! Attacks by a pull request's manifests: another variable as the key,
//! foreign hosts, symlinks out of the tree, secrets in snippets, absurd
//! numbers and pathological YAML.

use super::*;

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
