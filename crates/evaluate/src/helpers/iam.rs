//! IAM policy document analysis.
//!
//! Documents are the parsed JSON objects the collector stores
//! (docs/resources.md); a JSON string is parsed as a courtesy. Each check
//! returns a short description of the statement that decided it, which
//! becomes part of the finding's reason.

use std::borrow::Cow;

use serde_json::Value;

use super::net;
use crate::lang::path::field;

/// Condition keys whose presence (with a concrete value) limits who can use
/// a statement with a public principal to a known account, organisation,
/// network or service. Lower case.
const RESTRICTING_KEYS: &[&str] = &[
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalservicename",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:username",
    "kms:calleraccount",
    "s3:dataaccesspointaccount",
];

fn document(doc: &Value) -> Option<Cow<'_, Value>> {
    match doc {
        Value::Object(_) => Some(Cow::Borrowed(doc)),
        Value::String(s) => serde_json::from_str(s).ok().map(Cow::Owned),
        _ => None,
    }
}

/// The statements of a document, with their index.
fn statements(doc: &Value) -> impl Iterator<Item = (usize, &Value)> {
    let (list, single) = match field(doc, "Statement") {
        Some(Value::Array(v)) => (v.as_slice(), None),
        Some(s @ Value::Object(_)) => (&[][..], Some(s)),
        _ => (&[][..], None),
    };
    single.into_iter().chain(list.iter()).enumerate()
}

/// A string or a list of strings.
fn strs(v: Option<&Value>) -> impl Iterator<Item = &str> + Clone {
    let (list, single) = match v {
        Some(Value::String(s)) => (&[][..], Some(s.as_str())),
        Some(Value::Array(a)) => (a.as_slice(), None),
        _ => (&[][..], None),
    };
    single
        .into_iter()
        .chain(list.iter().filter_map(Value::as_str))
}

fn contains_str(v: Option<&Value>, s: &str) -> bool {
    strs(v).any(|x| x == s)
}

fn effect_is(st: &Value, effect: &str) -> bool {
    field(st, "Effect")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case(effect))
}

fn label(i: usize, st: &Value) -> String {
    match field(st, "Sid")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        Some(sid) => format!("Statement[{i}] ({sid})"),
        None => format!("Statement[{i}]"),
    }
}

/// IAM wildcard match (`*`, `?`), ASCII case-insensitive.
pub fn glob(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi].eq_ignore_ascii_case(&t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Whether a policy action pattern and a queried action (which may itself
/// hold wildcards, as in `s3:Get*`) can name the same action.
fn action_matches(policy_pattern: &str, query: &str) -> bool {
    glob(policy_pattern, query) || glob(query, policy_pattern)
}

/// Whether the statement (Allow or Deny) covers `query` through Action or NotAction.
fn covers_action(st: &Value, query: &str) -> bool {
    if let Some(a) = field(st, "Action") {
        return strs(Some(a)).any(|p| action_matches(p, query));
    }
    if let Some(na) = field(st, "NotAction") {
        // Covered unless an excluded pattern swallows the whole query.
        return !strs(Some(na)).any(|p| glob(p, query));
    }
    false
}

fn resource_is_star(st: &Value) -> bool {
    contains_str(field(st, "Resource"), "*")
}

fn has_condition(st: &Value) -> bool {
    field(st, "Condition")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
}

/// An unconditional Deny of `query` on every resource.
fn denied_everywhere(doc: &Value, query: &str) -> bool {
    statements(doc).any(|(_, st)| {
        effect_is(st, "Deny")
            && resource_is_star(st)
            && !has_condition(st)
            && covers_action(st, query)
    })
}

/// Allow of Action `*` (or `*:*`), or of NotAction excluding no IAM action,
/// on Resource `*`, not cancelled by an unconditional Deny of `*`.
pub fn allows_admin(doc: &Value) -> Option<String> {
    let doc = document(doc)?;
    if denied_everywhere(&doc, "*") {
        return None;
    }
    statements(&doc).find_map(|(i, st)| {
        if !effect_is(st, "Allow") || !resource_is_star(st) {
            return None;
        }
        if strs(field(st, "Action")).any(|a| a == "*" || a == "*:*") {
            return Some(format!("{} allows Action * on Resource *", label(i, st)));
        }
        if let Some(na) = field(st, "NotAction") {
            let excluded = strs(Some(na));
            let meaningful = excluded
                .clone()
                .any(|p| p == "*" || p.get(..4).is_some_and(|x| x.eq_ignore_ascii_case("iam:")));
            if !meaningful {
                return Some(format!(
                    "{} allows every action except [{}] on Resource *",
                    label(i, st),
                    excluded.collect::<Vec<_>>().join(", ")
                ));
            }
        }
        None
    })
}

/// `*`, `{"AWS": "*"}` or an AWS list holding `*`.
fn principal_is_public(st: &Value) -> bool {
    match field(st, "Principal") {
        Some(Value::String(s)) => s == "*",
        Some(Value::Object(m)) => m.get("AWS").is_some_and(|a| contains_str(Some(a), "*")),
        _ => field(st, "NotPrincipal").is_some(),
    }
}

/// Whether the statement's Condition limits it to known accounts,
/// organisations, networks or services. `aws:SecureTransport` and the like
/// do not; `IfExists` and negated operators do not; `*` values do not.
pub fn condition_restricts(st: &Value) -> bool {
    let Some(cond) = field(st, "Condition").and_then(Value::as_object) else {
        return false;
    };
    cond.iter().any(|(op, keys)| {
        let op = op.to_ascii_lowercase();
        if op.contains("ifexists") || op.contains("not") || op == "null" {
            return false;
        }
        let Some(keys) = keys.as_object() else {
            return false;
        };
        keys.iter().any(|(k, v)| {
            let k = k.to_ascii_lowercase();
            let values = values_as_strings(v);
            if k == "aws:sourceip" {
                return op.contains("ipaddress")
                    && !values.is_empty()
                    && values
                        .iter()
                        .all(|s| net::parse_net(s).is_some_and(|n| !net::is_internet(&n)));
            }
            RESTRICTING_KEYS.contains(&k.as_str())
                && !values.is_empty()
                && values.iter().all(|s| s.chars().any(|c| c != '*'))
        })
    })
}

fn values_as_strings(v: &Value) -> Vec<String> {
    let one = |x: &Value| match x {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match v {
        Value::Array(a) => a.iter().filter_map(one).collect(),
        x => one(x).into_iter().collect(),
    }
}

/// An Allow statement open to everyone (principal `*` without a restricting
/// condition), granting one of `actions` when given.
pub fn public_statement(doc: &Value, actions: Option<&[String]>) -> Option<String> {
    let doc = document(doc)?;
    statements(&doc).find_map(|(i, st)| {
        if !effect_is(st, "Allow") || !principal_is_public(st) || condition_restricts(st) {
            return None;
        }
        let what = match actions {
            None => strs(field(st, "Action")).collect::<Vec<_>>().join(", "),
            Some(wanted) => {
                let hit = wanted
                    .iter()
                    .find(|a| covers_action(st, a) && !denied_everywhere(&doc, a))?;
                hit.clone()
            }
        };
        let what = if what.is_empty() {
            "actions".to_string()
        } else {
            what
        };
        Some(format!(
            "{} allows {what} to Principal * without a restricting condition",
            label(i, st)
        ))
    })
}

/// An Allow of one of `actions`, not cancelled by an unconditional Deny.
pub fn allows_action(doc: &Value, actions: &[String]) -> Option<String> {
    let doc = document(doc)?;
    actions.iter().find_map(|a| {
        if denied_everywhere(&doc, a) {
            return None;
        }
        statements(&doc).find_map(|(i, st)| {
            (effect_is(st, "Allow") && covers_action(st, a))
                .then(|| format!("{} allows {a}", label(i, st)))
        })
    })
}

/// The account id in a principal: `123456789012` or an ARN's account field.
fn principal_account(p: &str) -> Option<&str> {
    let id = if p.starts_with("arn:") {
        p.split(':').nth(4)?
    } else {
        p
    };
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())).then_some(id)
}

/// An Allow trusting an AWS principal outside `own` and `known`, or anyone.
pub fn trusts_external(doc: &Value, own: &str, known: &[String]) -> Option<String> {
    let doc = document(doc)?;
    statements(&doc).find_map(|(i, st)| {
        if !effect_is(st, "Allow") {
            return None;
        }
        let aws: Vec<&str> = match field(st, "Principal") {
            Some(Value::String(s)) if s == "*" => vec!["*"],
            Some(Value::Object(m)) => strs(m.get("AWS")).collect(),
            _ => Vec::new(),
        };
        aws.into_iter().find_map(|p| {
            if p == "*" {
                return (!condition_restricts(st))
                    .then(|| format!("{} trusts any AWS principal (*)", label(i, st)));
            }
            let acct = principal_account(p)?;
            (acct != own && !known.iter().any(|k| k == acct))
                .then(|| format!("{} trusts account {acct} ({p})", label(i, st)))
        })
    })
}

/// A Deny of S3 access when `aws:SecureTransport` is false.
pub fn denies_insecure_transport(doc: &Value) -> Option<String> {
    let doc = document(doc)?;
    statements(&doc).find_map(|(i, st)| {
        if !effect_is(st, "Deny") || !covers_action(st, "s3:GetObject") {
            return None;
        }
        let cond = field(st, "Condition")?.as_object()?;
        let hit = cond.iter().any(|(op, keys)| {
            let op = op.to_ascii_lowercase();
            (op == "bool" || op == "boolifexists")
                && keys.as_object().is_some_and(|m| {
                    m.iter().any(|(k, v)| {
                        k.eq_ignore_ascii_case("aws:SecureTransport")
                            && values_as_strings(v)
                                .iter()
                                .any(|s| s.eq_ignore_ascii_case("false"))
                    })
                })
        });
        hit.then(|| format!("{} denies requests without TLS", label(i, st)))
    })
}
