//! SQS queues with their access policy, encryption and dead-letter setup.

use aws_sdk_sqs::types::QueueAttributeName;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop};

pub(crate) const QUEUE: &str = "aws.sqs.queue";

pub(crate) const SERVICE: Service = Service {
    name: "sqs",
    global: false,
    types: &[QUEUE],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.sqs();
    let mut out = Output::default();
    let urls = match all_items!(client.list_queues()).await {
        Ok(u) => u,
        Err(f) => {
            out.fail(&scope, &[QUEUE], "sqs:ListQueues", f);
            return out;
        }
    };
    let built = futures_util::stream::iter(urls)
        .map(|url| {
            let (scope, client) = (&scope, &client);
            async move {
                let name = url.rsplit('/').next().unwrap_or(&url).to_string();
                let fallback_arn = scope.arn("sqs", &name);
                let (attrs, tags) = tokio::join!(
                    client.get_queue_attributes().queue_url(&url).attribute_names(QueueAttributeName::All).send(),
                    client.list_queue_tags().queue_url(&url).send(),
                );
                let (arn, props) = match attrs {
                    Ok(a) => {
                        let a = a.attributes.unwrap_or_default();
                        let get = |k: QueueAttributeName| a.get(&k).map(String::as_str);
                        let kms = opt_str(get(QueueAttributeName::KmsMasterKeyId));
                        let sse = get(QueueAttributeName::SqsManagedSseEnabled) == Some("true");
                        let redrive = get(QueueAttributeName::RedrivePolicy).map(policy::parse);
                        let arn = get(QueueAttributeName::QueueArn).map(str::to_string).unwrap_or(fallback_arn);
                        let num = |k: QueueAttributeName| get(k).and_then(|v| v.parse::<i64>().ok());
                        (
                            arn,
                            Ok(json!({
                                "policy": get(QueueAttributeName::Policy).map(policy::parse).unwrap_or(Value::Null),
                                "kms_master_key_id": kms.clone(),
                                "sqs_managed_sse": sse,
                                "encrypted": sse || !kms.is_null(),
                                "visibility_timeout": num(QueueAttributeName::VisibilityTimeout),
                                "message_retention_seconds": num(QueueAttributeName::MessageRetentionPeriod),
                                "dead_letter_target_arn": redrive.as_ref().map(|r| r["deadLetterTargetArn"].clone()).unwrap_or(Value::Null),
                                "fifo": name.ends_with(".fifo"),
                            })),
                        )
                    }
                    Err(e) => (fallback_arn, Err(classify(&e))),
                };
                let mut r = scope.resource(QUEUE, arn.clone(), name);
                put(&mut r, json!({"url": url, "arn": arn}));
                match props {
                    Ok(p) => put(&mut r, p),
                    Err(f) => {
                        for p in ["policy", "kms_master_key_id", "encrypted"] {
                            set_prop(&mut r, p, "sqs:GetQueueAttributes", Err(f.clone()));
                        }
                    }
                }
                match tags {
                    Ok(t) => r.tags = t.tags.unwrap_or_default().into_iter().collect(),
                    Err(e) => set_prop(&mut r, "tags", "sqs:ListQueueTags", Err(classify(&e))),
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
