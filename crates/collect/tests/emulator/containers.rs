//! ECR repositories, EKS clusters and ELBv2 load balancers as seeded by
//! `Seed.containers` in `scripts/seed_demo.py`: in both regions, a
//! misconfigured resource beside its compliant twin.

use rampart_inventory::Resource;
use serde_json::{Value, json};

use super::harness::{REGIONS, emulator};
use super::{count, find, seeded};

fn expected(rtype: &str) -> usize {
    let emu = emulator().expect("emulator");
    emu.manifest["counts"][rtype].as_u64().unwrap_or_default() as usize
}

fn no_errors(r: &Resource) {
    assert!(
        r.errors.is_empty(),
        "{} {}: {:?}",
        r.resource_type,
        r.name,
        r.errors
    );
}

fn listener<'a>(lb: &'a Resource, protocol: &str) -> &'a Value {
    lb.props["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["protocol"] == protocol)
        .unwrap_or_else(|| panic!("{}: no {protocol} listener", lb.name))
}

#[tokio::test(flavor = "multi_thread")]
async fn ecr_repositories() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    assert_eq!(
        count(inv, "aws.ecr.repository"),
        expected("aws.ecr.repository")
    );
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.ecr.repository", "legacy-images", r);
        no_errors(legacy);
        let p = &legacy.props;
        assert!(
            legacy.uid.ends_with(":repository/legacy-images"),
            "{}",
            legacy.uid
        );
        assert!(p["uri"].as_str().unwrap().ends_with("/legacy-images"));
        assert_eq!(p["image_tag_mutability"], "MUTABLE");
        assert_eq!(p["scan_on_push"], false);
        assert_eq!(p["scan_frequency"], "MANUAL");
        assert_eq!(p["scan_filters"], json!([]));
        assert_eq!(p["registry_scan_type"], "BASIC");
        assert_eq!(p["encryption_type"], "AES256");
        assert_eq!(p["kms_key"], Value::Null);
        assert_eq!(p["lifecycle_policy"], false);
        assert_eq!(p["lifecycle_rule_count"], 0);
        assert_eq!(p["policy"]["Statement"][0]["Principal"], "*");
        assert!(p["created_at"].is_string());

        let orders = find(inv, "aws.ecr.repository", "orders-api", r);
        no_errors(orders);
        let p = &orders.props;
        assert_eq!(p["image_tag_mutability"], "IMMUTABLE");
        assert_eq!(p["scan_on_push"], true);
        assert_eq!(p["scan_frequency"], "SCAN_ON_PUSH");
        assert_eq!(p["scan_filters"], json!(["orders-*"]));
        assert_eq!(p["encryption_type"], "KMS");
        assert!(p["kms_key"].as_str().unwrap().starts_with("arn:aws:kms:"));
        assert_eq!(p["lifecycle_policy"], true);
        assert_eq!(p["lifecycle_rule_count"], 1);
        assert_eq!(
            p["policy"]["Statement"][0]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
            "o-acme12345"
        );
        assert_eq!(orders.tags.get("team").map(String::as_str), Some("orders"));
    }
    // Scanning is read in batches of 25, once per region; the registry
    // configuration once per region.
    let ops = &stats.calls_by_operation;
    let regions = REGIONS.len() as u64;
    let repos = count(inv, "aws.ecr.repository") as u64;
    assert_eq!(ops.get("ecr:DescribeRepositories"), Some(&regions));
    assert_eq!(
        ops.get("ecr:GetRegistryScanningConfiguration"),
        Some(&regions)
    );
    assert_eq!(
        ops.get("ecr:BatchGetRepositoryScanningConfiguration"),
        Some(&regions)
    );
    for op in [
        "ecr:GetRepositoryPolicy",
        "ecr:GetLifecyclePolicy",
        "ecr:ListTagsForResource",
    ] {
        assert_eq!(ops.get(op), Some(&repos), "{op}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn eks_clusters() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    assert_eq!(count(inv, "aws.eks.cluster"), expected("aws.eks.cluster"));
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.eks.cluster", "legacy-eks", r);
        no_errors(legacy);
        let p = &legacy.props;
        assert!(
            legacy.uid.ends_with(":cluster/legacy-eks"),
            "{}",
            legacy.uid
        );
        assert_eq!(p["version"], "1.24");
        assert_eq!(p["endpoint_public_access"], true);
        assert_eq!(p["endpoint_private_access"], false);
        assert_eq!(p["public_access_cidrs"], json!(["0.0.0.0/0"]));
        assert_eq!(p["enabled_log_types"], json!([]));
        assert_eq!(p["encryption_key_arn"], Value::Null);
        assert_eq!(p["status"], "ACTIVE");
        assert!(
            p["role_arn"]
                .as_str()
                .unwrap()
                .ends_with(":role/eks-cluster")
        );

        let prod = find(inv, "aws.eks.cluster", "prod-eks", r);
        no_errors(prod);
        let p = &prod.props;
        assert_eq!(p["version"], "1.35");
        assert_eq!(p["endpoint_public_access"], false);
        assert_eq!(p["endpoint_private_access"], true);
        assert_eq!(
            p["enabled_log_types"],
            json!([
                "api",
                "audit",
                "authenticator",
                "controllerManager",
                "scheduler"
            ])
        );
        assert!(
            p["encryption_key_arn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:kms:")
        );
        assert_eq!(prod.tags.get("team").map(String::as_str), Some("platform"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn elbv2_load_balancers() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let lbs = count(inv, "aws.elbv2.load_balancer");
    assert_eq!(lbs, expected("aws.elbv2.load_balancer"));
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.elbv2.load_balancer", "legacy-web", r);
        no_errors(legacy);
        let p = &legacy.props;
        assert!(
            legacy.uid.contains(":loadbalancer/app/legacy-web/"),
            "{}",
            legacy.uid
        );
        assert_eq!(p["type"], "application");
        assert_eq!(p["scheme"], "internet-facing");
        assert_eq!(p["internet_facing"], true);
        assert_eq!(p["security_groups"].as_array().unwrap().len(), 1);
        assert_eq!(p["access_logs_enabled"], false);
        assert_eq!(p["deletion_protection"], false);
        assert_eq!(p["drop_invalid_header_fields"], false);
        assert_eq!(p["desync_mitigation_mode"], "monitor");
        let http = listener(legacy, "HTTP");
        assert_eq!(http["port"], 80);
        assert_eq!(http["default_actions"], json!(["forward"]));
        assert_eq!(http["redirects_to_https"], false);
        // A plain listener has no TLS policy, whatever the emulator says.
        assert_eq!(http["ssl_policy"], Value::Null);
        let https = listener(legacy, "HTTPS");
        assert_eq!(https["ssl_policy"], "ELBSecurityPolicy-2016-08");
        assert!(
            https["certificates"][0]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:acm:")
        );

        let orders = find(inv, "aws.elbv2.load_balancer", "orders-alb", r);
        no_errors(orders);
        let p = &orders.props;
        assert_eq!(p["access_logs_enabled"], true);
        assert_eq!(
            p["access_logs_bucket"],
            format!("acme-logs-{}", region.replace('-', ""))
        );
        assert_eq!(p["deletion_protection"], true);
        assert_eq!(p["drop_invalid_header_fields"], true);
        assert_eq!(p["desync_mitigation_mode"], "strictest");
        let http = listener(orders, "HTTP");
        assert_eq!(http["default_actions"], json!(["redirect"]));
        assert_eq!(http["redirects_to_https"], true);
        assert_eq!(
            listener(orders, "HTTPS")["ssl_policy"],
            "ELBSecurityPolicy-TLS13-1-2-2021-06"
        );
        assert_eq!(orders.tags.get("team").map(String::as_str), Some("orders"));

        let grpc = find(inv, "aws.elbv2.load_balancer", "grpc-nlb", r);
        no_errors(grpc);
        let p = &grpc.props;
        assert_eq!(p["type"], "network");
        assert_eq!(p["internet_facing"], false);
        assert_eq!(p["access_logs_enabled"], true);
        assert_eq!(p["deletion_protection"], true);
        // HTTP routing attributes do not exist on a Network Load Balancer.
        assert_eq!(p["drop_invalid_header_fields"], Value::Null);
        assert_eq!(listener(grpc, "TLS")["port"], 443);
    }
    // Tags in batches of 20 ARNs; listeners and attributes once per load balancer.
    let ops = &stats.calls_by_operation;
    let regions = REGIONS.len() as u64;
    let per_region = |op: &str| ops.get(op).copied().unwrap_or_default();
    assert_eq!(
        per_region("elasticloadbalancingv2:DescribeLoadBalancers"),
        regions
    );
    assert_eq!(per_region("elasticloadbalancingv2:DescribeTags"), regions);
    for op in [
        "elasticloadbalancingv2:DescribeListeners",
        "elasticloadbalancingv2:DescribeLoadBalancerAttributes",
    ] {
        assert_eq!(per_region(op), lbs as u64, "{op}");
    }
}
