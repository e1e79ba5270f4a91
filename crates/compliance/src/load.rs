//! Finding framework files (embedded and on disk), parsing them, and checking
//! them against the rules they name. Every problem becomes a [`Diagnostic`]
//! with its position.
//!
//! Parsing is typed (serde with positions): a file whose structure is wrong
//! (an unknown key, a list where a mapping belongs) gets one diagnostic, the
//! first; everything that parses is then checked in full, and every
//! semantic problem of every file (unknown rule ids, duplicate requirement
//! ids, missing titles, a requirement both mapped and manual) is reported.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};
use rampart_evaluate::{Diagnostic, RuleSet};
use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::model::{Check, Framework, Requirement, Section, Text};

/// The shipped frameworks, embedded at build time.
static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../frameworks");

/// One framework file's text and the name diagnostics show for it.
pub(crate) struct Source {
    pub display: String,
    pub text: String,
}

fn is_yaml(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The embedded framework files, as `frameworks/<file>`, sorted.
pub(crate) fn builtin_sources() -> Vec<Source> {
    let mut out: Vec<Source> = BUILTIN
        .files()
        .filter(|f| is_yaml(&f.path().to_string_lossy()))
        .map(|f| Source {
            display: format!("frameworks/{}", f.path().to_string_lossy()),
            text: String::from_utf8_lossy(f.contents()).into_owned(),
        })
        .collect();
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

/// Every `*.yaml`/`*.yml` directly in `dir`, sorted. Unreadable files and
/// directories become diagnostics.
pub(crate) fn dir_sources(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Source> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(file_diag(
                &dir.display().to_string(),
                format!("cannot read framework directory: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && is_yaml(&p.to_string_lossy()))
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let display = p.display().to_string();
            match std::fs::read_to_string(&p) {
                Ok(text) => Some(Source { display, text }),
                Err(e) => {
                    diags.push(file_diag(
                        &display,
                        format!("cannot read framework file: {e}"),
                    ));
                    None
                }
            }
        })
        .collect()
}

fn file_diag(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        message,
    }
}

fn diag(file: &str, at: Location, message: impl Into<String>) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: u32::try_from(at.line()).unwrap_or(u32::MAX),
        column: u32::try_from(at.column()).unwrap_or(u32::MAX),
        message: message.into(),
    }
}

// The file as written. Everything the checker needs a position for is
// `Spanned`; optional keys are `Option` so that a missing one gets a
// readable message instead of serde's.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: Spanned<String>,
    name: Option<Spanned<String>>,
    name_ko: Option<Spanned<String>>,
    version: Option<Spanned<String>>,
    description: Option<Spanned<RawText>>,
    #[serde(default)]
    sections: Vec<RawSection>,
    requirements: Option<Spanned<Vec<RawRequirement>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    en: Option<String>,
    ko: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: Spanned<String>,
    title: Option<Spanned<RawText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: Spanned<String>,
    section: Option<Spanned<String>>,
    title: Option<Spanned<RawText>>,
    rules: Option<Spanned<Vec<Spanned<String>>>>,
    manual: Option<Spanned<bool>>,
}

/// Parses, checks and builds every source. Framework ids must be unique
/// across all sources and rule ids must exist in `rules`.
pub(crate) fn load_all(
    sources: &[Source],
    rules: &RuleSet,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Framework> {
    let known = KnownRules::new(rules);
    let mut ids: HashMap<String, (String, Location)> = HashMap::new();
    let mut out = Vec::new();
    for src in sources {
        let raw = match parse(&src.text) {
            Ok(r) => r,
            Err((at, message)) => {
                diags.push(diag(&src.display, at, message));
                continue;
            }
        };
        let id = &raw.id;
        if let Some((file, at)) = ids.get(&id.value) {
            diags.push(diag(
                &src.display,
                id.referenced,
                format!(
                    "duplicate framework id `{}`: already defined in {file}:{}:{}",
                    id.value,
                    at.line(),
                    at.column()
                ),
            ));
            continue;
        }
        ids.insert(id.value.clone(), (src.display.clone(), id.referenced));
        if let Some(fw) = check(raw, &src.display, &known, diags) {
            out.push(fw);
        }
    }
    out
}

fn parse(text: &str) -> Result<RawFramework, (Location, String)> {
    // YAML 1.2 booleans only: `manual: yes` is an error, not `true`.
    let options = serde_saphyr::options! {
        strict_booleans: true,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    };
    serde_saphyr::from_str_with_options::<RawFramework>(text, options).map_err(|e| {
        let at = e.location().unwrap_or(Location::UNKNOWN);
        (at, first_line(&e.to_string()))
    })
}

/// The message without serde-saphyr's "line N column M:" prefix (we print
/// our own position).
fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("invalid YAML").trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    let line = match line.split_once(": ") {
        Some((head, rest)) if head.starts_with("line ") => rest.trim(),
        _ => line,
    };
    format!("invalid framework file: {line}")
}

fn stem(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn is_framework_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && id.starts_with(|c: char| c.is_ascii_lowercase())
}

/// A required, non-empty string: the value, or a diagnostic.
fn required(
    file: &str,
    at: Location,
    what: &str,
    value: Option<Spanned<String>>,
    diags: &mut Vec<Diagnostic>,
) -> String {
    match value {
        Some(v) if !v.value.trim().is_empty() => v.value,
        Some(v) => {
            diags.push(diag(
                file,
                v.referenced,
                format!("`{what}` must not be empty"),
            ));
            String::new()
        }
        None => {
            diags.push(diag(file, at, format!("missing `{what}`")));
            String::new()
        }
    }
}

/// A `{en, ko}` text with both languages, or diagnostics naming `owner`.
fn text(
    file: &str,
    owner_at: Location,
    owner: &str,
    key: &str,
    value: Option<Spanned<RawText>>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Text> {
    let Some(t) = value else {
        diags.push(diag(
            file,
            owner_at,
            format!("{owner} has no `{key}`: give `{key}: {{en: ..., ko: ...}}`"),
        ));
        return None;
    };
    let mut ok = true;
    let mut lang = |v: Option<String>, code: &str| match v {
        Some(s) if !s.trim().is_empty() => s,
        _ => {
            diags.push(diag(
                file,
                t.referenced,
                format!("{owner}: `{key}` needs a non-empty `{code}` text"),
            ));
            ok = false;
            String::new()
        }
    };
    let en = lang(t.value.en, "en");
    let ko = lang(t.value.ko, "ko");
    ok.then_some(Text { en, ko })
}

fn check(
    raw: RawFramework,
    file: &str,
    known: &KnownRules<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Framework> {
    let before = diags.len();
    let top = raw.id.referenced;
    let id = raw.id.value;
    if !is_framework_id(&id) {
        diags.push(diag(
            file,
            top,
            format!("framework id `{id}` must be lowercase letters, digits, `-` and `.`"),
        ));
    } else if id != stem(file) {
        diags.push(diag(
            file,
            top,
            format!(
                "framework id `{id}` must equal the file name `{}`",
                stem(file)
            ),
        ));
    }
    let name = required(file, top, "name", raw.name, diags);
    let version = required(file, top, "version", raw.version, diags);
    let name_ko = match raw.name_ko {
        Some(n) if n.value.trim().is_empty() => {
            diags.push(diag(file, n.referenced, "`name_ko` must not be empty"));
            None
        }
        n => n.map(|n| n.value),
    };
    let description = match raw.description {
        Some(d) => {
            let at = d.referenced;
            text(file, at, "the framework", "description", Some(d), diags)
        }
        None => None,
    };

    let mut sections: Vec<Section> = Vec::new();
    let mut section_at: HashMap<String, Location> = HashMap::new();
    for s in raw.sections {
        let at = s.id.referenced;
        if let Some(first) = section_at.get(&s.id.value) {
            diags.push(diag(
                file,
                at,
                format!(
                    "duplicate section id `{}`: already defined at line {}",
                    s.id.value,
                    first.line()
                ),
            ));
            continue;
        }
        section_at.insert(s.id.value.clone(), at);
        let owner = format!("section `{}`", s.id.value);
        if let Some(title) = text(file, at, &owner, "title", s.title, diags) {
            sections.push(Section {
                id: s.id.value,
                title,
            });
        }
    }

    let mut requirements = Vec::new();
    match raw.requirements {
        None => diags.push(diag(file, top, "missing `requirements`")),
        Some(list) if list.value.is_empty() => diags.push(diag(
            file,
            list.referenced,
            "`requirements` must list at least one requirement",
        )),
        Some(list) => {
            let mut seen: HashMap<String, Location> = HashMap::new();
            for r in list.value {
                if let Some(req) = check_requirement(r, file, known, &section_at, &mut seen, diags)
                {
                    requirements.push(req);
                }
            }
        }
    }

    (diags.len() == before).then(|| Framework {
        id,
        name,
        name_ko,
        version,
        description,
        sections,
        requirements,
        source: file.to_string(),
    })
}

fn check_requirement(
    r: RawRequirement,
    file: &str,
    known: &KnownRules<'_>,
    sections: &HashMap<String, Location>,
    seen: &mut HashMap<String, Location>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Requirement> {
    let before = diags.len();
    let at = r.id.referenced;
    let id = r.id.value;
    if id.trim().is_empty() {
        diags.push(diag(file, at, "requirement `id` must not be empty"));
    }
    if let Some(first) = seen.get(&id) {
        diags.push(diag(
            file,
            at,
            format!(
                "duplicate requirement id `{id}`: already defined at line {}",
                first.line()
            ),
        ));
    } else {
        seen.insert(id.clone(), at);
    }
    let owner = format!("requirement `{id}`");
    let title = text(file, at, &owner, "title", r.title, diags);

    let section = match r.section {
        Some(s) if !sections.contains_key(&s.value) => {
            diags.push(diag(
                file,
                s.referenced,
                format!(
                    "{owner}: unknown section `{}` (declare it under `sections:`)",
                    s.value
                ),
            ));
            None
        }
        s => s.map(|s| s.value),
    };

    let check = match (r.rules, r.manual) {
        (Some(_), Some(m)) if m.value => {
            diags.push(diag(
                file,
                m.referenced,
                format!(
                    "{owner} has both `rules` and `manual: true`: a requirement is either \
                     evidenced by rules or assessed by hand"
                ),
            ));
            None
        }
        (_, Some(m)) if !m.value => {
            diags.push(diag(
                file,
                m.referenced,
                format!("{owner}: `manual: false` means nothing; give `rules: [...]` instead"),
            ));
            None
        }
        (None, Some(_)) => Some(Check::Manual),
        (None, None) => {
            diags.push(diag(
                file,
                at,
                format!("{owner} needs `rules: [rule ids]` or `manual: true`"),
            ));
            None
        }
        (Some(list), _) => check_rules(&owner, list, file, known, diags).map(Check::Rules),
    };

    if diags.len() != before {
        return None;
    }
    Some(Requirement {
        id,
        section,
        title: title?,
        check: check?,
    })
}

fn check_rules(
    owner: &str,
    list: Spanned<Vec<Spanned<String>>>,
    file: &str,
    known: &KnownRules<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<String>> {
    if list.value.is_empty() {
        diags.push(diag(
            file,
            list.referenced,
            format!("{owner}: `rules` is empty; list rule ids or write `manual: true`"),
        ));
        return None;
    }
    let before = diags.len();
    let mut ids: Vec<String> = Vec::with_capacity(list.value.len());
    for rule in list.value {
        if ids.contains(&rule.value) {
            diags.push(diag(
                file,
                rule.referenced,
                format!("{owner}: rule `{}` is listed twice", rule.value),
            ));
        } else if !known.contains(&rule.value) {
            let hint = known
                .closest(&rule.value)
                .map(|c| format!("; did you mean `{c}`?"))
                .unwrap_or_default();
            diags.push(diag(
                file,
                rule.referenced,
                format!(
                    "{owner}: unknown rule `{}`{hint} (see `rampart rules list`)",
                    rule.value
                ),
            ));
        }
        ids.push(rule.value);
    }
    (diags.len() == before).then_some(ids)
}

/// The ids of the loaded rules, for lookups and suggestions.
struct KnownRules<'a> {
    ids: Vec<&'a str>,
}

impl<'a> KnownRules<'a> {
    fn new(rules: &'a RuleSet) -> Self {
        KnownRules {
            ids: rules.rules().iter().map(|r| r.id.as_str()).collect(),
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.ids.contains(&id)
    }

    /// The known id nearest to `id` by edit distance, if near enough to be
    /// a likely typo.
    fn closest(&self, id: &str) -> Option<&'a str> {
        let limit = (id.len() / 4).max(2);
        self.ids
            .iter()
            .map(|k| (edit_distance(id, k), *k))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, k)| k)
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = Vec::with_capacity(b.len() + 1);
        cur.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn framework_ids() {
        assert!(is_framework_id("cis-aws-3.0"));
        assert!(is_framework_id("isms-p-2023"));
        assert!(!is_framework_id("CIS"));
        assert!(!is_framework_id("3cis"));
        assert!(!is_framework_id("cis aws"));
    }

    #[test]
    fn serde_positions_are_stripped_from_messages() {
        assert_eq!(
            first_line("line 3 column 5: unknown field `rule`"),
            "invalid framework file: unknown field `rule`"
        );
    }
}
