//! What a vendor's error answer means for this tree: one table, keyed by
//! (vendor, status, body code), of message templates, filled in with the
//! provider's name, the variable its key came from, its workspace and
//! where the manifests declare it. Every status and body code the vendors
//! are known to answer has its row; anything else falls back to a row
//! without a code, then to a plain "answered HTTP n".
//!
//! Templates name what to do, never the key: the placeholders are
//! `{provider}`, `{env}`, `{workspace}`, `{manifest}` (where the provider
//! is declared) and `{entry}` (the policy or person the call's path names).

/// What the message may say about the tree a provider comes from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    /// The provider's name in the manifests.
    pub provider: String,
    /// The environment variable the API key came from.
    pub env: String,
    /// The workspace id (Clockify), if the vendor has one.
    pub workspace: Option<String>,
    /// Where the provider is declared (`providers.yaml:2`).
    pub manifest: String,
}

/// One row: what `vendor` answering `status` (with body `code`, or any
/// code when `None`) means.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    pub vendor: &'static str,
    pub status: u16,
    pub code: Option<&'static str>,
    pub says: &'static str,
}

const fn row(
    vendor: &'static str,
    status: u16,
    code: Option<&'static str>,
    says: &'static str,
) -> Row {
    Row {
        vendor,
        status,
        code,
        says,
    }
}

const CK: &str = "Clockify";
const CT: &str = "Connecteam";

/// Made where a request was malformed: hrform's fault, not the tree's.
const BUG: &str = "hrform sent a request {provider} could not read: this is a bug in hrform, please report it with the line below";

/// The table. Clockify's body code is the number in `{"code": n}`;
/// Connecteam's is the `CODE` of `{"error": "CODE: text"}`, or a name
/// hrform gives the `detail` texts it knows (see each vendor's transport).
pub(crate) const TABLE: &[Row] = &[
    // Clockify.
    row(
        CK,
        400,
        Some("501"),
        "{entry} is not in Clockify workspace {workspace} (deleted, never made, or in another workspace): check it still exists there, or the workspace_id of provider `{provider}` ({manifest})",
    ),
    row(CK, 400, Some("3000"), BUG),
    row(CK, 400, Some("3001"), BUG),
    row(CK, 400, Some("3002"), BUG),
    row(CK, 400, None, "Clockify refused the request as invalid"),
    row(
        CK,
        401,
        Some("1000"),
        "Clockify found no usable API key: the value of {env} is not a single key; make one in Clockify under Profile settings → API and put it in {env}",
    ),
    row(
        CK,
        401,
        Some("4003"),
        "Clockify does not know the API key in {env} (provider `{provider}`): make one in Clockify under Profile settings → API and put it in {env}",
    ),
    row(
        CK,
        401,
        Some("4017"),
        "Clockify took the key in {env} for an add-on token and refused it: use a personal API key, made in Clockify under Profile settings → API",
    ),
    row(
        CK,
        401,
        None,
        "Clockify refused the API key in {env} (provider `{provider}`): make one in Clockify under Profile settings → API and put it in {env}",
    ),
    row(
        CK,
        403,
        None,
        "the API key in {env} has no access to Clockify workspace {workspace}: check the workspace_id of provider `{provider}` ({manifest}), that the key's owner is an admin of that workspace, and that its plan includes time off (Standard or above); the key's owner cannot deactivate themselves either",
    ),
    row(
        CK,
        404,
        Some("3000"),
        "Clockify has no such API path: check the base_url of provider `{provider}` ({manifest}) (a regional workspace uses its region's URL, e.g. https://euc1.clockify.me/api)",
    ),
    row(
        CK,
        404,
        None,
        "{entry} was not found in Clockify workspace {workspace}: check it still exists there",
    ),
    row(
        CK,
        405,
        Some("3000"),
        "Clockify has no such call at this path: check the base_url of provider `{provider}` ({manifest})",
    ),
    row(
        CK,
        429,
        None,
        "Clockify kept answering \"too many requests\" after hrform's retries: lower requests_per_second of provider `{provider}` ({manifest}) or try again later (a free workspace allows 30 calls an hour)",
    ),
    // Connecteam.
    row(
        CT,
        400,
        Some("owners-or-managers"),
        "Connecteam cannot archive owners or managers ({entry}): make them ordinary users in Connecteam first, or keep them active in the manifests",
    ),
    row(
        CT,
        400,
        Some("self"),
        "Connecteam does not let the API key's owner archive themselves ({entry}): keep them active in the manifests",
    ),
    row(
        CT,
        400,
        Some("already-archived"),
        "{entry} is already archived in Connecteam: run plan again to see the current state",
    ),
    row(CT, 400, None, "Connecteam refused the request"),
    row(
        CT,
        401,
        None,
        "Connecteam refused the API key in {env} (provider `{provider}`): make one in Connecteam under Settings → API keys (only the account owner can) and put it in {env}",
    ),
    row(
        CT,
        403,
        None,
        "the API key in {env} may not do this in Connecteam (provider `{provider}`, {manifest}): the API needs the Expert plan or above, and time off the HR & Skills hub",
    ),
    row(
        CT,
        404,
        None,
        "{entry} was not found in Connecteam (deleted or archived since it was read?): run plan again",
    ),
    row(CT, 422, Some("validation"), BUG),
    row(CT, 422, None, BUG),
    row(
        CT,
        429,
        None,
        "Connecteam kept answering \"too many requests\" after hrform's retries (its limits are per account, shared with other integrations): lower requests_per_minute of provider `{provider}` ({manifest}) or try again later",
    ),
    row(
        CT,
        200,
        Some("too-many-requests"),
        "Connecteam kept answering \"too many requests\" after hrform's retries (its limits are per account, shared with other integrations): lower requests_per_minute of provider `{provider}` ({manifest}) or try again later",
    ),
];

/// The row for `vendor` answering `status` with body `code`: the exact
/// code first, then the status's catch-all.
pub(crate) fn lookup(vendor: &str, status: u16, code: Option<&str>) -> Option<&'static Row> {
    let of = |c: Option<&str>| {
        TABLE
            .iter()
            .find(|r| r.vendor == vendor && r.status == status && r.code == c)
    };
    code.and_then(|c| of(Some(c))).or_else(|| of(None))
}

/// The policy or person a call's path names, from its last id-bearing
/// segment (`/users/{id}`, `/policies/{id}`, `/policy-types/{id}`...).
pub(crate) fn entry(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    parts.windows(2).rev().find_map(|w| {
        let kind = match w[0] {
            "users" | "user" | "balances" => "person",
            "policies" | "policy" | "policy-types" | "time-off-policies" => "policy",
            _ => return None,
        };
        // `/users/v1/users`: a version is not an id.
        if w[1] == "v1" {
            return None;
        }
        Some(format!("the {kind} with id {}", w[1]))
    })
}

/// The message for an error answer: the row's words with the tree filled
/// in, then what was called and what the vendor said (`call` is method
/// and path; its query is logged at `-v`, never shown here).
pub(crate) fn message(
    tree: &Tree,
    vendor: &str,
    call: &str,
    status: u16,
    code: Option<&str>,
    said: &str,
) -> String {
    let path = call.split_once(' ').map_or(call, |(_, p)| p);
    let answered = match code {
        Some(c) => format!("{call} answered HTTP {status}, code {c}: {said}"),
        None => format!("{call} answered HTTP {status}: {said}"),
    };
    match lookup(vendor, status, code) {
        Some(row) => {
            let says = fill(row.says, tree, path);
            format!("{}: {says} ({answered})", tree.provider)
        }
        None => format!("{}: {vendor}: {answered}", tree.provider),
    }
}

/// `template` with the placeholders replaced.
fn fill(template: &str, tree: &Tree, path: &str) -> String {
    template
        .replace("{provider}", &tree.provider)
        .replace("{env}", &tree.env)
        .replace("{workspace}", tree.workspace.as_deref().unwrap_or("(none)"))
        .replace("{manifest}", &tree.manifest)
        .replace(
            "{entry}",
            &entry(path).unwrap_or_else(|| "what the call names".to_owned()),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Tree {
        Tree {
            provider: "acme".into(),
            env: "ACME_KEY".into(),
            workspace: Some("ws1".into()),
            manifest: "providers.yaml:2".into(),
        }
    }

    /// Every row is found by its own key, fills every placeholder, and
    /// says what the row's status needs: the key's variable and where keys
    /// are made for 401, the workspace and manifest for 403, the entry for
    /// a missing policy or person.
    #[test]
    fn every_row_is_found_and_filled() {
        for row in TABLE {
            let found = lookup(row.vendor, row.status, row.code).expect("found");
            assert_eq!(found.says, row.says, "{row:?}");
            let m = message(
                &tree(),
                row.vendor,
                "GET /v1/workspaces/ws1/users/u7",
                row.status,
                row.code,
                "said",
            );
            assert!(!m.contains('{'), "unfilled placeholder in {m}");
            assert!(m.starts_with("acme: "), "{m}");
            assert!(
                m.contains("GET /v1/workspaces/ws1/users/u7 answered HTTP"),
                "{m}"
            );
            match row.status {
                401 => {
                    assert!(m.contains("ACME_KEY"), "{m}");
                    assert!(
                        m.contains("Profile settings → API") || m.contains("Settings → API keys"),
                        "{m}"
                    );
                }
                403 => assert!(m.contains("providers.yaml:2"), "{m}"),
                404 if row.code.is_none() => assert!(m.contains("person with id u7"), "{m}"),
                _ => {}
            }
            if row.vendor == CK && row.status == 403 {
                assert!(m.contains("ws1"), "{m}");
            }
        }
    }

    /// Each (vendor, status, code) appears once: a second row would never
    /// be reached.
    #[test]
    fn rows_are_unique() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert!(
                    (a.vendor, a.status, a.code) != (b.vendor, b.status, b.code),
                    "{a:?}"
                );
            }
        }
    }

    #[test]
    fn unknown_codes_fall_back() {
        assert_eq!(
            lookup(CK, 401, Some("9999")).map(|r| r.code),
            Some(None),
            "an unknown code takes the status's catch-all"
        );
        assert!(lookup(CK, 418, None).is_none());
        let m = message(&tree(), CK, "GET /x", 418, None, "teapot");
        assert_eq!(m, "acme: Clockify: GET /x answered HTTP 418: teapot");
    }

    #[test]
    fn entries_come_from_the_path() {
        for (path, want) in [
            (
                "/v1/workspaces/w/time-off/balance/policy/p1",
                Some("the policy with id p1"),
            ),
            (
                "/time-off/v1/policy-types/9/balances/42",
                Some("the person with id 42"),
            ),
            (
                "/time-off/v1/policy-types/9/balances",
                Some("the policy with id 9"),
            ),
            ("/v1/workspaces/w/users/u1", Some("the person with id u1")),
            ("/v1/user", None),
            ("/users/v1/users", None),
        ] {
            assert_eq!(entry(path).as_deref(), want, "{path}");
        }
    }
}
