//! CloudWatch alarms and the derived CIS monitoring chain of the seeded
//! account (`Seed.monitoring` in scripts/seed_demo.py): metric filters on
//! the log group of the multi-region trail `org-audit`, alarms on their
//! metrics, and SNS topics with or without a subscriber.

use std::collections::BTreeMap;

use rampart_collect::CollectOptions;
use rampart_inventory::Inventory;
use serde_json::{Value, json};

use super::harness::{REGIONS, emulator, options};
use super::{count, find, scan, seeded, unexpected_failures};

const APNE2: &str = "ap-northeast-2";
const MONITORING: &str = "aws.cloudwatch.monitoring";

/// The scan listed alarms in every region (the collector's SDK speaks the
/// Query protocol the emulator serves).
fn alarms_listed(inv: &Inventory) {
    let errors: Vec<_> = inv
        .errors
        .iter()
        .filter(|e| e.service == "cloudwatch")
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(count(inv, "aws.cloudwatch.alarm") > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudwatch_alarm_props() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    alarms_listed(inv);
    let emu = emulator().expect("emulator");
    let account = emu.manifest["account"].as_str().unwrap();
    let alerts = format!("arn:aws:sns:{APNE2}:{account}:security-alerts");

    let root = find(inv, "aws.cloudwatch.alarm", "cis-root-usage", Some(APNE2));
    assert_eq!(
        root.uid,
        format!("arn:aws:cloudwatch:{APNE2}:{account}:alarm:cis-root-usage")
    );
    let p = &root.props;
    assert_eq!(p["alarm_type"], "metric");
    assert_eq!(p["actions_enabled"], true);
    assert_eq!(p["metric_name"], "RootAccountUsage");
    assert_eq!(p["namespace"], "CISBenchmark");
    assert_eq!(p["statistic"], "Sum");
    assert_eq!(p["threshold"], 1.0);
    assert_eq!(p["comparison_operator"], "GreaterThanOrEqualToThreshold");
    assert_eq!(p["treat_missing_data"], "notBreaching");
    assert_eq!(p["alarm_actions"], json!([alerts]));
    assert_eq!(p["sns_topics"], json!([alerts]));
    assert_eq!(p["metrics"], json!([]));
    assert!(p["state"].is_string());

    let off = props_of(inv, "cis-console-auth-failures", APNE2);
    assert_eq!(off["actions_enabled"], false);

    // A metric-math alarm: the metric is inside `metrics`.
    let math = props_of(inv, "cis-iam-policy-changes", APNE2);
    assert_eq!(math["metric_name"], Value::Null);
    assert_eq!(math["metrics"][0]["metric_name"], "IAMPolicyChanges");
    assert_eq!(math["metrics"][0]["namespace"], "CISBenchmark");

    for region in REGIONS {
        let ops = format!("arn:aws:sns:{region}:{account}:ops-alarms");
        let api = props_of(inv, "api-5xx-000", region);
        assert_eq!(api["dimensions"][0]["name"], "LoadBalancer");
        assert_eq!(api["ok_actions"], json!([ops]));
        assert_eq!(api["sns_topics"], json!([ops]));
        let silent = props_of(inv, "db-cpu-high", region);
        assert_eq!(silent["alarm_actions"], json!([]));
        assert_eq!(silent["sns_topics"], json!([]));
    }
}

fn props_of<'a>(inv: &'a rampart_inventory::Inventory, name: &str, region: &str) -> &'a Value {
    &find(inv, "aws.cloudwatch.alarm", name, Some(region)).props
}

#[tokio::test(flavor = "multi_thread")]
async fn cis_monitoring_chains() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    let emu = emulator().expect("emulator");
    let account = emu.manifest["account"].as_str().unwrap();
    assert_eq!(count(inv, MONITORING), 1);
    assert!(inv.resource_types.iter().any(|t| t == MONITORING));
    let m = find(inv, MONITORING, "monitoring", Some("global"));
    assert_eq!(m.uid, format!("arn:aws:cloudwatch::{account}:monitoring"));

    // The inputs the chain is joined from.
    let trail = find(inv, "aws.cloudtrail.trail", "org-audit", Some(APNE2));
    assert_eq!(
        trail.props["cloudwatch_logs_log_group_arn"],
        format!("arn:aws:logs:{APNE2}:{account}:log-group:cloudtrail/org-audit:*")
    );
    let group = find(
        inv,
        "aws.logs.log_group",
        "cloudtrail/org-audit",
        Some(APNE2),
    );
    assert_eq!(group.props["metric_filters"].as_array().unwrap().len(), 8);
    let alerts = find(inv, "aws.sns.topic", "security-alerts", Some(APNE2));
    assert_eq!(alerts.props["subscriptions"][0]["pending"], false);
    let nobody = find(inv, "aws.sns.topic", "audit-alerts", Some(APNE2));
    assert_eq!(nobody.props["subscriptions"], json!([]));

    // Only org-audit qualifies (legacy-trail is single-region, not logging).
    let trails = m.props["monitored_trails"].as_array().unwrap();
    assert_eq!(trails.len(), 1);
    assert_eq!(trails[0]["name"], "org-audit");
    assert_eq!(
        trails[0]["log_group_arn"],
        format!("arn:aws:logs:{APNE2}:{account}:log-group:cloudtrail/org-audit")
    );

    alarms_listed(inv);
    assert!(m.errors.is_empty(), "{:?}", m.errors);

    let chains: BTreeMap<&str, &Value> = m.props["chains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["filter_name"].as_str().unwrap(), c))
        .collect();
    // The root-usage filter of /app/audit is not on a trail's log group.
    assert!(
        chains
            .values()
            .all(|c| c["log_group"] == "cloudtrail/org-audit")
    );
    let subscribed: BTreeMap<&str, bool> = chains
        .iter()
        .map(|(k, c)| (*k, c["subscribed"] == true))
        .collect();
    assert_eq!(
        subscribed,
        BTreeMap::from([
            ("cis-cloudtrail-changes", false),
            ("cis-console-auth-failures", false),
            ("cis-iam-policy-changes", true),
            ("cis-kms-key-disable-or-deletion", false),
            ("cis-root-usage", true),
            ("cis-s3-bucket-policy-changes", true),
            ("cis-security-group-changes", true),
            ("cis-unauthorized-api-calls", true),
        ])
    );
    let root = chains["cis-root-usage"];
    assert_eq!(root["trail"], "org-audit");
    assert_eq!(root["metric_name"], "RootAccountUsage");
    assert_eq!(root["metric_namespace"], "CISBenchmark");
    assert!(
        root["pattern"]
            .as_str()
            .unwrap()
            .contains("$.userIdentity.invokedBy NOT EXISTS")
    );
    assert_eq!(root["alarms"][0]["name"], "cis-root-usage");
    assert_eq!(root["topics"][0]["confirmed_subscriptions"], 1);
    // Why the broken ones are broken.
    let trail_changes = chains["cis-cloudtrail-changes"];
    assert_eq!(trail_changes["topics"][0]["subscribed"], false);
    assert_eq!(trail_changes["topics"][0]["confirmed_subscriptions"], 0);
    let failures = chains["cis-console-auth-failures"];
    assert_eq!(failures["alarms"][0]["actions_enabled"], false);
    assert_eq!(failures["topics"], json!([]));
    assert_eq!(
        chains["cis-kms-key-disable-or-deletion"]["alarms"],
        json!([])
    );
    // Subscribed, but its pattern lacks DeleteBucketReplication: the rule
    // (rules/aws/cloudwatch) fails it, the chain itself is complete.
    assert!(
        !chains["cis-s3-bucket-policy-changes"]["pattern"]
            .as_str()
            .unwrap()
            .contains("DeleteBucketReplication")
    );
}

/// Without every input service the chain is not derived at all, and its
/// type is not claimed as covered.
#[tokio::test(flavor = "multi_thread")]
async fn monitoring_needs_all_four_services() {
    let Some(emu) = emulator() else {
        return;
    };
    let opts = CollectOptions {
        services: Some(vec![
            "cloudwatch".into(),
            "cloudtrail".into(),
            "logs".into(),
        ]),
        ..options(&emu.endpoint)
    };
    let (inv, _) = scan(&opts).await;
    assert_eq!(unexpected_failures(&inv), Vec::<String>::new());
    assert_eq!(count(&inv, MONITORING), 0);
    assert!(!inv.resource_types.iter().any(|t| t == MONITORING));
    alarms_listed(&inv);
}
