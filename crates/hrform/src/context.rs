//! The context: what hrform takes from the world it runs in (the clock,
//! environment variables, whether its streams are terminals), read once at
//! the edge and passed down, so the code below never reads any of them.

use std::io::IsTerminal as _;

use crate::manifest;

/// When to colour output (`--color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// What the commands need from the environment, read once.
#[derive(Debug, Clone)]
pub struct Context {
    /// Today (the clock, or `HRFORM_TODAY`) and the allowed API hosts
    /// (`HRFORM_ALLOWED_HOSTS`), for checking manifests.
    pub manifest: manifest::Context,
    /// `HRFORM_BACKOFF_SCALE` when it holds a number in (0, 1]: the factor
    /// on every retry wait against a loopback host (the sandbox).
    pub backoff_scale: Option<f64>,
    /// Running in GitHub Actions (`GITHUB_ACTIONS=true`): diagnostics
    /// default to workflow commands.
    pub github_actions: bool,
    /// Whether to colour stdout and stderr.
    pub color: Colors,
    /// `-v`: the text plan also says where each change comes from.
    pub verbose: bool,
}

/// Whether each stream is coloured: decided once, for everything that
/// writes to it (anstream, the log, the plan and diagnostic renderers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Colors {
    pub stdout: bool,
    pub stderr: bool,
}

/// The colour variables of the environment (the NO_COLOR and bixense
/// CLICOLOR conventions), read with `anstyle_query` where it agrees.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ColorEnv {
    /// `NO_COLOR` is set and not empty.
    pub no_color: bool,
    /// `CLICOLOR_FORCE` is set, not empty and not `0`.
    pub clicolor_force: bool,
    /// `CLICOLOR`: `Some(false)` when it is `0`, `Some(true)` when set to
    /// anything else.
    pub clicolor: Option<bool>,
    /// The terminal says it shows colours (`TERM` is not `dumb`).
    pub term_supports_color: bool,
    /// A CI service known to show colours in its logs.
    pub ci: bool,
}

impl ColorEnv {
    fn read() -> Self {
        Self {
            no_color: anstyle_query::no_color(),
            // The bixense rule: `0` does not force (`anstyle_query`'s
            // `clicolor_force` takes any non-empty value).
            clicolor_force: std::env::var_os("CLICOLOR_FORCE")
                .is_some_and(|v| !v.is_empty() && v != "0"),
            clicolor: anstyle_query::clicolor(),
            term_supports_color: anstyle_query::term_supports_color(),
            ci: anstyle_query::is_ci(),
        }
    }
}

/// Whether to colour a stream: `--color always|never` wins over the
/// environment; under `auto`, a non-empty `NO_COLOR` disables colour even
/// when `CLICOLOR_FORCE` is set (anstream's order: a user's standing "no"
/// beats a tool-wide "force"); `CLICOLOR_FORCE` (not `0`) forces it on
/// non-terminals too; `CLICOLOR=0` disables it; otherwise a terminal that
/// shows colours (or a CI log, or `CLICOLOR` set) gets colour.
pub(crate) fn colour(flag: ColorChoice, env: &ColorEnv, is_terminal: bool) -> bool {
    match flag {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env.no_color {
                false
            } else if env.clicolor_force {
                true
            } else if env.clicolor == Some(false) {
                false
            } else {
                is_terminal && (env.term_supports_color || env.clicolor == Some(true) || env.ci)
            }
        }
    }
}

impl Context {
    /// Read the clock and the environment, colour decided as `--color
    /// auto` would.
    pub fn from_env() -> Self {
        Self::read(ColorChoice::Auto)
    }

    /// Read the clock and the environment, colour decided by `--color`
    /// `flag` and the environment.
    pub(crate) fn read(flag: ColorChoice) -> Self {
        let env = ColorEnv::read();
        Context {
            manifest: manifest::Context {
                now: jiff::Timestamp::now(),
                // `YYYY-MM-DD`; anything else is ignored, as it always was.
                today: std::env::var("HRFORM_TODAY")
                    .ok()
                    .and_then(|d| d.parse().ok()),
                allowed_hosts: std::env::var(manifest::ALLOWED_HOSTS_ENV).unwrap_or_default(),
            },
            backoff_scale: std::env::var(crate::http::BACKOFF_SCALE_ENV)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|f| f.is_finite() && *f > 0.0 && *f <= 1.0),
            github_actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
            color: Colors {
                stdout: colour(flag, &env, std::io::stdout().is_terminal()),
                stderr: colour(flag, &env, std::io::stderr().is_terminal()),
            },
            verbose: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_follows_the_flag_then_no_color_then_clicolor() {
        let none = ColorEnv {
            term_supports_color: true,
            ..ColorEnv::default()
        };
        let no_color = ColorEnv {
            no_color: true,
            ..none
        };
        let force = ColorEnv {
            clicolor_force: true,
            ..none
        };
        let both = ColorEnv {
            no_color: true,
            clicolor_force: true,
            ..none
        };
        let off = ColorEnv {
            clicolor: Some(false),
            ..none
        };
        let dumb = ColorEnv {
            term_supports_color: false,
            ..none
        };
        let ci = ColorEnv { ci: true, ..dumb };
        use ColorChoice::{Always, Auto, Never};
        #[rustfmt::skip]
        let table = [
            ("auto, a terminal", Auto, none, true, true),
            ("auto, a pipe", Auto, none, false, false),
            ("NO_COLOR on a terminal", Auto, no_color, true, false),
            ("CLICOLOR_FORCE on a pipe", Auto, force, false, true),
            ("NO_COLOR beats CLICOLOR_FORCE", Auto, both, false, false),
            ("CLICOLOR=0 on a terminal", Auto, off, true, false),
            ("TERM=dumb on a terminal", Auto, dumb, true, false),
            ("a CI log on a terminal", Auto, ci, true, true),
            ("--color always beats NO_COLOR", Always, no_color, false, true),
            ("--color never beats CLICOLOR_FORCE", Never, force, true, false),
        ];
        for (name, flag, env, terminal, want) in table {
            assert_eq!(colour(flag, &env, terminal), want, "{name}");
        }
    }
}
