//! Small helpers to read a YAML mapping against a fixed set of keys,
//! reporting unknown, duplicate, missing and mistyped keys.

use crate::diag::Diagnostic;
use crate::load::node::{Kind, Node};

pub struct Reader<'a> {
    pub file: &'a str,
    pub diags: &'a mut Vec<Diagnostic>,
}

/// A mapping whose keys were checked.
pub struct Obj<'n> {
    pub node: &'n Node,
    pub what: &'static str,
}

impl Reader<'_> {
    pub fn err(&mut self, n: &Node, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(self.file, n.pos, msg));
    }

    /// Checks that `n` is a mapping with only `allowed` keys, each once.
    pub fn obj<'n>(
        &mut self,
        n: &'n Node,
        what: &'static str,
        allowed: &[&str],
    ) -> Option<Obj<'n>> {
        let Some(entries) = n.as_map() else {
            self.err(
                n,
                format!("{what} must be a mapping, got {}", n.kind.describe()),
            );
            return None;
        };
        let mut seen: Vec<&str> = Vec::new();
        for (k, _) in entries {
            let Some(key) = k.as_str() else {
                self.err(k, format!("keys of {what} must be strings"));
                continue;
            };
            if seen.contains(&key) {
                self.err(k, format!("duplicate key `{key}` in {what}"));
            }
            seen.push(key);
            if !allowed.contains(&key) {
                self.err(
                    k,
                    format!(
                        "unknown key `{key}` in {what} (expected one of: {})",
                        allowed.join(", ")
                    ),
                );
            }
        }
        Some(Obj { node: n, what })
    }

    pub fn required<'n>(&mut self, o: &Obj<'n>, key: &str) -> Option<&'n Node> {
        let v = o.node.get(key);
        if v.is_none() {
            self.err(
                o.node,
                format!("missing required key `{key}` in {}", o.what),
            );
        }
        v
    }

    pub fn string(&mut self, n: &Node, what: &str) -> Option<String> {
        match &n.kind {
            Kind::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            Kind::Str(_) => {
                self.err(n, format!("{what} must not be empty"));
                None
            }
            other => {
                self.err(
                    n,
                    format!("{what} must be a string, got {}", other.describe()),
                );
                None
            }
        }
    }

    pub fn req_string(&mut self, o: &Obj<'_>, key: &str) -> Option<String> {
        let n = self.required(o, key)?;
        self.string(n, &format!("`{key}`"))
    }

    pub fn opt_string(&mut self, o: &Obj<'_>, key: &str) -> Option<String> {
        let n = o.node.get(key)?;
        self.string(n, &format!("`{key}`"))
    }

    pub fn string_list(&mut self, o: &Obj<'_>, key: &str) -> Vec<(String, crate::load::node::Pos)> {
        let Some(n) = o.node.get(key) else {
            return Vec::new();
        };
        let Some(items) = n.as_seq() else {
            self.err(
                n,
                format!(
                    "`{key}` must be a list of strings, got {}",
                    n.kind.describe()
                ),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|i| {
                self.string(i, &format!("an entry of `{key}`"))
                    .map(|s| (s, i.pos))
            })
            .collect()
    }
}
