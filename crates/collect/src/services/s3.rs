//! S3: buckets with every setting rules read, and the account-level public
//! access block (S3 Control).
//!
//! Buckets are listed once (a global call) and each bucket's settings are
//! read from a client in the bucket's own region: S3 answers a request for
//! a bucket in another region with a redirect, not the data. The eleven
//! per-bucket reads run concurrently, and buckets are processed
//! `fanout` at a time. "Not configured" answers (`NoSuchBucketPolicy`,
//! `ServerSideEncryptionConfigurationNotFoundError`, ...) are values, not
//! failures.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::types::Bucket;
use futures_util::StreamExt;
use rampart_inventory::{GLOBAL_REGION, Resource};
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, opt_str, put, set_prop, ts};

pub(crate) const BUCKET: &str = "aws.s3.bucket";
pub(crate) const ACCOUNT_PAB: &str = "aws.s3.account_public_access_block";

pub(crate) const SERVICE: Service = Service {
    name: "s3",
    global: true,
    types: &[BUCKET, ACCOUNT_PAB],
    collect: |s| Box::pin(collect(s)),
};

async fn collect(scope: Scope) -> Output {
    let mut out = Output::default();
    let (buckets, pab) = tokio::join!(list_buckets(&scope), account_pab(&scope));
    out.resources.push(pab);

    let buckets = match buckets {
        Ok(b) => b,
        Err(f) => {
            out.fail(&scope, &[BUCKET], "s3:ListBuckets", f);
            return out;
        }
    };
    let regions = scope.shared.regions();
    let mut clients: HashMap<String, aws_sdk_s3::Client> = HashMap::new();
    let home = scope.shared.s3(GLOBAL_REGION);

    // Locate buckets ListBuckets did not place.
    let located = futures_util::stream::iter(buckets)
        .map(|b| {
            let home = home.clone();
            async move {
                let region = match b.bucket_region() {
                    Some(r) if !r.is_empty() => Ok(r.to_string()),
                    _ => bucket_location(&home, b.name().unwrap_or_default()).await,
                };
                (b, region)
            }
        })
        .buffer_unordered(scope.fanout())
        .collect::<Vec<_>>()
        .await;

    let mut work = Vec::new();
    for (b, region) in located {
        let name = b.name().unwrap_or_default().to_string();
        match region {
            Ok(region) => {
                if !regions.is_empty() && !regions.contains(&region) {
                    continue; // outside the regions in scope
                }
                let client = clients
                    .entry(region.clone())
                    .or_insert_with(|| scope.shared.s3(&region))
                    .clone();
                work.push((b, region, client));
            }
            Err(f) => {
                let mut r =
                    scope.resource_in(BUCKET, format!("arn:aws:s3:::{name}"), name, GLOBAL_REGION);
                put(&mut r, json!({"creation_date": ts(b.creation_date())}));
                set_prop(&mut r, "location", "s3:GetBucketLocation", Err(f));
                out.resources.push(r);
            }
        }
    }
    let resources = futures_util::stream::iter(work)
        .map(|(b, region, client)| {
            let scope = scope.clone();
            async move { bucket(&scope, &client, &b, &region).await }
        })
        .buffer_unordered(scope.fanout())
        .collect::<Vec<_>>()
        .await;
    out.resources.extend(resources);
    out
}

async fn list_buckets(scope: &Scope) -> Result<Vec<Bucket>, Failure> {
    let client = scope.shared.s3(GLOBAL_REGION);
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .list_buckets()
            .set_continuation_token(token.clone())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        all.extend(out.buckets.unwrap_or_default());
        match out.continuation_token {
            Some(t) if !t.is_empty() && Some(&t) != token.as_ref() => token = Some(t),
            _ => break,
        }
    }
    Ok(all)
}

async fn bucket_location(client: &aws_sdk_s3::Client, name: &str) -> Result<String, Failure> {
    let out = client
        .get_bucket_location()
        .bucket(name)
        .send()
        .await
        .map_err(|e| classify(&e))?;
    Ok(match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(r) => r.to_string(),
    })
}

/// `Ok(None)` when the service answers with one of the "not configured" codes.
fn absent<T>(r: Result<T, Failure>, codes: &[&str]) -> Result<Option<T>, Failure> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(f) if codes.iter().any(|c| f.is(c)) => Ok(None),
        Err(f) => Err(f),
    }
}

macro_rules! call {
    ($client:expr, $op:ident, $name:expr) => {
        async {
            $client
                .$op()
                .bucket($name)
                .send()
                .await
                .map_err(|e| classify(&e))
        }
    };
}

async fn bucket(scope: &Scope, client: &aws_sdk_s3::Client, b: &Bucket, region: &str) -> Resource {
    let name = b.name().unwrap_or_default();
    let mut r = scope.resource_in(BUCKET, format!("arn:aws:s3:::{name}"), name, region);
    put(&mut r, json!({"creation_date": ts(b.creation_date())}));

    let (policy, acl, pab, enc, ver, logging, lifecycle, lock, owner, tagging) = tokio::join!(
        call!(client, get_bucket_policy, name),
        call!(client, get_bucket_acl, name),
        call!(client, get_public_access_block, name),
        call!(client, get_bucket_encryption, name),
        call!(client, get_bucket_versioning, name),
        call!(client, get_bucket_logging, name),
        call!(client, get_bucket_lifecycle_configuration, name),
        call!(client, get_object_lock_configuration, name),
        call!(client, get_bucket_ownership_controls, name),
        call!(client, get_bucket_tagging, name),
    );

    let v = absent(policy, &["NoSuchBucketPolicy"]).map(|p| {
        p.and_then(|p| p.policy)
            .map(|t| policy::parse(&t))
            .unwrap_or(Value::Null)
    });
    set_prop(&mut r, "policy", "s3:GetBucketPolicy", v);

    let v = acl.map(|a| {
        Value::Array(
            a.grants()
                .iter()
                .map(|g| {
                    let ge = g.grantee();
                    json!({
                        "grantee_type": ge.map(|g| g.r#type().as_str()),
                        "grantee_uri": opt_str(ge.and_then(|g| g.uri())),
                        "grantee_id": opt_str(ge.and_then(|g| g.id())),
                        "permission": g.permission().map(|p| p.as_str()),
                    })
                })
                .collect(),
        )
    });
    set_prop(&mut r, "acl_grants", "s3:GetBucketAcl", v);

    let v = absent(pab, &["NoSuchPublicAccessBlockConfiguration"]).map(|p| {
        p.and_then(|p| p.public_access_block_configuration)
            .map(|c| {
                json!({
                    "block_public_acls": c.block_public_acls().unwrap_or(false),
                    "ignore_public_acls": c.ignore_public_acls().unwrap_or(false),
                    "block_public_policy": c.block_public_policy().unwrap_or(false),
                    "restrict_public_buckets": c.restrict_public_buckets().unwrap_or(false),
                })
            })
            .unwrap_or(Value::Null)
    });
    set_prop(&mut r, "public_access_block", "s3:GetPublicAccessBlock", v);

    let v = absent(enc, &["ServerSideEncryptionConfigurationNotFoundError"]).map(|e| {
        let rule = e
            .as_ref()
            .and_then(|e| e.server_side_encryption_configuration())
            .and_then(|c| c.rules().first());
        let default = rule.and_then(|r| r.apply_server_side_encryption_by_default());
        json!({
            "enabled": default.is_some(),
            "sse_algorithm": default.map(|d| d.sse_algorithm().as_str()),
            "kms_key_id": opt_str(default.and_then(|d| d.kms_master_key_id())),
            "bucket_key_enabled": rule.and_then(|r| r.bucket_key_enabled()).unwrap_or(false),
        })
    });
    set_prop(&mut r, "encryption", "s3:GetEncryptionConfiguration", v);

    let v = ver.map(|v| {
        json!({
            "status": v.status().map(|s| s.as_str()),
            "mfa_delete": v.mfa_delete().map(|s| s.as_str()),
        })
    });
    set_prop(&mut r, "versioning", "s3:GetBucketVersioning", v);

    let v = logging.map(|l| {
        let le = l.logging_enabled();
        json!({
            "enabled": le.is_some(),
            "target_bucket": le.map(|l| l.target_bucket()),
            "target_prefix": le.map(|l| l.target_prefix()),
        })
    });
    set_prop(&mut r, "logging", "s3:GetBucketLogging", v);

    let v = absent(lifecycle, &["NoSuchLifecycleConfiguration"])
        .map(|l| json!(l.map(|l| l.rules().len()).unwrap_or(0)));
    set_prop(&mut r, "lifecycle_rules", "s3:GetLifecycleConfiguration", v);

    let v = absent(lock, &["ObjectLockConfigurationNotFoundError"]).map(|l| {
        let conf = l.as_ref().and_then(|l| l.object_lock_configuration());
        let retention = conf.and_then(|c| c.rule()).and_then(|r| r.default_retention());
        json!({
            "enabled": conf.and_then(|c| c.object_lock_enabled()).is_some_and(|e| e.as_str() == "Enabled"),
            "mode": retention.and_then(|r| r.mode()).map(|m| m.as_str()),
            "days": retention.and_then(|r| r.days()),
            "years": retention.and_then(|r| r.years()),
        })
    });
    set_prop(
        &mut r,
        "object_lock",
        "s3:GetBucketObjectLockConfiguration",
        v,
    );

    let v = absent(owner, &["OwnershipControlsNotFoundError"]).map(|o| {
        o.and_then(|o| {
            o.ownership_controls()
                .and_then(|c| c.rules().first())
                .map(|r| Value::String(r.object_ownership().as_str().to_string()))
        })
        .unwrap_or(Value::Null)
    });
    set_prop(
        &mut r,
        "ownership_controls",
        "s3:GetBucketOwnershipControls",
        v,
    );

    match absent(tagging, &["NoSuchTagSet"]) {
        Ok(t) => {
            r.tags = t
                .map(|t| {
                    t.tag_set()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string()))
                        .collect::<BTreeMap<_, _>>()
                })
                .unwrap_or_default();
        }
        Err(f) => set_prop(&mut r, "tags", "s3:GetBucketTagging", Err(f)),
    }
    r
}

async fn account_pab(scope: &Scope) -> Resource {
    let account = scope.account().to_string();
    let mut r = scope.resource(
        ACCOUNT_PAB,
        format!("arn:aws:s3::{account}:account"),
        account.clone(),
    );
    let client = scope.shared.s3control();
    let res = client
        .get_public_access_block()
        .account_id(&account)
        .send()
        .await
        .map_err(|e| classify(&e));
    match absent(res, &["NoSuchPublicAccessBlockConfiguration"]) {
        Ok(conf) => {
            let c = conf.and_then(|o| o.public_access_block_configuration);
            put(
                &mut r,
                json!({
                    "configured": c.is_some(),
                    "block_public_acls": c.as_ref().and_then(|c| c.block_public_acls()).unwrap_or(false),
                    "ignore_public_acls": c.as_ref().and_then(|c| c.ignore_public_acls()).unwrap_or(false),
                    "block_public_policy": c.as_ref().and_then(|c| c.block_public_policy()).unwrap_or(false),
                    "restrict_public_buckets": c.as_ref().and_then(|c| c.restrict_public_buckets()).unwrap_or(false),
                }),
            );
        }
        Err(f) => set_prop(
            &mut r,
            "configured",
            "s3:GetAccountPublicAccessBlock",
            Err(f),
        ),
    }
    r
}
