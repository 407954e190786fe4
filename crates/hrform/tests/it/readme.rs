//! The README names only commands and flags that exist, and documents every
//! diagnostic code; shell completions and the man page work.

use std::collections::BTreeSet;

use crate::common::{Test, repo_root};

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).unwrap()
}

/// Every hrform command line the README shows: the lines of its code
/// blocks and its inline code spans that start with `hrform ` (or the
/// `cargo run --release -- ` of the quick start).
fn command_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            // A usage line continued on the next, indented line.
            match lines.last_mut() {
                Some(last)
                    if line.starts_with("  ")
                        && last.starts_with("hrform ")
                        && !line.trim().starts_with("hrform ") =>
                {
                    last.push(' ');
                    last.push_str(line.trim());
                }
                _ => lines.push(line.trim().to_owned()),
            }
        } else {
            // Inline code spans, possibly several on a line.
            lines.extend(
                line.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(|s| s.trim().to_owned()),
            );
        }
    }
    lines
        .into_iter()
        .filter_map(|l| {
            let l = l
                .strip_prefix("cargo run --release -- ")
                .map(|rest| format!("hrform {rest}"))
                .unwrap_or(l);
            // Only hrform's own words: stop at a shell operator.
            let l = [" && ", " || ", " | ", " > ", " >> ", " 2> ", "; "]
                .iter()
                .filter_map(|op| l.find(op))
                .min()
                .map_or(l.as_str(), |at| &l[..at])
                .to_owned();
            l.starts_with("hrform ").then_some(l)
        })
        .collect()
}

/// The flags in a command line (`--out`, `-C`), each with the `a|b|c`
/// values written after it, if any.
fn flags(line: &str) -> Vec<(String, Vec<String>)> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let clean = |t: &str| {
        t.trim_matches(|c| c == '[' || c == ']' || c == '.' || c == ',')
            .to_owned()
    };
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let t = clean(t);
        let Some(body) = t.strip_prefix('-') else {
            continue;
        };
        let name = body.trim_start_matches('-');
        if name.is_empty() || !name.chars().next().unwrap().is_ascii_alphabetic() {
            continue;
        }
        let flag: String = t
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let values = tokens
            .get(i + 1)
            .map(|v| clean(v))
            .filter(|v| v.contains('|'))
            .map(|v| v.split('|').map(str::to_owned).collect())
            .unwrap_or_default();
        out.push((flag, values));
    }
    out
}

/// Every command and flag in the README's code blocks and code spans
/// exists: `hrform COMMAND --help` succeeds and lists each flag, and each
/// `a|b|c` value the README gives for it.
#[test]
fn every_command_and_flag_the_readme_names_exists() {
    let t = Test::new();
    let lines = command_lines(&readme());
    assert!(lines.len() > 20, "found only {} command lines", lines.len());
    let mut checked = BTreeSet::new();
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let Some(command) = words
            .iter()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        else {
            continue;
        };
        let help = t.run_with(&[command, "--help"]);
        assert_eq!(
            help.code, 0,
            "README line `{line}`: `hrform {command}` is not a command\n{}",
            help.stderr
        );
        for (flag, values) in flags(line) {
            let listed = help
                .stdout
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'));
            assert!(
                listed.clone().any(|w| w == flag),
                "README line `{line}`: `hrform {command}` has no flag {flag}\n{}",
                help.stdout
            );
            for v in values {
                assert!(
                    help.stdout.contains(&v),
                    "README line `{line}`: {flag} has no value `{v}`"
                );
            }
            checked.insert(format!("{command} {flag}"));
        }
        // Positional choices, e.g. `schema [manifest|plan|...]`.
        for w in &words {
            let w = w.trim_matches(|c| c == '[' || c == ']');
            if w.contains('|')
                && !w.starts_with('-')
                && !words.iter().any(|x| x.starts_with('-') && x.contains(w))
            {
                for v in w.split('|') {
                    assert!(
                        help.stdout.contains(v),
                        "README line `{line}`: `hrform {command}` has no choice `{v}`"
                    );
                }
            }
        }
    }
    for expected in [
        "plan --format",
        "validate --format",
        "plan --out",
        "apply --yes",
    ] {
        assert!(
            checked.contains(expected),
            "{expected} not checked: {checked:?}"
        );
    }
}

/// The README's troubleshooting section has an entry for every diagnostic
/// code.
#[test]
fn readme_troubleshooting_covers_every_code() {
    let text = readme();
    let section = text
        .split("### Troubleshooting")
        .nth(1)
        .expect("a Troubleshooting section")
        .split("\n## ")
        .next()
        .unwrap();
    for code in hrform::diag::Code::ALL {
        assert!(
            section.contains(&format!("- **`{code}`**: ")),
            "no troubleshooting entry for `{code}`"
        );
    }
}

/// `hrform completions SHELL` prints a completion script naming the
/// commands and their flags for each shell; the bash one loads.
#[test]
fn completions_for_every_shell() {
    let t = Test::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = t.run_with(&["completions", shell]);
        out.code(0);
        for word in ["validate", "plan", "apply", "detailed-exitcode"] {
            assert!(out.stdout.contains(word), "{shell}: no {word}");
        }
        if shell != "powershell" {
            assert!(out.stdout.contains("sarif"), "{shell}: no value sarif");
        }
    }
    let bash = t.run_with(&["completions", "bash"]).stdout;
    let script = t.path().join("hrform.bash");
    std::fs::write(&script, bash).unwrap();
    let status = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("source {} && complete -p hrform", script.display()))
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    assert!(String::from_utf8_lossy(&status.stdout).contains("hrform"));
}

/// `hrform man` prints the program's man page, `hrform man plan` the
/// page of one command, both roff from the same definitions as `--help`.
#[test]
fn man_pages() {
    let t = Test::new();
    let page = t.run_with(&["man"]);
    page.code(0);
    assert!(page.stdout.contains(".TH hrform 1"), "{}", page.stdout);
    for command in ["validate", "plan", "apply", "schema", "completions"] {
        assert!(page.stdout.contains(command), "no {command}");
    }
    let plan = t.run_with(&["man", "plan"]);
    plan.code(0);
    assert!(plan.stdout.contains(".TH hrform-plan 1"));
    assert!(plan.stdout.contains("\\-\\-format"));
    assert!(plan.stdout.contains("\\-\\-detailed\\-exitcode"));
    t.run_with(&["man", "nope"]).code(1);
}

/// The README's guided tour runs as written (with this build's binary, a
/// free port and a temporary copy): plan, apply, and a plan again that
/// finds nothing to do (every command must succeed).
#[test]
fn the_guided_tour_runs() {
    let text = readme();
    let start = text
        .find("### A guided tour")
        .expect("the README has a guided tour");
    let block = text[start..]
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the tour's code block");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let tour = dir.path().join("acme-tour");
    let bin = env!("CARGO_BIN_EXE_hrform");
    let mut script =
        String::from("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
    let mut joined = String::new();
    for line in block.lines() {
        // Lines continued with a trailing backslash are one command.
        if let Some(head) = line.strip_suffix('\\') {
            joined.push_str(head);
            continue;
        }
        joined.push_str(line);
        let command = std::mem::take(&mut joined);
        if command.starts_with("cargo build") {
            continue;
        }
        let command = command
            .replace("./target/release/hrform", bin)
            .replace("/tmp/acme-tour", &tour.to_string_lossy())
            .replace("8700", &port.to_string());
        script.push_str(&command);
        script.push('\n');
        if command.contains(" sandbox ") {
            script.push_str(&format!(
                "for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.1; done\n"
            ));
        }
    }
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(repo_root())
        .env("HRFORM_TODAY", "2026-06-15")
        .env("HRFORM_BACKOFF_SCALE", "0.05")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script}\n{stdout}\n{stderr}");
    assert!(stdout.contains("applied, 0 failed, 0 skipped"), "{stdout}");
    assert!(stdout.trim_end().ends_with("No changes."), "{stdout}");
}
