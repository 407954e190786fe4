//! Evidence: the calls hrform makes against the minimum and against two
//! per-item baselines, on generated worlds of N people, printed as Markdown
//! tables.
//!
//! Run with `cargo bench -p hrform --bench evidence` (N = 1,000, 10,000 and
//! 100,000), or `-- --people 1000 --people 10000` for others. A world of N:
//! a Clockify workspace of N people with 4 policies, a Connecteam account
//! of N/2 people with 3 policy types and N/5 requests; the manifests differ
//! from it by 5 % in every kind of change (activations, deactivations, a
//! balance per policy; restores, archives, assignments, a balance per policy
//! type, request creates, updates and denials).
//!
//! What runs, each on its own sandbox started from the same seed, none of
//! them enforcing a rate limit (hrform keeps to its declared rates by
//! itself; the baselines do not throttle, so their time at the rate is
//! computed as calls ÷ rate):
//! - `hrform plan` (reads, wall, CPU and peak memory of the child) and,
//!   for N up to `--apply-max` (default 1,000), `hrform apply` (writes);
//! - a per-item script as in the vendors' examples (read the people for
//!   their ids, then write every declared item, one call each);
//! - a per-item script that reads whole lists and diffs, then writes one
//!   call per changed item, never grouping.
//!
//! The baselines are small HTTP clients here (reqwest against the sandbox),
//! not hrform's code. Above `--sample` writes (default 20,000) a baseline
//! writes the first `--sample` items only: its call count is exact (counted
//! from the world), its wall is the sample's scaled to the whole.
//!
//! Then the narrow scopes: 20 people declared in a 5,000-person Connecteam
//! account, and `plan --target` one person of 10,000 Clockify people; their
//! time at 5 calls a minute is computed (the sandbox has no time scale).
//!
//! `-- --resilience` prints the resilience table instead: a world of
//! `--people` (default 100) applied under each of the sandbox's fault
//! profiles with `--seeds` fault seeds (default 20, `--parallel` at a time,
//! default 10), apply and plan repeated until the plan is empty; the faults
//! injected, the retries, the apply runs, and the writes lost or doubled in
//! the final state against a fault-free apply of the same world, itself
//! checked against the manifests. `-- --smoke` checks the generator: at
//! N = 50 the changes it counts by kind equal the plan's.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
use common::World;

/// The rates the manifests declare (the fastest each provider allows).
const CLOCKIFY_RPS: f64 = 50.0;
const CONNECTEAM_RPM: f64 = 200.0;
const WS: &str = "64a687e29ae1f428e7ebe303";

/// Clockify policies: name, unit, allowance.
const C_POLICIES: [(&str, &str, u32); 4] = [
    ("Vacation", "days", 25),
    ("Sick", "hours", 80),
    ("Personal", "days", 3),
    ("Training", "hours", 16),
];
/// Connecteam policy types (one policy each, in days): name, allowance.
const F_TYPES: [(&str, u32); 3] = [("Vacation", 25), ("Sick", 10), ("Personal", 3)];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut people: Vec<usize> = Vec::new();
    let mut apply_max = 1_000usize;
    let mut sample = 20_000usize;
    let mut narrow = true;
    let mut mode = Mode::Evidence;
    let mut seeds = 20usize;
    let mut parallel = 10usize;
    let mut i = 0;
    while i < args.len() {
        let value = || {
            args.get(i + 1)
                .and_then(|v| v.replace(['_', ','], "").parse().ok())
        };
        match args[i].as_str() {
            "--people" => {
                people.push(value().expect("--people N"));
                i += 1;
            }
            "--apply-max" => {
                apply_max = value().expect("--apply-max N");
                i += 1;
            }
            "--sample" => {
                sample = value().expect("--sample N");
                i += 1;
            }
            "--seeds" => {
                seeds = value().expect("--seeds N");
                i += 1;
            }
            "--parallel" => {
                parallel = value().expect("--parallel N");
                i += 1;
            }
            "--no-narrow" => narrow = false,
            "--smoke" => mode = Mode::Smoke,
            "--resilience" => mode = Mode::Resilience,
            // `cargo bench` passes `--bench`.
            _ => {}
        }
        i += 1;
    }
    match mode {
        Mode::Smoke => return smoke(people.first().copied().unwrap_or(50)),
        Mode::Resilience => {
            return resilience(
                people.first().copied().unwrap_or(100),
                seeds,
                parallel.max(1),
            );
        }
        Mode::Evidence => {}
    }
    if people.is_empty() {
        people = vec![1_000, 10_000, 100_000];
    }
    people.sort_unstable();

    let mut rows = Vec::new();
    for &n in &people {
        let started = Instant::now();
        let row = measure(n, n <= apply_max, sample);
        eprintln!(
            "N = {n}: measured in {:.0} s",
            started.elapsed().as_secs_f64()
        );
        rows.push(row);
    }
    print_tables(&rows, sample);
    if narrow {
        print_narrow();
    }
}

enum Mode {
    Evidence,
    Smoke,
    Resilience,
}

// ---------------------------------------------------------------- the world

/// What a world declares, and how many changes of each kind it holds.
struct Gen {
    seed: String,
    /// File name and text of each manifest.
    manifests: Vec<(String, String)>,
    clockify: Vec<CPerson>,
    connecteam: Vec<FPerson>,
    /// Declared requests.
    requests: Vec<Req>,
    /// Live requests with a marker that left the manifests.
    pruned: Vec<String>,
    counts: Counts,
}

struct CPerson {
    email: String,
    active: bool,
    balances: [u32; 4],
}

struct FPerson {
    email: String,
    active: bool,
    allowances: [u32; 3],
}

struct Req {
    key: String,
    user: String,
    date: String,
    note: String,
}

/// Changes in the world by kind.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    c_activate: usize,
    c_deactivate: usize,
    c_balance: [usize; 4],
    f_restore: usize,
    f_archive: usize,
    f_assign: usize,
    f_balance: [usize; 3],
    r_create: usize,
    r_update: usize,
    r_deny: usize,
}

impl Counts {
    fn total(&self) -> usize {
        self.c_activate
            + self.c_deactivate
            + self.c_balance.iter().sum::<usize>()
            + self.f_restore
            + self.f_archive
            + self.f_assign
            + self.f_balance.iter().sum::<usize>()
            + self.r_create
            + self.r_update
            + self.r_deny
    }

    /// The fewest writes the APIs allow: Clockify sets a status per person
    /// and a balance for any number of people of one policy at one value
    /// (here one value per policy: one PATCH); Connecteam archives or
    /// restores up to 25 people a call, and assigns, sets a balance and
    /// writes a request one at a time.
    fn min_writes(&self) -> (usize, usize) {
        let clockify =
            self.c_activate + self.c_deactivate + self.c_balance.iter().filter(|&&c| c > 0).count();
        let connecteam = self.f_restore.div_ceil(25)
            + self.f_archive.div_ceil(25)
            + self.f_assign
            + self.f_balance.iter().sum::<usize>()
            + self.r_create
            + self.r_update
            + self.r_deny;
        (clockify, connecteam)
    }
}

/// The person a request `k` belongs to: people whose index ends in 10..19
/// (mod 20) have no other change.
fn request_owner(k: usize) -> usize {
    (k / 10) * 20 + 10 + k % 10
}

/// A weekday in March 2026 (all-day, one day: usage 1 day).
fn request_date(k: usize) -> String {
    format!("2026-03-{:02}", 2 + k % 5)
}

fn generate(n: usize) -> Gen {
    let m = n / 2;
    let r = n / 5;
    let mut c = Counts::default();
    let mut seed = format!(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: {WS}\n  key_owner: c0@example.com\n  quirks: {{ balance_patch: set }}\n  users:\n"
    );
    let mut office = String::from("users:\n");
    let mut clockify = Vec::with_capacity(n);
    for i in 0..n {
        // 5 % activated (live inactive), 5 % deactivated.
        let live_inactive = i % 20 == 1;
        let active = i % 20 != 2;
        c.c_activate += usize::from(live_inactive);
        c.c_deactivate += usize::from(!active);
        let status = if live_inactive {
            ", status: inactive"
        } else {
            ""
        };
        let _ = writeln!(
            seed,
            "    - {{ email: c{i}@example.com, name: C {i}{status} }}"
        );
        let _ = writeln!(
            office,
            "  - {{ email: c{i}@example.com, status: {}, profile: office }}",
            if active { "active" } else { "inactive" }
        );
        clockify.push(CPerson {
            email: format!("c{i}@example.com"),
            active,
            balances: C_POLICIES.map(|p| p.2),
        });
    }
    seed.push_str("  policies:\n");
    for (p, (name, unit, base)) in C_POLICIES.iter().enumerate() {
        let _ = writeln!(
            seed,
            "    - name: {name}\n      unit: {unit}\n      assignments:"
        );
        for i in 0..n {
            // 5 % a policy: the live balance is 2 below the declared one.
            let drift = i % 20 == 3 + p;
            c.c_balance[p] += usize::from(drift);
            let _ = writeln!(
                seed,
                "        - {{ user: c{i}@example.com, balance: {} }}",
                base - if drift { 2 } else { 0 }
            );
        }
    }

    seed.push_str(
        "connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: f0@example.com\n  users:\n",
    );
    let mut field = String::from("users:\n");
    let mut connecteam = Vec::with_capacity(m);
    for i in 0..m {
        let live_archived = i % 20 == 1;
        let active = i % 20 != 2;
        c.f_restore += usize::from(live_archived);
        c.f_archive += usize::from(!active);
        let role = if i == 0 { ", role: owner" } else { "" };
        let archived = if live_archived {
            ", archived: true"
        } else {
            ""
        };
        let _ = writeln!(
            seed,
            "    - {{ email: f{i}@example.com, first_name: F, last_name: P{i}{role}{archived} }}"
        );
        let _ = writeln!(
            field,
            "  - {{ email: f{i}@example.com, status: {}, profile: field }}",
            if active { "active" } else { "inactive" }
        );
        connecteam.push(FPerson {
            email: format!("f{i}@example.com"),
            active,
            allowances: F_TYPES.map(|t| t.1),
        });
    }
    // Live requests: every declared one but the 5 % to create, plus 5 %
    // more that left the manifests (to deny); each person has at most one.
    let mut requests = Vec::with_capacity(r);
    let mut pruned = Vec::new();
    let mut live_requests = String::new();
    let mut has_request = vec![false; m];
    for k in 0..r {
        let u = request_owner(k);
        if u >= m {
            break;
        }
        // Creates have no live request yet: no usage.
        has_request[u] = k % 20 != 1;
        let key = format!("R-{k}");
        let date = request_date(k);
        let line = |note: &str| {
            format!(
                "    - {{ user: f{u}@example.com, policy_type: Vacation, start_date: {date}, end_date: {date}, timezone: UTC, manager_note: \"{note}\" }}\n"
            )
        };
        match k % 20 {
            1 => c.r_create += 1,
            2 => {
                c.r_update += 1;
                live_requests.push_str(&line(&format!("old note [hrform:{key}]")));
            }
            3 => {
                c.r_deny += 1;
                live_requests.push_str(&line(&format!("[hrform:{key}]")));
                pruned.push(key);
                continue;
            }
            _ => live_requests.push_str(&line(&format!("HR [hrform:{key}]"))),
        }
        requests.push(Req {
            key,
            user: format!("f{u}@example.com"),
            date,
            note: if k % 20 == 2 { "new note" } else { "HR" }.to_owned(),
        });
    }
    seed.push_str("  policy_types:\n");
    for (t, (name, allowance)) in F_TYPES.iter().enumerate() {
        let _ = writeln!(
            seed,
            "    - name: {name}\n      policies:\n        - name: {name}\n          unit: days\n          assignments:"
        );
        for (i, &has) in has_request.iter().enumerate() {
            // 5 % not yet on Personal: assigned with its balance.
            if t == 2 && i % 20 == 5 {
                c.f_assign += 1;
                continue;
            }
            // 5 % a type: 2 below what the allowance implies.
            let drift = i % 20 == 6 + t;
            c.f_balance[t] += usize::from(drift);
            // Vacation: a live approved request used a day.
            let used = u32::from(t == 0 && has);
            let _ = writeln!(
                seed,
                "            - {{ user: f{i}@example.com, balance: {} }}",
                allowance - used - if drift { 2 } else { 0 }
            );
        }
    }
    seed.push_str("  requests:\n");
    seed.push_str(&live_requests);
    if requests.is_empty() {
        field.push_str("time_off_requests: []\n");
    } else {
        field.push_str("time_off_requests:\n");
        for q in &requests {
            let _ = writeln!(
                field,
                "  - {{ key: {}, user: {}, policy_type: Vacation, start_date: {d}, end_date: {d}, timezone: UTC, manager_note: {} }}",
                q.key,
                q.user,
                q.note,
                d = q.date
            );
        }
    }
    let mut profiles = String::from("profiles:\n  office:\n    time_off:\n");
    for (name, unit, base) in C_POLICIES {
        let _ = writeln!(
            profiles,
            "      - {{ policy: {name}, balance: {base}, unit: {unit} }}"
        );
    }
    profiles.push_str("  field:\n    time_off:\n");
    for (name, allowance) in F_TYPES {
        let _ = writeln!(
            profiles,
            "      - {{ policy: {name}, allowance: {allowance}, unit: days }}"
        );
    }
    profiles.push_str("settings:\n  prune_requests: true\n");
    // `provider:` is needed with two providers: one document a provider.
    let office = office.replace("profile: office", "provider: office, profile: office");
    let field = field
        .replace("profile: field", "provider: field, profile: field")
        .replace(
            ", policy_type: Vacation",
            ", provider: field, policy_type: Vacation",
        );
    Gen {
        seed,
        manifests: vec![
            ("profiles.yaml".to_owned(), profiles),
            ("office.yaml".to_owned(), office),
            ("field.yaml".to_owned(), field),
        ],
        clockify,
        connecteam,
        requests,
        pruned,
        counts: c,
    }
}

/// The providers file, pointing at a sandbox.
fn providers(base: &str) -> String {
    format!(
        "providers:\n  office:\n    type: clockify\n    workspace_id: {WS}\n    base_url: {base}/api\n    requests_per_second: {CLOCKIFY_RPS}\n    balance_update: set\n  field:\n    type: connecteam\n    base_url: {base}\n    requests_per_minute: {CONNECTEAM_RPM}\n"
    )
}

fn start(wg: &Gen) -> World {
    start_with(wg, hrform::sandbox::Options::default(), false)
}

/// A world on its own sandbox with `options`; with `add`, Clockify's
/// balance PATCH adds to the balance (and the provider says so), so a
/// write made twice shows as a wrong balance.
fn start_with(wg: &Gen, options: hrform::sandbox::Options, add: bool) -> World {
    let seed = if add {
        wg.seed.replace("balance_patch: set", "balance_patch: add")
    } else {
        wg.seed.clone()
    };
    World::start(&seed, options, |dir, base| {
        let providers = providers(base);
        let providers = if add {
            providers.replace("balance_update: set", "balance_update: add")
        } else {
            providers
        };
        std::fs::write(dir.join("providers.yaml"), providers).expect("write");
        for (name, text) in &wg.manifests {
            std::fs::write(dir.join(name), text).expect("write");
        }
    })
}

/// Whole-list reads at the largest page sizes (the floor when every
/// person is declared: reading people one by one costs more): Clockify's
/// key owner, users at 5,000 (`Last-Page` ends the list), policies, each
/// policy's balances at 200; Connecteam's policy types, users at 500, each
/// type's balances at 100 and the leave year's requests at 100 (a list
/// ends on a short page, so an exact multiple costs one empty page more),
/// and last leave year's requests (one page), read because balances
/// drifted below allowance − usage.
fn min_reads(n: usize) -> (usize, usize) {
    let m = n / 2;
    let live_requests = live_request_count(n);
    let clockify = 1 + n.div_ceil(5000) + 1 + 4 * n.div_ceil(200);
    let connecteam = 1 + (m / 500 + 1) + 3 * (m / 100 + 1) + (live_requests / 100 + 1) + 1;
    (clockify, connecteam)
}

fn live_request_count(n: usize) -> usize {
    let m = n / 2;
    (0..n / 5)
        .take_while(|&k| request_owner(k) < m)
        .filter(|k| k % 20 != 1)
        .count()
}

// ---------------------------------------------------------------- measuring

struct Row {
    n: usize,
    counts: Counts,
    plan_reads: (usize, usize),
    planned_writes: (usize, usize),
    planned_changes: u64,
    plan_wall: f64,
    plan_cpu: f64,
    plan_peak_mb: f64,
    /// Writes made by apply, its wall and 429s, when it ran.
    apply: Option<(usize, usize, f64, usize)>,
    naive: Baseline,
    diff: Baseline,
}

#[derive(Default, Clone, Copy)]
struct Baseline {
    reads: (usize, usize),
    writes: (usize, usize),
    /// Wall of the whole run (scaled from the sample when sampled).
    wall: f64,
    sampled: bool,
    failed: usize,
}

fn measure(n: usize, apply: bool, sample: usize) -> Row {
    let wg = generate(n);
    eprintln!(
        "N = {n}: {} changes generated; seed {} KiB",
        wg.counts.total(),
        wg.seed.len() / 1024
    );
    let world = start(&wg);
    let run = timed(&world, &["plan", "--output", "json"]);
    assert!(
        matches!(run.code, Some(0 | 2)),
        "plan failed: {}",
        run.stderr
    );
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).expect("plan JSON");
    let log = world.log();
    let plan_reads = split(&log, |e| e["method"] == "GET");
    let calls = plan["calls"].as_array().map_or(&[][..], Vec::as_slice);
    let planned_clockify = calls.iter().filter(|c| c["provider"] == "office").count();
    let planned_writes = (planned_clockify, calls.len() - planned_clockify);
    let planned_changes = plan["summary"]["changes"].as_u64().unwrap_or(0);

    let apply = apply.then(|| {
        world.clear_log();
        let started = Instant::now();
        let out = world.run(&["apply", "--yes", "-q"]);
        let wall = started.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = world.log();
        let (c, f) = split(&log, |e| e["method"] != "GET");
        let throttled = log.iter().filter(|e| e["status"] == 429).count();
        (c, f, wall, throttled)
    });
    drop(world);

    let naive = {
        let world = start(&wg);
        baseline(&world, &wg, false, sample)
    };
    let diff = {
        let world = start(&wg);
        baseline(&world, &wg, true, sample)
    };
    Row {
        n,
        counts: wg.counts,
        plan_reads,
        planned_writes,
        planned_changes,
        plan_wall: run.wall,
        plan_cpu: run.cpu,
        plan_peak_mb: run.peak_kib as f64 / 1024.0,
        apply,
        naive,
        diff,
    }
}

/// Count log entries matching `f`, split (Clockify, Connecteam).
fn split(log: &[serde_json::Value], f: impl Fn(&serde_json::Value) -> bool) -> (usize, usize) {
    let clockify =
        |e: &serde_json::Value| e["path"].as_str().is_some_and(|p| p.starts_with("/api/"));
    let c = log.iter().filter(|e| f(e) && clockify(e)).count();
    let all = log.iter().filter(|e| f(e)).count();
    (c, all - c)
}

struct Timed {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: f64,
    /// User + system CPU seconds of the child.
    cpu: f64,
    peak_kib: u64,
}

/// Run the binary, sampling its peak memory (VmHWM) while it lives and
/// reading its CPU time once it has exited but before it is reaped (a
/// zombie keeps its times in `/proc/PID/stat`).
fn timed(world: &World, args: &[&str]) -> Timed {
    let started = Instant::now();
    let mut child = world
        .command(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run hrform");
    let pid = child.id();
    let reader = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(mut p) = pipe {
                let _ = std::io::Read::read_to_string(&mut p, &mut s);
            }
            s
        })
    };
    let stdout = reader(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = reader(child.stderr.take().map(|p| Box::new(p) as _));
    let mut peak_kib = 0;
    let mut cpu = 0.0;
    let ticks = 100.0; // USER_HZ on Linux
    loop {
        if let Some(kib) = vm_hwm(pid) {
            peak_kib = peak_kib.max(kib);
        }
        match stat(pid) {
            Some((state, utime, stime)) => {
                cpu = (utime + stime) as f64 / ticks;
                if state == 'Z' || state == 'X' {
                    break;
                }
            }
            None => break,
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let status = child.wait().expect("wait");
    let wall = started.elapsed().as_secs_f64();
    Timed {
        code: status.code(),
        stdout: stdout.join().expect("stdout"),
        stderr: stderr.join().expect("stderr"),
        wall,
        cpu,
        peak_kib,
    }
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// State, utime and stime (clock ticks) from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(char, u64, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields start after the last ')'.
    let rest = &s[s.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    Some((
        state,
        fields.get(11)?.parse().ok()?,
        fields.get(12)?.parse().ok()?,
    ))
}

// ---------------------------------------------------------------- baselines

/// One write a baseline makes.
struct Write {
    clockify: bool,
    method: reqwest::Method,
    path: String,
    body: serde_json::Value,
}

struct Client {
    http: reqwest::Client,
    base: String,
    reads: (usize, usize),
}

impl Client {
    async fn get(&mut self, clockify: bool, path: &str) -> serde_json::Value {
        let request = if clockify {
            self.reads.0 += 1;
            self.http
                .get(format!("{}/api/v1/workspaces/{WS}{path}", self.base))
                .header("X-Api-Key", "sandbox-clockify-key")
        } else {
            self.reads.1 += 1;
            self.http
                .get(format!("{}{path}", self.base))
                .header("X-API-KEY", "sandbox-connecteam-key")
        };
        let response = request.send().await.expect("baseline read");
        assert!(
            response.status().is_success(),
            "baseline read {path}: {}",
            response.status()
        );
        response.json().await.expect("baseline read JSON")
    }

    async fn write(&self, w: &Write) -> bool {
        let request = if w.clockify {
            self.http
                .request(
                    w.method.clone(),
                    format!("{}/api/v1/workspaces/{WS}{}", self.base, w.path),
                )
                .header("X-Api-Key", "sandbox-clockify-key")
        } else {
            self.http
                .request(w.method.clone(), format!("{}{}", self.base, w.path))
                .header("X-API-KEY", "sandbox-connecteam-key")
        };
        request
            .json(&w.body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Clockify's people: email → (id, active).
    async fn clockify_users(&mut self) -> std::collections::HashMap<String, (String, bool)> {
        let mut out = std::collections::HashMap::new();
        for page in 1.. {
            let users = self
                .get(
                    true,
                    &format!("/users?page={page}&page-size=5000&status=ALL&memberships=WORKSPACE"),
                )
                .await;
            let users = users.as_array().cloned().unwrap_or_default();
            for u in &users {
                let active = u["memberships"][0]["membershipStatus"] == "ACTIVE";
                out.insert(
                    u["email"].as_str().unwrap_or_default().to_owned(),
                    (u["id"].as_str().unwrap_or_default().to_owned(), active),
                );
            }
            if users.len() < 5000 {
                break;
            }
        }
        out
    }

    /// Clockify's policies: name → id.
    async fn clockify_policies(&mut self) -> std::collections::HashMap<String, String> {
        let policies = self
            .get(true, "/time-off/policies?page=1&page-size=200")
            .await;
        policies
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    p["id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    /// Connecteam's people: email → (id, archived).
    async fn connecteam_users(&mut self) -> std::collections::HashMap<String, (i64, bool)> {
        let mut out = std::collections::HashMap::new();
        for offset in (0..).step_by(500) {
            let page = self
                .get(
                    false,
                    &format!("/users/v1/users?limit=500&offset={offset}&userStatus=all"),
                )
                .await;
            let users = page["data"]["users"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for u in &users {
                out.insert(
                    u["email"].as_str().unwrap_or_default().to_owned(),
                    (
                        u["userId"].as_i64().unwrap_or_default(),
                        u["isArchived"] == true,
                    ),
                );
            }
            if users.len() < 500 {
                break;
            }
        }
        out
    }

    /// Connecteam's policy types: name → (type id, its policy's id).
    async fn connecteam_types(&mut self) -> std::collections::HashMap<String, (String, String)> {
        let types = self.get(false, "/time-off/v1/policy-types").await;
        types["data"]["policyTypes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| {
                (
                    t["name"].as_str().unwrap_or_default().to_owned(),
                    (
                        t["id"].as_str().unwrap_or_default().to_owned(),
                        t["policies"][0]["id"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                )
            })
            .collect()
    }

    /// Every page of a Connecteam list under `data.KEY`.
    async fn connecteam_pages(
        &mut self,
        path: &str,
        key: &str,
        size: usize,
    ) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        for offset in (0..).step_by(size) {
            let page = self
                .get(false, &format!("{path}{sep}limit={size}&offset={offset}"))
                .await;
            let items = page["data"][key].as_array().cloned().unwrap_or_default();
            let len = items.len();
            out.extend(items);
            if len < size {
                break;
            }
        }
        out
    }
}

/// Run a baseline: `diff` false is the vendors' per-item script (every
/// declared item written), true the per-item script that diffs first.
fn baseline(world: &World, wg: &Gen, diff: bool, sample: usize) -> Baseline {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let started = Instant::now();
        let mut client = Client {
            http: reqwest::Client::new(),
            base: world.base.clone(),
            reads: (0, 0),
        };
        let c_users = client.clockify_users().await;
        let c_policies = client.clockify_policies().await;
        let f_users = client.connecteam_users().await;
        let f_types = client.connecteam_types().await;
        let mut writes = Vec::new();
        let c_status = |id: &str, active: bool| Write {
            clockify: true,
            method: reqwest::Method::PUT,
            path: format!("/users/{id}"),
            body: serde_json::json!({"status": if active { "ACTIVE" } else { "INACTIVE" }}),
        };
        let c_balance = |policy: &str, id: &str, value: u32| Write {
            clockify: true,
            method: reqwest::Method::PATCH,
            path: format!("/time-off/balance/policy/{policy}"),
            body: serde_json::json!({"userIds": [id], "value": value}),
        };
        let f_status = |id: i64, active: bool| Write {
            clockify: false,
            method: reqwest::Method::PUT,
            path: "/users/v1/users?includeSmartGroupIds=false".to_owned(),
            body: serde_json::json!([{"userId": id, "isArchived": !active}]),
        };
        let f_assign = |policy: &str, id: i64, balance: u32| Write {
            clockify: false,
            method: reqwest::Method::PUT,
            path: format!("/time-off/v1/time-off-policies/{policy}/assignments"),
            body: serde_json::json!({"userId": id, "balance": balance, "unit": "days"}),
        };
        let f_balance = |ptype: &str, id: i64, balance: i64| Write {
            clockify: false,
            method: reqwest::Method::PUT,
            path: format!("/time-off/v1/policy-types/{ptype}/balances/{id}"),
            body: serde_json::json!({"balance": balance}),
        };
        let create = |q: &Req, id: i64, ptype: &str| Write {
            clockify: false,
            method: reqwest::Method::POST,
            path: "/time-off/v1/requests".to_owned(),
            body: serde_json::json!({
                "userId": id, "policyTypeId": ptype, "isAllDay": true,
                "startDate": q.date, "endDate": q.date, "timezone": "UTC",
                "status": "approved", "managerNote": format!("{} [hrform:{}]", q.note, q.key),
            }),
        };
        let vacation = f_types.get("Vacation").cloned().unwrap_or_default();
        if !diff {
            // As in the vendors' examples: every declared item, one call each.
            for p in &wg.clockify {
                let Some((id, _)) = c_users.get(&p.email) else {
                    continue;
                };
                writes.push(c_status(id, p.active));
                for (k, (name, _, _)) in C_POLICIES.iter().enumerate() {
                    writes.push(c_balance(&c_policies[*name], id, p.balances[k]));
                }
            }
            for p in &wg.connecteam {
                let Some(&(id, _)) = f_users.get(&p.email) else {
                    continue;
                };
                writes.push(f_status(id, p.active));
                for (k, (name, _)) in F_TYPES.iter().enumerate() {
                    writes.push(f_assign(&f_types[*name].1, id, p.allowances[k]));
                }
            }
            for q in &wg.requests {
                let Some(&(id, _)) = f_users.get(&q.user) else {
                    continue;
                };
                writes.push(create(q, id, &vacation.0));
            }
        } else {
            // Read whole lists, diff, one call per changed item.
            let mut c_live: std::collections::HashMap<(String, String), i64> = Default::default();
            for (name, _, _) in C_POLICIES {
                let policy = &c_policies[name];
                for page in 1.. {
                    let body = client
                        .get(
                            true,
                            &format!("/time-off/balance/policy/{policy}?page={page}&page-size=200"),
                        )
                        .await;
                    let rows = body["balances"].as_array().cloned().unwrap_or_default();
                    for b in &rows {
                        c_live.insert(
                            (
                                policy.clone(),
                                b["userId"].as_str().unwrap_or_default().to_owned(),
                            ),
                            b["balance"].as_f64().unwrap_or_default().round() as i64,
                        );
                    }
                    if rows.len() < 200 {
                        break;
                    }
                }
            }
            let mut f_live: std::collections::HashMap<(String, i64), i64> = Default::default();
            for (name, _) in F_TYPES {
                let ptype = &f_types[name].0;
                for b in client
                    .connecteam_pages(
                        &format!("/time-off/v1/policy-types/{ptype}/balances"),
                        "balances",
                        100,
                    )
                    .await
                {
                    if let Some(balance) = b["balance"].as_f64() {
                        f_live.insert(
                            (ptype.clone(), b["userId"].as_i64().unwrap_or_default()),
                            balance.round() as i64,
                        );
                    }
                }
            }
            let live_requests = client
                .connecteam_pages(
                    "/time-off/v1/requests?startDate=2026-01-01&endDate=2026-12-31",
                    "requests",
                    100,
                )
                .await;
            let mut by_key: std::collections::HashMap<String, &serde_json::Value> =
                Default::default();
            let mut used: std::collections::HashMap<i64, i64> = Default::default();
            for r in &live_requests {
                let note = r["managerNote"].as_str().unwrap_or_default();
                if let Some(start) = note.rfind("[hrform:") {
                    by_key.insert(note[start + 8..note.len() - 1].to_owned(), r);
                }
                if r["status"] == "approved" {
                    *used
                        .entry(r["userId"].as_i64().unwrap_or_default())
                        .or_default() += 1;
                }
            }
            for p in &wg.clockify {
                let Some((id, active)) = c_users.get(&p.email) else {
                    continue;
                };
                if *active != p.active {
                    writes.push(c_status(id, p.active));
                }
                for (k, (name, _, _)) in C_POLICIES.iter().enumerate() {
                    let policy = &c_policies[*name];
                    if c_live.get(&(policy.clone(), id.clone())) != Some(&i64::from(p.balances[k]))
                    {
                        writes.push(c_balance(policy, id, p.balances[k]));
                    }
                }
            }
            for p in &wg.connecteam {
                let Some(&(id, archived)) = f_users.get(&p.email) else {
                    continue;
                };
                if archived == p.active {
                    writes.push(f_status(id, p.active));
                }
                for (k, (name, _)) in F_TYPES.iter().enumerate() {
                    let (ptype, policy) = &f_types[*name];
                    let usage = if k == 0 {
                        used.get(&id).copied().unwrap_or(0)
                    } else {
                        0
                    };
                    let want = i64::from(p.allowances[k]) - usage;
                    match f_live.get(&(ptype.clone(), id)) {
                        None => writes.push(f_assign(policy, id, p.allowances[k])),
                        Some(&b) if b != want => writes.push(f_balance(ptype, id, want)),
                        Some(_) => {}
                    }
                }
            }
            for q in &wg.requests {
                let Some(&(id, _)) = f_users.get(&q.user) else {
                    continue;
                };
                let note = format!("{} [hrform:{}]", q.note, q.key);
                match by_key.get(&q.key) {
                    None => writes.push(create(q, id, &vacation.0)),
                    Some(r) if r["managerNote"] != note.as_str() => writes.push(Write {
                        clockify: false,
                        method: reqwest::Method::PUT,
                        path: format!(
                            "/time-off/v1/requests/{}",
                            r["id"].as_str().unwrap_or_default()
                        ),
                        body: serde_json::json!({"managerNote": note}),
                    }),
                    Some(_) => {}
                }
            }
            for key in &wg.pruned {
                if let Some(r) = by_key.get(key).filter(|r| r["status"] != "denied") {
                    writes.push(Write {
                        clockify: false,
                        method: reqwest::Method::PUT,
                        path: format!(
                            "/time-off/v1/requests/{}",
                            r["id"].as_str().unwrap_or_default()
                        ),
                        body: serde_json::json!({"status": "denied"}),
                    });
                }
            }
        }
        let total = writes.len();
        let count = (
            writes.iter().filter(|w| w.clockify).count(),
            writes.iter().filter(|w| !w.clockify).count(),
        );
        let reading = started.elapsed().as_secs_f64();
        let writing_started = Instant::now();
        let mut failed = 0;
        // A sample spread over the whole list, so each kind of write is in it.
        let step = total.div_ceil(sample.max(1)).max(1);
        let mut made = 0;
        for w in writes.iter().step_by(step) {
            made += 1;
            if !client.write(w).await {
                failed += 1;
            }
        }
        let writing = writing_started.elapsed().as_secs_f64() * total as f64 / made.max(1) as f64;
        Baseline {
            reads: client.reads,
            writes: count,
            wall: reading + writing,
            sampled: made < total,
            failed,
        }
    })
}

// ---------------------------------------------------------------- tables

/// Seconds at the declared rates for (Clockify, Connecteam) calls: the
/// providers are independent, so the longer one.
fn at_rate((c, f): (usize, usize)) -> f64 {
    (c as f64 / CLOCKIFY_RPS).max(f as f64 * 60.0 / CONNECTEAM_RPM)
}

fn secs(s: f64) -> String {
    if s >= 120.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}

fn sum((a, b): (usize, usize)) -> usize {
    a + b
}

fn print_tables(rows: &[Row], sample: usize) {
    let machine = format!(
        "{} cores, {} GiB memory",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        mem_gib()
    );
    println!("\n### Reads (plan, whole account)\n");
    println!(
        "Machine: {machine}. Rates: Clockify {CLOCKIFY_RPS}/s, Connecteam {CONNECTEAM_RPM}/min (declared; time at rate = the slower provider's calls ÷ rate, computed).\n"
    );
    println!(
        "| N | people (Clockify + Connecteam), requests | changes | plan reads (C + F) | minimum reads | per-item script reads | diffing script reads |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|");
    for r in rows {
        let min = min_reads(r.n);
        println!(
            "| {} | {} + {}, {} | {} (plan: {}) | {} ({} + {}) | {} ({} + {}) | {} | {} |",
            r.n,
            r.n,
            r.n / 2,
            r.n / 5,
            r.counts.total(),
            r.planned_changes,
            sum(r.plan_reads),
            r.plan_reads.0,
            r.plan_reads.1,
            sum(min),
            min.0,
            min.1,
            sum(r.naive.reads),
            sum(r.diff.reads)
        );
    }

    println!("\n### Writes\n");
    println!(
        "| N | hrform writes (C + F) | minimum under the APIs' grouping | per-item script | diffing script, no grouping | time at rate: hrform / minimum / per-item / diffing | wall: hrform apply / per-item / diffing |"
    );
    println!("|---:|---:|---:|---:|---:|---|---|");
    for r in rows {
        let min = r.counts.min_writes();
        let hr = r.apply.map_or(r.planned_writes, |a| (a.0, a.1));
        let apply_wall = r.apply.map_or("not run".to_owned(), |a| {
            format!("{} ({} × 429)", secs(a.2), a.3)
        });
        let mark = |b: &Baseline| {
            format!(
                "{}{}{}",
                secs(b.wall),
                if b.sampled { "†" } else { "" },
                if b.failed > 0 {
                    format!(" ({} failed)", b.failed)
                } else {
                    String::new()
                }
            )
        };
        println!(
            "| {} | {} ({} + {}){} | {} ({} + {}) | {} | {} | {} / {} / {} / {} | {} / {} / {} |",
            r.n,
            sum(hr),
            hr.0,
            hr.1,
            if r.apply.is_some() { "" } else { "‡" },
            sum(min),
            min.0,
            min.1,
            sum(r.naive.writes),
            sum(r.diff.writes),
            secs(at_rate(hr) + at_rate(r.plan_reads)),
            secs(at_rate(min) + at_rate(min_reads(r.n))),
            secs(at_rate(r.naive.writes) + at_rate(r.naive.reads)),
            secs(at_rate(r.diff.writes) + at_rate(r.diff.reads)),
            apply_wall,
            mark(&r.naive),
            mark(&r.diff)
        );
    }
    println!(
        "\nTime at rate: reads then writes, each the slower provider's calls ÷ its declared rate. Walls are measured against a sandbox enforcing no limit: hrform keeps to its declared rates itself; the scripts do not throttle, so their wall is only the HTTP work."
    );
    if rows.iter().any(|r| r.naive.sampled || r.diff.sampled) {
        println!(
            "† The script made an evenly spread sample of {sample} of its writes; its call count is exact, its wall the sample's scaled to all writes."
        );
    }
    if rows.iter().any(|r| r.apply.is_none()) {
        println!(
            "‡ apply not run at this size (`--apply-max`): the write calls of the saved plan, which apply makes when nothing fails."
        );
    }

    println!("\n### Plan without a rate limit on the server\n");
    println!(
        "| N | plan wall | plan CPU (user + sys) | peak memory (VmHWM) | growth ×10 N: reads / writes / CPU / memory |"
    );
    println!("|---:|---:|---:|---:|---|");
    for (i, r) in rows.iter().enumerate() {
        let growth = rows[..i]
            .iter()
            .find(|p| p.n * 10 == r.n)
            .map_or("–".to_owned(), |p| {
                let ratio = |a: f64, b: f64| {
                    if b > 0.0 {
                        format!("{:.1}×", a / b)
                    } else {
                        "–".to_owned()
                    }
                };
                format!(
                    "{} / {} / {} / {}",
                    ratio(sum(r.plan_reads) as f64, sum(p.plan_reads) as f64),
                    ratio(sum(r.planned_writes) as f64, sum(p.planned_writes) as f64),
                    ratio(r.plan_cpu, p.plan_cpu),
                    ratio(r.plan_peak_mb, p.plan_peak_mb)
                )
            });
        println!(
            "| {} | {} | {:.2} s | {:.0} MB | {growth} |",
            r.n,
            secs(r.plan_wall),
            r.plan_cpu,
            r.plan_peak_mb
        );
    }
    println!(
        "\nThe plan's wall includes waiting for hrform's own throttle at the declared rates when the reads exceed a window."
    );
}

fn mem_gib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024 / 1024)
}

/// The narrow scopes, counted on the sandbox and timed at 5 calls a minute
/// by computation.
fn print_narrow() {
    println!("\n### Narrow scopes (time at 5 calls a minute computed as calls ÷ rate)\n");
    println!("| scenario | calls | 429 answers | time at 5 calls/min |");
    println!("|---|---:|---:|---:|");
    // 20 declared people in a 5,000-person Connecteam account.
    let wg = generate(10_000);
    let world = World::start(
        &wg.seed,
        hrform::sandbox::Options::default(),
        |dir, base| {
            // Only the Connecteam provider, and no requests declared.
            let only_field = providers(base);
            let only_field = &only_field[only_field.find("  field:").expect("field")..];
            let profiles = &wg.manifests[0].1;
            let profiles = &profiles[profiles.find("  field:").expect("field profile")..];
            let profiles = profiles.replace("settings:\n  prune_requests: true\n", "");
            let mut field = format!("providers:\n{only_field}profiles:\n{profiles}users:\n");
            for i in (0..20).map(|k| 10 + k * 20) {
                let _ = writeln!(
                    field,
                    "  - {{ email: f{i}@example.com, provider: field, status: active, profile: field }}"
                );
            }
            std::fs::write(dir.join("field.yaml"), field).expect("write");
        },
    );
    let out = world.run(&["plan", "--output", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "narrow plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = world.log();
    let throttled = log.iter().filter(|e| e["status"] == 429).count();
    println!(
        "| 20 declared people, 5,000-person Connecteam account | {} | {throttled} | {} |",
        log.len(),
        secs(log.len() as f64 * 12.0)
    );
    drop(world);

    // `--target` one person in 10,000 Clockify people.
    let world = start(&wg);
    let out = world.run(&["plan", "--output", "json", "--target", "c17@example.com"]);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "target plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = world.log();
    let clockify = log
        .iter()
        .filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with("/api/")))
        .count();
    let throttled = log.iter().filter(|e| e["status"] == 429).count();
    println!(
        "| `plan --target` one person of 10,000 Clockify people | {clockify} Clockify ({} in all) | {throttled} | {} |",
        log.len(),
        secs(clockify as f64 * 12.0)
    );
}

// ---------------------------------------------------------------- smoke

/// The changes of `c` by kind, labelled.
fn kinds(c: &Counts) -> Vec<(String, usize)> {
    let mut out = vec![
        ("Clockify activate".to_owned(), c.c_activate),
        ("Clockify deactivate".to_owned(), c.c_deactivate),
    ];
    for (p, (name, _, _)) in C_POLICIES.iter().enumerate() {
        out.push((format!("Clockify balance {name}"), c.c_balance[p]));
    }
    out.push(("Connecteam restore".to_owned(), c.f_restore));
    out.push(("Connecteam archive".to_owned(), c.f_archive));
    out.push(("Connecteam assign".to_owned(), c.f_assign));
    for (t, (name, _)) in F_TYPES.iter().enumerate() {
        out.push((format!("Connecteam balance {name}"), c.f_balance[t]));
    }
    out.push(("request create".to_owned(), c.r_create));
    out.push(("request update".to_owned(), c.r_update));
    out.push(("request deny".to_owned(), c.r_deny));
    out
}

/// The plan's changes by kind, and how many fit no kind of the world.
fn plan_counts(plan: &serde_json::Value) -> (Counts, usize) {
    let mut c = Counts::default();
    let mut other = 0;
    for ch in plan["changes"].as_array().into_iter().flatten() {
        let office = ch["provider"] == "office";
        let policy = ch["policy"]["policy_type"]
            .as_str()
            .or(ch["policy"]["name"].as_str())
            .unwrap_or_default();
        let to_active = ch["to"] == "active";
        match (office, ch["change"].as_str().unwrap_or_default()) {
            (true, "status") if to_active => c.c_activate += 1,
            (true, "status") => c.c_deactivate += 1,
            (true, "balance") => match C_POLICIES.iter().position(|p| p.0 == policy) {
                Some(p) => c.c_balance[p] += 1,
                None => other += 1,
            },
            (false, "status") if to_active => c.f_restore += 1,
            (false, "status") => c.f_archive += 1,
            (false, "assign") => c.f_assign += 1,
            (false, "balance") => match F_TYPES.iter().position(|t| t.0 == policy) {
                Some(t) => c.f_balance[t] += 1,
                None => other += 1,
            },
            (false, "create_request") => c.r_create += 1,
            (false, "update_request") => c.r_update += 1,
            (false, "deny_request") => c.r_deny += 1,
            _ => other += 1,
        }
    }
    (c, other)
}

/// The generator's own count against the plan's, by kind; panics on a
/// difference.
fn smoke(n: usize) {
    let wg = generate(n);
    let world = start(&wg);
    let out = world.run(&["plan", "--output", "json"]);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "plan failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("plan JSON");
    let (planned, other) = plan_counts(&plan);
    println!("\n### Generator smoke check, N = {n}\n");
    println!("| kind | counted | planned |");
    println!("|---|---:|---:|");
    for ((kind, counted), (_, p)) in kinds(&wg.counts).into_iter().zip(kinds(&planned)) {
        let mark = if counted == p { "" } else { " ✗" };
        println!("| {kind} | {counted} | {p}{mark} |");
    }
    println!("| other | 0 | {other} |");
    println!(
        "| **all** | {} | {} |",
        wg.counts.total(),
        planned.total() + other
    );
    assert!(
        wg.counts == planned && other == 0,
        "the generator's counts differ from the plan's"
    );
    println!("\nThe counts match.");
}

// ---------------------------------------------------------------- resilience

/// The fault profiles: a label and the sandbox's `--faults` spec (a seed
/// is added per run).
const PROFILES: [(&str, &str); 5] = [
    ("5xx 20 %", "error_rate=0.2"),
    (
        "429 10 % + Connecteam's 200-throttle 10 %",
        "throttle_rate=0.1,throttle200_rate=0.1",
    ),
    (
        "dropped connections 10 % (half after the write)",
        "reset_rate=0.1",
    ),
    (
        "writes' connections dropped 30 % (half after the write)",
        "reset_rate=0.3,methods=POST+PUT+PATCH",
    ),
    (
        "mixed: 5xx 20 %, 429 5 %, 200-throttle 5 %, drops 10 %",
        "error_rate=0.2,throttle_rate=0.05,throttle200_rate=0.05,reset_rate=0.1",
    ),
];

/// Apply runs allowed before a seed counts as not converging.
const MAX_RUNS: usize = 10;

/// One fault seed of one profile.
#[derive(Default, Clone)]
struct Episode {
    fault_seed: u64,
    /// Requests the sandbox answered with an injected fault.
    faults: usize,
    /// Requests repeating one that had failed, within one run.
    retries: usize,
    /// Apply runs until the plan was empty.
    runs: usize,
    calls: usize,
    /// Runs (apply or plan) that stopped because a read failed on every
    /// attempt, run again.
    gave_up: usize,
    lost: usize,
    doubled: usize,
}

fn resilience(n: usize, seeds: usize, parallel: usize) {
    let wg = generate(n);
    let started = Instant::now();
    let (before, reference) = reference_run(&wg);
    // The comparison can fail: the state before apply has every change lost.
    let unapplied = lost_and_doubled(&before, &before, &reference);
    assert!(unapplied.0 > 0, "the comparison sees no change");
    let mut rows = Vec::new();
    for (label, spec) in PROFILES {
        let profile_started = Instant::now();
        let next = std::sync::atomic::AtomicU64::new(1);
        let results = std::sync::Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..parallel {
                scope.spawn(|| {
                    loop {
                        let fault_seed = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if fault_seed > seeds as u64 {
                            break;
                        }
                        let e = episode(&wg, spec, fault_seed, &before, &reference);
                        eprintln!(
                            "{spec}, seed {fault_seed}: {} faults, {} retries, {} apply runs, {} calls, lost {}, doubled {}",
                            e.faults, e.retries, e.runs, e.calls, e.lost, e.doubled
                        );
                        results.lock().expect("results").push(e);
                    }
                });
            }
        });
        let mut results = results.into_inner().expect("results");
        results.sort_unstable_by_key(|e| e.fault_seed);
        eprintln!(
            "{label}: {} seeds in {:.0} s",
            results.len(),
            profile_started.elapsed().as_secs_f64()
        );
        rows.push((label, spec, results));
    }

    let counts = wg.counts;
    println!("\n### Resilience\n");
    println!(
        "World: {n} Clockify people (4 policies), {} Connecteam people (3 policy types), {} requests; {} changes in {} planned calls; Clockify's balance PATCH adds, so a write made twice shows as a wrong balance. Per profile, {seeds} fault seeds, each on its own sandbox: apply, then plan, repeated until the plan is empty (at most {MAX_RUNS} applies); the final state compared with a fault-free apply of the same world (itself checked against the manifests; on the state before apply it counts {} lost). {:.0} s in all.\n",
        n / 2,
        wg.requests.len() + wg.pruned.len(),
        counts.total(),
        reference["calls"],
        unapplied.0,
        started.elapsed().as_secs_f64()
    );
    println!(
        "| fault profile (sandbox `--faults`) | seeds converged | faults injected (per seed) | retries | apply runs to converge (min / median / max) | calls | lost | doubled |"
    );
    println!("|---|---:|---:|---:|---|---:|---:|---:|");
    for (label, spec, results) in &rows {
        let total = |f: fn(&Episode) -> usize| results.iter().map(f).sum::<usize>();
        let per_seed = |f: fn(&Episode) -> usize| {
            let min = results.iter().map(f).min().unwrap_or(0);
            let max = results.iter().map(f).max().unwrap_or(0);
            format!("{min}–{max}")
        };
        let mut runs: Vec<usize> = results.iter().map(|e| e.runs).collect();
        runs.sort_unstable();
        println!(
            "| {label} (`{spec}`) | {} of {seeds} | {} ({}) | {} | {} / {} / {} | {} | {} | {} |",
            results.len(),
            total(|e| e.faults),
            per_seed(|e| e.faults),
            total(|e| e.retries),
            runs.first().unwrap_or(&0),
            runs.get(runs.len() / 2).unwrap_or(&0),
            runs.last().unwrap_or(&0),
            total(|e| e.calls),
            total(|e| e.lost),
            total(|e| e.doubled),
        );
    }
    let gave_up: usize = rows.iter().flat_map(|r| &r.2).map(|e| e.gave_up).sum();
    println!(
        "\nRetries: requests repeating, within one run, one that had failed (a fault, a 5xx, a 429 or a dropped connection). Lost: a declared item absent or still as it was; doubled: a request twice, a balance moved past its target, a row that should not exist. Runs stopped by a read failing on every attempt, and run again: {gave_up}."
    );
}

/// A world without faults: its state before, and after one apply (with
/// the number of planned calls under `"calls"`), checked against the
/// manifests and by an empty plan.
fn reference_run(wg: &Gen) -> (serde_json::Value, serde_json::Value) {
    let world = start_with(wg, hrform::sandbox::Options::default(), true);
    let before = world.state();
    let plan = world.run(&["plan", "--output", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).expect("plan JSON");
    let out = world.run(&["apply", "--yes", "-q"]);
    assert!(
        out.status.success(),
        "fault-free apply failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = world.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        again.status.code(),
        Some(0),
        "fault-free apply did not converge\n{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let mut after = world.state();
    check_manifests(wg, &after);
    after["calls"] = plan["calls"].as_array().map_or(0, Vec::len).into();
    (before, after)
}

/// The state holds what the manifests declare: Clockify statuses and
/// balances, Connecteam statuses, each declared request once with its
/// note, each pruned one denied.
fn check_manifests(wg: &Gen, state: &serde_json::Value) {
    let rows =
        |vendor: &str, list: &str| state[vendor][list].as_array().cloned().unwrap_or_default();
    let users = rows("clockify", "users");
    for p in &wg.clockify {
        let u = users.iter().find(|u| u["email"] == p.email.as_str());
        let want = if p.active { "active" } else { "inactive" };
        assert_eq!(u.map(|u| &u["status"]), Some(&want.into()), "{}", p.email);
    }
    let balances = rows("clockify", "balances");
    for p in &wg.clockify {
        for (k, (name, _, _)) in C_POLICIES.iter().enumerate() {
            let b = balances
                .iter()
                .find(|b| b["email"] == p.email.as_str() && b["policy"] == *name)
                .and_then(|b| b["balance"].as_f64());
            assert_eq!(b, Some(f64::from(p.balances[k])), "{} {name}", p.email);
        }
    }
    let users = rows("connecteam", "users");
    for p in &wg.connecteam {
        let u = users.iter().find(|u| u["email"] == p.email.as_str());
        assert_eq!(
            u.map(|u| &u["archived"]),
            Some(&(!p.active).into()),
            "{}",
            p.email
        );
    }
    let by_marker = markers(state);
    for q in &wg.requests {
        let found = by_marker.get(&q.key).map_or(&[][..], Vec::as_slice);
        assert_eq!(found.len(), 1, "request {}", q.key);
        assert_eq!(
            found[0]["manager_note"],
            format!("{} [hrform:{}]", q.note, q.key).as_str(),
            "request {}",
            q.key
        );
    }
    for key in &wg.pruned {
        let found = by_marker.get(key).map_or(&[][..], Vec::as_slice);
        assert!(
            found.iter().all(|r| r["status"] == "denied"),
            "request {key} not denied"
        );
    }
}

/// Connecteam requests by their marker key (`""` for none).
fn markers(state: &serde_json::Value) -> std::collections::HashMap<String, Vec<serde_json::Value>> {
    let mut out: std::collections::HashMap<String, Vec<serde_json::Value>> = Default::default();
    for r in state["connecteam"]["requests"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let note = r["manager_note"].as_str().unwrap_or_default();
        let key = note
            .rfind("[hrform:")
            .and_then(|start| note[start + 8..].strip_suffix(']'))
            .unwrap_or_default();
        out.entry(key.to_owned()).or_default().push(r.clone());
    }
    out
}

/// Apply under `spec` with `fault_seed`, then plan, until the plan is
/// empty; then count what was lost or doubled.
fn episode(
    wg: &Gen,
    spec: &str,
    fault_seed: u64,
    before: &serde_json::Value,
    reference: &serde_json::Value,
) -> Episode {
    let faults = format!("{spec},seed={fault_seed}");
    let options = hrform::sandbox::Options {
        faults: faults.parse().expect("fault spec"),
        ..Default::default()
    };
    let world = start_with(wg, options, true);
    let mut e = Episode {
        fault_seed,
        ..Default::default()
    };
    let tally = |e: &mut Episode| {
        let log = world.log();
        world.clear_log();
        e.calls += log.len();
        e.faults += log.iter().filter(|x| !x["fault"].is_null()).count();
        e.retries += retries(&log);
    };
    loop {
        e.runs += 1;
        let out = world.run(&["apply", "--yes", "-q"]);
        tally(&mut e);
        match out.status.code() {
            Some(0 | 5) => {}
            Some(1) if gave_up_reading(&out) => e.gave_up += 1,
            other => panic!(
                "{faults}: apply exited {other:?}\nstderr:\n{}\nstdout:\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&out.stdout)
            ),
        }
        let code = loop {
            let plan = world.run(&["plan", "--detailed-exitcode"]);
            tally(&mut e);
            if gave_up_reading(&plan) && e.gave_up < 3 * MAX_RUNS {
                e.gave_up += 1;
                continue;
            }
            break plan.status.code();
        };
        match code {
            Some(0) => break,
            Some(2) => {}
            other => panic!("{faults}: plan exited {other:?}"),
        }
        assert!(
            e.runs < MAX_RUNS,
            "{faults}: no convergence after {} apply runs",
            e.runs
        );
    }
    (e.lost, e.doubled) = lost_and_doubled(&world.state(), before, reference);
    e
}

/// A run that stopped because one read failed on every attempt (exit 1,
/// nothing written by that read).
fn gave_up_reading(out: &std::process::Output) -> bool {
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A read that failed on every attempt: the old `error: GET ...` or the
    // explained form, `... (GET /path answered HTTP 5xx ...)`.
    out.status.code() == Some(1)
        && (stderr.starts_with("error: GET ")
            || stderr.lines().any(|l| {
                l.starts_with("error: ") && l.contains("(GET ") && l.contains(" answered HTTP 5")
            }))
}

/// Requests in `log` repeating one (same method, path, query and body)
/// that had failed earlier in it.
fn retries(log: &[serde_json::Value]) -> usize {
    let mut failed = std::collections::HashSet::new();
    let mut n = 0;
    for x in log {
        let key = format!("{} {}?{} {}", x["method"], x["path"], x["query"], x["body"]);
        if failed.remove(&key) {
            n += 1;
        }
        let bad =
            !x["fault"].is_null() || x["status"].as_u64().is_none_or(|s| s == 429 || s >= 500);
        if bad {
            failed.insert(key);
        }
    }
    n
}

/// Items of `state` differing from `reference`: lost when absent or still
/// as in `before`, doubled otherwise (and rows or requests beyond the
/// reference's).
fn lost_and_doubled(
    state: &serde_json::Value,
    before: &serde_json::Value,
    reference: &serde_json::Value,
) -> (usize, usize) {
    let (mut lost, mut doubled) = (0, 0);
    let lists: [(&str, &str, &[&str], &str); 4] = [
        ("clockify", "users", &["email"], "status"),
        ("clockify", "balances", &["policy", "email"], "balance"),
        ("connecteam", "users", &["email"], "archived"),
        (
            "connecteam",
            "balances",
            &["policy_type", "email"],
            "balance",
        ),
    ];
    for (vendor, list, keys, field) in lists {
        let index =
            |s: &serde_json::Value| -> std::collections::HashMap<String, serde_json::Value> {
                s[vendor][list]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|row| {
                        let key: Vec<String> = keys.iter().map(|k| row[*k].to_string()).collect();
                        (key.join(" "), row[field].clone())
                    })
                    .collect()
            };
        let (now, was, want) = (index(state), index(before), index(reference));
        for (key, value) in &want {
            match now.get(key) {
                Some(v) if v == value => {}
                None => lost += 1,
                Some(v) if Some(v) == was.get(key) => lost += 1,
                Some(_) => doubled += 1,
            }
        }
        doubled += now.keys().filter(|k| !want.contains_key(*k)).count();
    }
    let (now, want) = (markers(state), markers(reference));
    for (key, wanted) in &want {
        let got = now.get(key).map_or(&[][..], Vec::as_slice);
        if got.len() < wanted.len() {
            lost += wanted.len() - got.len();
        } else if got.len() > wanted.len() {
            doubled += got.len() - wanted.len();
        } else {
            let fields = |r: &serde_json::Value| {
                (
                    r["status"].to_string(),
                    r["manager_note"].to_string(),
                    r["start_date"].to_string(),
                    r["user_id"].to_string(),
                )
            };
            let mut a: Vec<_> = got.iter().map(fields).collect();
            let mut b: Vec<_> = wanted.iter().map(fields).collect();
            a.sort();
            b.sort();
            lost += a.iter().zip(&b).filter(|(x, y)| x != y).count();
        }
    }
    doubled += now
        .iter()
        .filter(|(k, _)| !want.contains_key(*k))
        .map(|(_, v)| v.len())
        .sum::<usize>();
    (lost, doubled)
}
