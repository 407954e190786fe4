//! Benchmark: `hrform export` of the generated world (`tests/it/export_world.rs`:
//! every kind of data, both vendors) at 2,000 and 10,000 people a vendor,
//! against a local sandbox.
//!
//! Run with `cargo bench --bench export`. For each size and provider it
//! prints the read calls the export made against those of the `plan` run
//! right after it (which reads at the largest page sizes: the minimum plan
//! needs for the same people and policies), that plan's verdict (it must be
//! `No changes.`), the export's wall time and peak memory (the child
//! process's VmHWM), and the floor the provider's declared rate puts under
//! the wall time (Connecteam: 200 a minute after a burst of 200; Clockify:
//! 50 a second).

use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;
#[allow(
    dead_code,
    reason = "the test helpers of the world are not all used here"
)]
#[path = "../tests/it/export_world.rs"]
mod export_world;
use common::World;

const SIZES: [usize; 2] = [2_000, 10_000];

fn main() {
    for n in SIZES {
        let seed = export_world::seed(n);
        let world = World::start(&seed, hrform::sandbox::Options::default(), |dir, base| {
            std::fs::write(dir.join("providers.yaml"), export_world::providers(base))
                .expect("write");
        });
        println!(
            "world: {n} Clockify + {n} Connecteam people; seed {} KiB",
            seed.len() / 1024
        );
        let runs = if n <= 2_000 { 3 } else { 1 };
        let mut export_calls = Vec::new();
        for (provider, clockify) in [("office", true), ("field", false)] {
            let mut times = Vec::new();
            let mut peaks = Vec::new();
            let mut calls = 0;
            let mut stderr = String::new();
            for _ in 0..runs {
                let _ =
                    std::fs::remove_file(world.dir.path().join(format!("{provider}.export.yaml")));
                world.clear_log();
                let (time, peak, err) = measure(&world, &["export", "--provider", provider]);
                times.push(time);
                peaks.push(peak);
                stderr = err;
                calls = reads(&world, clockify);
            }
            times.sort();
            peaks.sort_unstable();
            let summary = stderr
                .lines()
                .find(|l| l.starts_with("Exported"))
                .unwrap_or("")
                .to_owned();
            println!(
                "  export {provider:>6}: {calls} read calls; wall min {:.0} ms, median {:.0} ms over {runs} run(s); peak memory {:.1} MB; rate floor {:.1} s\n    {summary}",
                times[0].as_secs_f64() * 1e3,
                times[runs / 2].as_secs_f64() * 1e3,
                *peaks.last().expect("a run") as f64 / 1024.0,
                floor(calls, clockify)
            );
            export_calls.push((provider, clockify, calls));
        }
        world.clear_log();
        let (time, _, _) = measure(&world, &["plan", "--detailed-exitcode"]);
        let out = world.run(&["plan", "--detailed-exitcode"]);
        let verdict = String::from_utf8_lossy(&out.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned();
        println!(
            "  plan after the exports: exit {:?}, `{verdict}`, wall {:.0} ms",
            out.status.code(),
            time.as_secs_f64() * 1e3
        );
        // The log now holds both plans' reads: halve.
        for (provider, clockify, calls) in export_calls {
            let plan = reads(&world, clockify) / 2;
            println!("  reads of {provider:>6}: export {calls}, plan {plan} (minimum)");
        }
    }
}

/// Wall time, peak memory (KiB) and stderr of one run of the binary.
fn measure(world: &World, args: &[&str]) -> (Duration, u64, String) {
    let start = Instant::now();
    let mut child = world
        .command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run hrform");
    let status_path = format!("/proc/{}/status", child.id());
    let stderr = std::thread::spawn({
        let mut err = child.stderr.take().expect("stderr");
        move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut err, &mut s).expect("read stderr");
            s
        }
    });
    let mut peak = 0u64;
    loop {
        if let Some(kib) = vm_hwm(&status_path) {
            peak = peak.max(kib);
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let elapsed = start.elapsed();
    let stderr = stderr.join().expect("stderr thread");
    assert!(
        child.wait().expect("wait").success(),
        "{args:?} failed: {stderr}"
    );
    (elapsed, peak, stderr)
}

/// GETs in the sandbox log to one vendor.
fn reads(world: &World, clockify: bool) -> usize {
    world
        .log()
        .iter()
        .filter(|e| e["method"] == "GET")
        .filter(|e| e["path"].as_str().is_some_and(|p| p.starts_with("/api/")) == clockify)
        .count()
}

/// The least time `calls` take at the declared rate.
fn floor(calls: usize, clockify: bool) -> f64 {
    if clockify {
        calls as f64 / 50.0
    } else {
        calls.saturating_sub(200) as f64 / (200.0 / 60.0)
    }
}

fn vm_hwm(path: &str) -> Option<u64> {
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
