//! What makes two email addresses one mailbox, and what makes them look
//! like one: the two keys every comparison of emails goes through.
//!
//! hrform matches people by email, so the rule decides whom a change is
//! made to. [`key`] is the identity: two addresses are one person only when
//! they are equal after NFC, ignoring the case of ASCII letters (the case
//! folding every mail system applies). Nothing else is folded: a U+212A
//! KELVIN SIGN is not a `k` (though NFC alone would make it `K`), a full-width `ａ` is not an `a`, and an
//! invisible character is part of the address.
//!
//! [`lookalike`] is the key of what an address *looks* like: NFKC, full
//! lower case, default-ignorable code points (zero-width characters, bidi
//! controls, the soft hyphen, variation selectors) removed, then the UTS
//! #39 confusable skeleton. A live address whose lookalike key equals a
//! declared one's while its identity key differs is a spoof of the declared
//! person (`confusable-identity`), never the same person and never silently
//! someone else.
//!
//! `ß` and `ss` are different mailboxes that do not look alike: full lower
//! case keeps `ß` (only case *folding* would make it `ss`), and no
//! confusable table maps one to the other; they are two people.

use unicode_normalization::UnicodeNormalization as _;

/// The identity of an address: NFC, ASCII letters lower-cased, everything
/// else exact. Two addresses are one mailbox when their keys are equal.
///
/// NFC maps a few characters to ASCII by canonical equivalence (U+212A
/// KELVIN SIGN to `K`, U+037E GREEK QUESTION MARK to `;`): those are kept
/// as written, so ASCII in a key only ever comes from ASCII in the address.
pub fn key(email: &str) -> String {
    if email.is_ascii() {
        return email.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(email.len());
    let mut run = String::new();
    for c in email.chars() {
        if !c.is_ascii() && std::iter::once(c).nfc().all(|d| d.is_ascii()) {
            out.extend(run.nfc());
            run.clear();
            out.push(c);
        } else {
            run.push(c);
        }
    }
    out.extend(run.nfc());
    out.make_ascii_lowercase();
    out
}

/// What an address looks like: the UTS #39 skeleton of its NFKC, fully
/// lower-cased form without default-ignorable code points. Addresses with
/// equal lookalike keys cannot be told apart by a reader.
pub fn lookalike(email: &str) -> String {
    let folded: String = email
        .nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_default_ignorable(*c))
        .collect();
    let skeleton: String = unicode_security::skeleton(&folded).collect();
    // The skeleton may itself produce capitals or compatibility forms
    // (`ı` → `i`, `0` ↔ `O`): fold once more so the key is stable.
    let refolded: String = skeleton
        .nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_default_ignorable(*c))
        .collect();
    unicode_security::skeleton(&refolded).collect()
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties): code
/// points a renderer shows as nothing.
pub fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// `email` with every character that is not printable ASCII written as
/// `\u{..}`: how a `confusable-identity` error shows both addresses, so
/// the difference a reader could not see is spelled out.
pub fn revealed(email: &str) -> String {
    let mut out = String::with_capacity(email.len());
    for c in email.chars() {
        if c.is_ascii_graphic() || c == ' ' {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (live, declared, one mailbox, looks alike)
    const CASES: &[(&str, &str, bool, bool)] = &[
        ("Kim@Example.COM", "kim@example.com", true, true),
        ("\u{212a}im@example.com", "kim@example.com", false, true),
        ("k\u{0456}m@example.com", "kim@example.com", false, true),
        ("\u{0430}da@example.com", "ada@example.com", false, true),
        (
            "ad\u{0430}@\u{0435}xample.c\u{043e}m",
            "ada@example.com",
            false,
            true,
        ),
        ("\u{ff4b}im@example.com", "kim@example.com", false, true),
        ("k\u{200d}im@example.com", "kim@example.com", false, true),
        ("ki\u{00ad}m@example.com", "kim@example.com", false, true),
        ("\u{202e}kim@example.com", "kim@example.com", false, true),
        (
            "\u{2060}kim@example.com\u{feff}",
            "kim@example.com",
            false,
            true,
        ),
        ("\u{fb01}n@example.com", "fin@example.com", false, true),
        ("k\u{0131}m@example.com", "kim@example.com", false, true),
        (
            "stra\u{00df}e@example.com",
            "strasse@example.com",
            false,
            false,
        ),
        (
            "STRA\u{00df}E@example.com",
            "stra\u{00df}e@example.com",
            true,
            true,
        ),
        // NFC: a precomposed é and e + combining acute are one mailbox.
        (
            "jos\u{00e9}@example.com",
            "jose\u{0301}@example.com",
            true,
            true,
        ),
        // Non-ASCII case is not folded: É is not é.
        (
            "jos\u{00c9}@example.com",
            "jos\u{00e9}@example.com",
            false,
            true,
        ),
        ("kim@example.com", "kin@example.com", false, false),
        ("rn@example.com", "m@example.com", false, true),
    ];

    #[test]
    fn keys_tell_one_mailbox_from_a_lookalike() {
        for (live, declared, same, alike) in CASES {
            assert_eq!(
                key(live) == key(declared),
                *same,
                "identity of {live:?} vs {declared:?}"
            );
            assert_eq!(
                lookalike(live) == lookalike(declared),
                *alike,
                "lookalike of {live:?} vs {declared:?}: {:?} {:?}",
                lookalike(live),
                lookalike(declared)
            );
        }
    }

    #[test]
    fn invisible_characters_are_shown_escaped() {
        for c in [
            '\u{200b}', '\u{200d}', '\u{00ad}', '\u{202e}', '\u{2066}', '\u{feff}', '\u{200e}',
        ] {
            let email = format!("k{c}im@example.com");
            let escaped = format!("k\\u{{{:x}}}im@example.com", c as u32);
            assert_eq!(crate::escape::text(&email), escaped);
            assert_eq!(revealed(&email), escaped);
        }
        assert_eq!(
            revealed("\u{212a}im@example.com"),
            "\\u{212a}im@example.com"
        );
    }
}
