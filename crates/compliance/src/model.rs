//! What a framework file says, once loaded and validated.

use serde::Serialize;

/// A text in both languages Rampart speaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub en: String,
    pub ko: String,
}

impl Text {
    /// The text in `lang` (`ko`, or English for anything else).
    pub fn get(&self, lang: &str) -> &str {
        if lang == "ko" { &self.ko } else { &self.en }
    }
}

/// One compliance framework: `frameworks/<id>.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Framework {
    /// Stable id, equal to the file name: `cis-aws-3.0`.
    pub id: String,
    /// The English name: `CIS Amazon Web Services Foundations Benchmark`.
    pub name: String,
    /// The Korean name, when it has one.
    pub name_ko: Option<String>,
    /// The version of the framework the file maps: `3.0.0`.
    pub version: String,
    pub description: Option<Text>,
    /// Groups of requirements, in file order (may be empty).
    pub sections: Vec<Section>,
    /// In file order.
    pub requirements: Vec<Requirement>,
    /// The file it was loaded from, as diagnostics show it.
    #[serde(skip)]
    pub source: String,
}

impl Framework {
    /// The name in `lang`.
    pub fn name_in(&self, lang: &str) -> &str {
        match (&self.name_ko, lang) {
            (Some(ko), "ko") => ko,
            _ => &self.name,
        }
    }

    /// The requirement with the framework's own id `id`.
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The section with id `id`.
    pub fn section(&self, id: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.id == id)
    }

    /// Every rule id the framework names, once each, in file order.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut seen = std::collections::HashSet::new();
        self.requirements
            .iter()
            .flat_map(|r| r.rules())
            .map(String::as_str)
            .filter(|id| seen.insert(*id))
            .collect()
    }
}

/// A heading that groups requirements: CIS section `2.1`, ISMS-P `2.5`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub id: String,
    pub title: Text,
}

/// One requirement, in the framework's own numbering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// The framework's own id: CIS `2.1.4`, ISMS-P `2.7.1`, `제13조`.
    pub id: String,
    /// The id of the section it belongs to, if the framework has sections.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub title: Text,
    pub check: Check,
}

impl Requirement {
    /// The rules that evidence it (none for a manual requirement).
    pub fn rules(&self) -> &[String] {
        match &self.check {
            Check::Rules(ids) => ids,
            Check::Manual => &[],
        }
    }

    pub fn is_manual(&self) -> bool {
        matches!(self.check, Check::Manual)
    }
}

/// How a requirement is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// By these rules' findings: every one must pass on every resource.
    Rules(Vec<String>),
    /// By a person: no rule can decide it.
    Manual,
}
