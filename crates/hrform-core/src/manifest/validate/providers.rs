//! Checks of `providers`: types, workspace ids, base URLs against the
//! vendors' documented hosts, loopback and `HRFORM_ALLOWED_HOSTS`, key
//! variables, throttles.

use super::*;

impl Validator<'_> {
    /// Providers by name. A provider that failed a check still resolves by
    /// name, so its users are not reported as unknown too.
    pub(super) fn providers(
        &mut self,
        raw: Vec<(Sp<String>, Option<Sp<raw::Provider>>)>,
    ) -> Providers {
        let mut out = Providers::new();
        for (name, provider) in raw {
            let kind = provider.as_ref().map(|p| match p.value {
                raw::Provider::Clockify(_) => Kind::Clockify,
                raw::Provider::Connecteam(_) => Kind::Connecteam,
            });
            let checked = provider.and_then(|p| self.provider(&name, p));
            if let Some(first) = out.get(&name.value) {
                let first = first.loc;
                self.duplicate("provider", &name.value, first, name.loc);
                continue;
            }
            out.insert(
                name.value,
                ProviderInfo {
                    checked,
                    kind,
                    loc: name.loc,
                },
            );
        }
        out
    }

    pub(super) fn provider(
        &mut self,
        name: &Sp<String>,
        p: Sp<raw::Provider>,
    ) -> Option<checked::Provider> {
        let (kind, base_url, api_key_env, default_url, default_env, hosts) = match p.value {
            raw::Provider::Clockify(c) => {
                let workspace_ok = c.workspace_id.value.len() == 24
                    && c.workspace_id
                        .value
                        .chars()
                        .all(|ch| ch.is_ascii_hexdigit());
                if !workspace_ok {
                    self.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            format!("`{}` is not a Clockify workspace id", c.workspace_id.value),
                        )
                        .at(c.workspace_id.loc, "expected 24 hexadecimal characters")
                        .help("copy the id from the workspace settings URL, e.g. 64a687e29ae1f428e7ebe303"),
                    );
                }
                let rps = c
                    .requests_per_second
                    .map_or(Some(CLOCKIFY_DEFAULT_RPS), |r| {
                        self.range_f64(
                            &r,
                            "requests_per_second",
                            f64::MIN_POSITIVE,
                            CLOCKIFY_MAX_RPS,
                        )
                    });
                let kind = ProviderKind::Clockify {
                    workspace_id: c.workspace_id.value,
                    requests_per_second: rps.unwrap_or(CLOCKIFY_DEFAULT_RPS),
                    balance_update: c
                        .balance_update
                        .map_or(raw::BalanceUpdate::Auto, |b| b.value),
                };
                (
                    workspace_ok.then_some(kind),
                    c.base_url,
                    c.api_key_env,
                    CLOCKIFY_DEFAULT_BASE_URL,
                    "CLOCKIFY_API_KEY",
                    CLOCKIFY_HOSTS,
                )
            }
            raw::Provider::Connecteam(c) => {
                let rpm = match c.requests_per_minute {
                    None => Some(CONNECTEAM_DEFAULT_RPM),
                    Some(r) if (1..=CONNECTEAM_MAX_RPM).contains(&r.value) => Some(r.value),
                    Some(r) => {
                        self.out_of_range(
                            r.loc,
                            "requests_per_minute",
                            &r.value.to_string(),
                            "from 1 to 200",
                        );
                        None
                    }
                };
                (
                    rpm.map(|requests_per_minute| ProviderKind::Connecteam {
                        requests_per_minute,
                    }),
                    c.base_url,
                    c.api_key_env,
                    CONNECTEAM_DEFAULT_BASE_URL,
                    "CONNECTEAM_API_KEY",
                    CONNECTEAM_HOSTS,
                )
            }
        };
        let base_url = match base_url {
            Some(u) => self.base_url(&u, hosts),
            None => url::Url::parse(default_url).ok(),
        };
        let api_key_env = match api_key_env {
            Some(env) => self.api_key_env(env),
            None => Some(default_env.to_owned()),
        };
        Some(checked::Provider {
            name: name.value.clone(),
            kind: kind?,
            base_url: base_url?,
            api_key_env: api_key_env?,
            loc: p.loc,
        })
    }

    pub(super) fn base_url(&mut self, u: &Sp<String>, vendor_hosts: &[&str]) -> Option<url::Url> {
        let url = match url::Url::parse(&u.value) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => url,
            Ok(_) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidUrl,
                        format!("`{}` is not an http(s) URL", u.value),
                    )
                    .at(u.loc, "expected https://host/path"),
                );
                return None;
            }
            Err(e) => {
                self.push(
                    Diagnostic::error(
                        Code::InvalidUrl,
                        format!("`{}` is not a valid URL: {e}", u.value),
                    )
                    .at(u.loc, "not a URL")
                    .help("write the full URL, e.g. https://api.clockify.me/api"),
                );
                return None;
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            self.push(
                Diagnostic::error(Code::SecretInManifest, "`base_url` carries credentials")
                    .at(u.loc, "credentials in the URL")
                    .secret(u.loc)
                    .help("remove them; hrform sends the API key named by `api_key_env`"),
            );
            return None;
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            self.push(
                Diagnostic::error(
                    Code::InsecureBaseUrl,
                    format!(
                        "plain http to `{}` would send the API key in clear text",
                        url.host_str().unwrap_or_default()
                    ),
                )
                .at(u.loc, "not https")
                .help(
                    "use https; plain http is allowed only to loopback (127.0.0.1, ::1, localhost)",
                ),
            );
            return None;
        }
        if !host_allowed(&url, vendor_hosts, &self.context.allowed_hosts) {
            let host = url.host_str().unwrap_or_default();
            self.push(
                Diagnostic::error(
                    Code::HostNotAllowed,
                    format!(
                        "`{host}` is not an API host of this provider's vendor: the API key would be sent there"
                    ),
                )
                .at(u.loc, "not an allowed host")
                .help(format!(
                    "use one of {}, or a loopback address (the sandbox); whoever runs hrform can allow \
                     another host in the environment variable {ALLOWED_HOSTS_ENV}",
                    vendor_hosts.join(", ")
                )),
            );
            return None;
        }
        Some(url)
    }

    pub(super) fn api_key_env(&mut self, env: Sp<String>) -> Option<String> {
        let valid = !env.value.is_empty()
            && !env.value.starts_with(|c: char| c.is_ascii_digit())
            && env
                .value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if valid {
            if KEY_VARIABLE_PREFIXES
                .iter()
                .any(|p| env.value.len() > p.len() && env.value.starts_with(p))
            {
                return Some(env.value);
            }
            self.push(
                Diagnostic::error(
                    Code::KeyVariableNotAllowed,
                    // Not echoed: a key pasted here can look like a name.
                    format!(
                        "`api_key_env` may only name a variable beginning {}: another could hold any credential of the environment",
                        KEY_VARIABLE_PREFIXES.join(", "),
                    ),
                )
                .at(env.loc, "not an hrform key variable")
                .secret(env.loc)
                .help("e.g. `api_key_env: CLOCKIFY_API_KEY` or `HRFORM_CLOCKIFY_EU_KEY`, exported by whoever runs hrform"),
            );
            return None;
        }
        // The value may be the key itself: never echo it.
        self.push(
            Diagnostic::error(
                Code::SecretInManifest,
                "`api_key_env` must be the UPPER_CASE name of an environment variable, not the key itself",
            )
            .at(env.loc, "not a variable name")
            .secret(env.loc)
            .help("e.g. `api_key_env: CLOCKIFY_API_KEY`, then export CLOCKIFY_API_KEY in the environment"),
        );
        None
    }
}

/// Whether hrform may send a key to `url`'s host: a loopback address, one
/// of the vendor's documented hosts, or one named in `allowed` (the
/// comma-separated `HRFORM_ALLOWED_HOSTS`: `host` allows any port,
/// `host:port` only that one). Names compare case-insensitively, exactly:
/// no suffix or wildcard matching.
pub(super) fn host_allowed(url: &url::Url, vendor_hosts: &[&str], allowed: &str) -> bool {
    if is_loopback(url) {
        return true;
    }
    let Some(host) = url.host_str() else {
        return false;
    };
    if vendor_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return true;
    }
    let port = url.port_or_known_default();
    allowed
        .split(',')
        .map(str::trim)
        .any(|entry| match entry.rsplit_once(':') {
            Some((h, p)) if !h.is_empty() && !h.ends_with(':') && p.parse::<u16>().is_ok() => {
                h.eq_ignore_ascii_case(host) && p.parse::<u16>().ok() == port
            }
            _ => !entry.is_empty() && entry.eq_ignore_ascii_case(host),
        })
}

pub(super) fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
