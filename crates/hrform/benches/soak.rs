//! Soak: apply under injected faults until it converges, over many fault
//! seeds, and check nothing was done twice.
//!
//! Run with `cargo bench --bench soak`. Two worlds:
//! - 1,002 changes (Clockify activations and balances with a PATCH that
//!   adds; Connecteam restores and balances) under 20% 5xx, 5% throttling of
//!   both vendors' kinds and 10% dropped connections (half after the write):
//!   over `SOAK_SEEDS` seeds (default 20), the runs each seed took, and that
//!   a re-plan is empty with every balance exactly as declared;
//! - 500 request creates with 60% of POSTs' connections dropped (30% of
//!   POSTs applied, their answer lost; 30% dropped before), over
//!   `SOAK_REQUEST_SEEDS` seeds (default 20), `SOAK_PARALLEL` at a time
//!   (default 10): every request exists exactly once. With
//!   `SOAK_REQUEST_FAULTS=all` every method's connections are dropped, reads
//!   included.

mod common;
use common::World;

use std::fmt::Write as _;
use std::time::Instant;

fn main() {
    let seeds: u64 = env_or("SOAK_SEEDS", 20);
    let request_seeds: u64 = env_or("SOAK_REQUEST_SEEDS", 20);

    let (seed, manifests) = changes_world(334);
    let started = Instant::now();
    let mut runs_per_seed = Vec::new();
    for fault in 1..=seeds {
        let faults = format!(
            "error_rate=0.2,throttle_rate=0.05,throttle200_rate=0.05,reset_rate=0.1,seed={fault}"
        );
        let (runs, calls, _) = converge(&seed, &manifests, &faults, |_| {});
        runs_per_seed.push(runs);
        println!("changes, fault seed {fault}: converged in {runs} apply runs, {calls} requests");
    }
    println!(
        "1,000-change world: {seeds} seeds converged; apply runs per seed: {runs_per_seed:?}; {:.0} s",
        started.elapsed().as_secs_f64()
    );

    // Request seeds run side by side: each is its own sandbox and hrform
    // process, bound by the declared 200 calls a minute, not by the CPU.
    let parallel = env_or("SOAK_PARALLEL", 10).max(1) as usize;
    // `SOAK_REQUEST_FAULTS=all` drops connections of every method, reads
    // included; by default only POSTs', the scenario.
    let methods = match std::env::var("SOAK_REQUEST_FAULTS").as_deref() {
        Ok("all") => "",
        _ => "methods=POST,",
    };
    let (seed, manifests) = requests_world(500);
    let started = Instant::now();
    let next = std::sync::atomic::AtomicU64::new(1);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel {
            scope.spawn(|| {
                loop {
                    let fault = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if fault > request_seeds {
                        break;
                    }
                    let faults = format!("reset_rate=0.6,{methods}seed={fault}");
                    let (runs, calls, give_ups) = converge(&seed, &manifests, &faults, |state| {
                        check_requests_once(state, fault)
                    });
                    println!(
                        "500 requests, fault seed {fault}: converged in {runs} apply runs ({give_ups} stopped by a read failing every attempt), {calls} requests; each request exactly once"
                    );
                    results
                        .lock()
                        .expect("results")
                        .push((fault, runs, calls, give_ups));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_unstable();
    if !results.is_empty() {
        println!(
            "500-request world ({}): {} seeds converged, each request exactly once; apply runs per seed: {:?}; runs stopped by a read: {:?}; requests per seed: {:?}; {:.0} s",
            if methods.is_empty() {
                "drops on every method"
            } else {
                "drops on POSTs"
            },
            results.len(),
            results.iter().map(|r| r.1).collect::<Vec<_>>(),
            results.iter().map(|r| r.3).collect::<Vec<_>>(),
            results.iter().map(|r| r.2).collect::<Vec<_>>(),
            started.elapsed().as_secs_f64()
        );
    }
}

/// Exactly 500 requests, each marker once.
fn check_requests_once(state: &serde_json::Value, fault: u64) {
    let requests = state["connecteam"]["requests"]
        .as_array()
        .expect("requests");
    assert_eq!(requests.len(), 500, "fault seed {fault}: not 500 requests");
    let mut keys: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["manager_note"].as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(
        keys.len(),
        500,
        "fault seed {fault}: a request exists twice"
    );
}

/// A run that stopped because one read failed on every attempt (exit 1,
/// nothing written by that read): under drops on every method, the harness
/// runs again as an operator would.
fn gave_up_reading(out: &std::process::Output) -> bool {
    let stderr = String::from_utf8_lossy(&out.stderr);
    out.status.code() == Some(1)
        && stderr.starts_with("error: GET ")
        && stderr.contains("connection failed")
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Apply until it exits 0 (at most 10 runs), then re-plan (must be empty)
/// and check the final state. Returns the runs and the requests served.
fn converge(
    seed: &str,
    manifests: &str,
    faults: &str,
    check: impl Fn(&serde_json::Value),
) -> (usize, usize, usize) {
    let options = hrform::sandbox::Options {
        faults: faults.parse().expect("fault spec"),
        ..Default::default()
    };
    let world = World::start(seed, options, |dir, base| {
        std::fs::write(dir.join("hr.yaml"), manifests.replace("BASE_URL", base))
            .expect("write manifests");
    });
    let run = |args: &[&str]| world.run(args);
    let mut read_give_ups = 0;
    let mut runs = 0;
    loop {
        runs += 1;
        let out = run(&["apply", "--yes", "-q"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.contains("read-back does not match") && !stdout.contains("neither old nor new"),
            "{faults}: a balance went wrong\n{stdout}"
        );
        match out.status.code() {
            Some(0) => break,
            Some(5) => {}
            Some(1) if gave_up_reading(&out) => read_give_ups += 1,
            other => panic!(
                "{faults}: apply exited {other:?}\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
        assert!(runs < 10, "{faults}: no convergence after {runs} runs");
    }
    let mut again = run(&["plan", "--detailed-exitcode"]);
    while gave_up_reading(&again) {
        read_give_ups += 1;
        again = run(&["plan", "--detailed-exitcode"]);
    }
    assert_eq!(
        again.status.code(),
        Some(0),
        "{faults}: not converged\n{}",
        String::from_utf8_lossy(&again.stdout)
    );
    check(&world.state());
    let calls = world.log().len();
    (runs, calls, read_give_ups)
}

/// `n` people per vendor: every other one is activated (Clockify) or
/// restored (Connecteam), and every one gets a new balance: 3 × n changes
/// in all, 1,002 for n = 334.
fn changes_world(n: usize) -> (String, String) {
    let mut seed = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  quirks: { balance_patch: add }\n  users:\n    - { email: owner@example.com, name: Owner }\n",
    );
    let mut manifests = String::from(
        "providers:\n  office:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: BASE_URL/api\n    requests_per_second: 50\n    balance_update: add\n  field:\n    type: connecteam\n    base_url: BASE_URL\n    requests_per_minute: 200\nusers:\n",
    );
    for i in 0..n {
        let status = if i % 2 == 0 { ", status: inactive" } else { "" };
        let _ = writeln!(
            seed,
            "    - {{ email: c{i}@example.com, name: C {i}{status} }}"
        );
        let _ = writeln!(
            manifests,
            "  - {{ email: c{i}@example.com, provider: office, status: active, time_off: [{{ policy: Vacation, balance: {}, unit: days }}] }}",
            10 + i % 5
        );
    }
    seed.push_str("  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n");
    for i in 0..n {
        let _ = writeln!(
            seed,
            "        - {{ user: c{i}@example.com, balance: {} }}",
            1 + i % 7
        );
    }
    seed.push_str("connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: O, last_name: Owner, role: owner }\n");
    for i in 0..n {
        let archived = if i % 2 == 0 { ", archived: true" } else { "" };
        let _ = writeln!(
            seed,
            "    - {{ email: f{i}@example.com, first_name: F, last_name: N{i}{archived} }}"
        );
        let _ = writeln!(
            manifests,
            "  - {{ email: f{i}@example.com, provider: field, status: active, time_off: [{{ policy: Vacation, balance: {}, unit: days }}] }}",
            10 + i % 5
        );
    }
    seed.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation\n          unit: days\n          assignments:\n");
    for i in 0..n {
        let _ = writeln!(
            seed,
            "            - {{ user: f{i}@example.com, balance: {} }}",
            1 + i % 7
        );
    }
    (seed, manifests)
}

/// 50 people with 10 new one-day requests each.
fn requests_world(n: usize) -> (String, String) {
    let people = n / 10;
    let mut seed = String::from(
        "seed_version: 1\nconnecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: O, last_name: Owner, role: owner }\n",
    );
    let mut manifests = String::from(
        "providers:\n  field:\n    type: connecteam\n    base_url: BASE_URL\n    requests_per_minute: 200\nusers:\n",
    );
    for i in 0..people {
        let _ = writeln!(
            seed,
            "    - {{ email: p{i}@example.com, first_name: P, last_name: N{i} }}"
        );
        let _ = writeln!(
            manifests,
            "  - {{ email: p{i}@example.com, provider: field, time_off: [{{ policy: Vacation }}] }}"
        );
    }
    seed.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation\n          unit: days\n          assignments:\n");
    for i in 0..people {
        let _ = writeln!(
            seed,
            "            - {{ user: p{i}@example.com, balance: 25 }}"
        );
    }
    manifests.push_str("time_off_requests:\n");
    for i in 0..people {
        for j in 0..10 {
            let day = jiff::civil::date(2026, 1, 5)
                .checked_add(jiff::Span::new().days(j * 7))
                .expect("a date");
            let _ = writeln!(
                manifests,
                "  - {{ key: Q-{i}-{j}, provider: field, user: p{i}@example.com, policy_type: Vacation, start_date: {day}, end_date: {day}, timezone: UTC }}"
            );
        }
    }
    (seed, manifests)
}
