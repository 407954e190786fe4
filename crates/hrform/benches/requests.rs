//! Benchmark: a sync of 1,000 time-off requests with 10% changes against a
//! local sandbox: the calls plan and apply make, against the minimum.
//!
//! Run with `cargo bench --bench requests`.

use std::fmt::Write as _;
use std::time::Instant;

#[path = "common/mod.rs"]
mod common;
use common::World;

const PEOPLE: usize = 100;
const PER_PERSON: usize = 10;

fn main() {
    let world = World::start(&seed(), hrform::sandbox::Options::default(), |dir, base| {
        std::fs::write(dir.join("hr.yaml"), manifests(base)).expect("write manifests");
    });
    let hrform = |args: &[&str]| world.run(args);

    let start = Instant::now();
    let plan = hrform(&["plan", "--output", "json"]);
    let plan_time = start.elapsed();
    assert!(
        plan.status.success(),
        "plan failed: {}",
        String::from_utf8_lossy(&plan.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    let reads = world.log().len();
    world.clear_log();

    let start = Instant::now();
    let apply = hrform(&["apply", "--yes", "-q"]);
    let apply_time = start.elapsed();
    assert!(apply.status.success(), "apply failed");
    let log = world.log();
    let writes = log.iter().filter(|e| e["method"] != "GET").count();
    let apply_reads = log.len() - writes;

    // Minimum reads: policy types 1, users 1 (101 < 500), balances of the one
    // type ⌊100/100⌋ + 1 = 2 (a full page needs the empty one after it), and
    // requests ⌊1000/100⌋ + 1 = 11 in one window of under 365 days.
    let min_reads = 1 + 1 + (PEOPLE / 100 + 1) + (PEOPLE * PER_PERSON / 100 + 1);
    println!(
        "requests: {} declared, {} planned changes, {} write calls",
        PEOPLE * PER_PERSON,
        plan["summary"]["changes"],
        plan["summary"]["calls"]
    );
    println!(
        "plan: {reads} reads (minimum {min_reads}) in {:.0} ms; apply: {writes} writes (minimum {}: one PUT per changed request) + {apply_reads} reads (its own fresh plan) in {:.0} ms",
        plan_time.as_secs_f64() * 1e3,
        PEOPLE * PER_PERSON / 10,
        apply_time.as_secs_f64() * 1e3
    );
    let again = hrform(&["plan", "--detailed-exitcode"]);
    println!(
        "re-plan after apply: exit {}",
        again.status.code().unwrap_or(-1)
    );
}

/// Request `j` of person `i`: one day in 2026, a week apart.
fn day(i: usize, j: usize) -> String {
    let d = jiff::civil::date(2026, 1, 5)
        .checked_add(jiff::Span::new().days((j * 7 + i % 5) as i64))
        .expect("a date in 2026");
    d.to_string()
}

/// Every 10th request changes: its status goes from pending to approved.
fn changes(i: usize, j: usize) -> bool {
    (i * PER_PERSON + j) % 10 == 3
}

fn seed() -> String {
    let mut s = String::from(
        "seed_version: 1\nconnecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: owner@example.com\n  users:\n    - { email: owner@example.com, first_name: O, last_name: Owner, role: owner }\n",
    );
    for i in 0..PEOPLE {
        let _ = writeln!(
            s,
            "    - {{ email: p{i}@example.com, first_name: P, last_name: N{i} }}"
        );
    }
    s.push_str("  policy_types:\n    - name: Vacation\n      policies:\n        - name: Vacation\n          unit: days\n          assignments:\n");
    for i in 0..PEOPLE {
        let _ = writeln!(s, "            - {{ user: p{i}@example.com, balance: 25 }}");
    }
    s.push_str("  requests:\n");
    for i in 0..PEOPLE {
        for j in 0..PER_PERSON {
            let status = if changes(i, j) { "pending" } else { "approved" };
            let d = day(i, j);
            let _ = writeln!(
                s,
                "    - {{ user: p{i}@example.com, policy_type: Vacation, start_date: {d}, end_date: {d}, all_day: true, timezone: UTC, status: {status}, manager_note: '[hrform:Q-{i}-{j}]' }}"
            );
        }
    }
    s
}

fn manifests(base: &str) -> String {
    let mut s = format!(
        "providers:\n  field:\n    type: connecteam\n    base_url: {base}\n    requests_per_minute: 200\nusers:\n"
    );
    for i in 0..PEOPLE {
        let _ = writeln!(
            s,
            "  - {{ email: p{i}@example.com, provider: field, time_off: [{{ policy: Vacation }}] }}"
        );
    }
    s.push_str("time_off_requests:\n");
    for i in 0..PEOPLE {
        for j in 0..PER_PERSON {
            let d = day(i, j);
            let _ = writeln!(
                s,
                "  - {{ key: Q-{i}-{j}, provider: field, user: p{i}@example.com, policy_type: Vacation, start_date: {d}, end_date: {d}, timezone: UTC }}"
            );
        }
    }
    s
}
