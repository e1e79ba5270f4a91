//! IAM: users, groups, roles, customer-managed policies, identity providers,
//! and (in `iam_account`) the account-wide settings.
//!
//! One paginated `GetAccountAuthorizationDetails` returns every user, group,
//! role and local policy with their inline and attached policies, which
//! replaces a dozen list calls per principal. The credential report adds
//! console access, MFA state and key usage for every user at once; per-user
//! calls are made only for what the report lacks (key ids, MFA serials).

use std::collections::BTreeMap;

use aws_sdk_iam::types::{AttachedPolicy, EntityType, PolicyDetail, Tag};
use serde_json::{Value, json};

use super::Service;
use super::iam_account::{self, CredentialReport, ReportRow};
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};
use futures_util::StreamExt;

pub(crate) const USER: &str = "aws.iam.user";
pub(crate) const GROUP: &str = "aws.iam.group";
pub(crate) const ROLE: &str = "aws.iam.role";
pub(crate) const POLICY: &str = "aws.iam.policy";

pub(crate) const SERVICE: Service = Service {
    name: "iam",
    global: true,
    types: &[
        USER,
        GROUP,
        ROLE,
        POLICY,
        iam_account::SUMMARY,
        iam_account::PASSWORD_POLICY,
        iam_account::SAML_PROVIDER,
        iam_account::OIDC_PROVIDER,
    ],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let client = scope.shared.iam();
    let mut out = Output::default();

    let (details, report, account) = tokio::join!(
        authorization_details(&client),
        iam_account::credential_report(&client),
        iam_account::collect(&scope, &client),
    );
    out.resources.extend(account.resources);
    out.errors.extend(account.errors);
    let report_failure = report.as_ref().err().cloned();
    let report = match report {
        Ok(r) => Some(r),
        Err(f) => {
            out.fail(
                &scope,
                &[iam_account::SUMMARY],
                "iam:GetCredentialReport",
                f,
            );
            None
        }
    };
    if let Some(r) = &report {
        iam_account::add_root_report(&mut out.resources, r);
    }

    let mut details = match details {
        Ok(d) => d,
        Err(f) => {
            if let Some(summary) = out
                .resources
                .iter_mut()
                .find(|r| r.resource_type == iam_account::SUMMARY)
            {
                set_prop(
                    summary,
                    "support_roles",
                    "iam:GetAccountAuthorizationDetails",
                    Err(f.clone()),
                );
            }
            out.fail(
                &scope,
                &[USER, GROUP, ROLE, POLICY],
                "iam:GetAccountAuthorizationDetails",
                f,
            );
            return out;
        }
    };

    // CIS 1.17 (v5 1.16): some role can manage incidents with AWS Support.
    let support_roles: Vec<&str> = details
        .roles
        .iter()
        .filter(|r| {
            r.attached_managed_policies().iter().any(|p| {
                p.policy_arn()
                    .is_some_and(|a| a.ends_with(":policy/AWSSupportAccess"))
            })
        })
        .filter_map(|r| r.role_name())
        .collect();
    if let Some(summary) = out
        .resources
        .iter_mut()
        .find(|r| r.resource_type == iam_account::SUMMARY)
    {
        put(summary, json!({"support_roles": support_roles}));
    }

    let mut group_members: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for u in &details.users {
        for g in u.group_list() {
            group_members
                .entry(g.clone())
                .or_default()
                .push(u.user_name().unwrap_or_default().to_string());
        }
    }

    let users = futures_util::stream::iter(std::mem::take(&mut details.users))
        .map(|u| {
            let (scope, client, report, failure) =
                (&scope, &client, report.as_ref(), report_failure.as_ref());
            async move { user(scope, client, &u, report, failure).await }
        })
        .buffer_unordered(scope.fanout())
        .collect::<Vec<_>>()
        .await;
    out.resources.extend(users);

    for g in &details.groups {
        let name = g.group_name().unwrap_or_default();
        let arn = g.arn().unwrap_or_default();
        let mut r = scope.resource(GROUP, arn, name);
        put(
            &mut r,
            json!({
                "arn": arn,
                "path": opt_str(g.path()),
                "create_date": ts(g.create_date()),
                "users": group_members.get(name).cloned().unwrap_or_default(),
                "attached_policies": attached(g.attached_managed_policies()),
                "inline_policies": inline(g.group_policy_list()),
            }),
        );
        out.resources.push(r);
    }

    for role in &details.roles {
        let name = role.role_name().unwrap_or_default();
        let arn = role.arn().unwrap_or_default();
        let path = role.path().unwrap_or("/");
        let mut r = scope.resource(ROLE, arn, name);
        r.tags = tags(role.tags());
        put(
            &mut r,
            json!({
                "arn": arn,
                "path": path,
                "create_date": ts(role.create_date()),
                "trust_policy": role.assume_role_policy_document().map(policy::parse).unwrap_or(Value::Null),
                "attached_policies": attached(role.attached_managed_policies()),
                "inline_policies": inline(role.role_policy_list()),
                "last_used_date": ts(role.role_last_used().and_then(|l| l.last_used_date())),
                "instance_profiles": role.instance_profile_list().iter().map(|p| p.arn()).collect::<Vec<_>>(),
                "permissions_boundary": opt_str(role.permissions_boundary().and_then(|b| b.permissions_boundary_arn())),
                "service_linked": path.starts_with("/aws-service-role/"),
            }),
        );
        out.resources.push(r);
    }

    for p in &details.policies {
        let arn = p.arn().unwrap_or_default();
        // Some endpoints (moto) leave the name out; it ends the ARN.
        let name = p
            .policy_name()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| arn.rsplit('/').next().unwrap_or(arn));
        let default_version = p.default_version_id();
        let document = p
            .policy_version_list()
            .iter()
            .find(|v| v.is_default_version() || v.version_id() == default_version)
            .and_then(|v| v.document())
            .map(policy::parse)
            .unwrap_or(Value::Null);
        let mut r = scope.resource(POLICY, arn, name);
        put(
            &mut r,
            json!({
                "arn": arn,
                "path": opt_str(p.path()),
                "aws_managed": false,
                "attachment_count": p.attachment_count().unwrap_or(0),
                "default_version_id": opt_str(default_version),
                "document": document,
                "create_date": ts(p.create_date()),
                "update_date": ts(p.update_date()),
            }),
        );
        out.resources.push(r);
    }
    out
}

#[derive(Default)]
struct Details {
    users: Vec<aws_sdk_iam::types::UserDetail>,
    groups: Vec<aws_sdk_iam::types::GroupDetail>,
    roles: Vec<aws_sdk_iam::types::RoleDetail>,
    policies: Vec<aws_sdk_iam::types::ManagedPolicyDetail>,
}

async fn authorization_details(client: &aws_sdk_iam::Client) -> Result<Details, Failure> {
    let mut d = Details::default();
    let mut pages = client
        .get_account_authorization_details()
        .filter(EntityType::User)
        .filter(EntityType::Group)
        .filter(EntityType::Role)
        .filter(EntityType::LocalManagedPolicy)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify(&e))?;
        d.users.extend(page.user_detail_list.unwrap_or_default());
        d.groups.extend(page.group_detail_list.unwrap_or_default());
        d.roles.extend(page.role_detail_list.unwrap_or_default());
        d.policies.extend(page.policies.unwrap_or_default());
    }
    Ok(d)
}

async fn user(
    scope: &Scope,
    client: &aws_sdk_iam::Client,
    u: &aws_sdk_iam::types::UserDetail,
    report: Option<&CredentialReport>,
    report_failure: Option<&Failure>,
) -> rampart_inventory::Resource {
    let name = u.user_name().unwrap_or_default();
    let arn = u.arn().unwrap_or_default();
    let mut r = scope.resource(USER, arn, name);
    r.tags = tags(u.tags());
    put(
        &mut r,
        json!({
            "arn": arn,
            "user_id": opt_str(u.user_id()),
            "path": opt_str(u.path()),
            "create_date": ts(u.create_date()),
            "attached_policies": attached(u.attached_managed_policies()),
            "inline_policies": inline(u.user_policy_list()),
            "groups": u.group_list(),
            "permissions_boundary": opt_str(u.permissions_boundary().and_then(|b| b.permissions_boundary_arn())),
        }),
    );
    let row = report.and_then(|rep| rep.users.get(name));
    match (report, row) {
        (Some(_), Some(row)) => {
            put(
                &mut r,
                json!({
                    "console_access": row.password_enabled,
                    "password_last_used": opt_str(row.password_last_used.as_deref()),
                    "password_last_changed": opt_str(row.password_last_changed.as_deref()),
                    "mfa_active": row.mfa_active,
                }),
            );
        }
        _ => {
            let f = match report_failure {
                Some(f) => f.clone(),
                None => Failure::new(
                    rampart_inventory::ErrorKind::Other,
                    "user missing from the credential report",
                ),
            };
            for prop in ["console_access", "password_last_used", "mfa_active"] {
                set_prop(&mut r, prop, "iam:GetCredentialReport", Err(f.clone()));
            }
        }
    }

    // MFA serials: only for users the report says have MFA (or everyone
    // when there is no report).
    let wants_mfa = row.is_none_or(|row| row.mfa_active);
    let mfa = if wants_mfa {
        mfa_devices(client, name).await
    } else {
        Ok(json!([]))
    };
    if row.is_none()
        && let Ok(Value::Array(devs)) = &mfa
    {
        let active = !devs.is_empty();
        if let Value::Object(m) = &mut r.props {
            m.insert("mfa_active".into(), Value::Bool(active));
        }
        r.errors.retain(|e| e.prop != "mfa_active");
    }
    set_prop(&mut r, "mfa_devices", "iam:ListMFADevices", mfa);

    let wants_keys = row.is_none_or(|row| row.key_slots.iter().any(|k| k.last_rotated.is_some()));
    let keys = if wants_keys {
        access_keys(client, name, row).await
    } else {
        Ok(json!([]))
    };
    set_prop(&mut r, "access_keys", "iam:ListAccessKeys", keys);
    r
}

async fn mfa_devices(client: &aws_sdk_iam::Client, user: &str) -> Result<Value, Failure> {
    let out = client
        .list_mfa_devices()
        .user_name(user)
        .send()
        .await
        .map_err(|e| classify(&e))?;
    Ok(Value::Array(
        out.mfa_devices()
            .iter()
            .map(|d| {
                let serial = d.serial_number();
                let kind = if serial.contains(":mfa/") {
                    "virtual"
                } else {
                    "hardware"
                };
                json!({"serial": serial, "type": kind, "enable_date": ts(Some(d.enable_date()))})
            })
            .collect(),
    ))
}

async fn access_keys(
    client: &aws_sdk_iam::Client,
    user: &str,
    row: Option<&ReportRow>,
) -> Result<Value, Failure> {
    let out = client
        .list_access_keys()
        .user_name(user)
        .send()
        .await
        .map_err(|e| classify(&e))?;
    let mut keys = Vec::new();
    for k in out.access_key_metadata() {
        let id = k.access_key_id().unwrap_or_default();
        let created = ts(k.create_date());
        // The report identifies keys by slot, not id; match on creation
        // time (the report's "last rotated", to the second). Two keys made
        // in the same second with different usage are asked about instead.
        let second = |t: &str| t.get(..19).map(str::to_string);
        let created_s = created.as_str().and_then(second);
        let candidates: Vec<_> = row
            .map(|row| {
                row.key_slots
                    .iter()
                    .filter(|s| {
                        s.last_rotated.as_deref().and_then(second).is_some()
                            && s.last_rotated.as_deref().and_then(second) == created_s
                    })
                    .collect()
            })
            .unwrap_or_default();
        let slot = match candidates.as_slice() {
            [one] => Some(*one),
            [a, rest @ ..]
                if rest.iter().all(|b| {
                    b.last_used_date == a.last_used_date
                        && b.last_used_service == a.last_used_service
                }) =>
            {
                Some(*a)
            }
            _ => None,
        };
        let (last_used, service, err) = match slot {
            Some(s) => (
                opt_str(s.last_used_date.as_deref()),
                opt_str(s.last_used_service.as_deref()),
                None,
            ),
            None => match client
                .get_access_key_last_used()
                .access_key_id(id)
                .send()
                .await
            {
                Ok(o) => {
                    let l = o.access_key_last_used();
                    let svc = l.map(|l| l.service_name()).filter(|s| *s != "N/A");
                    (ts(l.and_then(|l| l.last_used_date())), opt_str(svc), None)
                }
                Err(e) => (Value::Null, Value::Null, Some(classify(&e).message)),
            },
        };
        let mut key = json!({
            "id": id,
            "status": k.status().map(|s| s.as_str()),
            "create_date": created,
            "last_used_date": last_used,
            "last_used_service": service,
        });
        if let (Some(msg), Value::Object(m)) = (err, &mut key) {
            m.insert("last_used_error".into(), Value::String(msg));
        }
        keys.push(key);
    }
    Ok(Value::Array(keys))
}

pub(crate) fn attached(list: &[AttachedPolicy]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| json!({"name": p.policy_name(), "arn": p.policy_arn()}))
            .collect(),
    )
}

fn inline(list: &[PolicyDetail]) -> Value {
    Value::Array(
        list.iter()
            .map(|p| {
                json!({
                    "name": p.policy_name(),
                    "document": p.policy_document().map(policy::parse).unwrap_or(Value::Null),
                })
            })
            .collect(),
    )
}

fn tags(list: &[Tag]) -> BTreeMap<String, String> {
    list.iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}
