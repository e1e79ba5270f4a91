//! Redshift: provisioned clusters with their exposure, encryption, backups,
//! audit logging and the TLS setting of their parameter group.
//!
//! `require_ssl` lives in the cluster's parameter group, not on the cluster:
//! each distinct group is read once (DescribeClusterParameters), however many
//! clusters share it, and its values are joined onto every cluster using it.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const CLUSTER: &str = "aws.redshift.cluster";

pub(crate) const SERVICE: Service = Service {
    name: "redshift",
    global: false,
    types: &[CLUSTER],
    collect: |s| Box::pin(collect(s)),
};

/// The parameters read from a parameter group, by name.
type Params = BTreeMap<String, String>;

/// The parameters the inventory keeps, under their own names, as booleans
/// (Redshift stores them as the strings `true` / `false`).
const BOOL_PARAMS: &[&str] = &[
    "require_ssl",
    "enable_user_activity_logging",
    "use_fips_ssl",
];

fn param_bool(params: &Params, name: &str) -> Value {
    match params.get(name).map(|v| v.trim().to_ascii_lowercase()) {
        Some(v) if v == "true" => Value::Bool(true),
        Some(v) if v == "false" => Value::Bool(false),
        _ => Value::Null,
    }
}

async fn group_params(client: &aws_sdk_redshift::Client, group: &str) -> Result<Params, Failure> {
    let list = all_items!(
        client
            .describe_cluster_parameters()
            .parameter_group_name(group)
    )
    .await?;
    Ok(list
        .into_iter()
        .filter_map(|p| {
            Some((
                p.parameter_name()?.to_string(),
                p.parameter_value().unwrap_or_default().to_string(),
            ))
        })
        .collect())
}

/// The cluster's parameter group (a cluster has one; the API lists it with
/// its apply status).
fn group_of(c: &aws_sdk_redshift::types::Cluster) -> Option<String> {
    c.cluster_parameter_groups()
        .first()
        .and_then(|g| g.parameter_group_name())
        .map(str::to_string)
}

async fn collect(scope: Scope) -> Output {
    let client = scope.redshift();
    let mut out = Output::default();
    let clusters = match all_items!(client.describe_clusters()).await {
        Ok(c) => c,
        Err(f) => {
            out.fail(&scope, &[CLUSTER], "redshift:DescribeClusters", f);
            return out;
        }
    };
    let groups: BTreeSet<String> = clusters.iter().filter_map(group_of).collect();
    let ids: Vec<String> = clusters
        .iter()
        .filter_map(|c| c.cluster_identifier().map(str::to_string))
        .collect();

    // Parameter groups and logging status are independent reads: run both
    // fan-outs at once.
    let (params, logging) = tokio::join!(
        futures_util::stream::iter(groups)
            .map(|g| {
                let client = &client;
                async move {
                    let r = group_params(client, &g).await;
                    (g, r)
                }
            })
            .buffer_unordered(scope.fanout())
            .collect::<BTreeMap<_, _>>(),
        futures_util::stream::iter(ids)
            .map(|id| {
                let client = &client;
                async move {
                    let r = client
                        .describe_logging_status()
                        .cluster_identifier(&id)
                        .send()
                        .await
                        .map_err(|e| classify(&e));
                    (id, r)
                }
            })
            .buffer_unordered(scope.fanout())
            .collect::<BTreeMap<_, _>>(),
    );

    for c in &clusters {
        let id = c.cluster_identifier().unwrap_or_default();
        let arn = scope.arn("redshift", &format!("cluster:{id}"));
        let mut r = scope.resource(CLUSTER, arn, id);
        r.tags = c
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_string(),
                    t.value().unwrap_or_default().to_string(),
                ))
            })
            .collect();
        let group = c.cluster_parameter_groups().first();
        put(
            &mut r,
            json!({
                "cluster_identifier": id,
                "node_type": opt_str(c.node_type()),
                "number_of_nodes": c.number_of_nodes(),
                "status": opt_str(c.cluster_status()),
                "cluster_version": opt_str(c.cluster_version()),
                "db_name": opt_str(c.db_name()),
                "master_username": opt_str(c.master_username()),
                "endpoint_address": opt_str(c.endpoint().and_then(|e| e.address())),
                "port": c.endpoint().and_then(|e| e.port()),
                "publicly_accessible": c.publicly_accessible().unwrap_or(false),
                "encrypted": c.encrypted().unwrap_or(false),
                "kms_key_id": opt_str(c.kms_key_id()),
                "enhanced_vpc_routing": c.enhanced_vpc_routing().unwrap_or(false),
                "automated_snapshot_retention_period": c.automated_snapshot_retention_period(),
                "manual_snapshot_retention_period": c.manual_snapshot_retention_period(),
                "allow_version_upgrade": c.allow_version_upgrade().unwrap_or(false),
                "vpc_id": opt_str(c.vpc_id()),
                "subnet_group": opt_str(c.cluster_subnet_group_name()),
                "vpc_security_groups": c.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).collect::<Vec<_>>(),
                "availability_zone": opt_str(c.availability_zone()),
                "iam_roles": c.iam_roles().iter().filter_map(|x| x.iam_role_arn()).collect::<Vec<_>>(),
                "parameter_group": opt_str(group.and_then(|g| g.parameter_group_name())),
                "parameter_apply_status": opt_str(group.and_then(|g| g.parameter_apply_status())),
                "create_time": ts(c.cluster_create_time()),
            }),
        );
        let read = group_of(c).and_then(|g| params.get(&g));
        for name in BOOL_PARAMS {
            let value = match read {
                Some(Ok(p)) => Ok(param_bool(p, name)),
                Some(Err(f)) => Err(f.clone()),
                // No parameter group named: nothing to read, nothing known.
                None => Ok(Value::Null),
            };
            set_prop(&mut r, name, "redshift:DescribeClusterParameters", value);
        }
        match logging.get(id) {
            Some(Ok(l)) => put(
                &mut r,
                json!({"logging": {
                    "enabled": l.logging_enabled().unwrap_or(false),
                    "destination_type": l.log_destination_type().map(|d| d.as_str()),
                    "bucket_name": opt_str(l.bucket_name()),
                    "s3_key_prefix": opt_str(l.s3_key_prefix()),
                    "log_exports": l.log_exports(),
                    "last_failure_message": opt_str(l.last_failure_message()),
                }}),
            ),
            Some(Err(f)) => set_prop(
                &mut r,
                "logging",
                "redshift:DescribeLoggingStatus",
                Err(f.clone()),
            ),
            None => put(&mut r, json!({"logging": null})),
        }
        out.resources.push(r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_strings_become_booleans() {
        let p: Params = [
            ("require_ssl".to_string(), "TRUE".to_string()),
            ("use_fips_ssl".to_string(), "false".to_string()),
            ("odd".to_string(), "maybe".to_string()),
        ]
        .into_iter()
        .collect();
        assert_eq!(param_bool(&p, "require_ssl"), Value::Bool(true));
        assert_eq!(param_bool(&p, "use_fips_ssl"), Value::Bool(false));
        assert_eq!(param_bool(&p, "odd"), Value::Null);
        assert_eq!(param_bool(&p, "absent"), Value::Null);
    }
}
