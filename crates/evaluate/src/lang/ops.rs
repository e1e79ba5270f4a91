//! Value comparisons shared by the evaluator and the explainer.

use std::cmp::Ordering;

use serde_json::Value;

use super::{CmpKind, V};

/// Equality with a literal: numbers numerically, strings exactly, other
/// JSON structurally.
pub fn lit_eq(v: V<'_>, lit: &Value) -> bool {
    match (v, lit) {
        (V::S(a), Value::String(b)) => a == b,
        (V::S(_), _) => false,
        (V::J(Value::Number(a)), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (V::J(a), b) => a == b,
        (V::Tags(t), Value::Object(o)) => {
            t.len() == o.len()
                && o.iter()
                    .all(|(k, v)| t.get(k).is_some_and(|x| v.as_str() == Some(x)))
        }
        (V::Tags(_), _) => false,
    }
}

/// Ordering comparison: numbers with numbers, strings with strings
/// (lexicographic, which orders RFC 3339 UTC timestamps correctly).
pub fn compare(v: V<'_>, k: CmpKind, lit: &Value) -> bool {
    let ord = match lit {
        Value::Number(n) => match (v.as_f64(), n.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => None,
        },
        Value::String(s) => v.as_str().map(|a| a.cmp(s.as_str())),
        _ => None,
    };
    match ord {
        Some(o) => match k {
            CmpKind::Gt => o == Ordering::Greater,
            CmpKind::Gte => o != Ordering::Less,
            CmpKind::Lt => o == Ordering::Less,
            CmpKind::Lte => o != Ordering::Greater,
        },
        None => false,
    }
}

/// `a` equals `lower` (already lower-cased) ignoring case.
pub fn eq_ci(a: &str, lower: &str) -> bool {
    if a.is_ascii() {
        a.eq_ignore_ascii_case(lower)
    } else {
        a.to_lowercase() == lower
    }
}

/// Substring of a string, element of a list, or key of `tags`.
pub fn contains(v: V<'_>, lit: &Value) -> bool {
    match v {
        V::J(Value::Array(items)) => items.iter().any(|x| lit_eq(V::J(x), lit)),
        V::Tags(t) => lit.as_str().is_some_and(|k| t.contains_key(k)),
        _ => match (v.as_str(), lit.as_str()) {
            (Some(a), Some(b)) => a.contains(b),
            _ => false,
        },
    }
}

pub fn contains_ci(v: V<'_>, lower: &str) -> bool {
    match v {
        V::J(Value::Array(items)) => items
            .iter()
            .any(|x| x.as_str().is_some_and(|s| eq_ci(s, lower))),
        V::Tags(t) => t.keys().any(|k| eq_ci(k, lower)),
        _ => v.as_str().is_some_and(|a| a.to_lowercase().contains(lower)),
    }
}

/// "", [], {} (null never reaches operators: it counts as missing).
pub fn is_empty(v: V<'_>) -> bool {
    v.len() == Some(0)
}
