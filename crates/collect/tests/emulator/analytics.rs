//! Redshift clusters, Kinesis streams and OpenSearch domains as seeded by
//! `Seed.analytics` in `scripts/seed_demo.py`: in both regions, a
//! misconfigured resource beside its compliant twin, and the per-resource
//! reads made once each.

use rampart_inventory::Resource;
use serde_json::{Value, json};

use super::harness::{REGIONS, emulator};
use super::{count, find, seeded};

fn expected(rtype: &str) -> usize {
    let emu = emulator().expect("emulator");
    emu.manifest["counts"][rtype].as_u64().unwrap_or_default() as usize
}

/// Whether the manifest plants `name` of `rtype` in `region` as `kind`.
fn planted(kind: &str, rtype: &str, name: &str, region: &str) -> bool {
    let emu = emulator().expect("emulator");
    emu.manifest[kind]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["type"] == rtype && p["name"] == name && p["region"] == region)
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

fn calls(ops: &std::collections::BTreeMap<String, u64>, op: &str) -> u64 {
    ops.get(op).copied().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn redshift_clusters() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let clusters = count(inv, "aws.redshift.cluster");
    assert_eq!(clusters, expected("aws.redshift.cluster"));
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.redshift.cluster", "legacy-dw", r);
        no_errors(legacy);
        assert_eq!(
            legacy.uid,
            format!(
                "arn:aws:redshift:{region}:{}:cluster:legacy-dw",
                legacy.account
            )
        );
        let p = &legacy.props;
        assert_eq!(p["publicly_accessible"], true);
        assert_eq!(p["encrypted"], false);
        assert_eq!(p["kms_key_id"], Value::Null);
        assert_eq!(p["master_username"], "awsuser");
        assert_eq!(p["allow_version_upgrade"], false);
        assert_eq!(p["automated_snapshot_retention_period"], 1);
        assert_eq!(p["port"], 5439);
        assert!(
            p["endpoint_address"]
                .as_str()
                .unwrap()
                .starts_with("legacy-dw.")
        );
        assert_eq!(p["parameter_group"], "default.redshift-1.0");
        assert_eq!(p["require_ssl"], false);
        assert_eq!(p["logging"]["enabled"], false);
        assert_eq!(p["logging"]["log_exports"], json!([]));
        assert!(planted("bad", "aws.redshift.cluster", "legacy-dw", region));

        let dw = find(inv, "aws.redshift.cluster", "analytics-dw", r);
        no_errors(dw);
        let p = &dw.props;
        assert_eq!(p["publicly_accessible"], false);
        assert_eq!(p["encrypted"], true);
        assert!(p["kms_key_id"].as_str().unwrap().contains(":key/"));
        assert_eq!(p["master_username"], "dw_admin");
        assert_eq!(p["allow_version_upgrade"], true);
        assert_eq!(p["automated_snapshot_retention_period"], 7);
        assert_eq!(p["enhanced_vpc_routing"], true);
        assert_eq!(p["subnet_group"], "dw-private");
        assert_eq!(p["parameter_group"], "dw-tls-required");
        assert_eq!(p["logging"]["enabled"], true);
        assert_eq!(p["logging"]["destination_type"], "cloudwatch");
        assert_eq!(
            p["logging"]["log_exports"],
            json!(["connectionlog", "userlog", "useractivitylog"])
        );
        assert_eq!(dw.tags.get("team").map(String::as_str), Some("data"));
        // moto cannot change parameter values (no ModifyClusterParameterGroup):
        // the group's require_ssl is what the emulator holds, and the seed
        // plants the twin as compliant only when it could set it.
        let good = planted("good", "aws.redshift.cluster", "analytics-dw", region);
        assert_eq!(p["require_ssl"], good);
        assert_ne!(
            good,
            planted("bad", "aws.redshift.cluster", "analytics-dw", region)
        );
    }
    let ops = &stats.calls_by_operation;
    let regions = REGIONS.len() as u64;
    assert_eq!(calls(ops, "redshift:DescribeClusters"), regions, "{ops:?}");
    // Each distinct parameter group once per region (the default group and
    // dw-tls-required), however many clusters use it.
    assert_eq!(
        calls(ops, "redshift:DescribeClusterParameters"),
        2 * regions,
        "{ops:?}"
    );
    assert_eq!(
        calls(ops, "redshift:DescribeLoggingStatus"),
        clusters as u64,
        "{ops:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn kinesis_streams() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let streams = count(inv, "aws.kinesis.stream");
    assert_eq!(streams, expected("aws.kinesis.stream"));
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.kinesis.stream", "clickstream-legacy", r);
        no_errors(legacy);
        assert!(
            legacy.uid.ends_with(":stream/clickstream-legacy"),
            "{}",
            legacy.uid
        );
        let p = &legacy.props;
        assert_eq!(p["encryption_type"], "NONE");
        assert_eq!(p["encrypted"], false);
        assert_eq!(p["kms_key_id"], Value::Null);
        assert_eq!(p["status"], "ACTIVE");
        assert_eq!(p["stream_mode"], "PROVISIONED");
        assert_eq!(p["open_shard_count"], 1);
        assert_eq!(p["retention_period_hours"], 24);
        assert_eq!(p["enhanced_monitoring"], json!([]));
        assert!(legacy.tags.is_empty());

        let orders = find(inv, "aws.kinesis.stream", "orders-events", r);
        no_errors(orders);
        let p = &orders.props;
        assert_eq!(p["encryption_type"], "KMS");
        assert_eq!(p["encrypted"], true);
        assert!(p["kms_key_id"].as_str().unwrap().contains(":key/"));
        assert_eq!(p["stream_mode"], "ON_DEMAND");
        assert_eq!(p["retention_period_hours"], 168);
        assert_eq!(orders.tags.get("team").map(String::as_str), Some("orders"));
    }
    let ops = &stats.calls_by_operation;
    let regions = REGIONS.len() as u64;
    assert_eq!(calls(ops, "kinesis:ListStreams"), regions, "{ops:?}");
    for op in ["kinesis:DescribeStreamSummary", "kinesis:ListTagsForStream"] {
        assert_eq!(calls(ops, op), streams as u64, "{op}: {ops:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn opensearch_domains() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let domains = count(inv, "aws.opensearch.domain");
    assert_eq!(domains, expected("aws.opensearch.domain"));
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.opensearch.domain", "legacy-search", r);
        no_errors(legacy);
        assert_eq!(
            legacy.uid,
            format!(
                "arn:aws:es:{region}:{}:domain/legacy-search",
                legacy.account
            )
        );
        let p = &legacy.props;
        assert_eq!(p["engine_version"], "Elasticsearch_7.10");
        assert_eq!(p["in_vpc"], false);
        assert!(p["endpoint"].as_str().unwrap().starts_with("legacy-search"));
        assert_eq!(p["policy"]["Statement"][0]["Principal"]["AWS"], "*");
        assert_eq!(p["encryption_at_rest"], false);
        assert_eq!(p["node_to_node_encryption"], false);
        assert_eq!(p["enforce_https"], false);
        assert_eq!(p["tls_security_policy"], "Policy-Min-TLS-1-0-2019-07");
        assert_eq!(p["fine_grained_access_control"], false);
        assert_eq!(p["audit_logs_enabled"], false);
        assert_eq!(p["log_publishing"], json!({}));

        let orders = find(inv, "aws.opensearch.domain", "orders-search", r);
        no_errors(orders);
        let p = &orders.props;
        assert_eq!(p["engine_version"], "OpenSearch_2.11");
        assert_eq!(p["in_vpc"], true);
        assert_eq!(p["endpoint"], Value::Null);
        assert!(p["vpc_endpoint"].is_string());
        assert_eq!(p["subnet_ids"].as_array().unwrap().len(), 1);
        assert_eq!(p["security_group_ids"].as_array().unwrap().len(), 1);
        assert!(
            p["policy"]["Statement"][0]["Principal"]["AWS"]
                .as_str()
                .unwrap()
                .ends_with(":role/search-app")
        );
        assert_eq!(p["encryption_at_rest"], true);
        assert!(p["kms_key_id"].as_str().unwrap().contains(":key/"));
        assert_eq!(p["node_to_node_encryption"], true);
        assert_eq!(p["enforce_https"], true);
        assert_eq!(p["tls_security_policy"], "Policy-Min-TLS-1-2-PFS-2023-10");
        assert_eq!(p["fine_grained_access_control"], true);
        assert_eq!(p["internal_user_database"], false);
        assert_eq!(p["anonymous_auth_enabled"], false);
        assert_eq!(p["audit_logs_enabled"], true);
        assert!(
            p["log_publishing"]["AUDIT_LOGS"]["log_group_arn"]
                .as_str()
                .unwrap()
                .ends_with(":log-group:/aws/opensearch/orders-search/audit")
        );
        assert_eq!(p["zone_awareness"], true);
        assert_eq!(p["availability_zone_count"], 3);
        assert_eq!(p["dedicated_master_enabled"], true);
        assert_eq!(p["dedicated_master_count"], 3);
        assert_eq!(p["auto_software_update"], true);
        assert_eq!(orders.tags.get("team").map(String::as_str), Some("orders"));
    }
    let ops = &stats.calls_by_operation;
    let regions = REGIONS.len() as u64;
    // Two domains per region: one DescribeDomains batch (up to five) each.
    for op in ["opensearch:ListDomainNames", "opensearch:DescribeDomains"] {
        assert_eq!(calls(ops, op), regions, "{op}: {ops:?}");
    }
    assert_eq!(calls(ops, "opensearch:ListTags"), domains as u64, "{ops:?}");
}
