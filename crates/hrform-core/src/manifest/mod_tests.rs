//! Unit tests of manifest loading helpers.

use super::*;

#[test]
fn lexical_secrets_find_values_after_secret_like_keys() {
    let text =
        "providers:\n  x: {type: clockify, token: S3CRET, [\n  api_key: abc def\n  email: a\n";
    let found: Vec<(u32, u32, u32)> = lexical_secrets(text, diag::FileId(0))
        .iter()
        .map(|l| (l.line, l.col, l.len))
        .collect();
    assert_eq!(found, vec![(2, 30, 6), (3, 12, 7)]);
}
