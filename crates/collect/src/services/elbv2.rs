//! Elastic Load Balancing v2 (Application, Network and Gateway Load
//! Balancers) with their listeners and the attributes that matter for
//! security: access logs, deletion protection, invalid-header dropping and
//! HTTP desync mitigation.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_elasticloadbalancingv2::types::{Listener, LoadBalancer};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const LOAD_BALANCER: &str = "aws.elbv2.load_balancer";

pub(crate) const SERVICE: Service = Service {
    name: "elbv2",
    global: false,
    types: &[LOAD_BALANCER],
    collect: |s| Box::pin(collect(s)),
};

/// DescribeTags takes at most 20 resource ARNs.
const TAG_BATCH: usize = 20;

/// Props read from DescribeLoadBalancerAttributes, with the attribute key
/// each comes from and whether it is a boolean.
const ATTRIBUTES: &[(&str, &str, bool)] = &[
    ("access_logs_enabled", "access_logs.s3.enabled", true),
    ("access_logs_bucket", "access_logs.s3.bucket", false),
    ("deletion_protection", "deletion_protection.enabled", true),
    (
        "drop_invalid_header_fields",
        "routing.http.drop_invalid_header_fields.enabled",
        true,
    ),
    (
        "desync_mitigation_mode",
        "routing.http.desync_mitigation_mode",
        false,
    ),
];

type Tags = Result<BTreeMap<String, String>, Failure>;

async fn collect(scope: Scope) -> Output {
    let client = scope.elbv2();
    let mut out = Output::default();
    let lbs = match all_items!(client.describe_load_balancers()).await {
        Ok(l) => l,
        Err(f) => {
            out.fail(
                &scope,
                &[LOAD_BALANCER],
                "elasticloadbalancing:DescribeLoadBalancers",
                f,
            );
            return out;
        }
    };
    let arns: Vec<String> = lbs
        .iter()
        .filter_map(|lb| lb.load_balancer_arn().map(str::to_string))
        .collect();
    let (tags, built) = tokio::join!(
        tags(&client, &arns, scope.fanout()),
        futures_util::stream::iter(lbs)
            .map(|lb| {
                let (scope, client) = (&scope, &client);
                async move { load_balancer(scope, client, &lb).await }
            })
            .buffer_unordered(scope.fanout())
            .collect::<Vec<_>>(),
    );
    for mut r in built {
        match tags.get(&r.uid) {
            Some(Ok(t)) => r.tags = t.clone(),
            Some(Err(f)) => set_prop(
                &mut r,
                "tags",
                "elasticloadbalancing:DescribeTags",
                Err(f.clone()),
            ),
            // DescribeTags answers every ARN it was given, with or without tags.
            None => {}
        }
        out.resources.push(r);
    }
    out
}

/// Tags of every load balancer, by ARN, in batches of 20.
async fn tags(
    client: &aws_sdk_elasticloadbalancingv2::Client,
    arns: &[String],
    fanout: usize,
) -> HashMap<String, Tags> {
    // Owned batches: a stream of borrowed slices trips the compiler's
    // higher-ranked lifetime check once the collector future must be Send.
    let batches: Vec<Vec<String>> = arns.chunks(TAG_BATCH).map(<[String]>::to_vec).collect();
    let answers = futures_util::stream::iter(batches)
        .map(|batch| {
            let client = client.clone();
            async move {
                let res = client
                    .describe_tags()
                    .set_resource_arns(Some(batch.clone()))
                    .send()
                    .await;
                (batch, res)
            }
        })
        .buffer_unordered(fanout)
        .collect::<Vec<_>>()
        .await;
    let mut by_arn = HashMap::new();
    for (batch, res) in answers {
        match res {
            Ok(o) => {
                for d in o.tag_descriptions() {
                    if let Some(arn) = d.resource_arn() {
                        let t = d
                            .tags()
                            .iter()
                            .filter_map(|t| {
                                Some((
                                    t.key()?.to_string(),
                                    t.value().unwrap_or_default().to_string(),
                                ))
                            })
                            .collect();
                        by_arn.insert(arn.to_string(), Ok(t));
                    }
                }
            }
            Err(e) => {
                let f = classify(&e);
                for arn in batch {
                    by_arn.insert(arn.clone(), Err(f.clone()));
                }
            }
        }
    }
    by_arn
}

async fn load_balancer(
    scope: &Scope,
    client: &aws_sdk_elasticloadbalancingv2::Client,
    lb: &LoadBalancer,
) -> rampart_inventory::Resource {
    let name = lb.load_balancer_name().unwrap_or_default().to_string();
    let arn = lb.load_balancer_arn().unwrap_or_default().to_string();
    let mut r = scope.resource(LOAD_BALANCER, arn.clone(), name);
    let scheme = lb.scheme().map(|s| s.as_str());
    put(
        &mut r,
        json!({
            "type": lb.r#type().map(|t| t.as_str()),
            "scheme": scheme,
            "internet_facing": scheme.map(|s| s == "internet-facing"),
            "dns_name": opt_str(lb.dns_name()),
            "vpc_id": opt_str(lb.vpc_id()),
            "state": lb.state().and_then(|s| s.code()).map(|c| c.as_str()),
            "ip_address_type": lb.ip_address_type().map(|t| t.as_str()),
            "security_groups": lb.security_groups(),
            "subnets": lb.availability_zones().iter().filter_map(|z| z.subnet_id()).collect::<Vec<_>>(),
            "availability_zones": lb.availability_zones().iter().filter_map(|z| z.zone_name()).collect::<Vec<_>>(),
            "created_at": ts(lb.created_time()),
        }),
    );
    let (listeners, attributes) = tokio::join!(
        all_items!(client.describe_listeners().load_balancer_arn(&arn)),
        client
            .describe_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .send(),
    );
    set_prop(
        &mut r,
        "listeners",
        "elasticloadbalancing:DescribeListeners",
        listeners.map(|l| Value::Array(l.iter().map(listener).collect())),
    );
    match attributes {
        Ok(a) => {
            let map: HashMap<&str, &str> = a
                .attributes()
                .iter()
                .filter_map(|x| Some((x.key()?, x.value().unwrap_or_default())))
                .collect();
            for (prop, key, boolean) in ATTRIBUTES {
                let value = match map.get(key) {
                    // Absent: the attribute does not exist for this type
                    // (no HTTP routing on a Network Load Balancer).
                    None => Value::Null,
                    Some(v) if *boolean => Value::Bool(v.eq_ignore_ascii_case("true")),
                    Some(v) => opt_str(Some(v)),
                };
                set_prop(
                    &mut r,
                    prop,
                    "elasticloadbalancing:DescribeLoadBalancerAttributes",
                    Ok(value),
                );
            }
        }
        Err(e) => {
            let f = classify(&e);
            for (prop, _, _) in ATTRIBUTES {
                set_prop(
                    &mut r,
                    prop,
                    "elasticloadbalancing:DescribeLoadBalancerAttributes",
                    Err(f.clone()),
                );
            }
        }
    }
    r
}

fn listener(l: &Listener) -> Value {
    let protocol = l.protocol().map(|p| p.as_str());
    // Only HTTPS and TLS listeners negotiate TLS; emulators report a
    // policy on plain listeners too.
    let tls = matches!(protocol, Some("HTTPS" | "TLS"));
    let redirects_to_https = l.default_actions().iter().any(|a| {
        a.r#type().is_some_and(|t| t.as_str() == "redirect")
            && a.redirect_config()
                .and_then(|c| c.protocol())
                .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
    });
    json!({
        "arn": opt_str(l.listener_arn()),
        "port": l.port(),
        "protocol": protocol,
        "ssl_policy": if tls { opt_str(l.ssl_policy()) } else { Value::Null },
        "certificates": l.certificates().iter().filter_map(|c| c.certificate_arn()).collect::<Vec<_>>(),
        "default_actions": l.default_actions().iter().filter_map(|a| a.r#type()).map(|t| t.as_str()).collect::<Vec<_>>(),
        "redirects_to_https": redirects_to_https,
    })
}
