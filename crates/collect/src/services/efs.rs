//! EFS file systems: encryption at rest, automatic backups, the file system
//! policy, lifecycle, mount targets and access points.
//!
//! A file system without a policy is not "unknown": EFS then applies its
//! default policy, full access for any NFS client that can reach a mount
//! target, with no IAM authorization. `DescribeFileSystemPolicy` answers
//! `PolicyNotFound` for it, which is recorded as `policy: null`; likewise a
//! missing backup policy is `backup_enabled: false`.

use std::collections::HashMap;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use super::dynamodb::{aws_managed_keys, key_type};
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const FILE_SYSTEM: &str = "aws.efs.file_system";

pub(crate) const SERVICE: Service = Service {
    name: "efs",
    global: false,
    types: &[FILE_SYSTEM],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.efs();
    let mut out = Output::default();
    let (systems, access_points) = tokio::join!(
        all_items!(client.describe_file_systems()),
        all_items!(client.describe_access_points()),
    );
    let systems = match systems {
        Ok(s) => s,
        Err(f) => {
            out.fail(&scope, &[FILE_SYSTEM], "efs:DescribeFileSystems", f);
            return out;
        }
    };
    let access_points: Result<HashMap<String, Vec<Value>>, Failure> = access_points.map(|list| {
        let mut by_fs: HashMap<String, Vec<Value>> = HashMap::new();
        for a in list {
            let Some(fs) = a.file_system_id() else {
                continue;
            };
            by_fs.entry(fs.to_string()).or_default().push(json!({
                "access_point_id": a.access_point_id(),
                "name": opt_str(a.name()),
                "root_directory": opt_str(a.root_directory().and_then(|d| d.path())),
                "posix_uid": a.posix_user().map(|u| u.uid()),
                "posix_gid": a.posix_user().map(|u| u.gid()),
            }));
        }
        by_fs
    });
    // The key kind needs the aliases, listed only when some file system is
    // encrypted.
    let aliases = if systems.iter().any(|f| f.encrypted() == Some(true)) {
        Some(aws_managed_keys(&scope).await)
    } else {
        None
    };
    let built: Vec<_> = futures_util::stream::iter(systems)
        .map(|fs| {
            let (scope, client, access_points, aliases) =
                (&scope, &client, &access_points, &aliases);
            async move {
                let id = fs.file_system_id().to_string();
                let arn = fs
                    .file_system_arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| scope.arn("elasticfilesystem", &format!("file-system/{id}")));
                let name = fs.name().filter(|n| !n.is_empty()).unwrap_or(&id).to_string();
                let mut r = scope.resource(FILE_SYSTEM, arn.clone(), name);
                r.tags = fs
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
                let encrypted = fs.encrypted().unwrap_or(false);
                put(
                    &mut r,
                    json!({
                        "file_system_id": id,
                        "arn": arn,
                        "encrypted": encrypted,
                        "kms_key_id": opt_str(fs.kms_key_id()),
                        "performance_mode": fs.performance_mode().as_str(),
                        "throughput_mode": fs.throughput_mode().map(|m| m.as_str()),
                        "provisioned_throughput_mibps": fs.provisioned_throughput_in_mibps(),
                        "availability_zone_name": opt_str(fs.availability_zone_name()),
                        "lifecycle_state": fs.life_cycle_state().as_str(),
                        "mount_targets": fs.number_of_mount_targets(),
                        "size_bytes": fs.size_in_bytes().map(|s| s.value()),
                        "creation_time": ts(Some(fs.creation_time())),
                    }),
                );
                // Encrypted with no key named: the service's default key.
                match (encrypted, aliases) {
                    (false, _) => put(&mut r, json!({"encryption_key_type": null})),
                    (true, Some(Ok(managed))) => {
                        let kind = fs
                            .kms_key_id()
                            .filter(|k| !k.is_empty())
                            .map_or(super::dynamodb::AWS_MANAGED, |k| {
                                key_type(k, scope.account(), managed)
                            });
                        put(&mut r, json!({"encryption_key_type": kind}));
                    }
                    (true, Some(Err(f))) => {
                        set_prop(&mut r, "encryption_key_type", "kms:ListAliases", Err(f.clone()))
                    }
                    (true, None) => {}
                }
                match access_points {
                    Ok(by_fs) => put(
                        &mut r,
                        json!({"access_points": by_fs.get(&id).cloned().unwrap_or_default()}),
                    ),
                    Err(f) => set_prop(
                        &mut r,
                        "access_points",
                        "elasticfilesystem:DescribeAccessPoints",
                        Err(f.clone()),
                    ),
                }
                let (backup, policy, lifecycle) = tokio::join!(
                    client.describe_backup_policy().file_system_id(&id).send(),
                    client.describe_file_system_policy().file_system_id(&id).send(),
                    client.describe_lifecycle_configuration().file_system_id(&id).send(),
                );
                match backup {
                    Ok(b) => {
                        let status = b.backup_policy().map(|p| p.status().as_str());
                        put(
                            &mut r,
                            json!({
                                "backup_status": status,
                                "backup_enabled": matches!(status, Some("ENABLED" | "ENABLING")),
                            }),
                        );
                    }
                    Err(e) => {
                        let f = classify(&e);
                        if f.is("PolicyNotFound") {
                            put(&mut r, json!({"backup_status": null, "backup_enabled": false}));
                        } else {
                            for p in ["backup_enabled", "backup_status"] {
                                set_prop(&mut r, p, "elasticfilesystem:DescribeBackupPolicy", Err(f.clone()));
                            }
                        }
                    }
                }
                let policy = match policy {
                    Ok(p) => Ok(p.policy().map(policy::parse).unwrap_or(Value::Null)),
                    Err(e) => {
                        let f = classify(&e);
                        // The default policy is in force.
                        if f.is("PolicyNotFound") { Ok(Value::Null) } else { Err(f) }
                    }
                };
                set_prop(&mut r, "policy", "elasticfilesystem:DescribeFileSystemPolicy", policy);
                set_prop(
                    &mut r,
                    "lifecycle_policies",
                    "elasticfilesystem:DescribeLifecycleConfiguration",
                    lifecycle.map_err(|e| classify(&e)).map(|l| {
                        Value::Array(
                            l.lifecycle_policies()
                                .iter()
                                .map(|p| {
                                    json!({
                                        "transition_to_ia": p.transition_to_ia().map(|t| t.as_str()),
                                        "transition_to_archive": p.transition_to_archive().map(|t| t.as_str()),
                                        "transition_to_primary_storage_class": p
                                            .transition_to_primary_storage_class()
                                            .map(|t| t.as_str()),
                                    })
                                })
                                .collect(),
                        )
                    }),
                );
                r
            }
        })
        .buffer_unordered(scope.fanout())
        .collect()
        .await;
    out.resources.extend(built);
    out
}
