//! Evaluation throughput: all shipped rules over 100k generated resources of
//! realistic shape, on one thread. Run with `cargo bench -p rampart-evaluate`.
//! Prints evaluations (rule × resource pairs), seconds and evaluations/s.

// A benchmark, not library code: fixed literals may unwrap.
#![allow(clippy::unwrap_used)]

use std::time::Instant;

use rampart_evaluate::{Outcome, RuleSet, evaluate_resources, outcome};
use rampart_inventory::Resource;
use serde_json::{Value, json};

/// A small deterministic generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[(self.next() % v.len() as u64) as usize]
    }
}

const ACCOUNT: &str = "123456789012";

fn ts(rng: &mut Rng) -> String {
    let day = rng.next() % 700;
    let date = chrono::DateTime::parse_from_rfc3339("2024-02-01T00:00:00Z").unwrap()
        + chrono::Duration::days(day as i64);
    date.to_rfc3339()
}

fn policy(rng: &mut Rng) -> Value {
    let mut st = vec![
        json!({"Sid": "App", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::data/*"}),
    ];
    if rng.chance(5) {
        st.push(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
    }
    if rng.chance(10) {
        st.push(json!({"Effect": "Allow", "Action": ["ec2:Describe*", "cloudwatch:Get*"], "Resource": "*"}));
    }
    json!({"Version": "2012-10-17", "Statement": st})
}

fn resource(i: usize, rng: &mut Rng) -> Resource {
    let region = rng.pick(&["ap-northeast-2", "us-east-1", "eu-west-1"]);
    let (ty, name, props) = match i % 10 {
        0 | 1 => {
            let name = format!("bucket-{i}");
            let public = rng.chance(3);
            let props = json!({
                "creation_date": ts(rng),
                "policy": if rng.chance(40) { json!({"Version": "2012-10-17", "Statement": [
                    {"Sid": "TLS", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": [format!("arn:aws:s3:::{name}"), format!("arn:aws:s3:::{name}/*")],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                    {"Effect": "Allow", "Principal": if public { json!("*") } else { json!({"AWS": "arn:aws:iam::123456789012:role/app"}) },
                     "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{name}/*")}
                ]}) } else { Value::Null },
                "acl_grants": [
                    {"grantee_type": "CanonicalUser", "grantee_id": "abc", "grantee_uri": null, "permission": "FULL_CONTROL"},
                ],
                "public_access_block": if rng.chance(70) { json!({"block_public_acls": true, "ignore_public_acls": true, "block_public_policy": true, "restrict_public_buckets": true}) } else { Value::Null },
                "encryption": {"enabled": rng.chance(90), "sse_algorithm": "AES256", "kms_key_id": null, "bucket_key_enabled": false},
                "versioning": {"status": if rng.chance(50) { json!("Enabled") } else { Value::Null }, "mfa_delete": null},
                "logging": {"enabled": rng.chance(30), "target_bucket": "logs", "target_prefix": "x/"},
                "lifecycle_rules": 1,
                "object_lock": {"enabled": false, "mode": null, "days": null, "years": null},
                "ownership_controls": "BucketOwnerEnforced"
            });
            ("aws.s3.bucket", name, props)
        }
        2 | 3 => {
            let mut ingress = vec![
                json!({"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0", "description": "https"}),
            ];
            for _ in 0..(rng.next() % 4) {
                let port = [22u64, 80, 3306, 5432, 8080, 3389][(rng.next() % 6) as usize];
                let cidr = if rng.chance(10) {
                    "0.0.0.0/0"
                } else {
                    "10.0.0.0/8"
                };
                ingress.push(json!({"protocol": "tcp", "from_port": port, "to_port": port, "cidr_ipv4": cidr}));
            }
            if rng.chance(20) {
                ingress.push(json!({"protocol": "all", "from_port": 0, "to_port": 65535, "source_group_id": "sg-self"}));
            }
            let props = json!({
                "group_id": format!("sg-{i:08x}"), "group_name": if i % 50 == 2 { "default" } else { "app" },
                "description": "app", "vpc_id": "vpc-1", "is_default": i % 50 == 2,
                "ingress": ingress,
                "egress": [{"protocol": "all", "from_port": 0, "to_port": 65535, "cidr_ipv4": "0.0.0.0/0"}],
                "attached_enis": 2
            });
            ("aws.ec2.security_group", format!("sg-{i}"), props)
        }
        4 => {
            let keys: Vec<Value> = (0..(rng.next() % 3))
                .map(|k| json!({"id": format!("AKIA{i}{k}"), "status": if rng.chance(80) { "Active" } else { "Inactive" },
                    "create_date": ts(rng), "last_used_date": if rng.chance(70) { json!(ts(rng)) } else { Value::Null },
                    "last_used_service": "s3"}))
                .collect();
            let props = json!({
                "arn": format!("arn:aws:iam::{ACCOUNT}:user/u{i}"), "user_id": format!("AIDA{i}"), "path": "/",
                "create_date": ts(rng), "console_access": rng.chance(50),
                "password_last_used": if rng.chance(60) { json!(ts(rng)) } else { Value::Null },
                "mfa_active": rng.chance(70), "mfa_devices": [],
                "access_keys": keys,
                "attached_policies": if rng.chance(5) { json!([{"name": "AdministratorAccess", "arn": "arn:aws:iam::aws:policy/AdministratorAccess"}]) } else { json!([{"name": "ReadOnlyAccess", "arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]) },
                "inline_policies": [{"name": "inline", "document": policy(rng)}],
                "groups": ["dev"], "permissions_boundary": null
            });
            ("aws.iam.user", format!("u{i}"), props)
        }
        5 => {
            let other = if rng.chance(10) {
                "210987654321"
            } else {
                ACCOUNT
            };
            let props = json!({
                "arn": format!("arn:aws:iam::{ACCOUNT}:role/r{i}"), "path": "/", "create_date": ts(rng),
                "trust_policy": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{other}:root")}, "Action": "sts:AssumeRole"},
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ]},
                "attached_policies": [], "inline_policies": [{"name": "p", "document": policy(rng)}],
                "last_used_date": ts(rng), "max_session_duration": 3600, "service_linked": rng.chance(10)
            });
            ("aws.iam.role", format!("r{i}"), props)
        }
        6 => {
            let props = json!({
                "arn": format!("arn:aws:iam::{ACCOUNT}:policy/p{i}"), "aws_managed": false,
                "attachment_count": rng.next() % 3, "default_version_id": "v1", "document": policy(rng)
            });
            ("aws.iam.policy", format!("p{i}"), props)
        }
        7 => {
            let props = json!({
                "instance_id": format!("i-{i:08x}"), "state": "running", "instance_type": "t3.micro",
                "image_id": "ami-1", "vpc_id": "vpc-1", "subnet_id": "subnet-1",
                "public_ip": null, "private_ip": "10.0.0.1", "iam_instance_profile": null,
                "metadata_options": {"http_tokens": if rng.chance(60) { "required" } else { "optional" }, "http_endpoint": "enabled", "http_put_response_hop_limit": 1},
                "security_groups": ["sg-1"], "user_data": null, "launch_time": ts(rng),
                "monitoring": "disabled", "ebs_optimized": true, "subnet_public": false
            });
            ("aws.ec2.instance", format!("i-{i}"), props)
        }
        8 => {
            if rng.chance(50) {
                let props = json!({"volume_id": format!("vol-{i}"), "encrypted": rng.chance(80), "kms_key_id": null, "state": "in-use", "size": 100, "attachments": ["i-1"]});
                ("aws.ec2.volume", format!("vol-{i}"), props)
            } else {
                let props = json!({"snapshot_id": format!("snap-{i}"), "encrypted": true, "volume_id": "vol-1", "start_time": ts(rng), "public": rng.chance(2), "shared_with": []});
                ("aws.ec2.snapshot", format!("snap-{i}"), props)
            }
        }
        _ => match rng.next() % 4 {
            0 => (
                "aws.kms.key",
                format!("key-{i}"),
                json!({"key_id": format!("k{i}"), "key_manager": "CUSTOMER", "key_state": "Enabled", "key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "rotation_enabled": rng.chance(50), "policy": policy(rng), "creation_date": ts(rng)}),
            ),
            1 => (
                "aws.ec2.vpc",
                format!("vpc-{i}"),
                json!({"vpc_id": format!("vpc-{i}"), "cidr_block": "10.0.0.0/16", "is_default": false, "flow_logs": if rng.chance(50) { json!([{"id": "fl-1", "status": "ACTIVE", "traffic_type": "ALL", "destination_type": "s3"}]) } else { json!([]) }, "flow_logs_enabled": false}),
            ),
            2 => (
                "aws.cloudtrail.trail",
                format!("trail-{i}"),
                json!({"home_region": region, "is_multi_region": rng.chance(80), "is_organization_trail": false, "is_logging": rng.chance(95), "latest_delivery_time": ts(rng), "log_file_validation": rng.chance(70), "kms_key_id": null, "s3_bucket_name": "trail", "cloudwatch_logs_log_group_arn": null, "include_global_service_events": true, "event_selectors": [], "advanced_event_selectors": [], "management_events_all": true}),
            ),
            _ => match rng.next() % 4 {
                0 => (
                    "aws.account.summary",
                    ACCOUNT.to_string(),
                    json!({"root_mfa_enabled": rng.chance(90), "root_hardware_mfa": false, "root_access_keys_present": rng.chance(5), "root_password_last_used": null, "root_access_key_last_used": null, "users": 10, "roles": 10, "policies": 10, "groups": 2}),
                ),
                1 => (
                    "aws.iam.password_policy",
                    ACCOUNT.to_string(),
                    json!({"exists": true, "minimum_password_length": 8 + rng.next() % 10, "password_reuse_prevention": if rng.chance(50) { json!(24) } else { Value::Null }}),
                ),
                _ => (
                    "aws.ec2.ebs_encryption_default",
                    region.to_string(),
                    json!({"enabled": rng.chance(50), "kms_key_id": null}),
                ),
            },
        },
    };
    let mut tags = std::collections::BTreeMap::new();
    if rng.chance(20) {
        tags.insert("contains_pii".to_string(), "true".to_string());
    }
    tags.insert("env".to_string(), rng.pick(&["prod", "dev"]).to_string());
    Resource {
        uid: format!("arn:aws:{ty}:{region}:{ACCOUNT}:{i}"),
        resource_type: ty.to_string(),
        account: ACCOUNT.to_string(),
        region: region.to_string(),
        name,
        tags,
        props,
        errors: Vec::new(),
    }
}

/// CPU time of this thread in seconds (Linux schedstat), so that other
/// processes competing for the cores do not distort the per-core figure.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

fn main() {
    let n: usize = std::env::var("RAMPART_BENCH_RESOURCES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let rules = match RuleSet::builtin() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let mut rng = Rng(42);
    let resources: Vec<Resource> = (0..n).map(|i| resource(i, &mut rng)).collect();
    let evaluations: usize = resources
        .iter()
        .map(|r| rules.for_type(&r.resource_type).count())
        .sum();
    let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&chrono::Utc);

    // Warm-up, then the best of three single-threaded runs.
    let _ = evaluate_resources(&rules, &resources[..n.min(5_000)], now);
    let mut best = f64::MAX;
    let mut best_cpu = f64::MAX;
    let mut findings = Vec::new();
    let rounds: usize = std::env::var("RAMPART_BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let full_rounds = if std::env::var_os("RAMPART_BENCH_OUTCOMES_ONLY").is_some() {
        0
    } else {
        rounds
    };
    for _ in 0..full_rounds {
        drop(std::mem::take(&mut findings));
        let cpu = thread_cpu_seconds();
        let start = Instant::now();
        findings = evaluate_resources(&rules, &resources, now);
        best = best.min(start.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (cpu, thread_cpu_seconds()) {
            best_cpu = best_cpu.min(b - a);
        }
    }
    // The engine alone: the outcome (status and reason) of every pair,
    // without building Finding values (ids, owned strings).
    let mut best_outcomes = f64::MAX;
    for _ in 0..rounds {
        let cpu = thread_cpu_seconds();
        let mut n = 0usize;
        for r in &resources {
            for rule in rules.for_type(&r.resource_type) {
                if !matches!(outcome(rule, r, now), Outcome::NotApplicable) {
                    n += 1;
                }
            }
        }
        std::hint::black_box(n);
        if let (Some(a), Some(b)) = (cpu, thread_cpu_seconds()) {
            best_outcomes = best_outcomes.min(b - a);
        }
    }
    let fails = findings
        .iter()
        .filter(|f| f.status == rampart_findings::Status::Fail)
        .count();
    println!("rules:            {}", rules.len());
    println!("resources:        {n}");
    println!("evaluations:      {evaluations}");
    println!("findings:         {} ({fails} fail)", findings.len());
    if full_rounds > 0 {
        println!("wall seconds:     {best:.3} (best of {rounds})");
        println!(
            "evaluations/s:    {:.0} (one thread, wall clock)",
            evaluations as f64 / best
        );
    }
    if best_cpu < f64::MAX {
        println!("cpu seconds:      {best_cpu:.3} (this thread, best of {rounds})");
        println!(
            "evaluations/s:    {:.0} (per CPU-second)",
            evaluations as f64 / best_cpu
        );
    }
    if best_outcomes < f64::MAX {
        println!(
            "outcomes only:    {:.3} cpu s, {:.0} evaluations/s (engine without building Finding values)",
            best_outcomes,
            evaluations as f64 / best_outcomes
        );
    }
}
