//! The prop names docs/resources.md documents for each resource type.
//!
//! resources.md is "the names rules may read", so a rule on a documented
//! type that reads a name the page never mentions is almost certainly a
//! typo (`props.acess_keys`, `staus` inside a quantifier). The check is
//! deliberately lenient: every backticked word of a type's section counts as
//! known, and nothing is checked inside policy documents or on resource
//! types the page does not describe (custom collectors).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

static RESOURCES_MD: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../docs/resources.md"
));

/// Props holding free-form JSON (IAM policy documents, raw selectors):
/// paths below them are not checked.
pub const DOCUMENT_PROPS: &[&str] = &[
    "policy",
    "document",
    "trust_policy",
    "advanced_event_selectors",
];

/// Known names per documented resource type.
pub fn known_names(resource_type: &str) -> Option<&'static HashSet<String>> {
    static MAP: OnceLock<HashMap<String, HashSet<String>>> = OnceLock::new();
    MAP.get_or_init(|| parse(RESOURCES_MD)).get(resource_type)
}

fn parse(md: &str) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    let mut current: Option<String> = None;
    for line in md.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            current = h
                .split_whitespace()
                .next()
                .filter(|t| t.starts_with("aws."))
                .map(str::to_string);
            continue;
        }
        let Some(t) = &current else { continue };
        let names = out.entry(t.clone()).or_default();
        for (i, part) in line.split('`').enumerate() {
            if i % 2 == 1 {
                for w in part.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
                    if !w.is_empty() {
                        names.insert(w.to_string());
                    }
                }
            }
        }
    }
    // Sections refer to each other ("attached_policies, inline_policies (as
    // above)"): a type also knows the names of its service's other types.
    let mut by_service: HashMap<String, HashSet<String>> = HashMap::new();
    for (t, names) in &out {
        let service = rampart_inventory::service_of(t).to_string();
        by_service
            .entry(service)
            .or_default()
            .extend(names.iter().cloned());
    }
    for (t, names) in out.iter_mut() {
        if let Some(all) = by_service.get(rampart_inventory::service_of(t)) {
            names.extend(all.iter().cloned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_names() {
        let user = known_names("aws.iam.user").unwrap();
        for n in [
            "access_keys",
            "status",
            "create_date",
            "mfa_active",
            "inline_policies",
        ] {
            assert!(user.contains(n), "{n}");
        }
        assert!(!user.contains("staus"));
        let sg = known_names("aws.ec2.security_group").unwrap();
        assert!(sg.contains("cidr_ipv4") && sg.contains("from_port"));
        assert!(known_names("aws.custom.thing").is_none());
        // "(as above)": roles know the shapes documented for users.
        assert!(known_names("aws.iam.role").unwrap().contains("document"));
    }
}
