//! Benchmark: `hrform plan` against a local sandbox holding 10,000 Clockify
//! and 5,000 Connecteam users with 5% drift, everyone with allowances, and
//! 1,000 approved Connecteam requests in the leave year (the usage
//! allowances are checked against) (targets: under 2 s and under 100 MB on
//! the project's 2-core machines).
//!
//! Run with `cargo bench --bench plan`. Prints the read calls made against
//! the minimum at the largest page sizes, the write calls planned, and the
//! plan's wall time and peak memory (the child process's VmHWM).

use std::fmt::Write as _;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::World;

const CLOCKIFY_USERS: usize = 10_000;
const CONNECTEAM_USERS: usize = 5_000;
const RUNS: usize = 3;

fn main() {
    let seed = seed();
    let world = World::start(&seed, hrform::sandbox::Options::default(), write_manifests);
    println!(
        "world: {CLOCKIFY_USERS} Clockify + {CONNECTEAM_USERS} Connecteam users, 5% drift; seed {} KiB",
        seed.len() / 1024
    );

    let mut times = Vec::new();
    let mut peaks = Vec::new();
    let mut last = String::new();
    for _ in 0..RUNS {
        world.clear_log();
        let start = Instant::now();
        let mut child = world
            .command(&["plan", "--output", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run hrform");
        let status_path = format!("/proc/{}/status", child.id());
        let mut peak_kib = 0u64;
        let stdout = std::thread::spawn({
            let mut out = child.stdout.take().expect("stdout");
            move || {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut out, &mut s).expect("read stdout");
                s
            }
        });
        loop {
            if let Some(kib) = vm_hwm(&status_path) {
                peak_kib = peak_kib.max(kib);
            }
            if child.try_wait().expect("wait").is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        times.push(start.elapsed());
        peaks.push(peak_kib);
        last = stdout.join().expect("stdout thread");
        let status = child.wait().expect("wait");
        assert!(status.success(), "plan failed");
    }
    let plan: serde_json::Value = serde_json::from_str(&last).expect("plan JSON");
    let log = world.log();
    let reads = log.iter().filter(|e| e["method"] == "GET").count();
    let writes = log.iter().filter(|e| e["method"] != "GET").count();
    let clockify_reads = log
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with("/api/")))
        .count();
    println!(
        "read calls: {reads} ({clockify_reads} Clockify, {} Connecteam); minimum at the largest page sizes: {} (Clockify {}, Connecteam {})",
        reads - clockify_reads,
        min_clockify() + min_connecteam(),
        min_clockify(),
        min_connecteam()
    );
    println!("writes made by plan: {writes}");
    println!(
        "planned: {} changes for {} people, {} write calls {}",
        plan["summary"]["changes"],
        plan["summary"]["people"],
        plan["summary"]["calls"],
        plan["summary"]["calls_by_method"]
    );
    times.sort();
    peaks.sort_unstable();
    println!(
        "plan wall time: min {:.0} ms, median {:.0} ms over {RUNS} runs; peak memory (VmHWM): max {:.1} MB",
        times[0].as_secs_f64() * 1e3,
        times[RUNS / 2].as_secs_f64() * 1e3,
        peaks[RUNS - 1] as f64 / 1024.0
    );
}

/// The key owner, users at 5,000 a page (`Last-Page` ends the list),
/// policies at 200, each referenced policy's balances at 200.
fn min_clockify() -> usize {
    let users = CLOCKIFY_USERS.div_ceil(5000);
    let policies = 1;
    let balances = 2 * CLOCKIFY_USERS.div_ceil(200);
    users + 1 + policies + balances
}

/// Policy types (1), users at 500, each type's balances at 100, and the
/// leave year's requests at 100 (one window of 365 days). Connecteam has no
/// last-page marker and `paging.total` is optional, so a list ends on a
/// short page: a count that is an exact multiple of the page costs one
/// empty page more (`n / size + 1`).
///
/// The drift lowers some balances below allowance − usage, which may be last
/// leave year's leftover still in place: one more read, of last leave year's
/// approved requests (none here: one empty page), tells a new leave year
/// from a hand adjustment.
fn min_connecteam() -> usize {
    let users = CONNECTEAM_USERS / 500 + 1;
    let requests = CONNECTEAM_REQUESTS / 100 + 1;
    let last_year = 1;
    1 + users + 2 * (CONNECTEAM_USERS / 100 + 1) + requests + last_year
}

/// Every 5th Connecteam person took 3 approved days of Vacation.
const CONNECTEAM_REQUESTS: usize = CONNECTEAM_USERS / 5;

fn took_leave(i: usize) -> bool {
    i % 5 == 3
}

fn vm_hwm(path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Every 20th person drifts: a balance differs, or (every 100th) the status.
fn drifts(i: usize) -> bool {
    i % 20 == 7
}

fn seed() -> String {
    let mut s = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: c0@example.com\n  users:\n",
    );
    for i in 0..CLOCKIFY_USERS {
        let status = if drifts(i) && i % 100 == 7 {
            ", status: inactive"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "    - {{ email: c{i}@example.com, name: Person {i}{status} }}"
        );
    }
    s.push_str("  policies:\n");
    for (name, unit, base) in [("Vacation", "days", 25), ("Sick", "hours", 80)] {
        let _ = writeln!(
            s,
            "    - name: {name}\n      unit: {unit}\n      assignments:"
        );
        for i in 0..CLOCKIFY_USERS {
            let balance = if drifts(i) && name == "Vacation" {
                base - 3
            } else {
                base
            };
            let _ = writeln!(
                s,
                "        - {{ user: c{i}@example.com, balance: {balance} }}"
            );
        }
    }
    s.push_str(
        "connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: f0@example.com\n  users:\n",
    );
    for i in 0..CONNECTEAM_USERS {
        let role = if i == 0 { ", role: owner" } else { "" };
        let archived = if drifts(i) && i % 100 == 7 {
            ", archived: true"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "    - {{ email: f{i}@example.com, first_name: F, last_name: P{i}{role}{archived} }}"
        );
    }
    s.push_str("  policy_types:\n");
    for (name, unit, base) in [("Vacation", "days", 25), ("Sick", "hours", 80)] {
        let _ = writeln!(
            s,
            "    - name: {name}\n      policies:\n        - name: {name}\n          unit: {unit}\n          assignments:"
        );
        for i in 0..CONNECTEAM_USERS {
            let balance = if drifts(i) && name == "Sick" {
                base - 8
            } else if took_leave(i) && name == "Vacation" {
                // Net of the 3 days taken: no drift.
                base - 3
            } else {
                base
            };
            let _ = writeln!(
                s,
                "            - {{ user: f{i}@example.com, balance: {balance} }}"
            );
        }
    }
    s.push_str("  requests:\n");
    for i in (0..CONNECTEAM_USERS).filter(|i| took_leave(*i)) {
        let _ = writeln!(
            s,
            "    - {{ user: f{i}@example.com, policy_type: Vacation, start_date: 2026-03-02, end_date: 2026-03-04 }}"
        );
    }
    s
}

fn write_manifests(dir: &std::path::Path, base: &str) {
    let providers = format!(
        "providers:\n  office:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {base}/api\n    requests_per_second: 50\n  field:\n    type: connecteam\n    base_url: {base}\n    requests_per_minute: 200\nprofiles:\n  standard:\n    time_off:\n      - {{ policy: Vacation, allowance: 25, unit: days }}\n      - {{ policy: Sick, allowance: 80, unit: hours }}\n"
    );
    std::fs::write(dir.join("providers.yaml"), providers).expect("write");
    let mut office = String::from("users:\n");
    for i in 0..CLOCKIFY_USERS {
        let _ = writeln!(
            office,
            "  - {{ email: c{i}@example.com, provider: office, status: active, profile: standard }}"
        );
    }
    std::fs::write(dir.join("office.yaml"), office).expect("write");
    let mut field = String::from("users:\n");
    for i in 0..CONNECTEAM_USERS {
        let _ = writeln!(
            field,
            "  - {{ email: f{i}@example.com, provider: field, status: active, profile: standard }}"
        );
    }
    std::fs::write(dir.join("field.yaml"), field).expect("write");
}
