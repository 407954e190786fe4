//! The context: what hrform takes from the world it runs in (the clock and
//! environment variables), read once at the edge and passed down, so the
//! core below never reads either.

use crate::manifest;

/// What the commands need from the environment, read once.
#[derive(Debug, Clone)]
pub struct Context {
    /// Today (the clock, or `HRFORM_TODAY`) and the allowed API hosts
    /// (`HRFORM_ALLOWED_HOSTS`), for checking manifests.
    pub manifest: manifest::Context,
}

impl Context {
    /// Read the clock and the environment.
    pub fn from_env() -> Self {
        Context {
            manifest: manifest::Context {
                now: jiff::Timestamp::now(),
                // `YYYY-MM-DD`; anything else is ignored, as it always was.
                today: std::env::var("HRFORM_TODAY")
                    .ok()
                    .and_then(|d| d.parse().ok()),
                allowed_hosts: std::env::var(manifest::ALLOWED_HOSTS_ENV).unwrap_or_default(),
            },
        }
    }
}
