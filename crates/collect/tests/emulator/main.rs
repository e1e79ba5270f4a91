//! The collectors against the moto emulator, seeded by
//! `scripts/seed_demo.py`: counts, the props rules depend on, failure
//! recording (access denied, throttling, unreachable and disabled regions)
//! and the API call budget.

// Test code: a panic is how a failed expectation is reported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analytics;
mod containers;
mod datastores;
mod failures;
mod harness;
mod monitoring;
mod organizations;
mod proxy;

use rampart_collect::{CollectOptions, CollectStats, NoProgress, collect};
use rampart_inventory::{ErrorKind, Inventory, Resource};
use serde_json::Value;

use harness::{REGIONS, emulator, options};

fn find<'a>(inv: &'a Inventory, rtype: &str, name: &str, region: Option<&str>) -> &'a Resource {
    inv.resources
        .iter()
        .find(|r| {
            r.resource_type == rtype && r.name == name && region.is_none_or(|g| r.region == g)
        })
        .unwrap_or_else(|| panic!("no {rtype} named {name} in {region:?}"))
}

fn count(inv: &Inventory, rtype: &str) -> usize {
    inv.resources
        .iter()
        .filter(|r| r.resource_type == rtype)
        .count()
}

async fn scan(opts: &CollectOptions) -> (Inventory, CollectStats) {
    collect(opts, &NoProgress).await.expect("collect failed")
}

/// Full scan of the seeded account, shared by the tests that only read it.
async fn seeded() -> Option<&'static (Inventory, CollectStats)> {
    static SCAN: tokio::sync::OnceCell<(Inventory, CollectStats)> =
        tokio::sync::OnceCell::const_new();
    let emu = emulator()?;
    Some(
        SCAN.get_or_init(|| async { scan(&options(&emu.endpoint)).await })
            .await,
    )
}

/// The literal secret values `scripts/seed_demo.py` plants in user data and
/// Lambda environment variables: none may reach the inventory.
const SEEDED_SECRETS: [&str; 3] = [
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "hunter2",
];

fn props(r: &Resource) -> &Value {
    &r.props
}

/// Failures a healthy scan of the emulator must not have: anything but the
/// APIs moto does not implement.
fn unexpected_failures(inv: &Inventory) -> Vec<String> {
    let mut bad: Vec<String> = inv
        .errors
        .iter()
        .filter(|e| e.kind != ErrorKind::Unsupported)
        .map(|e| format!("{} {} {}: {}", e.region, e.action, e.kind, e.message))
        .collect();
    for r in &inv.resources {
        for e in r.errors.iter().filter(|e| e.kind != ErrorKind::Unsupported) {
            bad.push(format!(
                "{} {}: {} {} {}",
                r.resource_type, r.name, e.action, e.kind, e.message
            ));
        }
    }
    bad
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_scan_has_every_planted_resource() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let emu = emulator().expect("emulator");
    assert_eq!(unexpected_failures(inv), Vec::<String>::new());
    assert_eq!(
        inv.accounts,
        vec![emu.manifest["account"].as_str().unwrap().to_string()]
    );
    let counts = emu.manifest["counts"].as_object().unwrap();
    for (rtype, expected) in counts {
        let expected = expected.as_u64().unwrap() as usize;
        let got = count(inv, rtype);
        assert_eq!(got, expected, "{rtype}: collected {got}, seeded {expected}");
    }
    // Every planted resource, bad or good, is in the inventory by name.
    for kind in ["bad", "good"] {
        for p in emu.manifest[kind].as_array().unwrap() {
            let (t, name, region) = (
                p["type"].as_str().unwrap(),
                p["name"].as_str().unwrap(),
                p["region"].as_str().unwrap(),
            );
            let found = inv.resources.iter().any(|r| {
                r.resource_type == t
                    && r.region == region
                    && (r.name == name
                        || r.props
                            .as_object()
                            .is_some_and(|m| m.values().any(|v| v == name)))
            });
            assert!(found, "planted {kind} {t} {name} in {region} not collected");
        }
    }
    assert_eq!(stats.regions, vec!["ap-northeast-2", "us-east-1"]);
    assert!(stats.skipped_regions.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn iam_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    let alice = props(find(inv, "aws.iam.user", "alice-admin", None));
    assert_eq!(alice["console_access"], true);
    assert_eq!(alice["mfa_active"], false);
    assert!(
        alice["attached_policies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["arn"] == "arn:aws:iam::aws:policy/AdministratorAccess")
    );
    assert_eq!(alice["groups"], serde_json::json!(["admins"]));
    assert_eq!(alice["access_keys"].as_array().unwrap().len(), 1);
    assert_eq!(alice["access_keys"][0]["last_used_date"], Value::Null);

    let bob = props(find(inv, "aws.iam.user", "bob-mfa", None));
    assert_eq!(bob["mfa_active"], true);
    assert_eq!(bob["mfa_devices"][0]["type"], "virtual");

    let svc = props(find(inv, "aws.iam.user", "svc-deploy", None));
    assert_eq!(svc["console_access"], false);
    let statuses: Vec<&str> = svc["access_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["Active", "Active"]);
    let rotated = props(find(inv, "aws.iam.user", "svc-rotated", None));
    let mut statuses: Vec<&str> = rotated["access_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    statuses.sort_unstable();
    assert_eq!(statuses, ["Active", "Inactive"]);
    assert_eq!(rotated["groups"][0], "readonly");
    assert_eq!(
        svc["inline_policies"][0]["document"]["Statement"][0]["Action"][0],
        "s3:GetObject"
    );

    let admins = props(find(inv, "aws.iam.group", "admins", None));
    assert_eq!(
        admins["inline_policies"][0]["document"]["Statement"][0]["Action"],
        "*"
    );
    assert_eq!(admins["users"], serde_json::json!(["alice-admin"]));

    let full = props(find(inv, "aws.iam.policy", "full-admin", None));
    assert_eq!(full["document"]["Statement"][0]["Resource"], "*");
    assert_eq!(full["attachment_count"], 1);

    let any = props(find(inv, "aws.iam.role", "cross-account-any", None));
    assert_eq!(any["trust_policy"]["Statement"][0]["Principal"]["AWS"], "*");
    let ec2 = props(find(inv, "aws.iam.role", "ec2-app-role", None));
    assert_eq!(
        ec2["trust_policy"]["Statement"][0]["Principal"]["Service"],
        "ec2.amazonaws.com"
    );
    assert_eq!(ec2["service_linked"], false);

    let pp = props(find(
        inv,
        "aws.iam.password_policy",
        "password-policy",
        None,
    ));
    assert_eq!(pp["exists"], true);
    assert_eq!(pp["minimum_password_length"], 6);
    let summary = inv
        .resources
        .iter()
        .find(|r| r.resource_type == "aws.account.summary")
        .unwrap();
    assert_eq!(summary.props["root_mfa_enabled"], false);
    assert!(summary.props["users"].as_i64().unwrap() >= 3);
    // No seeded role has AWSSupportAccess (CIS 1.17 fails on the demo).
    assert_eq!(summary.props["support_roles"], serde_json::json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let sfx = region.replace('-', "");
        let public = find(
            inv,
            "aws.s3.bucket",
            &format!("acme-public-assets-{sfx}"),
            Some(region),
        );
        let p = props(public);
        assert!(
            p["acl_grants"]
                .as_array()
                .unwrap()
                .iter()
                .any(
                    |g| g["grantee_uri"] == "http://acs.amazonaws.com/groups/global/AllUsers"
                        && g["permission"] == "READ"
                )
        );
        assert_eq!(p["policy"]["Statement"][0]["Principal"], "*");
        assert_eq!(p["public_access_block"], Value::Null);
        assert_eq!(p["encryption"]["enabled"], false);
        assert_eq!(p["versioning"]["status"], Value::Null);
        assert_eq!(p["logging"]["enabled"], false);
        assert_eq!(p["lifecycle_rules"], 0);
        assert!(public.errors.is_empty(), "{:?}", public.errors);

        let secure = props(find(
            inv,
            "aws.s3.bucket",
            &format!("acme-secure-data-{sfx}"),
            Some(region),
        ));
        assert_eq!(secure["public_access_block"]["block_public_acls"], true);
        assert_eq!(
            secure["public_access_block"]["restrict_public_buckets"],
            true
        );
        assert_eq!(secure["encryption"]["enabled"], true);
        assert_eq!(secure["encryption"]["sse_algorithm"], "aws:kms");
        assert_eq!(secure["versioning"]["status"], "Enabled");
        assert_eq!(secure["logging"]["enabled"], true);
        assert_eq!(
            secure["logging"]["target_bucket"],
            format!("acme-logs-{sfx}")
        );
        assert_eq!(secure["lifecycle_rules"], 1);
        assert_eq!(secure["ownership_controls"], "BucketOwnerEnforced");
        assert_eq!(secure["policy"]["Statement"][0]["Effect"], "Deny");

        let raw = find(
            inv,
            "aws.s3.bucket",
            &format!("acme-pii-raw-{sfx}"),
            Some(region),
        );
        assert_eq!(
            raw.tags.get("contains_pii").map(String::as_str),
            Some("true")
        );
        assert_eq!(raw.props["encryption"]["enabled"], false);
        let vault = find(
            inv,
            "aws.s3.bucket",
            &format!("acme-pii-vault-{sfx}"),
            Some(region),
        );
        assert_eq!(
            vault.tags.get("contains_pii").map(String::as_str),
            Some("true")
        );
        assert_eq!(vault.props["object_lock"]["enabled"], true);
        assert_eq!(vault.props["object_lock"]["mode"], "GOVERNANCE");
    }
    // Through S3 Control, whose account-id host prefix the collector avoids.
    let pab = inv
        .resources
        .iter()
        .find(|r| r.resource_type == "aws.s3.account_public_access_block")
        .unwrap();
    assert!(pab.errors.is_empty(), "{:?}", pab.errors);
    assert_eq!(pab.props["configured"], true);
    assert_eq!(pab.props["block_public_policy"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn ec2_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let r = Some(region);
        let open = props(find(inv, "aws.ec2.security_group", "open-admin", r));
        let ingress = open["ingress"].as_array().unwrap();
        for port in [22, 3389, 3306, 5432] {
            assert!(
                ingress.iter().any(|x| x["from_port"] == port
                    && x["cidr_ipv4"] == "0.0.0.0/0"
                    && x["protocol"] == "tcp"),
                "{port}"
            );
            assert!(
                ingress
                    .iter()
                    .any(|x| x["from_port"] == port && x["cidr_ipv6"] == "::/0"),
                "{port}"
            );
        }
        let web = props(find(inv, "aws.ec2.security_group", "web-restricted", r));
        assert_eq!(web["ingress"].as_array().unwrap().len(), 1);
        assert_eq!(web["ingress"][0]["cidr_ipv4"], "10.0.0.0/8");
        assert_eq!(web["egress"][0]["protocol"], "all");

        let legacy = props(find(inv, "aws.ec2.instance", "web-legacy", r));
        assert_eq!(legacy["metadata_options"]["http_tokens"], "optional");
        // The seed's secrets (scripts/seed_demo.py SECRET_USER_DATA) are
        // found and redacted: the script keeps its shape, never the values.
        let user_data = legacy["user_data"].as_str().unwrap();
        assert!(user_data.contains("export AWS_SECRET_ACCESS_KEY=***REDACTED***"));
        assert!(user_data.contains("yum install -y httpd"));
        let seed = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/seed_demo.py"),
        )
        .unwrap();
        let whole = serde_json::to_string(inv).unwrap();
        for value in SEEDED_SECRETS {
            assert!(
                seed.contains(value),
                "{value} is no longer planted by the seed"
            );
            assert!(!user_data.contains(value), "{value} stored in user_data");
            assert!(!whole.contains(value), "{value} stored in the inventory");
        }
        assert_eq!(
            legacy["user_data_secrets"],
            serde_json::json!([
                {"kind": "aws_access_key_id", "line": 2},
                {"kind": "aws_secret_access_key", "line": 3},
                {"kind": "password", "line": 4},
            ])
        );
        assert_eq!(legacy["subnet_public"], true);
        let hardened = props(find(inv, "aws.ec2.instance", "app-hardened", r));
        assert_eq!(hardened["metadata_options"]["http_tokens"], "required");
        assert!(!hardened["user_data"].as_str().unwrap().contains("SECRET"));
        assert!(!hardened["user_data"].as_str().unwrap().contains("REDACTED"));
        assert_eq!(hardened["user_data_secrets"], serde_json::json!([]));
        assert_eq!(hardened["subnet_public"], false);
        assert!(
            hardened["iam_instance_profile"]
                .as_str()
                .unwrap()
                .ends_with("instance-profile/ec2-app-profile")
        );

        assert_eq!(
            props(find(inv, "aws.ec2.volume", "db-data-plain", r))["encrypted"],
            false
        );
        assert_eq!(
            props(find(inv, "aws.ec2.volume", "db-data-encrypted", r))["encrypted"],
            true
        );
        assert_eq!(
            props(find(inv, "aws.ec2.snapshot", "db-backup-public", r))["public"],
            true
        );
        assert_eq!(
            props(find(inv, "aws.ec2.snapshot", "db-backup-private", r))["public"],
            false
        );
        assert_eq!(
            props(find(inv, "aws.ec2.image", "web-legacy-ami", r))["public"],
            true
        );
        assert_eq!(
            props(find(inv, "aws.ec2.image", "app-hardened-ami", r))["public"],
            false
        );

        let ebs = find(
            inv,
            "aws.ec2.ebs_encryption_default",
            "ebs-encryption-default",
            r,
        );
        assert_eq!(ebs.props["enabled"], region == "us-east-1");
        // moto lacks GetEbsDefaultKmsKeyId: recorded as unsupported, not as a value.
        if let Some(e) = ebs.prop_error("kms_key_id") {
            assert_eq!(e.kind, ErrorKind::Unsupported, "{}", e.message);
        }

        let vpcs: Vec<&Resource> = inv
            .resources
            .iter()
            .filter(|x| x.resource_type == "aws.ec2.vpc" && x.region == region)
            .collect();
        let prod = vpcs
            .iter()
            .find(|v| v.tags.get("Name").map(String::as_str) == Some("acme-prod"))
            .unwrap();
        assert_eq!(prod.props["flow_logs_enabled"], true);
        let default = vpcs.iter().find(|v| v.props["is_default"] == true).unwrap();
        assert_eq!(default.props["flow_logs_enabled"], false);

        let nacl_open = inv
            .resources
            .iter()
            .filter(|x| x.resource_type == "aws.ec2.network_acl" && x.region == region)
            .any(|n| {
                n.props["entries"].as_array().unwrap().iter().any(|e| {
                    e["from_port"] == 22
                        && e["cidr_ipv4"] == "0.0.0.0/0"
                        && e["action"] == "allow"
                        && e["egress"] == false
                })
            });
        assert!(nacl_open);
        let eips: Vec<&Resource> = inv
            .resources
            .iter()
            .filter(|x| x.resource_type == "aws.ec2.elastic_ip" && x.region == region)
            .collect();
        assert_eq!(
            eips.iter()
                .filter(|e| e.props["associated"] == true)
                .count(),
            1
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudtrail_and_kms_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    let good = props(find(
        inv,
        "aws.cloudtrail.trail",
        "org-audit",
        Some("ap-northeast-2"),
    ));
    assert_eq!(good["is_logging"], true);
    assert_eq!(good["is_multi_region"], true);
    assert_eq!(good["log_file_validation"], true);
    assert_eq!(good["management_events_all"], true);
    assert!(good["kms_key_id"].is_string());
    // The derived account view names it as the trail covering every region.
    let coverage = find(inv, "aws.cloudtrail.account", "cloudtrail", Some("global"));
    assert_eq!(
        coverage.props["multi_region_trails"],
        serde_json::json!(["org-audit"])
    );
    assert!(
        inv.resource_types
            .iter()
            .any(|t| t == "aws.cloudtrail.account")
    );
    let bad = props(find(
        inv,
        "aws.cloudtrail.trail",
        "legacy-trail",
        Some("ap-northeast-2"),
    ));
    assert_eq!(bad["is_logging"], false);
    assert_eq!(bad["is_multi_region"], false);
    assert_eq!(bad["management_events_all"], false);
    // A multi-region trail is listed once, in its home region.
    assert_eq!(count(inv, "aws.cloudtrail.trail"), 2);

    let emu = emulator().expect("emulator");
    for kind in ["bad", "good"] {
        for p in emu.manifest[kind]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["type"] == "aws.kms.key")
        {
            let key = inv
                .resources
                .iter()
                .find(|r| r.resource_type == "aws.kms.key" && r.name == p["name"].as_str().unwrap())
                .unwrap();
            assert_eq!(
                key.props["rotation_enabled"],
                kind == "good",
                "{}",
                key.name
            );
            assert_eq!(key.props["key_manager"], "CUSTOMER");
            assert!(key.props["policy"]["Statement"].is_array());
        }
    }
    let payments = inv.resources.iter().find(|r| {
        r.resource_type == "aws.kms.key"
            && r.props["aliases"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "alias/payments"))
    });
    assert!(payments.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_sns_sqs_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let r = Some(region);
        let audit = props(find(inv, "aws.logs.log_group", "/app/audit", r));
        assert_eq!(audit["retention_in_days"], 365);
        assert!(audit["kms_key_id"].is_string());
        assert_eq!(
            audit["metric_filters"][0]["metrics"][0]["name"],
            "RootUsage"
        );
        let flow = props(find(inv, "aws.logs.log_group", "/vpc/flow-logs", r));
        assert_eq!(flow["retention_in_days"], Value::Null);
        assert_eq!(flow["metric_filters"], serde_json::json!([]));

        let public = props(find(inv, "aws.sns.topic", "alerts-public", r));
        assert_eq!(public["policy"]["Statement"][0]["Principal"], "*");
        assert_eq!(public["encrypted"], false);
        assert_eq!(public["http_subscriptions"], true);
        let secure = find(inv, "aws.sns.topic", "alerts-secure", r);
        assert_eq!(secure.props["encrypted"], true);
        assert_eq!(secure.props["subscriptions"][0]["protocol"], "sqs");
        assert_eq!(secure.tags.get("team").map(String::as_str), Some("sre"));

        let q = props(find(inv, "aws.sqs.queue", "orders-public", r));
        assert_eq!(q["policy"]["Statement"][0]["Principal"], "*");
        assert_eq!(q["encrypted"], false);
        let q = find(inv, "aws.sqs.queue", "orders-secure", r);
        assert_eq!(q.props["encrypted"], true);
        assert!(
            q.props["dead_letter_target_arn"]
                .as_str()
                .unwrap()
                .ends_with(":orders-dlq")
        );
        assert_eq!(q.tags.get("team").map(String::as_str), Some("orders"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn config_and_guardduty_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    let on = find(
        inv,
        "aws.config.recorder",
        "default",
        Some("ap-northeast-2"),
    );
    assert_eq!(on.props["exists"], true);
    assert_eq!(on.props["recording"], true);
    assert_eq!(on.props["all_supported"], true);
    assert_eq!(on.props["delivery_channel"], true);
    let off = find(
        inv,
        "aws.config.recorder",
        "configuration-recorder",
        Some("us-east-1"),
    );
    assert_eq!(off.props["exists"], false);
    assert_eq!(off.props["recording"], false);

    let gd = inv
        .resources
        .iter()
        .find(|r| r.resource_type == "aws.guardduty.detector" && r.region == "ap-northeast-2")
        .unwrap();
    assert_eq!(gd.props["enabled"], true);
    let none = find(inv, "aws.guardduty.detector", "detector", Some("us-east-1"));
    assert_eq!(none.props["exists"], false);
    assert_eq!(none.props["enabled"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn securityhub_and_accessanalyzer_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    let on = find(inv, "aws.securityhub.hub", "hub", Some("ap-northeast-2"));
    assert_eq!(on.props["enabled"], true);
    assert!(
        on.props["hub_arn"]
            .as_str()
            .unwrap()
            .contains(":hub/default")
    );
    // moto lacks GetEnabledStandards: the prop is an `unsupported` error,
    // never an empty list that would read as "no standards".
    match on.props.get("standards") {
        Some(Value::Array(_)) => {}
        _ => assert!(on.errors.iter().any(|e| e.prop == "standards"
            && e.action == "securityhub:GetEnabledStandards"
            && e.kind == ErrorKind::Unsupported)),
    }
    let off = find(inv, "aws.securityhub.hub", "hub", Some("us-east-1"));
    assert_eq!(off.props["enabled"], false);
    assert_eq!(off.props["standards"], serde_json::json!([]));
    assert!(off.errors.is_empty(), "{:?}", off.errors);

    let emu = emulator().expect("emulator");
    if emu.manifest["counts"]
        .get("aws.accessanalyzer.region")
        .is_some()
    {
        let on = find(
            inv,
            "aws.accessanalyzer.region",
            "access-analyzer",
            Some("ap-northeast-2"),
        );
        assert_eq!(on.props["enabled"], true);
        assert_eq!(on.props["analyzers"][0]["type"], "ACCOUNT");
        let off = find(
            inv,
            "aws.accessanalyzer.region",
            "access-analyzer",
            Some("us-east-1"),
        );
        assert_eq!(off.props["enabled"], false);
        assert_eq!(off.props["analyzers"], serde_json::json!([]));
    } else {
        // The emulator lacks Access Analyzer: each region is recorded as
        // `unsupported` and no resource claims anything.
        assert_eq!(count(inv, "aws.accessanalyzer.region"), 0);
        for region in REGIONS {
            assert!(
                inv.errors.iter().any(|e| e.region == region
                    && e.action == "access-analyzer:ListAnalyzers"
                    && e.kind == ErrorKind::Unsupported
                    && e.resource_types == ["aws.accessanalyzer.region"]),
                "{region}: {:?}",
                inv.errors
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rds_and_lambda_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let r = Some(region);
        let legacy = props(find(inv, "aws.rds.instance", "legacy-mysql", r));
        assert_eq!(legacy["publicly_accessible"], true);
        assert_eq!(legacy["storage_encrypted"], false);
        assert_eq!(legacy["engine"], "mysql");
        let orders = find(inv, "aws.rds.instance", "orders-postgres", r);
        assert_eq!(orders.props["publicly_accessible"], false);
        assert_eq!(orders.props["storage_encrypted"], true);
        assert_eq!(orders.props["multi_az"], true);
        assert_eq!(
            orders.tags.get("contains_pii").map(String::as_str),
            Some("true")
        );
        assert_eq!(
            props(find(inv, "aws.rds.snapshot", "legacy-mysql-public", r))["public"],
            true
        );
        assert_eq!(
            props(find(inv, "aws.rds.snapshot", "orders-postgres-manual", r))["public"],
            false
        );

        let hook = find(inv, "aws.lambda.function", "webhook-legacy", r);
        assert!(hook.errors.is_empty(), "{:?}", hook.errors);
        assert_eq!(hook.props["runtime"], "python3.7");
        assert_eq!(hook.props["environment"]["DB_PASSWORD"], "***REDACTED***");
        assert_eq!(
            hook.props["environment"]["AWS_SECRET_ACCESS_KEY"],
            "***REDACTED***"
        );
        let env = hook.props["environment"].to_string();
        for value in SEEDED_SECRETS {
            assert!(!env.contains(value), "{value} stored in environment");
        }
        assert_eq!(
            hook.props["environment_secrets"],
            serde_json::json!([
                {"variable": "AWS_SECRET_ACCESS_KEY", "kind": "aws_secret_access_key"},
                {"variable": "DB_PASSWORD", "kind": "password"},
            ])
        );
        assert_eq!(hook.props["policy"]["Statement"][0]["Principal"], "*");
        assert_eq!(hook.props["url_auth_type"], "NONE");
        let worker = find(inv, "aws.lambda.function", "orders-worker", r);
        assert_eq!(worker.props["environment"]["LOG_LEVEL"], "info");
        assert_eq!(worker.props["environment_secrets"], serde_json::json!([]));
        assert_eq!(worker.props["policy"], Value::Null);
        assert_eq!(worker.props["url_auth_type"], Value::Null);
        assert_eq!(worker.tags.get("team").map(String::as_str), Some("orders"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_call_is_repeated() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let ops = &stats.calls_by_operation;
    let regions = REGIONS.len() as u64;
    let buckets = count(inv, "aws.s3.bucket") as u64;
    // Account-wide calls once; regional listings once per region.
    for op in [
        "s3:ListBuckets",
        "iam:GetAccountAuthorizationDetails",
        "iam:GetCredentialReport",
        "iam:GetAccountSummary",
        "s3control:GetPublicAccessBlock",
    ] {
        assert_eq!(ops.get(op), Some(&1), "{op}: {ops:?}");
    }
    for op in [
        "ec2:DescribeInstances",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
        "kms:ListKeys",
        "kms:ListAliases",
        "cloudtrail:DescribeTrails",
    ] {
        assert_eq!(ops.get(op), Some(&regions), "{op}");
    }
    // Per-bucket reads once per bucket.
    for op in [
        "s3:GetBucketPolicy",
        "s3:GetBucketAcl",
        "s3:GetBucketEncryption",
        "s3:GetBucketVersioning",
    ] {
        assert_eq!(ops.get(op), Some(&buckets), "{op}");
    }
    // The identity once, plus one reachability probe per region.
    assert_eq!(ops.get("sts:GetCallerIdentity"), Some(&(1 + regions)));
    assert_eq!(stats.api_calls, ops.values().sum::<u64>());
    assert!(stats.http_requests >= stats.api_calls);
    eprintln!(
        "seeded scan: {} API calls, {} resources, {:?}",
        stats.api_calls, stats.resources, stats.duration
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn services_filter_limits_the_scan() {
    let Some(emu) = emulator() else { return };
    let mut opts = options(&emu.endpoint);
    opts.services = Some(vec!["kms".into()]);
    let (inv, stats) = scan(&opts).await;
    assert_eq!(inv.services, vec!["kms"]);
    assert!(
        inv.resources
            .iter()
            .all(|r| r.resource_type == "aws.kms.key")
    );
    assert!(count(&inv, "aws.kms.key") > 0);
    assert!(
        stats
            .calls_by_operation
            .keys()
            .all(|k| k.starts_with("kms:") || k.starts_with("sts:")),
        "{:?}",
        stats.calls_by_operation
    );

    opts.services = Some(vec!["nope".into()]);
    let err = collect(&opts, &NoProgress).await.unwrap_err();
    assert!(err.to_string().contains("unknown service"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_is_reported_per_service_and_region() {
    use std::sync::Mutex;
    #[derive(Default)]
    struct Record(Mutex<Vec<(String, String, Option<usize>)>>);
    impl rampart_collect::Progress for Record {
        fn service_started(&self, s: &str, r: &str) {
            self.0.lock().unwrap().push((s.into(), r.into(), None));
        }
        fn service_done(&self, s: &str, r: &str, n: usize) {
            self.0.lock().unwrap().push((s.into(), r.into(), Some(n)));
        }
    }
    let Some(emu) = emulator() else { return };
    let mut opts = options(&emu.endpoint);
    opts.services = Some(vec!["iam".into(), "cloudtrail".into()]);
    let rec = Record::default();
    collect(&opts, &rec).await.unwrap();
    let events = rec.0.into_inner().unwrap();
    // iam once (global), cloudtrail per region; each started and done.
    assert_eq!(events.len(), 2 * (1 + REGIONS.len()));
    assert!(
        events
            .iter()
            .any(|(s, r, n)| s == "iam" && r == "global" && n.is_some_and(|n| n > 5))
    );
    assert!(
        events
            .iter()
            .any(|(s, r, n)| s == "cloudtrail" && r == "ap-northeast-2" && *n == Some(2))
    );
}
