//! AWS Organizations: the organization resource of the seeded (management)
//! account, and organization scans that enter every member account through
//! its role, with refused roles and a listing that is denied.

use std::sync::Arc;

use rampart_collect::{
    AccountOutcome, CollectError, CollectOptions, NoProgress, OrgOptions, collect, collect_org,
};
use rampart_inventory::{ErrorKind, Inventory, Resource};
use serde_json::{Value, json};

use super::harness::{emulator, options};
use super::proxy::{self, Answer, Req};
use super::{count, seeded, unexpected_failures};

const ORG: &str = "aws.organizations.organization";

fn org_of<'a>(inv: &'a Inventory, account: &str) -> &'a Resource {
    inv.resources
        .iter()
        .find(|r| r.resource_type == ORG && r.account == account)
        .unwrap_or_else(|| panic!("no {ORG} for account {account}"))
}

/// The seed's organization: (id, management account, member ids by name).
fn seeded_org(manifest: &Value) -> (String, String, Vec<(String, String)>) {
    let org = &manifest["org"];
    let members = org["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (
        org["id"].as_str().unwrap().to_string(),
        org["management_account"].as_str().unwrap().to_string(),
        members,
    )
}

fn member_id(members: &[(String, String)], name: &str) -> String {
    members
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| id.clone())
        .unwrap_or_else(|| panic!("no member {name}"))
}

/// Only what the organization tests look at, to keep the scans short.
fn org_options(endpoint: &str) -> CollectOptions {
    let mut opts = options(endpoint);
    opts.services = Some(vec!["organizations".into(), "s3".into()]);
    opts.regions = Some(vec!["us-east-1".into()]);
    opts
}

#[tokio::test(flavor = "multi_thread")]
async fn management_account_sees_the_organization() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let emu = emulator().expect("emulator");
    let (org_id, management, _) = seeded_org(&emu.manifest);
    let r = org_of(inv, &management);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(
        r.uid,
        format!("arn:aws:organizations::{management}:organization")
    );
    assert_eq!(r.region, "global");
    assert_eq!(r.name, org_id);
    let p = &r.props;
    assert_eq!(p["member"], true);
    assert_eq!(p["organization_id"], org_id.as_str());
    assert_eq!(p["feature_set"], "ALL");
    assert_eq!(p["management_account_id"], management.as_str());
    assert_eq!(p["is_management_account"], true);
    assert_eq!(p["scp_enabled"], true);
    assert!(
        p["policy_types"]
            .as_array()
            .unwrap()
            .contains(&json!({"type": "SERVICE_CONTROL_POLICY", "status": "ENABLED"}))
    );
    assert_eq!(p["account_count"], 3);
    assert_eq!(p["delegated_administrators"], json!([]));
    // Each organization-wide call once, from the management account.
    for op in [
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListAccounts",
        "organizations:ListDelegatedAdministrators",
    ] {
        assert_eq!(stats.calls_by_operation.get(op), Some(&1), "{op}");
    }
}

/// `--role-arn` into an account outside the organization: "no
/// organization" is an answer, not an error.
#[tokio::test(flavor = "multi_thread")]
async fn standalone_account_is_not_a_member() {
    let Some(emu) = emulator() else { return };
    let mut opts = org_options(&emu.endpoint);
    opts.services = Some(vec!["organizations".into()]);
    opts.role_arn = Some("arn:aws:iam::111122223333:role/auditor".into());
    let (inv, _) = collect(&opts, &NoProgress).await.unwrap();
    assert_eq!(inv.accounts, ["111122223333"]);
    assert!(inv.errors.is_empty(), "{:?}", inv.errors);
    let r = org_of(&inv, "111122223333");
    assert_eq!(r.name, "standalone");
    assert_eq!(r.props["member"], false);
    assert_eq!(r.props["is_management_account"], false);
    assert_eq!(r.props["scp_enabled"], Value::Null);
    assert!(r.errors.is_empty());

    // And an organization scan from there is refused up front.
    let err = collect_org(&opts, &OrgOptions::default(), &NoProgress)
        .await
        .unwrap_err();
    assert!(matches!(err, CollectError::Organization(_)), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn org_scan_enters_every_member_account() {
    let Some(emu) = emulator() else { return };
    let (org_id, management, members) = seeded_org(&emu.manifest);
    let opts = org_options(&emu.endpoint);
    let (inv, stats) = collect_org(&opts, &OrgOptions::default(), &NoProgress)
        .await
        .unwrap();
    assert_eq!(unexpected_failures(&inv), Vec::<String>::new());
    let mut all: Vec<String> = members.iter().map(|(_, id)| id.clone()).collect();
    all.sort();
    assert_eq!(inv.accounts, all);
    assert!(
        stats
            .accounts
            .iter()
            .all(|a| a.outcome == AccountOutcome::Scanned),
        "{:?}",
        stats.accounts
    );
    assert_eq!(count(&inv, ORG), 3);
    // The member accounts see the organization but not its guardrails.
    for (name, id) in &members {
        let r = org_of(&inv, id);
        assert_eq!(r.props["organization_id"], org_id.as_str(), "{name}");
        assert_eq!(
            r.props["is_management_account"],
            *id == management,
            "{name}"
        );
        if *id != management {
            assert_eq!(r.props["scp_enabled"], Value::Null);
            assert!(r.errors.is_empty(), "{:?}", r.errors);
        }
    }
    // The member's planted bucket, under the member's account id, and none
    // of the seeded account's buckets there.
    for p in emu.manifest["org"]["member_resources"].as_array().unwrap() {
        let account = p["account"].as_str().unwrap();
        let r = inv
            .resources
            .iter()
            .find(|r| r.resource_type == p["type"] && r.name == p["name"])
            .unwrap_or_else(|| panic!("{p} not collected"));
        assert_eq!(r.account, account);
        assert_eq!(r.props["encryption"]["enabled"], false);
    }
    let workloads = member_id(&members, "acme-workloads");
    let sandbox = member_id(&members, "acme-sandbox");
    let buckets = |acct: &str| {
        inv.resources
            .iter()
            .filter(|r| r.resource_type == "aws.s3.bucket" && r.account == acct)
            .count()
    };
    assert_eq!(buckets(&workloads), 1);
    assert_eq!(buckets(&sandbox), 0);
    assert!(buckets(&management) > 1);
    // One role assumption per member account, none for the caller's own.
    assert_eq!(
        stats.calls_by_operation.get("sts:AssumeRole"),
        Some(&(members.len() as u64 - 1))
    );

    // --org-accounts and --exclude-accounts.
    let only = OrgOptions {
        accounts: Some(vec![workloads.clone(), sandbox.clone()]),
        exclude_accounts: vec![sandbox.clone()],
        ..OrgOptions::default()
    };
    let (inv, _) = collect_org(&opts, &only, &NoProgress).await.unwrap();
    assert_eq!(inv.accounts, [workloads.as_str()]);
    let unknown = OrgOptions {
        accounts: Some(vec!["999999999999".into()]),
        ..OrgOptions::default()
    };
    let err = collect_org(&opts, &unknown, &NoProgress).await.unwrap_err();
    assert!(err.to_string().contains("999999999999"), "{err}");
}

/// moto hands out credentials for any role, so the refusal comes from the
/// test proxy: every AssumeRole is denied. The caller's own account is
/// still scanned; each member becomes one `access_denied` error naming
/// `sts:AssumeRole` and every resource type, and is not in the accounts.
#[tokio::test(flavor = "multi_thread")]
async fn refused_role_is_recorded_and_the_rest_is_scanned() {
    let Some(emu) = emulator() else { return };
    let (_, management, members) = seeded_org(&emu.manifest);
    let rule: proxy::Rule = Arc::new(|req: &Req| match req.action.as_deref() {
        Some("AssumeRole") => proxy::query_error("AccessDenied", 403),
        _ => Answer::Forward,
    });
    let endpoint = proxy::start(emu.port, rule).await;
    let opts = org_options(&endpoint);
    let org = OrgOptions {
        role_name: "SecurityAudit".into(),
        external_id: Some("rampart-test".into()),
        max_accounts_parallel: 2,
        ..OrgOptions::default()
    };
    let (inv, stats) = collect_org(&opts, &org, &NoProgress).await.unwrap();
    assert_eq!(inv.accounts, [management.as_str()]);
    assert!(count(&inv, "aws.s3.bucket") > 1);
    for (name, id) in members.iter().filter(|(_, id)| *id != management) {
        let e = inv
            .errors
            .iter()
            .find(|e| e.account == *id)
            .unwrap_or_else(|| panic!("no error for {name}"));
        assert_eq!(e.kind, ErrorKind::AccessDenied, "{e:?}");
        assert_eq!(e.action, "sts:AssumeRole");
        assert_eq!(e.region, "global");
        assert!(
            e.message
                .contains(&format!("arn:aws:iam::{id}:role/SecurityAudit")),
            "{}",
            e.message
        );
        // Every type of the scan: each rule reports `error` for the account.
        let mut types = e.resource_types.clone();
        types.sort();
        let mut expected: Vec<String> = ["organizations", "s3"]
            .iter()
            .flat_map(|s| {
                rampart_collect::resource_types(s)
                    .iter()
                    .map(|t| t.to_string())
            })
            .collect();
        expected.sort();
        assert_eq!(types, expected);
        assert!(inv.resources.iter().all(|r| r.account != *id));
        let outcome = &stats.accounts.iter().find(|a| a.id == *id).unwrap().outcome;
        assert!(
            matches!(
                outcome,
                AccountOutcome::Failed {
                    kind: ErrorKind::AccessDenied,
                    ..
                }
            ),
            "{outcome:?}"
        );
    }
}

/// Listing the accounts is the one step an organization scan cannot do
/// without: denied, it is a clear, fatal error.
#[tokio::test(flavor = "multi_thread")]
async fn denied_account_listing_is_fatal() {
    let Some(emu) = emulator() else { return };
    let rule: proxy::Rule = Arc::new(|req: &Req| match req.action.as_deref() {
        Some("ListAccounts") => proxy::json_error("AccessDeniedException", 400),
        _ => Answer::Forward,
    });
    let endpoint = proxy::start(emu.port, rule).await;
    let err = collect_org(&org_options(&endpoint), &OrgOptions::default(), &NoProgress)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, CollectError::Organization(_)), "{text}");
    assert!(text.contains("management account"), "{text}");
}
