//! Risk context: what makes a failing finding matter more than its rule's
//! severity says.
//!
//! Each resource gets risk factors: from its tags (personal data,
//! production) and from the rules that fail on it (a rule declares what its
//! failure means with `risk_factors`: public exposure, privilege,
//! unencrypted data). Every failing finding carries its resource's factors;
//! the prioritised order counts them.
//!
//! When risks combine on one resource or along one path, the findings
//! involved are escalated to critical and say why:
//! - a public resource that holds personal data or is unencrypted;
//! - an internet-reachable instance (public IP, public subnet, a security
//!   group open to the world) whose instance role is an administrator;
//! - an administrator user with an active access key and no MFA;
//! - a public bucket that receives a CloudTrail trail's logs.

use std::collections::{BTreeMap, HashMap};

use rampart_findings::{Escalation, Finding, RiskFactor, Severity, Status};
use rampart_inventory::{Inventory, Resource};
use serde_json::Value;

use crate::RuleSet;
use crate::helpers::iam::allows_admin;

/// The AWS-managed policy that grants everything.
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Which tags mark personal data and production.
#[derive(Debug, Clone)]
pub struct ContextOptions {
    /// Tag keys that mark a resource as holding personal data when set to
    /// a true value (`true`, `yes`, `1`, `y`; any case).
    pub pii_tags: Vec<String>,
    /// Tag keys whose value names the environment.
    pub environment_tags: Vec<String>,
    /// Environment values that mean production (any case).
    pub production_values: Vec<String>,
}

impl Default for ContextOptions {
    fn default() -> Self {
        ContextOptions {
            pii_tags: vec!["contains_pii".into()],
            environment_tags: vec!["env".into(), "environment".into(), "stage".into()],
            production_values: vec!["prod".into(), "production".into(), "prd".into()],
        }
    }
}

impl ContextOptions {
    fn tag_factors(&self, r: &Resource) -> Vec<RiskFactor> {
        let mut out = Vec::new();
        let tag = |key: &str| {
            r.tags
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.trim().to_ascii_lowercase())
        };
        if self
            .pii_tags
            .iter()
            .filter_map(|k| tag(k))
            .any(|v| matches!(v.as_str(), "true" | "yes" | "1" | "y"))
        {
            out.push(RiskFactor::PersonalData);
        }
        if self
            .environment_tags
            .iter()
            .filter_map(|k| tag(k))
            .any(|v| {
                self.production_values
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&v))
            })
        {
            out.push(RiskFactor::Production);
        }
        out
    }
}

fn failing(f: &Finding) -> bool {
    matches!(f.status, Status::Fail | Status::Muted)
}

/// Add risk factors to every failing finding and escalate the findings
/// where risks combine (see the module docs).
pub fn apply_context(
    findings: &mut [Finding],
    rules: &RuleSet,
    inventory: &Inventory,
    opts: &ContextOptions,
) {
    let rule_factors = |id: &str| -> &[RiskFactor] {
        rules
            .get(id)
            .map(|r| r.risk_factors.as_slice())
            .unwrap_or(&[])
    };

    // Factors per resource: tags, then what its failing rules say.
    let mut factors: HashMap<&str, Vec<RiskFactor>> = HashMap::new();
    for r in &inventory.resources {
        let t = opts.tag_factors(r);
        if !t.is_empty() {
            factors.insert(r.uid.as_str(), t);
        }
    }
    for f in findings.iter().filter(|f| failing(f)) {
        let list = factors.entry(f.resource_uid.as_str()).or_default();
        for x in rule_factors(&f.rule_id) {
            if !list.contains(x) {
                list.push(*x);
            }
        }
    }
    let factors: HashMap<String, Vec<RiskFactor>> = factors
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let has = |uid: &str, x: RiskFactor| factors.get(uid).is_some_and(|v| v.contains(&x));

    // Escalations: finding index -> reason.
    let mut raise: BTreeMap<usize, String> = BTreeMap::new();
    let idx_by_resource: HashMap<&str, Vec<usize>> = {
        let mut m: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, f) in findings.iter().enumerate().filter(|(_, f)| failing(f)) {
            m.entry(f.resource_uid.as_str()).or_default().push(i);
        }
        m
    };
    let declares = |i: usize, x: RiskFactor| rule_factors(&findings[i].rule_id).contains(&x);

    // 1. Public and holding personal data, or public and unencrypted.
    for (uid, idx) in &idx_by_resource {
        if !has(uid, RiskFactor::PublicExposure) {
            continue;
        }
        let why = if has(uid, RiskFactor::PersonalData) {
            "public and tagged as holding personal data".to_string()
        } else if has(uid, RiskFactor::Unencrypted) {
            let unenc: Vec<&str> = idx
                .iter()
                .filter(|&&i| declares(i, RiskFactor::Unencrypted))
                .map(|&i| findings[i].rule_id.as_str())
                .collect();
            format!("public and unencrypted ({})", unenc.join(", "))
        } else {
            continue;
        };
        for &i in idx
            .iter()
            .filter(|&&i| declares(i, RiskFactor::PublicExposure))
        {
            raise.entry(i).or_insert_with(|| why.clone());
        }
    }

    let admin = Admins::new(inventory);

    // 2. Internet-reachable instance with an administrator role.
    let role_by_profile: HashMap<&str, &Resource> = inventory
        .resources
        .iter()
        .filter(|r| r.resource_type == "aws.iam.role")
        .flat_map(|r| {
            r.props["instance_profiles"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(move |p| (p, r))
        })
        .collect();
    for inst in inventory
        .resources
        .iter()
        .filter(|r| r.resource_type == "aws.ec2.instance")
    {
        let p = &inst.props;
        let Some(ip) = p["public_ip"].as_str() else {
            continue;
        };
        if p["subnet_public"] != Value::Bool(true) {
            continue;
        }
        let open_sgs: Vec<String> = p["security_groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|id| {
                format!(
                    "arn:aws:ec2:{}:{}:security-group/{id}",
                    inst.region, inst.account
                )
            })
            .filter(|arn| has(arn, RiskFactor::PublicExposure))
            .collect();
        if open_sgs.is_empty() {
            continue;
        }
        let Some(role) = p["iam_instance_profile"]
            .as_str()
            .and_then(|prof| role_by_profile.get(prof))
        else {
            continue;
        };
        let Some(grant) = admin.of(role) else {
            continue;
        };
        let sg_names: Vec<&str> = open_sgs
            .iter()
            .map(|a| a.rsplit('/').next().unwrap_or(a))
            .collect();
        let why = format!(
            "internet-reachable instance {} (public IP {ip} in a public subnet, {} open to the internet) runs as administrator role {} ({grant})",
            inst.name,
            sg_names.join(", "),
            role.name
        );
        let mut targets: Vec<usize> = Vec::new();
        for uid in std::iter::once(inst.uid.as_str()).chain(open_sgs.iter().map(String::as_str)) {
            targets.extend(
                idx_by_resource
                    .get(uid)
                    .into_iter()
                    .flatten()
                    .filter(|&&i| declares(i, RiskFactor::PublicExposure)),
            );
        }
        targets.extend(
            idx_by_resource
                .get(role.uid.as_str())
                .into_iter()
                .flatten()
                .filter(|&&i| declares(i, RiskFactor::Privilege)),
        );
        for i in targets {
            raise.entry(i).or_insert_with(|| why.clone());
        }
    }

    // 3. Administrator user with an active access key and no MFA.
    for user in inventory
        .resources
        .iter()
        .filter(|r| r.resource_type == "aws.iam.user")
    {
        let p = &user.props;
        if p["mfa_active"] != Value::Bool(false) {
            continue;
        }
        let keys = p["access_keys"].as_array().into_iter().flatten();
        let active: Vec<&str> = keys
            .filter(|k| k["status"].as_str() == Some("Active"))
            .filter_map(|k| k["id"].as_str())
            .collect();
        if active.is_empty() {
            continue;
        }
        let Some(grant) = admin.of(user) else {
            continue;
        };
        let why = format!(
            "administrator ({grant}) with active access key {} and no MFA",
            active.join(", ")
        );
        let Some(idx) = idx_by_resource.get(user.uid.as_str()) else {
            continue;
        };
        for &i in idx {
            let rule = rules.get(&findings[i].rule_id);
            let about_keys_or_mfa = rule.is_some_and(|r| {
                r.props_read()
                    .iter()
                    .any(|p| matches!(*p, "access_keys" | "mfa_active" | "mfa_devices"))
            });
            if declares(i, RiskFactor::Privilege) || about_keys_or_mfa {
                raise.entry(i).or_insert_with(|| why.clone());
            }
        }
    }

    // 4. A public bucket that receives CloudTrail logs.
    for trail in inventory
        .resources
        .iter()
        .filter(|r| r.resource_type == "aws.cloudtrail.trail")
    {
        let Some(bucket) = trail.props["s3_bucket_name"].as_str() else {
            continue;
        };
        let uid = format!("arn:aws:s3:::{bucket}");
        if !has(&uid, RiskFactor::PublicExposure) {
            continue;
        }
        let why = format!(
            "public bucket holds the logs of CloudTrail trail {}: anyone can read the account's activity, and tampering hides attacks",
            trail.name
        );
        for &i in idx_by_resource
            .get(uid.as_str())
            .into_iter()
            .flatten()
            .filter(|&&i| declares(i, RiskFactor::PublicExposure))
        {
            raise.entry(i).or_insert_with(|| why.clone());
        }
    }

    for (i, f) in findings.iter_mut().enumerate() {
        if !failing(f) {
            continue;
        }
        if let Some(list) = factors.get(&f.resource_uid) {
            for x in list {
                f.risk.add(*x);
            }
        }
        if let Some(why) = raise.remove(&i)
            && f.severity < Severity::Critical
        {
            f.risk.escalation = Some(Escalation {
                from: f.severity,
                reason: why,
            });
            f.severity = Severity::Critical;
        }
    }
}

/// Who is an administrator: AdministratorAccess attached, or a policy that
/// allows `*` on `*` (inline, customer-managed attached, or through a group
/// for users).
struct Admins<'a> {
    policies: HashMap<&'a str, &'a Resource>,
    groups: HashMap<&'a str, &'a Resource>,
}

impl<'a> Admins<'a> {
    fn new(inv: &'a Inventory) -> Self {
        let of_type = |t: &'static str| inv.resources.iter().filter(move |r| r.resource_type == t);
        Admins {
            policies: of_type("aws.iam.policy")
                .map(|r| (r.uid.as_str(), r))
                .collect(),
            groups: of_type("aws.iam.group")
                .map(|r| (r.name.as_str(), r))
                .collect(),
        }
    }

    /// How `principal` (user, role or group) is an administrator, if it is.
    fn of(&self, principal: &Resource) -> Option<String> {
        if let Some(g) = self.direct(principal) {
            return Some(g);
        }
        principal.props["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find_map(|g| {
                let group = self.groups.get(g)?;
                self.direct(group).map(|why| format!("{why} via group {g}"))
            })
    }

    fn direct(&self, p: &Resource) -> Option<String> {
        for a in p.props["attached_policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let arn = a["arn"].as_str().unwrap_or_default();
            if arn == ADMINISTRATOR_ACCESS {
                return Some("AdministratorAccess attached".into());
            }
            if let Some(pol) = self.policies.get(arn)
                && allows_admin(&pol.props["document"]).is_some()
            {
                return Some(format!("policy {} allows *:*", pol.name));
            }
        }
        for i in p.props["inline_policies"].as_array().into_iter().flatten() {
            if allows_admin(&i["document"]).is_some() {
                return Some(format!(
                    "inline policy {} allows *:*",
                    i["name"].as_str().unwrap_or("?")
                ));
            }
        }
        None
    }
}
