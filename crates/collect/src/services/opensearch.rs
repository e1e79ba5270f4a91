//! OpenSearch Service (and legacy Elasticsearch) domains: network exposure,
//! access policy, encryption at rest and in transit, fine-grained access
//! control, log publishing and resilience settings, with tags.
//!
//! ListDomainNames names every domain of the region (both engines);
//! DescribeDomains reads them five at a time (its limit); ListTags is per
//! domain.

use aws_sdk_opensearch::types::DomainStatus;
use futures_util::StreamExt;
use serde_json::{Map, Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, opt_str, put, set_prop};

pub(crate) const DOMAIN: &str = "aws.opensearch.domain";

pub(crate) const SERVICE: Service = Service {
    name: "opensearch",
    global: false,
    types: &[DOMAIN],
    collect: |s| Box::pin(collect(s)),
};

/// DescribeDomains takes at most five names per call.
const BATCH: usize = 5;

/// Props read from DescribeDomains: all `null` with an error when it fails.
const STATUS_PROPS: &[&str] = &[
    "engine_version",
    "endpoint",
    "in_vpc",
    "policy",
    "encryption_at_rest",
    "kms_key_id",
    "node_to_node_encryption",
    "enforce_https",
    "tls_security_policy",
    "fine_grained_access_control",
    "internal_user_database",
    "anonymous_auth_enabled",
    "cognito_enabled",
    "log_publishing",
    "audit_logs_enabled",
    "zone_awareness",
    "dedicated_master_enabled",
    "auto_tune_state",
    "auto_software_update",
];

/// One listed domain: described, or not (with why).
enum Described {
    Ok(Box<DomainStatus>),
    Failed(String, Failure),
}

fn status_props(d: &DomainStatus) -> Value {
    let vpc = d.vpc_options();
    let vpc_endpoint = d.endpoints().and_then(|e| e.get("vpc")).cloned();
    let in_vpc = vpc.is_some_and(|v| !v.subnet_ids().is_empty()) || vpc_endpoint.is_some();
    let cluster = d.cluster_config();
    let endpoint_opts = d.domain_endpoint_options();
    let security = d.advanced_security_options();
    let mut logs = Map::new();
    if let Some(opts) = d.log_publishing_options() {
        for (kind, o) in opts {
            logs.insert(
                kind.as_str().to_string(),
                json!({
                    "enabled": o.enabled().unwrap_or(false),
                    "log_group_arn": opt_str(o.cloud_watch_logs_log_group_arn()),
                }),
            );
        }
    }
    let audit = logs.get("AUDIT_LOGS").is_some_and(|a| a["enabled"] == true);
    json!({
        "domain_id": d.domain_id(),
        "engine_version": opt_str(d.engine_version()),
        "endpoint": opt_str(d.endpoint()),
        "vpc_endpoint": vpc_endpoint,
        "in_vpc": in_vpc,
        "vpc_id": opt_str(vpc.and_then(|v| v.vpc_id())),
        "subnet_ids": vpc.map(|v| v.subnet_ids()).unwrap_or_default(),
        "security_group_ids": vpc.map(|v| v.security_group_ids()).unwrap_or_default(),
        "ip_address_type": d.ip_address_type().map(|t| t.as_str()),
        "policy": d.access_policies().filter(|p| !p.trim().is_empty()).map(policy::parse),
        "encryption_at_rest": d.encryption_at_rest_options().and_then(|e| e.enabled()).unwrap_or(false),
        "kms_key_id": opt_str(d.encryption_at_rest_options().and_then(|e| e.kms_key_id())),
        "node_to_node_encryption": d.node_to_node_encryption_options().and_then(|e| e.enabled()).unwrap_or(false),
        "enforce_https": endpoint_opts.and_then(|e| e.enforce_https()).unwrap_or(false),
        "tls_security_policy": endpoint_opts.and_then(|e| e.tls_security_policy()).map(|p| p.as_str()),
        "custom_endpoint": opt_str(endpoint_opts.filter(|e| e.custom_endpoint_enabled() == Some(true)).and_then(|e| e.custom_endpoint())),
        "fine_grained_access_control": security.and_then(|s| s.enabled()).unwrap_or(false),
        "internal_user_database": security.and_then(|s| s.internal_user_database_enabled()).unwrap_or(false),
        "anonymous_auth_enabled": security.and_then(|s| s.anonymous_auth_enabled()).unwrap_or(false),
        "saml_enabled": security.and_then(|s| s.saml_options()).and_then(|s| s.enabled()).unwrap_or(false),
        "cognito_enabled": d.cognito_options().and_then(|c| c.enabled()).unwrap_or(false),
        "log_publishing": logs,
        "audit_logs_enabled": audit,
        "instance_type": cluster.and_then(|c| c.instance_type()).map(|t| t.as_str()),
        "instance_count": cluster.and_then(|c| c.instance_count()),
        "zone_awareness": cluster.and_then(|c| c.zone_awareness_enabled()).unwrap_or(false),
        "availability_zone_count": cluster.and_then(|c| c.zone_awareness_config()).and_then(|z| z.availability_zone_count()),
        "dedicated_master_enabled": cluster.and_then(|c| c.dedicated_master_enabled()).unwrap_or(false),
        "dedicated_master_count": cluster.and_then(|c| c.dedicated_master_count()),
        "multi_az_with_standby": cluster.and_then(|c| c.multi_az_with_standby_enabled()).unwrap_or(false),
        "auto_tune_state": d.auto_tune_options().and_then(|a| a.state()).map(|s| s.as_str()),
        "auto_software_update": d.software_update_options().and_then(|s| s.auto_software_update_enabled()).unwrap_or(false),
        "update_available": d.service_software_options().and_then(|s| s.update_available()),
        "processing": d.processing().unwrap_or(false),
        "deleted": d.deleted().unwrap_or(false),
    })
}

async fn collect(scope: Scope) -> Output {
    let client = scope.opensearch();
    let mut out = Output::default();
    let listed: Vec<(String, Option<String>)> = match client.list_domain_names().send().await {
        Ok(o) => o
            .domain_names()
            .iter()
            .filter_map(|d| {
                Some((
                    d.domain_name()?.to_string(),
                    d.engine_type().map(|e| e.as_str().to_string()),
                ))
            })
            .collect(),
        Err(e) => {
            out.fail(&scope, &[DOMAIN], "es:ListDomainNames", classify(&e));
            return out;
        }
    };
    let engine_of = |name: &str| {
        listed
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, e)| e.clone())
    };
    let names: Vec<String> = listed.iter().map(|(n, _)| n.clone()).collect();
    let batches: Vec<Vec<String>> = names.chunks(BATCH).map(<[String]>::to_vec).collect();
    let described: Vec<Described> = futures_util::stream::iter(batches)
        .map(|batch| {
            let client = &client;
            async move {
                match client
                    .describe_domains()
                    .set_domain_names(Some(batch.clone()))
                    .send()
                    .await
                {
                    // A domain deleted between the two calls is simply gone.
                    Ok(o) => o
                        .domain_status_list
                        .into_iter()
                        .map(|d| Described::Ok(Box::new(d)))
                        .collect::<Vec<_>>(),
                    Err(e) => {
                        let f = classify(&e);
                        batch
                            .into_iter()
                            .map(|n| Described::Failed(n, f.clone()))
                            .collect()
                    }
                }
            }
        })
        .buffer_unordered(scope.fanout())
        .flat_map(futures_util::stream::iter)
        .collect()
        .await;

    let built = futures_util::stream::iter(described)
        .map(|d| {
            let (scope, client, engine_of) = (&scope, &client, &engine_of);
            async move {
                let (name, arn, status) = match d {
                    Described::Ok(s) => {
                        let arn = if s.arn().is_empty() {
                            scope.arn("es", &format!("domain/{}", s.domain_name()))
                        } else {
                            s.arn().to_string()
                        };
                        (s.domain_name().to_string(), arn, Ok(s))
                    }
                    Described::Failed(n, f) => {
                        let arn = scope.arn("es", &format!("domain/{n}"));
                        (n, arn, Err(f))
                    }
                };
                let mut r = scope.resource(DOMAIN, arn.clone(), name.clone());
                put(
                    &mut r,
                    json!({"domain_name": name, "arn": arn, "engine_type": engine_of(&name)}),
                );
                match status {
                    Ok(s) => put(&mut r, status_props(&s)),
                    Err(f) => {
                        for p in STATUS_PROPS {
                            set_prop(&mut r, p, "es:DescribeDomains", Err(f.clone()));
                        }
                    }
                }
                match client.list_tags().arn(&arn).send().await {
                    Ok(t) => {
                        r.tags = t
                            .tag_list()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect();
                    }
                    Err(e) => set_prop(&mut r, "tags", "es:ListTags", Err(classify(&e))),
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
