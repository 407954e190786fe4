//! The formatter's pieces on small texts: where comments go, the layout
//! rules, and (by proptest) idempotence and kept comments over generated
//! manifests written in assorted styles.

use proptest::prelude::*;

use super::format;
use crate::diag::FileId;

fn fmt(text: &str) -> Result<String, super::Refusal> {
    let mut diags = Vec::new();
    let docs = crate::manifest::parse(text, FileId(0), &mut diags).expect("the test text parses");
    format(text, &docs)
}

fn ok(text: &str) -> String {
    fmt(text).unwrap_or_else(|r| panic!("refused: {r}\n{text}"))
}

#[test]
fn canonical_text_is_left_as_it_is() {
    let text = "\
# header

providers:
  clockify:
    type: clockify
    workspace_id: 65f1c2a9b3d84e0017a6c4d2   # aligned
    api_key_env: CLOCKIFY_API_KEY            # aligned

policies:
  clockify:
    Vacation: { has_expiration: false }
";
    assert_eq!(ok(text), text);
}

#[test]
fn a_comment_indented_into_a_collection_that_ends_stays_in_it() {
    let text = "\
settings:
  safety:
    max_deactivations: 5
    # protected_users: [ceo@x.example]
  unmanaged_users: report
";
    // Keys reorder (unmanaged_users first); the commented-out key stays
    // at the end of `safety`.
    assert_eq!(
        ok(text),
        "\
settings:
  unmanaged_users: report
  safety:
    max_deactivations: 5
    # protected_users: [ceo@x.example]
"
    );
}

#[test]
fn a_list_at_its_key_s_column_gives_comments_at_that_column_to_the_next_key() {
    let text = "users:\n- email: b@x.example\n# about settings\nsettings:\n  timezone: UTC\n";
    assert_eq!(
        ok(text),
        "users:\n  - email: b@x.example\n\n# about settings\nsettings:\n  timezone: UTC\n"
    );
}

#[test]
fn comments_indented_under_a_key_without_a_value_stay_under_it() {
    let text = "users:\n    # every user commented out\n    # - email: a@x.example\nsettings:\n  timezone: UTC\n";
    assert_eq!(
        ok(text),
        "users:\n  # every user commented out\n  # - email: a@x.example\n\nsettings:\n  timezone: UTC\n"
    );
}

#[test]
fn the_header_stays_first_when_keys_reorder() {
    let text = "# schema line\nsettings:\n  timezone: UTC\nproviders: {}\n";
    assert_eq!(
        ok(text),
        "# schema line\n\nproviders: {}\n\nsettings:\n  timezone: UTC\n"
    );
}

#[test]
fn a_note_on_a_whole_list_stays_on_top_when_its_items_sort() {
    let text =
        "users:\n  # everyone in sales\n\n  - email: z@x.example   # zed\n  - email: a@x.example\n";
    assert_eq!(
        ok(text),
        "users:\n  # everyone in sales\n\n  - email: a@x.example\n\n  - email: z@x.example   # zed\n"
    );
}

#[test]
fn comments_above_a_reordered_first_key_go_above_the_dash() {
    let text = "users:\n  - status: active\n    # the address\n    email: a@x.example\n";
    assert_eq!(
        ok(text),
        "users:\n  # the address\n  - email: a@x.example\n    status: active\n"
    );
}

#[test]
fn time_off_entries_join_one_line_only_without_comments_and_when_they_fit() {
    let long = "x".repeat(90);
    let text = format!(
        "profiles:\n  p:\n    time_off:\n      - policy: Vacation\n        allowance: 3   # why\n        unit: days\n      - {{ policy: {long}, unit: days }}\n      - policy: Sick\n        unit: hours\n"
    );
    assert_eq!(
        ok(&text),
        format!(
            "profiles:\n  p:\n    time_off:\n      - policy: Vacation\n        allowance: 3   # why\n        unit: days\n      - policy: {long}\n        unit: days\n      - {{ policy: Sick, unit: hours }}\n"
        )
    );
}

#[test]
fn a_flow_item_that_becomes_a_block_keeps_its_comment_above_it() {
    let text = "settings:\n  safety:\n    protected_users: [ceo@x.example]\nextra:\n  - {a: 1, b: 2}   # about the item\n";
    assert_eq!(
        ok(text),
        "settings:\n  safety:\n    protected_users:\n      - ceo@x.example\n\nextra:\n  # about the item\n  - a: 1\n    b: 2\n"
    );
}

#[test]
fn blank_lines_only_next_to_comments_and_one_at_most() {
    let text = "settings:\n\n\n  unmanaged_users: report\n\n\n  # safety next\n\n\n  safety:\n\n    max_deactivations: 5\n\n\n# end\n\n\n";
    assert_eq!(
        ok(text),
        "settings:\n  unmanaged_users: report\n\n  # safety next\n\n  safety:\n    max_deactivations: 5\n\n# end\n"
    );
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(ok(""), "");
    assert_eq!(
        ok("# nothing yet\n\n\n# at all\n"),
        "# nothing yet\n\n# at all\n"
    );
    assert_eq!(ok("---\nusers: []\n"), "---\nusers: []\n");
    assert_eq!(ok("users:\n"), "users:\n");
    assert_eq!(ok("{}\n"), "{}\n");
    assert_eq!(ok("[ ]\n"), "[]\n");
    assert_eq!(ok("just a string\n"), "just a string\n");
    assert_eq!(ok("[b, a]\n"), "- b\n- a\n");
    // A comment at the end of a line no entry owns is refused, not moved.
    assert!(fmt("[b, a]   # two\n").is_err());
}

#[test]
fn folded_and_wrapped_strings_keep_exactly_their_value() {
    let text = "time_off_requests:\n  - key: R-1\n    employee_note: >\n      two\n      lines\n    manager_note: \"a\n      b\"\n";
    assert_eq!(
        ok(text),
        "time_off_requests:\n  - key: R-1\n    employee_note: |\n      two lines\n    manager_note: a b\n"
    );
}

#[test]
fn each_document_of_a_file_is_formatted_on_its_own() {
    let text = "users:\n    - email: b@x.example\n    - email: a@x.example\n# end of the first\n---\n# the second\nusers:\n- email: d@x.example\n- email: c@x.example\n";
    assert_eq!(
        ok(text),
        "users:\n  - email: a@x.example\n\n  - email: b@x.example\n# end of the first\n---\n# the second\nusers:\n  - email: c@x.example\n\n  - email: d@x.example\n"
    );
}

#[test]
fn strings_of_several_lines_are_literal_blocks_when_they_can_be() {
    let text = "time_off_requests:\n  - key: R-1\n    employee_note: |   # from the HRIS\n        first line\n\n        # not a comment\n    manager_note: \"no final newline\\nsecond\"\n";
    assert_eq!(
        ok(text),
        "time_off_requests:\n  - key: R-1\n    employee_note: |   # from the HRIS\n      first line\n\n      # not a comment\n    manager_note: |-\n      no final newline\n      second\n"
    );
}

#[test]
fn refused_constructs_name_their_place() {
    let cases = [
        ("a: &x 1\nb: *x\n", (1, 4), "anchor"),
        ("a: !!str 1\n", (1, 4), "tag"),
        ("%YAML 1.2\n---\na: 1\n", (1, 1), "directive"),
        ("a: 1\n...\n", (2, 1), "document end"),
        ("a: [1,  # c\n  2]\n", (1, 9), "comment inside"),
    ];
    for (text, (line, col), what) in cases {
        let r = fmt(text).expect_err(what);
        assert_eq!((r.line, r.col), (line, col), "{what}: {r}");
        assert!(r.message.contains(what), "{what}: {r}");
    }
}

/// Pieces of a user entry in assorted styles.
fn user_text(email: &str, style: u8, comment: bool) -> String {
    let quoted = match style % 3 {
        0 => email.to_owned(),
        1 => format!("'{email}'"),
        _ => format!("\"{email}\""),
    };
    let c = if comment { "   # note" } else { "" };
    match style % 4 {
        0 => format!("  - email: {quoted}{c}\n    status: active\n"),
        1 => format!("  - status: inactive\n    email: {quoted}{c}\n"),
        2 => format!(
            "  -   email: {quoted}{c}\n      time_off:\n      - {{unit: days, policy: Vacation, allowance: 2.5}}\n"
        ),
        _ => format!("  # above {email}\n  - {{email: {quoted}, profile: \"01-01\"}}\n"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Formatting twice changes nothing the first did not, and every
    /// comment survives (the formatter itself refuses a changed meaning).
    #[test]
    fn idempotent_and_keeps_comments(
        users in proptest::collection::vec(("[a-z]{1,8}", any::<u8>(), any::<bool>()), 1..8),
        settings_first in any::<bool>(),
    ) {
        let mut text = String::from("# header\n\n");
        let settings = "settings:\n    unmanaged_users: 'report'  # why\n    leave_year_start: \"01-01\"\n";
        if settings_first {
            text.push_str(settings);
        }
        text.push_str("users:\n");
        for (name, style, comment) in &users {
            text.push_str(&user_text(&format!("{name}@x.example"), *style, *comment));
        }
        text.push_str("# after the users\n");
        if !settings_first {
            text.push_str(settings);
        }
        let once = ok(&text);
        let twice = ok(&once);
        prop_assert_eq!(&twice, &once);
        let count = |t: &str| t.matches('#').count();
        prop_assert_eq!(count(&once), count(&text));
    }
}

/// Strings YAML could misread, each written in one of three styles.
fn tricky(i: usize, style: u8) -> String {
    const VALUES: &[&str] = &[
        "01-01",
        "yes",
        "12:30",
        "1.10",
        "null",
        "~",
        "true",
        "2024-03-15",
        "a: b",
        "x # y",
        "#z",
        "O'Brien",
        "",
        "0x1F",
        "1_000",
        "-dash",
        "[x]",
        "tab\there",
        "ünïcode",
        "say \"hi\"",
    ];
    let v = VALUES[i % VALUES.len()];
    match style % 3 {
        0 => super::scalar::quoted(v),
        1 if !v.contains('\t') => format!("'{}'", v.replace('\'', "''")),
        _ => super::scalar::quoted(v),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Requests with tricky strings, at either indentation, with comments
    /// above, after and between them at assorted columns: fmt never
    /// refuses (so never changes a value: it refuses when the result reads
    /// back differently), is idempotent and keeps every comment.
    #[test]
    fn tricky_strings_and_comments_anywhere(
        requests in proptest::collection::vec((any::<usize>(), any::<u8>(), 0usize..4, any::<bool>()), 1..6),
        wide in any::<bool>(),
    ) {
        let ind = if wide { "    " } else { "  " };
        let mut text = String::from("time_off_requests:\n");
        for (n, (value, style, comment_col, trailing)) in requests.iter().enumerate() {
            text.push_str(&format!("{}# above request {n}\n", " ".repeat(*comment_col)));
            let t = if *trailing { "  # trailing" } else { "" };
            text.push_str(&format!(
                "{ind}- employee_note: {}{t}\n{ind}  key: K-{n}\n{ind}  status: approved\n",
                tricky(*value, *style)
            ));
        }
        text.push_str("# the end\n");
        let once = ok(&text);
        prop_assert_eq!(ok(&once), once.clone());
        let count = |t: &str| t.lines().filter(|l| l.trim_start().starts_with('#') || l.contains("  # ")).count();
        prop_assert_eq!(count(&once), count(&text));
    }
}
