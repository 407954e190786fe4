//! The README and the book name only commands and flags that exist (their
//! code blocks and code spans, usage lines included); shell completions
//! and the man page work. The book's own tests are in `book.rs`.

use std::collections::{BTreeMap, BTreeSet};

use crate::common::Test;

/// The README and every page of the book, one after the other.
fn readme() -> String {
    crate::book::documents()
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
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
    // One `--help` per command, however many lines name it.
    let mut helps: BTreeMap<String, crate::common::Output> = BTreeMap::new();
    for line in &lines {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let Some(command) = words
            .iter()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
        else {
            continue;
        };
        let help = helps
            .entry((*command).to_owned())
            .or_insert_with(|| t.run_with(&[command, "--help"]));
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
