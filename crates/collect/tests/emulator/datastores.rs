//! DynamoDB tables, Secrets Manager secrets, SSM documents and EFS file
//! systems of the seeded account (`Seed.datastores` in scripts/seed_demo.py).

use rampart_inventory::{ErrorKind, Inventory};
use serde_json::{Value, json};

use super::harness::{REGIONS, emulator};
use super::{count, find, seeded};

/// The secret values `Seed.datastores` writes into Secrets Manager: the
/// collector reads metadata only, so none may reach the inventory.
const SECRET_VALUES: [&str; 3] = [
    "Legacy-DB-pa55word-7731",
    "0rders-db-S3cret-9c4e2f",
    "pk_live_partner_51Hc0ffee7e57a9b",
];

fn manifest_count(rtype: &str) -> usize {
    let emu = emulator().expect("emulator");
    emu.manifest["counts"][rtype].as_u64().unwrap_or(0) as usize
}

fn assert_counts(inv: &Inventory) {
    for rtype in [
        "aws.dynamodb.table",
        "aws.secretsmanager.secret",
        "aws.ssm.document",
        "aws.efs.file_system",
    ] {
        let seeded = manifest_count(rtype);
        assert!(seeded > 0, "{rtype}: nothing seeded");
        assert_eq!(count(inv, rtype), seeded, "{rtype}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_tables() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    assert_counts(inv);
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.dynamodb.table", "sessions-legacy", r);
        assert!(legacy.errors.is_empty(), "{:?}", legacy.errors);
        assert!(
            legacy.uid.ends_with(":table/sessions-legacy"),
            "{}",
            legacy.uid
        );
        let p = &legacy.props;
        assert_eq!(p["point_in_time_recovery"], false);
        assert_eq!(p["deletion_protection"], false);
        assert_eq!(p["encryption_key_type"], "AWS_OWNED");
        assert_eq!(p["kms_key_arn"], Value::Null);
        assert_eq!(p["billing_mode"], "PAY_PER_REQUEST");
        assert_eq!(p["status"], "ACTIVE");
        assert_eq!(p["policy"], Value::Null);
        assert_eq!(p["stream_enabled"], false);

        // SSE with no key named: the account's aws/dynamodb key.
        let carts = find(inv, "aws.dynamodb.table", "carts", r);
        assert!(carts.errors.is_empty(), "{:?}", carts.errors);
        assert_eq!(carts.props["sse_type"], "KMS");
        assert_eq!(carts.props["encryption_key_type"], "AWS_MANAGED");
        assert!(
            carts.props["kms_key_arn"]
                .as_str()
                .unwrap()
                .contains(":key/")
        );

        let orders = find(inv, "aws.dynamodb.table", "orders", r);
        assert!(orders.errors.is_empty(), "{:?}", orders.errors);
        let p = &orders.props;
        assert_eq!(p["point_in_time_recovery"], true);
        assert_eq!(p["deletion_protection"], true);
        assert_eq!(p["encryption_key_type"], "CUSTOMER_MANAGED");
        assert_eq!(p["stream_enabled"], true);
        assert_eq!(p["stream_view_type"], "NEW_AND_OLD_IMAGES");
        assert_eq!(
            p["policy"]["Statement"][0]["Action"],
            json!(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"])
        );
        assert_eq!(
            orders.tags.get("contains_pii").map(String::as_str),
            Some("true")
        );
    }
    // One listing per region; per-table reads once per table.
    let ops = &stats.calls_by_operation;
    let tables = count(inv, "aws.dynamodb.table") as u64;
    assert_eq!(
        ops.get("dynamodb:ListTables"),
        Some(&(REGIONS.len() as u64))
    );
    for op in [
        "dynamodb:DescribeTable",
        "dynamodb:DescribeContinuousBackups",
        "dynamodb:ListTagsOfResource",
        "dynamodb:GetResourcePolicy",
    ] {
        assert_eq!(ops.get(op), Some(&tables), "{op}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secretsmanager_secrets() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.secretsmanager.secret", "legacy/db-password", r);
        assert!(legacy.errors.is_empty(), "{:?}", legacy.errors);
        assert!(
            legacy.uid.contains(":secret:legacy/db-password"),
            "{}",
            legacy.uid
        );
        let p = &legacy.props;
        assert_eq!(p["rotation_enabled"], false);
        assert_eq!(p["rotation_interval_days"], Value::Null);
        assert_eq!(p["last_rotated_date"], Value::Null);
        assert_eq!(p["kms_key_id"], Value::Null);
        assert_eq!(p["encryption_key_type"], "AWS_MANAGED");
        assert_eq!(p["policy"], Value::Null);
        assert!(p["created_date"].is_string());

        let orders = find(inv, "aws.secretsmanager.secret", "prod/orders-db", r);
        assert!(orders.errors.is_empty(), "{:?}", orders.errors);
        let p = &orders.props;
        assert_eq!(p["rotation_enabled"], true);
        assert_eq!(p["rotation_interval_days"], 30);
        assert!(
            p["rotation_lambda_arn"]
                .as_str()
                .unwrap()
                .ends_with(":function:secrets-rotator")
        );
        assert!(p["last_rotated_date"].is_string());
        assert_eq!(p["encryption_key_type"], "CUSTOMER_MANAGED");
        assert!(p["kms_key_id"].as_str().unwrap().contains(":key/"));
        assert!(
            p["policy"]["Statement"][0]["Principal"]["AWS"]
                .as_str()
                .unwrap()
                .ends_with(":role/lambda-exec")
        );
        assert_eq!(orders.tags.get("team").map(String::as_str), Some("orders"));

        let partner = find(inv, "aws.secretsmanager.secret", "partner/api-key", r);
        assert_eq!(
            partner.props["policy"]["Statement"][0]["Principal"]["AWS"],
            "*"
        );
    }
    let ops = &stats.calls_by_operation;
    assert_eq!(
        ops.get("secretsmanager:GetResourcePolicy"),
        Some(&(count(inv, "aws.secretsmanager.secret") as u64))
    );
}

/// No secret value reaches the inventory, and the collector never asks
/// for one.
#[tokio::test(flavor = "multi_thread")]
async fn secret_values_never_reach_the_inventory() {
    let Some((inv, stats)) = seeded().await else {
        return;
    };
    let seed = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/seed_demo.py"),
    )
    .unwrap();
    let whole = serde_json::to_string(inv).unwrap();
    for value in SECRET_VALUES {
        assert!(
            seed.contains(value),
            "{value} is no longer planted by the seed"
        );
        assert!(!whole.contains(value), "{value} stored in the inventory");
    }
    for op in stats.calls_by_operation.keys() {
        assert!(!op.contains("GetSecretValue"), "the collector called {op}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ssm_documents_and_settings() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.ssm.document", "legacy-runbook", r);
        assert!(legacy.errors.is_empty(), "{:?}", legacy.errors);
        assert!(
            legacy.uid.ends_with(":document/legacy-runbook"),
            "{}",
            legacy.uid
        );
        assert_eq!(legacy.props["public"], true);
        assert_eq!(legacy.props["shared_with"], json!([]));
        assert_eq!(legacy.props["document_type"], "Command");
        assert_eq!(legacy.props["document_format"], "JSON");
        let orders = find(inv, "aws.ssm.document", "orders-runbook", r);
        assert_eq!(orders.props["public"], false);
        assert_eq!(orders.props["shared_with"], json!([]));
        assert_eq!(orders.tags.get("team").map(String::as_str), Some("orders"));
    }
    // Documents owned by the account only, not AWS's own.
    assert!(
        inv.resources
            .iter()
            .filter(|r| r.resource_type == "aws.ssm.document")
            .all(|r| !r.name.starts_with("AWS-"))
    );
    if manifest_count("aws.ssm.account_settings") > 0 {
        for region in REGIONS {
            let s = find(
                inv,
                "aws.ssm.account_settings",
                "ssm-account-settings",
                Some(region),
            );
            assert_eq!(s.props["public_sharing_blocked"], false);
        }
    } else {
        // moto lacks GetServiceSetting: recorded per region as
        // `unsupported`, with no resource claiming anything.
        assert_eq!(count(inv, "aws.ssm.account_settings"), 0);
        for region in REGIONS {
            assert!(
                inv.errors.iter().any(|e| e.region == region
                    && e.action == "ssm:GetServiceSetting"
                    && e.kind == ErrorKind::Unsupported
                    && e.resource_types == ["aws.ssm.account_settings"]),
                "{region}: {:?}",
                inv.errors
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn efs_file_systems() {
    let Some((inv, _)) = seeded().await else {
        return;
    };
    for region in REGIONS {
        let r = Some(region);
        let legacy = find(inv, "aws.efs.file_system", "legacy-share", r);
        assert!(legacy.errors.is_empty(), "{:?}", legacy.errors);
        let p = &legacy.props;
        assert!(legacy.uid.contains(":file-system/fs-"), "{}", legacy.uid);
        assert_eq!(p["encrypted"], false);
        assert_eq!(p["encryption_key_type"], Value::Null);
        assert_eq!(p["backup_enabled"], false);
        // No file system policy: EFS's default, not an error.
        assert_eq!(p["policy"], Value::Null);
        assert_eq!(p["mount_targets"], 1);
        assert_eq!(p["access_points"], json!([]));
        assert_eq!(p["lifecycle_policies"], json!([]));

        let share = find(inv, "aws.efs.file_system", "orders-share", r);
        assert!(share.errors.is_empty(), "{:?}", share.errors);
        let p = &share.props;
        assert_eq!(p["encrypted"], true);
        assert_eq!(p["encryption_key_type"], "CUSTOMER_MANAGED");
        assert_eq!(p["backup_enabled"], true);
        assert_eq!(p["backup_status"], "ENABLED");
        assert_eq!(p["throughput_mode"], "elastic");
        assert_eq!(p["mount_targets"], 1);
        assert_eq!(p["policy"]["Statement"][1]["Effect"], "Deny");
        assert_eq!(
            p["lifecycle_policies"],
            json!([{"transition_to_ia": "AFTER_30_DAYS", "transition_to_archive": null,
                    "transition_to_primary_storage_class": null}])
        );
        assert_eq!(p["access_points"][0]["root_directory"], "/orders");
        assert_eq!(p["access_points"][0]["posix_uid"], 1000);
        assert_eq!(
            share.tags.get("contains_pii").map(String::as_str),
            Some("true")
        );

        // Encrypted with no key named: the aws/elasticfilesystem key.
        let scratch = find(inv, "aws.efs.file_system", "scratch-000", r);
        assert_eq!(scratch.props["encryption_key_type"], "AWS_MANAGED");
        assert_eq!(scratch.props["mount_targets"], 0);
    }
}

/// The production retry setting (adaptive, five attempts) must not change
/// how an API the endpoint lacks is recorded, and its HTML error page is not
/// retried (retrying only waits out the backoff for the same answer).
#[tokio::test(flavor = "multi_thread")]
async fn missing_service_setting_is_unsupported_with_default_retries() {
    let Some(emu) = emulator() else { return };
    let mut opts = super::harness::options(&emu.endpoint);
    opts.timeouts = rampart_collect::Timeouts::default();
    opts.services = Some(vec!["ssm".into()]);
    opts.regions = Some(vec!["ap-northeast-2".into()]);
    let (inv, stats) = super::scan(&opts).await;
    let e = inv
        .errors
        .iter()
        .find(|e| e.action == "ssm:GetServiceSetting")
        .expect("GetServiceSetting error");
    assert_eq!(e.kind, ErrorKind::Unsupported, "{}", e.message);
    assert_eq!(
        stats.http_requests, stats.api_calls,
        "no request was retried: {:?}",
        stats.calls_by_operation
    );
}
