//! `rampart rules`: list, show, test and validate rules.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use rampart_evaluate::{Rule, RuleSet, run_tests};
use rampart_inventory::service_of;
use serde_json::json;

use super::{load_rules, output_writer};
use crate::cli::{Cli, Format, RulesCommand};

pub fn run(cli: &Cli, cmd: &RulesCommand) -> Result<ExitCode> {
    let lang = cli.lang.code();
    match cmd {
        RulesCommand::List {
            service,
            severity,
            format,
        } => {
            let rules = load_rules(cli, true)?;
            let selected: Vec<&Rule> = rules
                .rules()
                .iter()
                .filter(|r| {
                    service.is_empty() || service.iter().any(|s| s == service_of(&r.resource_type))
                })
                .filter(|r| severity.is_empty() || severity.contains(&r.severity))
                .collect();
            list(&selected, *format, lang)
        }
        RulesCommand::Show { id, format } => {
            let rules = load_rules(cli, true)?;
            let rule = rules
                .get(id)
                .ok_or_else(|| anyhow!("no rule `{id}` (see `rampart rules list`)"))?;
            show(rule, rules.source_text(rule), *format, lang)
        }
        RulesCommand::Test { dir } => {
            let rules = rules_for(cli, dir.as_deref())?;
            test(&rules)
        }
        RulesCommand::Validate { dir } => {
            let rules = rules_for(cli, dir.as_deref())?;
            println!("{} rules valid", rules.rules().len());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// With a directory: only that directory's rules (ids are still checked
/// against nothing else, so a custom set can be validated on its own).
/// Without: the built-in rules plus every `--rules` directory.
fn rules_for(cli: &Cli, dir: Option<&Path>) -> Result<RuleSet> {
    match dir {
        Some(d) => {
            if !d.is_dir() {
                return Err(anyhow!("{} is not a directory", d.display()));
            }
            Ok(RuleSet::load(false, &[d.to_path_buf()])?)
        }
        None => load_rules(cli, true),
    }
}

fn list(rules: &[&Rule], format: Format, lang: &str) -> Result<ExitCode> {
    let mut w = output_writer(None)?;
    match format {
        Format::Json => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id, "severity": r.severity, "resource_type": r.resource_type,
                        "title": r.title.get(lang), "status": r.status.as_str(), "mitre": r.mitre,
                        "fix": r.fix, "source": r.source,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut w, &v)?;
            writeln!(w)?;
        }
        Format::Table => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(2);
            writeln!(
                w,
                "{:<width$}  {:<8}  {:<32}  title",
                "id", "severity", "resource type"
            )?;
            for r in rules {
                writeln!(
                    w,
                    "{:<width$}  {:<8}  {:<32}  {}",
                    r.id,
                    r.severity.as_str(),
                    r.resource_type,
                    r.title.get(lang)
                )?;
            }
            writeln!(w, "{} rules", rules.len())?;
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn show(r: &Rule, text: Option<&str>, format: Format, lang: &str) -> Result<ExitCode> {
    let mut w = output_writer(None)?;
    let heading = |en: &'static str, ko: &'static str| if lang == "ko" { ko } else { en };
    match format {
        Format::Json => {
            let v = json!({
                "id": r.id, "status": r.status.as_str(), "since": r.since,
                "severity": r.severity, "resource_type": r.resource_type,
                "title": {"en": r.title.en, "ko": r.title.ko},
                "description": {"en": r.description.en, "ko": r.description.ko},
                "remediation": {
                    "en": r.remediation.text.en, "ko": r.remediation.text.ko,
                    "cli": r.remediation.cli, "terraform": r.remediation.terraform,
                    "console": r.remediation.console.as_ref().map(|c| json!({"en": c.en, "ko": c.ko})),
                },
                "fix": r.fix, "mitre": r.mitre, "references": r.references, "source": r.source,
                "props_read": r.props_read(),
                "condition": text.map(condition_yaml),
                "tests": r.tests.iter().map(|t| json!({"name": t.name, "expect": t.expect.as_str()})).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut w, &v)?;
            writeln!(w)?;
        }
        Format::Table => {
            writeln!(w, "{}  [{}]", r.id, r.severity.as_str().to_uppercase())?;
            writeln!(w, "{}", r.title.get(lang))?;
            writeln!(w)?;
            writeln!(w, "{}: {}", heading("Resource", "리소스"), r.resource_type)?;
            writeln!(
                w,
                "{}: {} (since {})",
                heading("Status", "상태"),
                r.status,
                r.since
            )?;
            if !r.mitre.is_empty() {
                writeln!(w, "MITRE ATT&CK: {}", r.mitre.join(", "))?;
            }
            writeln!(
                w,
                "{}: {}",
                heading("Reads", "읽는 속성"),
                r.props_read().join(", ")
            )?;
            writeln!(w, "{}: {}", heading("Source", "파일"), r.source)?;
            writeln!(w)?;
            writeln!(w, "{}", heading("WHY IT MATTERS", "설명"))?;
            writeln!(w, "{}", indent(r.description.get(lang)))?;
            writeln!(w)?;
            if let Some(text) = text {
                writeln!(w, "{}", heading("CONDITION", "판정 조건"))?;
                writeln!(w, "{}", indent(&condition_yaml(text)))?;
                writeln!(w)?;
            }
            writeln!(w, "{}", heading("REMEDIATION", "조치 방법"))?;
            writeln!(w, "{}", indent(r.remediation.text.get(lang)))?;
            if let Some(console) = &r.remediation.console {
                writeln!(w, "\n  {}", heading("Console:", "콘솔:"))?;
                writeln!(w, "{}", indent(console.get(lang)))?;
            }
            if let Some(cli) = &r.remediation.cli {
                writeln!(w, "\n  AWS CLI:")?;
                writeln!(w, "{}", indent(cli))?;
            }
            if let Some(tf) = &r.remediation.terraform {
                writeln!(w, "\n  Terraform:")?;
                writeln!(w, "{}", indent(tf))?;
            }
            if let Some(fix) = &r.fix {
                writeln!(w, "\n  {}: {fix}", heading("Automatic fix", "자동 조치"))?;
            }
            if !r.references.is_empty() {
                writeln!(w, "\n{}", heading("REFERENCES", "참고 자료"))?;
                for u in &r.references {
                    writeln!(w, "  {u}")?;
                }
            }
            writeln!(
                w,
                "\n{} ({})",
                heading("TEST CASES", "테스트 케이스"),
                r.tests.len()
            )?;
            for t in &r.tests {
                writeln!(w, "  {:<15} {}", t.expect.as_str(), t.name)?;
            }
        }
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn test(rules: &RuleSet) -> Result<ExitCode> {
    let report = run_tests(rules);
    let mut w = output_writer(None)?;
    for c in report.failures() {
        writeln!(
            w,
            "FAIL {} / {} ({}): expected {}, got {}: {}",
            c.rule_id, c.case, c.source, c.expected, c.actual, c.message
        )?;
    }
    // The plain closing line test dashboards read.
    writeln!(
        w,
        "rules: {} passed, {} failed",
        report.passed(),
        report.failed()
    )?;
    w.flush()?;
    Ok(if report.all_passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The `applies_if` and `fail_if` blocks of a rule file, as written.
fn condition_yaml(text: &str) -> String {
    let mut out = Vec::new();
    let mut keep = false;
    for line in text.lines() {
        let top_level = !line.starts_with([' ', '\t', '#', '-']) && !line.trim().is_empty();
        if top_level {
            keep = line.starts_with("applies_if:") || line.starts_with("fail_if:");
        }
        if keep {
            out.push(line);
        }
    }
    out.join("\n")
}

fn indent(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
