//! What one collector run knows: account, region, clients, and where its
//! resources and failures go.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use aws_smithy_types::endpoint::Endpoint;
use aws_types::SdkConfig;
use aws_types::region::Region;
use rampart_inventory::{CollectionError, GLOBAL_REGION, PropError, Resource};
use serde_json::{Map, Value};

use crate::config::DEFAULT_HOME_REGION;
use crate::failure::Failure;
use crate::metrics::CallCounter;
use crate::{CollectOptions, Timeouts};

/// State shared by every collector of one collection.
#[derive(Debug)]
pub(crate) struct Shared {
    pub account: String,
    pub base: SdkConfig,
    pub home_region: String,
    pub counter: CallCounter,
    pub timeouts: Timeouts,
    /// Per-resource calls in flight at once inside one collector.
    pub fanout: usize,
    /// Endpoint override in force for S3 Control, if any (see [`Shared::s3control`]).
    s3control_endpoint: Option<String>,
    /// Whether any endpoint override is in force (emulators need path-style S3).
    endpoint_overridden: bool,
    regions: Mutex<Vec<String>>,
    /// Each region's KMS aliases, listed once for every collector that
    /// needs them (kms, and the key kinds of dynamodb and efs).
    kms_aliases: Mutex<BTreeMap<String, Arc<KmsAliases>>>,
}

type KmsAliases = tokio::sync::OnceCell<Result<Vec<aws_sdk_kms::types::AliasListEntry>, Failure>>;

impl Shared {
    pub(crate) fn new(
        account: String,
        base: &SdkConfig,
        opts: &CollectOptions,
        counter: CallCounter,
    ) -> Self {
        let home_region = base
            .region()
            .map(|r| r.to_string())
            .unwrap_or_else(|| DEFAULT_HOME_REGION.to_string());
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let ignore_env = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v == "true");
        let s3control_endpoint = opts
            .endpoint_url
            .clone()
            .or_else(|| {
                if ignore_env {
                    None
                } else {
                    env("AWS_ENDPOINT_URL_S3_CONTROL")
                }
            })
            .or_else(|| base.endpoint_url().map(str::to_string));
        let endpoint_overridden = opts.endpoint_url.is_some()
            || base.endpoint_url().is_some()
            || (!ignore_env && std::env::vars().any(|(k, _)| k.starts_with("AWS_ENDPOINT_URL_")));
        Shared {
            account,
            base: base.clone(),
            home_region,
            counter,
            timeouts: opts.timeouts,
            fanout: opts.per_service_concurrency.max(1),
            s3control_endpoint,
            endpoint_overridden,
            regions: Mutex::new(Vec::new()),
            kms_aliases: Mutex::new(BTreeMap::new()),
        }
    }

    pub(crate) fn set_regions(&self, regions: Vec<String>) {
        match self.regions.lock() {
            Ok(mut r) => *r = regions,
            Err(p) => *p.into_inner() = regions,
        }
    }

    /// The regions being collected (reachable ones).
    pub(crate) fn regions(&self) -> Vec<String> {
        match self.regions.lock() {
            Ok(r) => r.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn conf_for(&self, region: &str) -> SdkConfig {
        let region = if region == GLOBAL_REGION {
            &self.home_region
        } else {
            region
        };
        self.base
            .clone()
            .into_builder()
            .region(Region::new(region.to_string()))
            .build()
    }

    pub(crate) fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        let c = self.conf_for(region);
        aws_sdk_ec2::Client::from_conf(
            aws_sdk_ec2::config::Builder::from(&c)
                .interceptor(self.counter.clone())
                .retry_classifier(crate::retry::NoRetryOnHtmlPage)
                .build(),
        )
    }

    pub(crate) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let c = self.conf_for(region);
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&c)
                .force_path_style(self.endpoint_overridden)
                .interceptor(self.counter.clone())
                .retry_classifier(crate::retry::NoRetryOnHtmlPage)
                .build(),
        )
    }

    /// S3 Control puts the account id into the host name
    /// (`<account>.s3-control.<region>.amazonaws.com`), and its endpoint
    /// rules do the same to a custom endpoint (`<account>.127.0.0.1`), which
    /// an emulator on loopback cannot answer. With an override in force, a
    /// resolver that returns the override unchanged keeps the request
    /// path-style; the account id still travels in `x-amz-account-id`.
    pub(crate) fn s3control(&self) -> aws_sdk_s3control::Client {
        let c = self.conf_for(GLOBAL_REGION);
        let mut b = aws_sdk_s3control::config::Builder::from(&c)
            .interceptor(self.counter.clone())
            .retry_classifier(crate::retry::NoRetryOnHtmlPage);
        if let Some(url) = &self.s3control_endpoint {
            b = b.endpoint_resolver(FixedEndpoint(url.clone()));
        }
        aws_sdk_s3control::Client::from_conf(b.build())
    }

    pub(crate) fn iam(&self) -> aws_sdk_iam::Client {
        let c = self.conf_for(GLOBAL_REGION);
        aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&c)
                .interceptor(self.counter.clone())
                .retry_classifier(crate::retry::NoRetryOnHtmlPage)
                .build(),
        )
    }
}

macro_rules! client_fn {
    ($name:ident, $krate:ident) => {
        pub(crate) fn $name(&self) -> $krate::Client {
            let c = self.shared.conf_for(&self.region);
            $krate::Client::from_conf(
                $krate::config::Builder::from(&c)
                    .interceptor(self.shared.counter.clone())
                    .retry_classifier(crate::retry::NoRetryOnHtmlPage)
                    .build(),
            )
        }
    };
}

#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> EndpointFuture<'a> {
        EndpointFuture::ready(Ok(Endpoint::builder().url(self.0.clone()).build()))
    }
}

/// One collector run: a service in a region (or `global`).
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    pub shared: Arc<Shared>,
    pub service: &'static str,
    pub region: String,
}

impl Scope {
    pub(crate) fn new(shared: Arc<Shared>, service: &'static str, region: &str) -> Self {
        Scope {
            shared,
            service,
            region: region.to_string(),
        }
    }

    pub(crate) fn account(&self) -> &str {
        &self.shared.account
    }

    pub(crate) fn fanout(&self) -> usize {
        self.shared.fanout
    }

    client_fn!(cloudtrail, aws_sdk_cloudtrail);
    client_fn!(kms, aws_sdk_kms);
    client_fn!(config, aws_sdk_config);
    client_fn!(guardduty, aws_sdk_guardduty);
    client_fn!(rds, aws_sdk_rds);
    client_fn!(lambda, aws_sdk_lambda);
    client_fn!(securityhub, aws_sdk_securityhub);
    client_fn!(accessanalyzer, aws_sdk_accessanalyzer);
    client_fn!(logs, aws_sdk_cloudwatchlogs);
    client_fn!(sns, aws_sdk_sns);
    client_fn!(sqs, aws_sdk_sqs);
    client_fn!(cloudwatch, aws_sdk_cloudwatch);
    client_fn!(ecr, aws_sdk_ecr);
    client_fn!(eks, aws_sdk_eks);
    client_fn!(elbv2, aws_sdk_elasticloadbalancingv2);
    client_fn!(dynamodb, aws_sdk_dynamodb);
    client_fn!(secretsmanager, aws_sdk_secretsmanager);
    client_fn!(ssm, aws_sdk_ssm);
    client_fn!(efs, aws_sdk_efs);
    client_fn!(redshift, aws_sdk_redshift);
    client_fn!(kinesis, aws_sdk_kinesis);
    client_fn!(opensearch, aws_sdk_opensearch);

    pub(crate) fn ec2(&self) -> aws_sdk_ec2::Client {
        self.shared.ec2(&self.region)
    }

    /// The region's KMS aliases (kms:ListAliases), listed at most once per
    /// collection whichever collector asks first.
    pub(crate) async fn kms_aliases(
        &self,
    ) -> Result<Vec<aws_sdk_kms::types::AliasListEntry>, Failure> {
        let cell = {
            let mut map = match self.shared.kms_aliases.lock() {
                Ok(m) => m,
                Err(p) => p.into_inner(),
            };
            map.entry(self.region.clone()).or_default().clone()
        };
        let client = self.kms();
        cell.get_or_init(|| async move { all_items!(client.list_aliases()).await })
            .await
            .clone()
    }

    /// `arn:aws:<service>:<region>:<account>:<rest>`.
    pub(crate) fn arn(&self, service: &str, rest: &str) -> String {
        format!(
            "arn:aws:{service}:{}:{}:{rest}",
            self.region,
            self.account()
        )
    }

    /// A resource in this scope's account and region.
    pub(crate) fn resource(
        &self,
        resource_type: &str,
        uid: impl Into<String>,
        name: impl Into<String>,
    ) -> Resource {
        self.resource_in(resource_type, uid, name, &self.region)
    }

    pub(crate) fn resource_in(
        &self,
        resource_type: &str,
        uid: impl Into<String>,
        name: impl Into<String>,
        region: &str,
    ) -> Resource {
        Resource {
            uid: uid.into(),
            resource_type: resource_type.to_string(),
            account: self.account().to_string(),
            region: region.to_string(),
            name: name.into(),
            tags: BTreeMap::new(),
            props: Value::Object(Map::new()),
            errors: Vec::new(),
        }
    }

    /// A scope-level failure: listing `action` failed, so `types` are incomplete.
    pub(crate) fn scope_error(&self, types: &[&str], action: &str, f: Failure) -> CollectionError {
        CollectionError {
            account: self.account().to_string(),
            region: self.region.clone(),
            service: self.service.to_string(),
            resource_types: types.iter().map(|t| t.to_string()).collect(),
            action: action.to_string(),
            kind: f.kind,
            message: f.message,
        }
    }
}

/// What one collector run produced.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub resources: Vec<Resource>,
    pub errors: Vec<CollectionError>,
}

impl Output {
    pub(crate) fn fail(&mut self, scope: &Scope, types: &[&str], action: &str, f: Failure) {
        self.errors.push(scope.scope_error(types, action, f));
    }
}

/// Set a prop from a call result: the value on success, `null` plus a
/// [`PropError`] on failure.
pub(crate) fn set_prop(r: &mut Resource, prop: &str, action: &str, result: Result<Value, Failure>) {
    let value = match result {
        Ok(v) => v,
        Err(f) => {
            r.errors.push(PropError {
                prop: prop.to_string(),
                action: action.to_string(),
                kind: f.kind,
                message: f.message,
            });
            Value::Null
        }
    };
    if let Value::Object(m) = &mut r.props {
        m.insert(prop.to_string(), value);
    }
}

/// Insert plain props (no call involved).
pub(crate) fn put(r: &mut Resource, props: Value) {
    if let (Value::Object(m), Value::Object(new)) = (&mut r.props, props) {
        m.extend(new);
    }
}

/// Timestamps in the inventory are RFC 3339 UTC strings.
pub(crate) fn ts(t: Option<&aws_smithy_types::DateTime>) -> Value {
    t.and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
        .map(Value::String)
        .unwrap_or(Value::Null)
}

/// `Some("")` is as absent as `None`.
pub(crate) fn opt_str(s: Option<&str>) -> Value {
    match s {
        Some(s) if !s.is_empty() => Value::String(s.to_string()),
        _ => Value::Null,
    }
}

/// Every item of a paginated request, or the first failure.
macro_rules! all_items {
    ($req:expr) => {
        async {
            let mut stream = $req.into_paginator().items().send();
            let mut items = Vec::new();
            while let Some(item) = stream.next().await {
                items.push(item.map_err(|e| $crate::failure::classify(&e))?);
            }
            Ok::<_, $crate::failure::Failure>(items)
        }
    };
}
pub(crate) use all_items;

/// Epoch milliseconds (CloudWatch Logs) as an RFC 3339 UTC string.
pub(crate) fn ts_millis(ms: Option<i64>) -> Value {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|d| Value::String(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}
