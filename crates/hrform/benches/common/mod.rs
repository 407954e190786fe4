//! What the benchmarks share: a sandbox with manifests pointing at it, running
//! the binary against it, and reading and clearing the sandbox's request log
//! (through the handle's own readers, which the integration tests use too).
#![allow(dead_code, reason = "each benchmark uses its own part of this module")]

/// A sandbox serving a seed, and a configuration directory whose manifests
/// point at it: what each benchmark that runs the binary starts from.
pub(crate) struct World {
    /// Keeps the sandbox serving until the world is dropped.
    sandbox: hrform::sandbox::SandboxHandle,
    /// The sandbox's base URL.
    pub base: String,
    /// The configuration directory.
    pub dir: tempfile::TempDir,
}

impl World {
    /// Start the sandbox on `seed` with `options`, then let `write` fill
    /// the configuration directory given the sandbox's base URL.
    pub(crate) fn start(
        seed: &str,
        options: hrform::sandbox::Options,
        write: impl FnOnce(&std::path::Path, &str),
    ) -> Self {
        let sandbox = hrform::sandbox::Sandbox::start_in_thread(
            hrform::sandbox::Seed::from_yaml_str(seed).expect("bench seed loads"),
            options,
        )
        .expect("sandbox starts");
        let base = sandbox.base_url();
        let dir = tempfile::tempdir().expect("temp dir");
        write(dir.path(), &base);
        Self { sandbox, base, dir }
    }

    /// The binary with `args`, `-C` the configuration directory and both
    /// vendors' sandbox keys in the environment.
    pub(crate) fn command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_hrform"));
        command
            .args(args)
            .arg("-C")
            .arg(self.dir.path())
            .env("CLOCKIFY_API_KEY", "sandbox-clockify-key")
            .env("CONNECTEAM_API_KEY", "sandbox-connecteam-key")
            // The leave year 2026, whatever day the bench runs.
            .env("HRFORM_TODAY", "2026-06-15");
        command
    }

    /// Run the binary with `args` to the end.
    pub(crate) fn run(&self, args: &[&str]) -> std::process::Output {
        self.command(args).output().expect("run hrform")
    }

    /// The sandbox's state.
    pub(crate) fn state(&self) -> serde_json::Value {
        self.sandbox.state()
    }

    /// The sandbox's request log, one JSON object per request.
    pub(crate) fn log(&self) -> Vec<serde_json::Value> {
        self.sandbox.log()
    }

    /// Empty the sandbox's request log.
    pub(crate) fn clear_log(&self) {
        self.sandbox.clear_log();
    }
}
