//! The SHA-256 digest of a saved plan file: what the pull-request comment's
//! marker carries (`plan_sha256`) and what `apply --plan-sha256` checks, so
//! that the plan applied is byte for byte the plan reviewed.

use std::fmt;

use sha2::{Digest as _, Sha256};

/// A plan's SHA-256. Displayed as `sha256:` and 64 lowercase hex digits,
/// the form of the comment's marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanDigest([u8; 32]);

impl PlanDigest {
    /// The digest of exactly these bytes (a plan file as `plan --out` wrote it).
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }
}

impl fmt::Display for PlanDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sha256:")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for PlanDigest {
    type Err = String;

    /// 64 hex digits, either case, optionally after `sha256:` (so the
    /// marker's value can be passed as it is).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix("sha256:").unwrap_or(s);
        let bad =
            || "expected a SHA-256 digest: 64 hex digits, optionally after `sha256:`".to_owned();
        // Digits only: `from_str_radix` alone would take a `+` sign.
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
        }
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::PlanDigest;

    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn parses_what_it_prints_and_refuses_the_rest() {
        let abc = PlanDigest::of(b"abc");
        assert_eq!(abc.to_string(), format!("sha256:{ABC}"));
        let table: &[(&str, bool)] = &[
            (ABC, true),
            (&ABC.to_uppercase(), true),
            (&format!("sha256:{ABC}"), true),
            (&ABC[..63], false),
            (&format!("{ABC}0"), false),
            (&format!("sha512:{ABC}"), false),
            (&format!("{}g", &ABC[..63]), false),
            (&format!("{}+f", &ABC[..62]), false),
            (&format!("{}é", &ABC[..62]), false),
            ("", false),
        ];
        for (input, ok) in table {
            let parsed = input.parse::<PlanDigest>();
            assert_eq!(parsed.is_ok(), *ok, "{input}");
            if *ok {
                assert_eq!(parsed.unwrap(), abc, "{input}");
            }
        }
    }
}
