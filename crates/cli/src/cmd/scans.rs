//! `rampart scans`: the scan history.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use rampart_findings::Summary;
use rampart_output::{ScanInfo, write_scans_table};
use rampart_store::ScanRecord;
use serde_json::json;

use super::{open_store, output_writer};
use crate::cli::{Cli, Format, ScansArgs};

pub fn run(cli: &Cli, args: &ScansArgs) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let records = store.scans(args.limit)?;
    let rows: Vec<(ScanInfo, Option<Summary>)> = records.iter().map(scan_info).collect();
    let mut w = output_writer(None)?;
    match args.format {
        Format::Table => write_scans_table(&mut w, &rows)?,
        Format::Json => {
            let v: Vec<_> = rows
                .iter()
                .map(|(scan, summary)| json!({"scan": scan, "summary": summary}))
                .collect();
            serde_json::to_writer_pretty(&mut w, &v)?;
            writeln!(w)?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The output view of a stored scan.
pub fn scan_info(r: &ScanRecord) -> (ScanInfo, Option<Summary>) {
    let scope = &r.scope;
    let source = scope
        .get("source")
        .and_then(|v| v.as_str())
        .unwrap_or("aws")
        .to_string();
    let info = ScanInfo {
        id: Some(r.id),
        status: r.status.to_string(),
        source,
        started_at: Some(r.started_at),
        finished_at: r.finished_at,
        duration_ms: r.duration_ms,
        accounts: r.accounts.clone(),
        regions: r.regions.clone(),
        // Counted by the caller when it needs it (Store::resource_count).
        resources: 0,
        rules: r.rules_evaluated.unwrap_or(0),
        api_calls: None,
        collection_errors: r.errors.clone(),
    };
    (info, r.summary.clone())
}
