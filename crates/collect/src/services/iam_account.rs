//! IAM account-wide settings: the account summary (root MFA and keys), the
//! password policy, the credential report, and the identity providers.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_iam::types::{AssignmentStatusType, ReportStateType, SummaryKeyType};
use rampart_inventory::{ErrorKind, GLOBAL_REGION, Resource};
use serde_json::{Value, json};

use crate::failure::{Failure, classify};
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};

pub(crate) const SUMMARY: &str = "aws.account.summary";
pub(crate) const PASSWORD_POLICY: &str = "aws.iam.password_policy";
pub(crate) const SAML_PROVIDER: &str = "aws.iam.saml_provider";
pub(crate) const OIDC_PROVIDER: &str = "aws.iam.oidc_provider";

/// Summary, password policy and providers.
pub(crate) async fn collect(scope: &Scope, client: &aws_sdk_iam::Client) -> Output {
    let mut out = Output::default();
    let (summary, virtual_mfa, password, saml, oidc) = tokio::join!(
        client.get_account_summary().send(),
        client
            .list_virtual_mfa_devices()
            .assignment_status(AssignmentStatusType::Assigned)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>(),
        client.get_account_password_policy().send(),
        client.list_saml_providers().send(),
        client.list_open_id_connect_providers().send(),
    );

    let account = scope.account().to_string();
    let mut s = scope.resource(
        SUMMARY,
        format!("arn:aws:iam::{account}:root"),
        account.clone(),
    );
    match summary {
        Ok(o) => {
            let m = o.summary_map();
            let get = |k: SummaryKeyType| m.and_then(|m| m.get(&k)).copied().unwrap_or(0);
            let mfa = get(SummaryKeyType::AccountMfaEnabled) == 1;
            put(
                &mut s,
                json!({
                    "root_mfa_enabled": mfa,
                    "root_access_keys_present": get(SummaryKeyType::AccountAccessKeysPresent) == 1,
                    "users": get(SummaryKeyType::Users),
                    "roles": get(SummaryKeyType::Roles),
                    "groups": get(SummaryKeyType::Groups),
                    "policies": get(SummaryKeyType::Policies),
                }),
            );
            let root_virtual: Result<bool, Failure> =
                virtual_mfa.into_iter().try_fold(false, |acc, d| {
                    let d = d.map_err(|e| classify(&e))?;
                    Ok(acc || d.user().is_some_and(|u| u.arn().ends_with(":root")))
                });
            set_prop(
                &mut s,
                "root_hardware_mfa",
                "iam:ListVirtualMFADevices",
                root_virtual.map(|v| Value::Bool(mfa && !v)),
            );
        }
        Err(e) => {
            let f = classify(&e);
            for p in [
                "root_mfa_enabled",
                "root_access_keys_present",
                "root_hardware_mfa",
            ] {
                set_prop(&mut s, p, "iam:GetAccountSummary", Err(f.clone()));
            }
        }
    }
    out.resources.push(s);

    let mut p = scope.resource(
        PASSWORD_POLICY,
        format!("arn:aws:iam::{account}:account-password-policy"),
        "password-policy",
    );
    match password {
        Ok(o) => {
            let pp = o.password_policy();
            put(
                &mut p,
                json!({
                    "exists": pp.is_some(),
                    "minimum_password_length": pp.and_then(|p| p.minimum_password_length()),
                    "require_symbols": pp.is_some_and(|p| p.require_symbols()),
                    "require_numbers": pp.is_some_and(|p| p.require_numbers()),
                    "require_uppercase_characters": pp.is_some_and(|p| p.require_uppercase_characters()),
                    "require_lowercase_characters": pp.is_some_and(|p| p.require_lowercase_characters()),
                    "allow_users_to_change_password": pp.is_some_and(|p| p.allow_users_to_change_password()),
                    "expire_passwords": pp.is_some_and(|p| p.expire_passwords()),
                    "max_password_age": pp.and_then(|p| p.max_password_age()),
                    "password_reuse_prevention": pp.and_then(|p| p.password_reuse_prevention()),
                    "hard_expiry": pp.and_then(|p| p.hard_expiry()).unwrap_or(false),
                }),
            );
        }
        Err(e) => {
            let f = classify(&e);
            if f.is("NoSuchEntity") {
                put(&mut p, json!({"exists": false}));
            } else {
                set_prop(&mut p, "exists", "iam:GetAccountPasswordPolicy", Err(f));
            }
        }
    }
    out.resources.push(p);

    match saml {
        Ok(o) => {
            for prov in o.saml_provider_list() {
                let arn = prov.arn().unwrap_or_default();
                let name = arn.rsplit('/').next().unwrap_or(arn);
                let mut r = scope.resource(SAML_PROVIDER, arn, name);
                put(
                    &mut r,
                    json!({"arn": arn, "create_date": ts(prov.create_date()), "valid_until": ts(prov.valid_until())}),
                );
                out.resources.push(r);
            }
        }
        Err(e) => out.fail(
            scope,
            &[SAML_PROVIDER],
            "iam:ListSAMLProviders",
            classify(&e),
        ),
    }

    match oidc {
        Ok(o) => {
            for prov in o.open_id_connect_provider_list() {
                let arn = prov.arn().unwrap_or_default();
                let mut r = scope.resource(
                    OIDC_PROVIDER,
                    arn,
                    arn.rsplit(":oidc-provider/").next().unwrap_or(arn),
                );
                put(&mut r, json!({"arn": arn}));
                match client
                    .get_open_id_connect_provider()
                    .open_id_connect_provider_arn(arn)
                    .send()
                    .await
                {
                    Ok(d) => put(
                        &mut r,
                        json!({
                            "url": opt_str(d.url()),
                            "client_ids": d.client_id_list(),
                            "thumbprints": d.thumbprint_list(),
                            "create_date": ts(d.create_date()),
                        }),
                    ),
                    Err(e) => set_prop(
                        &mut r,
                        "url",
                        "iam:GetOpenIDConnectProvider",
                        Err(classify(&e)),
                    ),
                }
                out.resources.push(r);
            }
        }
        Err(e) => out.fail(
            scope,
            &[OIDC_PROVIDER],
            "iam:ListOpenIDConnectProviders",
            classify(&e),
        ),
    }
    debug_assert!(out.resources.iter().all(|r| r.region == GLOBAL_REGION));
    out
}

/// One key slot of a credential report row.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct KeySlot {
    pub active: bool,
    pub last_rotated: Option<String>,
    pub last_used_date: Option<String>,
    pub last_used_service: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ReportRow {
    pub password_enabled: bool,
    pub password_last_used: Option<String>,
    pub password_last_changed: Option<String>,
    pub mfa_active: bool,
    pub key_slots: Vec<KeySlot>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CredentialReport {
    pub root: Option<ReportRow>,
    pub users: BTreeMap<String, ReportRow>,
}

/// Generate (if needed) and fetch the credential report.
/// GenerateCredentialReport is the one non-read call a scan makes: it only
/// starts the report's generation.
pub(crate) async fn credential_report(
    client: &aws_sdk_iam::Client,
) -> Result<CredentialReport, Failure> {
    // Poll quickly first (an emulator, or a report generated minutes ago,
    // is ready at once), then back off to 2 s, for up to about 20 s.
    let mut delay = Duration::from_millis(200);
    let mut waited = Duration::ZERO;
    loop {
        let state = match client.generate_credential_report().send().await {
            Ok(s) => s,
            // Without the right to generate one, a recent report may still
            // be readable.
            Err(_) => break,
        };
        if state.state() == Some(&ReportStateType::Complete) {
            break;
        }
        if waited >= Duration::from_secs(20) {
            return Err(Failure::new(
                ErrorKind::Other,
                format!("credential report not ready after {} s", waited.as_secs()),
            ));
        }
        tokio::time::sleep(delay).await;
        waited += delay;
        delay = (delay * 2).min(Duration::from_secs(2));
    }
    let out = client
        .get_credential_report()
        .send()
        .await
        .map_err(|e| classify(&e))?;
    let text = out
        .content()
        .map(|b| String::from_utf8_lossy(b.as_ref()).into_owned())
        .unwrap_or_default();
    Ok(parse_report(&text))
}

fn report_value(v: &str) -> Option<String> {
    match v {
        "" | "N/A" | "no_information" | "not_supported" => None,
        v => Some(
            chrono::DateTime::parse_from_rfc3339(v)
                .map(|d| {
                    d.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                })
                .unwrap_or_else(|_| v.to_string()),
        ),
    }
}

pub(crate) fn parse_report(text: &str) -> CredentialReport {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let mut report = CredentialReport::default();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let get = |name: &str| col(name).and_then(|i| fields.get(i)).copied().unwrap_or("");
        let key = |n: u8| KeySlot {
            active: get(&format!("access_key_{n}_active")) == "true",
            last_rotated: report_value(get(&format!("access_key_{n}_last_rotated"))),
            last_used_date: report_value(get(&format!("access_key_{n}_last_used_date"))),
            last_used_service: report_value(get(&format!("access_key_{n}_last_used_service"))),
        };
        let row = ReportRow {
            password_enabled: get("password_enabled") == "true",
            password_last_used: report_value(get("password_last_used")),
            password_last_changed: report_value(get("password_last_changed")),
            mfa_active: get("mfa_active") == "true",
            key_slots: vec![key(1), key(2)],
        };
        let user = get("user");
        if user == "<root_account>" {
            report.root = Some(row);
        } else {
            report.users.insert(user.to_string(), row);
        }
    }
    report
}

/// Root password and key use from the report, onto the account summary.
pub(crate) fn add_root_report(resources: &mut [Resource], report: &CredentialReport) {
    let Some(summary) = resources.iter_mut().find(|r| r.resource_type == SUMMARY) else {
        return;
    };
    let root = report.root.clone().unwrap_or_default();
    let key_used = root
        .key_slots
        .iter()
        .filter_map(|k| k.last_used_date.clone())
        .max();
    put(
        summary,
        json!({
            "root_password_last_used": opt_str(root.password_last_used.as_deref()),
            "root_access_key_last_used": opt_str(key_used.as_deref()),
            "root_active_access_keys": root.key_slots.iter().filter(|k| k.active).count(),
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rows_parse() {
        let text = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n\
<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-01-02T03:04:05+00:00,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n\
alice,arn:aws:iam::123456789012:user/alice,2020-01-01T00:00:00+00:00,true,no_information,2020-01-01T00:00:00+00:00,N/A,false,true,2021-05-06T07:08:09+00:00,2026-11-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n";
        let r = parse_report(text);
        let root = r.root.unwrap();
        assert_eq!(
            root.password_last_used.as_deref(),
            Some("2026-01-02T03:04:05Z")
        );
        assert!(root.key_slots[0].active);
        let alice = &r.users["alice"];
        assert!(alice.password_enabled && !alice.mfa_active);
        assert_eq!(alice.password_last_used, None);
        assert_eq!(
            alice.key_slots[0].last_rotated.as_deref(),
            Some("2021-05-06T07:08:09Z")
        );
        assert_eq!(alice.key_slots[0].last_used_service.as_deref(), Some("s3"));
        assert_eq!(alice.key_slots[1], KeySlot::default());
    }
}
