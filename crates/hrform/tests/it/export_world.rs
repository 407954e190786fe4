//! A generated world with every kind of data `hrform export` meets, for
//! the export round-trip test and `benches/export.rs` (which includes this
//! file): on both vendors, active, inactive, invited and declined people,
//! an archived policy, a policy everyone is on, several policies per Connecteam type and one policy name under two
//! types, an accruing policy, used leave, fractional balances, approved,
//! pending and denied requests, all-day and partial-day ones, requests
//! with and without hrform's marker, and names, emails and notes with
//! quotes, colons, `#`, newlines, control characters and non-ASCII text.

use std::fmt::Write as _;

/// A Connecteam policy: name, unit, accrual type.
type Policy = (&'static str, &'static str, &'static str);

/// Hostile text for names and notes, by index.
pub(crate) const HOSTILE: &[&str] = &[
    "O'Brien said: \"yes\" # not a comment",
    "Zoë Ångström-Łukasiewicz 日本語",
    "line one\nusers: []\n- evil: true",
    "- leading dash, [brackets], {braces}",
    "null",
    "1.10",
    "2026-01-01",
    "tab\there and \\ backslash",
    "bidi \u{202e}reversed\u{202c} and \u{1b}[31mred",
    "  padded  ",
    "key: value",
    "yes",
];

/// A seed of `n` Clockify and `n` Connecteam people (`n` ≥ 20).
pub(crate) fn seed(n: usize) -> String {
    let mut s = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: c0@example.com\n  users:\n",
    );
    for i in 0..n {
        let status = match i % 13 {
            5 => ", status: inactive",
            7 => ", status: pending",
            11 => ", status: declined",
            _ => "",
        };
        let name = match i % 6 {
            0 => String::new(),
            1 => format!(", name: {}", json(HOSTILE[i % HOSTILE.len()])),
            _ => format!(", name: Person {i}"),
        };
        let _ = writeln!(
            s,
            "    - {{ email: {}{name}{status} }}",
            json(&clockify_email(i))
        );
    }
    s.push_str("  policies:\n");
    let policies: [(&str, &str, bool, bool); 6] = [
        ("Vacation", "days", false, false),
        ("Sick", "hours", false, false),
        ("Parental", "days", false, false),
        ("Vacation 2025", "days", true, false),
        ("Wellness", "hours", false, true),
        ("Bonus", "days", false, false),
    ];
    for (k, (name, unit, archived, everyone)) in policies.iter().enumerate() {
        let _ = writeln!(
            s,
            "    - name: {name}\n      unit: {unit}\n      archived: {archived}\n      everyone_including_new: {everyone}\n      assignments:"
        );
        for i in (0..n).filter(|i| on_clockify_policy(*i, k)) {
            let (balance, used) = match (k, i % 4) {
                (0, 0) => (22.5, 2.5),
                (0, _) => (25.0, 0.0),
                (1, 1) => (72.0, 8.0),
                (1, _) => (80.0, 0.0),
                (_, 3) => (0.25, 0.0),
                _ => (3.0, 1.0),
            };
            let _ = writeln!(
                s,
                "        - {{ user: {}, balance: {balance}, used: {used} }}",
                json(&clockify_email(i))
            );
        }
    }
    s.push_str(
        "connecteam:\n  api_key: sandbox-connecteam-key\n  key_owner: f0@example.com\n  quirks:\n    echo_dst_flag: true\n  users:\n",
    );
    for i in 0..n {
        let role = match i {
            0 => ", role: owner",
            _ if i % 50 == 10 => ", role: manager",
            _ => "",
        };
        let archived = if i % 7 == 3 { ", archived: true" } else { "" };
        let (first, last) = match i % 5 {
            2 => (HOSTILE[i % HOSTILE.len()].to_owned(), "Smith".to_owned()),
            _ => ("F".to_owned(), format!("P{i}")),
        };
        let _ = writeln!(
            s,
            "    - {{ email: {}, first_name: {}, last_name: {}{role}{archived} }}",
            json(&connecteam_email(i)),
            json(&first),
            json(&last)
        );
    }
    s.push_str("  policy_types:\n");
    // (type, [(policy, unit, accrual)])
    let types: [(&str, &[Policy]); 4] = [
        (
            "Vacation",
            &[("Standard", "days", "fixed"), ("Senior", "days", "fixed")],
        ),
        ("Sick", &[("Sick", "hours", "fixed")]),
        ("Time Off", &[("Standard", "days", "fixed")]),
        ("Overtime", &[("Accrued", "hours", "hourly")]),
    ];
    for (t, (type_name, policies)) in types.iter().enumerate() {
        let _ = writeln!(s, "    - name: {type_name}\n      policies:");
        for (p, (name, unit, accrual)) in policies.iter().enumerate() {
            let _ = writeln!(
                s,
                "        - name: {name}\n          unit: {unit}\n          accrual_type: {accrual}\n          assignments:"
            );
            for i in (0..n).filter(|i| on_connecteam_policy(*i, t, p)) {
                let balance = match (t, i % 4) {
                    (0, 0) => 21.5,
                    (0, _) => 25.0,
                    (1, 1) => 76.5,
                    (1, _) => 80.0,
                    (2, _) => 2.0,
                    _ => 12.0,
                };
                let _ = writeln!(
                    s,
                    "            - {{ user: {}, balance: {balance} }}",
                    json(&connecteam_email(i))
                );
            }
        }
    }
    s.push_str("  requests:\n");
    for i in 0..n {
        let email = json(&connecteam_email(i));
        let note = |k: usize| json(HOSTILE[(i + k) % HOSTILE.len()]);
        let day = 1 + i % 27;
        if i % 3 == 0 {
            // Approved, all day, in the leave year (usage); every other one
            // marked as hrform made it.
            let manager = if i % 2 == 0 {
                format!(", manager_note: {}", json(&format!("ok [hrform:BHR-{i}]")))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "    - {{ user: {email}, policy_type: Vacation, start_date: 2026-03-{day:02}, end_date: 2026-03-{day:02}, timezone: America/New_York, employee_note: {}{manager} }}",
                note(0)
            );
        }
        if i % 5 == 1 {
            // A partial day, approved, with a manager's note and no marker.
            let dst = if i % 2 == 0 {
                ", adjust_for_dst: true"
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "    - {{ user: {email}, policy_type: Sick, start_date: 2026-05-{day:02}, end_date: 2026-05-{day:02}, all_day: false, start_time: \"09:00:00\", end_time: \"13:30:00\", timezone: Europe/Dublin, manager_note: {}{dst} }}",
                note(3)
            );
        }
        if i % 4 == 2 {
            let _ = writeln!(
                s,
                "    - {{ user: {email}, policy_type: Vacation, start_date: 2026-08-{day:02}, end_date: 2026-08-{:02}, status: pending, time_clock_id: {} }}",
                day + 1,
                1000 + i
            );
        }
        if i % 9 == 4 {
            let _ = writeln!(
                s,
                "    - {{ user: {email}, policy_type: Time Off, start_date: 2026-10-{day:02}, end_date: 2026-10-{day:02}, status: denied, employee_note: {} }}",
                note(5)
            );
        }
    }
    s
}

/// The providers of the generated world, at the sandbox `base`.
pub(crate) fn providers(base: &str) -> String {
    format!(
        "# yaml-language-server: $schema=manifest.schema.json\nproviders:\n  office:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {base}/api\n    requests_per_second: 50\n  field:\n    type: connecteam\n    base_url: {base}\n    requests_per_minute: 200\n"
    )
}

pub(crate) fn clockify_email(i: usize) -> String {
    match i % 10 {
        4 => format!("o'brien+hr{i}@Example.com"),
        8 => format!("Mixed.Case{i}@Example.COM"),
        _ => format!("c{i}@example.com"),
    }
}

pub(crate) fn connecteam_email(i: usize) -> String {
    if i == 17 {
        // Not an address validation accepts: the export leaves it out.
        return "no.domain@localhost".into();
    }
    match i % 10 {
        4 => format!("ops#{i}&co@example.com"),
        _ => format!("f{i}@example.com"),
    }
}

/// Clockify policy `k` (in the seed's order) holds person `i`.
fn on_clockify_policy(i: usize, k: usize) -> bool {
    match k {
        0 | 1 => i % 13 != 7 || i.is_multiple_of(2),
        2 => i % 8 == 1,
        3 => i.is_multiple_of(5),
        4 => i.is_multiple_of(3),
        _ => i == 5,
    }
}

/// Connecteam type `t`'s policy `p` holds person `i`: one policy per type.
fn on_connecteam_policy(i: usize, t: usize, p: usize) -> bool {
    match t {
        0 => p == usize::from(i.is_multiple_of(6)),
        1 => true,
        2 => i % 9 == 4 || i % 4 == 1,
        _ => i % 10 == 3,
    }
}

/// `s` as a JSON string, which YAML reads back as exactly `s`.
fn json(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}
