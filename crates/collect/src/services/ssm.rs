//! Systems Manager: the account's own documents with whom they are shared,
//! and the regional setting that blocks public sharing of documents.
//!
//! Document content is not read: runbooks may embed credentials, and the
//! rules need only who can see them.

use aws_sdk_ssm::types::{DocumentKeyValuesFilter, DocumentPermissionType};
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const DOCUMENT: &str = "aws.ssm.document";
pub(crate) const ACCOUNT_SETTINGS: &str = "aws.ssm.account_settings";

/// `Enable` (the default) lets documents be shared with `all`; `Disable`
/// blocks it.
const PUBLIC_SHARING_SETTING: &str = "/ssm/documents/console/public-sharing-permission";

pub(crate) const SERVICE: Service = Service {
    name: "ssm",
    global: false,
    types: &[DOCUMENT, ACCOUNT_SETTINGS],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.ssm();
    let mut out = Output::default();
    let owned_by_self = DocumentKeyValuesFilter::builder()
        .key("Owner")
        .values("Self")
        .build();
    let (docs, setting) = tokio::join!(
        all_items!(client.list_documents().filters(owned_by_self)),
        client
            .get_service_setting()
            .setting_id(PUBLIC_SHARING_SETTING)
            .send(),
    );
    match setting {
        Ok(o) => {
            let value = o.service_setting().and_then(|s| s.setting_value());
            let mut r = scope.resource(
                ACCOUNT_SETTINGS,
                scope.arn("ssm", "servicesetting/ssm/documents"),
                "ssm-account-settings",
            );
            put(
                &mut r,
                json!({
                    "public_sharing_permission": opt_str(value),
                    "public_sharing_blocked": value.is_some_and(|v| v.eq_ignore_ascii_case("Disable")),
                    "public_sharing_last_modified": ts(o.service_setting().and_then(|s| s.last_modified_date())),
                }),
            );
            out.resources.push(r);
        }
        Err(e) => out.fail(
            &scope,
            &[ACCOUNT_SETTINGS],
            "ssm:GetServiceSetting",
            classify(&e),
        ),
    }
    let docs = match docs {
        Ok(d) => d,
        Err(f) => {
            out.fail(&scope, &[DOCUMENT], "ssm:ListDocuments", f);
            return out;
        }
    };
    let built: Vec<_> = futures_util::stream::iter(docs)
        .map(|d| {
            let (scope, client) = (&scope, &client);
            async move {
                let name = d.name().unwrap_or_default().to_string();
                let arn = scope.arn("ssm", &format!("document/{name}"));
                let mut r = scope.resource(DOCUMENT, arn.clone(), name.clone());
                r.tags = d
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect();
                put(
                    &mut r,
                    json!({
                        "arn": arn,
                        "owner": opt_str(d.owner()),
                        "document_type": d.document_type().map(|t| t.as_str()),
                        "document_format": d.document_format().map(|f| f.as_str()),
                        "document_version": opt_str(d.document_version()),
                        "schema_version": opt_str(d.schema_version()),
                        "target_type": opt_str(d.target_type()),
                        "created_date": ts(d.created_date()),
                    }),
                );
                match permissions(client, &name).await {
                    Ok(accounts) => {
                        let public = accounts.iter().any(|a| a.eq_ignore_ascii_case("all"));
                        let shared: Vec<Value> = accounts
                            .into_iter()
                            .filter(|a| !a.eq_ignore_ascii_case("all"))
                            .map(Value::String)
                            .collect();
                        put(&mut r, json!({"public": public, "shared_with": shared}));
                    }
                    Err(f) => {
                        for p in ["public", "shared_with"] {
                            set_prop(&mut r, p, "ssm:DescribeDocumentPermission", Err(f.clone()));
                        }
                    }
                }
                r
            }
        })
        .buffer_unordered(scope.fanout())
        .collect()
        .await;
    out.resources.extend(built);
    out
}

/// The accounts a document is shared with (`all` means public).
async fn permissions(client: &aws_sdk_ssm::Client, name: &str) -> Result<Vec<String>, Failure> {
    let mut accounts = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .describe_document_permission()
            .name(name)
            .permission_type(DocumentPermissionType::Share)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        accounts.extend(page.account_ids().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(accounts)
}
