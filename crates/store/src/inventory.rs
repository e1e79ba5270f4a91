//! Each scan's inventory, with resource documents de-duplicated by content.
//!
//! A resource is split into its identity (uid, type, account, region, name),
//! stored per scan in `scan_resources`, and its document (tags, props, prop
//! errors), stored once per distinct content in `resource_docs` under the
//! first 16 bytes of its SHA-256. Most resources do not change between two
//! scans, so the second scan of 10,000 unchanged resources adds 10,000
//! short rows and no documents. The JSON text is stored as serialised, so
//! [`Store::inventory`] gives back exactly what was saved, key order
//! included.

use std::collections::BTreeMap;

use rampart_inventory::{CollectionError, Inventory, PropError, Resource};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};

use crate::error::{At, StoreError, from_json, to_json};
use crate::{Store, scans, time};

fn doc_hash(tags: &str, props: &str, errors: Option<&str>) -> [u8; 16] {
    let mut h = Sha256::new();
    // JSON text never holds a raw NUL, so NUL separates the parts
    // unambiguously; a missing errors part hashes differently from "[]".
    h.update(tags.as_bytes());
    h.update([0u8]);
    h.update(props.as_bytes());
    h.update([0u8]);
    match errors {
        Some(e) => {
            h.update([1u8]);
            h.update(e.as_bytes());
        }
        None => h.update([0u8]),
    }
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

impl Store {
    /// Saves `inv` as the inventory of running scan `scan_id`, replacing
    /// any saved before, in one transaction.
    pub fn save_inventory(&mut self, scan_id: i64, inv: &Inventory) -> Result<(), StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        scans::require_running(&tx, &path, scan_id)?;
        tx.execute("DELETE FROM scan_resources WHERE scan_id = ?1", [scan_id])
            .at(&path)?;
        tx.execute("DELETE FROM scan_inventories WHERE scan_id = ?1", [scan_id])
            .at(&path)?;
        tx.execute(
            "INSERT INTO scan_inventories \
             (scan_id, collected_at, accounts, regions, services, errors, resources, resource_types) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                scan_id,
                inv.collected_at.map(time::encode),
                to_json(&path, "inventory accounts", &inv.accounts)?,
                to_json(&path, "inventory regions", &inv.regions)?,
                to_json(&path, "inventory services", &inv.services)?,
                to_json(&path, "inventory collection errors", &inv.errors)?,
                i64::try_from(inv.resources.len()).unwrap_or(i64::MAX),
                to_json(&path, "inventory resource types", &inv.resource_types)?,
            ],
        )
        .at(&path)?;
        {
            let mut add_doc = tx
                .prepare_cached(
                    "INSERT INTO resource_docs (hash, tags, props, errors) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (hash) DO NOTHING",
                )
                .at(&path)?;
            let mut add_resource = tx
                .prepare_cached(
                    "INSERT INTO scan_resources (scan_id, seq, uid, type, account, region, name, doc) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .at(&path)?;
            for (seq, r) in inv.resources.iter().enumerate() {
                let tags = to_json(&path, "resource tags", &r.tags)?;
                let props = to_json(&path, "resource props", &r.props)?;
                let errors = if r.errors.is_empty() {
                    None
                } else {
                    Some(to_json(&path, "resource errors", &r.errors)?)
                };
                let hash = doc_hash(&tags, &props, errors.as_deref());
                add_doc
                    .execute(params![&hash[..], tags, props, errors])
                    .at(&path)?;
                add_resource
                    .execute(params![
                        scan_id,
                        i64::try_from(seq).unwrap_or(i64::MAX),
                        r.uid,
                        r.resource_type,
                        r.account,
                        r.region,
                        r.name,
                        &hash[..],
                    ])
                    .at(&path)?;
            }
        }
        tx.commit().at(&path)
    }

    /// How many resources were saved with scan `scan_id` (0 when none were).
    pub fn resource_count(&self, scan_id: i64) -> Result<usize, StoreError> {
        let n: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM scan_resources WHERE scan_id = ?1",
                [scan_id],
                |r| r.get(0),
            )
            .at(&self.path)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The inventory saved with scan `scan_id`, as it was saved.
    pub fn inventory(&self, scan_id: i64) -> Result<Inventory, StoreError> {
        let path = &self.path;
        // One read transaction: a consistent snapshot even while a writer
        // replaces the inventory.
        let tx = self.conn.unchecked_transaction().at(path)?;
        scans::status_of(&tx, path, scan_id)?;
        type Meta = (Option<String>, String, String, String, String, String);
        let meta: Option<Meta> = tx
            .query_row(
                "SELECT collected_at, accounts, regions, services, errors, resource_types \
                 FROM scan_inventories WHERE scan_id = ?1",
                [scan_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()
            .at(path)?;
        let Some((collected_at, accounts, regions, services, errors, types)) = meta else {
            return Err(StoreError::NoInventory {
                path: path.clone(),
                id: scan_id,
            });
        };
        let errors: Vec<CollectionError> = from_json(path, "inventory collection errors", &errors)?;
        let mut inv = Inventory {
            collected_at: time::decode_opt(path, "scan_inventories.collected_at", collected_at)?,
            accounts: from_json(path, "inventory accounts", &accounts)?,
            regions: from_json(path, "inventory regions", &regions)?,
            services: from_json(path, "inventory services", &services)?,
            resource_types: from_json(path, "inventory resource types", &types)?,
            resources: Vec::new(),
            errors,
        };
        let mut stmt = tx
            .prepare_cached(
                "SELECT r.uid, r.type, r.account, r.region, r.name, d.tags, d.props, d.errors \
                 FROM scan_resources r JOIN resource_docs d ON d.hash = r.doc \
                 WHERE r.scan_id = ?1 ORDER BY r.seq",
            )
            .at(path)?;
        let mut rows = stmt.query([scan_id]).at(path)?;
        while let Some(row) = rows.next().at(path)? {
            let tags: String = row.get(5).at(path)?;
            let props: String = row.get(6).at(path)?;
            let errors: Option<String> = row.get(7).at(path)?;
            let tags: BTreeMap<String, String> = from_json(path, "resource tags", &tags)?;
            let errors: Vec<PropError> = match errors {
                Some(e) => from_json(path, "resource errors", &e)?,
                None => Vec::new(),
            };
            inv.resources.push(Resource {
                uid: row.get(0).at(path)?,
                resource_type: row.get(1).at(path)?,
                account: row.get(2).at(path)?,
                region: row.get(3).at(path)?,
                name: row.get(4).at(path)?,
                tags,
                props: from_json(path, "resource props", &props)?,
                errors,
            });
        }
        Ok(inv)
    }

    /// Deletes the saved inventories of all but the newest `keep` finished
    /// scans that have one (running scans keep theirs), and the resource
    /// documents no remaining inventory uses; returns how many inventories
    /// were deleted. Scans, their results and the finding lifecycle stay.
    /// Inventories are most of the file, so this is the retention knob.
    pub fn prune_inventories(&mut self, keep: usize) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .at(&path)?;
        let keep = i64::try_from(keep).unwrap_or(i64::MAX);
        let old: Vec<i64> = {
            let mut stmt = tx
                .prepare(
                    "SELECT i.scan_id FROM scan_inventories i JOIN scans s ON s.id = i.scan_id \
                     WHERE s.status != 'running' AND i.scan_id NOT IN \
                     (SELECT i2.scan_id FROM scan_inventories i2 JOIN scans s2 ON s2.id = i2.scan_id \
                      WHERE s2.status != 'running' ORDER BY i2.scan_id DESC LIMIT ?1)",
                )
                .at(&path)?;
            stmt.query_map([keep], |r| r.get(0))
                .at(&path)?
                .collect::<Result<_, _>>()
                .at(&path)?
        };
        for id in &old {
            tx.execute("DELETE FROM scan_resources WHERE scan_id = ?1", [id])
                .at(&path)?;
            tx.execute("DELETE FROM scan_inventories WHERE scan_id = ?1", [id])
                .at(&path)?;
        }
        if !old.is_empty() {
            tx.execute(
                "DELETE FROM resource_docs WHERE hash NOT IN (SELECT doc FROM scan_resources)",
                [],
            )
            .at(&path)?;
        }
        tx.commit().at(&path)?;
        Ok(old.len())
    }

    /// The services a scan's saved inventory was limited to (empty: all or
    /// no inventory saved).
    pub(crate) fn inventory_services(
        conn: &rusqlite::Connection,
        path: &std::path::Path,
        scan_id: i64,
    ) -> Result<Vec<String>, StoreError> {
        let services: Option<String> = conn
            .query_row(
                "SELECT services FROM scan_inventories WHERE scan_id = ?1",
                [scan_id],
                |r| r.get(0),
            )
            .optional()
            .at(path)?;
        match services {
            Some(s) => from_json(path, "inventory services", &s),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_separate_parts() {
        assert_ne!(doc_hash("{}", "{}", None), doc_hash("{}", "{}", Some("[]")));
        assert_ne!(
            doc_hash("{\"a\"", ":1}", None),
            doc_hash("{\"a\":1}", "", None)
        );
        assert_eq!(
            doc_hash("{}", "{\"x\":1}", None),
            doc_hash("{}", "{\"x\":1}", None)
        );
    }
}
