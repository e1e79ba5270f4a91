//! DynamoDB tables: which key encrypts them, point-in-time recovery,
//! deletion protection, streams and the resource policy.
//!
//! DynamoDB always encrypts at rest; what varies is who holds the key (an
//! AWS-owned key, the account's AWS-managed `aws/dynamodb` key, or a
//! customer-managed key). `DescribeTable` names the key only by ARN, so the
//! key's kind comes from the region's KMS aliases (see [`aws_managed_keys`]).

use std::collections::{BTreeMap, HashSet};

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const TABLE: &str = "aws.dynamodb.table";

pub(crate) const SERVICE: Service = Service {
    name: "dynamodb",
    global: false,
    types: &[TABLE],
    collect: |s| Box::pin(collect(s)),
};

/// Encryption by a key AWS owns and shares across accounts (DynamoDB's default).
pub(crate) const AWS_OWNED: &str = "AWS_OWNED";
/// Encryption by the account's AWS-managed key of the service (`aws/<service>`).
pub(crate) const AWS_MANAGED: &str = "AWS_MANAGED";
/// Encryption by a customer-managed KMS key.
pub(crate) const CUSTOMER_MANAGED: &str = "CUSTOMER_MANAGED";

/// The ids of the region's AWS-managed KMS keys: the targets of the
/// `alias/aws/...` aliases, which only AWS can create. (moto reports such
/// keys as `KeyManager: CUSTOMER` in DescribeKey; the aliases are right
/// there and in AWS, and cost one listing per region instead of one call
/// per key.)
pub(crate) async fn aws_managed_keys(scope: &Scope) -> Result<HashSet<String>, Failure> {
    let aliases = scope.kms_aliases().await?;
    Ok(aliases
        .into_iter()
        .filter(|a| a.alias_name().is_some_and(|n| n.starts_with("alias/aws/")))
        .filter_map(|a| a.target_key_id().map(str::to_string))
        .collect())
}

/// Whether a KMS key reference (key id, key ARN, alias name or alias ARN)
/// names an AWS-managed or a customer-managed key. Keys of other accounts
/// are customer-managed: AWS-managed keys cannot be used across accounts.
pub(crate) fn key_type(key: &str, account: &str, aws_managed: &HashSet<String>) -> &'static str {
    if let Some(i) = key.find("alias/") {
        return if key[i..].starts_with("alias/aws/") {
            AWS_MANAGED
        } else {
            CUSTOMER_MANAGED
        };
    }
    if key.starts_with("arn:") && key.split(':').nth(4).is_some_and(|a| a != account) {
        return CUSTOMER_MANAGED;
    }
    let id = key.rsplit_once("key/").map_or(key, |(_, id)| id);
    if aws_managed.contains(id) {
        AWS_MANAGED
    } else {
        CUSTOMER_MANAGED
    }
}

async fn collect(scope: Scope) -> Output {
    let client = scope.dynamodb();
    let mut out = Output::default();
    let names = match all_items!(client.list_tables()).await {
        Ok(n) => n,
        Err(f) => {
            out.fail(&scope, &[TABLE], "dynamodb:ListTables", f);
            return out;
        }
    };
    let built: Vec<(_, Option<String>)> = futures_util::stream::iter(names)
        .map(|name| {
            let (scope, client) = (&scope, &client);
            async move { table(scope, client, name).await }
        })
        .buffer_unordered(scope.fanout())
        .filter_map(|t| async move { t })
        .collect()
        .await;
    // The key kind needs the aliases, listed only when some table uses KMS.
    let aliases = if built.iter().any(|(_, k)| k.is_some()) {
        Some(aws_managed_keys(&scope).await)
    } else {
        None
    };
    for (mut r, key) in built {
        match (key, &aliases) {
            (Some(key), Some(Ok(managed))) => put(
                &mut r,
                json!({"encryption_key_type": key_type(&key, scope.account(), managed)}),
            ),
            (Some(_), Some(Err(f))) => set_prop(
                &mut r,
                "encryption_key_type",
                "kms:ListAliases",
                Err(f.clone()),
            ),
            _ => {}
        }
        out.resources.push(r);
    }
    out
}

/// One table and, when it is encrypted with a KMS key, that key's ARN
/// (its `encryption_key_type` is still to be resolved). `None` when the
/// table was deleted after the listing.
async fn table(
    scope: &Scope,
    client: &aws_sdk_dynamodb::Client,
    name: String,
) -> Option<(rampart_inventory::Resource, Option<String>)> {
    let arn = scope.arn("dynamodb", &format!("table/{name}"));
    let (desc, backups, tags, policy) = tokio::join!(
        client.describe_table().table_name(&name).send(),
        client
            .describe_continuous_backups()
            .table_name(&name)
            .send(),
        tags(client, &arn),
        client.get_resource_policy().resource_arn(&arn).send(),
    );
    let desc = match desc {
        Ok(d) => Ok(d.table),
        Err(e) => {
            let f = classify(&e);
            if f.is("ResourceNotFoundException") {
                return None;
            }
            Err(f)
        }
    };
    let mut r = scope.resource(TABLE, arn.clone(), name.clone());
    put(&mut r, json!({"table_name": name, "arn": arn}));
    let mut kms_key = None;
    match desc {
        Ok(Some(t)) => {
            let sse = t.sse_description();
            let sse_type = sse.and_then(|s| s.sse_type()).map(|s| s.as_str());
            let key = sse
                .and_then(|s| s.kms_master_key_arn())
                .filter(|k| !k.is_empty() && sse_type == Some("KMS"));
            kms_key = key.map(str::to_string);
            put(
                &mut r,
                json!({
                    "status": t.table_status().map(|s| s.as_str()),
                    // Tables without a summary predate on-demand billing: provisioned.
                    "billing_mode": t.billing_mode_summary()
                        .and_then(|b| b.billing_mode())
                        .map_or("PROVISIONED", |b| b.as_str()),
                    "sse_type": sse_type,
                    "sse_status": sse.and_then(|s| s.status()).map(|s| s.as_str()),
                    "kms_key_arn": opt_str(key),
                    // Resolved from the aliases after all tables are read.
                    "encryption_key_type": if key.is_some() { Value::Null } else { json!(AWS_OWNED) },
                    "deletion_protection": t.deletion_protection_enabled().unwrap_or(false),
                    "stream_enabled": t.stream_specification().is_some_and(|s| s.stream_enabled()),
                    "stream_view_type": t.stream_specification()
                        .and_then(|s| s.stream_view_type())
                        .map(|v| v.as_str()),
                    "table_class": t.table_class_summary()
                        .and_then(|c| c.table_class())
                        .map_or("STANDARD", |c| c.as_str()),
                    "item_count": t.item_count(),
                    "size_bytes": t.table_size_bytes(),
                    "replica_regions": t.replicas().iter().filter_map(|x| x.region_name()).collect::<Vec<_>>(),
                    "creation_date": ts(t.creation_date_time()),
                }),
            );
        }
        Ok(None) => {}
        Err(f) => {
            for p in [
                "status",
                "encryption_key_type",
                "kms_key_arn",
                "deletion_protection",
                "stream_enabled",
                "billing_mode",
            ] {
                set_prop(&mut r, p, "dynamodb:DescribeTable", Err(f.clone()));
            }
        }
    }
    match backups {
        Ok(b) => {
            let pitr = b
                .continuous_backups_description()
                .and_then(|c| c.point_in_time_recovery_description());
            put(
                &mut r,
                json!({
                    "point_in_time_recovery": pitr
                        .and_then(|p| p.point_in_time_recovery_status())
                        .is_some_and(|s| s.as_str() == "ENABLED"),
                    "pitr_recovery_period_days": pitr.and_then(|p| p.recovery_period_in_days()),
                    "earliest_restorable_time": ts(pitr.and_then(|p| p.earliest_restorable_date_time())),
                }),
            );
        }
        Err(e) => set_prop(
            &mut r,
            "point_in_time_recovery",
            "dynamodb:DescribeContinuousBackups",
            Err(classify(&e)),
        ),
    }
    match tags {
        Ok(t) => r.tags = t,
        Err(f) => set_prop(&mut r, "tags", "dynamodb:ListTagsOfResource", Err(f)),
    }
    let policy = match policy {
        Ok(p) => Ok(p.policy().map(policy::parse).unwrap_or(Value::Null)),
        Err(e) => {
            let f = classify(&e);
            // No resource policy is an answer, not a failure.
            if f.is("PolicyNotFoundException") {
                Ok(Value::Null)
            } else {
                Err(f)
            }
        }
    };
    set_prop(&mut r, "policy", "dynamodb:GetResourcePolicy", policy);
    Some((r, kms_key))
}

async fn tags(
    client: &aws_sdk_dynamodb::Client,
    arn: &str,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut tags = BTreeMap::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        for t in page.tags() {
            tags.insert(t.key().to_string(), t.value().to_string());
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_references_resolve_to_their_kind() {
        let managed: HashSet<String> = ["1111".to_string()].into();
        let acct = "123456789012";
        let arn = |id: &str| format!("arn:aws:kms:ap-northeast-2:{acct}:key/{id}");
        assert_eq!(key_type(&arn("1111"), acct, &managed), AWS_MANAGED);
        assert_eq!(key_type(&arn("2222"), acct, &managed), CUSTOMER_MANAGED);
        assert_eq!(key_type("1111", acct, &managed), AWS_MANAGED);
        assert_eq!(key_type("alias/aws/dynamodb", acct, &managed), AWS_MANAGED);
        assert_eq!(key_type("alias/orders", acct, &managed), CUSTOMER_MANAGED);
        assert_eq!(
            key_type(
                &format!("arn:aws:kms:us-east-1:{acct}:alias/aws/secretsmanager"),
                acct,
                &managed
            ),
            AWS_MANAGED
        );
        assert_eq!(
            key_type(
                "arn:aws:kms:us-east-1:210987654321:key/1111",
                acct,
                &managed
            ),
            CUSTOMER_MANAGED
        );
    }
}
