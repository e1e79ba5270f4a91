//! AWS Organizations: one resource per account saying whether the account
//! belongs to an organization, and, seen from the management account, the
//! organization-wide guardrails (feature set, enabled policy types).
//!
//! "Not in an organization" is an answer (`member: false`), not a failure.
//! The organization-wide reads (ListRoots, ListAccounts,
//! ListDelegatedAdministrators) are made only from the management account:
//! anywhere else AWS denies them, and their props stay `null` without an
//! error, so rules scoped to the management account do not apply.

use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::org::all_pages;
use crate::scope::{Output, Scope, opt_str, put, set_prop};

pub(crate) const ORGANIZATION: &str = "aws.organizations.organization";

pub(crate) const SERVICE: Service = Service {
    name: "organizations",
    global: true,
    types: &[ORGANIZATION],
    collect: |s| Box::pin(collect(s)),
};

/// Organizations is a global service answered from us-east-1 (the endpoint
/// rules map every region of the partition there), so the home region does.
fn client(scope: &Scope) -> aws_sdk_organizations::Client {
    aws_sdk_organizations::Client::from_conf(
        aws_sdk_organizations::config::Builder::from(&scope.shared.base)
            .interceptor(scope.shared.counter.clone())
            .build(),
    )
}

async fn collect(scope: Scope) -> Output {
    let client = client(&scope);
    let mut out = Output::default();
    let account = scope.account().to_string();
    // Stable per account whether or not it is (still) in an organization,
    // so a finding keeps its id when the account joins or moves.
    let uid = format!("arn:aws:organizations::{account}:organization");
    let org = match client.describe_organization().send().await {
        Ok(o) => o.organization,
        Err(e) => {
            let f = classify(&e);
            if !not_in_use(&f) {
                out.fail(
                    &scope,
                    &[ORGANIZATION],
                    "organizations:DescribeOrganization",
                    f,
                );
                return out;
            }
            None
        }
    };
    let Some(org) = org else {
        let mut r = scope.resource(ORGANIZATION, uid, "standalone");
        put(
            &mut r,
            json!({
                "member": false,
                "organization_id": null,
                "organization_arn": null,
                "feature_set": null,
                "management_account_id": null,
                "is_management_account": false,
                "policy_types": null,
                "scp_enabled": null,
                "account_count": null,
                "delegated_administrators": null,
            }),
        );
        out.resources.push(r);
        return out;
    };

    let org_id = org.id().unwrap_or_default().to_string();
    let management = org.master_account_id().unwrap_or_default().to_string();
    let is_management = !management.is_empty() && management == account;
    let name = if org_id.is_empty() {
        "organization".to_string()
    } else {
        org_id.clone()
    };
    let mut r = scope.resource(ORGANIZATION, uid, name);
    put(
        &mut r,
        json!({
            "member": true,
            "organization_id": opt_str(Some(&org_id)),
            "organization_arn": opt_str(org.arn()),
            "feature_set": org.feature_set().map(|f| f.as_str()),
            "management_account_id": opt_str(Some(&management)),
            "is_management_account": is_management,
        }),
    );
    if !is_management {
        put(
            &mut r,
            json!({
                "policy_types": null,
                "scp_enabled": null,
                "account_count": null,
                "delegated_administrators": null,
            }),
        );
        out.resources.push(r);
        return out;
    }

    let (roots, accounts, delegated) = tokio::join!(
        all_pages!(client.list_roots(), roots),
        all_pages!(client.list_accounts(), accounts),
        all_pages!(
            client.list_delegated_administrators(),
            delegated_administrators
        ),
    );
    match roots {
        Ok(roots) => {
            // One root per organization; its policy types are the
            // authoritative "enabled" list (DescribeOrganization's
            // AvailablePolicyTypes is deprecated and says what could be).
            let types: Vec<Value> = roots
                .iter()
                .flat_map(|root| root.policy_types())
                .map(|p| {
                    json!({
                        "type": p.r#type().map(|t| t.as_str()),
                        "status": p.status().map(|s| s.as_str()),
                    })
                })
                .collect();
            let scp = types
                .iter()
                .any(|t| t["type"] == "SERVICE_CONTROL_POLICY" && t["status"] == "ENABLED");
            put(&mut r, json!({"policy_types": types, "scp_enabled": scp}));
        }
        Err(f) => {
            set_prop(
                &mut r,
                "policy_types",
                "organizations:ListRoots",
                Err(f.clone()),
            );
            set_prop(&mut r, "scp_enabled", "organizations:ListRoots", Err(f));
        }
    }
    set_prop(
        &mut r,
        "account_count",
        "organizations:ListAccounts",
        accounts.map(|a| json!(a.len())),
    );
    set_prop(
        &mut r,
        "delegated_administrators",
        "organizations:ListDelegatedAdministrators",
        delegated.map(|list| {
            Value::Array(
                list.iter()
                    .map(|d| json!({"account_id": d.id(), "name": d.name()}))
                    .collect(),
            )
        }),
    );
    out.resources.push(r);
    out
}

/// The answer for an account that is in no organization: a fact, not a
/// failure to read one.
fn not_in_use(f: &Failure) -> bool {
    f.is("AWSOrganizationsNotInUseException")
}
