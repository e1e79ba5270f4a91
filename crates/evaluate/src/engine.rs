//! Running every rule against every resource of its type.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rampart_findings::{Finding, Status, finding_id};
use rampart_inventory::{Inventory, Resource};

use crate::RuleSet;
use crate::lang::eval::{Ctx, eval};
use crate::lang::explain::explain;
use crate::rule::Rule;

/// The result of one rule on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `applies_if` is false: the resource is out of the rule's scope.
    NotApplicable,
    Pass(String),
    Fail(String),
    Error(String),
}

/// Evaluates one rule on one resource (of the rule's type).
pub fn outcome(rule: &Rule, r: &Resource, now: DateTime<Utc>) -> Outcome {
    let cx = Ctx { resource: r, now };
    if !r.errors.is_empty()
        && let Some(e) = first_prop_error(r, &rule.applies_reads)
    {
        return Outcome::Error(e);
    }
    if let Some(a) = &rule.applies_if
        && !eval(a, &cx, None)
    {
        return Outcome::NotApplicable;
    }
    if !r.errors.is_empty()
        && let Some(e) = first_prop_error(r, &rule.fail_reads)
    {
        return Outcome::Error(e);
    }
    if eval(&rule.fail_if, &cx, None) {
        let mut witnesses = Vec::new();
        explain(&rule.fail_if, &cx, None, &mut witnesses);
        witnesses.dedup();
        let reason = match &rule.reason {
            Some(t) => t.render(r, &witnesses),
            None if witnesses.is_empty() => rule.title.en.clone(),
            None => witnesses.join(", "),
        };
        Outcome::Fail(reason)
    } else {
        let reason = match &rule.pass_reason {
            Some(t) => t.render(r, &[]),
            None => "check passed".to_string(),
        };
        Outcome::Pass(reason)
    }
}

fn first_prop_error(r: &Resource, reads: &[String]) -> Option<String> {
    reads
        .iter()
        .find_map(|p| r.prop_error(p))
        .map(|e| e.reason())
}

fn finding(rule: &Rule, r: &Resource, status: Status, reason: String) -> Finding {
    Finding {
        id: finding_id(&rule.id, &r.uid),
        rule_id: rule.id.clone(),
        title: rule.title.en.clone(),
        severity: rule.severity,
        status,
        resource_uid: r.uid.clone(),
        resource_type: r.resource_type.clone(),
        resource_name: r.name.clone(),
        account: r.account.clone(),
        region: r.region.clone(),
        reason,
        first_seen: None,
        last_seen: None,
        resolved_at: None,
        risk: Default::default(),
        mute: None,
    }
}

/// The finding of one rule on one resource, None when not applicable.
pub fn evaluate_one(rule: &Rule, r: &Resource, now: DateTime<Utc>) -> Option<Finding> {
    let (status, reason) = match outcome(rule, r, now) {
        Outcome::NotApplicable => return None,
        Outcome::Pass(s) => (Status::Pass, s),
        Outcome::Fail(s) => (Status::Fail, s),
        Outcome::Error(s) => (Status::Error, s),
    };
    Some(finding(rule, r, status, reason))
}

/// Findings of `rules` over `resources`, single-threaded, in resource order.
pub fn evaluate_resources(
    rules: &RuleSet,
    resources: &[Resource],
    now: DateTime<Utc>,
) -> Vec<Finding> {
    // Inventories list resources grouped by type: look the rules up once
    // per run of equal types, and size the output once.
    let mut runs: Vec<(&[Resource], &[usize])> = Vec::new();
    let mut total = 0;
    let mut start = 0;
    for i in 1..=resources.len() {
        if i == resources.len() || resources[i].resource_type != resources[start].resource_type {
            let idx = rules.type_indices(&resources[start].resource_type);
            total += idx.len() * (i - start);
            runs.push((&resources[start..i], idx));
            start = i;
        }
    }
    let mut out = Vec::with_capacity(total);
    for (group, idx) in runs {
        for r in group {
            for &i in idx {
                if let Some(f) = evaluate_one(&rules.rules()[i], r, now) {
                    out.push(f);
                }
            }
        }
    }
    out
}

/// Every rule on every resource of its type, plus one `error` finding per
/// rule and uncollectable scope. Uses all cores for large inventories;
/// the order is deterministic (resource order, then rule order, then scope
/// errors).
pub fn evaluate(rules: &RuleSet, inventory: &Inventory, now: DateTime<Utc>) -> Vec<Finding> {
    let resources = &inventory.resources;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = threads.min(resources.len() / 2_000 + 1);
    let mut out = if threads <= 1 {
        evaluate_resources(rules, resources, now)
    } else {
        let chunk = resources.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = resources
                .chunks(chunk)
                .map(|part| s.spawn(move || evaluate_resources(rules, part, now)))
                .collect();
            let mut all = Vec::new();
            for h in handles {
                match h.join() {
                    Ok(v) => all.extend(v),
                    Err(p) => std::panic::resume_unwind(p),
                }
            }
            all
        })
    };
    out.extend(scope_errors(rules, inventory));
    out
}

/// One `error` finding per (rule, account, region, type) whose listing failed.
fn scope_errors(rules: &RuleSet, inventory: &Inventory) -> Vec<Finding> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for e in &inventory.errors {
        for t in &e.resource_types {
            for rule in rules.for_type(t) {
                if !seen.insert((
                    rule.id.as_str(),
                    e.account.as_str(),
                    e.region.as_str(),
                    t.as_str(),
                )) {
                    continue;
                }
                let uid = format!("scope:{}:{}:{}", e.account, e.region, t);
                out.push(Finding {
                    id: finding_id(&rule.id, &uid),
                    rule_id: rule.id.clone(),
                    title: rule.title.en.clone(),
                    severity: rule.severity,
                    status: Status::Error,
                    resource_uid: uid,
                    resource_type: rule.resource_type.clone(),
                    resource_name: t.clone(),
                    account: e.account.clone(),
                    region: e.region.clone(),
                    reason: e.reason(),
                    first_seen: None,
                    last_seen: None,
                    resolved_at: None,
                    risk: Default::default(),
                    mute: None,
                });
            }
        }
    }
    out
}
