//! Benchmark: `validate` on a generated configuration of 10,000 users in 20
//! files (the target is under 1 s on the project's 2-core machines).
//!
//! Run with `cargo bench --bench validate`. Prints the in-process load time
//! (parse, decode, validate) and the wall time of the whole `hrform validate`
//! process, each as the minimum and median of several runs.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const USERS: usize = 10_000;
const FILES: usize = 20;
const RUNS: usize = 7;

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = generate(dir.path());
    println!(
        "generated {USERS} users in {FILES} files ({} KiB)",
        bytes / 1024
    );

    let mut in_process = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let loaded = hrform::discover::load(dir.path(), &[], &hrform::context::Context::from_env());
        in_process.push(start.elapsed());
        let config = loaded.config.expect("the generated configuration is valid");
        assert_eq!(config.users.len(), USERS);
    }
    report(
        "load (parse + decode + validate), in process",
        &mut in_process,
    );

    let mut process = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_hrform"))
            .args(["validate", "-C"])
            .arg(dir.path())
            .output()
            .expect("run hrform");
        process.push(start.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    report("`hrform validate` process wall time", &mut process);
}

fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    println!(
        "{what}: min {:.1} ms, median {:.1} ms over {} runs",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times.len()
    );
}

/// Write the providers, two profiles and `USERS` users spread over `FILES`
/// team files; return the bytes written.
fn generate(dir: &Path) -> usize {
    let mut total = 0;
    let providers = "\
providers:
  office:
    type: clockify
    workspace_id: 64a687e29ae1f428e7ebe303
  field:
    type: connecteam
profiles:
  full-time:
    time_off:
      - { policy: Vacation, balance: 25, unit: days }
      - { policy: Sick, balance: 80, unit: hours }
  part-time:
    time_off:
      - { policy: Vacation, balance: 12.5, unit: days }
      - { policy: Sick, balance: 40, unit: hours }
settings:
  unmanaged_users: report
  safety: { max_deactivations: 50, max_balance_change: 10, protected_users: [ceo@example.com] }
";
    std::fs::write(dir.join("providers.yaml"), providers).unwrap();
    total += providers.len();
    let per_file = USERS / FILES;
    for f in 0..FILES {
        let mut text = String::from("users:\n");
        for i in 0..per_file {
            let n = f * per_file + i;
            let provider = if n.is_multiple_of(3) {
                "field"
            } else {
                "office"
            };
            let profile = if n.is_multiple_of(5) {
                "part-time"
            } else {
                "full-time"
            };
            let status = if n.is_multiple_of(50) {
                "inactive"
            } else {
                "active"
            };
            writeln!(text, "  - email: person{n}@example.com").unwrap();
            writeln!(text, "    provider: {provider}").unwrap();
            writeln!(text, "    status: {status}").unwrap();
            writeln!(text, "    profile: {profile}").unwrap();
            if n.is_multiple_of(7) {
                writeln!(
                    text,
                    "    time_off:\n      - {{ policy: Vacation, balance: {}, unit: days }}",
                    20 + n % 10
                )
                .unwrap();
            }
        }
        total += text.len();
        std::fs::write(dir.join(format!("team-{f:02}.yaml")), text).unwrap();
    }
    total
}
