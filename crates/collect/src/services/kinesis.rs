//! Kinesis Data Streams: encryption at rest, retention, capacity mode and
//! monitoring of each stream, with its tags.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use serde_json::json;

use super::Service;
use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};

pub(crate) const STREAM: &str = "aws.kinesis.stream";

pub(crate) const SERVICE: Service = Service {
    name: "kinesis",
    global: false,
    types: &[STREAM],
    collect: |s| Box::pin(collect(s)),
};

/// Props read from DescribeStreamSummary: all `null` with an error when it fails.
const SUMMARY_PROPS: &[&str] = &[
    "status",
    "stream_mode",
    "open_shard_count",
    "retention_period_hours",
    "encryption_type",
    "kms_key_id",
    "encrypted",
    "enhanced_monitoring",
];

/// Every stream name of the region. ListStreams pages with `NextToken`; older
/// endpoints (and emulators) answer only `HasMoreStreams` and page with
/// `ExclusiveStartStreamName`, which AWS still accepts.
async fn stream_names(client: &aws_sdk_kinesis::Client) -> Result<Vec<String>, Failure> {
    let mut names = Vec::new();
    let mut seen = BTreeSet::new();
    let mut token: Option<String> = None;
    let mut start: Option<String> = None;
    loop {
        let mut req = client.list_streams().limit(1000);
        if let Some(t) = &token {
            req = req.next_token(t);
        } else if let Some(s) = &start {
            req = req.exclusive_start_stream_name(s);
        }
        let page = req.send().await.map_err(|e| classify(&e))?;
        let before = names.len();
        for n in page.stream_names() {
            if seen.insert(n.clone()) {
                names.push(n.clone());
            }
        }
        token = page.next_token().map(str::to_string);
        if token.is_none() && page.has_more_streams() {
            start = names.last().cloned();
        } else if token.is_none() {
            break;
        }
        // A page that adds nothing would repeat forever.
        if names.len() == before {
            break;
        }
    }
    Ok(names)
}

/// A stream's tags (at most 50 per stream; paged with ExclusiveStartTagKey).
async fn stream_tags(
    client: &aws_sdk_kinesis::Client,
    name: &str,
) -> Result<Vec<(String, String)>, Failure> {
    let mut tags: Vec<(String, String)> = Vec::new();
    loop {
        let mut req = client.list_tags_for_stream().stream_name(name).limit(50);
        if let Some((k, _)) = tags.last() {
            req = req.exclusive_start_tag_key(k);
        }
        let page = req.send().await.map_err(|e| classify(&e))?;
        let before = tags.len();
        tags.extend(page.tags().iter().map(|t| {
            (
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        }));
        if !page.has_more_tags() || tags.len() == before {
            break;
        }
    }
    Ok(tags)
}

async fn collect(scope: Scope) -> Output {
    let client = scope.kinesis();
    let mut out = Output::default();
    let names = match stream_names(&client).await {
        Ok(n) => n,
        Err(f) => {
            out.fail(&scope, &[STREAM], "kinesis:ListStreams", f);
            return out;
        }
    };
    let built = futures_util::stream::iter(names)
        .map(|name| {
            let (scope, client) = (&scope, &client);
            async move {
                let (summary, tags) = tokio::join!(
                    client.describe_stream_summary().stream_name(&name).send(),
                    stream_tags(client, &name),
                );
                let fallback_arn = scope.arn("kinesis", &format!("stream/{name}"));
                let summary = summary.map_err(|e| classify(&e)).map(|o| o.stream_description_summary);
                let arn = match &summary {
                    Ok(Some(s)) if !s.stream_arn().is_empty() => s.stream_arn().to_string(),
                    _ => fallback_arn,
                };
                let mut r = scope.resource(STREAM, arn.clone(), name.clone());
                put(&mut r, json!({"stream_name": name, "arn": arn}));
                match summary {
                    Ok(Some(s)) => {
                        let encryption = s.encryption_type().map(|e| e.as_str());
                        put(
                            &mut r,
                            json!({
                                "status": s.stream_status().as_str(),
                                "stream_mode": s.stream_mode_details().map(|m| m.stream_mode().as_str()),
                                "open_shard_count": s.open_shard_count(),
                                "retention_period_hours": s.retention_period_hours(),
                                // An absent EncryptionType is an unencrypted stream.
                                "encryption_type": encryption.unwrap_or("NONE"),
                                "kms_key_id": opt_str(s.key_id()),
                                "encrypted": encryption == Some("KMS"),
                                "enhanced_monitoring": s
                                    .enhanced_monitoring()
                                    .iter()
                                    .flat_map(|m| m.shard_level_metrics())
                                    .map(|m| m.as_str())
                                    .collect::<Vec<_>>(),
                                "consumer_count": s.consumer_count(),
                                "create_time": ts(Some(s.stream_creation_timestamp())),
                            }),
                        );
                    }
                    Ok(None) => {
                        let f = Failure::new(
                            rampart_inventory::ErrorKind::Other,
                            "DescribeStreamSummary returned no StreamDescriptionSummary",
                        );
                        for p in SUMMARY_PROPS {
                            set_prop(&mut r, p, "kinesis:DescribeStreamSummary", Err(f.clone()));
                        }
                    }
                    Err(f) => {
                        for p in SUMMARY_PROPS {
                            set_prop(&mut r, p, "kinesis:DescribeStreamSummary", Err(f.clone()));
                        }
                    }
                }
                match tags {
                    Ok(t) => r.tags = t.into_iter().collect(),
                    Err(f) => set_prop(&mut r, "tags", "kinesis:ListTagsForStream", Err(f)),
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
