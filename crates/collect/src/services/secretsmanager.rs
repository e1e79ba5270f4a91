//! Secrets Manager secrets: rotation, last use, encryption key and resource
//! policy. Metadata only: the collector never calls GetSecretValue (nor
//! BatchGetSecretValue), so no secret value can reach the inventory.

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use super::dynamodb::{AWS_MANAGED, CUSTOMER_MANAGED};
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};

pub(crate) const SECRET: &str = "aws.secretsmanager.secret";

pub(crate) const SERVICE: Service = Service {
    name: "secretsmanager",
    global: false,
    types: &[SECRET],
    collect: |s| Box::pin(collect(s)),
};

/// ListSecrets omits `KmsKeyId` for secrets under the AWS-managed
/// `aws/secretsmanager` key; an explicit reference to that alias means the
/// same key.
fn key_type(kms_key_id: Option<&str>) -> &'static str {
    match kms_key_id {
        None | Some("") => AWS_MANAGED,
        Some(k) if k.ends_with("alias/aws/secretsmanager") => AWS_MANAGED,
        Some(_) => CUSTOMER_MANAGED,
    }
}

async fn list(
    client: &aws_sdk_secretsmanager::Client,
) -> Result<Vec<aws_sdk_secretsmanager::types::SecretListEntry>, Failure> {
    let mut pages = client.list_secrets().into_paginator().send();
    let mut secrets = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        secrets.extend(page.secret_list().iter().cloned());
    }
    Ok(secrets)
}

async fn collect(scope: Scope) -> Output {
    let client = scope.secretsmanager();
    let mut out = Output::default();
    let secrets = match list(&client).await {
        Ok(s) => s,
        Err(f) => {
            out.fail(&scope, &[SECRET], "secretsmanager:ListSecrets", f);
            return out;
        }
    };
    let built: Vec<_> = futures_util::stream::iter(secrets)
        .map(|s| {
            let (scope, client) = (&scope, &client);
            async move {
                let name = s.name().unwrap_or_default().to_string();
                let arn = s
                    .arn()
                    .map(str::to_string)
                    .unwrap_or_else(|| scope.arn("secretsmanager", &format!("secret:{name}")));
                let mut r = scope.resource(SECRET, arn.clone(), name.clone());
                r.tags = s
                    .tags()
                    .iter()
                    .filter_map(|t| {
                        Some((
                            t.key()?.to_string(),
                            t.value().unwrap_or_default().to_string(),
                        ))
                    })
                    .collect();
                let rules = s.rotation_rules();
                put(
                    &mut r,
                    json!({
                        "arn": arn,
                        "rotation_enabled": s.rotation_enabled().unwrap_or(false),
                        "rotation_lambda_arn": opt_str(s.rotation_lambda_arn()),
                        "rotation_interval_days": rules.and_then(|r| r.automatically_after_days()),
                        "rotation_schedule_expression": opt_str(rules.and_then(|r| r.schedule_expression())),
                        "last_rotated_date": ts(s.last_rotated_date()),
                        "next_rotation_date": ts(s.next_rotation_date()),
                        "last_changed_date": ts(s.last_changed_date()),
                        "last_accessed_date": ts(s.last_accessed_date()),
                        "created_date": ts(s.created_date()),
                        "kms_key_id": opt_str(s.kms_key_id()),
                        "encryption_key_type": key_type(s.kms_key_id()),
                        "owning_service": opt_str(s.owning_service()),
                        "primary_region": opt_str(s.primary_region()),
                    }),
                );
                let policy = match client.get_resource_policy().secret_id(&arn).send().await {
                    Ok(p) => Ok(p.resource_policy().map(policy::parse).unwrap_or(Value::Null)),
                    Err(e) => {
                        let f = classify(&e);
                        // Deleted since the listing: it no longer exists.
                        if f.is("ResourceNotFoundException") {
                            return None;
                        }
                        Err(f)
                    }
                };
                set_prop(&mut r, "policy", "secretsmanager:GetResourcePolicy", policy);
                Some(r)
            }
        })
        .buffer_unordered(scope.fanout())
        .filter_map(|r| async move { r })
        .collect()
        .await;
    out.resources.extend(built);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_key_is_aws_managed() {
        assert_eq!(key_type(None), AWS_MANAGED);
        assert_eq!(key_type(Some("alias/aws/secretsmanager")), AWS_MANAGED);
        assert_eq!(
            key_type(Some(
                "arn:aws:kms:ap-northeast-2:123456789012:key/0b6e7c1e-0000-4000-8000-000000000000"
            )),
            CUSTOMER_MANAGED
        );
    }
}
