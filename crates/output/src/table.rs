//! Human output: failing findings grouped by severity, what could not be
//! scanned, and a one-line summary. Colour only when asked (the CLI asks
//! when stdout is a terminal and `NO_COLOR` is unset).

use std::io::{self, Write};

use owo_colors::{OwoColorize, Style};
use rampart_findings::{Finding, Severity, Status, Summary};

use crate::{ScanInfo, ScanReport};

/// How the table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOptions {
    /// ANSI colours.
    pub color: bool,
    /// Also list passing findings (normally only counted).
    pub show_pass: bool,
}

fn style(opts: &TableOptions, s: Style) -> Style {
    if opts.color { s } else { Style::new() }
}

fn severity_style(sev: Severity) -> Style {
    match sev {
        Severity::Critical => Style::new().bright_white().on_red().bold(),
        Severity::High => Style::new().red().bold(),
        Severity::Medium => Style::new().yellow().bold(),
        Severity::Low => Style::new().blue(),
        Severity::Info => Style::new().dimmed(),
    }
}

/// The whole scan: header, findings, collection errors, summary.
pub fn write_table(
    mut w: impl Write,
    report: &ScanReport<'_>,
    opts: TableOptions,
) -> io::Result<()> {
    let scan = report.scan;
    let bold = style(&opts, Style::new().bold());
    let id = scan.id.map(|i| format!("#{i} ")).unwrap_or_default();
    writeln!(
        w,
        "{} {}from {} — {} resources, {} rules, accounts {}, regions {}",
        "Scan".style(bold),
        id,
        scan.source,
        scan.resources,
        scan.rules,
        list_or_dash(&scan.accounts),
        list_or_dash(&scan.regions),
    )?;
    writeln!(w)?;
    write_findings_table(&mut w, report.findings, opts)?;
    if !scan.collection_errors.is_empty() {
        writeln!(
            w,
            "{}",
            "COULD NOT SCAN".style(style(&opts, Style::new().magenta().bold()))
        )?;
        for e in &scan.collection_errors {
            writeln!(
                w,
                "  {} {}/{} [{}] {}",
                e.service,
                e.account,
                e.region,
                e.resource_types.join(", "),
                e.reason()
            )?;
        }
        writeln!(w)?;
    }
    write_summary_line(&mut w, report.summary, opts)
}

/// Findings grouped by status and severity; passing ones only counted
/// unless `show_pass`.
pub fn write_findings_table(
    mut w: impl Write,
    findings: &[Finding],
    opts: TableOptions,
) -> io::Result<()> {
    let dim = style(&opts, Style::new().dimmed());
    for sev in Severity::ALL {
        let group: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.status == Status::Fail && f.severity == sev)
            .collect();
        if group.is_empty() {
            continue;
        }
        let label = format!(" {} ({}) ", sev.as_str().to_uppercase(), group.len());
        writeln!(w, "{}", label.style(style(&opts, severity_style(sev))))?;
        for f in group {
            write_finding(&mut w, f, dim)?;
        }
        writeln!(w)?;
    }
    for (status, label) in [
        (Status::Error, "ERROR"),
        (Status::Muted, "MUTED"),
        (Status::Pass, "PASS"),
    ] {
        if status == Status::Pass && !opts.show_pass {
            continue;
        }
        let group: Vec<&Finding> = findings.iter().filter(|f| f.status == status).collect();
        if group.is_empty() {
            continue;
        }
        let head = format!(" {label} ({}) ", group.len());
        let st = match status {
            Status::Error => Style::new().magenta().bold(),
            Status::Pass => Style::new().green().bold(),
            _ => Style::new().dimmed().bold(),
        };
        writeln!(w, "{}", head.style(style(&opts, st)))?;
        for f in group {
            write_finding(&mut w, f, dim)?;
        }
        writeln!(w)?;
    }
    Ok(())
}

fn write_finding(w: &mut impl Write, f: &Finding, dim: Style) -> io::Result<()> {
    writeln!(w, "  {}  {}", f.rule_id, f.title)?;
    writeln!(
        w,
        "      {} {}",
        f.resource_uid,
        format!("({}/{})", f.account, f.region).style(dim)
    )?;
    writeln!(w, "      {}", f.reason)?;
    if let Some(e) = &f.risk.escalation {
        writeln!(w, "      escalated from {}: {}", e.from, e.reason)?;
    }
    if !f.risk.factors.is_empty() {
        let list: Vec<&str> = f.risk.factors.iter().map(|x| x.as_str()).collect();
        writeln!(
            w,
            "      {}",
            format!("risk: {}", list.join(", ")).style(dim)
        )?;
    }
    if let Some(m) = &f.mute {
        writeln!(
            w,
            "      {}",
            format!(
                "muted by #{} until {} ({}): {}",
                m.id,
                m.expires.format("%Y-%m-%d"),
                m.owner,
                m.reason
            )
            .style(dim)
        )?;
    }
    Ok(())
}

/// `Score 72.5/100 · 40 evaluated: 29 pass, 9 fail (1 critical, …), 2 error, 0 muted`
pub fn write_summary_line(mut w: impl Write, s: &Summary, opts: TableOptions) -> io::Result<()> {
    let by_sev: Vec<String> = Severity::ALL
        .iter()
        .map(|sev| {
            format!(
                "{} {}",
                s.fail_by_severity.get(sev).copied().unwrap_or(0),
                sev
            )
        })
        .collect();
    let score = format!("Score {:.1}/100", s.score);
    let score_style = if s.score >= 90.0 {
        Style::new().green().bold()
    } else if s.score >= 70.0 {
        Style::new().yellow().bold()
    } else {
        Style::new().red().bold()
    };
    writeln!(
        w,
        "{} · {} evaluated: {} pass, {} fail ({}), {} error, {} muted",
        score.style(style(&opts, score_style)),
        s.total,
        s.pass,
        s.fail,
        by_sev.join(", "),
        s.error,
        s.muted
    )
}

/// One line per scan, newest first as given.
pub fn write_scans_table(
    mut w: impl Write,
    scans: &[(ScanInfo, Option<Summary>)],
) -> io::Result<()> {
    writeln!(
        w,
        "{:>5}  {:<20}  {:<11}  {:>8}  {:>6}  {:>6}  {:>5}  {:>6}  source",
        "id", "started (UTC)", "status", "duration", "score", "fail", "error", "total"
    )?;
    for (scan, summary) in scans {
        let started = scan
            .started_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into());
        let duration = scan
            .duration_ms
            .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
            .unwrap_or_else(|| "-".into());
        let (score, fail, error, total) = match summary {
            Some(s) => (
                format!("{:.1}", s.score),
                s.fail.to_string(),
                s.error.to_string(),
                s.total.to_string(),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        writeln!(
            w,
            "{:>5}  {:<20}  {:<11}  {:>8}  {:>6}  {:>6}  {:>5}  {:>6}  {}",
            scan.id.map(|i| i.to_string()).unwrap_or_default(),
            started,
            scan.status,
            duration,
            score,
            fail,
            error,
            total,
            scan.source
        )?;
    }
    Ok(())
}

fn list_or_dash(v: &[String]) -> String {
    if v.is_empty() {
        "-".to_string()
    } else {
        v.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::finding;

    #[test]
    fn table_groups_failures_by_severity_and_counts_passes() {
        let findings = vec![
            finding("crit-rule", Severity::Critical, Status::Fail),
            finding("low-rule", Severity::Low, Status::Fail),
            finding("ok-rule", Severity::High, Status::Pass),
        ];
        let summary = Summary::of(&findings);
        let scan = ScanInfo {
            source: "inventory:x.json".into(),
            ..Default::default()
        };
        let mut out = Vec::new();
        write_table(
            &mut out,
            &ScanReport {
                scan: &scan,
                summary: &summary,
                findings: &findings,
            },
            TableOptions::default(),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let crit = text.find("CRITICAL (1)").unwrap();
        let low = text.find("LOW (1)").unwrap();
        assert!(crit < low, "{text}");
        assert!(text.contains("reason of crit-rule"));
        assert!(!text.contains("ok-rule"), "passes are only counted: {text}");
        assert!(
            text.contains(
                "3 evaluated: 1 pass, 2 fail (1 critical, 0 high, 0 medium, 1 low, 0 info)"
            )
        );
        assert!(!text.contains('\u{1b}'), "no colour unless asked");
    }
}
