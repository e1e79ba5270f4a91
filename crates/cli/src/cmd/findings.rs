//! `rampart findings`: query the findings of a stored scan.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use chrono::Utc;
use rampart_findings::{Status, Summary};
use rampart_output::{ScanReport, sort_for_display};
use rampart_store::FindingFilter;

use super::scans::scan_info;
use super::{load_rules, localize_titles, open_store, write_report};
use crate::cli::{Cli, FindingsArgs};

pub fn run(cli: &Cli, args: &FindingsArgs) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let record = match args.scan {
        Some(id) => store
            .scan(id)?
            .ok_or_else(|| anyhow!("no scan with id {id} (see `rampart scans`)"))?,
        None => store
            .latest_completed_scan()?
            .ok_or_else(|| anyhow!("no completed scan yet: run `rampart scan` first"))?,
    };
    // Status is filtered after the mutes in force are applied: a mute added
    // or lapsed since the scan changes it.
    let filter = FindingFilter {
        statuses: Vec::new(),
        min_severity: args.min_severity,
        severities: args.severity.clone(),
        services: args.service.clone(),
        rule_ids: args.rule.clone(),
        resource: args.resource.clone(),
        regions: args.region.clone(),
        accounts: args.account.clone(),
    };
    let mut findings = store.findings(record.id, &filter)?;
    // Tags come from the scan's stored inventory, read only when a mute needs them.
    let inventory = if store.mutes(false)?.iter().any(|m| m.tag_key.is_some()) {
        store.inventory(record.id).ok()
    } else {
        None
    };
    super::mute::apply(&store, &mut findings, inventory.as_ref(), Utc::now())?;
    super::mute::retain_statuses(&mut findings, &args.status);
    sort_for_display(&mut findings);
    if cli.lang != crate::cli::Lang::En {
        localize_titles(&mut findings, &load_rules(cli, true)?, cli.lang);
    }
    let summary = Summary::of(&findings);
    let (mut info, _) = scan_info(&record);
    info.resources = store.resource_count(record.id)?;
    let report = ScanReport {
        scan: &info,
        summary: &summary,
        findings: &findings,
    };
    // Asking for passing findings by status means showing them.
    let show_pass = args.out.show_pass || args.status.contains(&Status::Pass);
    write_report(&args.out, &report, show_pass)?;
    Ok(ExitCode::SUCCESS)
}
