//! Mutes: accepted risks. A mute names what it covers (a rule or rule
//! prefix, a resource, an account, a region, a tag; every criterion given
//! must match), why, who owns the decision and until when. A failing finding
//! it covers is reported as `muted` and stays visible; once the mute
//! expires it lapses by itself and the finding fails again. Removing a mute
//! keeps its row for audit.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rampart_findings::{Finding, MuteNote, Status};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::{At, StoreError};
use crate::{Store, time};

/// What a new mute covers and why.
#[derive(Debug, Clone, Default)]
pub struct NewMute {
    /// A rule id, or a prefix ending in `*` (`iam-user-*`).
    pub rule: Option<String>,
    /// A resource uid (ARN) or name.
    pub resource: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// `(key, Some(value))` or `(key, None)` for any value of the tag.
    pub tag: Option<(String, Option<String>)>,
    pub reason: String,
    pub owner: String,
    pub expires_at: DateTime<Utc>,
    /// `user@host`, see [`crate::who`].
    pub created_by: String,
}

/// A stored mute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mute {
    pub id: i64,
    pub rule: Option<String>,
    pub resource: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub tag_key: Option<String>,
    pub tag_value: Option<String>,
    pub reason: String,
    pub owner: String,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_at: Option<DateTime<Utc>>,
}

impl Mute {
    /// In force at `now`: not removed and not expired.
    pub fn active(&self, now: DateTime<Utc>) -> bool {
        self.removed_at.is_none() && self.expires_at > now
    }

    /// Whether the mute covers `f`, whose resource has `tags` (None when
    /// unknown: then a tag criterion does not match).
    pub fn covers(&self, f: &Finding, tags: Option<&BTreeMap<String, String>>) -> bool {
        let rule_ok = self
            .rule
            .as_deref()
            .is_none_or(|r| match r.strip_suffix('*') {
                Some(prefix) => f.rule_id.starts_with(prefix),
                None => f.rule_id == r,
            });
        let resource_ok = self
            .resource
            .as_deref()
            .is_none_or(|r| f.resource_uid == r || f.resource_name == r);
        let account_ok = self.account.as_deref().is_none_or(|a| f.account == a);
        let region_ok = self.region.as_deref().is_none_or(|g| f.region == g);
        let tag_ok = match &self.tag_key {
            None => true,
            Some(k) => tags
                .and_then(|t| t.get(k))
                .is_some_and(|v| self.tag_value.as_deref().is_none_or(|want| v == want)),
        };
        rule_ok && resource_ok && account_ok && region_ok && tag_ok
    }

    /// A one-line description of what the mute covers.
    pub fn scope(&self) -> String {
        let mut parts = Vec::new();
        if let Some(r) = &self.rule {
            parts.push(format!("rule={r}"));
        }
        if let Some(r) = &self.resource {
            parts.push(format!("resource={r}"));
        }
        if let Some(a) = &self.account {
            parts.push(format!("account={a}"));
        }
        if let Some(g) = &self.region {
            parts.push(format!("region={g}"));
        }
        if let Some(k) = &self.tag_key {
            match &self.tag_value {
                Some(v) => parts.push(format!("tag={k}={v}")),
                None => parts.push(format!("tag={k}")),
            }
        }
        parts.join(" ")
    }

    fn note(&self) -> MuteNote {
        MuteNote {
            id: self.id,
            reason: self.reason.clone(),
            owner: self.owner.clone(),
            expires: self.expires_at,
        }
    }
}

/// Mark every failing finding an active mute covers as `muted` (the first
/// matching mute, lowest id, is recorded on it). `tags` gives a resource's
/// tags by uid. Returns how many findings each active mute covered, so a
/// mute that matches nothing can be reported.
pub fn apply_mutes<'t>(
    findings: &mut [Finding],
    mutes: &[Mute],
    tags: impl Fn(&str) -> Option<&'t BTreeMap<String, String>>,
    now: DateTime<Utc>,
) -> BTreeMap<i64, usize> {
    let active: Vec<&Mute> = mutes.iter().filter(|m| m.active(now)).collect();
    let mut hits: BTreeMap<i64, usize> = active.iter().map(|m| (m.id, 0)).collect();
    for f in findings.iter_mut() {
        if !matches!(f.status, Status::Fail | Status::Muted) {
            continue;
        }
        let t = tags(&f.resource_uid);
        match active.iter().find(|m| m.covers(f, t)) {
            Some(m) => {
                f.status = Status::Muted;
                f.mute = Some(m.note());
                if let Some(n) = hits.get_mut(&m.id) {
                    *n += 1;
                }
            }
            None => {
                // A result stored as muted whose mute lapsed fails again.
                if f.status == Status::Muted {
                    f.status = Status::Fail;
                    f.mute = None;
                }
            }
        }
    }
    hits
}

type Row = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

impl Store {
    /// Record a mute; returns its id. Reason and owner must not be blank
    /// and at least one criterion must be given.
    pub fn add_mute(&mut self, m: &NewMute) -> Result<i64, StoreError> {
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
        if blank(&m.rule)
            && blank(&m.resource)
            && blank(&m.account)
            && blank(&m.region)
            && m.tag.is_none()
        {
            return Err(StoreError::Invalid(
                "a mute needs at least one of rule, resource, account, region or tag".into(),
            ));
        }
        if m.reason.trim().is_empty() || m.owner.trim().is_empty() {
            return Err(StoreError::Invalid(
                "a mute needs a reason and an owner".into(),
            ));
        }
        let (tag_key, tag_value) = match &m.tag {
            Some((k, v)) => (Some(k.clone()), v.clone()),
            None => (None, None),
        };
        self.conn
            .execute(
                "INSERT INTO mutes (rule, resource, account, region, tag_key, tag_value, reason, \
                 owner, expires_at, created_at, created_by) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    m.rule,
                    m.resource,
                    m.account,
                    m.region,
                    tag_key,
                    tag_value,
                    m.reason.trim(),
                    m.owner.trim(),
                    time::encode(m.expires_at),
                    time::encode(Utc::now()),
                    m.created_by,
                ],
            )
            .at(&self.path)?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every mute, oldest first; removed ones only with `include_removed`.
    pub fn mutes(&self, include_removed: bool) -> Result<Vec<Mute>, StoreError> {
        let sql = format!(
            "SELECT id, rule, resource, account, region, tag_key, tag_value, reason, owner, \
             expires_at, created_at, created_by, removed_at FROM mutes {} ORDER BY id",
            if include_removed {
                ""
            } else {
                "WHERE removed_at IS NULL"
            }
        );
        let mut stmt = self.conn.prepare(&sql).at(&self.path)?;
        let rows: Vec<Row> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                ))
            })
            .at(&self.path)?
            .collect::<Result<_, _>>()
            .at(&self.path)?;
        rows.into_iter()
            .map(|r| {
                Ok(Mute {
                    id: r.0,
                    rule: r.1,
                    resource: r.2,
                    account: r.3,
                    region: r.4,
                    tag_key: r.5,
                    tag_value: r.6,
                    reason: r.7,
                    owner: r.8,
                    expires_at: time::decode(&self.path, "mutes.expires_at", &r.9)?,
                    created_at: time::decode(&self.path, "mutes.created_at", &r.10)?,
                    created_by: r.11,
                    removed_at: time::decode_opt(&self.path, "mutes.removed_at", r.12)?,
                })
            })
            .collect()
    }

    /// Remove mute `id` (kept for audit with its removal time). False when
    /// there is no such mute in force.
    pub fn remove_mute(&mut self, id: i64) -> Result<bool, StoreError> {
        let exists: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM mutes WHERE id = ?1 AND removed_at IS NULL",
                [id],
                |r| r.get(0),
            )
            .optional()
            .at(&self.path)?;
        if exists.is_none() {
            return Ok(false);
        }
        self.conn
            .execute(
                "UPDATE mutes SET removed_at = ?2 WHERE id = ?1",
                params![id, time::encode(Utc::now())],
            )
            .at(&self.path)?;
        Ok(true)
    }
}
