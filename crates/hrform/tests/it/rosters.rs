//! Rosters and rules end to end: an HRIS-style CSV export of 2,000 people
//! with ten rules, planned and applied against the sandbox; located errors
//! in roster cells and rules, each refused before any call.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::common::Test;

const DEPARTMENTS: [&str; 6] = [
    "Sales",
    "Engineering",
    "Support",
    "Finance",
    "Operations",
    "Executive",
];
const TYPES: [&str; 4] = ["Full-Time", "Part-Time", "Contractor", "Intern"];
const COUNTRIES: [&str; 5] = ["IE", "GB", "US", "DE", "FR"];
const POLICIES: [&str; 7] = [
    "Vacation",
    "Sick",
    "Parental",
    "Travel",
    "Training",
    "Wellness",
    "Sabbatical",
];

/// One generated person.
struct Person {
    email: String,
    name: String,
    department: &'static str,
    kind: &'static str,
    country: &'static str,
    terminated: bool,
    hired: (u32, u32, u32),
}

/// `n` people from a fixed seed (a small LCG: no dependency, same every run).
fn people(n: usize) -> Vec<Person> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |m: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % m
    };
    (0..n)
        .map(|i| {
            let terminated = i % 97 == 50;
            let department = if terminated {
                "Operations"
            } else if next(100) == 0 {
                "Executive"
            } else {
                DEPARTMENTS[next(5)]
            };
            Person {
                email: format!("person{i:05}@acme.test"),
                name: format!("Last{i}, First{}", next(1000)),
                department,
                kind: if terminated {
                    "Contractor"
                } else {
                    TYPES[next(4)]
                },
                country: if terminated { "US" } else { COUNTRIES[next(5)] },
                terminated,
                hired: (
                    1 + next(12) as u32,
                    1 + next(28) as u32,
                    2010 + next(15) as u32,
                ),
            }
        })
        .collect()
}

/// The ten rules, as YAML, and the same rules as data for the oracle:
/// (name, [(attribute, values)], except, policies given).
type RuleSpec = (
    &'static str,
    Vec<(&'static str, Vec<&'static str>)>,
    Vec<String>,
    Vec<&'static str>,
);

fn rules(first_executive: &str) -> Vec<RuleSpec> {
    vec![
        (
            "staff-sick",
            vec![("employment_type", vec!["Full-Time", "Part-Time"])],
            vec![],
            vec!["Sick"],
        ),
        (
            "full-time-eu",
            vec![
                ("employment_type", vec!["Full-Time"]),
                ("country", vec!["IE", "GB", "DE", "FR"]),
            ],
            vec![],
            vec!["Vacation"],
        ),
        (
            "full-time-us",
            vec![
                ("employment_type", vec!["Full-Time"]),
                ("country", vec!["US"]),
            ],
            vec![],
            vec!["Vacation"],
        ),
        (
            "part-time",
            vec![("employment_type", vec!["Part-Time"])],
            vec![],
            vec!["Vacation"],
        ),
        (
            "sales-travel",
            vec![("department", vec!["Sales"])],
            vec![],
            vec!["Travel"],
        ),
        (
            "engineering-training",
            vec![("department", vec!["Engineering"])],
            vec![],
            vec!["Training"],
        ),
        (
            "support-wellness",
            vec![
                ("department", vec!["Support"]),
                ("country", vec!["IE", "GB"]),
            ],
            vec![],
            vec!["Wellness"],
        ),
        (
            "interns-training",
            vec![("employment_type", vec!["Intern"])],
            vec![],
            vec!["Training"],
        ),
        (
            "parental-eu",
            vec![("country", vec!["DE", "FR"])],
            vec![],
            vec!["Parental"],
        ),
        (
            "executive-sabbatical",
            vec![("department", vec!["Executive"])],
            vec![first_executive.to_owned()],
            vec!["Sabbatical"],
        ),
    ]
}

fn rules_yaml(rules: &[RuleSpec]) -> String {
    let mut out = String::from("rules:\n");
    for (name, when, except, gives) in rules {
        let when: Vec<String> = when
            .iter()
            .map(|(k, v)| format!("{k}: [{}]", v.join(", ")))
            .collect();
        let _ = writeln!(out, "  - name: {name}\n    when: {{ {} }}", when.join(", "));
        if *name == "executive-sabbatical" {
            let _ = writeln!(
                out,
                "    time_off: [{{ policy: Sabbatical, allowance: 10, unit: days }}]"
            );
        } else {
            let t: Vec<String> = gives.iter().map(|p| format!("{{ policy: {p} }}")).collect();
            let _ = writeln!(out, "    time_off: [{}]", t.join(", "));
        }
        if !except.is_empty() {
            let _ = writeln!(out, "    except: [{}]", except.join(", "));
        }
    }
    out
}

/// The HRIS export: BOM, CRLF, quoted commas, US dates, extra columns
/// hrform does not read (one of them secret-looking).
fn csv(people: &[Person]) -> String {
    let mut out = String::from(
        "\u{feff}Employee ID,Work Email,Preferred Name,Department,Employment Type,Country,Employment Status,Hire Date,Termination Date,SSN\r\n",
    );
    for (i, p) in people.iter().enumerate() {
        let (m, d, y) = p.hired;
        let _ = write!(
            out,
            "E{i},{},\"{}\",{},{},{},{},{m:02}/{d:02}/{y},{},123-45-{i:04}\r\n",
            p.email,
            p.name,
            p.department,
            p.kind,
            p.country,
            if p.terminated { "Terminated" } else { "Active" },
            if p.terminated { "06/30/2026" } else { "" },
        );
    }
    out
}

const ROSTER: &str = "\
rosters:
  - file: hris/people.csv
    provider: clockify
    columns:
      email: Work Email
      name: Preferred Name
      status: Employment Status
      start_date: Hire Date
      end_date: Termination Date
    attributes:
      department: Department
      employment_type: Employment Type
      country: Country
    values:
      status: { Active: active, Terminated: inactive }
    date_format: \"%m/%d/%Y\"
";

fn providers(t: &Test) -> String {
    let mut out = format!(
        "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {}/api\n    requests_per_second: 50\n    balance_update: set\npolicies:\n  clockify:\n",
        t.sandbox_url()
    );
    for p in POLICIES {
        let _ = writeln!(out, "    {p}: {{ has_expiration: false }}");
    }
    out
}

fn seed(people: &[Person]) -> String {
    let mut out = String::from(
        "seed_version: 1\nclockify:\n  api_key: sandbox-clockify-key\n  workspace_id: 64a687e29ae1f428e7ebe303\n  key_owner: owner@acme.test\n  quirks: { balance_patch: set }\n  users:\n    - { email: owner@acme.test, name: Olive Owner }\n",
    );
    for p in people {
        let _ = writeln!(
            out,
            "    - {{ email: {}, name: \"{}\"{} }}",
            p.email,
            p.name,
            if p.terminated {
                ", status: inactive"
            } else {
                ""
            }
        );
    }
    out.push_str("  policies:\n");
    for p in POLICIES {
        let unit = if p == "Sick" { "hours" } else { "days" };
        let _ = writeln!(out, "    - {{ name: {p}, unit: {unit} }}");
    }
    out
}

/// The rules that give `policy` to `p`, computed from the specs.
fn expected_rules(specs: &[RuleSpec], p: &Person, policy: &str) -> BTreeSet<String> {
    specs
        .iter()
        .filter(|(_, when, except, gives)| {
            gives.contains(&policy)
                && !except.contains(&p.email)
                && when.iter().all(|(k, vs)| {
                    let v = match *k {
                        "department" => p.department,
                        "employment_type" => p.kind,
                        _ => p.country,
                    };
                    vs.contains(&v)
                })
        })
        .map(|(name, ..)| format!("rule {name}"))
        .collect()
}

/// 2,000 people, ten rules: validate, plan (provenance checked against an
/// independent evaluation of the rules), apply, and plan again: nothing.
#[test]
fn an_hris_export_with_ten_rules_plans_applies_and_converges() {
    let people = people(2000);
    let first_executive = people
        .iter()
        .find(|p| p.department == "Executive")
        .expect("an executive")
        .email
        .clone();
    let specs = rules(&first_executive);
    let t = Test::new().sandbox(&seed(&people));
    let providers = providers(&t);
    let t = t
        .file("providers.yaml", &providers)
        .file("people.yaml", &format!("{ROSTER}{}", rules_yaml(&specs)))
        .file("hris/people.csv", &csv(&people));
    let out = t.run_with(&["validate"]);
    out.code(0);

    let out = t.run_with(&["plan", "--output", "json"]);
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    let changes = plan["changes"].as_array().expect("changes");
    assert!(!changes.is_empty());
    // Every change says where it comes from; for a sample of people, the
    // rules named are exactly those that match and give the policy.
    let by_email: BTreeMap<&str, (usize, &Person)> = people
        .iter()
        .enumerate()
        .map(|(i, p)| (p.email.as_str(), (i, p)))
        .collect();
    let mut checked = 0;
    for c in changes {
        let because: BTreeSet<String> = c["because"]
            .as_array()
            .unwrap_or_else(|| panic!("no because: {c}"))
            .iter()
            .map(|b| b.as_str().unwrap().to_owned())
            .collect();
        let email = c["person"]["email"].as_str().unwrap();
        let (i, p) = by_email[email];
        let row = format!("roster hris/people.csv:{}", i + 2);
        assert!(because.contains(&row), "{email}: {because:?}");
        if i % 37 == 0 && c["change"] == "assign" {
            let policy = c["policy"]["name"].as_str().unwrap();
            let rules: BTreeSet<String> = because
                .iter()
                .filter(|b| b.starts_with("rule "))
                .cloned()
                .collect();
            assert_eq!(rules, expected_rules(&specs, p, policy), "{email} {policy}");
            checked += 1;
        }
    }
    assert!(checked > 20, "checked {checked}");
    // The person excepted from the executive rule gets no Sabbatical.
    assert!(
        !changes
            .iter()
            .any(|c| c["person"]["email"] == first_executive.as_str()
                && c["policy"]["name"] == "Sabbatical")
    );

    // The text plan says it too, with -v.
    let out = t.run_with(&["plan", "-v"]);
    out.code(0);
    assert!(
        out.stdout.contains("(because roster hris/people.csv:"),
        "{}",
        out.stdout
    );

    t.run_with(&["apply", "--yes", "-q"]).code(0);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}

/// A small world for the error cases: two people, one rule.
fn small(csv: &str, extra: &str) -> Test {
    let people = people(3);
    let t = Test::new().sandbox(&seed(&people));
    let providers = providers(&t);
    t.file("providers.yaml", &providers)
        .file(
            "people.yaml",
            &format!(
                "{ROSTER}rules:\n  - {{ name: everyone-sick, when: {{}}, time_off: [{{ policy: Sick }}] }}\n{extra}"
            ),
        )
        .file("hris/people.csv", csv)
}

const HEADER: &str = "Work Email,Preferred Name,Department,Employment Type,Country,Employment Status,Hire Date,Termination Date\n";

/// Each mistake: exit 1, located, and no call made.
#[test]
fn roster_and_rule_mistakes_are_located_and_nothing_is_called() {
    let good = "person00000@acme.test,\"Doe, Jo\",Sales,Full-Time,IE,Active,01/31/2020,\n";
    let cases: Vec<(&str, String, String, Vec<&str>)> = vec![
        (
            "missing header",
            HEADER.replace("Hire Date", "Hire Dt") + good,
            String::new(),
            vec!["roster-header-missing", "no column `Hire Date`", "Hire Dt"],
        ),
        (
            "unreadable date",
            format!("{HEADER}{}", good.replace("01/31/2020", "31/01/2020")),
            String::new(),
            vec!["roster-cell", "hris/people.csv:2:Hire Date", "`31/01/2020` is not a date"],
        ),
        (
            "unknown status",
            format!("{HEADER}{good}{}", good.replace("00000", "00001").replace("Active", "On Leave")),
            String::new(),
            vec!["roster-cell", "hris/people.csv:3:Employment Status", "unknown status value `On Leave`"],
        ),
        (
            "duplicate email",
            format!("{HEADER}{good}{}", good.replace("person00000", "PERSON00000")),
            String::new(),
            vec!["roster-duplicate", "roster hris/people.csv:2 and roster hris/people.csv:3"],
        ),
        (
            "rule conflict",
            format!("{HEADER}{good}"),
            "  - { name: sales-sick, when: { department: Sales }, time_off: [{ policy: Sick, allowance: 40, unit: hours }] }\n".to_owned(),
            vec!["rule-conflict", "`person00000@acme.test` (roster hris/people.csv:2)", "`everyone-sick` and `sales-sick`"],
        ),
        (
            "unmapped attribute",
            format!("{HEADER}{good}"),
            "  - { name: by-team, when: { team: Blue }, time_off: [{ policy: Vacation }] }\n".to_owned(),
            vec!["rule-unmapped-attribute", "`team`"],
        ),
    ];
    for (what, csv, extra, needles) in cases {
        let t = small(&csv, &extra);
        let out = t.run_with(&["plan"]);
        assert_eq!(out.code, 1, "{what}: {}", out.stderr);
        for n in needles {
            assert!(
                out.stderr.contains(n),
                "{what}: no {n:?} in\n{}",
                out.stderr
            );
        }
        assert_eq!(t.sandbox_log().len(), 0, "{what}: calls made");
    }
}

/// A roster path may not leave the configuration directory.
#[test]
fn a_roster_outside_the_tree_is_refused() {
    let t = small(HEADER, "").file(
        "people.yaml",
        &ROSTER.replace("hris/people.csv", "../people.csv"),
    );
    let out = t.run_with(&["validate"]);
    out.code(1).stderr_has(&[
        "roster-file",
        "not a path inside the configuration directory",
    ]);
}

/// A `users:` entry for a roster person overrides the row and the rules.
#[test]
fn a_users_entry_overrides_the_roster_row_and_the_rules() {
    let csv = format!(
        "{HEADER}person00000@acme.test,A,Sales,Full-Time,IE,Active,01/31/2020,\nperson00001@acme.test,B,Sales,Full-Time,IE,Active,01/31/2020,\n"
    );
    let t = small(
        &csv,
        "users:\n  - { email: person00001@acme.test, provider: clockify, time_off: [{ policy: Sick, allowance: 16, unit: hours }] }\n",
    );
    let out = t.run_with(&["plan", "--output", "json"]);
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let sick: Vec<(String, Vec<String>)> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["change"] == "assign")
        .map(|c| {
            (
                c["person"]["email"].as_str().unwrap().to_owned(),
                serde_json::from_value(c["because"].clone()).unwrap(),
            )
        })
        .collect();
    assert_eq!(sick.len(), 2, "{sick:?}");
    assert_eq!(
        sick[0].1,
        ["roster hris/people.csv:2", "rule everyone-sick"]
    );
    assert_eq!(sick[1].1, ["users: people.yaml:20"]);
}

/// `export --format csv` writes a roster and the manifest that reads it;
/// a plan with them (and nothing else about these people) changes nothing.
#[test]
fn an_exported_roster_plans_to_no_changes() {
    let t = Test::new().sandbox(include_str!("../fixtures/plan/seed.yaml"));
    let url = t.sandbox_url();
    let t = t.file(
        "providers.yaml",
        &format!(
            "providers:\n  clockify:\n    type: clockify\n    workspace_id: 64a687e29ae1f428e7ebe303\n    base_url: {url}/api\n    balance_update: set\npolicies:\n  clockify:\n    Vacation: {{ has_expiration: false }}\n    Sick: {{ has_expiration: false }}\n    Parental: {{ has_expiration: false }}\n"
        ),
    );
    let out = t.run_with(&[
        "export",
        "--provider",
        "clockify",
        "--format",
        "csv",
        "--out",
        "hris",
    ]);
    out.code(0);
    assert!(
        out.stdout
            .contains("rosters:\n  - file: \"clockify.roster.csv\""),
        "{}",
        out.stdout
    );
    let csv = std::fs::read_to_string(t.path().join("hris/clockify.roster.csv")).unwrap();
    assert!(csv.starts_with("email,name,status,leave\r\n"), "{csv}");
    assert!(
        csv.contains("ada@example.com,Ada Lovelace,active,L1\r\n"),
        "{csv}"
    );
    let yaml = std::fs::read_to_string(t.path().join("hris/clockify.roster.yaml")).unwrap();
    assert_eq!(yaml, out.stdout);
    t.run_with(&["validate"]).code(0);
    let plan = t.run_with(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}

/// A workbook's roster, on its second sheet: the manifest that reads it.
const XLSX_ROSTER: &str = "\
rosters:
  - file: hris/people.xlsx
    sheet: People
    provider: clockify
    columns: { email: Work Email, name: Preferred Name, status: Employment Status,
               start_date: Hire Date, end_date: Termination Date }
    attributes: { weekly_hours: Weekly Hours, department: Department }
    values: { status: { Active: active } }
    date_format: \"%m/%d/%Y\"
rules:
  - { name: everyone-sick, when: {}, time_off: [{ policy: Sick }] }
  - { name: full-week, when: { weekly_hours: \"40\" }, time_off: [{ policy: Vacation }] }
  - { name: short-week, when: { weekly_hours: \"37.5\" }, time_off: [{ policy: Training }] }
";

/// A cell of the workbook's roster sheet.
enum Cell {
    Text(&'static str),
    Number(f64),
    /// A date cell (year, month, day, hour) shown in `dd/mm/yyyy hh:mm`,
    /// not the roster's `date_format`: hrform reads the value, not the look.
    Date(u16, u8, u8, u16),
}

/// An .xlsx workbook: a first sheet that is no roster, then `People`.
fn workbook(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("Notes").unwrap();
    notes.write_string(0, 0, "Exported from the HRIS").unwrap();
    notes.write_string(1, 0, "Work Email").unwrap();
    let sheet = book.add_worksheet();
    sheet.set_name("People").unwrap();
    let shown = Format::new().set_num_format("dd/mm/yyyy hh:mm");
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => sheet.write_string(r, c, *s).map(|_| ()),
                Cell::Number(n) => sheet.write_number(r, c, *n).map(|_| ()),
                Cell::Date(y, m, d, h) => {
                    let at = ExcelDateTime::from_ymd(*y, *m, *d)
                        .unwrap()
                        .and_hms(*h, 0, 0)
                        .unwrap();
                    sheet
                        .write_datetime_with_format(r, c, &at, &shown)
                        .map(|_| ())
                }
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

const XLSX_HEADER: [&str; 7] = [
    "Work Email",
    "Preferred Name",
    "Employment Status",
    "Hire Date",
    "Termination Date",
    "Weekly Hours",
    "Department",
];

/// Three people: one hired on a date cell, with a whole number of hours;
/// one hired on a text date who left on a date cell (with a time of day);
/// one with a fractional number of hours and a text end date.
fn xlsx_rows() -> Vec<Vec<Cell>> {
    use Cell::{Date, Number, Text};
    vec![
        vec![
            Text("person00000@acme.test"),
            Text("Doe, Ann"),
            Text("Active"),
            Date(2020, 1, 31, 0),
            Text(""),
            Number(40.0),
            Text("Sales"),
        ],
        vec![
            Text("person00001@acme.test"),
            Text("Roe, Ben"),
            Text("Active"),
            Text("07/04/2019"),
            Date(2026, 3, 31, 17),
            Number(40.0),
            Text("Support"),
        ],
        vec![
            Text("person00002@acme.test"),
            Text("Poe, Cy"),
            Text("Active"),
            Date(2026, 3, 1, 9),
            Text("12/31/2030"),
            Number(37.5),
            Text("Sales"),
        ],
    ]
}

/// The small world with the workbook roster, planned as of 2026-06-15.
fn xlsx_world(book: &[u8]) -> Test {
    let people = people(3);
    let t = Test::new().sandbox(&seed(&people));
    let providers = providers(&t);
    let t = t
        .env("HRFORM_TODAY", "2026-06-15")
        .file("providers.yaml", &providers)
        .file("people.yaml", XLSX_ROSTER);
    std::fs::create_dir_all(t.path().join("hris")).unwrap();
    std::fs::write(t.path().join("hris/people.xlsx"), book).unwrap();
    t
}

/// (change, email, policy) of each change in a JSON plan, sorted.
fn plan_changes(t: &Test) -> Vec<(String, String, String)> {
    let out = t.run_with(&["plan", "--output", "json"]);
    out.code(0);
    let plan: serde_json::Value = serde_json::from_str(&out.stdout).expect("plan JSON");
    let mut changes: Vec<(String, String, String)> = plan["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| {
            (
                c["change"].as_str().unwrap_or_default().to_owned(),
                c["person"]["email"].as_str().unwrap_or_default().to_owned(),
                c["policy"]["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    changes.sort();
    changes
}

/// A real workbook: the roster on its second sheet, date cells (with a time
/// of day, shown in another format) beside text dates in `date_format`,
/// number cells matched by rules (`"40"` and `"37.5"`): validate, plan,
/// apply, and plan again: nothing.
#[test]
fn an_xlsx_roster_with_a_named_sheet_plans_applies_and_converges() {
    let t = xlsx_world(&workbook(&XLSX_HEADER, &xlsx_rows()));
    t.run_with(&["validate"]).code(0);
    let changes = plan_changes(&t);
    let want = |c: &str, who: &str, p: &str| {
        (
            c.to_owned(),
            format!("person0000{who}@acme.test"),
            p.to_owned(),
        )
    };
    // Ann: hired 2020 (a date cell), 40 hours: Sick and Vacation. Ben
    // (hired on a text date) left on 2026-03-31 (a date cell): deactivated,
    // nothing assigned. Cy: hired 2026-03-01, 37.5 hours: Sick and Training.
    assert_eq!(
        changes,
        [
            want("assign", "0", "Sick"),
            want("assign", "0", "Vacation"),
            want("assign", "2", "Sick"),
            want("assign", "2", "Training"),
            want("status", "1", ""),
        ],
    );
    let out = t.run_with(&["plan", "-v"]);
    out.code(0);
    assert!(out.stdout.contains("last day 2026-03-31"), "{}", out.stdout);
    assert!(
        out.stdout.contains("(because roster hris/people.xlsx:4"),
        "{}",
        out.stdout
    );

    t.run_with(&["apply", "--yes", "-q"]).code(0);
    t.run_with(&["plan", "--detailed-exitcode"]).code(0);
}

/// Mistakes in a workbook are located like a CSV's (`FILE:ROW:HEADER`,
/// the header row 1) and refused before any call.
#[test]
fn xlsx_roster_mistakes_are_located_and_nothing_is_called() {
    let mut header = XLSX_HEADER;
    header[3] = "Hire Dt";
    let mut bad_date = xlsx_rows();
    bad_date[1][3] = Cell::Text("2019-07-04");
    let cases: Vec<(&str, Vec<u8>, &str, Vec<&str>)> = vec![
        (
            "missing header",
            workbook(&header, &xlsx_rows()),
            XLSX_ROSTER,
            vec![
                "roster-header-missing",
                "hris/people.xlsx:1: no column `Hire Date`",
                "Hire Dt",
            ],
        ),
        (
            "text date not in date_format",
            workbook(&XLSX_HEADER, &bad_date),
            XLSX_ROSTER,
            vec![
                "roster-cell",
                "hris/people.xlsx:3:Hire Date",
                "`2019-07-04` is not a date in the format `%m/%d/%Y`",
            ],
        ),
        (
            "no such sheet",
            workbook(&XLSX_HEADER, &xlsx_rows()),
            "rosters:\n  - { file: hris/people.xlsx, sheet: Staff, provider: clockify, columns: { email: Work Email } }\n",
            vec![
                "roster-file",
                "no sheet named `Staff` (sheets: Notes, People)",
            ],
        ),
    ];
    for (what, book, manifest, needles) in cases {
        let t = xlsx_world(&book).file("people.yaml", manifest);
        let out = t.run_with(&["plan"]);
        assert_eq!(out.code, 1, "{what}: {}", out.stderr);
        for n in needles {
            assert!(
                out.stderr.contains(n),
                "{what}: no {n:?} in\n{}",
                out.stderr
            );
        }
        assert_eq!(t.sandbox_log().len(), 0, "{what}: calls made");
    }
}
