//! Compliance frameworks as data, and where a scan stands on them.
//!
//! A framework is one YAML file, `frameworks/<id>.yaml`: the framework's own
//! requirements in its own numbering (CIS `2.1.4`, ISMS-P `2.7.1`,
//! `제13조`), each with an English and a Korean title and either the rules
//! that evidence it or `manual: true`. Mapping a rule to a requirement edits
//! the framework file only; rule files never name frameworks.
//!
//! ```text
//! frameworks/*.yaml ──load (checked against the RuleSet)──> Frameworks
//! findings of a scan + rules it evaluated ──> Evidence ──assess──> Assessment per framework
//! ```
//!
//! Loading never stops at the first problem: a [`FrameworkError`] carries
//! every [`Diagnostic`] (`file:line:col: message`) of every file. The
//! statuses and the pass rate are defined in [`assess`](crate::assess()).

mod assess;
mod load;
mod model;

use std::fmt;
use std::path::PathBuf;

pub use assess::{
    Assessment, Evidence, FrameworkInfo, ReqStatus, RequirementResult, ResourceResult, RuleTally,
    Totals, assess, assess_requirement,
};
pub use model::{Check, Framework, Requirement, Section, Text};
pub use rampart_evaluate::Diagnostic;
use rampart_evaluate::RuleSet;

/// Loading frameworks failed: all diagnostics, sorted by file and position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FrameworkError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for FrameworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.diagnostics.len();
        writeln!(
            f,
            "{n} error{} in framework files:",
            if n == 1 { "" } else { "s" }
        )?;
        for d in &self.diagnostics {
            writeln!(f, "  {d}")?;
        }
        Ok(())
    }
}

/// A validated set of frameworks, in id order.
#[derive(Debug, Clone, Default)]
pub struct Frameworks {
    frameworks: Vec<Framework>,
}

impl Frameworks {
    /// The frameworks embedded in the binary, checked against `rules`.
    pub fn builtin(rules: &RuleSet) -> Result<Frameworks, FrameworkError> {
        Frameworks::load(true, &[], rules)
    }

    /// The embedded frameworks (when `include_builtin`) plus every `*.yaml`
    /// / `*.yml` file in each directory. Framework ids must be unique across
    /// all of them, and every rule id a framework names must be in `rules`.
    /// All problems are reported at once.
    pub fn load(
        include_builtin: bool,
        dirs: &[PathBuf],
        rules: &RuleSet,
    ) -> Result<Frameworks, FrameworkError> {
        let mut diags = Vec::new();
        let mut sources = if include_builtin {
            load::builtin_sources()
        } else {
            Vec::new()
        };
        for d in dirs {
            sources.extend(load::dir_sources(d, &mut diags));
        }
        Frameworks::build(&sources, diags, rules)
    }

    /// Frameworks from in-memory files: `(file name shown in diagnostics,
    /// YAML text)`. The file name's stem must equal the framework id.
    pub fn from_sources(
        files: &[(&str, &str)],
        rules: &RuleSet,
    ) -> Result<Frameworks, FrameworkError> {
        let sources: Vec<load::Source> = files
            .iter()
            .map(|(d, t)| load::Source {
                display: (*d).to_string(),
                text: (*t).to_string(),
            })
            .collect();
        Frameworks::build(&sources, Vec::new(), rules)
    }

    fn build(
        sources: &[load::Source],
        mut diags: Vec<Diagnostic>,
        rules: &RuleSet,
    ) -> Result<Frameworks, FrameworkError> {
        let mut frameworks = load::load_all(sources, rules, &mut diags);
        if !diags.is_empty() {
            diags.sort();
            return Err(FrameworkError { diagnostics: diags });
        }
        frameworks.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Frameworks { frameworks })
    }

    pub fn all(&self) -> &[Framework] {
        &self.frameworks
    }

    pub fn get(&self, id: &str) -> Option<&Framework> {
        self.frameworks.iter().find(|f| f.id == id)
    }

    pub fn len(&self) -> usize {
        self.frameworks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frameworks.is_empty()
    }
}

#[cfg(test)]
mod tests;
