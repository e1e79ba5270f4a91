//! Field paths: `props.ingress[*].cidr_ipv4`, `tags.owner`, `name`.
//!
//! A path is split once at load time into segments. Resolving it visits every
//! value it reaches (a `[*]` fans out over a list); `null` counts as missing,
//! as docs/resources.md says absent information is an absent key or `null`.

use std::collections::BTreeMap;

use rampart_inventory::Resource;
use serde_json::Value;

/// Where a path starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    Uid,
    Type,
    Account,
    Region,
    Name,
    /// `tags` as a whole (a map of strings).
    Tags,
    /// `tags.<key>`.
    Tag(String),
    /// `props…`
    Props,
    /// Relative to the current list element (inside `any`/`all`/`none`/`count`).
    Element,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
    Wildcard,
}

/// A compiled path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub root: Root,
    pub segs: Vec<Seg>,
    /// As written, for messages and witnesses.
    pub text: String,
}

/// A value reached by a path.
#[derive(Debug, Clone, Copy)]
pub enum V<'a> {
    J(&'a Value),
    S(&'a str),
    Tags(&'a BTreeMap<String, String>),
}

impl<'a> V<'a> {
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            V::J(Value::String(s)) => Some(s),
            V::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(self) -> Option<f64> {
        match self {
            V::J(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }
    pub fn as_array(self) -> Option<&'a Vec<Value>> {
        match self {
            V::J(Value::Array(a)) => Some(a),
            _ => None,
        }
    }
    pub fn json(self) -> Option<&'a Value> {
        match self {
            V::J(v) => Some(v),
            _ => None,
        }
    }
    /// Length of a string (characters), list or mapping.
    pub fn len(self) -> Option<usize> {
        match self {
            V::J(Value::String(s)) => Some(s.chars().count()),
            V::S(s) => Some(s.chars().count()),
            V::J(Value::Array(a)) => Some(a.len()),
            V::J(Value::Object(o)) => Some(o.len()),
            V::Tags(t) => Some(t.len()),
            _ => None,
        }
    }
    /// Short text for reasons: strings bare, the rest as JSON, cut at 120 chars.
    pub fn render(self) -> String {
        let s = match self {
            V::S(s) => s.to_string(),
            V::J(Value::String(s)) => s.clone(),
            V::J(v) => v.to_string(),
            V::Tags(t) => serde_json::to_string(t).unwrap_or_default(),
        };
        if s.chars().count() > 120 {
            let mut cut: String = s.chars().take(117).collect();
            cut.push_str("...");
            cut
        } else {
            s
        }
    }
}

const ROOTS: &str = "uid, type, account, region, name, tags.<key> or props.<field>";

/// Parses a path. `element` says whether bare names are relative to the
/// current list element (inside a quantifier) or must start at a root.
pub fn parse(text: &str, element: bool) -> Result<Path, String> {
    let (abs, body) = match text.strip_prefix("$.") {
        Some(rest) => (true, rest),
        None => (!element, text),
    };
    if text == "@" && element {
        return Ok(Path {
            root: Root::Element,
            segs: Vec::new(),
            text: text.into(),
        });
    }
    let body = body.strip_prefix("@.").filter(|_| element).unwrap_or(body);
    let segs = split(body)?;
    if !abs {
        return Ok(Path {
            root: Root::Element,
            segs,
            text: text.into(),
        });
    }
    let mut it = segs.into_iter();
    let first = match it.next() {
        Some(Seg::Key(k)) => k,
        _ => return Err(format!("path `{text}` must start with one of {ROOTS}")),
    };
    let rest: Vec<Seg> = it.collect();
    let scalar = |root: Root, rest: &[Seg]| {
        if rest.is_empty() {
            Ok(root)
        } else {
            Err(format!(
                "`{first}` is a string: path `{text}` cannot go further"
            ))
        }
    };
    let root = match first.as_str() {
        "uid" => scalar(Root::Uid, &rest)?,
        "type" => scalar(Root::Type, &rest)?,
        "account" => scalar(Root::Account, &rest)?,
        "region" => scalar(Root::Region, &rest)?,
        "name" => scalar(Root::Name, &rest)?,
        "tags" => match rest.as_slice() {
            [] => Root::Tags,
            [Seg::Key(k)] => {
                return Ok(Path {
                    root: Root::Tag(k.clone()),
                    segs: Vec::new(),
                    text: text.into(),
                });
            }
            _ => {
                return Err(format!(
                    "path `{text}`: tags take exactly one key, e.g. tags.owner or tags[\"a.b\"]"
                ));
            }
        },
        "props" => Root::Props,
        other => {
            return Err(format!(
                "unknown path root `{other}` in `{text}`: expected {ROOTS}"
            ));
        }
    };
    Ok(Path {
        root,
        segs: rest,
        text: text.into(),
    })
}

/// Splits `a.b[*].c["x.y"][2]` into segments.
fn split(body: &str) -> Result<Vec<Seg>, String> {
    let bad = |why: &str| Err(format!("malformed path `{body}`: {why}"));
    if body.is_empty() {
        return bad("empty");
    }
    let mut segs = Vec::new();
    let b = body.as_bytes();
    let mut i = 0;
    let mut expect_name = true;
    while i < b.len() {
        match b[i] {
            b'[' => {
                let Some(end_rel) = body[i..].find(']') else {
                    return bad("`[` without `]`");
                };
                let inner = &body[i + 1..i + end_rel];
                if inner == "*" {
                    segs.push(Seg::Wildcard);
                } else if let Some(q) = inner
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                {
                    segs.push(Seg::Key(q.to_string()));
                } else if let Ok(n) = inner.parse::<usize>() {
                    segs.push(Seg::Index(n));
                } else {
                    return bad(&format!(
                        "`[{inner}]` is not `[*]`, an index like `[0]` or a quoted key like `[\"a.b\"]`"
                    ));
                }
                i += end_rel + 1;
                expect_name = false;
            }
            b'.' => {
                if expect_name {
                    return bad("empty segment");
                }
                i += 1;
                expect_name = true;
                if i == b.len() {
                    return bad("ends with `.`");
                }
            }
            _ => {
                if !expect_name {
                    return bad("expected `.` or `[` after `]`");
                }
                let end = body[i..].find(['.', '[']).map_or(body.len(), |e| i + e);
                let name = &body[i..end];
                if name.contains(['*', ']', ' ']) {
                    return bad(&format!(
                        "`{name}` is not a field name (wildcards are written `[*]`)"
                    ));
                }
                segs.push(Seg::Key(name.to_string()));
                i = end;
                expect_name = false;
            }
        }
    }
    Ok(segs)
}

impl Path {
    /// The top-level prop this path reads (`policy` for `props.policy.Statement`).
    pub fn top_prop(&self) -> Option<&str> {
        match (&self.root, self.segs.first()) {
            (Root::Props, Some(Seg::Key(k))) => Some(k),
            _ => None,
        }
    }

    /// Visits every non-null value the path reaches until `f` returns true.
    /// Returns (reached anything, `f` returned true).
    #[inline]
    pub fn visit<'a>(
        &self,
        r: &'a Resource,
        elem: Option<&'a Value>,
        f: &mut dyn FnMut(V<'a>) -> bool,
    ) -> (bool, bool) {
        let start = match &self.root {
            Root::Uid => return leaf(V::S(&r.uid), f),
            Root::Type => return leaf(V::S(&r.resource_type), f),
            Root::Account => return leaf(V::S(&r.account), f),
            Root::Region => return leaf(V::S(&r.region), f),
            Root::Name => {
                if r.name.is_empty() {
                    return (false, false);
                }
                return leaf(V::S(&r.name), f);
            }
            Root::Tags => return leaf(V::Tags(&r.tags), f),
            Root::Tag(k) => {
                return match r.tags.get(k) {
                    Some(v) => leaf(V::S(v), f),
                    None => (false, false),
                };
            }
            Root::Props => &r.props,
            Root::Element => match elem {
                Some(e) => e,
                None => return (false, false),
            },
        };
        let mut found = false;
        let hit = walk(start, &self.segs, &mut found, f);
        (found, hit)
    }

    /// Every value reached, with its concrete path (`[*]` replaced by the
    /// index). `prefix` is the concrete path of the current element.
    pub fn collect<'a>(
        &self,
        r: &'a Resource,
        elem: Option<&'a Value>,
        prefix: &str,
    ) -> Vec<(String, V<'a>)> {
        let mut out = Vec::new();
        let (start, base) = match &self.root {
            Root::Props => (&r.props, "props".to_string()),
            Root::Element => match elem {
                Some(e) => (e, prefix.to_string()),
                None => return out,
            },
            _ => {
                self.visit(r, elem, &mut |v| {
                    out.push((self.text.clone(), v));
                    false
                });
                return out;
            }
        };
        walk_named(start, &self.segs, base, &mut out);
        out
    }
}

/// `v[k]` for an object. Small objects (most props) are scanned: comparing
/// a few short keys is cheaper than hashing with SipHash, which is what
/// serde_json's `preserve_order` map does on every lookup.
#[inline]
pub fn field<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) if m.len() <= 16 => m
            .iter()
            .find(|(key, _)| {
                // Length and first byte reject most keys without a memcmp call.
                key.len() == k.len()
                    && key.as_bytes().first() == k.as_bytes().first()
                    && key.as_str() == k
            })
            .map(|(_, v)| v),
        Value::Object(m) => m.get(k),
        _ => None,
    }
}

#[inline]
fn leaf<'a>(v: V<'a>, f: &mut dyn FnMut(V<'a>) -> bool) -> (bool, bool) {
    (true, f(v))
}

fn walk<'a>(
    v: &'a Value,
    segs: &[Seg],
    found: &mut bool,
    f: &mut dyn FnMut(V<'a>) -> bool,
) -> bool {
    let Some((seg, rest)) = segs.split_first() else {
        if v.is_null() {
            return false;
        }
        *found = true;
        return f(V::J(v));
    };
    match seg {
        Seg::Key(k) => match field(v, k) {
            Some(next) => walk(next, rest, found, f),
            None => false,
        },
        Seg::Index(i) => match v.get(*i) {
            Some(next) => walk(next, rest, found, f),
            None => false,
        },
        Seg::Wildcard => match v {
            Value::Array(items) => items.iter().any(|x| walk(x, rest, found, f)),
            _ => false,
        },
    }
}

fn walk_named<'a>(v: &'a Value, segs: &[Seg], name: String, out: &mut Vec<(String, V<'a>)>) {
    let Some((seg, rest)) = segs.split_first() else {
        if !v.is_null() {
            out.push((name, V::J(v)));
        }
        return;
    };
    let join = |name: &str, k: &str| {
        if name.is_empty() {
            k.to_string()
        } else if k.contains(['.', '[', ' ']) {
            format!("{name}[\"{k}\"]")
        } else {
            format!("{name}.{k}")
        }
    };
    match seg {
        Seg::Key(k) => {
            if let Some(next) = field(v, k) {
                walk_named(next, rest, join(&name, k), out);
            }
        }
        Seg::Index(i) => {
            if let Some(next) = v.get(*i) {
                walk_named(next, rest, format!("{name}[{i}]"), out);
            }
        }
        Seg::Wildcard => {
            if let Value::Array(items) = v {
                for (i, x) in items.iter().enumerate() {
                    walk_named(x, rest, format!("{name}[{i}]"), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_roots_and_segments() {
        let p = parse("props.ingress[*].cidr_ipv4", false).unwrap();
        assert_eq!(p.root, Root::Props);
        assert_eq!(
            p.segs,
            vec![
                Seg::Key("ingress".into()),
                Seg::Wildcard,
                Seg::Key("cidr_ipv4".into())
            ]
        );
        assert_eq!(p.top_prop(), Some("ingress"));
        assert_eq!(
            parse("tags.contains_pii", false).unwrap().root,
            Root::Tag("contains_pii".into())
        );
        assert_eq!(
            parse("tags[\"aws:cloudformation:stack-name\"]", false)
                .unwrap()
                .root,
            Root::Tag("aws:cloudformation:stack-name".into())
        );
        assert_eq!(parse("props.a[2]", false).unwrap().segs[1], Seg::Index(2));
        assert_eq!(parse("status", true).unwrap().root, Root::Element);
        assert_eq!(parse("@", true).unwrap().segs, vec![]);
        assert_eq!(parse("$.props.x", true).unwrap().root, Root::Props);
    }

    #[test]
    fn rejects_bad_paths() {
        for (p, msg) in [
            ("prop.x", "unknown path root `prop`"),
            ("props.ingress[].x", "is not `[*]`"),
            ("props.ingress[*", "without `]`"),
            ("props..x", "empty segment"),
            ("props.x.", "ends with `.`"),
            ("props.in*.x", "wildcards are written `[*]`"),
            ("name.first", "cannot go further"),
            ("tags.a.b", "exactly one key"),
            ("status", "unknown path root `status`"),
        ] {
            let e = parse(p, false).unwrap_err();
            assert!(e.contains(msg), "{p}: {e}");
        }
    }

    #[test]
    fn visits_wildcards_and_skips_null() {
        let r: Resource = serde_json::from_value(serde_json::json!({
            "uid": "u", "type": "aws.x.y", "account": "1", "region": "r",
            "props": {"a": [{"b": 1}, {"b": null}, {"b": 3}]}
        }))
        .unwrap();
        let p = parse("props.a[*].b", false).unwrap();
        let mut seen = vec![];
        let (found, hit) = p.visit(&r, None, &mut |v| {
            seen.push(v.as_f64().unwrap());
            false
        });
        assert!(found && !hit);
        assert_eq!(seen, vec![1.0, 3.0]);
        let named: Vec<String> = p.collect(&r, None, "").into_iter().map(|x| x.0).collect();
        assert_eq!(named, vec!["props.a[0].b", "props.a[2].b"]);
        let (found, _) = parse("props.zz", false)
            .unwrap()
            .visit(&r, None, &mut |_| true);
        assert!(!found);
    }
}
