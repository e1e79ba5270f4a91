//! `rampart compliance`: where the latest scan (or a saved inventory)
//! stands on each compliance framework, and requirement by requirement on
//! one of them.
//!
//! The pass rate counts only what a scan can speak to: passed / (passed +
//! failed + error). Manual and not-applicable requirements are shown and
//! counted apart; an error (a mapped rule that could not be evaluated)
//! counts against the rate, because an unchecked requirement is not a
//! passed one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use rampart_compliance::{
    Assessment, Evidence, Framework, FrameworkError, Frameworks, ReqStatus, RequirementResult,
    ResourceResult, Totals, assess,
};
use rampart_evaluate::{RuleSet, evaluate};
use rampart_findings::Finding;
use rampart_store::{FindingFilter, StoreError};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::{load_rules, open_store, output_writer, use_color};
use crate::cli::{Cli, Lang};

/// How many failing resources a table shows per requirement; JSON and CSV
/// list them all.
const TABLE_RESOURCES: usize = 10;

#[derive(Debug, Args)]
pub struct ComplianceArgs {
    /// Framework id, e.g. cis-aws-3.0, isms-p-2023 (without it: every framework with its pass rate).
    pub framework: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ComplianceFormat::Table)]
    pub format: ComplianceFormat,

    /// Only requirements with these statuses, comma separated (fail, error, pass, manual, not_applicable).
    #[arg(long, value_delimiter = ',', value_parser = parse_req_status, requires = "framework")]
    pub status: Vec<ReqStatus>,

    /// Scan id (default: the latest completed scan).
    #[arg(long, value_name = "ID", conflicts_with = "inventory")]
    pub scan: Option<i64>,

    /// Evaluate a saved inventory (JSON) instead of reading a stored scan; nothing is stored.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// Extra directory of framework files (*.yaml), loaded beside the built-in ones. Repeatable.
    #[arg(long = "frameworks", value_name = "DIR")]
    pub frameworks_dirs: Vec<PathBuf>,

    /// Write the output to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ComplianceFormat {
    Table,
    Json,
    Csv,
}

fn parse_req_status(s: &str) -> Result<ReqStatus, String> {
    s.parse()
}

/// Where the findings came from, for headers and JSON.
#[derive(Debug, Clone, Serialize)]
struct Source {
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_id: Option<i64>,
    /// `inventory:FILE`, `aws`, …
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started_at: Option<DateTime<Utc>>,
}

impl Source {
    fn describe(&self, lang: Lang) -> String {
        let when = self
            .started_at
            .map(|t| t.format(" %Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default();
        match (self.scan_id, lang) {
            (Some(id), Lang::Ko) => format!("스캔 #{id}{when}, {}", self.source),
            (Some(id), Lang::En) => format!("scan #{id}{when}, {}", self.source),
            (None, Lang::Ko) => format!("{} (저장하지 않음)", self.source),
            (None, Lang::En) => format!("{} (not stored)", self.source),
        }
    }
}

pub fn run(cli: &Cli, args: &ComplianceArgs) -> Result<ExitCode> {
    let rules = load_rules(cli, true)?;
    let frameworks = Frameworks::load(true, &args.frameworks_dirs, &rules)?;
    let framework = match &args.framework {
        Some(id) => Some(frameworks.get(id).ok_or_else(|| {
            let known: Vec<&str> = frameworks.all().iter().map(|f| f.id.as_str()).collect();
            anyhow!(
                "unknown framework `{id}` (known: {}; run `rampart compliance` to list them)",
                known.join(", ")
            )
        })?),
        None => None,
    };

    let (source, findings, evaluated) = match &args.inventory {
        Some(path) => from_inventory(path, &rules)?,
        None => match from_store(cli, args.scan, &rules)? {
            Some(v) => v,
            None if framework.is_none() => {
                // Nothing scanned yet: still say which frameworks exist.
                let mut w = output_writer(args.output.as_deref())?;
                write_catalogue(&mut w, &frameworks, cli.lang)?;
                w.flush()?;
                return Ok(ExitCode::SUCCESS);
            }
            None => {
                bail!("no completed scan yet: run `rampart scan` first, or pass --inventory FILE")
            }
        },
    };
    let evidence = Evidence::new(&findings, evaluated);
    let lang = cli.lang;
    let mut w = output_writer(args.output.as_deref())?;
    let color = args.format == ComplianceFormat::Table && use_color(args.output.is_some());
    match framework {
        None => {
            let all: Vec<(&Framework, Assessment)> = frameworks
                .all()
                .iter()
                .map(|f| (f, assess(f, &evidence)))
                .collect();
            match args.format {
                ComplianceFormat::Table => write_list_table(&mut w, &source, &all, lang)?,
                ComplianceFormat::Json => write_list_json(&mut w, &source, &all)?,
                ComplianceFormat::Csv => write_list_csv(&mut w, &all, lang)?,
            }
        }
        Some(fw) => {
            let mut a = assess(fw, &evidence);
            // Totals and the rate stay those of the whole framework; the
            // filter only chooses which requirements are listed.
            if !args.status.is_empty() {
                a.requirements.retain(|r| args.status.contains(&r.status));
            }
            match args.format {
                ComplianceFormat::Table => {
                    write_detail_table(&mut w, &source, fw, &a, lang, color)?
                }
                ComplianceFormat::Json => {
                    serde_json::to_writer_pretty(&mut w, &DetailJson::new(&source, &a))?;
                    writeln!(w)?;
                }
                ComplianceFormat::Csv => write_detail_csv(&mut w, &a, lang)?,
            }
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Evaluates a saved inventory now: every rule whose resource type the
/// inventory covers was evaluated.
fn from_inventory(path: &Path, rules: &RuleSet) -> Result<(Source, Vec<Finding>, Vec<String>)> {
    let inventory = super::scan::read_inventory(path)?;
    let started_at = Utc::now();
    let findings = evaluate(rules, &inventory, started_at);
    let evaluated = rules
        .rules()
        .iter()
        .filter(|r| inventory.covers_type(&r.resource_type))
        .map(|r| r.id.clone())
        .collect();
    let source = Source {
        scan_id: None,
        source: format!("inventory:{}", path.display()),
        started_at: Some(started_at),
    };
    Ok((source, findings, evaluated))
}

type Stored = (Source, Vec<Finding>, Vec<String>);

/// The findings of a stored scan (the latest completed one by default), and
/// the rules it evaluated, from the resource types its saved inventory
/// covered. None when no scan has completed yet.
fn from_store(cli: &Cli, scan: Option<i64>, rules: &RuleSet) -> Result<Option<Stored>> {
    let store = open_store(cli)?;
    let record = match scan {
        Some(id) => store
            .scan(id)?
            .ok_or_else(|| anyhow!("no scan with id {id} (see `rampart scans`)"))?,
        None => match store.latest_completed_scan()? {
            Some(r) => r,
            None => return Ok(None),
        },
    };
    let findings = store.findings(record.id, &FindingFilter::default())?;
    let evaluated: Vec<String> = match store.inventory(record.id) {
        Ok(inv) => rules
            .rules()
            .iter()
            .filter(|r| inv.covers_type(&r.resource_type))
            .map(|r| r.id.clone())
            .collect(),
        Err(StoreError::NoInventory { .. }) => {
            // Old inventories can be pruned. Without one the scope is
            // unknown: a rule that left no finding is taken as evaluated on
            // nothing (not applicable), and the user is told so.
            eprintln!(
                "note: scan #{} has no saved inventory; mapped rules without findings are shown as not applicable",
                record.id
            );
            rules.rules().iter().map(|r| r.id.clone()).collect()
        }
        Err(e) => return Err(e.into()),
    };
    let source = Source {
        scan_id: Some(record.id),
        source: record
            .scope
            .get("source")
            .and_then(|s| s.as_str())
            .unwrap_or("aws")
            .to_string(),
        started_at: Some(record.started_at),
    };
    Ok(Some((source, findings, evaluated)))
}

// ----- texts -----

struct Words {
    passed: &'static str,
    rate_rule: &'static str,
    not_counted: &'static str,
    none_assessed: &'static str,
    more: &'static str,
    not_evaluated: &'static str,
    muted: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            passed: "requirements passed",
            rate_rule: "rate = passed / (passed + failed + error)",
            not_counted: "not counted",
            none_assessed: "no requirement could be assessed",
            more: "more (all of them with --format json or csv)",
            not_evaluated: "not evaluated: its resources were not collected in this scan",
            muted: "muted",
        },
        Lang::Ko => Words {
            passed: "요구사항 충족",
            rate_rule: "충족률 = 충족 / (충족 + 미충족 + 점검 불가)",
            not_counted: "집계 제외",
            none_assessed: "점검할 수 있는 요구사항이 없음",
            more: "건 더 있음 (--format json 또는 csv로 전체 확인)",
            not_evaluated: "점검 안 됨: 이번 스캔에서 해당 리소스를 수집하지 않음",
            muted: "예외 처리됨",
        },
    }
}

/// "184 / 200 requirements passed (92%)".
fn rate_line(t: &Totals, lang: Lang) -> String {
    let w = words(lang);
    match t.pass_percent() {
        Some(p) => format!("{} / {} {} ({p}%)", t.pass, t.assessed(), w.passed),
        None => w.none_assessed.to_string(),
    }
}

/// "not counted: 22 manual, 10 n/a; rate = …".
fn excluded_line(t: &Totals, lang: Lang) -> String {
    let w = words(lang);
    let (manual, na) = (
        ReqStatus::Manual.label(lang.code()),
        ReqStatus::NotApplicable.label(lang.code()),
    );
    match lang {
        Lang::En => format!(
            "{}: {} {manual}, {} {na}; {}",
            w.not_counted, t.manual, t.not_applicable, w.rate_rule
        ),
        Lang::Ko => format!(
            "{}: {manual} {}, {na} {}; {}",
            w.not_counted, t.manual, t.not_applicable, w.rate_rule
        ),
    }
}

fn percent(t: &Totals) -> String {
    t.pass_percent()
        .map_or_else(|| "-".to_string(), |p| format!("{p}%"))
}

/// `s` padded with spaces to `width` terminal columns (Hangul is two wide).
fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    format!("{s}{}", " ".repeat(width.saturating_sub(w)))
}

fn paint(s: &str, status: ReqStatus, color: bool) -> String {
    if !color {
        return s.to_string();
    }
    let code = match status {
        ReqStatus::Fail => "1;31",
        ReqStatus::Error => "1;35",
        ReqStatus::Pass => "32",
        ReqStatus::NotApplicable | ReqStatus::Manual => "2",
    };
    format!("\x1b[{code}m{s}\x1b[0m")
}

// ----- the list of frameworks -----

fn write_catalogue(w: &mut dyn Write, frameworks: &Frameworks, lang: Lang) -> Result<()> {
    let id_w = frameworks
        .all()
        .iter()
        .map(|f| f.id.len())
        .max()
        .unwrap_or(9);
    for f in frameworks.all() {
        let mapped = f.requirements.iter().filter(|r| !r.is_manual()).count();
        writeln!(
            w,
            "{}  {} {} ({} requirements, {mapped} mapped to rules)",
            pad(&f.id, id_w),
            f.name_in(lang.code()),
            f.version,
            f.requirements.len()
        )?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        match lang {
            Lang::En =>
                "No completed scan yet: run `rampart scan` (or pass --inventory FILE) to see pass rates.",
            Lang::Ko =>
                "완료된 스캔이 없습니다: `rampart scan`을 실행하거나 --inventory FILE을 지정하면 충족률을 볼 수 있습니다.",
        }
    )?;
    Ok(())
}

fn write_list_table(
    w: &mut dyn Write,
    source: &Source,
    all: &[(&Framework, Assessment)],
    lang: Lang,
) -> Result<()> {
    let heads: [&str; 8] = match lang {
        Lang::En => [
            "FRAMEWORK",
            "NAME",
            "PASSED",
            "RATE",
            "FAIL",
            "ERROR",
            "MANUAL",
            "N/A",
        ],
        Lang::Ko => [
            "프레임워크",
            "이름",
            "충족",
            "충족률",
            "미충족",
            "점검 불가",
            "수동",
            "해당 없음",
        ],
    };
    let rows: Vec<[String; 8]> = all
        .iter()
        .map(|(f, a)| {
            let t = &a.totals;
            [
                f.id.clone(),
                format!("{} {}", f.name_in(lang.code()), f.version),
                format!("{} / {}", t.pass, t.assessed()),
                percent(t),
                t.fail.to_string(),
                t.error.to_string(),
                t.manual.to_string(),
                t.not_applicable.to_string(),
            ]
        })
        .collect();
    let mut widths: [usize; 8] = heads.map(UnicodeWidthStr::width);
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(UnicodeWidthStr::width(c.as_str()));
        }
    }
    writeln!(w, "{}", source.describe(lang))?;
    writeln!(w)?;
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(w, "{}", line(&heads.map(String::from)))?;
    for r in &rows {
        writeln!(w, "{}", line(r))?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "{}",
        match lang {
            Lang::En =>
                "PASSED counts requirements a scan can decide: pass / (pass + fail + error). Manual and not-applicable requirements are not counted.",
            Lang::Ko =>
                "충족은 스캔으로 판단할 수 있는 요구사항 기준입니다: 충족 / (충족 + 미충족 + 점검 불가). 수동 점검과 해당 없음은 집계하지 않습니다.",
        }
    )?;
    Ok(())
}

#[derive(Serialize)]
struct ListEntry<'a> {
    id: &'a str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name_ko: Option<&'a str>,
    version: &'a str,
    totals: &'a Totals,
    pass_percent: Option<u32>,
}

fn write_list_json(
    w: &mut dyn Write,
    source: &Source,
    all: &[(&Framework, Assessment)],
) -> Result<()> {
    #[derive(Serialize)]
    struct List<'a> {
        source: &'a Source,
        frameworks: Vec<ListEntry<'a>>,
    }
    let list = List {
        source,
        frameworks: all
            .iter()
            .map(|(f, a)| ListEntry {
                id: &f.id,
                name: &f.name,
                name_ko: f.name_ko.as_deref(),
                version: &f.version,
                totals: &a.totals,
                pass_percent: a.pass_percent,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *w, &list)?;
    writeln!(w)?;
    Ok(())
}

fn write_list_csv(w: &mut dyn Write, all: &[(&Framework, Assessment)], lang: Lang) -> Result<()> {
    csv_row(
        w,
        &[
            "framework",
            "name",
            "version",
            "requirements",
            "pass",
            "fail",
            "error",
            "manual",
            "not_applicable",
            "pass_percent",
        ],
    )?;
    for (f, a) in all {
        let t = &a.totals;
        csv_row(
            w,
            &[
                &f.id,
                f.name_in(lang.code()),
                &f.version,
                &t.requirements.to_string(),
                &t.pass.to_string(),
                &t.fail.to_string(),
                &t.error.to_string(),
                &t.manual.to_string(),
                &t.not_applicable.to_string(),
                &a.pass_percent.map(|p| p.to_string()).unwrap_or_default(),
            ],
        )?;
    }
    Ok(())
}

// ----- one framework -----

fn write_detail_table(
    w: &mut dyn Write,
    source: &Source,
    fw: &Framework,
    a: &Assessment,
    lang: Lang,
    color: bool,
) -> Result<()> {
    let code = lang.code();
    writeln!(w, "{} {} ({})", fw.name_in(code), fw.version, fw.id)?;
    writeln!(w, "{}", source.describe(lang))?;
    let id_w = a
        .requirements
        .iter()
        .map(|r| UnicodeWidthStr::width(r.id.as_str()))
        .max()
        .unwrap_or(0);
    let label_w = ReqStatus::ALL
        .iter()
        .map(|s| UnicodeWidthStr::width(s.label(code)))
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(2 + label_w + 2 + id_w + 2);
    // A blank line, then the section's title, whenever the section changes
    // (once before the first requirement for frameworks without sections).
    let mut current: Option<Option<&str>> = None;
    for r in &a.requirements {
        let section = r.section.as_deref();
        if current != Some(section) {
            current = Some(section);
            writeln!(w)?;
            if let Some(s) = section.and_then(|s| fw.section(s)) {
                writeln!(w, "{} {}", s.id, s.title.get(code))?;
            }
        }
        let label = pad(&r.status.label(code).to_uppercase(), label_w);
        writeln!(
            w,
            "  {}  {}  {}",
            paint(&label, r.status, color),
            pad(&r.id, id_w),
            r.title.get(code)
        )?;
        write_resources(w, &indent, r, lang)?;
    }
    writeln!(w)?;
    writeln!(w, "{}", rate_line(&a.totals, lang))?;
    writeln!(w, "{}", excluded_line(&a.totals, lang))?;
    Ok(())
}

fn resource_line(x: &ResourceResult) -> String {
    let name = if x.resource_name.is_empty() || x.resource_name == x.resource_uid {
        x.resource_uid.clone()
    } else {
        format!("{} ({})", x.resource_name, x.resource_uid)
    };
    format!(
        "{}  {}/{}  {}: {}",
        x.rule_id, x.account, x.region, name, x.reason
    )
}

fn write_resources(
    w: &mut dyn Write,
    indent: &str,
    r: &RequirementResult,
    lang: Lang,
) -> Result<()> {
    let wd = words(lang);
    let listed = r.failing.iter().chain(&r.errors);
    let total = r.failing.len() + r.errors.len();
    for x in listed.take(TABLE_RESOURCES) {
        writeln!(w, "{indent}{}", resource_line(x))?;
    }
    if total > TABLE_RESOURCES {
        writeln!(w, "{indent}… {} {}", total - TABLE_RESOURCES, wd.more)?;
    }
    for rule in &r.not_evaluated {
        writeln!(w, "{indent}{rule}  {}", wd.not_evaluated)?;
    }
    for x in r.muted.iter().take(TABLE_RESOURCES) {
        let note = x.mute.as_deref().unwrap_or_default();
        writeln!(w, "{indent}{}: {}  [{note}]", wd.muted, resource_line(x))?;
    }
    if r.muted.len() > TABLE_RESOURCES {
        writeln!(
            w,
            "{indent}… {} {} {}",
            r.muted.len() - TABLE_RESOURCES,
            wd.muted,
            wd.more
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct DetailJson<'a> {
    source: &'a Source,
    framework: &'a rampart_compliance::FrameworkInfo,
    totals: &'a Totals,
    pass_percent: Option<u32>,
    /// How the rate is computed, for whoever reads the file later.
    rate: &'static str,
    requirements: &'a [RequirementResult],
}

impl<'a> DetailJson<'a> {
    fn new(source: &'a Source, a: &'a Assessment) -> Self {
        DetailJson {
            source,
            framework: &a.framework,
            totals: &a.totals,
            pass_percent: a.pass_percent,
            rate: "pass / (pass + fail + error); manual and not_applicable are not counted",
            requirements: &a.requirements,
        }
    }
}

/// One row per requirement and resource it names (failing, error, muted);
/// a requirement naming none gets one row with the resource columns empty.
fn write_detail_csv(w: &mut dyn Write, a: &Assessment, lang: Lang) -> Result<()> {
    let code = lang.code();
    csv_row(
        w,
        &[
            "framework",
            "requirement",
            "section",
            "title",
            "status",
            "rule_id",
            "finding",
            "severity",
            "account",
            "region",
            "resource_uid",
            "resource_name",
            "reason",
        ],
    )?;
    for r in &a.requirements {
        let base = [
            a.framework.id.as_str(),
            r.id.as_str(),
            r.section.as_deref().unwrap_or(""),
            r.title.get(code),
            r.status.as_str(),
        ];
        let mut rows: Vec<(&str, &ResourceResult)> = Vec::new();
        rows.extend(r.failing.iter().map(|x| ("fail", x)));
        rows.extend(r.errors.iter().map(|x| ("error", x)));
        rows.extend(r.muted.iter().map(|x| ("muted", x)));
        let not_eval = words(lang).not_evaluated;
        for rule in &r.not_evaluated {
            let mut row: Vec<&str> = base.to_vec();
            row.extend([rule.as_str(), "not_evaluated", "", "", "", "", "", not_eval]);
            csv_row(w, &row)?;
        }
        if rows.is_empty() && r.not_evaluated.is_empty() {
            let mut row: Vec<&str> = base.to_vec();
            row.extend(["", "", "", "", "", "", "", ""]);
            csv_row(w, &row)?;
        }
        for (kind, x) in rows {
            let reason = match &x.mute {
                Some(m) => format!("{} [muted: {m}]", x.reason),
                None => x.reason.clone(),
            };
            let mut row: Vec<&str> = base.to_vec();
            row.extend([
                x.rule_id.as_str(),
                kind,
                x.severity.as_str(),
                x.account.as_str(),
                x.region.as_str(),
                x.resource_uid.as_str(),
                x.resource_name.as_str(),
                reason.as_str(),
            ]);
            csv_row(w, &row)?;
        }
    }
    Ok(())
}

/// One RFC 4180 record: fields with a comma, quote or line break are quoted.
fn csv_row(w: &mut dyn Write, fields: &[&str]) -> Result<()> {
    let line: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                (*f).to_string()
            }
        })
        .collect();
    writeln!(w, "{}", line.join(",")).context("cannot write CSV")
}

/// Framework load errors, one per line with their positions.
pub fn print_framework_error(e: &FrameworkError) {
    for d in &e.diagnostics {
        eprintln!("error: {d}");
    }
    eprintln!(
        "error: {} problem{} in framework files",
        e.diagnostics.len(),
        if e.diagnostics.len() == 1 { "" } else { "s" }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it() {
        let mut out = Vec::new();
        csv_row(&mut out, &["a", "b,c", "say \"hi\"", "x\ny"]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"\n"
        );
    }

    #[test]
    fn padding_counts_hangul_as_two_columns() {
        assert_eq!(pad("제13조", 8), "제13조  ");
        assert_eq!(pad("1.4", 5), "1.4  ");
    }

    #[test]
    fn the_rate_line_says_what_it_counts() {
        let t = Totals {
            requirements: 240,
            pass: 184,
            fail: 10,
            error: 6,
            manual: 30,
            not_applicable: 10,
        };
        assert_eq!(
            rate_line(&t, Lang::En),
            "184 / 200 requirements passed (92%)"
        );
        assert_eq!(rate_line(&t, Lang::Ko), "184 / 200 요구사항 충족 (92%)");
        assert!(excluded_line(&t, Lang::En).starts_with("not counted: 30 manual, 10 n/a;"));
        assert_eq!(
            rate_line(&Totals::default(), Lang::En),
            "no requirement could be assessed"
        );
    }
}
