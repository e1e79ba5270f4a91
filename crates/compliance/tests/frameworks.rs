//! The shipped frameworks: they load against the shipped rules, every rule
//! sits in at least one framework, and the complete frameworks keep all of
//! their requirements.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use rampart_compliance::{Frameworks, ReqStatus};
use rampart_evaluate::RuleSet;

fn load() -> (RuleSet, Frameworks) {
    let rules = RuleSet::builtin().expect("builtin rules load");
    let frameworks = match Frameworks::builtin(&rules) {
        Ok(f) => f,
        // Print every diagnostic, not a Debug blob.
        Err(e) => panic!("{e}"),
    };
    (rules, frameworks)
}

#[test]
fn every_shipped_framework_loads_and_names_only_existing_rules() {
    let (rules, frameworks) = load();
    let ids: Vec<&str> = frameworks.all().iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cis-aws-3.0",
            "cis-aws-5.0",
            "csap",
            "efsr",
            "isms-p-2023",
            "iso-27001-2022",
            "nist-csf-2.0",
            "pci-dss-4.0",
            "pipa",
            "soc2",
        ]
    );
    // The loader refuses unknown rule ids; check again here so a loader bug
    // cannot hide one.
    for fw in frameworks.all() {
        for id in fw.rule_ids() {
            assert!(rules.get(id).is_some(), "{}: unknown rule {id}", fw.id);
        }
    }
}

#[test]
fn every_builtin_rule_sits_in_at_least_one_framework() {
    let (rules, frameworks) = load();
    let mapped: BTreeSet<&str> = frameworks.all().iter().flat_map(|f| f.rule_ids()).collect();
    let unmapped: Vec<&str> = rules
        .rules()
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| !mapped.contains(id))
        .collect();
    assert!(
        unmapped.is_empty(),
        "{} rule(s) are in no framework; map each in frameworks/<id>.yaml:\n  {}",
        unmapped.len(),
        unmapped.join("\n  ")
    );
}

#[test]
fn complete_frameworks_keep_every_requirement() {
    let (_, frameworks) = load();
    // (framework, requirements in the published standard)
    let expected = [
        ("cis-aws-3.0", 62),
        ("cis-aws-5.0", 63),
        ("isms-p-2023", 101),
        ("iso-27001-2022", 93),
        ("nist-csf-2.0", 106),
        ("pci-dss-4.0", 63),
        ("soc2", 61),
        ("csap", 7),
    ];
    for (id, n) in expected {
        let fw = frameworks.get(id).unwrap();
        assert_eq!(fw.requirements.len(), n, "{id}");
    }
}

#[test]
fn every_requirement_is_in_a_declared_section_when_the_framework_has_sections() {
    let (_, frameworks) = load();
    for fw in frameworks.all().iter().filter(|f| !f.sections.is_empty()) {
        for r in &fw.requirements {
            assert!(r.section.is_some(), "{} {} has no section", fw.id, r.id);
        }
    }
}

#[test]
fn an_empty_scan_gives_errors_for_mapped_and_manual_for_the_rest() {
    // No findings and no rule evaluated: nothing may pass.
    let (_, frameworks) = load();
    let evidence = rampart_compliance::Evidence::new(&[], Vec::<String>::new());
    for fw in frameworks.all() {
        let a = rampart_compliance::assess(fw, &evidence);
        for r in &a.requirements {
            let want = if fw.requirement(&r.id).unwrap().is_manual() {
                ReqStatus::Manual
            } else {
                ReqStatus::Error
            };
            assert_eq!(r.status, want, "{} {}", fw.id, r.id);
        }
        assert_eq!(a.totals.pass, 0);
    }
}
