//! Reason templates: `"bucket {name} is readable by {match}"`.
//!
//! Placeholders are `{match}` (the witnesses of the failure), `{title}`, or
//! any path of the condition language (`{name}`, `{uid}`, `{props.x.y}`,
//! `{tags.owner}`). `{{` and `}}` are literal braces. Compiled at load.

use rampart_inventory::Resource;

use crate::lang::Path;
use crate::lang::path::{self, Root};

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Match,
    Path(Path),
}

#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    lit.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    lit.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => name.push(c),
                            None => return Err(format!("unclosed `{{{name}` in template")),
                        }
                    }
                    if !lit.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut lit)));
                    }
                    let name = name.trim();
                    if name == "match" {
                        parts.push(Part::Match);
                    } else {
                        let p = path::parse(name, false)
                            .map_err(|e| format!("in template placeholder `{{{name}}}`: {e}"))?;
                        parts.push(Part::Path(p));
                    }
                }
                '}' => return Err("unmatched `}` in template (write `}}` for a brace)".into()),
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            parts.push(Part::Text(lit));
        }
        Ok(Template { parts })
    }

    pub fn render(&self, r: &Resource, witnesses: &[String]) -> String {
        let mut out = String::with_capacity(96);
        for p in &self.parts {
            match p {
                Part::Text(t) => out.push_str(t),
                Part::Match => {
                    if witnesses.is_empty() {
                        out.push_str("condition met");
                    } else {
                        for (i, w) in witnesses.iter().enumerate() {
                            if i > 0 {
                                out.push_str(", ");
                            }
                            out.push_str(w);
                        }
                    }
                }
                Part::Path(p) if p.root == Root::Name && r.name.is_empty() => {
                    out.push_str(&r.uid);
                }
                Part::Path(p) => {
                    let mut first = true;
                    p.visit(r, None, &mut |v| {
                        if !first {
                            out.push_str(", ");
                        }
                        first = false;
                        match v.as_str() {
                            Some(s) if s.chars().count() <= 120 => out.push_str(s),
                            _ => out.push_str(&v.render()),
                        }
                        false
                    });
                    if first {
                        out.push_str("(absent)");
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paths_and_match() {
        let r: Resource = serde_json::from_value(serde_json::json!({
            "uid": "arn:aws:s3:::b", "type": "aws.s3.bucket", "account": "1", "region": "r",
            "name": "b", "props": {"versioning": {"status": "Suspended"}}
        }))
        .unwrap();
        let t =
            Template::parse("bucket {name} has {props.versioning.status} {{x}}: {match}").unwrap();
        assert_eq!(
            t.render(&r, &["a = 1".into(), "b = 2".into()]),
            "bucket b has Suspended {x}: a = 1, b = 2"
        );
        let t = Template::parse("{props.missing} {match}").unwrap();
        assert_eq!(t.render(&r, &[]), "(absent) condition met");
        assert!(
            Template::parse("{nme}")
                .unwrap_err()
                .contains("unknown path root `nme`")
        );
        assert!(Template::parse("{name").unwrap_err().contains("unclosed"));
        assert!(Template::parse("a } b").unwrap_err().contains("unmatched"));
    }
}
