//! Collect an AWS inventory with the AWS SDK for Rust.
//!
//! This is the only crate that links the AWS SDK: everything after it reads
//! the [`Inventory`] and builds in seconds. [`collect`] resolves credentials
//! (the standard chain, optionally an assumed role), finds the account and the
//! regions, then runs one collector per (service, region) concurrently. Each
//! collector lives in its own module under `services/` and is listed once in
//! [`services::SERVICES`].
//!
//! Collection never stops at the first failure. A failed listing becomes a
//! [`rampart_inventory::CollectionError`] naming the resource types it leaves
//! incomplete; a failed read of one part of a resource becomes a
//! [`rampart_inventory::PropError`] on that resource. Only problems that make
//! the whole scan meaningless (no credentials, no account id) are a
//! [`CollectError`].
//!
//! [`collect_org`] does the same for every account of an AWS Organization:
//! it lists the accounts with the management account's credentials, enters
//! each through a role, and merges the accounts into one inventory. An
//! account that cannot be entered is recorded, never fatal for the others.

mod config;
mod derive;
mod failure;
mod metrics;
mod org;
mod policy;
mod retry;
mod scope;
mod secrets;
mod services;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rampart_inventory::{CollectionError, ErrorKind, GLOBAL_REGION, Inventory};

use crate::scope::{Output, Scope, Shared};

pub use org::{DEFAULT_ORG_ROLE, OrgOptions, collect_org};

/// What to collect and with which credentials.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Named profile from the shared config files (`--profile`).
    pub profile: Option<String>,
    /// Role to assume with STS before collecting.
    pub role_arn: Option<String>,
    /// External id for the assumed role.
    pub external_id: Option<String>,
    /// Regions to scan; `None` means every region enabled for the account.
    pub regions: Option<Vec<String>>,
    /// Services to scan (names from [`supported_services`]); `None` means all.
    pub services: Option<Vec<String>>,
    /// Endpoint for every service (an emulator); overrides `AWS_ENDPOINT_URL`.
    pub endpoint_url: Option<String>,
    /// (service, region) collectors running at once; 0 means the default (16).
    pub max_concurrency: usize,
    /// Per-resource calls in flight at once inside one collector; 0 means 8.
    pub per_service_concurrency: usize,
    /// Connect timeout and per-attempt timeout for every call.
    pub timeouts: Timeouts,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            profile: None,
            role_arn: None,
            external_id: None,
            regions: None,
            services: None,
            endpoint_url: None,
            max_concurrency: 16,
            per_service_concurrency: 8,
            timeouts: Timeouts::default(),
        }
    }
}

/// Network timeouts. The defaults recognise an unreachable region within
/// seconds while leaving slow but working APIs time to answer.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// One attempt of one call (retries get their own).
    pub attempt: Duration,
    /// The per-region reachability probe (one attempt, no retry).
    pub probe: Duration,
    /// Retries (adaptive mode) on throttling and transient errors.
    pub max_attempts: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(3),
            attempt: Duration::from_secs(30),
            probe: Duration::from_secs(5),
            max_attempts: 5,
        }
    }
}

/// Numbers about one collection.
#[derive(Debug, Clone, Default)]
pub struct CollectStats {
    /// API operations performed (an operation retried counts once).
    pub api_calls: u64,
    /// HTTP requests sent, retries included.
    pub http_requests: u64,
    /// Operations per `service:Operation`.
    pub calls_by_operation: BTreeMap<String, u64>,
    pub duration: Duration,
    /// Regions collected (reachable ones).
    pub regions: Vec<String>,
    /// Regions skipped because they were disabled or unreachable.
    pub skipped_regions: Vec<String>,
    pub resources: usize,
    /// Scope-level plus resource-level failures.
    pub errors: usize,
    /// Every account considered and what became of it: the one account of
    /// [`collect`], or each account of the organization in [`collect_org`].
    pub accounts: Vec<AccountScan>,
}

/// One account of a collection.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountScan {
    pub id: String,
    /// The account's name in the organization, when listed from one.
    pub name: Option<String>,
    pub outcome: AccountOutcome,
}

/// What became of one account.
#[derive(Debug, Clone, PartialEq)]
pub enum AccountOutcome {
    /// Collected (its own failures, if any, are in the inventory).
    Scanned,
    /// Not attempted: the organization lists it as not `ACTIVE`
    /// (`SUSPENDED`, `PENDING_CLOSURE`, ...).
    Skipped { state: String },
    /// Its role could not be assumed: nothing of it was collected.
    Failed { kind: ErrorKind, message: String },
}

/// Told as collectors start and finish; the CLI draws a progress bar from it.
pub trait Progress: Send + Sync {
    fn service_started(&self, service: &str, region: &str);
    fn service_done(&self, service: &str, region: &str, resources: usize);
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn service_started(&self, _service: &str, _region: &str) {}
    fn service_done(&self, _service: &str, _region: &str, _resources: usize) {}
}

/// Problems that stop a collection before it starts.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(
        "no AWS credentials ({0}); set AWS_PROFILE or pass --profile, export AWS_ACCESS_KEY_ID and \
         AWS_SECRET_ACCESS_KEY, run `aws sso login`, or run where an instance or container role is available"
    )]
    NoCredentials(String),
    #[error("could not assume role {role}: {message}")]
    AssumeRole { role: String, message: String },
    #[error("could not determine the account (sts:GetCallerIdentity): {0}")]
    Identity(String),
    #[error("unknown service {0:?}; supported: {1}")]
    UnknownService(String, String),
    #[error("invalid option: {0}")]
    InvalidOption(String),
    #[error("cannot scan the organization: {0}")]
    Organization(String),
}

/// Names of the services [`collect`] can scan, in collection order.
pub fn supported_services() -> &'static [&'static str] {
    services::NAMES
}

/// Resource types a service produces (empty for an unknown service).
pub fn resource_types(service: &str) -> &'static [&'static str] {
    services::find(service).map(|s| s.types).unwrap_or(&[])
}

/// Collect the inventory of the account the credentials belong to.
pub async fn collect(
    opts: &CollectOptions,
    progress: &dyn Progress,
) -> Result<(Inventory, CollectStats), CollectError> {
    let started = Instant::now();
    let collected_at = chrono::Utc::now();
    let selected = select_services(opts)?;

    let counter = metrics::CallCounter::default();
    let base = config::load(opts).await?;
    let account = config::account_id(&base, &counter).await?;

    let one = collect_account(opts, &selected, &base, account.clone(), &counter, progress).await;
    let mut inventory = one.inventory;
    inventory.collected_at = Some(collected_at);
    let stats = CollectStats {
        api_calls: counter.calls(),
        http_requests: counter.requests(),
        calls_by_operation: counter.by_operation(),
        duration: started.elapsed(),
        regions: one.regions,
        skipped_regions: one.skipped,
        resources: inventory.resources.len(),
        errors: error_count(&inventory),
        accounts: vec![AccountScan {
            id: account,
            name: None,
            outcome: AccountOutcome::Scanned,
        }],
    };
    Ok((inventory, stats))
}

/// One account's collection, before it is merged or timed.
pub(crate) struct AccountCollection {
    /// Without `collected_at`: the caller knows when the whole scan began.
    pub inventory: Inventory,
    /// Regions collected (reachable ones).
    pub regions: Vec<String>,
    /// Regions skipped as disabled or unreachable.
    pub skipped: Vec<String>,
}

/// Collect one account whose credentials and identity are settled: find
/// its regions, probe them, run every selected collector.
pub(crate) async fn collect_account(
    opts: &CollectOptions,
    selected: &[&'static services::Service],
    base: &aws_types::SdkConfig,
    account: String,
    counter: &metrics::CallCounter,
    progress: &dyn Progress,
) -> AccountCollection {
    let shared = Arc::new(Shared::new(account.clone(), base, opts, counter.clone()));
    let mut errors: Vec<CollectionError> = Vec::new();

    let needs_regions =
        selected.iter().any(|s| !s.global) || selected.iter().any(|s| s.name == "s3");
    let regions = if needs_regions || opts.regions.is_some() {
        match &opts.regions {
            Some(list) => list.clone(),
            None => match config::enabled_regions(&shared).await {
                Ok(list) => list,
                Err(f) => {
                    errors.push(CollectionError {
                        account: account.clone(),
                        region: shared.home_region.clone(),
                        service: "ec2".into(),
                        resource_types: vec![],
                        action: "ec2:DescribeRegions".into(),
                        kind: f.kind,
                        message: format!(
                            "could not list enabled regions, scanning {} only: {}",
                            shared.home_region, f.message
                        ),
                    });
                    vec![shared.home_region.clone()]
                }
            },
        }
    } else {
        vec![]
    };

    // Recognise disabled and unreachable regions once, quickly, instead of
    // letting every collector time out on its own.
    let probes = futures_util::stream::iter(regions.iter().cloned())
        .map(|region| {
            let shared = shared.clone();
            async move {
                let r = config::probe_region(&shared, &region).await;
                (region, r)
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let mut live_regions = Vec::new();
    let mut skipped = Vec::new();
    for (region, result) in probes {
        match result {
            Ok(()) => live_regions.push(region),
            Err(f) => {
                for svc in selected.iter().filter(|s| !s.global) {
                    errors.push(CollectionError {
                        account: account.clone(),
                        region: region.clone(),
                        service: svc.name.to_string(),
                        resource_types: svc.types.iter().map(|t| t.to_string()).collect(),
                        action: "sts:GetCallerIdentity".into(),
                        kind: f.kind,
                        message: format!("region skipped: {}", f.message),
                    });
                }
                skipped.push(region);
            }
        }
    }
    live_regions.sort();
    skipped.sort();
    shared.set_regions(live_regions.clone());

    let mut jobs: Vec<(&'static services::Service, String)> = Vec::new();
    for svc in selected {
        if svc.global {
            jobs.push((svc, GLOBAL_REGION.to_string()));
        } else {
            for r in &live_regions {
                jobs.push((svc, r.clone()));
            }
        }
    }

    let outputs = futures_util::stream::iter(jobs)
        .map(|(svc, region)| {
            let scope = Scope::new(shared.clone(), svc.name, &region);
            async move {
                progress.service_started(svc.name, &region);
                let out = (svc.collect)(scope).await;
                progress.service_done(svc.name, &region, out.resources.len());
                out
            }
        })
        .buffer_unordered(opts.max_concurrency.max(1))
        .collect::<Vec<Output>>()
        .await;

    let mut resources = Vec::new();
    for out in outputs {
        resources.extend(out.resources);
        errors.extend(out.errors);
    }
    resources.sort_by(|a, b| {
        (&a.resource_type, &a.region, &a.uid).cmp(&(&b.resource_type, &b.region, &b.uid))
    });
    errors.sort_by(|a, b| {
        (&a.service, &a.region, &a.action).cmp(&(&b.service, &b.region, &b.action))
    });

    let mut scope_regions = live_regions.clone();
    scope_regions.extend(skipped.iter().cloned());
    scope_regions.sort();
    let mut inventory = Inventory {
        collected_at: None,
        accounts: vec![account],
        regions: scope_regions,
        services: selected.iter().map(|s| s.name.to_string()).collect(),
        resource_types: selected
            .iter()
            .flat_map(|s| s.types.iter().map(|t| t.to_string()))
            .collect(),
        resources,
        errors,
    };
    derive::apply(&mut inventory);
    AccountCollection {
        inventory,
        regions: live_regions,
        skipped,
    }
}

/// Scope-level plus resource-level failures.
pub(crate) fn error_count(inventory: &Inventory) -> usize {
    inventory.errors.len()
        + inventory
            .resources
            .iter()
            .map(|r| r.errors.len())
            .sum::<usize>()
}

fn select_services(opts: &CollectOptions) -> Result<Vec<&'static services::Service>, CollectError> {
    match &opts.services {
        None => Ok(services::SERVICES.iter().collect()),
        Some(names) => {
            let mut out: Vec<&'static services::Service> = Vec::new();
            for name in names {
                let svc = services::find(name).ok_or_else(|| {
                    CollectError::UnknownService(name.clone(), services::NAMES.join(", "))
                })?;
                if !out.iter().any(|s| s.name == svc.name) {
                    out.push(svc);
                }
            }
            Ok(out)
        }
    }
}
