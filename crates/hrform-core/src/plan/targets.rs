//! `--target` selectors: parsed once, and which changes they select.

use crate::model::{Change, ChangeKind};

/// One `--target` selector, parsed once: a person (by email, compared
/// case-insensitively), `provider=NAME` or `policy=NAME` (a policy, or a
/// request's policy type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Lower-cased.
    Email(String),
    Provider(String),
    Policy(String),
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (target, name) = if let Some(p) = s.strip_prefix("provider=") {
            (Target::Provider(p.to_owned()), p)
        } else if let Some(p) = s.strip_prefix("policy=") {
            (Target::Policy(p.to_owned()), p)
        } else {
            (Target::Email(crate::mailbox::key(s)), s)
        };
        if name.is_empty() {
            return Err("a selector is an email, provider=NAME or policy=NAME".to_owned());
        }
        Ok(target)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Email(e) => f.write_str(e),
            Target::Provider(p) => write!(f, "provider={p}"),
            Target::Policy(p) => write!(f, "policy={p}"),
        }
    }
}

impl Target {
    /// Whether this selector selects `change`.
    pub fn selects(&self, change: &Change) -> bool {
        match self {
            Target::Provider(p) => &change.provider == p,
            Target::Policy(p) => match &change.kind {
                ChangeKind::Assign { policy, .. } | ChangeKind::Balance { policy, .. } => {
                    &policy.name == p
                }
                ChangeKind::CreateRequest { request, .. }
                | ChangeKind::UpdateRequest { request, .. }
                | ChangeKind::DenyRequest { request, .. } => &request.policy_type == p,
                ChangeKind::Status { .. } => false,
            },
            Target::Email(e) => crate::mailbox::key(&change.person.email) == *e,
        }
    }
}

/// Whether `change` is selected by the `--target` selectors (none: all).
pub fn selected(change: &Change, targets: &[Target]) -> bool {
    targets.is_empty() || targets.iter().any(|t| t.selects(change))
}

#[cfg(test)]
mod target_tests {
    use super::Target;

    /// `--target` is parsed once, with one case folding for emails.
    #[test]
    fn targets_parse_once() {
        assert_eq!(
            "Ada@Example.com".parse(),
            Ok(Target::Email("ada@example.com".into()))
        );
        assert_eq!(
            "provider=field".parse(),
            Ok(Target::Provider("field".into()))
        );
        assert_eq!(
            "policy=Vacation".parse(),
            Ok(Target::Policy("Vacation".into()))
        );
        assert!("provider=".parse::<Target>().is_err());
        assert!("".parse::<Target>().is_err());
        let t: Target = "policy=Sick".parse().unwrap();
        assert_eq!(t.to_string().parse(), Ok(t));
    }
}
