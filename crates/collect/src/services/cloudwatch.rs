//! CloudWatch alarms (metric and composite), from one paginated
//! DescribeAlarms listing per region.
//!
//! Alarm tags would take one ListTagsForResource call per alarm; nothing
//! reads them yet, so they are not collected (`tags` stays empty).
//!
//! The SDK crate is pinned to the release that speaks CloudWatch's Query
//! protocol (see crates/collect/Cargo.toml): newer ones speak only Smithy
//! RPC v2 CBOR, which the emulator the tests use does not serve.

use aws_sdk_cloudwatch::types::{AlarmType, CompositeAlarm, MetricAlarm};
use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::scope::{Output, Scope, opt_str, put, ts};

pub(crate) const ALARM: &str = "aws.cloudwatch.alarm";

pub(crate) const SERVICE: Service = Service {
    name: "cloudwatch",
    global: false,
    types: &[ALARM],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.cloudwatch();
    let mut out = Output::default();
    let mut pages = client
        .describe_alarms()
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .into_paginator()
        .send();
    let mut metric = Vec::new();
    let mut composite = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                metric.extend(p.metric_alarms.unwrap_or_default());
                composite.extend(p.composite_alarms.unwrap_or_default());
            }
            Err(e) => {
                out.fail(&scope, &[ALARM], "cloudwatch:DescribeAlarms", classify(&e));
                return out;
            }
        }
    }
    for a in &metric {
        out.resources.push(metric_alarm(&scope, a));
    }
    for a in &composite {
        out.resources.push(composite_alarm(&scope, a));
    }
    out
}

/// Alarm actions that publish to an SNS topic.
fn sns_topics(actions: &[String]) -> Vec<&str> {
    actions
        .iter()
        .map(String::as_str)
        .filter(|a| a.split(':').nth(2) == Some("sns"))
        .collect()
}

fn common(
    scope: &Scope,
    name: Option<&str>,
    arn: Option<&str>,
    kind: &str,
    actions: (&[String], &[String], &[String]),
) -> rampart_inventory::Resource {
    let name = name.unwrap_or_default();
    let arn = arn
        .map(str::to_string)
        .unwrap_or_else(|| scope.arn("cloudwatch", &format!("alarm:{name}")));
    let (alarm, ok, insufficient) = actions;
    let mut r = scope.resource(ALARM, arn, name);
    put(
        &mut r,
        json!({
            "alarm_type": kind,
            "alarm_actions": alarm,
            "ok_actions": ok,
            "insufficient_data_actions": insufficient,
            "sns_topics": sns_topics(alarm),
        }),
    );
    r
}

fn metric_alarm(scope: &Scope, a: &MetricAlarm) -> rampart_inventory::Resource {
    let mut r = common(
        scope,
        a.alarm_name(),
        a.alarm_arn(),
        "metric",
        (
            a.alarm_actions(),
            a.ok_actions(),
            a.insufficient_data_actions(),
        ),
    );
    let statistic = a.statistic().map(|s| s.as_str()).or(a.extended_statistic());
    let metrics: Vec<Value> = a
        .metrics()
        .iter()
        .map(|q| {
            let m = q.metric_stat().and_then(|s| s.metric());
            json!({
                "id": q.id(),
                "metric_name": m.and_then(|m| m.metric_name()),
                "namespace": m.and_then(|m| m.namespace()),
                "expression": opt_str(q.expression()),
                "return_data": q.return_data(),
            })
        })
        .collect();
    put(
        &mut r,
        json!({
            "description": opt_str(a.alarm_description()),
            "actions_enabled": a.actions_enabled(),
            "state": a.state_value().map(|s| s.as_str()),
            "state_updated": ts(a.state_updated_timestamp()),
            "metric_name": opt_str(a.metric_name()),
            "namespace": opt_str(a.namespace()),
            "dimensions": a.dimensions().iter().map(|d| json!({"name": d.name(), "value": d.value()})).collect::<Vec<_>>(),
            "statistic": statistic,
            "period": a.period(),
            "evaluation_periods": a.evaluation_periods(),
            "datapoints_to_alarm": a.datapoints_to_alarm(),
            "threshold": a.threshold(),
            "comparison_operator": a.comparison_operator().map(|c| c.as_str()),
            "treat_missing_data": opt_str(a.treat_missing_data()),
            "metrics": metrics,
            "alarm_rule": Value::Null,
        }),
    );
    r
}

fn composite_alarm(scope: &Scope, a: &CompositeAlarm) -> rampart_inventory::Resource {
    let mut r = common(
        scope,
        a.alarm_name(),
        a.alarm_arn(),
        "composite",
        (
            a.alarm_actions(),
            a.ok_actions(),
            a.insufficient_data_actions(),
        ),
    );
    put(
        &mut r,
        json!({
            "description": opt_str(a.alarm_description()),
            "actions_enabled": a.actions_enabled(),
            "state": a.state_value().map(|s| s.as_str()),
            "state_updated": ts(a.state_updated_timestamp()),
            "metric_name": Value::Null,
            "namespace": Value::Null,
            "dimensions": [],
            "metrics": [],
            "alarm_rule": opt_str(a.alarm_rule()),
        }),
    );
    r
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use aws_sdk_cloudwatch::types::{
        ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, StateValue, Statistic,
    };

    use super::*;
    use crate::CollectOptions;
    use crate::scope::Shared;

    fn scope() -> Scope {
        let conf = aws_types::SdkConfig::builder().build();
        let shared = Shared::new(
            "123456789012".into(),
            &conf,
            &CollectOptions::default(),
            Default::default(),
        );
        Scope::new(Arc::new(shared), "cloudwatch", "ap-northeast-2")
    }

    const TOPIC: &str = "arn:aws:sns:ap-northeast-2:123456789012:security-alerts";

    #[test]
    fn sns_actions_are_recognised() {
        let actions = vec![
            TOPIC.to_string(),
            "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x".to_string(),
            "arn:aws:automate:us-east-1:ec2:stop".to_string(),
            "arn:aws-cn:sns:cn-north-1:123456789012:alerts".to_string(),
        ];
        assert_eq!(
            sns_topics(&actions),
            [TOPIC, "arn:aws-cn:sns:cn-north-1:123456789012:alerts"]
        );
    }

    #[test]
    fn metric_alarm_props() {
        let a = MetricAlarm::builder()
            .alarm_name("cis-root-usage")
            .alarm_arn("arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:cis-root-usage")
            .actions_enabled(true)
            .alarm_actions(TOPIC)
            .state_value(StateValue::Ok)
            .metric_name("RootAccountUsage")
            .namespace("CISBenchmark")
            .statistic(Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .dimensions(Dimension::builder().name("Env").value("prod").build())
            .build();
        let r = metric_alarm(&scope(), &a);
        assert_eq!(r.resource_type, ALARM);
        assert_eq!(r.name, "cis-root-usage");
        let p = &r.props;
        assert_eq!(p["alarm_type"], "metric");
        assert_eq!(p["actions_enabled"], true);
        assert_eq!(p["state"], "OK");
        assert_eq!(p["metric_name"], "RootAccountUsage");
        assert_eq!(p["statistic"], "Sum");
        assert_eq!(p["threshold"], 1.0);
        assert_eq!(p["comparison_operator"], "GreaterThanOrEqualToThreshold");
        assert_eq!(p["dimensions"], json!([{"name": "Env", "value": "prod"}]));
        assert_eq!(p["alarm_actions"], json!([TOPIC]));
        assert_eq!(p["ok_actions"], json!([]));
        assert_eq!(p["sns_topics"], json!([TOPIC]));
        assert_eq!(p["metrics"], json!([]));
    }

    #[test]
    fn metric_math_and_composite_alarms() {
        let q = MetricDataQuery::builder()
            .id("m1")
            .return_data(true)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("CISBenchmark")
                            .metric_name("IAMPolicyChanges")
                            .build(),
                    )
                    .period(300)
                    .stat("Sum")
                    .build(),
            )
            .build();
        let a = MetricAlarm::builder()
            .alarm_name("iam")
            .actions_enabled(false)
            .metrics(q)
            .build();
        let r = metric_alarm(&scope(), &a);
        // No ARN in the answer: built from the scope.
        assert_eq!(
            r.uid,
            "arn:aws:cloudwatch:ap-northeast-2:123456789012:alarm:iam"
        );
        assert_eq!(r.props["metric_name"], Value::Null);
        assert_eq!(r.props["actions_enabled"], false);
        assert_eq!(r.props["metrics"][0]["metric_name"], "IAMPolicyChanges");
        assert_eq!(r.props["metrics"][0]["namespace"], "CISBenchmark");

        let c = CompositeAlarm::builder()
            .alarm_name("api-degraded")
            .alarm_rule("ALARM(\"api-5xx\")")
            .actions_enabled(true)
            .alarm_actions(TOPIC)
            .build();
        let r = composite_alarm(&scope(), &c);
        assert_eq!(r.props["alarm_type"], "composite");
        assert_eq!(r.props["alarm_rule"], "ALARM(\"api-5xx\")");
        assert_eq!(r.props["metric_name"], Value::Null);
        assert_eq!(r.props["sns_topics"], json!([TOPIC]));
    }
}
