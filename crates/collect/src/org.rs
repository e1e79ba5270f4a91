//! Every account of an AWS Organization in one collection.
//!
//! The caller's credentials belong to the management account (or a
//! delegated administrator of Organizations). They list the accounts
//! (`organizations:ListAccounts`); the caller's own account is collected with
//! them, every other `ACTIVE` account through `sts:AssumeRole` into
//! `arn:<partition>:iam::<id>:role/<role>` (by default the role AWS creates
//! in accounts made by the organization, `OrganizationAccountAccessRole`).
//!
//! Accounts that are not `ACTIVE` (suspended, closing) are not attempted and
//! are recorded. An account whose role cannot be assumed is recorded as a
//! collection error that names every resource type of the scan, so each rule
//! reports `error` for that account instead of staying silent, and is left
//! out of the inventory's accounts, so a stored history does not resolve its
//! open findings. Neither stops the other accounts.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_types::SdkConfig;
use futures_util::StreamExt;
use rampart_inventory::{CollectionError, ErrorKind, GLOBAL_REGION, Inventory};

use crate::failure::{Failure, classify};
use crate::metrics::CallCounter;
use crate::{
    AccountOutcome, AccountScan, CollectError, CollectOptions, CollectStats, Progress, config,
    error_count, select_services,
};

/// Every item of a paginated Organizations request (whose paginators have
/// no item streams), or the first failure: `all_pages!(req, accounts)`.
macro_rules! all_pages {
    ($req:expr, $items:ident) => {
        async {
            let mut stream = $req.into_paginator().send();
            let mut items = Vec::new();
            while let Some(page) = stream.next().await {
                let page = page.map_err(|e| $crate::failure::classify(&e))?;
                items.extend(page.$items().iter().cloned());
            }
            Ok::<_, $crate::failure::Failure>(items)
        }
    };
}
pub(crate) use all_pages;

/// The role AWS Organizations creates in the accounts it creates.
pub const DEFAULT_ORG_ROLE: &str = "OrganizationAccountAccessRole";

const SESSION_NAME: &str = "rampart-org-scan";

/// Which accounts of the organization to scan, and how to enter them.
#[derive(Debug, Clone)]
pub struct OrgOptions {
    /// Role name assumed in each member account (`--org-role`).
    pub role_name: String,
    /// External id passed when assuming it.
    pub external_id: Option<String>,
    /// Accounts collected at once; 0 means the default (4).
    pub max_accounts_parallel: usize,
    /// Only these account ids (each must belong to the organization).
    pub accounts: Option<Vec<String>>,
    /// Never these account ids.
    pub exclude_accounts: Vec<String>,
}

impl Default for OrgOptions {
    fn default() -> Self {
        OrgOptions {
            role_name: DEFAULT_ORG_ROLE.to_string(),
            external_id: None,
            max_accounts_parallel: 4,
            accounts: None,
            exclude_accounts: Vec::new(),
        }
    }
}

/// An account as the organization lists it.
#[derive(Debug, Clone)]
struct Member {
    id: String,
    name: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`, ...
    state: String,
}

/// Collect every selected account of the organization the credentials
/// manage, and merge them into one inventory and one set of numbers.
pub async fn collect_org(
    opts: &CollectOptions,
    org: &OrgOptions,
    progress: &dyn Progress,
) -> Result<(Inventory, CollectStats), CollectError> {
    let started = std::time::Instant::now();
    let collected_at = chrono::Utc::now();
    validate(org)?;
    let selected = select_services(opts)?;
    let all_types: Vec<String> = selected
        .iter()
        .flat_map(|s| s.types.iter().map(|t| t.to_string()))
        .collect();

    let counter = CallCounter::default();
    let base = config::load(opts).await?;
    let caller = config::account_id(&base, &counter).await?;
    let (members, partition) = list_accounts(&base, &counter, &caller).await?;
    let members = choose(members, org)?;

    let mut errors: Vec<CollectionError> = Vec::new();
    let mut outcomes: Vec<AccountScan> = Vec::new();
    let mut active = Vec::new();
    for m in members {
        if m.state == "ACTIVE" {
            active.push(m);
            continue;
        }
        let who = display(&m);
        errors.push(CollectionError {
            account: m.id.clone(),
            region: GLOBAL_REGION.into(),
            service: "organizations".into(),
            resource_types: vec![],
            action: "organizations:ListAccounts".into(),
            kind: ErrorKind::Other,
            message: format!(
                "account {who} is {} in the organization: not scanned",
                m.state
            ),
        });
        outcomes.push(AccountScan {
            id: m.id,
            name: m.name,
            outcome: AccountOutcome::Skipped { state: m.state },
        });
    }

    let parallel = if org.max_accounts_parallel == 0 {
        4
    } else {
        org.max_accounts_parallel
    };
    let results = futures_util::stream::iter(active)
        .map(|m| {
            let (base, counter, selected) = (&base, &counter, &selected);
            let (caller, partition) = (&caller, &partition);
            async move {
                let conf = if &m.id == caller {
                    base.clone()
                } else {
                    let role = format!("arn:{partition}:iam::{}:role/{}", m.id, org.role_name);
                    let provider =
                        MemberRole::new(base, counter, role.clone(), org.external_id.clone());
                    if let Err(f) = provider.prime().await {
                        return (m, Err((role, f)));
                    }
                    base.clone()
                        .into_builder()
                        .credentials_provider(SharedCredentialsProvider::new(provider))
                        .build()
                };
                let one =
                    crate::collect_account(opts, selected, &conf, m.id.clone(), counter, progress)
                        .await;
                (m, Ok(one))
            }
        })
        .buffer_unordered(parallel)
        .collect::<Vec<_>>()
        .await;

    let mut accounts = Vec::new();
    let mut regions = Vec::new();
    let mut live = Vec::new();
    let mut skipped = Vec::new();
    let mut resources = Vec::new();
    for (m, result) in results {
        match result {
            Ok(one) => {
                accounts.push(m.id.clone());
                regions.extend(one.inventory.regions);
                live.extend(one.regions);
                skipped.extend(one.skipped);
                resources.extend(one.inventory.resources);
                errors.extend(one.inventory.errors);
                outcomes.push(AccountScan {
                    id: m.id,
                    name: m.name,
                    outcome: AccountOutcome::Scanned,
                });
            }
            Err((role, f)) => {
                errors.push(CollectionError {
                    account: m.id.clone(),
                    region: GLOBAL_REGION.into(),
                    service: "sts".into(),
                    resource_types: all_types.clone(),
                    action: "sts:AssumeRole".into(),
                    kind: f.kind,
                    message: format!(
                        "account {} not scanned: could not assume {role}: {}",
                        display(&m),
                        f.message
                    ),
                });
                outcomes.push(AccountScan {
                    id: m.id,
                    name: m.name,
                    outcome: AccountOutcome::Failed {
                        kind: f.kind,
                        message: f.message,
                    },
                });
            }
        }
    }
    for v in [&mut accounts, &mut regions, &mut live, &mut skipped] {
        v.sort();
        v.dedup();
    }
    outcomes.sort_by(|a, b| a.id.cmp(&b.id));
    resources.sort_by(|a, b| {
        (&a.resource_type, &a.account, &a.region, &a.uid).cmp(&(
            &b.resource_type,
            &b.account,
            &b.region,
            &b.uid,
        ))
    });
    errors.sort_by(|a, b| {
        (&a.account, &a.service, &a.region, &a.action)
            .cmp(&(&b.account, &b.service, &b.region, &b.action))
    });

    let inventory = Inventory {
        collected_at: Some(collected_at),
        accounts,
        regions,
        services: selected.iter().map(|s| s.name.to_string()).collect(),
        resource_types: all_types,
        resources,
        errors,
    };
    let stats = CollectStats {
        api_calls: counter.calls(),
        http_requests: counter.requests(),
        calls_by_operation: counter.by_operation(),
        duration: started.elapsed(),
        regions: live,
        skipped_regions: skipped,
        resources: inventory.resources.len(),
        errors: error_count(&inventory),
        accounts: outcomes,
    };
    Ok((inventory, stats))
}

fn display(m: &Member) -> String {
    match &m.name {
        Some(n) if !n.is_empty() => format!("{} ({n})", m.id),
        _ => m.id.clone(),
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn validate(org: &OrgOptions) -> Result<(), CollectError> {
    let role = org.role_name.trim();
    // IAM role names (with an optional path): letters, digits, +=,.@_- and /.
    let valid = !role.is_empty()
        && !role.starts_with('/')
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    if !valid {
        return Err(CollectError::InvalidOption(format!(
            "org role {role:?} is not an IAM role name"
        )));
    }
    for id in org
        .accounts
        .iter()
        .flatten()
        .chain(org.exclude_accounts.iter())
    {
        if !is_account_id(id) {
            return Err(CollectError::InvalidOption(format!(
                "{id:?} is not an AWS account id (12 digits)"
            )));
        }
    }
    Ok(())
}

/// The organization's accounts, and the partition their ARNs are in.
async fn list_accounts(
    base: &SdkConfig,
    counter: &CallCounter,
    caller: &str,
) -> Result<(Vec<Member>, String), CollectError> {
    let client = aws_sdk_organizations::Client::from_conf(
        aws_sdk_organizations::config::Builder::from(base)
            .interceptor(counter.clone())
            .build(),
    );
    let listed = all_pages!(client.list_accounts(), accounts).await.map_err(|f| {
        CollectError::Organization(if f.is("AWSOrganizationsNotInUseException") {
            format!("account {caller} is not in an organization")
        } else if f.kind == ErrorKind::AccessDenied {
            format!(
                "organizations:ListAccounts was denied for account {caller}: an organization scan needs \
                 credentials of the management account or of a delegated administrator ({})",
                f.message
            )
        } else {
            format!("organizations:ListAccounts failed: {}", f.message)
        })
    })?;
    if listed.is_empty() {
        return Err(CollectError::Organization(format!(
            "organizations:ListAccounts listed no accounts: is account {caller} in an organization?"
        )));
    }
    let partition = listed
        .iter()
        .find_map(|a| a.arn())
        .and_then(|arn| arn.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_string();
    let mut members: Vec<Member> = listed
        .iter()
        .filter_map(|a| {
            let id = a.id()?.to_string();
            // `State` replaced the deprecated `Status`; older answers
            // carry only the latter.
            #[allow(deprecated)]
            let state = a
                .state()
                .map(|s| s.as_str().to_string())
                .or_else(|| a.status().map(|s| s.as_str().to_string()))
                .unwrap_or_else(|| "UNKNOWN".into());
            Some(Member {
                id,
                name: a.name().filter(|n| !n.is_empty()).map(str::to_string),
                state,
            })
        })
        .collect();
    members.sort_by(|a, b| a.id.cmp(&b.id));
    members.dedup_by(|a, b| a.id == b.id);
    Ok((members, partition))
}

/// Apply `--org-accounts` and `--exclude-accounts`. Asking for an account
/// the organization does not have is a mistake worth stopping for; an
/// exclusion that matches nothing is not.
fn choose(members: Vec<Member>, org: &OrgOptions) -> Result<Vec<Member>, CollectError> {
    if let Some(wanted) = &org.accounts {
        let unknown: Vec<&str> = wanted
            .iter()
            .filter(|w| !members.iter().any(|m| &m.id == *w))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(CollectError::InvalidOption(format!(
                "not accounts of the organization: {}",
                unknown.join(", ")
            )));
        }
    }
    Ok(members
        .into_iter()
        .filter(|m| org.accounts.as_ref().is_none_or(|w| w.contains(&m.id)))
        .filter(|m| !org.exclude_accounts.contains(&m.id))
        .collect())
}

/// Credentials of a member account's role. The first AssumeRole is made
/// up front ([`MemberRole::prime`]) so a refusal is classified with its
/// IAM action and kept out of the collectors; its answer serves the first
/// request, later ones assume the role again when the SDK's identity
/// cache sees the credentials expire.
#[derive(Debug)]
struct MemberRole {
    client: aws_sdk_sts::Client,
    role_arn: String,
    external_id: Option<String>,
    first: Arc<Mutex<Option<Credentials>>>,
}

impl MemberRole {
    fn new(
        base: &SdkConfig,
        counter: &CallCounter,
        role_arn: String,
        external_id: Option<String>,
    ) -> Self {
        let client = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(base)
                .interceptor(counter.clone())
                .build(),
        );
        MemberRole {
            client,
            role_arn,
            external_id,
            first: Arc::new(Mutex::new(None)),
        }
    }

    async fn assume(&self) -> Result<Credentials, Failure> {
        let out = self
            .client
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(SESSION_NAME)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let c = out.credentials().ok_or_else(|| {
            Failure::new(ErrorKind::Other, "AssumeRole answered without credentials")
        })?;
        let expiry = SystemTime::try_from(*c.expiration()).ok();
        Ok(Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            expiry,
            "rampart-org-member-role",
        ))
    }

    /// Assume the role once, now; keep the credentials for the first use.
    async fn prime(&self) -> Result<(), Failure> {
        let creds = self.assume().await?;
        match self.first.lock() {
            Ok(mut g) => *g = Some(creds),
            Err(p) => *p.into_inner() = Some(creds),
        }
        Ok(())
    }

    async fn credentials(&self) -> provider::Result {
        let primed = match self.first.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        if let Some(c) = primed {
            return Ok(c);
        }
        self.assume().await.map_err(|f| {
            CredentialsError::provider_error(format!(
                "could not assume {}: {}",
                self.role_arn, f.message
            ))
        })
    }
}

impl ProvideCredentials for MemberRole {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.credentials())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, state: &str) -> Member {
        Member {
            id: id.into(),
            name: Some(format!("n{id}")),
            state: state.into(),
        }
    }

    #[test]
    fn account_lists_are_checked_and_applied() {
        let members = vec![
            member("111111111111", "ACTIVE"),
            member("222222222222", "ACTIVE"),
            member("333333333333", "SUSPENDED"),
        ];
        let org = OrgOptions {
            accounts: Some(vec!["111111111111".into(), "333333333333".into()]),
            exclude_accounts: vec!["333333333333".into(), "999999999999".into()],
            ..OrgOptions::default()
        };
        let ids: Vec<String> = choose(members.clone(), &org)
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["111111111111"]);

        let org = OrgOptions {
            accounts: Some(vec!["444444444444".into()]),
            ..OrgOptions::default()
        };
        let err = choose(members, &org).unwrap_err().to_string();
        assert!(err.contains("444444444444"), "{err}");
    }

    #[test]
    fn options_are_validated() {
        assert!(validate(&OrgOptions::default()).is_ok());
        let bad_role = OrgOptions {
            role_name: "has space".into(),
            ..OrgOptions::default()
        };
        assert!(validate(&bad_role).is_err());
        let path_role = OrgOptions {
            role_name: "security/Auditor".into(),
            ..OrgOptions::default()
        };
        assert!(validate(&path_role).is_ok());
        let bad_id = OrgOptions {
            exclude_accounts: vec!["12345".into()],
            ..OrgOptions::default()
        };
        assert!(validate(&bad_id).unwrap_err().to_string().contains("12345"));
    }
}
