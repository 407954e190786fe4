//! `--format text|json|github|sarif|auto` for the diagnostics of `validate`
//! and `plan`: GitHub workflow commands with their escaping, SARIF 2.1.0,
//! and the versioned JSON report checked against its committed schema.

use crate::common::{Test, repo_root};

const PROVIDER: &str = "\
providers:
  clockify:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
";

/// Two errors in a file whose name holds `,` and `:`; the first message
/// holds `%`, the second a help (a line break).
fn two_errors() -> Test {
    Test::new().file(
        "odd,name:1.yaml",
        &format!("{PROVIDER}users:\n  - email: \"50%off\"\n    statuss: active\n"),
    )
}

/// The `::error` lines of `stderr`.
fn commands<'a>(stderr: &'a str, kind: &str) -> Vec<&'a str> {
    let prefix = format!("::{kind} ");
    stderr.lines().filter(|l| l.starts_with(&prefix)).collect()
}

/// The stop-commands token and the text between the pause and its end.
fn verbatim(stderr: &str) -> (String, String) {
    let start = stderr
        .find("::stop-commands::")
        .expect("commands are stopped");
    let rest = &stderr[start + "::stop-commands::".len()..];
    let token: String = rest.chars().take_while(|c| *c != '\n').collect();
    let body_start = token.len() + 1;
    let end = rest
        .find(&format!("::{token}::"))
        .expect("commands resume with the token");
    (token, rest[body_start..end].to_owned())
}

/// `github`: one workflow command per diagnostic with file, line, column
/// and the code as title; `%`, CR and LF escaped in the message, and also
/// `:` and `,` in properties.
#[test]
fn github_commands_escape_data_and_properties() {
    let out = two_errors().args(&["validate", "--format", "github"]).run();
    out.code(1);
    let errors = commands(&out.stderr, "error");
    assert_eq!(
        errors,
        [
            "::error file=odd%2Cname%3A1.yaml,line=6,col=12,title=invalid-email::`50%25off` is not a valid email address",
            "::error file=odd%2Cname%3A1.yaml,line=7,col=5,title=unknown-key::unknown key `statuss` in a user%0Ahelp: did you mean `status`?",
        ]
    );
}

/// `github` still prints the full text report (GitHub shows only 10
/// annotations of each kind per step), inside `::stop-commands::TOKEN` …
/// `::TOKEN::` with a fresh random token, so manifest text cannot inject a
/// workflow command.
#[test]
fn github_keeps_the_full_report_with_commands_stopped() {
    let mut users = String::from("users:\n");
    for i in 0..12 {
        users.push_str(&format!(
            "  - email: p{i}@example.com\n    statuss: active\n"
        ));
    }
    // A hostile value: would be a command if the runner read it.
    users.push_str("  - email: \"x\\n::warning::injected\"\n");
    let t = Test::new().file("m.yaml", &format!("{PROVIDER}{users}"));
    let out = t.run_with(&["validate", "--format", "github"]);
    out.code(1);
    assert_eq!(commands(&out.stderr, "error").len(), 13);
    let (token, report) = verbatim(&out.stderr);
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(report.matches("error[unknown-key]").count(), 12);
    assert!(report.contains("error[invalid-email]"));
    assert!(report.contains("invalid: 13 errors and 0 warnings in 1 file"));
    // The hostile value's newline is shown escaped (data never starts a
    // line), and even so the report sits inside the stopped region;
    // outside it every line that reads as a command is one of hrform's.
    assert!(
        !out.stderr
            .lines()
            .any(|l| l.trim_start().starts_with("::warning::injected")),
        "{report}"
    );
    assert!(report.contains("::warning::injected"), "{report}");
    let outside = out.stderr.replace(&report, "");
    for line in outside.lines().filter(|l| l.trim_start().starts_with("::")) {
        assert!(
            line.starts_with("::error file=")
                || line.starts_with("::stop-commands::")
                || line == format!("::{token}::"),
            "a command hrform did not mean: {line}"
        );
    }
    // Another run, another token.
    let (again, _) = verbatim(&t.run_with(&["validate", "--format", "github"]).stderr);
    assert_ne!(token, again);
}

/// A span over several lines gets `line` and `endLine` and no `col`.
#[test]
fn github_multi_line_span_has_no_column() {
    let out = Test::new()
        .file(
            "m.yaml",
            &format!("{PROVIDER}users:\n  - email: \"a b\n      c@x\"\n"),
        )
        .args(&["validate", "--format", "github"])
        .run();
    out.code(1);
    assert_eq!(
        commands(&out.stderr, "error"),
        [
            "::error file=m.yaml,line=6,endLine=7,title=invalid-email::`a b c@x` is not a valid email address"
        ]
    );
}

/// Warnings are `::warning` commands, and a valid config exits 0.
#[test]
fn github_warnings_are_warning_commands() {
    let out = Test::new()
        .file(
            "m.yaml",
            &format!(
                "{PROVIDER}profiles:\n  spare: {{ time_off: [] }}\nusers:\n  - email: a@example.com\n"
            ),
        )
        .args(&["validate", "--format", "github"])
        .run();
    out.code(0);
    let warnings = commands(&out.stderr, "warning");
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(
        warnings[0].contains("title=unused-profile"),
        "{}",
        warnings[0]
    );
    assert!(commands(&out.stderr, "error").is_empty());
}

/// `auto` (the default) is `github` when `GITHUB_ACTIONS=true`, else text.
#[test]
fn auto_follows_github_actions() {
    let t = two_errors();
    let plain = t.run_with(&["validate"]);
    assert!(commands(&plain.stderr, "error").is_empty());
    assert!(plain.stderr.contains("error[unknown-key]"));
    let ci = t
        .command_with(&["validate"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stderr = String::from_utf8(ci.stderr).unwrap();
    assert_eq!(commands(&stderr, "error").len(), 2);
    let ci_text = t
        .command_with(&["validate", "--format", "text"])
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    assert!(commands(&String::from_utf8(ci_text.stderr).unwrap(), "error").is_empty());
}

/// `sarif` is a SARIF 2.1.0 log: one rule per diagnostic code, each result
/// naming its rule by id and index, at a region with start line and column.
#[test]
fn sarif_has_the_2_1_0_shape() {
    let out = two_errors().args(&["validate", "--format", "sarif"]).run();
    out.code(1);
    let log: serde_json::Value = serde_json::from_str(&out.stdout).expect("SARIF is JSON");
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = log["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "hrform");
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"unknown-key") && ids.contains(&"invalid-email"));
    for rule in rules {
        assert!(rule["shortDescription"]["text"].as_str().unwrap().len() > 5);
    }
    let results = runs[0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let mut seen = Vec::new();
    for r in results {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(r["level"], "error");
        assert!(r["message"]["text"].is_string());
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "odd,name:1.yaml");
        let region = &loc["region"];
        seen.push((
            r["ruleId"].as_str().unwrap().to_owned(),
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
            region["endColumn"].as_u64().unwrap(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("invalid-email".to_owned(), 6, 12, 20),
            ("unknown-key".to_owned(), 7, 5, 12)
        ]
    );
    assert!(out.stderr.contains("invalid: 2 errors"));
}

fn report_validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("schemas/diagnostics.schema.json")).unwrap(),
    )
    .unwrap();
    jsonschema::draft7::new(&schema).expect("valid schema")
}

/// `json` is the versioned report, valid against the committed schema,
/// with errors, warnings, places and help.
#[test]
fn json_report_conforms_to_its_schema() {
    let out = two_errors().args(&["validate", "--format", "json"]).run();
    out.code(1);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let validator = report_validator();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["errors"], 2);
    assert_eq!(report["diagnostics"][1]["code"], "unknown-key");
    assert_eq!(report["diagnostics"][1]["location"]["line"], 7);
    assert_eq!(report["diagnostics"][1]["location"]["column"], 5);
    assert_eq!(report["diagnostics"][1]["help"], "did you mean `status`?");
    // And a document the schema must refuse, so the check is not vacuous.
    assert!(!validator.is_valid(&serde_json::json!({"format_version": "1"})));
}

/// `schemas/diagnostics.schema.json` equals `hrform schema diagnostics`.
#[test]
fn committed_diagnostics_schema_is_current() {
    let out = Test::new().args(&["schema", "diagnostics"]).run();
    out.code(0);
    let committed =
        std::fs::read_to_string(repo_root().join("schemas/diagnostics.schema.json")).unwrap();
    assert_eq!(
        out.stdout, committed,
        "schemas/diagnostics.schema.json is stale: run `cargo run -- schema diagnostics > schemas/diagnostics.schema.json`"
    );
}

/// `plan --format github` annotates the manifests' errors on stderr and
/// leaves stdout (the plan's) empty; `--format json` puts the report on
/// stderr.
#[test]
fn plan_takes_the_diagnostic_formats() {
    let t = two_errors();
    let out = t.run_with(&["plan", "--format", "github"]);
    out.code(1);
    assert!(out.stdout.is_empty());
    assert_eq!(commands(&out.stderr, "error").len(), 2);
    let (_, report) = verbatim(&out.stderr);
    assert!(report.contains("nothing was read or planned"));
    let json = t.run_with(&["plan", "--format", "json"]);
    json.code(1);
    let report: serde_json::Value = serde_json::from_str(&json.stderr).unwrap();
    assert!(report_validator().is_valid(&report));
    assert_eq!(report["errors"], 2);
}
