//! Evaluating compiled conditions: the hot path, no allocation on common
//! operators.

use chrono::{DateTime, Utc};
use rampart_inventory::Resource;
use serde_json::Value;

use super::ops;
use super::{Cond, Op, Test, V};
use crate::helpers::{iam, net, time};

/// What a condition is evaluated against.
pub struct Ctx<'a> {
    pub resource: &'a Resource,
    pub now: DateTime<Utc>,
}

/// Evaluates `c`; `elem` is the current list element inside a quantifier.
pub fn eval(c: &Cond, cx: &Ctx<'_>, elem: Option<&Value>) -> bool {
    match c {
        Cond::True => true,
        Cond::All(v) => v.iter().all(|c| eval(c, cx, elem)),
        Cond::Any(v) => v.iter().any(|c| eval(c, cx, elem)),
        Cond::Not(c) => !eval(c, cx, elem),
        Cond::Test(t) => test(t, cx, elem),
    }
}

#[inline]
fn test(t: &Test, cx: &Ctx<'_>, elem: Option<&Value>) -> bool {
    if let Op::Exists(want) = t.op {
        let (found, _) = t.path.visit(cx.resource, elem, &mut |_| true);
        return found == want;
    }
    let (found, hit) = t
        .path
        .visit(cx.resource, elem, &mut |v| holds(&t.op, v, cx));
    if found { hit } else { t.op.holds_on_missing() }
}

/// Whether `op` holds on one present value.
pub fn holds(op: &Op, v: V<'_>, cx: &Ctx<'_>) -> bool {
    match op {
        Op::Eq(lit) => ops::lit_eq(v, lit),
        Op::Cmp(k, lit) => ops::compare(v, *k, lit),
        Op::In(list) => list.iter().any(|l| ops::lit_eq(v, l)),
        Op::EqCi(s) => v.as_str().is_some_and(|x| ops::eq_ci(x, s)),
        Op::InCi(list) => v
            .as_str()
            .is_some_and(|x| list.iter().any(|s| ops::eq_ci(x, s))),
        Op::Contains(lit) => ops::contains(v, lit),
        Op::ContainsCi(s) => ops::contains_ci(v, s),
        Op::StartsWith(s, ci) => v.as_str().is_some_and(|x| {
            if *ci {
                x.to_lowercase().starts_with(s.as_str())
            } else {
                x.starts_with(s.as_str())
            }
        }),
        Op::EndsWith(s, ci) => v.as_str().is_some_and(|x| {
            if *ci {
                x.to_lowercase().ends_with(s.as_str())
            } else {
                x.ends_with(s.as_str())
            }
        }),
        Op::Regex(re) => v.as_str().is_some_and(|x| re.is_match(x)),
        Op::Exists(b) => *b,
        Op::Empty(b) => ops::is_empty(v) == *b,
        Op::Length(o) => v.len().is_some_and(|n| all_on_number(o, n as f64, cx)),
        Op::Count(filter, o) => v.as_array().is_some_and(|items| {
            let n = items.iter().filter(|e| eval(filter, cx, Some(e))).count();
            all_on_number(o, n as f64, cx)
        }),
        Op::AnyElem(c) => v
            .as_array()
            .is_some_and(|items| items.iter().any(|e| eval(c, cx, Some(e)))),
        Op::AllElem(c) => v
            .as_array()
            .is_some_and(|items| items.iter().all(|e| eval(c, cx, Some(e)))),
        Op::NoneElem(c) => v
            .as_array()
            .is_none_or(|items| !items.iter().any(|e| eval(c, cx, Some(e)))),
        Op::NotOps(o) => !o.iter().all(|op| holds(op, v, cx)),
        Op::AgeDays(o) => age(v, cx).is_some_and(|d| all_on_number(o, d, cx)),
        Op::OlderThanDays(n) | Op::AbsentOrOlderThanDays(n) => age(v, cx).is_some_and(|d| d > *n),
        Op::CidrIsInternet(b) => net_of(v).is_some_and(|n| net::is_internet(&n) == *b),
        Op::CidrIsPrivate(b) => net_of(v).is_some_and(|n| net::is_private(&n) == *b),
        Op::CidrContains(nets) => net_of(v).is_some_and(|n| nets.iter().any(|x| n.contains(x))),
        Op::CidrWithin(nets) => net_of(v).is_some_and(|n| nets.iter().any(|x| x.contains(&n))),
        Op::CidrOverlaps(nets) => {
            net_of(v).is_some_and(|n| nets.iter().any(|x| net::overlaps(&n, x)))
        }
        Op::PortIncludes(ports) => v.json().is_some_and(|r| net::port_includes(r, ports)),
        Op::PolicyAllowsAdmin(b) => v
            .json()
            .is_some_and(|d| iam::allows_admin(d).is_some() == *b),
        Op::PolicyPublic(actions) => v
            .json()
            .is_some_and(|d| iam::public_statement(d, actions.as_deref()).is_some()),
        Op::PolicyAllows(actions) => v
            .json()
            .is_some_and(|d| iam::allows_action(d, actions).is_some()),
        Op::PolicyTrustsExternal(known) => v
            .json()
            .is_some_and(|d| iam::trusts_external(d, &cx.resource.account, known).is_some()),
        Op::PolicyDeniesInsecureTransport(b) => v
            .json()
            .is_some_and(|d| iam::denies_insecure_transport(d).is_some() == *b),
    }
}

fn all_on_number(o: &[Op], n: f64, cx: &Ctx<'_>) -> bool {
    let val = serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number);
    o.iter().all(|op| holds(op, V::J(&val), cx))
}

pub fn age(v: V<'_>, cx: &Ctx<'_>) -> Option<f64> {
    v.as_str().and_then(|s| time::age_days(s, cx.now))
}

fn net_of(v: V<'_>) -> Option<ipnet::IpNet> {
    v.as_str().and_then(net::parse_net)
}
