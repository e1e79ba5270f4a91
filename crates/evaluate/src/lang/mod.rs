//! The condition language: compiled trees and their evaluation.
//!
//! A rule's `applies_if` and `fail_if` are compiled once, at load, into
//! [`Cond`] trees: paths are pre-split, regexes and CIDRs pre-parsed, literal
//! arguments type-checked. Evaluation walks the tree with no allocation on
//! the common path. When a rule fails, [`explain`] walks it again to record
//! the witnesses (the concrete paths and values that made it true) for the
//! finding's reason. docs/rules.md is the user-facing reference.

pub mod compile;
pub mod eval;
pub mod explain;
pub mod ops;
pub mod path;

use ipnet::IpNet;
use regex::Regex;
use serde_json::Value;

pub use path::{Path, V};

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Cond {
    True,
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    /// One operator applied to the values a path reaches.
    Test(Box<Test>),
}

#[derive(Debug, Clone)]
pub struct Test {
    pub path: Path,
    pub op: Op,
}

/// An operator on the value(s) at a path.
#[derive(Debug, Clone)]
pub enum Op {
    Eq(Value),
    Cmp(CmpKind, Value),
    In(Vec<Value>),
    /// Case-insensitive equality (argument lower-cased at load).
    EqCi(String),
    InCi(Vec<String>),
    /// String contains substring, or list contains an equal element.
    Contains(Value),
    ContainsCi(String),
    StartsWith(String, bool),
    EndsWith(String, bool),
    Regex(Regex),
    Exists(bool),
    /// Missing, null, "", [], {}.
    Empty(bool),
    /// Operators applied to the length of a string, list or mapping.
    Length(Vec<Op>),
    /// Number of list elements matching `filter`, then operators on it.
    Count(Box<Cond>, Vec<Op>),
    AnyElem(Box<Cond>),
    AllElem(Box<Cond>),
    NoneElem(Box<Cond>),
    /// Negation of an operator map. On a path it compiles to [`Cond::Not`];
    /// inside `length`/`age_days` it negates the operators on the number.
    NotOps(Vec<Op>),
    /// Operators applied to the age in days of an RFC 3339 timestamp.
    AgeDays(Vec<Op>),
    OlderThanDays(f64),
    AbsentOrOlderThanDays(f64),
    CidrIsInternet(bool),
    CidrIsPrivate(bool),
    CidrContains(Vec<IpNet>),
    CidrWithin(Vec<IpNet>),
    CidrOverlaps(Vec<IpNet>),
    PortIncludes(Vec<u16>),
    PolicyAllowsAdmin(bool),
    /// Public statement, optionally only those granting one of the actions.
    PolicyPublic(Option<Vec<String>>),
    PolicyAllows(Vec<String>),
    /// Trusts accounts other than the resource's own and these.
    PolicyTrustsExternal(Vec<String>),
    PolicyDeniesInsecureTransport(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpKind {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Op {
    /// Operators that hold when the path reaches nothing.
    pub fn holds_on_missing(&self) -> bool {
        matches!(
            self,
            Op::Exists(false)
                | Op::Empty(true)
                | Op::NoneElem(_)
                | Op::NotOps(_)
                | Op::AbsentOrOlderThanDays(_)
        )
    }
}

impl Cond {
    /// Calls `f` on every path in the tree (for the props a rule reads).
    pub fn for_each_path(&self, f: &mut dyn FnMut(&Path)) {
        match self {
            Cond::True => {}
            Cond::All(v) | Cond::Any(v) => v.iter().for_each(|c| c.for_each_path(f)),
            Cond::Not(c) => c.for_each_path(f),
            Cond::Test(t) => {
                f(&t.path);
                op_paths(&t.op, f);
            }
        }
    }
}

fn op_paths(op: &Op, f: &mut dyn FnMut(&Path)) {
    match op {
        Op::Count(c, _) | Op::AnyElem(c) | Op::AllElem(c) | Op::NoneElem(c) => c.for_each_path(f),
        Op::Length(ops) | Op::NotOps(ops) | Op::AgeDays(ops) => {
            ops.iter().for_each(|o| op_paths(o, f))
        }
        _ => {}
    }
}
