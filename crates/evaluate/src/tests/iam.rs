//! IAM policy helpers.

use serde_json::{Value, json};

use super::lang::{holds, witnesses};
use crate::helpers::iam;

fn doc(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

#[test]
fn glob_matching() {
    assert!(iam::glob("s3:Get*", "s3:GetObject"));
    assert!(iam::glob("S3:GET*", "s3:getobject"));
    assert!(iam::glob("*", "iam:PassRole"));
    assert!(iam::glob("s3:?etObject", "s3:GetObject"));
    assert!(!iam::glob("s3:Get*", "s3:PutObject"));
    assert!(!iam::glob("s3:GetObject", "s3:GetObjectAcl"));
}

#[test]
fn allows_admin() {
    let admin = doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "*"}]));
    assert!(iam::allows_admin(&admin).is_some());
    let star_star = doc(json!({"Effect": "Allow", "Action": ["*:*"], "Resource": ["*"]}));
    assert!(iam::allows_admin(&star_star).is_some());
    let scoped = doc(json!([{"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/*"}]));
    assert!(iam::allows_admin(&scoped).is_none());
    let s3 = doc(json!([{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]));
    assert!(iam::allows_admin(&s3).is_none());
    let not_action =
        doc(json!([{"Effect": "Allow", "NotAction": ["s3:DeleteBucket"], "Resource": "*"}]));
    assert!(iam::allows_admin(&not_action).is_some());
    let not_iam = doc(
        json!([{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}]),
    );
    assert!(iam::allows_admin(&not_iam).is_none());
    let denied = doc(json!([
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": "*"}
    ]));
    assert!(iam::allows_admin(&denied).is_none());
    // JSON strings are parsed.
    let text = Value::String(admin.to_string());
    assert!(iam::allows_admin(&text).is_some());
    assert!(holds(
        "props.document: {policy_allows_admin: true}",
        json!({"document": admin.clone()})
    ));
    assert!(holds(
        "props.document: {policy_allows_admin: false}",
        json!({"document": s3})
    ));
    assert_eq!(
        witnesses(
            "props.document: {policy_allows_admin: true}",
            json!({"document": admin})
        ),
        vec!["props.document: Statement[0] allows Action * on Resource *"]
    );
}

#[test]
fn public_principal_and_conditions() {
    let public = |cond: Value| {
        let mut st = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"});
        if !cond.is_null() {
            st["Condition"] = cond;
        }
        iam::public_statement(&doc(json!([st])), None).is_some()
    };
    assert!(public(Value::Null));
    assert!(public(json!({"Bool": {"aws:SecureTransport": "true"}})));
    assert!(!public(
        json!({"StringEquals": {"aws:SourceAccount": "111111111111"}})
    ));
    assert!(!public(
        json!({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111111111111:distribution/X"}})
    ));
    assert!(!public(
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-abc"}})
    ));
    assert!(!public(
        json!({"StringEquals": {"AWS:SourceVpce": "vpce-1"}})
    ));
    assert!(!public(
        json!({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}})
    ));
    assert!(public(json!({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})));
    assert!(public(
        json!({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    ));
    assert!(public(
        json!({"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}})
    ));
    assert!(public(json!({"StringLike": {"aws:PrincipalOrgID": "*"}})));

    let aws_star = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:*", "Resource": "*"}]),
    );
    assert!(iam::public_statement(&aws_star, None).is_some());
    let account = doc(
        json!([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222222222222:root"}, "Action": "s3:*", "Resource": "*"}]),
    );
    assert!(iam::public_statement(&account, None).is_none());
    let deny =
        doc(json!([{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]));
    assert!(iam::public_statement(&deny, None).is_none());

    // With actions: only statements granting one of them.
    let put = doc(
        json!([{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]),
    );
    let read = ["s3:GetObject".to_string()];
    assert!(iam::public_statement(&put, Some(&read)).is_none());
    assert!(iam::public_statement(&aws_star, Some(&read)).is_some());
    assert!(holds(
        "props.policy: {policy_public: [s3:GetObject, s3:ListBucket]}",
        json!({"policy": aws_star})
    ));
}

#[test]
fn allows_action() {
    let d = doc(json!([
        {"Effect": "Allow", "Action": ["s3:Get*", "ec2:Describe*"], "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::x"}
    ]));
    let a = |s: &str| iam::allows_action(&d, &[s.to_string()]).is_some();
    assert!(a("s3:GetObject") && a("S3:getobject") && a("ec2:DescribeInstances"));
    assert!(a("s3:Get*"));
    // NotAction grants everything it does not exclude.
    assert!(a("kms:Decrypt"));
    assert!(!a("iam:CreateUser"));
    let denied = doc(json!([
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}
    ]));
    assert!(iam::allows_action(&denied, &["s3:GetObject".into()]).is_none());
    assert!(iam::allows_action(&denied, &["s3:PutObject".into()]).is_some());
    // A conditional deny does not cancel the allow.
    let cond_deny = doc(json!([
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
    ]));
    assert!(iam::allows_action(&cond_deny, &["s3:GetObject".into()]).is_some());
    assert!(holds(
        "props.d: {policy_allows: 'iam:PassRole'}",
        json!({"d": doc(json!([{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]))})
    ));
}

#[test]
fn trusts_external() {
    let own = "111111111111";
    let trust =
        |p: Value| doc(json!([{"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"}]));
    let t = |p: Value, known: &[&str]| {
        let known: Vec<String> = known.iter().map(|s| s.to_string()).collect();
        iam::trusts_external(&trust(p), own, &known)
    };
    assert!(t(json!({"AWS": "arn:aws:iam::222222222222:root"}), &[]).is_some());
    assert!(
        t(
            json!({"AWS": "arn:aws:iam::222222222222:root"}),
            &["222222222222"]
        )
        .is_none()
    );
    assert!(t(json!({"AWS": "arn:aws:iam::111111111111:role/x"}), &[]).is_none());
    assert!(t(json!({"AWS": "333333333333"}), &[]).is_some());
    assert!(t(json!({"Service": "ec2.amazonaws.com"}), &[]).is_none());
    assert!(t(json!({"AWS": "*"}), &[]).is_some());
    assert!(t(json!("*"), &[]).is_some());
    let d = trust(
        json!({"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::444444444444:user/bob"]}),
    );
    assert_eq!(
        witnesses(
            "props.trust_policy: {policy_trusts_external: true}",
            json!({"trust_policy": d.clone()})
        ),
        vec![
            "props.trust_policy: Statement[0] trusts account 444444444444 (arn:aws:iam::444444444444:user/bob)"
        ]
    );
    assert!(!holds(
        "props.trust_policy: {policy_trusts_external: ['444444444444']}",
        json!({"trust_policy": d})
    ));
}

#[test]
fn denies_insecure_transport() {
    let tls = doc(json!([{
        "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }]));
    assert!(iam::denies_insecure_transport(&tls).is_some());
    let bool_false = doc(json!([{
        "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*",
        "Condition": {"Bool": {"aws:securetransport": false}}
    }]));
    assert!(iam::denies_insecure_transport(&bool_false).is_some());
    let allow_tls = doc(json!([{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "true"}}
    }]));
    assert!(iam::denies_insecure_transport(&allow_tls).is_none());
    let put_only = doc(json!([{
        "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    }]));
    assert!(iam::denies_insecure_transport(&put_only).is_none());
    assert!(holds(
        "props.policy: {policy_denies_insecure_transport: false}",
        json!({"policy": allow_tls})
    ));
}
