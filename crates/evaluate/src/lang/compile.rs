//! YAML nodes to condition trees, reporting every problem with its position.

use std::collections::HashSet;

use ipnet::IpNet;
use serde_json::Value;

use super::path::{self, Path, Root};
use super::{CmpKind, Cond, Op, Test};
use crate::diag::Diagnostic;
use crate::helpers::net;
use crate::lang::path::Seg;
use crate::load::known::DOCUMENT_PROPS;
use crate::load::node::{Kind, Node};

/// Every operator name, for validation and messages.
pub const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "eq_ci",
    "in_ci",
    "contains",
    "contains_ci",
    "starts_with",
    "starts_with_ci",
    "ends_with",
    "ends_with_ci",
    "regex",
    "exists",
    "absent",
    "empty",
    "length",
    "count",
    "any",
    "all",
    "none",
    "not",
    "age_days",
    "older_than_days",
    "absent_or_older_than_days",
    "cidr_is_internet",
    "cidr_is_private",
    "cidr_contains",
    "cidr_within",
    "cidr_overlaps",
    "port_includes",
    "policy_allows_admin",
    "policy_public",
    "policy_allows",
    "policy_trusts_external",
    "policy_denies_insecure_transport",
];

/// Keys that combine conditions.
const COMBINATORS: &[&str] = &["all", "any", "none", "not"];

/// Compiles conditions of one file, collecting diagnostics.
pub struct Compiler<'a> {
    pub file: &'a str,
    pub diags: &'a mut Vec<Diagnostic>,
    /// Names documented for the rule's resource type (docs/resources.md);
    /// None: not checked.
    pub known: Option<&'static HashSet<String>>,
    /// Whether element-relative names are checked against `known` (inside a
    /// quantifier over a documented list, not inside a policy document).
    pub check_elements: bool,
}

impl Compiler<'_> {
    fn err(&mut self, n: &Node, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(self.file, n.pos, msg));
    }

    /// A condition. `element`: inside a quantifier, bare names are relative
    /// to the list element.
    pub fn cond(&mut self, n: &Node, element: bool) -> Cond {
        match &n.kind {
            Kind::Bool(true) => Cond::True,
            Kind::Bool(false) => Cond::Not(Box::new(Cond::True)),
            Kind::Map(entries) if entries.is_empty() => {
                self.err(n, "empty condition");
                Cond::True
            }
            Kind::Map(entries) => {
                if let Some(p) = n.get("path") {
                    return self.explicit(n, p, entries, element);
                }
                let mut out = Vec::new();
                for (k, v) in entries {
                    if let Some(c) = self.entry(k, v, element) {
                        out.push(c);
                    }
                }
                all_of(out)
            }
            Kind::Seq(_) => {
                self.err(
                    n,
                    "a condition is a mapping; combine several with `all: [...]` or `any: [...]`",
                );
                Cond::True
            }
            other => {
                self.err(
                    n,
                    format!(
                        "expected a condition (a mapping such as `props.x: value`), got {}",
                        other.describe()
                    ),
                );
                Cond::True
            }
        }
    }

    fn explicit(&mut self, n: &Node, p: &Node, entries: &[(Node, Node)], element: bool) -> Cond {
        let Some(text) = p.as_str() else {
            self.err(p, "`path` must be a string");
            return Cond::True;
        };
        let Some(path) = self.path(p, text, element) else {
            return Cond::True;
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            if k.as_str() == Some("path") {
                continue;
            }
            if let Some(op) = self.op(k, v, &path, element) {
                out.push(op_cond(path.clone(), op));
            }
        }
        if out.is_empty() {
            self.err(n, format!("no operator given for path `{text}`"));
        }
        all_of(out)
    }

    fn path(&mut self, at: &Node, text: &str, element: bool) -> Option<Path> {
        match path::parse(text, element) {
            Ok(p) => {
                self.check_known(at, &p);
                Some(p)
            }
            Err(e) => {
                self.err(at, e);
                None
            }
        }
    }

    /// Reports names the resource type does not document.
    fn check_known(&mut self, at: &Node, p: &Path) {
        let Some(known) = self.known else { return };
        let checked = match p.root {
            Root::Props => true,
            Root::Element => self.check_elements,
            _ => false,
        };
        if !checked {
            return;
        }
        for seg in &p.segs {
            let Seg::Key(k) = seg else { continue };
            if !known.contains(k) {
                let hint = known
                    .iter()
                    .map(|o| (edit_distance(k, o), o))
                    .filter(|(d, _)| *d <= 2)
                    .min()
                    .map(|(_, o)| format!("; did you mean `{o}`?"))
                    .unwrap_or_default();
                self.err(
                    at,
                    format!(
                        "unknown field `{k}` in `{}`: docs/resources.md documents no such name for this resource type{hint}",
                        p.text
                    ),
                );
                return;
            }
            if DOCUMENT_PROPS.contains(&k.as_str()) {
                return;
            }
        }
    }

    /// Whether elements of the list at `p` have documented fields.
    fn elements_checkable(&self, p: &Path) -> bool {
        let inside_document = p
            .segs
            .iter()
            .any(|s| matches!(s, Seg::Key(k) if DOCUMENT_PROPS.contains(&k.as_str())));
        match p.root {
            Root::Props => !inside_document,
            Root::Element => self.check_elements && !inside_document,
            _ => false,
        }
    }

    /// Compiles an element condition for the list at `p`.
    fn element_cond(&mut self, v: &Node, p: &Path) -> Cond {
        let saved = self.check_elements;
        self.check_elements = self.elements_checkable(p);
        let c = self.cond(v, true);
        self.check_elements = saved;
        c
    }

    fn entry(&mut self, k: &Node, v: &Node, element: bool) -> Option<Cond> {
        let Some(key) = k.as_str() else {
            self.err(k, "condition keys must be strings");
            return None;
        };
        if COMBINATORS.contains(&key) {
            return self.combinator(key, k, v, element);
        }
        if OPERATORS.contains(&key) {
            if element {
                let at = path::parse("@", true).ok()?;
                return self.op(k, v, &at, element).map(|op| op_cond(at, op));
            }
            self.err(
                k,
                format!(
                    "operator `{key}` needs a path: write `some.path: {{{key}: ...}}` or `{{path: some.path, {key}: ...}}`"
                ),
            );
            return None;
        }
        let path = self.path(k, key, element)?;
        match &v.kind {
            Kind::Map(entries) => {
                if entries.is_empty() {
                    self.err(v, format!("no operator given for path `{key}`"));
                    return None;
                }
                let ops = self.op_map(v, &path, element);
                Some(all_of(
                    ops.into_iter()
                        .map(|op| op_cond(path.clone(), op))
                        .collect(),
                ))
            }
            Kind::Seq(_) => {
                self.err(
                    v,
                    format!(
                        "a list here is ambiguous: write `{key}: {{in: [...]}}` for membership or `{key}: {{eq: [...]}}` to compare a whole list"
                    ),
                );
                None
            }
            _ => {
                let op = self.op_eq(v, &path, false);
                Some(op_cond(path, op))
            }
        }
    }

    fn combinator(&mut self, key: &str, k: &Node, v: &Node, element: bool) -> Option<Cond> {
        if key == "not" {
            return Some(Cond::Not(Box::new(self.cond(v, element))));
        }
        let items: Vec<Cond> = match &v.kind {
            Kind::Seq(items) if !items.is_empty() => {
                items.iter().map(|c| self.cond(c, element)).collect()
            }
            _ => {
                self.err(
                    k,
                    format!(
                        "`{key}` takes a non-empty list of conditions, got {}",
                        v.kind.describe()
                    ),
                );
                return None;
            }
        };
        Some(match key {
            "all" => Cond::All(items),
            "any" => Cond::Any(items),
            _ => Cond::Not(Box::new(Cond::Any(items))),
        })
    }

    /// A mapping of operators applied to one path.
    fn op_map(&mut self, n: &Node, path: &Path, element: bool) -> Vec<Op> {
        let Some(entries) = n.as_map() else {
            self.err(
                n,
                format!("expected a mapping of operators, got {}", n.kind.describe()),
            );
            return Vec::new();
        };
        if entries.is_empty() {
            self.err(n, "empty mapping of operators");
        }
        entries
            .iter()
            .filter_map(|(k, v)| self.op(k, v, path, element))
            .collect()
    }

    fn op_eq(&mut self, v: &Node, path: &Path, negate: bool) -> Op {
        if v.kind == Kind::Null {
            return Op::Exists(negate);
        }
        let lit = self.literal(v, path);
        if negate {
            Op::NotOps(vec![Op::Eq(lit)])
        } else {
            Op::Eq(lit)
        }
    }

    /// A literal argument; for `tags.<key>` scalars become strings (tag
    /// values are always strings, so `tags.pii: true` means "true").
    fn literal(&mut self, v: &Node, path: &Path) -> Value {
        let j = v.to_json();
        if matches!(path.root, Root::Tag(_)) {
            match j {
                Value::Bool(b) => return Value::String(b.to_string()),
                Value::Number(n) => return Value::String(n.to_string()),
                _ => {}
            }
        }
        j
    }

    fn op(&mut self, k: &Node, v: &Node, path: &Path, element: bool) -> Option<Op> {
        let Some(name) = k.as_str() else {
            self.err(k, "operator names must be strings");
            return None;
        };
        let op = match name {
            "eq" => self.op_eq(v, path, false),
            "ne" => self.op_eq(v, path, true),
            "gt" | "gte" | "lt" | "lte" => {
                let kind = match name {
                    "gt" => CmpKind::Gt,
                    "gte" => CmpKind::Gte,
                    "lt" => CmpKind::Lt,
                    _ => CmpKind::Lte,
                };
                match &v.kind {
                    Kind::Int(_) | Kind::Float(_) | Kind::Str(_) => {
                        Op::Cmp(kind, self.literal(v, path))
                    }
                    other => return self.bad_arg(v, name, "a number or a string", other),
                }
            }
            "in" | "not_in" => {
                let items = self.scalar_list(v, name)?;
                let items = items.iter().map(|n| self.literal(n, path)).collect();
                if name == "in" {
                    Op::In(items)
                } else {
                    Op::NotOps(vec![Op::In(items)])
                }
            }
            "eq_ci" => Op::EqCi(self.string(v, name)?.to_lowercase()),
            "in_ci" => {
                let items = self.scalar_list(v, name)?;
                let mut out = Vec::new();
                for n in items {
                    out.push(self.string(n, name)?.to_lowercase());
                }
                Op::InCi(out)
            }
            "contains" => match &v.kind {
                Kind::Seq(_) | Kind::Map(_) | Kind::Null => {
                    return self.bad_arg(v, name, "a string, number or boolean", &v.kind);
                }
                _ => Op::Contains(self.literal(v, path)),
            },
            "contains_ci" => Op::ContainsCi(self.string(v, name)?.to_lowercase()),
            "starts_with" => Op::StartsWith(self.string(v, name)?.to_string(), false),
            "starts_with_ci" => Op::StartsWith(self.string(v, name)?.to_lowercase(), true),
            "ends_with" => Op::EndsWith(self.string(v, name)?.to_string(), false),
            "ends_with_ci" => Op::EndsWith(self.string(v, name)?.to_lowercase(), true),
            "regex" => {
                let pat = self.string(v, name)?;
                match regex::RegexBuilder::new(pat).size_limit(1 << 20).build() {
                    Ok(re) => Op::Regex(re),
                    Err(e) => {
                        let msg = e.to_string();
                        let last = msg.lines().last().unwrap_or("").trim().to_string();
                        self.err(v, format!("bad regex `{pat}`: {last}"));
                        return None;
                    }
                }
            }
            "exists" => Op::Exists(self.boolean(v, name)?),
            "absent" => Op::Exists(!self.boolean(v, name)?),
            "empty" => Op::Empty(self.boolean(v, name)?),
            "length" => Op::Length(self.number_ops(v, path, name)?),
            "age_days" => Op::AgeDays(self.number_ops(v, path, name)?),
            "count" => {
                let Some(entries) = v.as_map() else {
                    return self.bad_arg(
                        v,
                        name,
                        "a mapping like `{where: {...}, gt: 1}`",
                        &v.kind,
                    );
                };
                let mut filter = Cond::True;
                let mut ops = Vec::new();
                for (ck, cv) in entries {
                    if ck.as_str() == Some("where") {
                        filter = self.element_cond(cv, path);
                    } else if let Some(op) = self.op(ck, cv, path, element) {
                        ops.push(op);
                    }
                }
                if ops.is_empty() {
                    self.err(v, "`count` needs a comparison such as `gt: 1`");
                }
                Op::Count(Box::new(filter), ops)
            }
            "any" | "all" | "none" => {
                if v.as_map().is_none_or(|m| m.is_empty()) && !matches!(v.kind, Kind::Bool(_)) {
                    return self.bad_arg(
                        v,
                        name,
                        "a condition on each element (a mapping)",
                        &v.kind,
                    );
                }
                let c = Box::new(self.element_cond(v, path));
                match name {
                    "any" => Op::AnyElem(c),
                    "all" => Op::AllElem(c),
                    _ => Op::NoneElem(c),
                }
            }
            "not" => Op::NotOps(self.op_map(v, path, element)),
            "older_than_days" | "absent_or_older_than_days" => {
                let d = self.non_negative(v, name)?;
                if name == "older_than_days" {
                    Op::OlderThanDays(d)
                } else {
                    Op::AbsentOrOlderThanDays(d)
                }
            }
            "cidr_is_internet" => Op::CidrIsInternet(self.boolean(v, name)?),
            "cidr_is_private" => Op::CidrIsPrivate(self.boolean(v, name)?),
            "cidr_contains" | "cidr_within" | "cidr_overlaps" => {
                let nets = self.cidrs(v, name)?;
                match name {
                    "cidr_contains" => Op::CidrContains(nets),
                    "cidr_within" => Op::CidrWithin(nets),
                    _ => Op::CidrOverlaps(nets),
                }
            }
            "port_includes" => Op::PortIncludes(self.ports(v, name)?),
            "policy_allows_admin" => Op::PolicyAllowsAdmin(self.boolean(v, name)?),
            "policy_denies_insecure_transport" => {
                Op::PolicyDeniesInsecureTransport(self.boolean(v, name)?)
            }
            "policy_public" => match &v.kind {
                Kind::Bool(true) => Op::PolicyPublic(None),
                Kind::Str(_) | Kind::Seq(_) => Op::PolicyPublic(Some(self.actions(v, name)?)),
                other => {
                    return self.bad_arg(
                        v,
                        name,
                        "`true` or IAM action(s) such as `s3:GetObject`",
                        other,
                    );
                }
            },
            "policy_allows" => Op::PolicyAllows(self.actions(v, name)?),
            "policy_trusts_external" => match &v.kind {
                Kind::Bool(true) => Op::PolicyTrustsExternal(Vec::new()),
                Kind::Seq(items) => {
                    let mut ids = Vec::new();
                    for n in items {
                        let s = match &n.kind {
                            Kind::Str(s) => s.clone(),
                            Kind::Int(i) => format!("{i:012}"),
                            other => {
                                return self.bad_arg(n, name, "12-digit account ids", other);
                            }
                        };
                        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
                            self.err(n, format!("`{s}` is not a 12-digit AWS account id"));
                            return None;
                        }
                        ids.push(s);
                    }
                    Op::PolicyTrustsExternal(ids)
                }
                other => {
                    return self.bad_arg(v, name, "`true` or a list of known account ids", other);
                }
            },
            "path" | "where" => {
                self.err(k, format!("`{name}` is not allowed here"));
                return None;
            }
            other => {
                let hint = suggest(other)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                self.err(
                    k,
                    format!("unknown operator `{other}`{hint} (see docs/rules.md for the list)"),
                );
                return None;
            }
        };
        Some(op)
    }

    fn bad_arg<T>(&mut self, v: &Node, op: &str, want: &str, got: &Kind) -> Option<T> {
        self.err(v, format!("`{op}` takes {want}, got {}", got.describe()));
        None
    }

    fn string<'n>(&mut self, v: &'n Node, op: &str) -> Option<&'n str> {
        match &v.kind {
            Kind::Str(s) => Some(s),
            other => self.bad_arg(v, op, "a string", other),
        }
    }

    fn boolean(&mut self, v: &Node, op: &str) -> Option<bool> {
        match &v.kind {
            Kind::Bool(b) => Some(*b),
            other => self.bad_arg(v, op, "true or false", other),
        }
    }

    fn non_negative(&mut self, v: &Node, op: &str) -> Option<f64> {
        match &v.kind {
            Kind::Int(i) if *i >= 0 => Some(*i as f64),
            Kind::Float(f) if *f >= 0.0 => Some(*f),
            other => self.bad_arg(v, op, "a number of days (0 or more)", other),
        }
    }

    fn scalar_list<'n>(&mut self, v: &'n Node, op: &str) -> Option<&'n [Node]> {
        match &v.kind {
            Kind::Seq(items) => {
                if let Some(bad) = items
                    .iter()
                    .find(|n| matches!(n.kind, Kind::Seq(_) | Kind::Map(_)))
                {
                    return self.bad_arg(bad, op, "a list of plain values", &bad.kind);
                }
                Some(items)
            }
            other => self.bad_arg(v, op, "a list", other),
        }
    }

    /// Operators on a number (length, age): a mapping, or a number for equality.
    fn number_ops(&mut self, v: &Node, path: &Path, op: &str) -> Option<Vec<Op>> {
        match &v.kind {
            Kind::Int(_) | Kind::Float(_) => Some(vec![Op::Eq(v.to_json())]),
            Kind::Map(_) => Some(self.op_map(v, path, false)),
            other => self.bad_arg(v, op, "a number or a mapping such as `{gt: 1}`", other),
        }
    }

    fn one_or_many(v: &Node) -> Vec<&Node> {
        match &v.kind {
            Kind::Seq(items) => items.iter().collect(),
            _ => vec![v],
        }
    }

    fn cidrs(&mut self, v: &Node, op: &str) -> Option<Vec<IpNet>> {
        let mut out = Vec::new();
        for n in Self::one_or_many(v) {
            let s = self.string(n, op)?;
            match net::parse_net(s) {
                Some(net) => out.push(net),
                None => {
                    self.err(
                        n,
                        format!(
                            "bad CIDR `{s}`: expected an address or network like 10.0.0.0/8 or ::/0"
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn ports(&mut self, v: &Node, op: &str) -> Option<Vec<u16>> {
        let mut out = Vec::new();
        for n in Self::one_or_many(v) {
            match &n.kind {
                Kind::Int(i) if (0..=65535).contains(i) => out.push(*i as u16),
                Kind::Int(i) => {
                    self.err(n, format!("port {i} is out of range 0-65535"));
                    return None;
                }
                other => return self.bad_arg(n, op, "a port number or a list of them", other),
            }
        }
        Some(out)
    }

    fn actions(&mut self, v: &Node, op: &str) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for n in Self::one_or_many(v) {
            let s = self.string(n, op)?;
            if s != "*" && !s.contains(':') {
                self.err(
                    n,
                    format!("`{s}` is not an IAM action: expected `service:Action` such as `s3:GetObject`"),
                );
                return None;
            }
            out.push(s.to_string());
        }
        Some(out)
    }
}

/// An operator on a path as a condition. A negation (`not`, `ne`,
/// `not_in`) negates the whole test, so with `[*]` it means "no element".
fn op_cond(path: Path, op: Op) -> Cond {
    match op {
        Op::NotOps(inner) => Cond::Not(Box::new(all_of(
            inner
                .into_iter()
                .map(|o| op_cond(path.clone(), o))
                .collect(),
        ))),
        op => test(path, op),
    }
}

fn test(path: Path, op: Op) -> Cond {
    Cond::Test(Box::new(Test { path, op }))
}

fn all_of(mut v: Vec<Cond>) -> Cond {
    if v.len() == 1 {
        v.pop().unwrap_or(Cond::True)
    } else {
        Cond::All(v)
    }
}

/// The closest operator name, for typos.
fn suggest(name: &str) -> Option<&'static str> {
    OPERATORS
        .iter()
        .map(|o| (edit_distance(name, o), *o))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, o)| o)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
