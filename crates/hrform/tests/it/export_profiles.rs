//! `hrform export --profiles`: people of identical time off share a
//! profile; the export validates, is in `fmt` form, and the plan after it
//! finds nothing to change, on the acme world and a generated one.

use crate::common::Test;
use crate::export::acme;
use crate::export_world;

/// Export each provider with `--profiles`, then: the tree validates, plan
/// shows no changes (exit 0 with `--detailed-exitcode`), fmt would leave
/// the exports alone. Returns each export's text.
fn profiles_round_trip(t: &Test, providers: &[&str]) -> Vec<String> {
    let mut texts = Vec::new();
    for name in providers {
        let out = t.run_with(&["export", "--provider", name, "--profiles"]);
        out.code(0);
        assert!(out.stderr.contains("share "), "{}", out.stderr);
        texts.push(std::fs::read_to_string(t.path().join(format!("{name}.export.yaml"))).unwrap());
    }
    t.run_with(&["validate"]).code(0);
    let plan = t.run_with(&["plan", "--detailed-exitcode"]);
    plan.code(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
    let fmt = t.run_with(&["fmt", "--check"]);
    assert!(
        !fmt.stdout.contains(".export"),
        "export --profiles wrote what fmt would change:\n{}{}",
        fmt.stdout,
        t.run_with(&["fmt", "--diff"]).stdout
    );
    texts
}

/// Every profile declared is used by at least two people, and every
/// `profile:` names a declared one.
fn profiles_are_shared(text: &str) {
    let declared: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.contains(":  # "))
        .map(|l| l.trim().split(':').next().unwrap())
        .collect();
    assert!(!declared.is_empty(), "{text}");
    for name in &declared {
        let on = text
            .lines()
            .filter(|l| l.trim() == format!("profile: {name}"))
            .count();
        assert!(on >= 2, "{name} is used by {on}");
    }
    for l in text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("profile: "))
    {
        assert!(declared.contains(&l), "{l} is not declared");
    }
}

#[test]
fn acme_profiles_validate_and_plan_no_changes() {
    let t = acme(false);
    let texts = profiles_round_trip(&t, &["clockify", "field"]);
    let clockify = &texts[0];
    assert!(
        clockify.contains(
            "profiles:\n  clockify-sick-40h-vacation-12.5d:  # 4 people\n    time_off:\n      - { policy: Sick, allowance: 40, unit: hours }\n      - { policy: Vacation, allowance: 12.5, unit: days }\n"
        ),
        "{clockify}"
    );
    assert!(
        clockify.contains(
            "  - email: hiroshi.tanaka@acme.example  # Hiroshi Tanaka\n    provider: clockify\n    status: active\n    profile: clockify-sick-40h-vacation-12.5d\n"
        ),
        "{clockify}"
    );
    for text in &texts {
        profiles_are_shared(text);
    }
}

/// A profile name the tree already declares is not reused: the export's
/// gets a suffix, and the tree still validates.
#[test]
fn taken_profile_names_get_a_suffix() {
    let t = acme(false).file(
        "profiles.yaml",
        "profiles:\n  clockify-sick-40h-vacation-12.5d:\n    time_off:\n      - { policy: Sick }\nusers:\n  - email: someone.else@acme.example\n    provider: clockify\n    profile: clockify-sick-40h-vacation-12.5d\n",
    );
    let out = t.run_with(&[
        "export",
        "--provider",
        "clockify",
        "--profiles",
        "--out",
        "-",
    ]);
    out.code(0);
    assert!(
        out.stdout
            .contains("  clockify-sick-40h-vacation-12.5d-2:  # 4 people\n"),
        "{}",
        out.stdout
    );
}

/// The generated world (hostile names, accruals, policy types, requests).
#[test]
fn generated_world_profiles_validate_and_plan_no_changes() {
    let t = Test::new().sandbox(&export_world::seed(40));
    let providers = export_world::providers(&t.sandbox_url());
    let t = t.file("providers.yaml", &providers);
    let texts = profiles_round_trip(&t, &["office", "field"]);
    for text in &texts {
        profiles_are_shared(text);
    }
}
