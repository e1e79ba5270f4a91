//! EC2 compute and storage: instances (metadata options, user data, public
//! exposure), volumes, snapshots and AMIs owned by the account with who may
//! use them, default EBS encryption, Elastic IPs. Networking is in
//! `ec2_network`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{
    ImageAttributeName, Instance, InstanceAttributeName, LaunchPermission, SnapshotAttributeName,
    Tag,
};
use futures_util::StreamExt;
use rampart_inventory::Resource;
use serde_json::{Value, json};

use super::Service;
use super::ec2_network::{self, NETWORK_ACL, SECURITY_GROUP, SUBNET, VPC};
use crate::failure::classify;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};
use crate::secrets;

pub(crate) const INSTANCE: &str = "aws.ec2.instance";
pub(crate) const VOLUME: &str = "aws.ec2.volume";
pub(crate) const SNAPSHOT: &str = "aws.ec2.snapshot";
pub(crate) const IMAGE: &str = "aws.ec2.image";
pub(crate) const EBS_DEFAULT: &str = "aws.ec2.ebs_encryption_default";
pub(crate) const ADDRESS: &str = "aws.ec2.elastic_ip";

pub(crate) const SERVICE: Service = Service {
    name: "ec2",
    global: false,
    types: &[
        INSTANCE,
        VOLUME,
        SNAPSHOT,
        IMAGE,
        EBS_DEFAULT,
        ADDRESS,
        SECURITY_GROUP,
        NETWORK_ACL,
        VPC,
        SUBNET,
    ],
    collect: |s| Box::pin(collect(s)),
};

pub(crate) fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn name_tag(list: &[Tag], fallback: &str) -> String {
    list.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .unwrap_or(fallback)
        .to_string()
}

async fn collect(scope: Scope) -> Output {
    let client = scope.ec2();
    let mut out = Output::default();
    let mut net = Output::default();
    let (public_subnets, reservations, volumes, snapshots, images, ebs, ebs_key, addresses) =
        tokio::join!(
            ec2_network::collect(&scope, &client, &mut net),
            all_items!(client.describe_instances()),
            all_items!(client.describe_volumes()),
            all_items!(client.describe_snapshots().owner_ids("self")),
            async {
                client
                    .describe_images()
                    .owners("self")
                    .send()
                    .await
                    .map_err(|e| classify(&e))
            },
            async {
                client
                    .get_ebs_encryption_by_default()
                    .send()
                    .await
                    .map_err(|e| classify(&e))
            },
            async {
                // Two attempts, not the usual five: endpoints that lack this
                // call (moto answers 500) would otherwise cost seconds of
                // backoff per region for one optional detail.
                client
                    .get_ebs_default_kms_key_id()
                    .customize()
                    .config_override(aws_sdk_ec2::config::Builder::default().retry_config(
                        aws_config::retry::RetryConfig::adaptive().with_max_attempts(2),
                    ))
                    .send()
                    .await
                    .map_err(|e| classify(&e))
            },
            async {
                client
                    .describe_addresses()
                    .send()
                    .await
                    .map_err(|e| classify(&e))
            },
        );
    out.resources.extend(net.resources);
    out.errors.extend(net.errors);

    // Account-and-region setting.
    let mut r = scope.resource(
        EBS_DEFAULT,
        scope.arn("ec2", "ebs-encryption-default"),
        "ebs-encryption-default",
    );
    set_prop(
        &mut r,
        "enabled",
        "ec2:GetEbsEncryptionByDefault",
        ebs.map(|o| Value::Bool(o.ebs_encryption_by_default().unwrap_or(false))),
    );
    set_prop(
        &mut r,
        "kms_key_id",
        "ec2:GetEbsDefaultKmsKeyId",
        ebs_key.map(|o| opt_str(o.kms_key_id())),
    );
    out.resources.push(r);

    match reservations {
        Ok(res) => {
            let instances: Vec<Instance> = res
                .into_iter()
                .flat_map(|r| r.instances.unwrap_or_default())
                .collect();
            let built = futures_util::stream::iter(instances)
                .map(|i| {
                    let (scope, client, public) = (&scope, &client, &public_subnets);
                    async move { instance(scope, client, &i, public).await }
                })
                .buffer_unordered(scope.fanout())
                .collect::<Vec<_>>()
                .await;
            out.resources.extend(built);
        }
        Err(f) => out.fail(&scope, &[INSTANCE], "ec2:DescribeInstances", f),
    }

    match volumes {
        Ok(vols) => {
            for v in vols {
                let id = v.volume_id().unwrap_or_default();
                let mut r = scope.resource(
                    VOLUME,
                    scope.arn("ec2", &format!("volume/{id}")),
                    name_tag(v.tags(), id),
                );
                r.tags = tags(v.tags());
                put(
                    &mut r,
                    json!({
                        "volume_id": id,
                        "encrypted": v.encrypted().unwrap_or(false),
                        "kms_key_id": opt_str(v.kms_key_id()),
                        "state": v.state().map(|s| s.as_str()),
                        "size": v.size(),
                        "volume_type": v.volume_type().map(|t| t.as_str()),
                        "snapshot_id": opt_str(v.snapshot_id()),
                        "attachments": v.attachments().iter().filter_map(|a| a.instance_id()).collect::<Vec<_>>(),
                        "create_time": ts(v.create_time()),
                    }),
                );
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(&scope, &[VOLUME], "ec2:DescribeVolumes", f),
    }

    match snapshots {
        Ok(snaps) => {
            let built = futures_util::stream::iter(snaps)
                .map(|s| {
                    let scope = &scope;
                    let client = &client;
                    async move {
                        let id = s.snapshot_id().unwrap_or_default().to_string();
                        let mut r = scope.resource(
                            SNAPSHOT,
                            scope.arn("ec2", &format!("snapshot/{id}")),
                            name_tag(s.tags(), &id),
                        );
                        r.tags = tags(s.tags());
                        put(
                            &mut r,
                            json!({
                                "snapshot_id": id,
                                "encrypted": s.encrypted().unwrap_or(false),
                                "kms_key_id": opt_str(s.kms_key_id()),
                                "volume_id": opt_str(s.volume_id()),
                                "start_time": ts(s.start_time()),
                                "description": opt_str(s.description()),
                            }),
                        );
                        let attr = client
                            .describe_snapshot_attribute()
                            .snapshot_id(&id)
                            .attribute(SnapshotAttributeName::CreateVolumePermission)
                            .send()
                            .await
                            .map_err(|e| classify(&e));
                        let perms = attr.map(|a| a.create_volume_permissions().to_vec());
                        share_props(
                            &mut r,
                            perms.map(|p| {
                                p.iter()
                                    .map(|p| {
                                        (
                                            p.group().map(|g| g.as_str().to_string()),
                                            p.user_id().map(str::to_string),
                                        )
                                    })
                                    .collect()
                            }),
                            "ec2:DescribeSnapshotAttribute",
                        );
                        r
                    }
                })
                .buffer_unordered(scope.fanout())
                .collect::<Vec<_>>()
                .await;
            out.resources.extend(built);
        }
        Err(f) => out.fail(&scope, &[SNAPSHOT], "ec2:DescribeSnapshots", f),
    }

    match images {
        Ok(imgs) => {
            let built = futures_util::stream::iter(imgs.images().to_vec())
                .map(|img| {
                    let scope = &scope;
                    let client = &client;
                    async move {
                        let id = img.image_id().unwrap_or_default().to_string();
                        let mut r = scope.resource(IMAGE, scope.arn("ec2", &format!("image/{id}")), img.name().unwrap_or(&id));
                        r.tags = tags(img.tags());
                        put(
                            &mut r,
                            json!({
                                "image_id": id,
                                "state": img.state().map(|s| s.as_str()),
                                "creation_date": opt_str(img.creation_date()),
                                "encrypted": img.block_device_mappings().iter().filter_map(|b| b.ebs()).all(|e| e.encrypted().unwrap_or(false)),
                                "imds_support": opt_str(img.imds_support().map(|s| s.as_str())),
                            }),
                        );
                        let attr = client
                            .describe_image_attribute()
                            .image_id(&id)
                            .attribute(ImageAttributeName::LaunchPermission)
                            .send()
                            .await
                            .map_err(|e| classify(&e));
                        let perms = attr.map(|a| launch_permissions(a.launch_permissions()));
                        share_props(&mut r, perms, "ec2:DescribeImageAttribute");
                        r
                    }
                })
                .buffer_unordered(scope.fanout())
                .collect::<Vec<_>>()
                .await;
            out.resources.extend(built);
        }
        Err(f) => out.fail(&scope, &[IMAGE], "ec2:DescribeImages", f),
    }

    match addresses {
        Ok(a) => {
            for addr in a.addresses() {
                let id = addr
                    .allocation_id()
                    .or(addr.public_ip())
                    .unwrap_or_default();
                let associated = [
                    addr.association_id(),
                    addr.instance_id(),
                    addr.network_interface_id(),
                ]
                .iter()
                .any(|v| v.is_some_and(|s| !s.is_empty()));
                let mut r =
                    scope.resource(ADDRESS, scope.arn("ec2", &format!("elastic-ip/{id}")), id);
                r.tags = tags(addr.tags());
                put(
                    &mut r,
                    json!({
                        "allocation_id": opt_str(addr.allocation_id()),
                        "public_ip": opt_str(addr.public_ip()),
                        "instance_id": opt_str(addr.instance_id()),
                        "network_interface_id": opt_str(addr.network_interface_id()),
                        "associated": associated,
                    }),
                );
                out.resources.push(r);
            }
        }
        Err(f) => out.fail(&scope, &[ADDRESS], "ec2:DescribeAddresses", f),
    }
    out
}

/// (group, user id) pairs of a createVolumePermission or launchPermission.
type Shares = Vec<(Option<String>, Option<String>)>;

fn launch_permissions(list: &[LaunchPermission]) -> Vec<(Option<String>, Option<String>)> {
    list.iter()
        .map(|p| {
            (
                p.group().map(|g| g.as_str().to_string()),
                p.user_id().map(str::to_string),
            )
        })
        .collect()
}

/// `public` and `shared_with` from (group, user id) permission pairs.
fn share_props(r: &mut Resource, perms: Result<Shares, crate::failure::Failure>, action: &str) {
    match perms {
        Ok(p) => {
            let public = p.iter().any(|(g, _)| g.as_deref() == Some("all"));
            let shared: Vec<String> = p.into_iter().filter_map(|(_, u)| u).collect();
            put(r, json!({"public": public, "shared_with": shared}));
        }
        Err(f) => {
            set_prop(r, "public", action, Err(f.clone()));
            set_prop(r, "shared_with", action, Err(f));
        }
    }
}

async fn instance(
    scope: &Scope,
    client: &aws_sdk_ec2::Client,
    i: &Instance,
    public_subnets: &HashMap<String, bool>,
) -> Resource {
    let id = i.instance_id().unwrap_or_default();
    let mut r = scope.resource(
        INSTANCE,
        scope.arn("ec2", &format!("instance/{id}")),
        name_tag(i.tags(), id),
    );
    r.tags = tags(i.tags());
    let md = i.metadata_options();
    put(
        &mut r,
        json!({
            "instance_id": id,
            "state": i.state().and_then(|s| s.name()).map(|n| n.as_str()),
            "instance_type": i.instance_type().map(|t| t.as_str()),
            "image_id": opt_str(i.image_id()),
            "vpc_id": opt_str(i.vpc_id()),
            "subnet_id": opt_str(i.subnet_id()),
            "public_ip": opt_str(i.public_ip_address()),
            "private_ip": opt_str(i.private_ip_address()),
            "iam_instance_profile": opt_str(i.iam_instance_profile().and_then(|p| p.arn())),
            "metadata_options": md.map(|m| json!({
                "http_tokens": m.http_tokens().map(|t| t.as_str()),
                "http_endpoint": m.http_endpoint().map(|t| t.as_str()),
                "http_put_response_hop_limit": m.http_put_response_hop_limit(),
            })),
            "security_groups": i.security_groups().iter().filter_map(|g| g.group_id()).collect::<Vec<_>>(),
            "launch_time": ts(i.launch_time()),
            "monitoring": i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()),
            "ebs_optimized": i.ebs_optimized().unwrap_or(false),
            "key_name": opt_str(i.key_name()),
            "subnet_public": i.subnet_id().and_then(|s| public_subnets.get(s)).copied(),
        }),
    );
    let ud = client
        .describe_instance_attribute()
        .instance_id(id)
        .attribute(InstanceAttributeName::UserData)
        .send()
        .await
        .map_err(|e| classify(&e))
        .map(|o| match o.user_data().and_then(|u| u.value()) {
            Some(b64) if !b64.is_empty() => match aws_smithy_types::base64::decode(b64) {
                Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(_) => Some(b64.to_string()),
            },
            _ => None,
        });
    // Never store a secret: the text keeps its shape, values are redacted.
    let (text, found) = match ud {
        Ok(Some(text)) => {
            let (text, found) = secrets::redact_text(&text);
            let found = found
                .into_iter()
                .map(|s| json!({"kind": s.kind, "line": s.line}))
                .collect();
            (Ok(Value::String(text)), Ok(Value::Array(found)))
        }
        Ok(None) => (Ok(Value::Null), Ok(Value::Array(Vec::new()))),
        Err(f) => (Err(f.clone()), Err(f)),
    };
    set_prop(&mut r, "user_data", "ec2:DescribeInstanceAttribute", text);
    set_prop(
        &mut r,
        "user_data_secrets",
        "ec2:DescribeInstanceAttribute",
        found,
    );
    r
}
