//! The seed format (errors with file:line:column, the committed schema) and
//! the ways to start the sandbox: the `hrform sandbox` command and
//! `Sandbox::start_in_thread`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use hrform::sandbox::{Options, Sandbox, Seed, SeedError, seed_schema};

use super::WORLD;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn repo_root() -> std::path::PathBuf {
    crate::common::repo_root()
}

/// A seed without `seed_version`, or with another version, is refused.
#[test]
fn seed_version_is_required() {
    let err = Seed::from_yaml_str("clockify: null\n").unwrap_err();
    assert!(matches!(err, SeedError::Parse { .. }), "{err}");
    assert!(err.to_string().contains("seed_version"), "{err}");
    let err = Seed::from_yaml_str("seed_version: 2\n").unwrap_err();
    assert_eq!(
        err.to_string().split(": ").next(),
        Some("<seed>:1:15"),
        "{err}"
    );
    assert!(err.to_string().contains("seed_version 2"), "{err}");
    assert!(Seed::from_yaml_str("seed_version: 1\n").is_ok());
}

/// Unknown keys are errors that name the line and column.
#[test]
fn unknown_keys_are_located() {
    let yaml = "seed_version: 1\nconnecteam:\n  api_key: k\n  key_owner: o@x.io\n  userz: []\n";
    let err = Seed::from_yaml_str(yaml).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("<seed>:5:3: "), "{text}");
    assert!(text.contains("userz"), "{text}");
}

/// References to unknown users are located at the reference, and a file's
/// errors name the file.
#[test]
fn bad_references_are_located() {
    let yaml = "seed_version: 1\nclockify:\n  api_key: k\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: a@x.io\n  users: [{ email: a@x.io }]\n  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n        - { user: b@x.io }\n";
    let err = Seed::from_yaml_str(yaml).unwrap_err();
    assert!(matches!(err, SeedError::Invalid { line: 11, .. }), "{err}");
    assert!(err.to_string().contains("b@x.io"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("seed.yaml");
    std::fs::write(&path, yaml.replace("a@x.io\n  users", "z@x.io\n  users")).expect("write");
    let err = Seed::load(&path).unwrap_err().to_string();
    assert!(err.starts_with(&format!("{}:5:", path.display())), "{err}");
    let missing = Seed::load(&dir.path().join("none.yaml")).unwrap_err();
    assert!(matches!(missing, SeedError::Read { .. }));
}

/// `schemas/sandbox.schema.json` is what `seed_schema()` generates (draft-07;
/// regenerate with `HRFORM_BLESS=1`), and the test world and the acme
/// example validate against it.
#[test]
fn committed_schema_is_current_and_validates_seeds() {
    let generated = serde_json::to_string_pretty(&seed_schema()).expect("schema json") + "\n";
    let path = repo_root().join("schemas/sandbox.schema.json");
    if std::env::var_os("HRFORM_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write schema");
    }
    let committed = std::fs::read_to_string(&path).expect("schemas/sandbox.schema.json exists");
    assert_eq!(committed, generated, "run with HRFORM_BLESS=1 to update");

    let schema: serde_json::Value = serde_json::from_str(&generated).expect("json");
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let mut seeds = vec![WORLD.to_owned()];
    if let Ok(acme) = std::fs::read_to_string(repo_root().join("examples/acme/sandbox.yaml")) {
        seeds.push(acme);
    }
    for yaml in seeds {
        let value: serde_json::Value = serde_saphyr::from_str(&yaml).expect("yaml");
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        Seed::from_yaml_str(&yaml).expect("loads");
    }
    let bad: serde_json::Value =
        serde_json::json!({"seed_version": 1, "clockify": {"api_key": "k"}, "extra": true});
    assert!(!validator.is_valid(&bad));
}

/// `hrform sandbox --seed FILE` prints its URL as the first stdout line and
/// serves the seeded world there.
#[test]
fn the_command_prints_its_url_and_serves() {
    let seed = manifest_dir().join("tests/fixtures/sandbox/world.yaml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_hrform"))
        .args(["sandbox", "--seed"])
        .arg(&seed)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("hrform starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("a line");
    let url = line.trim().to_owned();
    let response = http_get(&url, "/__sandbox/state");
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("64a687e29ae1f428e7ebe303"), "{response}");
}

/// A bad seed makes the command fail with the location on stderr.
#[test]
fn the_command_refuses_a_bad_seed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.yaml");
    std::fs::write(&path, "seed_version: 1\nclokify: {}\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_hrform"))
        .args(["sandbox", "--seed"])
        .arg(&path)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.yaml:2:1"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// `Sandbox::start_in_thread` serves sync callers and stops on drop.
#[test]
fn start_in_thread_serves_until_dropped() {
    let seed = Seed::from_yaml_str(WORLD).expect("seed");
    let handle = Sandbox::start_in_thread(seed, Options::default()).expect("starts");
    let url = handle.base_url();
    assert_eq!(url, format!("http://{}", handle.addr()));
    let response = http_get(&url, "/users/v1/users");
    assert!(response.starts_with("HTTP/1.1 401"), "{response}");
    let addr = handle.addr();
    drop(handle);
    assert!(std::net::TcpStream::connect(addr).is_err(), "stopped");
}

/// A minimal HTTP/1.1 GET over a plain socket (no async runtime needed).
fn http_get(base: &str, path: &str) -> String {
    let host = base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connects");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .expect("writes");
    let mut out = String::new();
    stream.read_to_string(&mut out).expect("reads");
    out
}
