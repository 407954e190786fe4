//! Benchmark: `hrform apply` of 2,000 changes against a local sandbox that
//! enforces the vendors' rate limits (`clockify=50/s`, and for Connecteam a
//! test-sized `120/m`), with hrform declaring the same rates.
//!
//! Run with `cargo bench --bench apply`. Prints the calls made against the
//! minimum (the planned calls, which the property tests prove minimal, plus
//! the reads), and the wall time against calls ÷ rate per provider.

use std::fmt::Write as _;
use std::time::Instant;

/// Clockify people: half are activated, half get a new balance.
#[path = "common/mod.rs"]
mod common;
use common::World;

const CLOCKIFY: usize = 1_800;
/// Connecteam people: half are restored, half get a new balance.
const CONNECTEAM: usize = 200;
const CLOCKIFY_RPS: f64 = 50.0;
const CONNECTEAM_RPM: f64 = 120.0;

fn main() {
    let options = hrform::sandbox::Options {
        rate: "clockify=50/s,connecteam=120/m".parse().expect("rate spec"),
        ..Default::default()
    };
    let world = World::start(&seed(), options, |dir, base| {
        std::fs::write(dir.join("hr.yaml"), manifests(base)).expect("write manifests");
    });
    let plan = world.run(&["plan", "--output", "json"]);
    assert!(plan.status.success(), "plan failed");
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    let planned: Vec<&serde_json::Value> =
        plan["calls"].as_array().expect("calls").iter().collect();
    let planned_clockify = planned.iter().filter(|c| c["provider"] == "office").count();
    let planned_connecteam = planned.len() - planned_clockify;
    println!(
        "world: {CLOCKIFY} Clockify + {CONNECTEAM} Connecteam people; plan: {} changes, {} write calls (Clockify {planned_clockify}, Connecteam {planned_connecteam})",
        plan["summary"]["changes"],
        planned.len()
    );

    // Connecteam's minute window must be fresh for the apply.
    std::thread::sleep(std::time::Duration::from_secs(61));
    world.clear_log();
    let start = Instant::now();
    let apply = world.run(&["apply", "--yes", "-q"]);
    let wall = start.elapsed().as_secs_f64();
    assert!(
        apply.status.success(),
        "apply failed: {}",
        String::from_utf8_lossy(&apply.stdout)
    );
    let log = world.log();
    let is_clockify =
        |e: &serde_json::Value| e["path"].as_str().is_some_and(|p| p.starts_with("/api/"));
    let count = |f: &dyn Fn(&serde_json::Value) -> bool| log.iter().filter(|e| f(e)).count();
    let c_writes = count(&|e| is_clockify(e) && e["method"] != "GET");
    let c_reads = count(&|e| is_clockify(e) && e["method"] == "GET");
    let f_writes = count(&|e| !is_clockify(e) && e["method"] != "GET");
    let f_reads = count(&|e| !is_clockify(e) && e["method"] == "GET");
    let throttled = count(&|e| e["status"] == 429);
    println!(
        "Clockify: {c_writes} writes (planned {planned_clockify}) + {c_reads} reads (plan and read-backs); {:.1} s at 50/s",
        (c_writes + c_reads) as f64 / CLOCKIFY_RPS
    );
    println!(
        "Connecteam: {f_writes} writes (planned {planned_connecteam}) + {f_reads} reads; {:.1} s at 120/min",
        (f_writes + f_reads) as f64 / CONNECTEAM_RPM * 60.0
    );
    let clockify_bound = (c_writes + c_reads) as f64 / CLOCKIFY_RPS;
    println!(
        "apply wall time: {wall:.1} s; Clockify calls ÷ 50/s: {clockify_bound:.1} s ({:+.1}%); Connecteam: {} calls against an allowance of 120 a minute (Connecteam counts a minute window, so up to 120 go at once); 429s: {throttled}",
        (wall / clockify_bound - 1.0) * 100.0,
        f_writes + f_reads
    );
}

fn manifests(base: &str) -> String {
    let mut s = format!(
        "providers:\n  office:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {base}/api\n    requests_per_second: 50\n    balance_update: set\n  field:\n    type: connecteam\n    base_url: {base}\n    requests_per_minute: 120\nusers:\n"
    );
    for i in 0..CLOCKIFY {
        let _ = writeln!(
            s,
            "  - {{ email: c{i}@example.com, provider: office, status: active, time_off: [{{ policy: Vacation, balance: {}, unit: days }}] }}",
            target(i)
        );
    }
    for i in 0..CONNECTEAM {
        let _ = writeln!(
            s,
            "  - {{ email: f{i}@example.com, provider: field, status: active, time_off: [{{ policy: Vacation, balance: {}, unit: days }}] }}",
            target(i)
        );
    }
    s
}

/// Even people change status; odd people change balance (to one of 50 values).
fn target(i: usize) -> usize {
    if i.is_multiple_of(2) { 20 } else { 21 + i % 50 }
}

fn seed() -> String {
    let mut s = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@example.com\n  quirks: { balance_patch: set }\n  users:\n    - { email: owner@example.com, name: Owner }\n",
    );
    for i in 0..CLOCKIFY {
        let status = if i.is_multiple_of(2) {
            ", status: inactive"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "    - {{ email: c{i}@example.com, name: C {i}{status} }}"
        );
    }
    s.push_str("  policies:\n    - name: Vacation\n      unit: days\n      assignments:\n");
    for i in 0..CLOCKIFY {
        let _ = writeln!(s, "        - {{ user: c{i}@example.com, balance: 20 }}");
    }
    s.push_str("connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: O, last_name: Owner, role: owner }\n");
    for i in 0..CONNECTEAM {
        let archived = if i.is_multiple_of(2) {
            ", archived: true"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "    - {{ email: f{i}@example.com, first_name: F, last_name: P{i}{archived} }}"
        );
    }
    s.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation\n          unit: days\n          assignments:\n");
    for i in 0..CONNECTEAM {
        let _ = writeln!(s, "            - {{ user: f{i}@example.com, balance: 20 }}");
    }
    s
}
