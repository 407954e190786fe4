//! Benchmark: the sandbox itself, on a world of 10,000 Clockify and 5,000
//! Connecteam users with policies and balances (targets: starting it under
//! 1 s, and listing every user page by page under 1 s more).
//!
//! Run with `cargo bench --bench sandbox`. Prints the seed's parse and start
//! times, then, over real HTTP on loopback, the time and number of calls to
//! list all users at each vendor's largest page size (Clockify `page-size`
//! 5000 until `Last-Page: true`; Connecteam `limit` 500 until a short page,
//! the documented loop), and the same for every balance row (Clockify 200
//! per page, Connecteam 100), as `plan` reads them.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hrform::sandbox::{Options, Sandbox, Seed};

const CLOCKIFY_USERS: usize = 10_000;
const CONNECTEAM_USERS: usize = 5_000;
const WORKSPACE: &str = "64a687e29ae1f428e7ebe303";
const CLOCKIFY_KEY: &str = "sandbox-clockify-key";
const CONNECTEAM_KEY: &str = "sandbox-connecteam-key";
const RUNS: usize = 5;
/// Every 20th Clockify user is on the Parental policy.
const PARENTAL_EVERY: usize = 20;
/// Clockify balance rows: everyone on Vacation and Sick, some on Parental.
const CLOCKIFY_ROWS: usize = 2 * CLOCKIFY_USERS + CLOCKIFY_USERS / PARENTAL_EVERY;

fn main() {
    let yaml = seed();
    println!(
        "world: {CLOCKIFY_USERS} Clockify users (3 policies, {CLOCKIFY_ROWS} balance rows) + {CONNECTEAM_USERS} Connecteam users (2 policy types, {} balance rows); seed {} KiB",
        2 * CONNECTEAM_USERS,
        yaml.len() / 1024
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    // Start: parse and check the seed, build the world, bind the port.
    let mut parse = Vec::new();
    let mut start = Vec::new();
    let mut total = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let seed = Seed::from_yaml_str(&yaml).expect("bench seed loads");
        let t1 = Instant::now();
        let sandbox = runtime
            .block_on(Sandbox::start(seed, Options::default()))
            .expect("sandbox starts");
        let t2 = Instant::now();
        parse.push(t1 - t0);
        start.push(t2 - t1);
        total.push(t2 - t0);
        runtime.block_on(sandbox.stop());
    }
    println!(
        "start (seed YAML -> listening): {}; of which parse and check {}, build world and bind {}",
        stats(&mut total),
        stats(&mut parse),
        stats(&mut start)
    );

    let seed = Seed::from_yaml_str(&yaml).expect("bench seed loads");
    let sandbox = runtime
        .block_on(Sandbox::start(seed, Options::default()))
        .expect("sandbox starts");
    let base = sandbox.base_url();
    let client = reqwest::Client::new();

    let lists: [(&str, Lister); 5] = [
        ("Clockify users, page-size 5000", |c, b| {
            Box::pin(clockify_users(c, b, 5000))
        }),
        ("Connecteam users, limit 500", |c, b| {
            Box::pin(connecteam_users(c, b))
        }),
        ("Clockify users, page-size 200", |c, b| {
            Box::pin(clockify_users(c, b, 200))
        }),
        ("Clockify balances, 3 policies, page-size 200", |c, b| {
            Box::pin(clockify_balances(c, b))
        }),
        ("Connecteam balances, 2 policy types, limit 100", |c, b| {
            Box::pin(connecteam_balances(c, b))
        }),
    ];
    let mut users_total = Vec::new();
    for (i, (name, list)) in lists.iter().enumerate() {
        let mut times = Vec::new();
        let mut seen = (0, 0);
        for _ in 0..RUNS {
            runtime.block_on(clear_log(&client, &base));
            let t = Instant::now();
            let items = runtime.block_on(list(client.clone(), base.clone()));
            times.push(t.elapsed());
            let calls = runtime.block_on(log_len(&client, &base));
            seen = (items, calls);
        }
        if i < 2 {
            users_total.push(times.clone());
        }
        println!(
            "{name}: {} items in {} calls: {}",
            seen.0,
            seen.1,
            stats(&mut times)
        );
    }
    // Both vendors' users at their largest pages, one after the other.
    let mut both: Vec<Duration> = users_total[0]
        .iter()
        .zip(&users_total[1])
        .map(|(a, b)| *a + *b)
        .collect();
    println!(
        "all {} users, both vendors, largest pages: {}",
        CLOCKIFY_USERS + CONNECTEAM_USERS,
        stats(&mut both)
    );
    runtime.block_on(sandbox.stop());
}

type Lister =
    fn(reqwest::Client, String) -> std::pin::Pin<Box<dyn std::future::Future<Output = usize>>>;

/// "min X ms, median Y ms over N runs".
fn stats(times: &mut [Duration]) -> String {
    times.sort();
    format!(
        "min {:.1} ms, median {:.1} ms over {} runs",
        times[0].as_secs_f64() * 1e3,
        times[times.len() / 2].as_secs_f64() * 1e3,
        times.len()
    )
}

async fn get_json(
    client: &reqwest::Client,
    url: &str,
    query: &[(&str, String)],
    header: (&str, &str),
) -> (serde_json::Value, bool) {
    let resp = client
        .get(url)
        .query(query)
        .header(header.0, header.1)
        .send()
        .await
        .expect("request");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    let last = resp
        .headers()
        .get("last-page")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v == "true");
    (resp.json().await.expect("JSON body"), last)
}

/// Every member, `status=ALL`, until `Last-Page: true`.
async fn clockify_users(client: reqwest::Client, base: String, size: usize) -> usize {
    let url = format!("{base}/api/v1/workspaces/{WORKSPACE}/users");
    let mut seen = 0;
    for page in 1.. {
        let (body, last) = get_json(
            &client,
            &url,
            &[
                ("status", "ALL".to_owned()),
                ("page", page.to_string()),
                ("page-size", size.to_string()),
            ],
            ("X-Api-Key", CLOCKIFY_KEY),
        )
        .await;
        seen += body.as_array().expect("a bare array").len();
        if last {
            break;
        }
    }
    assert_eq!(seen, CLOCKIFY_USERS);
    seen
}

/// Every user, `userStatus=all`, offset by limit until a page is short.
async fn connecteam_users(client: reqwest::Client, base: String) -> usize {
    let url = format!("{base}/users/v1/users");
    let limit = 500;
    let mut seen = 0;
    loop {
        let (body, _) = get_json(
            &client,
            &url,
            &[
                ("userStatus", "all".to_owned()),
                ("limit", limit.to_string()),
                ("offset", seen.to_string()),
            ],
            ("X-API-KEY", CONNECTEAM_KEY),
        )
        .await;
        let n = body["data"]["users"].as_array().expect("users").len();
        seen += n;
        if n < limit {
            break;
        }
    }
    assert_eq!(seen, CONNECTEAM_USERS);
    seen
}

/// Every balance row of every policy, 200 a page, until `Last-Page: true`.
async fn clockify_balances(client: reqwest::Client, base: String) -> usize {
    let ws = format!("{base}/api/v1/workspaces/{WORKSPACE}/time-off");
    let (policies, _) = get_json(
        &client,
        &format!("{ws}/policies"),
        &[("page-size", "200".to_owned())],
        ("X-Api-Key", CLOCKIFY_KEY),
    )
    .await;
    let mut seen = 0;
    for policy in policies.as_array().expect("policies") {
        let url = format!("{ws}/balance/policy/{}", policy["id"].as_str().expect("id"));
        for page in 1.. {
            let (body, last) = get_json(
                &client,
                &url,
                &[("page", page.to_string()), ("page-size", "200".to_owned())],
                ("X-Api-Key", CLOCKIFY_KEY),
            )
            .await;
            seen += body["balances"].as_array().expect("balances").len();
            if last {
                break;
            }
        }
    }
    assert_eq!(seen, CLOCKIFY_ROWS);
    seen
}

/// Every balance row of every policy type, 100 a page, until a short page.
async fn connecteam_balances(client: reqwest::Client, base: String) -> usize {
    let (types, _) = get_json(
        &client,
        &format!("{base}/time-off/v1/policy-types"),
        &[],
        ("X-API-KEY", CONNECTEAM_KEY),
    )
    .await;
    let mut seen = 0;
    for t in types["data"]["policyTypes"]
        .as_array()
        .expect("policy types")
    {
        let url = format!(
            "{base}/time-off/v1/policy-types/{}/balances",
            t["id"].as_str().expect("id")
        );
        let limit = 100;
        let mut offset = 0;
        loop {
            let (body, _) = get_json(
                &client,
                &url,
                &[("limit", limit.to_string()), ("offset", offset.to_string())],
                ("X-API-KEY", CONNECTEAM_KEY),
            )
            .await;
            let n = body["data"]["balances"].as_array().expect("balances").len();
            seen += n;
            offset += n;
            if n < limit {
                break;
            }
        }
    }
    assert_eq!(seen, 2 * CONNECTEAM_USERS);
    seen
}

async fn clear_log(client: &reqwest::Client, base: &str) {
    client
        .delete(format!("{base}/__sandbox/log"))
        .send()
        .await
        .expect("clear the log");
}

async fn log_len(client: &reqwest::Client, base: &str) -> usize {
    let body: serde_json::Value = client
        .get(format!("{base}/__sandbox/log"))
        .send()
        .await
        .expect("read the log")
        .json()
        .await
        .expect("log JSON");
    body["entries"].as_array().map_or(0, Vec::len)
}

/// The world: one Clockify user in 50 inactive and one Connecteam user in
/// 50 archived (so the lists must ask for every status); every Clockify
/// user on Vacation and Sick, one in 20 on Parental; every Connecteam user
/// on one of the two policies of each type. (About 238,000 YAML nodes: the
/// seed loader's parser refuses more than 250,000.)
fn seed() -> String {
    let mut s = format!(
        "seed_version: 1\nclockify:\n  api_key: {CLOCKIFY_KEY}\n  workspace_id: {WORKSPACE}\n  key_owner: c0@example.com\n  users:\n"
    );
    for i in 0..CLOCKIFY_USERS {
        let status = if i % 50 == 49 {
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
    for (name, unit, base, every) in [
        ("Vacation", "days", 25, 1),
        ("Sick", "hours", 80, 1),
        ("Parental", "days", 0, PARENTAL_EVERY),
    ] {
        let _ = writeln!(
            s,
            "    - name: {name}\n      unit: {unit}\n      has_expiration: false\n      assignments:"
        );
        for i in (0..CLOCKIFY_USERS).step_by(every) {
            let _ = writeln!(
                s,
                "        - {{ user: c{i}@example.com, balance: {} }}",
                base + i % 5
            );
        }
    }
    let _ = write!(
        s,
        "connecteam:\n  api_key: {CONNECTEAM_KEY}\n  key_owner: f0@example.com\n  users:\n"
    );
    for i in 0..CONNECTEAM_USERS {
        let role = match i {
            0 => ", role: owner",
            1..=9 => ", role: manager",
            _ => "",
        };
        let archived = if i % 50 == 49 { ", archived: true" } else { "" };
        let _ = writeln!(
            s,
            "    - {{ email: f{i}@example.com, first_name: Crew, last_name: Member{i}{role}{archived} }}"
        );
    }
    s.push_str("  policy_types:\n");
    for (name, unit, base) in [("Vacation", "days", 25), ("Sick", "hours", 80)] {
        let _ = writeln!(s, "    - name: {name}\n      policies:");
        // Two policies per type; everyone on one of them.
        for (k, policy) in ["Standard", "Part-time"].iter().enumerate() {
            let _ = writeln!(
                s,
                "        - name: {policy}\n          unit: {unit}\n          default_balance: {base}\n          assignments:"
            );
            for i in (0..CONNECTEAM_USERS).filter(|i| (i % 4 == 3) == (k == 1)) {
                let _ = writeln!(
                    s,
                    "            - {{ user: f{i}@example.com, balance: {} }}",
                    base - i % 7
                );
            }
        }
    }
    s
}
