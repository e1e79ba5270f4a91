//! IAM Access Analyzer: the analyzers of each region (one resource per
//! account and region, with or without analyzers, so "no analyzer in X" is a
//! fact).

use serde_json::{Value, json};

use super::Service;
use crate::failure::classify;
use crate::scope::{Output, Scope, put};

pub(crate) const REGION: &str = "aws.accessanalyzer.region";

pub(crate) const SERVICE: Service = Service {
    name: "accessanalyzer",
    global: false,
    types: &[REGION],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.accessanalyzer();
    let mut out = Output::default();
    let mut analyzers: Vec<Value> = Vec::new();
    let mut enabled = false;
    let mut token: Option<String> = None;
    loop {
        let page = match client
            .list_analyzers()
            .set_next_token(token.take())
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) => {
                out.fail(
                    &scope,
                    &[REGION],
                    "access-analyzer:ListAnalyzers",
                    classify(&e),
                );
                return out;
            }
        };
        for a in page.analyzers() {
            let kind = a.r#type().as_str();
            let status = a.status().as_str();
            enabled |= status == "ACTIVE" && (kind == "ACCOUNT" || kind == "ORGANIZATION");
            analyzers
                .push(json!({"name": a.name(), "type": kind, "status": status, "arn": a.arn()}));
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    let mut r = scope.resource(
        REGION,
        scope.arn("access-analyzer", "analyzer"),
        "access-analyzer",
    );
    put(&mut r, json!({"enabled": enabled, "analyzers": analyzers}));
    out.resources.push(r);
    out
}
