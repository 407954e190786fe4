//! The catalogue of diagnostic codes: one table gives each code its
//! variant, its stable kebab-case name and its one-sentence meaning, from
//! which the enum, [`Code::as_str`], [`Code::description`] and
//! [`Code::ALL`] are all generated.

use std::fmt;

/// Generates [`Code`] and its lookups from rows of
/// `Variant = "kebab-name": "What it means."`.
macro_rules! codes {
    ($($variant:ident = $name:literal: $desc:literal,)+) => {
        /// The stable code of every diagnostic hrform emits. The kebab-case
        /// name is part of hrform's interface: scripts and docs may refer to it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(#[doc = $desc] $variant,)+
        }

        impl Code {
            /// Every code, in declaration order (for docs and the uniqueness test).
            pub const ALL: &'static [Code] = &[$(Code::$variant,)+];

            /// The stable kebab-case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)+
                }
            }

            /// What the code means, in one sentence (SARIF rule descriptions, the README).
            pub fn description(self) -> &'static str {
                match self {
                    $(Code::$variant => $desc,)+
                }
            }
        }
    };
}

codes! {
    Io = "io":
        "A manifest could not be read from disk.",
    NoManifests = "no-manifests":
        "No manifest files were found.",
    YamlSyntax = "yaml-syntax":
        "The YAML itself is malformed.",
    UnknownKey = "unknown-key":
        "A key that hrform does not know.",
    WrongType = "wrong-type":
        "A value of the wrong type (a list where a string was expected, ...).",
    InvalidValue = "invalid-value":
        "A value outside the allowed set (an enum).",
    MissingField = "missing-field":
        "A required key is absent.",
    Duplicate = "duplicate":
        "Two things that must be unique share a name or key.",
    UnknownProvider = "unknown-provider":
        "A user or request names a provider that is not declared.",
    UnknownProfile = "unknown-profile":
        "A user names a profile that is not declared.",
    ProviderRequired = "provider-required":
        "Several providers are declared and an entry does not say which.",
    NoProvider = "no-provider":
        "Users or requests are declared but no provider is.",
    InvalidEmail = "invalid-email":
        "An email address that is not one.",
    InvalidBalance = "invalid-balance":
        "A balance that is negative, infinite or not a number.",
    BalanceWithoutUnit = "balance-without-unit":
        "A balance without a unit.",
    InvalidDate = "invalid-date":
        "A date that is not a real calendar date.",
    ImplausibleDate = "implausible-date":
        "A request date more than ten years from today (a typo).",
    InvalidTime = "invalid-time":
        "A time of day that is not HH:MM or HH:MM:SS.",
    EndBeforeStart = "end-before-start":
        "A request that ends before it starts.",
    MissingTimes = "missing-times":
        "A partial-day request (`all_day: false`) without times.",
    PartialDaySpansDates = "partial-day-spans-dates":
        "A partial-day request that spans more than one date.",
    TimesOnAllDay = "times-on-all-day":
        "Times on an all-day request.",
    NonexistentLocalTime = "nonexistent-local-time":
        "A partial-day time that does not exist on its date in its time zone (skipped when the clocks go forward).",
    ClockChange = "clock-change":
        "The clocks change during a partial-day request and `adjust_for_dst` does not say how to count it (warning).",
    EndTimeNotAfterStart = "end-time-not-after-start":
        "A partial-day request whose end time is not after its start time.",
    UnknownTimezone = "unknown-timezone":
        "A time zone that is not in the IANA database.",
    SecretInManifest = "secret-in-manifest":
        "An API key or other secret written into a manifest.",
    InvalidUrl = "invalid-url":
        "A `base_url` that is not a valid URL.",
    InsecureBaseUrl = "insecure-base-url":
        "A `base_url` that sends the API key in clear text to another host.",
    HostNotAllowed = "host-not-allowed":
        "A `base_url` whose host is not the vendor's, a loopback address, or in `HRFORM_ALLOWED_HOSTS`.",
    KeyVariableNotAllowed = "key-variable-not-allowed":
        "An `api_key_env` that does not begin `HRFORM_`, `CLOCKIFY_` or `CONNECTEAM_`.",
    SymlinkOutsideTree = "symlink-outside-tree":
        "A symlink under the configuration directory that leads out of it (or loops).",
    InvalidRequestKey = "invalid-request-key":
        "A request `key` with characters outside letters, digits and `-_.:/`.",
    OutOfRange = "out-of-range":
        "A number outside the range the setting allows.",
    WrongProviderType = "wrong-provider-type":
        "A key that only applies to another provider type.",
    ProtectedUserInactive = "protected-user-inactive":
        "A protected user declared inactive.",
    StartDateForInactive = "start-date-for-inactive":
        "A person declared inactive (who left) with a start date and no end date.",
    TenureWithoutStartDate = "tenure-without-start-date":
        "An allowance by tenure for a person without a start date.",
    InvalidTenure = "invalid-tenure":
        "Tenure tiers that do not start at 0 years, are not ascending, or come with a single allowance too.",
    UnusedProfile = "unused-profile":
        "A profile no user refers to.",
    RosterFile = "roster-file":
        "A roster file that cannot be read as a table (outside the configuration directory, too large, not CSV or .xlsx, rows of unequal width).",
    RosterHeaderMissing = "roster-header-missing":
        "A roster maps a header its file does not have.",
    RosterSecretHeader = "roster-secret-header":
        "A roster maps a column whose header looks like a secret or a personal identifier (never read).",
    RosterCell = "roster-cell":
        "A roster cell that cannot be read: not an email, not a date in `date_format`, an unknown status or value.",
    RosterDuplicate = "roster-duplicate":
        "One person (email and provider) in two roster rows.",
    RuleConflict = "rule-conflict":
        "Two rules matching one person give one policy different settings.",
    RuleUnmappedAttribute = "rule-unmapped-attribute":
        "A rule tests an attribute no roster maps and no `users:` entry carries.",
    UserNotFound = "user-not-found":
        "A declared user does not exist in the provider.",
    UnknownPolicy = "unknown-policy":
        "A policy (or policy type) that does not exist in the provider.",
    UnitMismatch = "unit-mismatch":
        "A declared unit that differs from the policy's own.",
    AmbiguousPolicy = "ambiguous-policy":
        "A Connecteam policy name found under several policy types.",
    HasExpirationRequired = "has-expiration-required":
        "A Clockify assignment change for a policy without declared `has_expiration`.",
    UserPending = "user-pending":
        "A Clockify user who is invited (pending) or declined: cannot be activated.",
    KeyOwnerInactive = "key-owner-inactive":
        "The owner of the API key declared inactive.",
    CannotArchiveManager = "cannot-archive-manager":
        "A Connecteam owner or manager declared inactive: the API cannot archive them.",
    UnknownPolicyType = "unknown-policy-type":
        "A request names a policy type the account does not have.",
    RequestNotAssigned = "request-not-assigned":
        "A request's person is on no policy of the request's type.",
    DuplicateRequestMarker = "duplicate-request-marker":
        "Several live requests carry the same `[hrform:KEY]` marker: the later copies are denied (warning).",
    AmbiguousIdentity = "ambiguous-identity":
        "Two live accounts share one email (differing in case, say), or one id is listed twice with different data: which one is meant?",
    ConfusableIdentity = "confusable-identity":
        "A live account's email looks like a declared one (a Kelvin sign for a `K`, a Cyrillic `а`, a zero-width character) but is another mailbox: a possible spoof.",
    ProtectedUserNotFound = "protected-user-not-found":
        "A `protected_users` entry names nobody in any provider (warning).",
    OverlappingRequests = "overlapping-requests":
        "Declared requests of one person overlap (warning).",
    DoubleDeduction = "double-deduction":
        "An absolute balance and approved requests in one policy type (warning).",
    AllowanceAndBalance = "allowance-and-balance":
        "A time-off entry declares both `allowance` and `balance`.",
    AccruingPolicy = "accruing-policy":
        "An `allowance` on a policy whose balance the system accrues itself.",
    UnreadableBalance = "unreadable-balance":
        "A Clockify balance row whose `balance`, `total` and `used` do not say which is accrued and which available.",
    RequestNeedsRecreate = "request-needs-recreate":
        "A request field the API cannot change differs; it must be denied and recreated (`recreate_requests`) (warning).",
    FmtUnsupported = "fmt-unsupported":
        "A construct `hrform fmt` cannot rewrite without losing something (a comment inside a flow collection, an anchor, a tag, ...): the file is left as it is.",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_all_listed() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two codes share a name");
        assert_eq!(
            n,
            Code::FmtUnsupported as usize + 1,
            "Code::ALL misses a code"
        );
    }
}
