//! Re-evaluation of a failing condition that records its witnesses: the
//! concrete paths and values that made it true, for the finding's reason.
//! Runs only for failing resources, so it may allocate.

use serde_json::Value;

use super::eval::{self, Ctx, holds};
use super::path::Root;
use super::{Cond, Op, Test, V};
use crate::helpers::{iam, net};

/// `elem`: the current list element and its concrete path.
pub fn explain(
    c: &Cond,
    cx: &Ctx<'_>,
    elem: Option<(&Value, &str)>,
    out: &mut Vec<String>,
) -> bool {
    match c {
        Cond::True => true,
        Cond::All(v) => {
            let mark = out.len();
            for c in v {
                if !explain(c, cx, elem, out) {
                    out.truncate(mark);
                    return false;
                }
            }
            true
        }
        Cond::Any(v) => {
            for c in v {
                let mark = out.len();
                if explain(c, cx, elem, out) {
                    return true;
                }
                out.truncate(mark);
            }
            false
        }
        Cond::Not(c) => {
            let holds = !eval::eval(c, cx, elem.map(|e| e.0));
            if holds && let Cond::Test(t) = c.as_ref() {
                negated(t, cx, elem, out);
            }
            holds
        }
        Cond::Test(t) => test(t, cx, elem, out),
    }
}

fn shown(t: &Test, prefix: &str) -> String {
    match (&t.path.root, t.path.text.as_str()) {
        (Root::Element, "@") => prefix.to_string(),
        (Root::Element, text) => {
            let text = text.strip_prefix("@.").unwrap_or(text);
            if prefix.is_empty() {
                text.to_string()
            } else {
                format!("{prefix}.{text}")
            }
        }
        _ => t.path.text.clone(),
    }
}

/// Witnesses of a negated test: what the path holds instead.
fn negated(t: &Test, cx: &Ctx<'_>, elem: Option<(&Value, &str)>, out: &mut Vec<String>) {
    let prefix = elem.map_or("", |e| e.1);
    let vals = t.path.collect(cx.resource, elem.map(|e| e.0), prefix);
    if vals.is_empty() {
        out.push(format!("{} is absent", shown(t, prefix)));
    }
    for (p, v) in vals.into_iter().take(3) {
        match v {
            V::J(Value::Array(_) | Value::Object(_)) => out.push(format!("{p} does not match")),
            _ => out.push(format!("{p} = {}", v.render())),
        }
    }
}

fn test(t: &Test, cx: &Ctx<'_>, elem: Option<(&Value, &str)>, out: &mut Vec<String>) -> bool {
    let prefix = elem.map_or("", |e| e.1);
    let vals = t.path.collect(cx.resource, elem.map(|e| e.0), prefix);
    if vals.is_empty() {
        let ok = t.op.holds_on_missing();
        if ok {
            out.push(format!("{} is absent", shown(t, prefix)));
        }
        return ok;
    }
    if let Op::Exists(want) = t.op {
        if want && let Some((p, v)) = vals.first() {
            out.push(format!("{p} = {}", v.render()));
        }
        return want;
    }
    vals.into_iter().any(|(p, v)| value(&t.op, v, &p, cx, out))
}

/// Explains `op` on one value found at concrete path `p`.
fn value(op: &Op, v: V<'_>, p: &str, cx: &Ctx<'_>, out: &mut Vec<String>) -> bool {
    match op {
        Op::AnyElem(c) => {
            let Some(items) = v.as_array() else {
                return false;
            };
            for (i, e) in items.iter().enumerate() {
                let ep = format!("{p}[{i}]");
                let mark = out.len();
                if explain(c, cx, Some((e, &ep)), out) {
                    return true;
                }
                out.truncate(mark);
            }
            false
        }
        _ if !holds(op, v, cx) => false,
        _ => {
            out.push(describe(op, v, p, cx));
            true
        }
    }
}

fn describe(op: &Op, v: V<'_>, p: &str, cx: &Ctx<'_>) -> String {
    let detail = |d: Option<String>| match d {
        Some(d) => format!("{p}: {d}"),
        None => format!("{p} = {}", v.render()),
    };
    let doc = v.json();
    match op {
        Op::Count(filter, _) => {
            let n = v.as_array().map_or(0, |items| {
                items
                    .iter()
                    .filter(|e| eval::eval(filter, cx, Some(e)))
                    .count()
            });
            format!("{p}: {n} matching")
        }
        Op::Length(_) => format!("{p}: length {}", v.len().unwrap_or(0)),
        Op::AllElem(_) => format!("{p}: every element matches"),
        Op::NoneElem(_) => format!("{p}: no element matches"),
        Op::AgeDays(_) | Op::OlderThanDays(_) | Op::AbsentOrOlderThanDays(_) => {
            let days = eval::age(v, cx).unwrap_or(0.0).floor();
            format!("{p} = {} ({days} days ago)", v.render())
        }
        Op::PortIncludes(_) => match doc.and_then(net::rule_ports) {
            Some((proto, f, t)) if f == t => format!("{p} opens {proto} port {f}"),
            Some((proto, f, t)) => format!("{p} opens {proto} ports {f}-{t}"),
            None => format!("{p} = {}", v.render()),
        },
        Op::PolicyAllowsAdmin(true) => detail(doc.and_then(iam::allows_admin)),
        Op::PolicyPublic(a) => detail(doc.and_then(|d| iam::public_statement(d, a.as_deref()))),
        Op::PolicyAllows(a) => detail(doc.and_then(|d| iam::allows_action(d, a))),
        Op::PolicyTrustsExternal(k) => {
            detail(doc.and_then(|d| iam::trusts_external(d, &cx.resource.account, k)))
        }
        Op::PolicyDeniesInsecureTransport(true) => {
            detail(doc.and_then(iam::denies_insecure_transport))
        }
        Op::PolicyAllowsAdmin(false) => format!("{p}: does not allow *:*"),
        Op::PolicyDeniesInsecureTransport(false) => {
            format!("{p}: does not deny requests without TLS (aws:SecureTransport)")
        }
        _ => format!("{p} = {}", v.render()),
    }
}
