//! CloudWatch Logs log groups with retention, encryption and the metric
//! filters defined on them (CIS monitoring rules read those).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Service;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts_millis};

pub(crate) const LOG_GROUP: &str = "aws.logs.log_group";

pub(crate) const SERVICE: Service = Service {
    name: "logs",
    global: false,
    types: &[LOG_GROUP],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.logs();
    let mut out = Output::default();
    // Every metric filter of the region in one paginated listing.
    let (groups, filters) = tokio::join!(
        all_items!(client.describe_log_groups()),
        all_items!(client.describe_metric_filters())
    );
    let groups = match groups {
        Ok(g) => g,
        Err(f) => {
            out.fail(&scope, &[LOG_GROUP], "logs:DescribeLogGroups", f);
            return out;
        }
    };
    let mut by_group: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let filters = filters.map(|list| {
        for f in list {
            if let Some(g) = f.log_group_name() {
                let metrics: Vec<Value> = f
                    .metric_transformations()
                    .iter()
                    .map(|m| json!({"name": m.metric_name(), "namespace": m.metric_namespace()}))
                    .collect();
                by_group.entry(g.to_string()).or_default().push(json!({
                    "name": f.filter_name(),
                    "pattern": f.filter_pattern(),
                    "metrics": metrics,
                }));
            }
        }
    });
    for g in groups {
        let name = g.log_group_name().unwrap_or_default();
        let arn = g
            .arn()
            .map(|a| a.trim_end_matches(":*").to_string())
            .unwrap_or_else(|| scope.arn("logs", &format!("log-group:{name}")));
        let mut r = scope.resource(LOG_GROUP, arn, name);
        put(
            &mut r,
            json!({
                "retention_in_days": g.retention_in_days(),
                "kms_key_id": opt_str(g.kms_key_id()),
                "stored_bytes": g.stored_bytes(),
                "creation_time": ts_millis(g.creation_time()),
            }),
        );
        match &filters {
            Ok(()) => put(
                &mut r,
                json!({"metric_filters": by_group.get(name).cloned().unwrap_or_default()}),
            ),
            Err(f) => set_prop(
                &mut r,
                "metric_filters",
                "logs:DescribeMetricFilters",
                Err(f.clone()),
            ),
        }
        out.resources.push(r);
    }
    out
}
