//! Resources derived from several collectors' output after collection.
//!
//! Collectors run concurrently and know only their own service, so facts
//! that join services are computed here, as pure functions over the
//! collected inventory. Today that is the CIS "monitoring" chain: a metric
//! filter on the CloudWatch Logs group of a logging, multi-region trail,
//! an alarm on the filter's metric, and an SNS topic with a confirmed
//! subscriber to receive it ([`MONITORING`], one per account).
//!
//! A join is only as good as its inputs. When any input the chain depends
//! on could not be collected (a listing failed, or a prop the join reads
//! carries an error), the derived `chains` prop is `null` with an error, so
//! the rules report `error` rather than a pass or a fail they cannot know.

use std::collections::BTreeSet;

use rampart_inventory::{
    CollectionError, ErrorKind, GLOBAL_REGION, Inventory, PropError, Resource,
};
use serde_json::{Map, Value, json};

/// The account's CloudTrail-to-alarm chains (one resource per account).
pub(crate) const MONITORING: &str = "aws.cloudwatch.monitoring";

const TRAIL: &str = "aws.cloudtrail.trail";
const LOG_GROUP: &str = "aws.logs.log_group";
const ALARM: &str = "aws.cloudwatch.alarm";
const TOPIC: &str = "aws.sns.topic";

/// Services whose resources the chain joins: all must be in scope.
const INPUTS: [&str; 4] = ["cloudtrail", "logs", "cloudwatch", "sns"];

/// The account's CloudTrail coverage (one resource per account).
pub(crate) const TRAILS: &str = "aws.cloudtrail.account";

/// Adds the derived resources to a collected inventory, and their types to
/// `resource_types`, when every service they join was collected.
pub(crate) fn apply(inv: &mut Inventory) {
    if inv.covers_service("cloudtrail") {
        for account in inv.scope_accounts() {
            let r = trail_coverage(&account, &inv.resources, &inv.errors);
            insert_sorted(&mut inv.resources, r);
        }
        if !inv.resource_types.is_empty() && !inv.resource_types.iter().any(|t| t == TRAILS) {
            inv.resource_types.push(TRAILS.to_string());
        }
    }
    if !INPUTS.iter().all(|s| inv.covers_service(s)) {
        return;
    }
    for account in inv.scope_accounts() {
        let r = monitoring(&account, &inv.regions, &inv.resources, &inv.errors);
        insert_sorted(&mut inv.resources, r);
    }
    if !inv.resource_types.is_empty() && !inv.resource_types.iter().any(|t| t == MONITORING) {
        inv.resource_types.push(MONITORING.to_string());
    }
}

/// Keep the inventory sorted by (type, region, uid).
fn insert_sorted(resources: &mut Vec<Resource>, r: Resource) {
    let key = (&r.resource_type, &r.region, &r.uid);
    let at = resources.partition_point(|x| (&x.resource_type, &x.region, &x.uid) < key);
    resources.insert(at, r);
}

/// Whether the account has a trail that records management events of every
/// region (CIS 3.1): multi-region, logging, reads and writes. A trail whose
/// status or selectors could not be read, or a failed trail listing, makes
/// `multi_region_trails` null with the error, unless a qualifying trail was
/// seen anyway (then the answer is known).
fn trail_coverage(account: &str, resources: &[Resource], errors: &[CollectionError]) -> Resource {
    let mut found = Vec::new();
    let mut unknown: Vec<PropError> = Vec::new();
    for t in resources
        .iter()
        .filter(|r| r.resource_type == TRAIL && r.account == account)
    {
        if !is_true(t, "is_multi_region") {
            continue;
        }
        let failed: Vec<&PropError> = ["is_logging", "management_events_all"]
            .iter()
            .filter_map(|p| t.prop_error(p))
            .collect();
        if !failed.is_empty() {
            for e in failed {
                unknown.push(PropError {
                    prop: "multi_region_trails".into(),
                    action: e.action.clone(),
                    kind: e.kind,
                    message: format!("trail {}: {}", t.name, e.message),
                });
            }
            continue;
        }
        if is_true(t, "is_logging") && is_true(t, "management_events_all") {
            found.push(Value::String(t.name.clone()));
        }
    }
    for e in errors
        .iter()
        .filter(|e| e.account == account && e.resource_types.iter().any(|t| t == TRAIL))
    {
        unknown.push(PropError {
            prop: "multi_region_trails".into(),
            action: e.action.clone(),
            kind: e.kind,
            message: format!(
                "CloudTrail trails could not be listed in {}: {}",
                e.region, e.message
            ),
        });
    }
    let mut props = Map::new();
    let known = !found.is_empty() || unknown.is_empty();
    props.insert(
        "multi_region_trails".into(),
        if known {
            Value::Array(found)
        } else {
            Value::Null
        },
    );
    Resource {
        uid: format!("arn:aws:cloudtrail::{account}:account"),
        resource_type: TRAILS.to_string(),
        account: account.to_string(),
        region: GLOBAL_REGION.to_string(),
        name: "cloudtrail".to_string(),
        tags: Default::default(),
        props: Value::Object(props),
        errors: if known { Vec::new() } else { unknown },
    }
}

/// Why the chain could not be decided: errors for the `chains` prop.
#[derive(Default)]
struct Problems(Vec<PropError>);

impl Problems {
    fn add(&mut self, action: &str, kind: ErrorKind, message: String) {
        let e = PropError {
            prop: "chains".to_string(),
            action: action.to_string(),
            kind,
            message,
        };
        if !self.0.contains(&e) {
            self.0.push(e);
        }
    }

    fn scope_failed(&mut self, e: &CollectionError, what: &str) {
        let msg = if e.message.is_empty() {
            format!("{what} in {}", e.region)
        } else {
            format!("{what} in {}: {}", e.region, e.message)
        };
        self.add(&e.action, e.kind, msg);
    }

    fn prop_failed(&mut self, e: &PropError, whose: &str) {
        let msg = if e.message.is_empty() {
            format!("{} of {whose}", e.prop)
        } else {
            format!("{} of {whose}: {}", e.prop, e.message)
        };
        self.add(&e.action, e.kind, msg);
    }
}

/// `arn:<partition>:<service>:<region>:<account>:...` → (region, account).
fn arn_region_account(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, _, region, account) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    Some((region, account))
}

/// `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → name.
fn log_group_name(arn: &str) -> Option<&str> {
    let rest = arn.split_once(":log-group:")?.1;
    Some(rest.strip_suffix(":*").unwrap_or(rest))
}

fn str_of<'a>(r: &'a Resource, prop: &str) -> Option<&'a str> {
    r.props.get(prop).and_then(Value::as_str)
}

fn is_true(r: &Resource, prop: &str) -> bool {
    r.props.get(prop) == Some(&Value::Bool(true))
}

/// Whether `alarm` watches metric `name` in `namespace`, directly or as
/// one of the metrics of a metric-math alarm.
fn watches(alarm: &Resource, name: &str, namespace: &str) -> bool {
    let direct =
        str_of(alarm, "metric_name") == Some(name) && str_of(alarm, "namespace") == Some(namespace);
    direct
        || alarm
            .props
            .get("metrics")
            .and_then(Value::as_array)
            .is_some_and(|ms| {
                ms.iter()
                    .any(|m| m["metric_name"] == name && m["namespace"] == namespace)
            })
}

/// The monitoring resource of `account`.
fn monitoring(
    account: &str,
    regions: &[String],
    resources: &[Resource],
    errors: &[CollectionError],
) -> Resource {
    let mut problems = Problems::default();
    let mine = |t: &'static str| {
        resources
            .iter()
            .filter(move |r| r.resource_type == t && r.account == account)
    };
    let scope_error = |t: &str, region: &str| {
        errors.iter().find(|e| {
            e.account == account && e.region == region && e.resource_types.iter().any(|x| x == t)
        })
    };
    let scanned = |region: &str| regions.is_empty() || regions.iter().any(|r| r == region);

    // A trail that could not be listed may be the one that qualifies.
    for e in errors
        .iter()
        .filter(|e| e.account == account && e.resource_types.iter().any(|t| t == TRAIL))
    {
        problems.scope_failed(e, "CloudTrail trails could not be listed");
    }

    let mut trails = Vec::new();
    let mut chains = Vec::new();
    for t in mine(TRAIL) {
        let Some(lg_arn) = str_of(t, "cloudwatch_logs_log_group_arn") else {
            continue;
        };
        if !is_true(t, "is_multi_region") {
            continue;
        }
        let unknown: Vec<&PropError> = ["is_logging", "management_events_all"]
            .iter()
            .filter_map(|p| t.prop_error(p))
            .collect();
        if !unknown.is_empty() {
            for e in unknown {
                problems.prop_failed(e, &format!("trail {}", t.name));
            }
            continue;
        }
        if !is_true(t, "is_logging") || !is_true(t, "management_events_all") {
            continue;
        }
        let lg_arn = lg_arn.strip_suffix(":*").unwrap_or(lg_arn);
        trails.push(json!({"name": t.name, "arn": t.uid, "log_group_arn": lg_arn}));
        let (Some((region, lg_account)), Some(lg_name)) =
            (arn_region_account(lg_arn), log_group_name(lg_arn))
        else {
            continue;
        };
        // A log group in another account (an organization trail seen from
        // a member account) cannot be inspected from here: no chain.
        if lg_account != account {
            continue;
        }
        if !scanned(region) {
            problems.add(
                "logs:DescribeMetricFilters",
                ErrorKind::Other,
                format!(
                    "the log group of trail {} is in {region}, which was not scanned",
                    t.name
                ),
            );
            continue;
        }
        let mut region_ok = true;
        for (ty, what) in [
            (LOG_GROUP, "log groups could not be listed"),
            (ALARM, "alarms could not be listed"),
            (TOPIC, "SNS topics could not be listed"),
        ] {
            if let Some(e) = scope_error(ty, region) {
                problems.scope_failed(e, what);
                region_ok = false;
            }
        }
        if !region_ok {
            continue;
        }
        let Some(group) = mine(LOG_GROUP).find(|g| g.region == region && g.name == lg_name) else {
            continue; // the trail delivers to a log group that does not exist
        };
        if let Some(e) = group.prop_error("metric_filters") {
            problems.prop_failed(e, &format!("log group {lg_name}"));
            continue;
        }
        let filters = group
            .props
            .get("metric_filters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for f in &filters {
            let metrics = f["metrics"].as_array().cloned().unwrap_or_default();
            for m in &metrics {
                let (Some(name), Some(ns)) = (m["name"].as_str(), m["namespace"].as_str()) else {
                    continue;
                };
                let alarms: Vec<&Resource> = mine(ALARM)
                    .filter(|a| a.region == region && watches(a, name, ns))
                    .collect();
                let mut topic_arns = BTreeSet::new();
                for a in alarms.iter().filter(|a| is_true(a, "actions_enabled")) {
                    if let Some(list) = a.props.get("sns_topics").and_then(Value::as_array) {
                        topic_arns.extend(list.iter().filter_map(Value::as_str));
                    }
                }
                let topics: Vec<Value> = topic_arns
                    .iter()
                    .map(|arn| {
                        topic(
                            arn,
                            account,
                            resources,
                            &scope_error,
                            &scanned,
                            &mut problems,
                        )
                    })
                    .collect();
                let subscribed = topics.iter().any(|t| t["subscribed"] == true);
                chains.push(json!({
                    "trail": t.name,
                    "log_group": lg_name,
                    "filter_name": f["name"],
                    "pattern": f["pattern"],
                    "metric_name": name,
                    "metric_namespace": ns,
                    "alarms": alarms.iter().map(|a| json!({
                        "name": a.name,
                        "arn": a.uid,
                        "actions_enabled": a.props.get("actions_enabled").cloned().unwrap_or(Value::Null),
                        "sns_topics": a.props.get("sns_topics").cloned().unwrap_or_else(|| json!([])),
                    })).collect::<Vec<_>>(),
                    "topics": topics,
                    "subscribed": subscribed,
                }));
            }
        }
    }

    let mut props = Map::new();
    props.insert("monitored_trails".into(), Value::Array(trails));
    let errors = problems.0;
    props.insert(
        "chains".into(),
        if errors.is_empty() {
            Value::Array(chains)
        } else {
            Value::Null
        },
    );
    Resource {
        uid: format!("arn:aws:cloudwatch::{account}:monitoring"),
        resource_type: MONITORING.to_string(),
        account: account.to_string(),
        region: GLOBAL_REGION.to_string(),
        name: "monitoring".to_string(),
        tags: Default::default(),
        props: Value::Object(props),
        errors,
    }
}

/// One SNS topic an alarm notifies: `subscribed` is true with a confirmed
/// subscription, false without one (or when the topic does not exist), and
/// null when the topic lies outside what was collected (another account).
fn topic<'a>(
    arn: &str,
    account: &str,
    resources: &[Resource],
    scope_error: &impl Fn(&str, &str) -> Option<&'a CollectionError>,
    scanned: &impl Fn(&str) -> bool,
    problems: &mut Problems,
) -> Value {
    let found = resources
        .iter()
        .find(|r| r.resource_type == TOPIC && r.uid == arn);
    match found {
        Some(t) => {
            if let Some(e) = t.prop_error("subscriptions") {
                problems.prop_failed(e, &format!("SNS topic {}", t.name));
                return json!({"arn": arn, "subscribed": Value::Null, "confirmed_subscriptions": Value::Null});
            }
            let confirmed = t
                .props
                .get("subscriptions")
                .and_then(Value::as_array)
                .map_or(0, |s| s.iter().filter(|s| s["pending"] == false).count());
            json!({"arn": arn, "subscribed": confirmed > 0, "confirmed_subscriptions": confirmed})
        }
        None => {
            let Some((region, topic_account)) = arn_region_account(arn) else {
                return json!({"arn": arn, "subscribed": Value::Null, "confirmed_subscriptions": Value::Null});
            };
            if topic_account == account && scanned(region) {
                if let Some(e) = scope_error(TOPIC, region) {
                    problems.scope_failed(e, "SNS topics could not be listed");
                    return json!({"arn": arn, "subscribed": Value::Null, "confirmed_subscriptions": Value::Null});
                }
                // Listed without error and not there: the topic is gone.
                return json!({"arn": arn, "subscribed": false, "confirmed_subscriptions": 0});
            }
            json!({"arn": arn, "subscribed": Value::Null, "confirmed_subscriptions": Value::Null})
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    const ACCOUNT: &str = "123456789012";
    const REGION: &str = "ap-northeast-2";
    const LG_ARN: &str = "arn:aws:logs:ap-northeast-2:123456789012:log-group:cloudtrail/org:*";
    const TOPIC_ARN: &str = "arn:aws:sns:ap-northeast-2:123456789012:security-alerts";
    const ROOT: &str = r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#;

    fn res(t: &str, name: &str, uid: &str, props: Value) -> Resource {
        Resource {
            uid: uid.to_string(),
            resource_type: t.to_string(),
            account: ACCOUNT.to_string(),
            region: REGION.to_string(),
            name: name.to_string(),
            tags: Default::default(),
            props,
            errors: vec![],
        }
    }

    fn trail(logging: bool) -> Resource {
        res(
            TRAIL,
            "org",
            "arn:aws:cloudtrail:ap-northeast-2:123456789012:trail/org",
            json!({"is_multi_region": true, "is_logging": logging, "management_events_all": true,
                   "cloudwatch_logs_log_group_arn": LG_ARN}),
        )
    }

    fn account() -> Vec<Resource> {
        vec![
            trail(true),
            res(
                LOG_GROUP,
                "cloudtrail/org",
                "arn:aws:logs:ap-northeast-2:123456789012:log-group:cloudtrail/org",
                json!({"metric_filters": [{"name": "root", "pattern": ROOT,
                        "metrics": [{"name": "RootUsage", "namespace": "CIS"}]}]}),
            ),
            res(
                LOG_GROUP,
                "/app",
                "arn:aws:logs:ap-northeast-2:123456789012:log-group:/app",
                json!({"metric_filters": [{"name": "app-root", "pattern": ROOT,
                        "metrics": [{"name": "AppRoot", "namespace": "CIS"}]}]}),
            ),
            res(
                ALARM,
                "root",
                "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:root",
                json!({"metric_name": "RootUsage", "namespace": "CIS", "actions_enabled": true,
                       "sns_topics": [TOPIC_ARN], "metrics": []}),
            ),
            res(
                TOPIC,
                "security-alerts",
                TOPIC_ARN,
                json!({"subscriptions": [{"protocol": "email", "endpoint": "a@example.com", "pending": false}]}),
            ),
        ]
    }

    fn inventory(resources: Vec<Resource>, errors: Vec<CollectionError>) -> Inventory {
        Inventory {
            accounts: vec![ACCOUNT.into()],
            regions: vec![REGION.into()],
            services: INPUTS.iter().map(|s| s.to_string()).collect(),
            resource_types: vec![TRAIL.into(), LOG_GROUP.into(), ALARM.into(), TOPIC.into()],
            resources,
            errors,
            ..Inventory::default()
        }
    }

    fn derived(resources: Vec<Resource>, errors: Vec<CollectionError>) -> Resource {
        let mut inv = inventory(resources, errors);
        apply(&mut inv);
        assert!(inv.resource_types.iter().any(|t| t == MONITORING));
        inv.resources
            .into_iter()
            .find(|r| r.resource_type == MONITORING)
            .unwrap()
    }

    fn scope_error(t: &str, action: &str) -> CollectionError {
        CollectionError {
            account: ACCOUNT.into(),
            region: REGION.into(),
            service: rampart_inventory::service_of(t).into(),
            resource_types: vec![t.into()],
            action: action.into(),
            kind: ErrorKind::AccessDenied,
            message: String::new(),
        }
    }

    #[test]
    fn complete_chain_is_subscribed() {
        let m = derived(account(), vec![]);
        assert_eq!(m.uid, "arn:aws:cloudwatch::123456789012:monitoring");
        assert_eq!(m.region, "global");
        assert!(m.errors.is_empty());
        let chains = m.props["chains"].as_array().unwrap();
        // Only the trail's log group counts, not /app.
        assert_eq!(chains.len(), 1);
        let c = &chains[0];
        assert_eq!(c["filter_name"], "root");
        assert_eq!(c["pattern"], ROOT);
        assert_eq!(c["alarms"][0]["name"], "root");
        assert_eq!(c["topics"][0]["confirmed_subscriptions"], 1);
        assert_eq!(c["subscribed"], true);
        assert_eq!(m.props["monitored_trails"][0]["name"], "org");
        assert_eq!(
            m.props["monitored_trails"][0]["log_group_arn"],
            "arn:aws:logs:ap-northeast-2:123456789012:log-group:cloudtrail/org"
        );
    }

    #[test]
    fn broken_links_leave_the_chain_unsubscribed() {
        // No subscriber.
        let mut rs = account();
        rs[4].props = json!({"subscriptions": []});
        let m = derived(rs, vec![]);
        assert_eq!(m.props["chains"][0]["subscribed"], false);
        // Actions disabled: the topic does not count.
        let mut rs = account();
        rs[3].props["actions_enabled"] = json!(false);
        let m = derived(rs, vec![]);
        assert_eq!(m.props["chains"][0]["subscribed"], false);
        assert_eq!(m.props["chains"][0]["topics"], json!([]));
        // Topic deleted (listed without error, not found).
        let mut rs = account();
        rs.remove(4);
        let m = derived(rs, vec![]);
        assert_eq!(m.props["chains"][0]["topics"][0]["subscribed"], false);
        // Trail not logging: no chain at all.
        let mut rs = account();
        rs[0] = trail(false);
        let m = derived(rs, vec![]);
        assert_eq!(m.props["chains"], json!([]));
        assert_eq!(m.props["monitored_trails"], json!([]));
        assert!(m.errors.is_empty());
    }

    #[test]
    fn missing_sns_data_is_an_error_not_a_fail() {
        // Subscriptions of the alarm's topic could not be read.
        let mut rs = account();
        rs[4].props = json!({"subscriptions": null});
        rs[4].errors.push(PropError {
            prop: "subscriptions".into(),
            action: "sns:ListSubscriptions".into(),
            kind: ErrorKind::AccessDenied,
            message: String::new(),
        });
        let m = derived(rs, vec![]);
        assert_eq!(m.props["chains"], Value::Null);
        let e = m.prop_error("chains").unwrap();
        assert_eq!(e.action, "sns:ListSubscriptions");
        assert_eq!(e.kind, ErrorKind::AccessDenied);
        assert!(e.message.contains("security-alerts"), "{}", e.message);

        // SNS topics could not be listed in the log group's region.
        let mut rs = account();
        rs.remove(4);
        let m = derived(rs, vec![scope_error(TOPIC, "sns:ListTopics")]);
        assert_eq!(m.props["chains"], Value::Null);
        assert_eq!(m.prop_error("chains").unwrap().action, "sns:ListTopics");
    }

    #[test]
    fn other_missing_inputs_are_errors() {
        for (t, action) in [
            (TRAIL, "cloudtrail:DescribeTrails"),
            (LOG_GROUP, "logs:DescribeLogGroups"),
            (ALARM, "cloudwatch:DescribeAlarms"),
        ] {
            let m = derived(account(), vec![scope_error(t, action)]);
            assert_eq!(m.props["chains"], Value::Null, "{t}");
            assert_eq!(m.prop_error("chains").unwrap().action, action);
        }
        // Metric filters of the trail's log group unreadable.
        let mut rs = account();
        rs[1].errors.push(PropError {
            prop: "metric_filters".into(),
            action: "logs:DescribeMetricFilters".into(),
            kind: ErrorKind::Throttled,
            message: String::new(),
        });
        let m = derived(rs, vec![]);
        assert_eq!(m.prop_error("chains").unwrap().kind, ErrorKind::Throttled);
        // Trail status unreadable.
        let mut rs = account();
        rs[0].errors.push(PropError {
            prop: "is_logging".into(),
            action: "cloudtrail:GetTrailStatus".into(),
            kind: ErrorKind::AccessDenied,
            message: String::new(),
        });
        let m = derived(rs, vec![]);
        assert_eq!(
            m.prop_error("chains").unwrap().action,
            "cloudtrail:GetTrailStatus"
        );
        // An SNS failure in a region the chain does not use changes nothing.
        let mut e = scope_error(TOPIC, "sns:ListTopics");
        e.region = "us-east-1".into();
        let m = derived(account(), vec![e]);
        assert!(m.errors.is_empty());
        assert_eq!(m.props["chains"][0]["subscribed"], true);
    }

    #[test]
    fn metric_math_alarms_count() {
        let mut rs = account();
        rs[3].props = json!({"metric_name": null, "namespace": null, "actions_enabled": true,
            "sns_topics": [TOPIC_ARN],
            "metrics": [{"id": "m1", "metric_name": "RootUsage", "namespace": "CIS"}]});
        let m = derived(rs, vec![]);
        assert_eq!(m.props["chains"][0]["subscribed"], true);
    }

    #[test]
    fn not_derived_without_every_input_service() {
        let mut inv = inventory(account(), vec![]);
        inv.services = vec!["cloudtrail".into(), "logs".into(), "cloudwatch".into()];
        apply(&mut inv);
        assert!(inv.resources.iter().all(|r| r.resource_type != MONITORING));
        assert!(!inv.resource_types.iter().any(|t| t == MONITORING));
    }

    #[test]
    fn stays_sorted() {
        let mut rs = account();
        rs.sort_by(|a, b| {
            (&a.resource_type, &a.region, &a.uid).cmp(&(&b.resource_type, &b.region, &b.uid))
        });
        let mut inv = inventory(rs, vec![]);
        apply(&mut inv);
        let keys: Vec<_> = inv
            .resources
            .iter()
            .map(|r| (&r.resource_type, &r.region, &r.uid))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn trail_coverage_needs_a_logging_multi_region_trail() {
        let covered = trail_coverage("123456789012", &[trail(true)], &[]);
        assert_eq!(covered.resource_type, TRAILS);
        assert_eq!(covered.props["multi_region_trails"], json!(["org"]));
        let off = trail_coverage("123456789012", &[trail(false)], &[]);
        assert_eq!(off.props["multi_region_trails"], json!([]));
        assert!(off.errors.is_empty());
        // A failed listing is an error, not "no trail".
        let failed = trail_coverage(
            "123456789012",
            &[],
            &[scope_error(TRAIL, "cloudtrail:DescribeTrails")],
        );
        assert_eq!(failed.props["multi_region_trails"], Value::Null);
        assert_eq!(failed.errors[0].prop, "multi_region_trails");
        // ...unless a qualifying trail is known anyway.
        let known = trail_coverage(
            "123456789012",
            &[trail(true)],
            &[scope_error(TRAIL, "cloudtrail:DescribeTrails")],
        );
        assert_eq!(known.props["multi_region_trails"], json!(["org"]));
    }
}
