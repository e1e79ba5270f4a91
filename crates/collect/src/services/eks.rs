//! EKS clusters: who can reach the Kubernetes API endpoint, which
//! control-plane logs reach CloudWatch, whether Kubernetes secrets are
//! envelope-encrypted with a customer-managed KMS key, and the Kubernetes
//! version.

use futures_util::StreamExt;
use rampart_inventory::ErrorKind;
use serde_json::json;

use super::Service;
use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const CLUSTER: &str = "aws.eks.cluster";

pub(crate) const SERVICE: Service = Service {
    name: "eks",
    global: false,
    types: &[CLUSTER],
    collect: |s| Box::pin(collect(s)),
};

/// Props DescribeCluster fills: all of them are errors when it fails.
const DESCRIBED: &[&str] = &[
    "version",
    "status",
    "endpoint_public_access",
    "endpoint_private_access",
    "public_access_cidrs",
    "enabled_log_types",
    "encryption_key_arn",
    "role_arn",
];

async fn collect(scope: Scope) -> Output {
    let client = scope.eks();
    let mut out = Output::default();
    let names = match all_items!(client.list_clusters()).await {
        Ok(n) => n,
        Err(f) => {
            out.fail(&scope, &[CLUSTER], "eks:ListClusters", f);
            return out;
        }
    };
    let built = futures_util::stream::iter(names)
        .map(|name| {
            let (scope, client) = (&scope, &client);
            async move {
                let described = client
                    .describe_cluster()
                    .name(&name)
                    .send()
                    .await
                    .map_err(|e| classify(&e))
                    .and_then(|o| {
                        o.cluster.ok_or_else(|| {
                            Failure::new(
                                ErrorKind::Other,
                                "DescribeCluster answered without a cluster",
                            )
                        })
                    });
                match described {
                    Ok(c) => cluster(scope, &name, &c),
                    Err(f) => {
                        let arn = scope.arn("eks", &format!("cluster/{name}"));
                        let mut r = scope.resource(CLUSTER, arn, name.as_str());
                        for p in DESCRIBED {
                            set_prop(&mut r, p, "eks:DescribeCluster", Err(f.clone()));
                        }
                        r
                    }
                }
            }
        })
        .buffer_unordered(scope.fanout())
        .collect::<Vec<_>>()
        .await;
    out.resources.extend(built);
    out
}

fn cluster(
    scope: &Scope,
    name: &str,
    c: &aws_sdk_eks::types::Cluster,
) -> rampart_inventory::Resource {
    let arn = c
        .arn()
        .map(str::to_string)
        .unwrap_or_else(|| scope.arn("eks", &format!("cluster/{name}")));
    let mut r = scope.resource(CLUSTER, arn, name);
    r.tags = c
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let vpc = c.resources_vpc_config();
    let mut enabled_logs: Vec<&str> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str()))
        .collect();
    enabled_logs.sort_unstable();
    enabled_logs.dedup();
    // The key of the envelope-encryption configuration. Its `resources`
    // list (once `["secrets"]`) no longer limits what the key protects:
    // EKS now encrypts all Kubernetes API data with it.
    let encryption_key = c
        .encryption_config()
        .iter()
        .find_map(|e| e.provider().and_then(|p| p.key_arn()))
        .filter(|k| !k.is_empty());
    put(
        &mut r,
        json!({
            "version": opt_str(c.version()),
            "platform_version": opt_str(c.platform_version()),
            "status": c.status().map(|s| s.as_str()),
            "endpoint": opt_str(c.endpoint()),
            "role_arn": opt_str(c.role_arn()),
            "created_at": ts(c.created_at()),
            "vpc_id": opt_str(vpc.and_then(|v| v.vpc_id())),
            "subnet_ids": vpc.map(|v| v.subnet_ids()).unwrap_or_default(),
            "security_group_ids": vpc.map(|v| v.security_group_ids()).unwrap_or_default(),
            "cluster_security_group_id": opt_str(vpc.and_then(|v| v.cluster_security_group_id())),
            "endpoint_public_access": vpc.map(|v| v.endpoint_public_access()),
            "endpoint_private_access": vpc.map(|v| v.endpoint_private_access()),
            "public_access_cidrs": vpc.map(|v| v.public_access_cidrs()).unwrap_or_default(),
            "enabled_log_types": enabled_logs,
            "encryption_key_arn": encryption_key,
            "support_type": c.upgrade_policy().and_then(|u| u.support_type()).map(|s| s.as_str()),
            "authentication_mode": c.access_config().and_then(|a| a.authentication_mode()).map(|m| m.as_str()),
            "deletion_protection": c.deletion_protection(),
        }),
    );
    r
}
