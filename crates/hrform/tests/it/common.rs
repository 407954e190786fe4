//! The fluent test helper: write manifests into a temporary directory, run
//! the real binary there, and look at its exit code, stdout and stderr.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What varies from run to run in hrform's output, and what a snapshot
/// shows in its place: loopback ports, temporary directories, SHA-256
/// digests and durations. Every snapshot goes through [`snapshot!`], so
/// each filter is written once.
pub const SNAPSHOT_FILTERS: &[(&str, &str)] = &[
    (r"(127\.0\.0\.1|localhost):\d+", "$1:[port]"),
    (
        r"/(?:private/)?(?:tmp|var/folders)/[^\s'`\x22]*\.tmp[A-Za-z0-9]+",
        "[tmp]",
    ),
    (r"\b[0-9a-f]{64}\b", "[digest]"),
    (r"\b\d+(?:\.\d+)? ?(?:ms|µs)\b", "[duration]"),
];

/// The one snapshot macro: `insta::assert_snapshot!` with the shared
/// [`SNAPSHOT_FILTERS`]; takes what `assert_snapshot!` takes.
#[macro_export]
macro_rules! snapshot {
    ($($arg:tt)*) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $crate::common::SNAPSHOT_FILTERS {
            settings.add_filter(pattern, *replacement);
        }
        settings.bind(|| insta::assert_snapshot!($($arg)*));
    }};
}

/// One run of `hrform` in a fresh temporary directory.
pub struct Test {
    dir: tempfile::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: Option<PathBuf>,
    sandbox: Option<hrform::sandbox::SandboxHandle>,
}

/// The API keys test seeds use; `Test::sandbox` exports them under the
/// default variable names.
pub const CLOCKIFY_KEY: &str = "sandbox-clockify-key";
pub const CONNECTEAM_KEY: &str = "sandbox-connecteam-key";

/// What a run produced.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            sandbox: None,
        }
    }

    /// Start a sandbox in this test process from `seed` (YAML), and export
    /// the test keys as `CLOCKIFY_API_KEY` and `CONNECTEAM_API_KEY`.
    /// Manifests point at it with [`Test::sandbox_url`].
    pub fn sandbox(self, seed: &str) -> Self {
        self.sandbox_with(seed, hrform::sandbox::Options::default())
    }

    /// [`Test::sandbox`] with faults or rate limits.
    pub fn sandbox_with(mut self, seed: &str, options: hrform::sandbox::Options) -> Self {
        let seed = hrform::sandbox::Seed::from_yaml_str(seed).expect("test seed loads");
        let handle =
            hrform::sandbox::Sandbox::start_in_thread(seed, options).expect("sandbox starts");
        self.sandbox = Some(handle);
        self.env("CLOCKIFY_API_KEY", CLOCKIFY_KEY)
            .env("CONNECTEAM_API_KEY", CONNECTEAM_KEY)
    }

    /// The running sandbox's base URL (`http://127.0.0.1:PORT`).
    pub fn sandbox_url(&self) -> String {
        self.sandbox
            .as_ref()
            .expect("a sandbox was started")
            .base_url()
    }

    /// The sandbox's request log: one JSON object per request.
    pub fn sandbox_log(&self) -> Vec<serde_json::Value> {
        self.sandbox.as_ref().expect("a sandbox was started").log()
    }

    /// The sandbox's whole state as JSON.
    pub fn sandbox_state(&self) -> serde_json::Value {
        self.sandbox
            .as_ref()
            .expect("a sandbox was started")
            .state()
    }

    /// Write `contents` to `path` under the test directory.
    pub fn file(self, path: &str, contents: &str) -> Self {
        let full = self.dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(full, contents).expect("write fixture");
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Run from `dir` instead of the temporary directory.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_owned());
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self) -> Output {
        let out = self.command().output().expect("run hrform");
        Output::from(out)
    }

    /// Run the binary with `args` instead of those given to [`Test::args`]
    /// (several commands against one sandbox).
    pub fn run_with(&self, args: &[&str]) -> Output {
        let mut cmd = self.command_with(args);
        Output::from(cmd.output().expect("run hrform"))
    }

    /// Run `apply --yes -q` until it exits 0, at most `max_runs` times:
    /// each run must exit 0 or 5 (some changes failed or were skipped) and
    /// pass `check`. `what` names the case in failures.
    pub fn apply_until_done(&self, what: &str, max_runs: usize, check: impl Fn(&Output)) {
        for run in 1..=max_runs {
            let out = self.run_with(&["apply", "--yes", "-q"]);
            assert!(
                out.code == 0 || out.code == 5,
                "{what}: exit {}\n{}\n{}",
                out.code,
                out.stdout,
                out.stderr
            );
            check(&out);
            if out.code == 0 {
                return;
            }
            assert!(run < max_runs, "{what}: no convergence\n{}", out.stdout);
        }
    }

    /// Send one request to the sandbox as a client would (to change the
    /// world behind hrform's back); its status.
    pub fn sandbox_send(
        &self,
        method: &str,
        path: &str,
        auth: (&str, &str),
        body: serde_json::Value,
    ) -> u16 {
        let url = format!("{}{path}", self.sandbox_url());
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(async {
                reqwest::Client::new()
                    .request(method, &url)
                    .header(auth.0, auth.1)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
            .expect("sandbox request")
    }
}

impl From<std::process::Output> for Output {
    fn from(out: std::process::Output) -> Self {
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        }
    }
}

impl Test {
    /// The command a run would execute (for tests that wrap it).
    pub fn command(&self) -> Command {
        self.command_with(&self.args)
    }

    pub fn command_with<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hrform"));
        cmd.args(args);
        self.environment(&mut cmd);
        cmd
    }

    /// A command running `program` (a CI script, say) in the test's
    /// directory with the environment hrform would get, and `$HRFORM`
    /// naming the binary under test.
    pub fn program(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new(program);
        self.environment(&mut cmd);
        cmd.env("HRFORM", env!("CARGO_BIN_EXE_hrform"));
        cmd
    }

    fn environment(&self, cmd: &mut Command) {
        cmd.current_dir(self.cwd.as_deref().unwrap_or(self.dir.path()))
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("HRFORM_LOG")
            .env_remove("HRFORM_ALLOWED_HOSTS")
            .env_remove("CLOCKIFY_API_KEY")
            .env_remove("CONNECTEAM_API_KEY")
            .env("COLUMNS", "100")
            // A fixed "today" (leave year 2026), so plans do not depend on
            // the day the tests run; a test may set its own.
            .env("HRFORM_TODAY", "2026-06-15")
            // Every wait of the retry logic at a twentieth (honoured against
            // the loopback sandbox only): fault tests keep their fault rates
            // and assertions without sleeping through real backoff.
            .env("HRFORM_BACKOFF_SCALE", "0.05");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
    }
}

impl Output {
    /// Assert the exit code, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code, expected,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Assert that stderr holds every one of `needles`, showing it when not.
    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "no {needle:?} in stderr:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// The repository (workspace) root, for committed files: README, examples,
/// schemas, scripts, workflows.
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The hrform crate's directory, for the test fixtures (`tests/fixtures`).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
