//! How big and how fast the store is for a realistic account:
//! `cargo run --release -p rampart-store --example store_size -- [RESOURCES] [SCANS]`
//! (defaults 10000 and 10). Each scan saves the inventory, in which 1 % of
//! the resources changed since the last scan, and completes with 5 rules
//! per resource (a tenth failing), then reads the findings back.

use std::collections::BTreeMap;
use std::time::Instant;

use rampart_findings::{Finding, Severity, Status, Summary, finding_id};
use rampart_inventory::{Inventory, Resource};
use rampart_store::{CompletedScan, FindingFilter, NewScan, Store};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let resources: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let scans: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(10);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("rampart.db");
    let mut store = Store::open(&path)?;
    let rules = [
        "s3-public",
        "s3-unencrypted",
        "s3-no-versioning",
        "s3-no-logging",
        "s3-no-pab",
    ];

    for n in 0..scans {
        let inv = Inventory {
            collected_at: Some(chrono::Utc::now()),
            resources: (0..resources)
                .map(|i| {
                    // 1 % of the resources change in each scan.
                    let version = if i % 100 == n % 100 { n } else { 0 };
                    Resource {
                        uid: format!("arn:aws:s3:::bucket-{i}"),
                        resource_type: "aws.s3.bucket".into(),
                        account: "123456789012".into(),
                        region: "ap-northeast-2".into(),
                        name: format!("bucket-{i}"),
                        tags: BTreeMap::from([("team".into(), format!("team-{}", i % 20))]),
                        props: json!({
                            "versioning": {"status": "Enabled", "mfa_delete": "Disabled"},
                            "encryption": {"rules": [{"sse_algorithm": "aws:kms", "bucket_key_enabled": true}]},
                            "public_access_block": {"block_public_acls": true, "ignore_public_acls": true,
                                                    "block_public_policy": true, "restrict_public_buckets": true},
                            "logging": {"target_bucket": "logs", "target_prefix": format!("bucket-{i}/")},
                            "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny",
                                "Principal": "*", "Action": "s3:*",
                                "Resource": format!("arn:aws:s3:::bucket-{i}/*"),
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]},
                            "version": version,
                        }),
                        errors: vec![],
                    }
                })
                .collect(),
            ..Default::default()
        };
        let mut findings: Vec<Finding> = inv
            .resources
            .iter()
            .enumerate()
            .flat_map(|(i, r)| {
                rules.iter().enumerate().map(move |(k, rule)| {
                    let fail = (i + k) % 10 == 0;
                    Finding {
                        id: finding_id(rule, &r.uid),
                        rule_id: rule.to_string(),
                        title: format!("{rule} title"),
                        severity: Severity::High,
                        status: if fail { Status::Fail } else { Status::Pass },
                        resource_uid: r.uid.clone(),
                        resource_type: r.resource_type.clone(),
                        resource_name: r.name.clone(),
                        account: r.account.clone(),
                        region: r.region.clone(),
                        reason: if fail {
                            format!("{} allows it", r.name)
                        } else {
                            "configured as expected".into()
                        },
                        first_seen: None,
                        last_seen: None,
                        resolved_at: None,
                        risk: Default::default(),
                        mute: None,
                    }
                })
            })
            .collect();
        let t0 = Instant::now();
        let id = store.begin_scan(&NewScan::new(json!({"source": "example"})))?;
        store.save_inventory(id, &inv)?;
        let t1 = Instant::now();
        let done = CompletedScan {
            finished_at: chrono::Utc::now(),
            duration_ms: 0,
            summary: Summary::of(&findings),
            errors: vec![],
            rules_evaluated: rules.iter().map(|r| r.to_string()).collect(),
            accounts: vec![],
            regions: vec![],
        };
        store.complete_scan(id, &done, &mut findings)?;
        let t2 = Instant::now();
        let read = store.findings(id, &FindingFilter::default())?.len();
        let t3 = Instant::now();
        let inv_back = store.inventory(id)?.resources.len();
        let t4 = Instant::now();
        let size = std::fs::metadata(&path)?.len();
        let wal = std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "scan {id}: save_inventory {:>5} ms, complete_scan {:>5} ms ({} results), findings {:>4} ms ({read}), inventory {:>4} ms ({inv_back}), file {:.1} MB + WAL {:.1} MB",
            (t1 - t0).as_millis(),
            (t2 - t1).as_millis(),
            findings.len(),
            (t3 - t2).as_millis(),
            (t4 - t3).as_millis(),
            size as f64 / 1e6,
            wal as f64 / 1e6,
        );
    }
    Ok(())
}
