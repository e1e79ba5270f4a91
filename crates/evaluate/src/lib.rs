//! The rule engine: rules are YAML data files, compiled once at load into
//! condition trees, validated with positions, and evaluated against every
//! resource of their type.
//!
//! ```text
//! rules/aws/<service>/<id>.yaml ──load──> RuleSet ──evaluate(inventory, now)──> Vec<Finding>
//!                                             └──run_tests──> TestReport (inline cases)
//! ```
//!
//! The language is documented for users in docs/rules.md. Loading never
//! stops at the first problem: a [`LoadError`] carries every
//! [`Diagnostic`] (`file:line:col: message`) of every file.

mod context;
mod diag;
mod engine;
mod helpers;
mod lang;
mod load;
mod rule;
mod template;
mod testing;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::PathBuf;

pub use context::{ContextOptions, apply_context};
pub use diag::{Diagnostic, LoadError};
pub use engine::{Outcome, evaluate, evaluate_one, evaluate_resources, outcome};
pub use lang::compile::OPERATORS;
pub use rule::{Expect, Localized, Remediation, Rule, RuleStatus, TestCase};
pub use testing::{CaseResult, DEFAULT_TEST_NOW, TestReport, run_tests};

/// A validated, compiled set of rules. `Send + Sync`: share it across threads.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_id: HashMap<String, usize>,
    by_type: HashMap<String, Vec<usize>>,
    /// Each rule file's text, by the file name rules carry in `source`.
    texts: HashMap<String, String>,
}

impl RuleSet {
    /// The rules embedded in the binary.
    pub fn builtin() -> Result<RuleSet, LoadError> {
        RuleSet::load(true, &[])
    }

    /// The embedded rules (when `include_builtin`) plus every `*.yaml` /
    /// `*.yml` under each directory, recursively. Ids must be unique across
    /// all of them. All problems are reported at once.
    pub fn load(include_builtin: bool, dirs: &[PathBuf]) -> Result<RuleSet, LoadError> {
        let mut diags = Vec::new();
        let mut sources = if include_builtin {
            load::builtin_sources()
        } else {
            Vec::new()
        };
        for d in dirs {
            sources.extend(load::dir_sources(d, &mut diags));
        }
        RuleSet::compile(sources, diags)
    }

    /// Rules from in-memory files: `(file name shown in diagnostics, YAML text)`.
    pub fn from_sources(files: &[(&str, &str)]) -> Result<RuleSet, LoadError> {
        let sources = files
            .iter()
            .map(|(d, t)| load::Source {
                display: (*d).to_string(),
                text: (*t).to_string(),
            })
            .collect();
        RuleSet::compile(sources, Vec::new())
    }

    fn compile(
        sources: Vec<load::Source>,
        mut diags: Vec<Diagnostic>,
    ) -> Result<RuleSet, LoadError> {
        let rules = load::compile_all(&sources, &mut diags);
        if !diags.is_empty() {
            diags.sort();
            return Err(LoadError { diagnostics: diags });
        }
        let mut set = RuleSet {
            texts: sources.into_iter().map(|s| (s.display, s.text)).collect(),
            ..RuleSet::default()
        };
        for (i, r) in rules.into_iter().enumerate() {
            set.by_id.insert(r.id.clone(), i);
            set.by_type
                .entry(r.resource_type.clone())
                .or_default()
                .push(i);
            set.rules.push(r);
        }
        Ok(set)
    }

    /// The YAML text of the file `rule` was loaded from.
    pub fn source_text(&self, rule: &Rule) -> Option<&str> {
        self.texts.get(&rule.source).map(String::as_str)
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.by_id.get(id).map(|&i| &self.rules[i])
    }

    /// The rules evaluating resources of `resource_type`.
    pub fn for_type<'a>(&'a self, resource_type: &str) -> impl Iterator<Item = &'a Rule> + 'a {
        self.by_type
            .get(resource_type)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|&i| &self.rules[i])
    }

    pub(crate) fn type_indices(&self, resource_type: &str) -> &[usize] {
        self.by_type.get(resource_type).map_or(&[], Vec::as_slice)
    }

    /// Resource types that at least one rule evaluates, sorted.
    pub fn resource_types(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.by_type.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RuleSet>();
    assert_send_sync::<Rule>();
};
