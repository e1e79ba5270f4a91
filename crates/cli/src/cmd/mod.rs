//! One module per command. Each returns the exit code for a normal outcome
//! and an error for everything that should exit 2.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use rampart_evaluate::{LoadError, RuleSet};
use rampart_output::{ScanReport, TableOptions, write_json, write_table};
use rampart_store::Store;

use crate::cli::{Cli, Command};

mod collect;
pub mod compliance;
mod findings;
mod mute;
mod rules;
mod scan;
mod scans;

pub fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Scan(args) => scan::run(&cli, args),
        Command::Findings(args) => findings::run(&cli, args),
        Command::Scans(args) => scans::run(&cli, args),
        Command::Rules(cmd) => rules::run(&cli, cmd),
        Command::Compliance(args) => compliance::run(&cli, args),
        Command::Mute(cmd) => mute::run(&cli, cmd),
    }
}

/// Prints an error for a person: rule load errors one per line with their
/// positions, everything else with its chain of causes.
pub fn print_error(err: &anyhow::Error) {
    if let Some(load) = err.downcast_ref::<LoadError>() {
        for d in &load.diagnostics {
            eprintln!("error: {d}");
        }
        eprintln!(
            "error: {} problem{} in rule files",
            load.diagnostics.len(),
            if load.diagnostics.len() == 1 { "" } else { "s" }
        );
        return;
    }
    if let Some(e) = err.downcast_ref::<rampart_compliance::FrameworkError>() {
        compliance::print_framework_error(e);
        return;
    }
    // Typed errors often repeat their source in their own message; print
    // each cause only when it adds something.
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    eprintln!("error: {text}");
}

/// The built-in rules plus every `--rules` directory.
pub fn load_rules(cli: &Cli, include_builtin: bool) -> Result<RuleSet> {
    Ok(RuleSet::load(include_builtin, &cli.rules_dirs)?)
}

pub fn db_path(cli: &Cli) -> Result<PathBuf> {
    match &cli.db {
        Some(p) => Ok(p.clone()),
        None => Ok(Store::default_path()?),
    }
}

pub fn open_store(cli: &Cli) -> Result<Store> {
    let path = db_path(cli)?;
    Ok(Store::open(&path)?)
}

/// Titles in the chosen language, from the rules that made the findings
/// (findings of rules no longer loaded keep the title they were stored with).
pub fn localize_titles(
    findings: &mut [rampart_findings::Finding],
    rules: &RuleSet,
    lang: crate::cli::Lang,
) {
    if lang == crate::cli::Lang::En {
        return;
    }
    for f in findings {
        if let Some(rule) = rules.get(&f.rule_id) {
            f.title = rule.title.get(lang.code()).to_string();
        }
    }
}

/// Standard output, or FILE (created, with parents) when given.
pub fn output_writer(path: Option<&Path>) -> Result<Box<dyn Write>> {
    match path {
        None => Ok(Box::new(BufWriter::new(io::stdout().lock()))),
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create directory {}", dir.display()))?;
            }
            let f = File::create(p).with_context(|| format!("cannot write {}", p.display()))?;
            Ok(Box::new(BufWriter::new(f)))
        }
    }
}

/// Writes a report where `--output`/`--format` say, as JSON or a table.
pub fn write_report(
    out: &crate::cli::OutputArgs,
    report: &ScanReport<'_>,
    show_pass: bool,
) -> Result<()> {
    let mut w = output_writer(out.output.as_deref())?;
    match out.format {
        crate::cli::Format::Json => write_json(&mut w, report)?,
        crate::cli::Format::Table => {
            let color = use_color(out.output.is_some());
            write_table(&mut w, report, TableOptions { color, show_pass })?
        }
    }
    w.flush()?;
    Ok(())
}

/// Colour only for a terminal, and never when `NO_COLOR` is set.
pub fn use_color(to_file: bool) -> bool {
    !to_file
        && io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
