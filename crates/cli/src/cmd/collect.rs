//! Live collection from AWS through rampart-collect, with progress.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result};
use rampart_collect::{CollectOptions, OrgOptions, collect as collect_aws, collect_org};
use rampart_inventory::Inventory;

use crate::cli::AwsArgs;
use crate::progress::Progress;

/// Collects the inventory the flags describe (one account, or with `--org`
/// every account of the organization, merged); returns it with the number
/// of API calls made.
pub fn collect(aws: &AwsArgs, progress: &Progress) -> Result<(Inventory, u64)> {
    let opts = CollectOptions {
        profile: aws.profile.clone(),
        role_arn: aws.role_arn.clone(),
        external_id: aws.external_id.clone(),
        regions: non_empty(&aws.regions),
        services: non_empty(&aws.services),
        ..CollectOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let reporter = Reporter {
        progress,
        done: AtomicUsize::new(0),
        resources: AtomicUsize::new(0),
    };
    progress.set("connecting to AWS");
    let (inventory, stats) = if aws.org {
        let org = OrgOptions {
            role_name: aws.org_role.clone(),
            external_id: aws.org_external_id.clone(),
            max_accounts_parallel: usize::from(aws.max_accounts_parallel),
            accounts: non_empty(&aws.org_accounts),
            exclude_accounts: non_empty(&aws.exclude_accounts).unwrap_or_default(),
        };
        runtime.block_on(collect_org(&opts, &org, &reporter))?
    } else {
        runtime.block_on(collect_aws(&opts, &reporter))?
    };
    Ok((inventory, stats.api_calls))
}

fn non_empty(v: &[String]) -> Option<Vec<String>> {
    let v: Vec<String> = v
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if v.is_empty() { None } else { Some(v) }
}

struct Reporter<'a> {
    progress: &'a Progress,
    done: AtomicUsize,
    resources: AtomicUsize,
}

impl rampart_collect::Progress for Reporter<'_> {
    fn service_started(&self, service: &str, region: &str) {
        self.progress.set(format!(
            "collecting {service} in {region} ({} done, {} resources)",
            self.done.load(Ordering::Relaxed),
            self.resources.load(Ordering::Relaxed)
        ));
    }

    fn service_done(&self, service: &str, region: &str, resources: usize) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let total = self.resources.fetch_add(resources, Ordering::Relaxed) + resources;
        self.progress.set(format!(
            "collected {service} in {region} ({done} done, {total} resources)"
        ));
    }
}
