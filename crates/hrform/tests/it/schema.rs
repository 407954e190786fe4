//! `hrform schema`: the committed schemas are what the code generates, and
//! the examples conform to them.

use crate::common::{Test, repo_root};

/// `schemas/manifest.schema.json` equals `hrform schema manifest`.
#[test]
fn committed_manifest_schema_is_current() {
    let out = Test::new().args(&["schema", "manifest"]).run();
    out.code(0);
    let committed =
        std::fs::read_to_string(repo_root().join("schemas/manifest.schema.json")).unwrap();
    assert_eq!(
        out.stdout, committed,
        "schemas/manifest.schema.json is stale: run `cargo run -- schema manifest > schemas/manifest.schema.json`"
    );
}

/// The manifest schema is draft-07 and describes every field.
#[test]
fn manifest_schema_is_draft07_with_descriptions() {
    let out = Test::new().args(&["schema", "manifest"]).run();
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    let user = &schema["definitions"]["User"]["properties"];
    for field in ["email", "provider", "status", "profile", "time_off"] {
        assert!(
            user[field]["description"].is_string(),
            "User.{field} has no description"
        );
    }
}

/// Every example manifest conforms to the committed schema.
#[test]
fn examples_conform_to_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/manifest.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft7::new(&schema).expect("valid schema");
    let dir = repo_root().join("examples/acme");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
        if docs
            .first()
            .is_some_and(|d| d.get("seed_version").is_some())
        {
            continue;
        }
        for doc in docs {
            let errors: Vec<String> = validator
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{} does not conform:\n{}",
                path.display(),
                errors.join("\n")
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "expected several example documents, checked {checked}"
    );
}

/// `schemas/plan.schema.json` equals `hrform schema plan`.
#[test]
fn committed_plan_schema_is_current() {
    let out = Test::new().args(&["schema", "plan"]).run();
    out.code(0);
    let committed = std::fs::read_to_string(repo_root().join("schemas/plan.schema.json")).unwrap();
    assert_eq!(
        out.stdout, committed,
        "schemas/plan.schema.json is stale: run `cargo run -- schema plan > schemas/plan.schema.json`"
    );
}
