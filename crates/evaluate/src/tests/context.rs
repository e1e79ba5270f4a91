//! Risk factors and context escalation over hand-made findings and
//! resources, with the shipped rules' `risk_factors`.

use std::collections::BTreeMap;

use rampart_findings::{Finding, RiskFactor, Severity, Status, finding_id};
use rampart_inventory::{Inventory, Resource};
use serde_json::{Value, json};

use crate::{ContextOptions, RuleSet, apply_context};

const ACCOUNT: &str = "123456789012";

fn resource(t: &str, uid: &str, name: &str, tags: &[(&str, &str)], props: Value) -> Resource {
    Resource {
        uid: uid.into(),
        resource_type: t.into(),
        account: ACCOUNT.into(),
        region: "ap-northeast-2".into(),
        name: name.into(),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        props,
        errors: vec![],
    }
}

fn fail(rules: &RuleSet, rule: &str, r: &Resource) -> Finding {
    let rule = rules.get(rule).unwrap_or_else(|| panic!("no rule {rule}"));
    Finding {
        id: finding_id(&rule.id, &r.uid),
        rule_id: rule.id.clone(),
        title: rule.title.en.clone(),
        severity: rule.severity,
        status: Status::Fail,
        resource_uid: r.uid.clone(),
        resource_type: r.resource_type.clone(),
        resource_name: r.name.clone(),
        account: r.account.clone(),
        region: r.region.clone(),
        reason: "x".into(),
        first_seen: None,
        last_seen: None,
        resolved_at: None,
        risk: Default::default(),
        mute: None,
    }
}

fn inventory(resources: Vec<Resource>) -> Inventory {
    Inventory {
        resources,
        ..Inventory::default()
    }
}

fn by_rule<'a>(findings: &'a [Finding], rule: &str, uid: &str) -> &'a Finding {
    findings
        .iter()
        .find(|f| f.rule_id == rule && f.resource_uid == uid)
        .unwrap()
}

#[test]
fn public_bucket_with_personal_data_becomes_critical() {
    let rules = RuleSet::builtin().unwrap();
    let pii = resource(
        "aws.s3.bucket",
        "arn:aws:s3:::customers",
        "customers",
        &[("contains_pii", "true"), ("env", "prod")],
        json!({}),
    );
    let plain = resource(
        "aws.s3.bucket",
        "arn:aws:s3:::assets",
        "assets",
        &[],
        json!({}),
    );
    let mut findings = vec![
        fail(&rules, "s3-bucket-policy-public", &pii),
        fail(&rules, "s3-bucket-versioning-off", &pii),
        fail(&rules, "s3-bucket-policy-public", &plain),
    ];
    apply_context(
        &mut findings,
        &rules,
        &inventory(vec![pii, plain]),
        &ContextOptions::default(),
    );

    let f = by_rule(
        &findings,
        "s3-bucket-policy-public",
        "arn:aws:s3:::customers",
    );
    assert_eq!(f.severity, Severity::Critical);
    let e = f.risk.escalation.as_ref().unwrap();
    assert_eq!(e.from, Severity::High);
    assert!(e.reason.contains("personal data"), "{}", e.reason);
    assert_eq!(
        f.risk.factors,
        vec![
            RiskFactor::PublicExposure,
            RiskFactor::PersonalData,
            RiskFactor::Production
        ]
    );
    // The resource's other findings carry its factors but keep their severity.
    let v = by_rule(
        &findings,
        "s3-bucket-versioning-off",
        "arn:aws:s3:::customers",
    );
    assert!(v.risk.escalation.is_none());
    assert_eq!(v.risk.factors.len(), 3);
    // A public bucket without personal data or missing encryption stays as it is.
    let p = by_rule(&findings, "s3-bucket-policy-public", "arn:aws:s3:::assets");
    assert_eq!(p.severity, Severity::High);
    assert!(p.risk.escalation.is_none());
    assert_eq!(p.risk.factors, vec![RiskFactor::PublicExposure]);
}

#[test]
fn public_and_unencrypted_becomes_critical_and_the_pii_tag_is_configurable() {
    let rules = RuleSet::builtin().unwrap();
    let b = resource(
        "aws.s3.bucket",
        "arn:aws:s3:::dump",
        "dump",
        &[("personal", "YES")],
        json!({}),
    );
    let mut findings = vec![
        fail(&rules, "s3-bucket-public-read", &b),
        fail(&rules, "s3-bucket-default-encryption-off", &b),
    ];
    let opts = ContextOptions {
        pii_tags: vec!["personal".into()],
        ..ContextOptions::default()
    };
    apply_context(&mut findings, &rules, &inventory(vec![b]), &opts);
    let f = by_rule(&findings, "s3-bucket-public-read", "arn:aws:s3:::dump");
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.risk.factors.contains(&RiskFactor::PersonalData));
    assert!(f.risk.factors.contains(&RiskFactor::Unencrypted));
    // Only the exposure finding is raised: the encryption one is its cause.
    let e = by_rule(
        &findings,
        "s3-bucket-default-encryption-off",
        "arn:aws:s3:::dump",
    );
    assert!(e.risk.escalation.is_none());
}

#[test]
fn internet_reachable_instance_with_an_admin_role() {
    let rules = RuleSet::builtin().unwrap();
    let profile = format!("arn:aws:iam::{ACCOUNT}:instance-profile/web");
    let sg_arn = format!("arn:aws:ec2:ap-northeast-2:{ACCOUNT}:security-group/sg-1");
    let role = resource(
        "aws.iam.role",
        &format!("arn:aws:iam::{ACCOUNT}:role/web"),
        "web",
        &[],
        json!({"instance_profiles": [profile], "attached_policies": [{"name": "AdministratorAccess", "arn": "arn:aws:iam::aws:policy/AdministratorAccess"}], "inline_policies": []}),
    );
    let sg = resource("aws.ec2.security_group", &sg_arn, "web-sg", &[], json!({}));
    let props = |public: bool| json!({"public_ip": "203.0.113.7", "subnet_public": public, "security_groups": ["sg-1"], "iam_instance_profile": profile});
    let inst = resource(
        "aws.ec2.instance",
        &format!("arn:aws:ec2:ap-northeast-2:{ACCOUNT}:instance/i-1"),
        "web-1",
        &[],
        props(true),
    );
    let private = resource(
        "aws.ec2.instance",
        &format!("arn:aws:ec2:ap-northeast-2:{ACCOUNT}:instance/i-2"),
        "web-2",
        &[],
        props(false),
    );
    let mut findings = vec![
        fail(&rules, "ec2-security-group-ssh-open-to-internet", &sg),
        fail(&rules, "ec2-instance-public-ip-in-public-subnet", &inst),
        fail(&rules, "ec2-instance-imdsv2-not-required", &inst),
        fail(&rules, "ec2-instance-imdsv2-not-required", &private),
    ];
    apply_context(
        &mut findings,
        &rules,
        &inventory(vec![role, sg, inst, private]),
        &ContextOptions::default(),
    );

    let exposed = by_rule(
        &findings,
        "ec2-instance-public-ip-in-public-subnet",
        &format!("arn:aws:ec2:ap-northeast-2:{ACCOUNT}:instance/i-1"),
    );
    assert_eq!(exposed.severity, Severity::Critical);
    let why = &exposed.risk.escalation.as_ref().unwrap().reason;
    assert!(
        why.contains("sg-1")
            && why.contains("administrator role web")
            && why.contains("AdministratorAccess"),
        "{why}"
    );
    let sg_f = by_rule(
        &findings,
        "ec2-security-group-ssh-open-to-internet",
        &sg_arn,
    );
    assert_eq!(sg_f.severity, Severity::Critical);
    // Not an exposure rule: its factors tell, its severity stays.
    let imds = by_rule(
        &findings,
        "ec2-instance-imdsv2-not-required",
        &format!("arn:aws:ec2:ap-northeast-2:{ACCOUNT}:instance/i-1"),
    );
    assert!(imds.risk.escalation.is_none());
    // In a private subnet the path is not there.
    let other = by_rule(
        &findings,
        "ec2-instance-imdsv2-not-required",
        &format!("arn:aws:ec2:ap-northeast-2:{ACCOUNT}:instance/i-2"),
    );
    assert!(other.risk.escalation.is_none());
}

#[test]
fn admin_user_with_an_active_key_and_no_mfa() {
    let rules = RuleSet::builtin().unwrap();
    let group = resource(
        "aws.iam.group",
        &format!("arn:aws:iam::{ACCOUNT}:group/ops"),
        "ops",
        &[],
        json!({"attached_policies": [], "inline_policies": [{"name": "all", "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]}),
    );
    let user = |name: &str, mfa: bool| {
        resource(
            "aws.iam.user",
            &format!("arn:aws:iam::{ACCOUNT}:user/{name}"),
            name,
            &[],
            json!({"mfa_active": mfa, "groups": ["ops"], "attached_policies": [], "inline_policies": [],
                   "access_keys": [{"id": "AKIAEXAMPLE1", "status": "Active"}]}),
        )
    };
    let (alice, bob) = (user("alice", false), user("bob", true));
    let mut findings = vec![
        fail(&rules, "iam-user-access-key-older-than-90-days", &alice),
        fail(&rules, "iam-user-policies-attached-directly", &alice),
        fail(&rules, "iam-user-access-key-older-than-90-days", &bob),
    ];
    apply_context(
        &mut findings,
        &rules,
        &inventory(vec![group, alice, bob]),
        &ContextOptions::default(),
    );
    let key = by_rule(
        &findings,
        "iam-user-access-key-older-than-90-days",
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    );
    assert_eq!(key.severity, Severity::Critical);
    let why = &key.risk.escalation.as_ref().unwrap().reason;
    assert!(
        why.contains("via group ops") && why.contains("AKIAEXAMPLE1") && why.contains("no MFA"),
        "{why}"
    );
    let other = by_rule(
        &findings,
        "iam-user-policies-attached-directly",
        &format!("arn:aws:iam::{ACCOUNT}:user/alice"),
    );
    assert!(other.risk.escalation.is_none());
    let with_mfa = by_rule(
        &findings,
        "iam-user-access-key-older-than-90-days",
        &format!("arn:aws:iam::{ACCOUNT}:user/bob"),
    );
    assert!(with_mfa.risk.escalation.is_none());
}

#[test]
fn public_bucket_holding_cloudtrail_logs() {
    let rules = RuleSet::builtin().unwrap();
    let trail = resource(
        "aws.cloudtrail.trail",
        &format!("arn:aws:cloudtrail:ap-northeast-2:{ACCOUNT}:trail/main"),
        "main",
        &[],
        json!({"s3_bucket_name": "trail-logs"}),
    );
    let bucket = resource(
        "aws.s3.bucket",
        "arn:aws:s3:::trail-logs",
        "trail-logs",
        &[],
        json!({}),
    );
    let mut findings = vec![fail(&rules, "s3-bucket-public-read", &bucket)];
    apply_context(
        &mut findings,
        &rules,
        &inventory(vec![trail, bucket]),
        &ContextOptions::default(),
    );
    let f = &findings[0];
    assert_eq!(f.severity, Severity::Critical);
    assert!(
        f.risk
            .escalation
            .as_ref()
            .unwrap()
            .reason
            .contains("CloudTrail trail main")
    );
}

#[test]
fn passing_findings_get_no_context() {
    let rules = RuleSet::builtin().unwrap();
    let b = resource(
        "aws.s3.bucket",
        "arn:aws:s3:::customers",
        "customers",
        &[("contains_pii", "true")],
        json!({}),
    );
    let mut f = fail(&rules, "s3-bucket-policy-public", &b);
    f.status = Status::Pass;
    let mut findings = vec![f];
    apply_context(
        &mut findings,
        &rules,
        &inventory(vec![b]),
        &ContextOptions::default(),
    );
    assert!(findings[0].risk.is_empty());
    assert_eq!(findings[0].severity, Severity::High);
}
