//! ECR private repositories: who may pull or push (the repository policy),
//! tag immutability, encryption, lifecycle policy, and whether images are
//! scanned for vulnerabilities.
//!
//! Scanning is decided at two levels: the legacy per-repository
//! `scanOnPush` flag and the registry's scanning configuration (basic or
//! enhanced, with repository filters). BatchGetRepositoryScanningConfiguration
//! answers what actually applies to each repository, so `scan_frequency` is
//! read from it (25 repositories per call) rather than re-derived here.

use std::collections::HashMap;

use futures_util::StreamExt;
use serde_json::{Value, json};

use super::Service;
use crate::failure::{Failure, classify};
use crate::policy;
use crate::scope::{Output, Scope, all_items, opt_str, put, set_prop, ts};

pub(crate) const REPOSITORY: &str = "aws.ecr.repository";

pub(crate) const SERVICE: Service = Service {
    name: "ecr",
    global: false,
    types: &[REPOSITORY],
    collect: |s| Box::pin(collect(s)),
};

/// BatchGetRepositoryScanningConfiguration takes at most 25 names.
const SCAN_BATCH: usize = 25;

/// The effective scanning of one repository: `scan_frequency` and the
/// filters of the registry rule that matched it.
type Scanning = Result<(Value, Value), Failure>;

async fn collect(scope: Scope) -> Output {
    let client = scope.ecr();
    let mut out = Output::default();
    let (repos, registry) = tokio::join!(
        all_items!(client.describe_repositories()),
        client.get_registry_scanning_configuration().send(),
    );
    let repos = match repos {
        Ok(r) => r,
        Err(f) => {
            out.fail(&scope, &[REPOSITORY], "ecr:DescribeRepositories", f);
            return out;
        }
    };
    let registry_scan_type: Result<Value, Failure> = registry
        .map(|o| {
            o.scanning_configuration()
                .and_then(|c| c.scan_type())
                .map(|t| Value::String(t.as_str().to_string()))
                .unwrap_or(Value::Null)
        })
        .map_err(|e| classify(&e));

    let names: Vec<String> = repos
        .iter()
        .filter_map(|r| r.repository_name().map(str::to_string))
        .collect();
    let (scanning, built) = tokio::join!(
        scanning(&client, &names, scope.fanout()),
        futures_util::stream::iter(repos)
            .map(|repo| {
                let (scope, client) = (&scope, &client);
                async move { repository(scope, client, repo).await }
            })
            .buffer_unordered(scope.fanout())
            .collect::<Vec<_>>(),
    );
    for mut r in built {
        set_prop(
            &mut r,
            "registry_scan_type",
            "ecr:GetRegistryScanningConfiguration",
            registry_scan_type.clone(),
        );
        let found = scanning.get(&r.name).cloned().unwrap_or_else(|| {
            Err(Failure::new(
                rampart_inventory::ErrorKind::Other,
                "the repository is missing from the answer",
            ))
        });
        match found {
            Ok((frequency, filters)) => {
                put(
                    &mut r,
                    json!({"scan_frequency": frequency, "scan_filters": filters}),
                );
            }
            Err(f) => {
                let action = "ecr:BatchGetRepositoryScanningConfiguration";
                set_prop(&mut r, "scan_frequency", action, Err(f.clone()));
                set_prop(&mut r, "scan_filters", action, Err(f));
            }
        }
        out.resources.push(r);
    }
    out
}

/// Effective scanning configuration of every repository, by name.
async fn scanning(
    client: &aws_sdk_ecr::Client,
    names: &[String],
    fanout: usize,
) -> HashMap<String, Scanning> {
    // Owned batches: a stream of borrowed slices trips the compiler's
    // higher-ranked lifetime check once the collector future must be Send.
    let batches: Vec<Vec<String>> = names.chunks(SCAN_BATCH).map(<[String]>::to_vec).collect();
    let answers = futures_util::stream::iter(batches)
        .map(|batch| {
            let client = client.clone();
            async move {
                let res = client
                    .batch_get_repository_scanning_configuration()
                    .set_repository_names(Some(batch.clone()))
                    .send()
                    .await;
                (batch, res)
            }
        })
        .buffer_unordered(fanout)
        .collect::<Vec<_>>()
        .await;
    let mut by_name = HashMap::new();
    for (batch, res) in answers {
        match res {
            Ok(o) => {
                for c in o.scanning_configurations() {
                    let Some(name) = c.repository_name() else {
                        continue;
                    };
                    let filters: Vec<Value> = c
                        .applied_scan_filters()
                        .iter()
                        .map(|f| Value::String(f.filter().to_string()))
                        .collect();
                    by_name.insert(
                        name.to_string(),
                        Ok((
                            c.scan_frequency()
                                .map(|f| Value::String(f.as_str().to_string()))
                                .unwrap_or(Value::Null),
                            Value::Array(filters),
                        )),
                    );
                }
                for f in o.failures() {
                    if let Some(name) = f.repository_name() {
                        let why = format!(
                            "{}: {}",
                            f.failure_code().map(|c| c.as_str()).unwrap_or("failure"),
                            f.failure_reason().unwrap_or_default()
                        );
                        by_name.insert(
                            name.to_string(),
                            Err(Failure::new(rampart_inventory::ErrorKind::Other, why)),
                        );
                    }
                }
            }
            Err(e) => {
                let f = classify(&e);
                for name in batch {
                    by_name.insert(name.clone(), Err(f.clone()));
                }
            }
        }
    }
    by_name
}

/// One repository with its policy, lifecycle policy and tags.
async fn repository(
    scope: &Scope,
    client: &aws_sdk_ecr::Client,
    repo: aws_sdk_ecr::types::Repository,
) -> rampart_inventory::Resource {
    let name = repo.repository_name().unwrap_or_default().to_string();
    let arn = repo
        .repository_arn()
        .map(str::to_string)
        .unwrap_or_else(|| scope.arn("ecr", &format!("repository/{name}")));
    let mut r = scope.resource(REPOSITORY, arn.clone(), name.clone());
    let encryption = repo.encryption_configuration();
    put(
        &mut r,
        json!({
            "registry_id": opt_str(repo.registry_id()),
            "uri": opt_str(repo.repository_uri()),
            "created_at": ts(repo.created_at()),
            "image_tag_mutability": repo.image_tag_mutability().map(|m| m.as_str()),
            "image_tag_mutability_exclusion_filters": repo
                .image_tag_mutability_exclusion_filters()
                .iter()
                .map(|f| f.filter())
                .collect::<Vec<_>>(),
            // Repositories created without a setting read back as AES256.
            "encryption_type": encryption.map(|e| e.encryption_type().as_str()).unwrap_or("AES256"),
            "kms_key": opt_str(encryption.and_then(|e| e.kms_key())),
            "scan_on_push": repo.image_scanning_configuration().is_some_and(|c| c.scan_on_push()),
        }),
    );
    let (policy_res, lifecycle, tags) = tokio::join!(
        client.get_repository_policy().repository_name(&name).send(),
        client.get_lifecycle_policy().repository_name(&name).send(),
        client.list_tags_for_resource().resource_arn(&arn).send(),
    );
    let policy_value = match policy_res {
        Ok(p) => Ok(p.policy_text().map(policy::parse).unwrap_or(Value::Null)),
        Err(e) => {
            let f = classify(&e);
            if f.is("RepositoryPolicyNotFoundException") {
                Ok(Value::Null)
            } else {
                Err(f)
            }
        }
    };
    set_prop(&mut r, "policy", "ecr:GetRepositoryPolicy", policy_value);
    let lifecycle_rules = match lifecycle {
        Ok(l) => Ok(l
            .lifecycle_policy_text()
            .map(|t| {
                lifecycle_rule_count(t)
                    .map(Value::from)
                    .unwrap_or(Value::Null)
            })
            .unwrap_or(Value::from(0))),
        Err(e) => {
            let f = classify(&e);
            if f.is("LifecyclePolicyNotFoundException") {
                Ok(Value::from(0))
            } else {
                Err(f)
            }
        }
    };
    let has_policy = lifecycle_rules
        .as_ref()
        .map(|n| Value::Bool(n.as_u64() != Some(0)))
        .map_err(Clone::clone);
    set_prop(
        &mut r,
        "lifecycle_policy",
        "ecr:GetLifecyclePolicy",
        has_policy,
    );
    set_prop(
        &mut r,
        "lifecycle_rule_count",
        "ecr:GetLifecyclePolicy",
        lifecycle_rules,
    );
    match tags {
        Ok(t) => {
            r.tags = t
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
        }
        Err(e) => set_prop(&mut r, "tags", "ecr:ListTagsForResource", Err(classify(&e))),
    }
    r
}

/// Rules in a lifecycle policy document; `None` when the text is not the
/// JSON ECR documents.
fn lifecycle_rule_count(text: &str) -> Option<usize> {
    let doc: Value = serde_json::from_str(text).ok()?;
    doc.get("rules").and_then(Value::as_array).map(Vec::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_rules_are_counted() {
        let text = r#"{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}"#;
        assert_eq!(lifecycle_rule_count(text), Some(1));
        assert_eq!(lifecycle_rule_count(r#"{"rules":[]}"#), Some(0));
        assert_eq!(lifecycle_rule_count("not json"), None);
    }
}
