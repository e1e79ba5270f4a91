//! SNS topics with their access policy, encryption and subscriptions.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop};

pub(crate) const TOPIC: &str = "aws.sns.topic";

pub(crate) const SERVICE: Service = Service {
    name: "sns",
    global: false,
    types: &[TOPIC],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.sns();
    let mut out = Output::default();
    // Subscriptions of every topic in one paginated listing.
    let (topics, subs) = tokio::join!(
        all_items!(client.list_topics()),
        all_items!(client.list_subscriptions())
    );
    let topics = match topics {
        Ok(t) => t,
        Err(f) => {
            out.fail(&scope, &[TOPIC], "sns:ListTopics", f);
            return out;
        }
    };
    let mut by_topic: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let subs = subs.map(|list| {
        for s in list {
            if let Some(t) = s.topic_arn() {
                by_topic.entry(t.to_string()).or_default().push(json!({
                    "protocol": s.protocol(),
                    "endpoint": opt_str(s.endpoint()),
                    "pending": s.subscription_arn().is_none_or(|a| a == "PendingConfirmation"),
                }));
            }
        }
    });
    let built = futures_util::stream::iter(topics)
        .map(|t| {
            let (scope, client, by_topic, subs) = (&scope, &client, &by_topic, &subs);
            async move {
                let arn = t.topic_arn().unwrap_or_default().to_string();
                let name = arn.rsplit(':').next().unwrap_or(&arn).to_string();
                let mut r = scope.resource(TOPIC, arn.clone(), name);
                put(&mut r, json!({"arn": arn}));
                match subs {
                    Ok(()) => {
                        let list = by_topic.get(&arn).cloned().unwrap_or_default();
                        let insecure = list.iter().any(|s| s["protocol"] == "http");
                        put(&mut r, json!({"subscriptions": list, "http_subscriptions": insecure}));
                    }
                    Err(f) => set_prop(&mut r, "subscriptions", "sns:ListSubscriptions", Err(f.clone())),
                }
                let (attrs, tags) = tokio::join!(
                    client.get_topic_attributes().topic_arn(&arn).send(),
                    client.list_tags_for_resource().resource_arn(&arn).send(),
                );
                match attrs {
                    Ok(a) => {
                        let a = a.attributes.unwrap_or_default();
                        let get = |k: &str| a.get(k).map(String::as_str);
                        put(
                            &mut r,
                            json!({
                                "policy": get("Policy").map(policy::parse).unwrap_or(Value::Null),
                                "kms_master_key_id": opt_str(get("KmsMasterKeyId")),
                                "encrypted": get("KmsMasterKeyId").is_some_and(|k| !k.is_empty()),
                                "display_name": opt_str(get("DisplayName")),
                                "subscriptions_confirmed": get("SubscriptionsConfirmed").and_then(|v| v.parse::<i64>().ok()),
                            }),
                        );
                    }
                    Err(e) => {
                        let f = classify(&e);
                        for p in ["policy", "kms_master_key_id", "encrypted"] {
                            set_prop(&mut r, p, "sns:GetTopicAttributes", Err(f.clone()));
                        }
                    }
                }
                match tags {
                    Ok(t) => {
                        r.tags = t
                            .tags()
                            .iter()
                            .map(|t| (t.key().to_string(), t.value().to_string()))
                            .collect()
                    }
                    Err(e) => set_prop(&mut r, "tags", "sns:ListTagsForResource", Err(classify(&e))),
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
