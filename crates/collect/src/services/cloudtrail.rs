//! CloudTrail trails, each listed once in its home region, with status and
//! event selectors.

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};

pub(crate) const TRAIL: &str = "aws.cloudtrail.trail";

pub(crate) const SERVICE: Service = Service {
    name: "cloudtrail",
    global: false,
    types: &[TRAIL],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.cloudtrail();
    let mut out = Output::default();
    let trails = match client
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
    {
        Ok(o) => o.trail_list.unwrap_or_default(),
        Err(e) => {
            out.fail(&scope, &[TRAIL], "cloudtrail:DescribeTrails", classify(&e));
            return out;
        }
    };
    let trails: Vec<_> = trails
        .into_iter()
        .filter(|t| t.home_region().is_none_or(|h| h == scope.region))
        .collect();
    let built = futures_util::stream::iter(trails)
        .map(|t| {
            let scope = &scope;
            let client = &client;
            async move {
                let arn = t.trail_arn().unwrap_or_default().to_string();
                let name = t.name().unwrap_or_default();
                let mut r = scope.resource(TRAIL, arn.clone(), name);
                put(
                    &mut r,
                    json!({
                        "home_region": opt_str(t.home_region()),
                        "is_multi_region": t.is_multi_region_trail().unwrap_or(false),
                        "is_organization_trail": t.is_organization_trail().unwrap_or(false),
                        "log_file_validation": t.log_file_validation_enabled().unwrap_or(false),
                        "kms_key_id": opt_str(t.kms_key_id()),
                        "s3_bucket_name": opt_str(t.s3_bucket_name()),
                        "cloudwatch_logs_log_group_arn": opt_str(t.cloud_watch_logs_log_group_arn()),
                        "include_global_service_events": t.include_global_service_events().unwrap_or(false),
                    }),
                );
                let (status, selectors) = tokio::join!(
                    client.get_trail_status().name(&arn).send(),
                    client.get_event_selectors().trail_name(&arn).send(),
                );
                match status {
                    Ok(s) => put(
                        &mut r,
                        json!({
                            "is_logging": s.is_logging().unwrap_or(false),
                            "latest_delivery_time": ts(s.latest_delivery_time()),
                            "latest_delivery_error": opt_str(s.latest_delivery_error()),
                        }),
                    ),
                    Err(e) => {
                        set_prop(&mut r, "is_logging", "cloudtrail:GetTrailStatus", Err(classify(&e)));
                        set_prop(&mut r, "latest_delivery_time", "cloudtrail:GetTrailStatus", Err(classify(&e)));
                    }
                }
                match selectors {
                    Ok(s) => {
                        let basic: Vec<Value> = s
                            .event_selectors()
                            .iter()
                            .map(|e| {
                                json!({
                                    "read_write_type": e.read_write_type().map(|t| t.as_str()),
                                    "include_management_events": e.include_management_events().unwrap_or(false),
                                    "data_resources": e.data_resources().iter().map(|d| json!({
                                        "type": d.r#type(), "values": d.values(),
                                    })).collect::<Vec<_>>(),
                                })
                            })
                            .collect();
                        let advanced: Vec<Value> = s
                            .advanced_event_selectors()
                            .iter()
                            .map(|a| {
                                json!({
                                    "name": a.name(),
                                    "field_selectors": a.field_selectors().iter().map(|f| json!({
                                        "field": f.field(), "equals": f.equals(), "not_equals": f.not_equals(),
                                        "starts_with": f.starts_with(), "not_starts_with": f.not_starts_with(),
                                    })).collect::<Vec<_>>(),
                                })
                            })
                            .collect();
                        let mgmt_all = management_events_all(&basic, &advanced);
                        put(
                            &mut r,
                            json!({"event_selectors": basic, "advanced_event_selectors": advanced, "management_events_all": mgmt_all}),
                        );
                    }
                    Err(e) => {
                        let f = classify(&e);
                        for p in ["event_selectors", "advanced_event_selectors", "management_events_all"] {
                            set_prop(&mut r, p, "cloudtrail:GetEventSelectors", Err(f.clone()));
                        }
                    }
                }
                r
            }
        })
        .buffer_unordered(scope.fanout())
        .collect::<Vec<_>>()
        .await;
    out.resources.extend(built);
    out
}

/// Some selector captures both read and write management events.
fn management_events_all(basic: &[Value], advanced: &[Value]) -> bool {
    let basic_ok = basic
        .iter()
        .any(|s| s["include_management_events"] == true && s["read_write_type"] == "All");
    let advanced_ok = advanced.iter().any(|a| {
        let fields = a["field_selectors"].as_array().cloned().unwrap_or_default();
        let is_mgmt = fields.iter().any(|f| {
            f["field"] == "eventCategory"
                && f["equals"]
                    .as_array()
                    .is_some_and(|v| v.iter().any(|x| x == "Management"))
        });
        let read_only_filtered = fields.iter().any(|f| f["field"] == "readOnly");
        is_mgmt && !read_only_filtered
    });
    // No selectors at all: CloudTrail's default logs all management events.
    basic_ok || advanced_ok || (basic.is_empty() && advanced.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn management_selectors() {
        let all = json!({"include_management_events": true, "read_write_type": "All"});
        let write = json!({"include_management_events": true, "read_write_type": "WriteOnly"});
        assert!(management_events_all(&[all], &[]));
        assert!(!management_events_all(&[write], &[]));
        let adv =
            json!({"field_selectors": [{"field": "eventCategory", "equals": ["Management"]}]});
        assert!(management_events_all(&[], &[adv]));
    }
}
