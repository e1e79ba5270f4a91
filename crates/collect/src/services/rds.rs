//! RDS: database instances (exposure, encryption, backups) and manual
//! snapshots with who may restore them.

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const INSTANCE: &str = "aws.rds.instance";
pub(crate) const SNAPSHOT: &str = "aws.rds.snapshot";

pub(crate) const SERVICE: Service = Service {
    name: "rds",
    global: false,
    types: &[INSTANCE, SNAPSHOT],
    collect: |s| Box::pin(collect(s)),
};

fn tags(list: &[aws_sdk_rds::types::Tag]) -> std::collections::BTreeMap<String, String> {
    list.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

async fn collect(scope: Scope) -> Output {
    let client = scope.rds();
    let mut out = Output::default();
    let (instances, snapshots) = tokio::join!(
        all_items!(client.describe_db_instances()),
        all_items!(client.describe_db_snapshots().snapshot_type("manual")),
    );
    match instances {
        Ok(list) => {
            for db in list {
                let id = db.db_instance_identifier().unwrap_or_default();
                let arn = db
                    .db_instance_arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| scope.arn("rds", &format!("db:{id}")));
                let mut r = scope.resource(INSTANCE, arn, id);
                r.tags = tags(db.tag_list());
                put(
                    &mut r,
                    json!({
                        "db_instance_identifier": id,
                        "engine": opt_str(db.engine()),
                        "engine_version": opt_str(db.engine_version()),
                        "instance_class": opt_str(db.db_instance_class()),
                        "status": opt_str(db.db_instance_status()),
                        "publicly_accessible": db.publicly_accessible().unwrap_or(false),
                        "storage_encrypted": db.storage_encrypted().unwrap_or(false),
                        "kms_key_id": opt_str(db.kms_key_id()),
                        "multi_az": db.multi_az().unwrap_or(false),
                        "backup_retention_period": db.backup_retention_period(),
                        "auto_minor_version_upgrade": db.auto_minor_version_upgrade().unwrap_or(false),
                        "deletion_protection": db.deletion_protection().unwrap_or(false),
                        "iam_database_authentication_enabled": db.iam_database_authentication_enabled().unwrap_or(false),
                        "copy_tags_to_snapshot": db.copy_tags_to_snapshot().unwrap_or(false),
                        "vpc_security_groups": db.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id()).collect::<Vec<_>>(),
                        "endpoint_address": opt_str(db.endpoint().and_then(|e| e.address())),
                        "create_time": ts(db.instance_create_time()),
                    }),
                );
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(&scope, &[INSTANCE], "rds:DescribeDBInstances", f),
    }
    match snapshots {
        Ok(list) => {
            let built = futures_util::stream::iter(list)
                .map(|s| {
                    let (scope, client) = (&scope, &client);
                    async move {
                        let id = s.db_snapshot_identifier().unwrap_or_default().to_string();
                        let arn = s
                            .db_snapshot_arn()
                            .map(str::to_string)
                            .unwrap_or_else(|| scope.arn("rds", &format!("snapshot:{id}")));
                        let mut r = scope.resource(SNAPSHOT, arn, id.clone());
                        r.tags = tags(s.tag_list());
                        put(
                            &mut r,
                            json!({
                                "snapshot_id": id,
                                "db_instance_identifier": opt_str(s.db_instance_identifier()),
                                "engine": opt_str(s.engine()),
                                "encrypted": s.encrypted().unwrap_or(false),
                                "kms_key_id": opt_str(s.kms_key_id()),
                                "snapshot_type": opt_str(s.snapshot_type()),
                                "create_time": ts(s.snapshot_create_time()),
                            }),
                        );
                        match client
                            .describe_db_snapshot_attributes()
                            .db_snapshot_identifier(&id)
                            .send()
                            .await
                        {
                            Ok(a) => {
                                let restore: Vec<String> = a
                                    .db_snapshot_attributes_result()
                                    .map(|r| r.db_snapshot_attributes())
                                    .unwrap_or_default()
                                    .iter()
                                    .filter(|a| a.attribute_name() == Some("restore"))
                                    .flat_map(|a| a.attribute_values().iter().cloned())
                                    .collect();
                                let public = restore.iter().any(|v| v == "all");
                                let shared: Vec<Value> = restore
                                    .into_iter()
                                    .filter(|v| v != "all")
                                    .map(Value::String)
                                    .collect();
                                put(&mut r, json!({"public": public, "shared_with": shared}));
                            }
                            Err(e) => {
                                let f = classify(&e);
                                set_prop(
                                    &mut r,
                                    "public",
                                    "rds:DescribeDBSnapshotAttributes",
                                    Err(f.clone()),
                                );
                                set_prop(
                                    &mut r,
                                    "shared_with",
                                    "rds:DescribeDBSnapshotAttributes",
                                    Err(f),
                                );
                            }
                        }
                        r
                    }
                })
                .buffer_unordered(scope.fanout())
                .collect::<Vec<_>>()
                .await;
            out.resources.extend(built);
        }
        Err(f) => out.fail(&scope, &[SNAPSHOT], "rds:DescribeDBSnapshots", f),
    }
    out
}
