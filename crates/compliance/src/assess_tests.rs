//! Requirement statuses from findings.

use chrono::{TimeZone, Utc};
use rampart_findings::{MuteNote, finding_id};

use super::*;

fn req(rules: &[&str]) -> Requirement {
    Requirement {
        id: "1.1".into(),
        section: None,
        title: Text {
            en: "t".into(),
            ko: "제목".into(),
        },
        check: if rules.is_empty() {
            Check::Manual
        } else {
            Check::Rules(rules.iter().map(|s| s.to_string()).collect())
        },
    }
}

fn finding(rule: &str, uid: &str, status: Status) -> Finding {
    Finding {
        id: finding_id(rule, uid),
        rule_id: rule.into(),
        title: "title".into(),
        severity: Severity::High,
        status,
        resource_uid: uid.into(),
        resource_type: "aws.s3.bucket".into(),
        resource_name: uid.trim_start_matches("arn:aws:s3:::").into(),
        account: "123456789012".into(),
        region: "ap-northeast-2".into(),
        reason: format!("{rule} on {uid}"),
        first_seen: None,
        last_seen: None,
        resolved_at: None,
        risk: Default::default(),
        mute: None,
    }
}

fn status(rules: &[&str], findings: &[Finding], evaluated: &[&str]) -> RequirementResult {
    let ev = Evidence::new(findings, evaluated.iter().copied());
    assess_requirement(&req(rules), &ev)
}

#[test]
fn manual_requirements_are_manual_whatever_the_findings() {
    let f = [finding("a", "arn:aws:s3:::x", Status::Fail)];
    let r = status(&[], &f, &["a"]);
    assert_eq!(r.status, ReqStatus::Manual);
    assert!(r.rules.is_empty() && r.failing.is_empty());
}

#[test]
fn every_rule_passing_on_every_resource_passes() {
    let f = [
        finding("a", "arn:aws:s3:::x", Status::Pass),
        finding("a", "arn:aws:s3:::y", Status::Pass),
        finding("b", "arn:aws:s3:::x", Status::Pass),
    ];
    let r = status(&["a", "b"], &f, &["a", "b"]);
    assert_eq!(r.status, ReqStatus::Pass);
    assert_eq!(r.rules[0].pass, 2);
    assert_eq!(r.rules[1].pass, 1);
}

#[test]
fn one_failing_resource_fails_and_is_listed() {
    let f = [
        finding("a", "arn:aws:s3:::x", Status::Pass),
        finding("b", "arn:aws:s3:::y", Status::Fail),
        finding("b", "arn:aws:s3:::z", Status::Error),
    ];
    let r = status(&["a", "b"], &f, &["a", "b"]);
    assert_eq!(r.status, ReqStatus::Fail, "a failure outranks an error");
    assert_eq!(r.failing.len(), 1);
    let x = &r.failing[0];
    assert_eq!(
        (
            x.rule_id.as_str(),
            x.resource_uid.as_str(),
            x.resource_name.as_str()
        ),
        ("b", "arn:aws:s3:::y", "y")
    );
    assert_eq!(
        (x.account.as_str(), x.region.as_str()),
        ("123456789012", "ap-northeast-2")
    );
    assert_eq!(r.errors.len(), 1);
}

#[test]
fn an_error_without_failures_is_error_never_pass() {
    let f = [
        finding("a", "arn:aws:s3:::x", Status::Pass),
        finding(
            "b",
            "scope:123456789012:ap-northeast-2:aws.s3.bucket",
            Status::Error,
        ),
    ];
    let r = status(&["a", "b"], &f, &["a", "b"]);
    assert_eq!(r.status, ReqStatus::Error);
    assert_eq!(r.errors[0].rule_id, "b");
}

#[test]
fn a_rule_outside_the_scan_scope_makes_an_error() {
    let f = [finding("a", "arn:aws:s3:::x", Status::Pass)];
    let r = status(&["a", "b"], &f, &["a"]);
    assert_eq!(r.status, ReqStatus::Error);
    assert_eq!(r.not_evaluated, ["b"]);
    assert!(!r.rules[1].evaluated);
}

#[test]
fn a_rule_with_findings_counts_as_evaluated_even_if_not_listed() {
    let f = [finding("a", "arn:aws:s3:::x", Status::Pass)];
    let r = status(&["a"], &f, &[]);
    assert_eq!(r.status, ReqStatus::Pass);
}

#[test]
fn rules_evaluated_on_no_resource_are_not_applicable() {
    let r = status(&["a", "b"], &[], &["a", "b"]);
    assert_eq!(r.status, ReqStatus::NotApplicable);
    // One rule with resources is enough to decide.
    let f = [finding("b", "arn:aws:s3:::x", Status::Pass)];
    assert_eq!(status(&["a", "b"], &f, &["a", "b"]).status, ReqStatus::Pass);
}

#[test]
fn muted_failures_do_not_fail_but_are_counted_apart() {
    let mut m = finding("a", "arn:aws:s3:::x", Status::Muted);
    m.mute = Some(MuteNote {
        id: 1,
        reason: "public website".into(),
        owner: "web-team".into(),
        expires: Utc.with_ymd_and_hms(2027, 1, 31, 0, 0, 0).unwrap(),
    });
    let f = [m, finding("a", "arn:aws:s3:::y", Status::Pass)];
    let r = status(&["a"], &f, &["a"]);
    assert_eq!(r.status, ReqStatus::Pass);
    assert_eq!(r.rules[0].muted, 1);
    assert_eq!(r.muted.len(), 1);
    assert_eq!(
        r.muted[0].mute.as_deref(),
        Some("public website (web-team, until 2027-01-31)")
    );
    // Only muted findings: still not failing.
    let only = [finding("a", "arn:aws:s3:::x", Status::Muted)];
    assert_eq!(status(&["a"], &only, &["a"]).status, ReqStatus::Pass);
}

#[test]
fn failing_resources_are_ordered_most_severe_first() {
    let mut low = finding("a", "arn:aws:s3:::a", Status::Fail);
    low.severity = Severity::Low;
    let crit = {
        let mut f = finding("b", "arn:aws:s3:::b", Status::Fail);
        f.severity = Severity::Critical;
        f
    };
    let r = status(&["a", "b"], &[low, crit], &["a", "b"]);
    let order: Vec<&str> = r.failing.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(order, ["b", "a"]);
}

#[test]
fn totals_exclude_manual_and_not_applicable_from_the_rate() {
    let fw = Framework {
        id: "demo".into(),
        name: "Demo".into(),
        name_ko: None,
        version: "1".into(),
        description: None,
        sections: Vec::new(),
        requirements: vec![
            Requirement {
                id: "p".into(),
                ..req(&["pass-rule"])
            },
            Requirement {
                id: "f".into(),
                ..req(&["fail-rule"])
            },
            Requirement {
                id: "e".into(),
                ..req(&["unscoped-rule"])
            },
            Requirement {
                id: "n".into(),
                ..req(&["empty-rule"])
            },
            Requirement {
                id: "m".into(),
                ..req(&[])
            },
        ],
        source: String::new(),
    };
    let f = [
        finding("pass-rule", "arn:aws:s3:::x", Status::Pass),
        finding("fail-rule", "arn:aws:s3:::x", Status::Fail),
    ];
    let ev = Evidence::new(&f, ["pass-rule", "fail-rule", "empty-rule"]);
    let a = assess(&fw, &ev);
    let got: Vec<(&str, ReqStatus)> = a
        .requirements
        .iter()
        .map(|r| (r.id.as_str(), r.status))
        .collect();
    assert_eq!(
        got,
        [
            ("p", ReqStatus::Pass),
            ("f", ReqStatus::Fail),
            ("e", ReqStatus::Error),
            ("n", ReqStatus::NotApplicable),
            ("m", ReqStatus::Manual),
        ]
    );
    assert_eq!(
        a.totals,
        Totals {
            requirements: 5,
            pass: 1,
            fail: 1,
            error: 1,
            manual: 1,
            not_applicable: 1,
        }
    );
    assert_eq!(a.totals.assessed(), 3);
    assert_eq!(a.pass_percent, Some(33));
}

#[test]
fn pass_percent_rounds_down_and_is_none_without_assessed_requirements() {
    let t = Totals {
        requirements: 1000,
        pass: 999,
        fail: 1,
        ..Totals::default()
    };
    assert_eq!(t.pass_percent(), Some(99));
    assert_eq!(Totals::default().pass_percent(), None);
}

#[test]
fn statuses_parse_from_the_command_line() {
    assert_eq!("FAIL".parse::<ReqStatus>().unwrap(), ReqStatus::Fail);
    assert_eq!(
        "n/a".parse::<ReqStatus>().unwrap(),
        ReqStatus::NotApplicable
    );
    assert_eq!(
        "not-applicable".parse::<ReqStatus>().unwrap(),
        ReqStatus::NotApplicable
    );
    assert!("passed".parse::<ReqStatus>().is_err());
    assert_eq!(
        serde_json::to_string(&ReqStatus::NotApplicable).unwrap(),
        "\"not_applicable\""
    );
}
