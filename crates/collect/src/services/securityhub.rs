//! Security Hub: the hub of each region (one resource per account and
//! region, subscribed or not, so "Security Hub is off in X" is a fact).

use aws_sdk_securityhub::error::SdkError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, put, set_prop};

pub(crate) const HUB: &str = "aws.securityhub.hub";

pub(crate) const SERVICE: Service = Service {
    name: "securityhub",
    global: false,
    types: &[HUB],
    collect: |s| Box::pin(collect(s)),
};

/// DescribeHub's answer for an account that is not subscribed in the region
/// (`InvalidAccessException`: "Account ... is not subscribed to AWS Security
/// Hub"). moto sends it as an XML body the SDK cannot parse for this
/// REST-JSON API, so the error-type header and the raw body are read too.
fn not_subscribed<E>(e: &SdkError<E, HttpResponse>, f: &Failure) -> bool {
    if f.is("InvalidAccessException") || f.message.to_ascii_lowercase().contains("not subscribed") {
        return true;
    }
    e.raw_response().is_some_and(|r| {
        r.headers()
            .get("x-amzn-errortype")
            .is_some_and(|t| t.starts_with("InvalidAccessException"))
            || r.body().bytes().is_some_and(|b| {
                String::from_utf8_lossy(b).contains("not subscribed to AWS Security Hub")
            })
    })
}

async fn collect(scope: Scope) -> Output {
    let client = scope.securityhub();
    let mut out = Output::default();
    let hub = match client.describe_hub().send().await {
        Ok(h) => Some(h),
        Err(e) => {
            let f = classify(&e);
            if !not_subscribed(&e, &f) {
                out.fail(&scope, &[HUB], "securityhub:DescribeHub", f);
                return out;
            }
            None
        }
    };
    let mut r = scope.resource(HUB, scope.arn("securityhub", "hub/default"), "hub");
    let Some(hub) = hub else {
        put(
            &mut r,
            json!({"enabled": false, "hub_arn": null, "subscribed_at": null,
                   "auto_enable_controls": null, "standards": []}),
        );
        out.resources.push(r);
        return out;
    };
    put(
        &mut r,
        json!({
            "enabled": true,
            "hub_arn": hub.hub_arn(),
            "subscribed_at": hub.subscribed_at(),
            "auto_enable_controls": hub.auto_enable_controls(),
        }),
    );
    set_prop(
        &mut r,
        "standards",
        "securityhub:GetEnabledStandards",
        enabled_standards(&client).await,
    );
    out.resources.push(r);
    out
}

async fn enabled_standards(client: &aws_sdk_securityhub::Client) -> Result<Value, Failure> {
    let mut standards = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_enabled_standards()
            .set_next_token(token.take())
            .max_results(100)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        for s in page.standards_subscriptions() {
            standards.push(json!({
                "arn": s.standards_arn(),
                "status": s.standards_status().map(|s| s.as_str()),
            }));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(Value::Array(standards))
}
