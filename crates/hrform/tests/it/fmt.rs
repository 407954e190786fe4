//! `hrform fmt`: the canonical form, every comment kept, `--check` and
//! `--diff`, refusals with their location, idempotence over the examples
//! and the invalid corpus, and meaning unchanged (checked configuration
//! before and after).

use std::path::{Path, PathBuf};

use crate::common::{Test, crate_dir, repo_root};

/// A manifest written every wrong way, with comments in every position:
/// above keys, trailing, between list items, inside a user at its end, and
/// at the end of the file.
const MESSY: &str = r#"# yaml-language-server: $schema=../schemas/manifest.schema.json
# Header: who owns this file.

settings:
    # above a nested key
    unmanaged_users: 'report'     # trailing a scalar
    leave_year_start: "01-01"
    safety: {max_deactivations: 5, protected_users: [ceo@x.example]}
users:   # trailing a key whose value is a list
    # above the first user, attached to zed
    -   status: active
        email: 'Zed@x.example'     # trailing an email
        provider: clockify
        time_off:
        -   policy: Vacation
            unit: days
            allowance: 25
        # between time-off entries
        -   {unit: hours, policy: "Sick", allowance: 40}
        # at the end of zed's entry

    # between users, above amy


    -   email: amy@x.example
        provider: "clockify"
        status: "active"
providers:
  clockify: {type: clockify, workspace_id: "65f1c2a9b3d84e0017a6c4d2"}
# the end
"#;

/// [`MESSY`] in canonical form.
const CANONICAL: &str = r#"# yaml-language-server: $schema=../schemas/manifest.schema.json
# Header: who owns this file.

providers:
  clockify:
    type: clockify
    workspace_id: 65f1c2a9b3d84e0017a6c4d2

users:   # trailing a key whose value is a list
  # between users, above amy

  - email: amy@x.example
    provider: clockify
    status: active

  # above the first user, attached to zed
  - email: Zed@x.example           # trailing an email
    provider: clockify
    status: active
    time_off:
      - { policy: Vacation, allowance: 25, unit: days }
      # between time-off entries
      - { policy: Sick, allowance: 40, unit: hours }
    # at the end of zed's entry

settings:
  # above a nested key
  unmanaged_users: report         # trailing a scalar
  safety:
    max_deactivations: 5
    protected_users:
      - ceo@x.example
  leave_year_start: 01-01
# the end
"#;

fn read(t: &Test, name: &str) -> String {
    std::fs::read_to_string(t.path().join(name)).expect("read back")
}

/// The comments of a text: every `#` line part that is not in quotes
/// (enough for the fixtures here, which quote no `#`).
fn comments(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].trim_end().to_owned()))
        .collect();
    out.sort();
    out
}

#[test]
fn messy_manifest_comes_out_canonical_with_every_comment() {
    let t = Test::new().file("team.yaml", MESSY).args(&["fmt"]);
    let out = t.run();
    out.code(0);
    assert_eq!(out.stdout, "team.yaml\n");
    assert!(
        out.stderr.contains("fmt: 1 of 1 file reformatted"),
        "{}",
        out.stderr
    );
    let formatted = read(&t, "team.yaml");
    assert_eq!(formatted, CANONICAL);
    assert_eq!(comments(&formatted), comments(MESSY));
    assert_eq!(comments(MESSY).len(), 11, "the fixture's comments");
    // Formatted once, nothing is left to do.
    let again = t.run_with(&["fmt", "--check"]);
    again.code(0);
    assert_eq!(again.stdout, "");
}

#[test]
fn check_lists_what_would_change_writes_nothing_and_exits_2() {
    let t = Test::new()
        .file("a.yaml", MESSY)
        .file("b.yaml", CANONICAL.replace("Zed", "Yan").as_str())
        .args(&["fmt", "--check"]);
    let out = t.run();
    out.code(2);
    assert_eq!(out.stdout, "a.yaml\n");
    assert!(
        out.stderr.contains("fmt: 1 of 2 files would change"),
        "{}",
        out.stderr
    );
    assert_eq!(read(&t, "a.yaml"), MESSY);
    // -q: only errors on stderr; the list is data and stays.
    let quiet = t.run_with(&["fmt", "--check", "-q"]);
    quiet.code(2);
    assert_eq!(
        (quiet.stdout.as_str(), quiet.stderr.as_str()),
        ("a.yaml\n", "")
    );
    // The help (and so the man page and completions) says so.
    let help = t.run_with(&["fmt", "--help"]);
    help.code(0);
    assert!(help.stdout.contains("exit 2"), "{}", help.stdout);
    assert!(help.stdout.contains("--diff"), "{}", help.stdout);
}

#[test]
fn diff_prints_a_unified_diff_and_writes_nothing() {
    let t = Test::new()
        .file(
            "team.yaml",
            "users:\n    - email: b@x.example\n    - email: a@x.example\n",
        )
        .args(&["fmt", "--diff"]);
    let out = t.run();
    out.code(0);
    assert_eq!(
        out.stdout,
        "--- a/team.yaml\n+++ b/team.yaml\n@@ -1,3 +1,4 @@\n users:\n-    - email: b@x.example\n-    - email: a@x.example\n+  - email: a@x.example\n+\n+  - email: b@x.example\n"
    );
    assert_eq!(
        read(&t, "team.yaml"),
        "users:\n    - email: b@x.example\n    - email: a@x.example\n"
    );
    // With --check too: the diff, and exit 2.
    t.run_with(&["fmt", "--check", "--diff"]).code(2);
}

#[test]
fn a_file_that_does_not_parse_is_a_located_error_and_the_rest_is_formatted() {
    let t = Test::new()
        .file(
            "bad.yaml",
            "users:\n  - email: a@x.example\n   status: [active\n",
        )
        .file("good.yaml", "users:\n    - email: a@x.example\n")
        .args(&["fmt"]);
    let out = t.run();
    out.code(1);
    assert!(out.stderr.contains("error[yaml-syntax]"), "{}", out.stderr);
    assert!(out.stderr.contains("bad.yaml:3:"), "{}", out.stderr);
    assert_eq!(read(&t, "good.yaml"), "users:\n  - email: a@x.example\n");
    assert_eq!(
        read(&t, "bad.yaml"),
        "users:\n  - email: a@x.example\n   status: [active\n"
    );
    // --check: still exit 1, not 2: an error outranks changes.
    let t = Test::new()
        .file("bad.yaml", "users: [\n")
        .file("good.yaml", "users:\n    - email: a@x.example\n");
    t.run_with(&["fmt", "--check"]).code(1);
}

/// What fmt cannot rewrite without loss it refuses, naming the place; the
/// file is left byte for byte.
#[test]
fn refusals_are_located_and_leave_the_file_alone() {
    let cases = [
        (
            "users:\n  - email: a@x.example\n    time_off:\n      - { policy: Vacation,  # why\n          allowance: 3, unit: days }\n",
            "team.yaml:4:30",
            "comment inside a flow collection",
        ),
        (
            "profiles:\n  base: &base\n    time_off: []\nusers:\n  - email: a@x.example\n",
            "team.yaml:2:9",
            "anchor",
        ),
        (
            "users:\n  - email: !email a@x.example\n",
            "team.yaml:2:12",
            "tag",
        ),
        (
            "users:\n  -   # whose?\n    email: a@x.example\n",
            "team.yaml:2:7",
            "which entry this comment belongs to",
        ),
    ];
    for (text, at, what) in cases {
        let t = Test::new().file("team.yaml", text).args(&["fmt"]);
        let out = t.run();
        out.code(1);
        assert!(
            out.stderr.contains("error[fmt-unsupported]"),
            "{what}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(at),
            "{what}: no {at} in\n{}",
            out.stderr
        );
        assert!(out.stderr.contains(what), "{what}: {}", out.stderr);
        assert_eq!(read(&t, "team.yaml"), text, "{what}: the file changed");
    }
}

/// Strings keep their meaning whatever their quoting: those YAML could
/// read as something else stay quoted, the rest lose their quotes.
#[test]
fn quoting_never_changes_a_value() {
    let text = "\
time_off_requests:
  - key: 'R-1'
    user: \"a@x.example\"
    policy_type: 'Vacation'
    start_date: \"2026-05-22\"
    end_date: 2026-05-22
    all_day: false
    start_time: '12:30'
    end_time: 17:00
    timezone: \"America/Chicago\"
    employee_note: 'yes'
    manager_note: \"1.10\"
settings:
  leave_year_start: \"01-01\"
  timezone: 'null'
";
    let expected = "\
time_off_requests:
  - key: R-1
    user: a@x.example
    policy_type: Vacation
    start_date: 2026-05-22
    end_date: 2026-05-22
    all_day: false
    start_time: \"12:30\"
    end_time: \"17:00\"
    timezone: America/Chicago
    employee_note: \"yes\"
    manager_note: \"1.10\"

settings:
  leave_year_start: 01-01
  timezone: \"null\"
";
    let t = Test::new().file("r.yaml", text).args(&["fmt"]);
    t.run().code(0);
    assert_eq!(read(&t, "r.yaml"), expected);
}

/// `fmt` formats what every command reads and nothing else: hidden
/// folders, sandbox seeds and non-YAML files are left alone; a link to a
/// manifest inside the tree stays a link (its target is formatted where it
/// is); a link out of the tree is an error and its target is never touched.
#[test]
fn skips_what_discovery_skips_and_never_writes_through_a_link() {
    let messy = "users:\n    - email: a@x.example\n";
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("far.yaml"), messy).unwrap();
    let t = Test::new()
        .file(".github/workflows/ci.yaml", "on:   push\n")
        .file("seed.yaml", "seed_version: 1\nclockify:   {}\n")
        .file("notes.txt", "users:    x\n")
        .file("real/team.yaml", messy);
    std::os::unix::fs::symlink("real/team.yaml", t.path().join("link.yaml")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("far.yaml"), t.path().join("far.yaml")).unwrap();
    let out = t.run_with(&["fmt"]);
    out.code(1);
    assert!(
        out.stderr.contains("error[symlink-outside-tree]"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "real/team.yaml\n");
    assert_eq!(
        read(&t, "real/team.yaml"),
        "users:\n  - email: a@x.example\n"
    );
    assert!(
        std::fs::symlink_metadata(t.path().join("link.yaml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(outside.path().join("far.yaml")).unwrap(),
        messy
    );
    assert_eq!(read(&t, ".github/workflows/ci.yaml"), "on:   push\n");
    assert_eq!(read(&t, "seed.yaml"), "seed_version: 1\nclockify:   {}\n");
    assert_eq!(read(&t, "notes.txt"), "users:    x\n");
}

/// A rewritten file keeps its permissions, and no temporary file is left.
#[test]
fn writes_atomically_keeping_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let t = Test::new().file("team.yaml", "users:\n    - email: a@x.example\n");
    let path = t.path().join("team.yaml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    t.run_with(&["fmt"]).code(0);
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let names: Vec<String> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["team.yaml".to_owned()]);
}

/// A directory without manifests is an error, as for every command, so a
/// wrong `-C` cannot pass `fmt --check`.
#[test]
fn no_manifests_is_an_error() {
    let out = Test::new()
        .file("notes.txt", "nothing here\n")
        .args(&["fmt", "--check"])
        .run();
    out.code(1);
    assert!(out.stderr.contains("error[no-manifests]"), "{}", out.stderr);
}

/// The acme example is kept in fmt form (CI runs this).
#[test]
fn acme_example_is_in_fmt_form() {
    let out = Test::new()
        .args(&["fmt", "--check", "-C", "examples/acme"])
        .current_dir(&repo_root())
        .run();
    out.code(0);
    assert_eq!(out.stdout, "");
}

/// Every manifest set the repository holds: the examples, and each case of
/// the invalid corpus.
fn corpus() -> Vec<PathBuf> {
    let mut dirs = vec![repo_root().join("examples/acme")];
    let invalid = crate_dir().join("tests/fixtures/invalid");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&invalid)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    dirs.extend(cases);
    dirs.push(crate_dir().join("tests/fixtures/not-yet-caught"));
    dirs
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What a configuration directory means: the checked configuration with
/// every source location removed, or, when it does not check, its
/// diagnostics' codes and messages.
fn meaning(dir: &Path) -> String {
    let loaded = hrform::discover::load(dir, &[], &hrform::context::Context::from_env());
    match &loaded.config {
        Some(config) => strip_locations(&format!("{config:#?}")),
        None => {
            let mut found: Vec<String> = loaded
                .diagnostics
                .iter()
                .map(|d| format!("{} {}", d.code, d.message))
                .collect();
            found.sort();
            found.join("\n")
        }
    }
}

/// `Loc { ... }` and provenance's `Entry { file, line }` in a Debug
/// rendering, blanked.
fn strip_locations(debug: &str) -> String {
    let debug = strip_block(debug, "Entry {");
    strip_block(&debug, "Loc {")
}

fn strip_block(debug: &str, block: &str) -> String {
    let mut out = String::new();
    let mut rest = debug;
    while let Some(i) = rest.find(block) {
        out.push_str(&rest[..i]);
        out.push_str(&block[..block.len() - 2]);
        let close = rest[i..].find('}').expect("a closing brace");
        rest = &rest[i + close + 1..];
    }
    out.push_str(rest);
    out
}

/// fmt of a formatted tree changes nothing, and fmt never changes what a
/// tree means, over every manifest set the repository holds.
#[test]
fn idempotent_and_meaning_preserving_over_examples_and_corpus() {
    let mut configs = 0;
    let mut changed = 0;
    for dir in corpus() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let work = tempfile::tempdir().unwrap();
        copy_dir(&dir, work.path());
        let before = meaning(work.path());
        let t = Test::new().current_dir(work.path());
        let first = t.run_with(&["fmt"]);
        assert!(
            first.code == 0 || first.code == 1,
            "{name}: exit {}\n{}",
            first.code,
            first.stderr
        );
        // Only files that do not parse are left: fmt refuses none here.
        assert!(
            !first.stderr.contains("fmt-unsupported"),
            "{name}: refused\n{}",
            first.stderr
        );
        assert_eq!(
            first.code == 1,
            first.stderr.contains("error[yaml-syntax]"),
            "{name}: {}",
            first.stderr
        );
        changed += first.stdout.lines().count();
        let second = t.run_with(&["fmt", "--check"]);
        assert_eq!(second.stdout, "", "{name}: fmt is not idempotent");
        assert_ne!(second.code, 2, "{name}: fmt is not idempotent");
        assert_eq!(
            meaning(work.path()),
            before,
            "{name}: fmt changed the meaning"
        );
        if before.starts_with("Config") {
            configs += 1;
        }
    }
    assert!(configs >= 1, "the examples check into a configuration");
    assert!(
        changed >= 20,
        "only {changed} files were reformatted: the corpus is not exercised"
    );
}

/// A manifest whose users are out of order, written in every style,
/// checks into the same configuration after fmt.
#[test]
fn checked_configuration_is_the_same_after_fmt() {
    let providers = "providers: {clockify: {type: clockify, workspace_id: '65f1c2a9b3d84e0017a6c4d2'}}\nprofiles:\n  ft:\n    time_off: [{policy: Vacation, allowance: 25, unit: days}]\n";
    let t = Test::new()
        .file("providers.yaml", providers)
        .file("team.yaml", "users:\n- {email: 'z@x.example', profile: ft, status: active}\n- email: \"a@x.example\"\n  time_off:\n  - policy: Sick\n    balance: 2.5\n    unit: hours\n");
    let before = meaning(t.path());
    assert!(before.starts_with("Config"), "{before}");
    t.run_with(&["fmt"]).code(0);
    assert_eq!(meaning(t.path()), before);
    assert_eq!(
        read(&t, "team.yaml"),
        "users:\n  - email: a@x.example\n    time_off:\n      - { policy: Sick, balance: 2.5, unit: hours }\n\n  - email: z@x.example\n    status: active\n    profile: ft\n"
    );
}
