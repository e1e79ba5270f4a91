//! Credentials, endpoints, retries and timeouts, and the account and regions
//! they lead to.
//!
//! The standard `aws-config` chain does the credential work (environment,
//! shared config and credentials files, `--profile`, SSO, web identity,
//! container and instance roles). It also honours `AWS_ENDPOINT_URL` and the
//! per-service `AWS_ENDPOINT_URL_<SERVICE>` variables (and `endpoint_url` in
//! the profile), which is how tests point the SDK at the emulator; an explicit
//! [`CollectOptions::endpoint_url`] overrides both.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_types::SdkConfig;
use aws_types::region::Region;
use rampart_inventory::ErrorKind;

use crate::failure::{Failure, classify};
use crate::metrics::CallCounter;
use crate::scope::Shared;
use crate::{CollectError, CollectOptions};

/// Region used for global services and account-level calls when none is
/// configured.
pub(crate) const DEFAULT_HOME_REGION: &str = "us-east-1";

const SESSION_NAME: &str = "rampart-scan";

pub(crate) async fn load(opts: &CollectOptions) -> Result<SdkConfig, CollectError> {
    let t = opts.timeouts;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(t.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(t.connect)
                .operation_attempt_timeout(t.attempt)
                .build(),
        );
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let mut conf = loader.load().await;
    if conf.region().is_none() {
        conf = conf
            .into_builder()
            .region(Region::from_static(DEFAULT_HOME_REGION))
            .build();
    }
    let Some(base_provider) = conf.credentials_provider() else {
        return Err(CollectError::NoCredentials(
            "the credential chain found no provider".into(),
        ));
    };
    if let Some(role) = &opts.role_arn {
        let mut builder = AssumeRoleProvider::builder(role.clone())
            .session_name(SESSION_NAME)
            .configure(&conf);
        if let Some(id) = &opts.external_id {
            builder = builder.external_id(id.clone());
        }
        let provider = SharedCredentialsProvider::new(builder.build().await);
        // Fail now, with the role named, rather than in every collector.
        provider
            .provide_credentials()
            .await
            .map_err(|e| CollectError::AssumeRole {
                role: role.clone(),
                message: error_chain(&e),
            })?;
        conf = conf.into_builder().credentials_provider(provider).build();
    } else if opts.external_id.is_some() {
        return Err(CollectError::InvalidOption(
            "external_id needs role_arn".into(),
        ));
    } else {
        // Resolve once up front so "no credentials" is its own, clear error.
        base_provider
            .provide_credentials()
            .await
            .map_err(|e| CollectError::NoCredentials(error_chain(&e)))?;
    }
    Ok(conf)
}

/// The credentials' account (sts:GetCallerIdentity). Failing here is fatal:
/// a scan that cannot name its account cannot be trusted.
pub(crate) async fn account_id(
    conf: &SdkConfig,
    counter: &CallCounter,
) -> Result<String, CollectError> {
    let client = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(conf)
            .interceptor(counter.clone())
            .build(),
    );
    match client.get_caller_identity().send().await {
        Ok(out) => out
            .account
            .filter(|a| !a.is_empty())
            .ok_or_else(|| CollectError::Identity("the answer had no account".into())),
        Err(e) => Err(CollectError::Identity(classify(&e).message)),
    }
}

/// Regions enabled for the account (ec2:DescribeRegions without
/// `AllRegions`, which leaves out opt-in regions that are not opted in).
pub(crate) async fn enabled_regions(shared: &Shared) -> Result<Vec<String>, Failure> {
    let client = shared.ec2(&shared.home_region);
    let out = client
        .describe_regions()
        .send()
        .await
        .map_err(|e| classify(&e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| {
            r.opt_in_status()
                .is_none_or(|s| s == "opt-in-not-required" || s == "opted-in")
        })
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    regions.dedup();
    if regions.is_empty() {
        return Err(Failure::new(
            ErrorKind::Other,
            "DescribeRegions returned no regions",
        ));
    }
    Ok(regions)
}

/// One cheap call with one short attempt: is the region there for us?
pub(crate) async fn probe_region(shared: &Shared, region: &str) -> Result<(), Failure> {
    let conf = aws_sdk_sts::config::Builder::from(&shared.base)
        .region(Region::new(region.to_string()))
        .interceptor(shared.counter.clone())
        .retry_config(RetryConfig::standard().with_max_attempts(1))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(shared.timeouts.probe)
                .operation_timeout(shared.timeouts.probe)
                .build(),
        )
        .build();
    let client = aws_sdk_sts::Client::from_conf(conf);
    match client.get_caller_identity().send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let mut f = classify(&e);
            // A disabled opt-in region does not know the account's
            // credentials: STS answers as if the token were invalid.
            if matches!(
                f.code.as_deref(),
                Some(
                    "InvalidClientTokenId"
                        | "UnrecognizedClientException"
                        | "AuthFailure"
                        | "OptInRequired"
                )
            ) {
                f.kind = ErrorKind::RegionDisabled;
            }
            Err(f)
        }
    }
}

/// An error and its causes as one readable line: each cause's own message,
/// without the debug dump the SDK's context formatter appends, and without
/// repeating a cause its parent already quotes.
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(c) = cause {
        let m = c.to_string();
        if !m.is_empty() && !text.contains(&m) {
            text.push_str(": ");
            text.push_str(&m);
        }
        cause = c.source();
    }
    text
}
