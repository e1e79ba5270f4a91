//! KMS keys with rotation status, key policy, aliases and tags.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const KEY: &str = "aws.kms.key";

pub(crate) const SERVICE: Service = Service {
    name: "kms",
    global: false,
    types: &[KEY],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.kms();
    let mut out = Output::default();
    let (keys, aliases) = tokio::join!(all_items!(client.list_keys()), scope.kms_aliases());
    let keys = match keys {
        Ok(k) => k,
        Err(f) => {
            out.fail(&scope, &[KEY], "kms:ListKeys", f);
            return out;
        }
    };
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let aliases_ok = match aliases {
        Ok(list) => {
            for a in list {
                if let (Some(k), Some(n)) = (a.target_key_id(), a.alias_name()) {
                    by_key.entry(k.to_string()).or_default().push(n.to_string());
                }
            }
            Ok(())
        }
        Err(f) => Err(f),
    };
    let built = futures_util::stream::iter(keys)
        .map(|k| {
            let scope = &scope;
            let client = &client;
            let by_key = &by_key;
            let aliases_ok = &aliases_ok;
            async move {
                let id = k.key_id().unwrap_or_default().to_string();
                let arn = k
                    .key_arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| scope.arn("kms", &format!("key/{id}")));
                let mut r = scope.resource(KEY, arn, id.clone());
                put(&mut r, json!({"key_id": id}));
                match aliases_ok {
                    Ok(()) => put(
                        &mut r,
                        json!({"aliases": by_key.get(&id).cloned().unwrap_or_default()}),
                    ),
                    Err(f) => set_prop(&mut r, "aliases", "kms:ListAliases", Err(f.clone())),
                }
                let meta = match client.describe_key().key_id(&id).send().await {
                    Ok(o) => o.key_metadata,
                    Err(e) => {
                        set_prop(&mut r, "key_manager", "kms:DescribeKey", Err(classify(&e)));
                        None
                    }
                };
                let customer = meta
                    .as_ref()
                    .and_then(|m| m.key_manager())
                    .is_some_and(|m| m.as_str() == "CUSTOMER");
                if let Some(m) = &meta {
                    put(
                        &mut r,
                        json!({
                            "key_manager": m.key_manager().map(|x| x.as_str()),
                            "key_state": m.key_state().map(|x| x.as_str()),
                            "key_spec": m.key_spec().map(|x| x.as_str()),
                            "key_usage": m.key_usage().map(|x| x.as_str()),
                            "origin": m.origin().map(|x| x.as_str()),
                            "description": opt_str(m.description()),
                            "creation_date": ts(m.creation_date()),
                            "multi_region": m.multi_region().unwrap_or(false),
                        }),
                    );
                }
                // Only symmetric keys with KMS-made material can rotate
                // automatically; for others rotation is not a question.
                let rotatable = meta.as_ref().is_some_and(|m| {
                    m.key_spec()
                        .is_some_and(|s| s.as_str() == "SYMMETRIC_DEFAULT")
                        && m.origin().is_none_or(|o| o.as_str() == "AWS_KMS")
                        && m.key_state()
                            .is_some_and(|s| s.as_str() == "Enabled" || s.as_str() == "Disabled")
                });
                let (policy_res, rotation, tags) = tokio::join!(
                    client
                        .get_key_policy()
                        .key_id(&id)
                        .policy_name("default")
                        .send(),
                    async {
                        if rotatable {
                            Some(client.get_key_rotation_status().key_id(&id).send().await)
                        } else {
                            None
                        }
                    },
                    async {
                        if customer {
                            Some(client.list_resource_tags().key_id(&id).send().await)
                        } else {
                            None
                        }
                    },
                );
                set_prop(
                    &mut r,
                    "policy",
                    "kms:GetKeyPolicy",
                    policy_res
                        .map_err(|e| classify(&e))
                        .map(|p| p.policy().map(policy::parse).unwrap_or(Value::Null)),
                );
                match rotation {
                    Some(res) => set_prop(
                        &mut r,
                        "rotation_enabled",
                        "kms:GetKeyRotationStatus",
                        res.map_err(|e| classify(&e))
                            .map(|o| Value::Bool(o.key_rotation_enabled())),
                    ),
                    None => put(&mut r, json!({"rotation_enabled": null})),
                }
                match tags {
                    Some(Ok(t)) => {
                        r.tags = t
                            .tags()
                            .iter()
                            .map(|t| (t.tag_key().to_string(), t.tag_value().to_string()))
                            .collect();
                    }
                    Some(Err(e)) => {
                        set_prop(&mut r, "tags", "kms:ListResourceTags", Err(classify(&e)))
                    }
                    None => {}
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
