//! `rampart scan`: collect (or read) an inventory, evaluate every rule,
//! record the scan and its findings, print the result.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::Utc;
use rampart_evaluate::{ContextOptions, apply_context, evaluate};
use rampart_findings::{Severity, Summary};
use rampart_inventory::Inventory;
use rampart_output::{ScanInfo, ScanReport, sort_for_display};
use rampart_store::{CompletedScan, NewScan};

use super::{load_rules, localize_titles, open_store, output_writer, write_report};
use crate::cli::{Cli, ScanArgs};
use crate::progress::Progress;

pub fn run(cli: &Cli, args: &ScanArgs) -> Result<ExitCode> {
    if args.no_builtin_rules && cli.rules_dirs.is_empty() {
        bail!("--no-builtin-rules needs at least one --rules DIR");
    }
    let rules = load_rules(cli, !args.no_builtin_rules)?;
    let mut store = if args.no_store {
        None
    } else {
        Some(open_store(cli)?)
    };

    // Mutes apply even to a scan that is not recorded, when the database
    // already exists.
    let mute_store = match (&store, super::db_path(cli)) {
        (None, Ok(path)) if path.exists() => Some(open_store(cli)?),
        _ => None,
    };

    let started_at = Utc::now();
    let clock = Instant::now();
    let source = match &args.inventory {
        Some(p) => format!("inventory:{}", p.display()),
        None => "aws".to_string(),
    };
    let mut scope = serde_json::json!({
        "source": source,
        "regions": args.aws.regions,
        "services": args.aws.services,
        "profile": args.aws.profile,
        "role_arn": args.aws.role_arn,
    });
    if args.aws.org && args.inventory.is_none() {
        scope["org"] = serde_json::json!({
            "role": args.aws.org_role,
            "accounts": args.aws.org_accounts,
            "exclude_accounts": args.aws.exclude_accounts,
        });
    }
    let scan_id = match store.as_mut() {
        Some(s) => Some(s.begin_scan(&NewScan {
            who: rampart_store::who(),
            scope,
            started_at,
        })?),
        None => None,
    };

    // From here on a failure marks the scan failed, so history stays honest.
    let result = scan_and_evaluate(
        args,
        &rules,
        &source,
        started_at,
        clock,
        store.as_mut(),
        mute_store.as_ref(),
        scan_id,
    );
    let (info, summary, mut findings) = match result {
        Ok(v) => v,
        Err(err) => {
            if let (Some(s), Some(id)) = (store.as_mut(), scan_id) {
                // The original error matters more than a second one here.
                let _ = s.fail_scan(id, &format!("{err:#}"));
            }
            return Err(err);
        }
    };

    sort_for_display(&mut findings);
    localize_titles(&mut findings, &rules, cli.lang);
    let report = ScanReport {
        scan: &info,
        summary: &summary,
        findings: &findings,
    };
    write_report(&args.out, &report, args.out.show_pass)?;
    Ok(exit_code(&summary, args.fail_on))
}

#[allow(clippy::too_many_arguments)]
fn scan_and_evaluate(
    args: &ScanArgs,
    rules: &rampart_evaluate::RuleSet,
    source: &str,
    started_at: chrono::DateTime<Utc>,
    clock: Instant,
    mut store: Option<&mut rampart_store::Store>,
    mute_source: Option<&rampart_store::Store>,
    scan_id: Option<i64>,
) -> Result<(ScanInfo, Summary, Vec<rampart_findings::Finding>)> {
    let progress = Progress::new();
    let (inventory, api_calls) = match &args.inventory {
        Some(path) => {
            progress.set(format!("reading {}", path.display()));
            (read_inventory(path)?, None)
        }
        None => {
            let (inv, calls) = super::collect::collect(&args.aws, &progress)?;
            (inv, Some(calls))
        }
    };
    if let Some(path) = &args.save_inventory {
        progress.set(format!("writing {}", path.display()));
        write_inventory(path, &inventory)?;
    }
    if let (Some(s), Some(id)) = (store.as_deref_mut(), scan_id) {
        progress.set("storing inventory");
        s.save_inventory(id, &inventory)?;
    }

    progress.set(format!(
        "evaluating {} rules on {} resources",
        rules.rules().len(),
        inventory.resources.len()
    ));
    let evaluated: Vec<String> = rules
        .rules()
        .iter()
        .filter(|r| inventory.covers_type(&r.resource_type))
        .map(|r| r.id.clone())
        .collect();
    let mut findings = evaluate(rules, &inventory, started_at);
    let mut context = ContextOptions::default();
    if !args.pii_tags.is_empty() {
        context.pii_tags = args.pii_tags.clone();
    }
    apply_context(&mut findings, rules, &inventory, &context);
    if let Some(mutes) = store.as_deref().or(mute_source) {
        let hits = super::mute::apply(mutes, &mut findings, Some(&inventory), started_at)?;
        super::mute::warn_unused(mutes, &hits)?;
    }
    let summary = Summary::of(&findings);
    let finished_at = Utc::now();
    let duration_ms = u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX);
    let accounts = inventory.scope_accounts();
    let regions = covered_regions(&inventory);

    if let (Some(s), Some(id)) = (store, scan_id) {
        progress.set("storing findings");
        let done = CompletedScan {
            finished_at,
            duration_ms,
            summary: summary.clone(),
            errors: inventory.errors.clone(),
            rules_evaluated: evaluated.clone(),
            accounts: accounts.clone(),
            regions: regions.clone(),
        };
        s.complete_scan(id, &done, &mut findings)?;
    }
    progress.finish();

    let info = ScanInfo {
        id: scan_id,
        status: "completed".into(),
        source: source.to_string(),
        started_at: Some(started_at),
        finished_at: Some(finished_at),
        duration_ms: Some(duration_ms),
        accounts,
        regions,
        resources: inventory.resources.len(),
        rules: evaluated.len(),
        api_calls,
        collection_errors: inventory.errors,
    };
    Ok((info, summary, findings))
}

/// Every region the scan covered, `global` included when global services
/// were collected: the store resolves missing findings only inside these.
fn covered_regions(inv: &Inventory) -> Vec<String> {
    let mut v = inv.scope_regions();
    v.extend(inv.resources.iter().map(|r| r.region.clone()));
    v.extend(inv.errors.iter().map(|e| e.region.clone()));
    v.sort();
    v.dedup();
    v
}

/// Reads an inventory file: an inventory object, or a bare array of
/// resources. Errors name the file, line and column.
pub fn read_inventory(path: &Path) -> Result<Inventory> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read inventory {}", path.display()))?;
    let parsed = if text.trim_start().starts_with('[') {
        serde_json::from_str(&text).map(|resources| Inventory {
            resources,
            ..Inventory::default()
        })
    } else {
        serde_json::from_str::<Inventory>(&text)
    };
    parsed.map_err(|e| {
        anyhow::anyhow!(
            "{}:{}:{}: invalid inventory: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })
}

fn write_inventory(path: &Path, inv: &Inventory) -> Result<()> {
    let mut w = output_writer(Some(path))?;
    serde_json::to_writer_pretty(&mut w, inv)
        .with_context(|| format!("cannot write {}", path.display()))?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

fn exit_code(summary: &Summary, fail_on: Option<Severity>) -> ExitCode {
    match (fail_on, summary.worst_failing()) {
        (Some(threshold), Some(worst)) if worst >= threshold => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    }
}
