//! `hrform init` against the sandbox over real HTTP: the file it writes
//! validates and `export` works from it; it never overwrites without
//! `--force`; a bad or missing key is a clear error naming the provider
//! and the variable, with no file written; the key appears nowhere.

use crate::common::{CLOCKIFY_KEY, CONNECTEAM_KEY, Output, Test, repo_root};

fn acme_seed() -> String {
    std::fs::read_to_string(repo_root().join("examples/acme/sandbox.yaml")).unwrap()
}

/// The key is in no output and not in the file.
fn no_key(out: &Output, file: Option<&str>, key: &str) {
    assert!(!out.stdout.contains(key), "{}", out.stdout);
    assert!(!out.stderr.contains(key), "{}", out.stderr);
    if let Some(file) = file {
        assert!(!file.contains(key), "{file}");
    }
}

#[test]
fn init_writes_a_providers_file_that_validates_for_each_vendor() {
    let t = Test::new().sandbox(&acme_seed());
    let base = t.sandbox_url();
    let clockify_base = format!("{base}/api");
    for (ty, name, url, key) in [
        ("clockify", "office", clockify_base.as_str(), CLOCKIFY_KEY),
        ("connecteam", "crew", base.as_str(), CONNECTEAM_KEY),
    ] {
        let out_file = format!("{name}.providers.yaml");
        let out = t.run_with(&[
            "init",
            "--provider-type",
            ty,
            "--name",
            name,
            "--base-url",
            url,
            "--out",
            &out_file,
        ]);
        out.code(0);
        let file = std::fs::read_to_string(t.path().join(&out_file)).unwrap();
        no_key(&out, Some(&file), key);
        assert!(
            file.contains(&format!("  {name}:\n    type: {ty}\n")),
            "{file}"
        );
        assert!(file.contains("Acme Corp"), "{file}");
        // The policies found, in the file and on stderr.
        assert!(
            file.contains("#   Vacation (days)\n")
                || file.contains("#   Vacation / Vacation (days)\n"),
            "{file}"
        );
        assert!(out.stderr.contains("  Sick"), "{}", out.stderr);
    }
    let file = std::fs::read_to_string(t.path().join("office.providers.yaml")).unwrap();
    assert!(
        file.contains("    workspace_id: 65f1c2a9b3d84e0017a6c4d2\n"),
        "{file}"
    );
    t.run_with(&["validate"]).code(0);
    for name in ["office", "crew"] {
        let out = t.run_with(&["export", "--provider", name, "--out", "-"]);
        out.code(0);
        assert!(out.stdout.contains("  - email: "), "{}", out.stdout);
    }
}

/// `--sandbox SEED` asks the seed's world with its key; the file has no
/// base URL (the sandbox is gone after the run) and `--out -` prints it.
#[test]
fn init_against_a_sandbox_seed_prints_the_file() {
    let t = Test::new().file("seed/sandbox.yaml", &acme_seed());
    let out = t.run_with(&[
        "init",
        "--provider-type",
        "connecteam",
        "--name",
        "field",
        "--sandbox",
        "seed/sandbox.yaml",
        "--out",
        "-",
    ]);
    out.code(0);
    assert!(
        out.stdout
            .contains("  field:\n    type: connecteam\n    api_key_env: CONNECTEAM_API_KEY\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("base_url"), "{}", out.stdout);
    no_key(&out, None, CONNECTEAM_KEY);
    assert!(!t.path().join("providers.yaml").exists());
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let t = Test::new()
        .sandbox(&acme_seed())
        .file("providers.yaml", "# mine\n");
    let url = format!("{}/api", t.sandbox_url());
    let args = [
        "init",
        "--provider-type",
        "clockify",
        "--name",
        "office",
        "--base-url",
        &url,
    ];
    let out = t.run_with(&args);
    out.code(1);
    assert!(
        out.stderr
            .contains("providers.yaml exists; nothing was written (--force replaces it)"),
        "{}",
        out.stderr
    );
    assert_eq!(
        std::fs::read_to_string(t.path().join("providers.yaml")).unwrap(),
        "# mine\n"
    );
    // No call was made.
    assert!(t.sandbox_log().is_empty());
    let mut forced = args.to_vec();
    forced.push("--force");
    t.run_with(&forced).code(0);
    let file = std::fs::read_to_string(t.path().join("providers.yaml")).unwrap();
    assert!(
        file.contains("workspace_id: 65f1c2a9b3d84e0017a6c4d2"),
        "{file}"
    );
}

/// A key the API refuses, and a variable that is not set: exit 1, the
/// provider and the variable named, no file, the key nowhere.
#[test]
fn a_bad_or_missing_key_is_a_clear_error_and_writes_nothing() {
    let bad = "not-the-key-0123456789";
    let t = Test::new().sandbox(&acme_seed());
    let base = t.sandbox_url();
    let t = t
        .env("CLOCKIFY_API_KEY", bad)
        .env("CONNECTEAM_API_KEY", bad);
    let clockify_base = format!("{base}/api");
    for (ty, url) in [
        ("clockify", clockify_base.as_str()),
        ("connecteam", base.as_str()),
    ] {
        let out = t.run_with(&[
            "init",
            "--provider-type",
            ty,
            "--name",
            "hr",
            "--base-url",
            url,
        ]);
        out.code(1);
        let env = if ty == "clockify" {
            "CLOCKIFY_API_KEY"
        } else {
            "CONNECTEAM_API_KEY"
        };
        assert!(
            out.stderr.contains(&format!(
                "provider `hr` ({ty}): the key in {env} was refused"
            )),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
        assert!(out.stderr.contains("nothing was written"), "{}", out.stderr);
        no_key(&out, None, bad);
        assert!(!t.path().join("providers.yaml").exists());
    }
    let out = t.run_with(&[
        "init",
        "--provider-type",
        "connecteam",
        "--name",
        "hr",
        "--base-url",
        &base,
        "--api-key-env",
        "CONNECTEAM_UNSET_KEY",
    ]);
    out.code(1);
    assert!(
        out.stderr.contains(
            "provider `hr`: the API key environment variable CONNECTEAM_UNSET_KEY is not set"
        ),
        "{}",
        out.stderr
    );
    assert!(!t.path().join("providers.yaml").exists());
}

/// `--workspace` naming none of the key's workspaces: a usage error
/// listing the ones it can see; nothing written.
#[test]
fn an_unknown_workspace_lists_the_ones_the_key_can_see() {
    let t = Test::new().sandbox(&acme_seed());
    let url = format!("{}/api", t.sandbox_url());
    let out = t.run_with(&[
        "init",
        "--provider-type",
        "clockify",
        "--name",
        "office",
        "--base-url",
        &url,
        "--workspace",
        "Beta Corp",
    ]);
    out.code(64);
    assert!(
        out.stderr
            .contains("--workspace Beta Corp: the key can see no such workspace"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("  65f1c2a9b3d84e0017a6c4d2  Acme Corp"),
        "{}",
        out.stderr
    );
    assert!(!t.path().join("providers.yaml").exists());
    // By name, when one has it.
    let out = t.run_with(&[
        "init",
        "--provider-type",
        "clockify",
        "--name",
        "office",
        "--base-url",
        &url,
        "--workspace",
        "Acme Corp",
    ]);
    out.code(0);
}
