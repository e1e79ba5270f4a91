//! Finding rule files (embedded and on disk), parsing, compiling, and
//! checking ids across files. Every problem becomes a [`Diagnostic`].

pub mod known;
pub mod node;
pub mod read;
pub mod schema;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::diag::Diagnostic;
use crate::rule::Rule;

/// The shipped rules, embedded at build time.
static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../rules");

/// One rule file's text and the name diagnostics show for it.
pub struct Source {
    pub display: String,
    pub text: String,
}

fn is_rule_file(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml")
}

/// The embedded rule files, as `rules/<path>`, sorted.
pub fn builtin_sources() -> Vec<Source> {
    let mut out = Vec::new();
    collect_embedded(&BUILTIN, &mut out);
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<Source>) {
    for f in dir.files() {
        let path = f.path().to_string_lossy().to_string();
        if is_rule_file(&path) {
            out.push(Source {
                display: format!("rules/{path}"),
                text: String::from_utf8_lossy(f.contents()).into_owned(),
            });
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

/// Every `*.yaml`/`*.yml` under `dir`, recursively, sorted. Unreadable files
/// and directories become diagnostics.
pub fn dir_sources(dir: &Path, diags: &mut Vec<Diagnostic>) -> Vec<Source> {
    let mut files = Vec::new();
    walk(dir, &mut files, diags);
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let display = p.display().to_string();
            match std::fs::read_to_string(&p) {
                Ok(text) => Some(Source { display, text }),
                Err(e) => {
                    diags.push(file_diag(&display, format!("cannot read rule file: {e}")));
                    None
                }
            }
        })
        .collect()
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(file_diag(
                &dir.display().to_string(),
                format!("cannot read rule directory: {e}"),
            ));
            return;
        }
    };
    for entry in entries.flatten() {
        let p = entry.path();
        if p.is_dir() {
            walk(&p, files, diags);
        } else if is_rule_file(&entry.file_name().to_string_lossy()) {
            files.push(p);
        }
    }
}

fn file_diag(file: &str, message: String) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: 0,
        column: 0,
        message,
    }
}

/// Parses and compiles all sources; checks ids are unique.
pub fn compile_all(sources: &[Source], diags: &mut Vec<Diagnostic>) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut ids: HashMap<String, (String, u32, u32)> = HashMap::new();
    for src in sources {
        let root = match node::parse(&src.text) {
            Ok(n) => n,
            Err(e) => {
                diags.push(Diagnostic::new(&src.display, e.pos, e.message));
                continue;
            }
        };
        let stem = Path::new(&src.display)
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default();
        // Report duplicates even when the rule has other errors.
        if let Some(idn) = root.get("id")
            && let Some(id) = idn.as_str()
        {
            if let Some((f, l, c)) = ids.get(id) {
                diags.push(Diagnostic::new(
                    &src.display,
                    idn.pos,
                    format!("duplicate rule id `{id}`: already defined in {f}:{l}:{c}"),
                ));
                continue;
            }
            ids.insert(
                id.to_string(),
                (src.display.clone(), idn.pos.line, idn.pos.column),
            );
        }
        if let Some(rule) = read::read_rule(&root, &src.display, &stem, diags) {
            rules.push(rule);
        }
    }
    rules
}
