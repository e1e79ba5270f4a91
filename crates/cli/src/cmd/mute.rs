//! `rampart mute add|list|remove`: accepted risks with a reason, an owner
//! and an expiry. Mutes live in the database; `scan` and `findings` apply
//! the ones in force, and a lapsed mute stops applying by itself.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rampart_findings::{Finding, Status};
use rampart_inventory::Inventory;
use rampart_store::{FindingFilter, Mute, NewMute, Store, apply_mutes};

use super::{load_rules, open_store, output_writer};
use crate::cli::{Cli, Format, MuteAddArgs, MuteCommand};

pub fn run(cli: &Cli, cmd: &MuteCommand) -> Result<ExitCode> {
    match cmd {
        MuteCommand::Add(args) => add(cli, args),
        MuteCommand::List { all, format } => list(cli, *all, *format),
        MuteCommand::Remove { id } => {
            let mut store = open_store(cli)?;
            if !store.remove_mute(*id)? {
                bail!("no mute #{id} in force (see `rampart mute list --all`)");
            }
            eprintln!("removed mute #{id}; its findings fail again from the next scan or query");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `YYYY-MM-DD` (end of that day, UTC), RFC 3339, or `+Nd`.
pub fn parse_expiry(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Some(days) = t.strip_prefix('+').and_then(|d| d.strip_suffix('d')) {
        let n: i64 = days
            .parse()
            .map_err(|_| anyhow!("--expires {t:?}: expected +Nd, e.g. +30d"))?;
        if !(1..=3650).contains(&n) {
            bail!("--expires {t:?}: between +1d and +3650d");
        }
        return Ok(now + Duration::days(n));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let end = d
            .and_hms_opt(23, 59, 59)
            .ok_or_else(|| anyhow!("--expires {t:?}: not a valid date"))?;
        return Ok(end.and_utc());
    }
    DateTime::parse_from_rfc3339(t)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| {
            anyhow!("--expires {t:?}: expected YYYY-MM-DD, an RFC 3339 time, or +Nd (e.g. +30d)")
        })
}

fn add(cli: &Cli, a: &MuteAddArgs) -> Result<ExitCode> {
    let now = Utc::now();
    let expires_at = parse_expiry(&a.expires, now)?;
    if expires_at <= now {
        bail!(
            "--expires {}: that is in the past; a mute must expire in the future",
            a.expires
        );
    }
    let clean = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let tag = match clean(&a.tag) {
        None => None,
        Some(t) => match t.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => {
                Some((k.trim().to_string(), Some(v.to_string())))
            }
            Some(_) => bail!("--tag {t:?}: expected KEY=VALUE or KEY"),
            None => Some((t, None)),
        },
    };
    let rule = clean(&a.rule);
    if let Some(r) = &rule
        && !r.ends_with('*')
    {
        let rules = load_rules(cli, true)?;
        if rules.get(r).is_none() {
            bail!("--rule {r}: no such rule (see `rampart rules list`; end with * for a prefix)");
        }
    }
    let m = NewMute {
        rule,
        resource: clean(&a.resource),
        account: clean(&a.account),
        region: clean(&a.region),
        tag,
        reason: a.reason.clone(),
        owner: a.owner.clone(),
        expires_at,
        created_by: rampart_store::who(),
    };
    let mut store = open_store(cli)?;
    let id = store.add_mute(&m)?;
    let mute = store
        .mutes(false)?
        .into_iter()
        .find(|x| x.id == id)
        .ok_or_else(|| anyhow!("mute #{id} was not stored"))?;
    eprintln!(
        "added mute #{id}: {} until {} (owner {})",
        mute.scope(),
        mute.expires_at.format("%Y-%m-%d %H:%M UTC"),
        mute.owner
    );
    // Say so when the mute covers nothing the latest scan found.
    if let Some(scan) = store.latest_completed_scan()? {
        let mut findings = store.findings(scan.id, &FindingFilter::default())?;
        let inventory = store.inventory(scan.id).ok();
        let hits = apply(&store, &mut findings, inventory.as_ref(), now)?;
        match hits.get(&id).copied().unwrap_or(0) {
            0 => eprintln!(
                "warning: mute #{id} matches no failing finding of the latest scan (#{}); check its criteria",
                scan.id
            ),
            n => eprintln!(
                "it mutes {n} failing finding{} of the latest scan (#{})",
                if n == 1 { "" } else { "s" },
                scan.id
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(cli: &Cli, all: bool, format: Format) -> Result<ExitCode> {
    let store = open_store(cli)?;
    let now = Utc::now();
    let mutes: Vec<Mute> = store
        .mutes(all)?
        .into_iter()
        .filter(|m| all || m.active(now))
        .collect();
    let mut w = output_writer(None)?;
    match format {
        Format::Json => {
            let rows: Vec<serde_json::Value> = mutes
                .iter()
                .map(|m| {
                    let mut v = serde_json::to_value(m).unwrap_or_default();
                    v["state"] = state(m, now).into();
                    v
                })
                .collect();
            serde_json::to_writer_pretty(&mut w, &rows)?;
            writeln!(w)?;
        }
        Format::Table => {
            if mutes.is_empty() {
                writeln!(w, "no mutes{}", if all { "" } else { " in force" })?;
            }
            for m in &mutes {
                writeln!(
                    w,
                    "#{:<4} {:<8} until {}  {}  owner {}",
                    m.id,
                    state(m, now),
                    m.expires_at.format("%Y-%m-%d"),
                    m.scope(),
                    m.owner
                )?;
                writeln!(
                    w,
                    "      {} (added {} by {})",
                    m.reason,
                    m.created_at.format("%Y-%m-%d"),
                    m.created_by
                )?;
            }
        }
    }
    w.flush().context("cannot write the mute list")?;
    Ok(ExitCode::SUCCESS)
}

fn state(m: &Mute, now: DateTime<Utc>) -> &'static str {
    if m.removed_at.is_some() {
        "removed"
    } else if m.expires_at <= now {
        "expired"
    } else {
        "active"
    }
}

/// Apply the store's mutes in force to `findings`, reading resource tags
/// from `inventory` when there is one. Returns the findings each mute covered.
pub fn apply(
    store: &Store,
    findings: &mut [Finding],
    inventory: Option<&Inventory>,
    now: DateTime<Utc>,
) -> Result<BTreeMap<i64, usize>> {
    let mutes = store.mutes(false)?;
    let tags: HashMap<&str, &BTreeMap<String, String>> = inventory
        .map(|inv| {
            inv.resources
                .iter()
                .map(|r| (r.uid.as_str(), &r.tags))
                .collect()
        })
        .unwrap_or_default();
    Ok(apply_mutes(
        findings,
        &mutes,
        |uid| tags.get(uid).copied(),
        now,
    ))
}

/// Warn about mutes in force that covered nothing in this scan.
pub fn warn_unused(store: &Store, hits: &BTreeMap<i64, usize>) -> Result<()> {
    let unused: Vec<i64> = hits
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    for m in store
        .mutes(false)?
        .into_iter()
        .filter(|m| unused.contains(&m.id))
    {
        eprintln!(
            "warning: mute #{} ({}) matched no failing finding in this scan",
            m.id,
            m.scope()
        );
    }
    Ok(())
}

/// Keep only findings with one of `statuses` (all when empty).
pub fn retain_statuses(findings: &mut Vec<Finding>, statuses: &[Status]) {
    if !statuses.is_empty() {
        findings.retain(|f| statuses.contains(&f.status));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_forms() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            parse_expiry("2027-01-31", now).unwrap().to_rfc3339(),
            "2027-01-31T23:59:59+00:00"
        );
        assert_eq!(parse_expiry("+30d", now).unwrap(), now + Duration::days(30));
        assert!(parse_expiry("+0d", now).is_err());
        assert!(parse_expiry("next week", now).is_err());
        assert!(parse_expiry("2027-02-30", now).is_err());
    }
}
