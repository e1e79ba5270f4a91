//! Failure paths: access denied, throttling, unsupported APIs, unreachable
//! and disabled regions, endpoints and credentials from the environment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rampart_collect::{CollectOptions, NoProgress, Timeouts, collect};
use rampart_inventory::ErrorKind;
use serde_json::Value;

use super::harness::{REGIONS, emulator, options};
use super::proxy::{self, Answer, Req};
use super::{count, find, scan, unexpected_failures};

/// A proxy that denies and throttles chosen calls: the inventory records
/// each failure with its kind and IAM action, and everything else is still
/// collected.
#[tokio::test(flavor = "multi_thread")]
async fn access_denied_and_throttling_are_recorded() {
    let Some(emu) = emulator() else { return };
    let rule: proxy::Rule = Arc::new(|req: &Req| {
        if req.method == "GET"
            && req.path.contains("acme-public-assets")
            && req.path.ends_with("?policy")
        {
            return proxy::s3_error("AccessDenied", 403);
        }
        if req.method == "GET" && req.path.ends_with("?ownershipControls") {
            return proxy::s3_error("NotImplemented", 501);
        }
        match req.action.as_deref() {
            Some("DescribeSecurityGroups") => proxy::ec2_error("UnauthorizedOperation", 403),
            Some("ListKeys") => proxy::json_error("ThrottlingException", 400),
            Some("GetCredentialReport") => proxy::query_error("AccessDenied", 403),
            _ => Answer::Forward,
        }
    });
    let endpoint = proxy::start(emu.port, rule).await;
    let mut opts = options(&endpoint);
    opts.services = Some(vec!["s3".into(), "ec2".into(), "kms".into(), "iam".into()]);
    let (inv, _) = scan(&opts).await;

    for region in REGIONS {
        let sfx = region.replace('-', "");
        let public = find(
            &inv,
            "aws.s3.bucket",
            &format!("acme-public-assets-{sfx}"),
            Some(region),
        );
        let e = public.prop_error("policy").expect("policy error recorded");
        assert_eq!(
            (e.kind, e.action.as_str()),
            (ErrorKind::AccessDenied, "s3:GetBucketPolicy")
        );
        assert_eq!(public.props["policy"], Value::Null);
        assert_eq!(
            public.props["encryption"]["enabled"], false,
            "other parts still collected"
        );
        let secure = find(
            &inv,
            "aws.s3.bucket",
            &format!("acme-secure-data-{sfx}"),
            Some(region),
        );
        assert!(secure.prop_error("policy").is_none());
        let e = secure
            .prop_error("ownership_controls")
            .expect("ownership error recorded");
        assert_eq!(
            (e.kind, e.action.as_str()),
            (ErrorKind::Unsupported, "s3:GetBucketOwnershipControls")
        );

        let sg = inv
            .errors
            .iter()
            .find(|e| e.region == region && e.action == "ec2:DescribeSecurityGroups")
            .expect("SG error");
        assert_eq!(sg.kind, ErrorKind::AccessDenied);
        assert_eq!(sg.resource_types, vec!["aws.ec2.security_group"]);
        assert_eq!(
            sg.reason(),
            format!(
                "could not collect: access denied for ec2:DescribeSecurityGroups ({})",
                sg.message
            )
        );
        assert!(
            inv.resources
                .iter()
                .any(|r| r.resource_type == "aws.ec2.instance" && r.region == region)
        );

        let kms = inv
            .errors
            .iter()
            .find(|e| e.region == region && e.action == "kms:ListKeys")
            .expect("KMS error");
        assert_eq!(kms.kind, ErrorKind::Throttled);
        assert_eq!(kms.resource_types, vec!["aws.kms.key"]);
    }
    // Without the credential report, users still come with keys and MFA,
    // and the props the report alone holds carry the failure.
    let report = inv
        .errors
        .iter()
        .find(|e| e.action == "iam:GetCredentialReport")
        .expect("report error");
    assert_eq!(report.kind, ErrorKind::AccessDenied);
    let alice = find(&inv, "aws.iam.user", "alice-admin", None);
    assert_eq!(
        alice.prop_error("console_access").map(|e| e.kind),
        Some(ErrorKind::AccessDenied),
        "{:?}",
        alice.errors
    );
    assert_eq!(alice.props["access_keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(alice.props["mfa_active"], false);
}

/// One region's endpoint never answers and another's does not know the
/// credentials (a disabled opt-in region): both are recorded and skipped
/// within seconds, and the healthy region is collected in full.
#[tokio::test(flavor = "multi_thread")]
async fn unreachable_and_disabled_regions_are_skipped() {
    let Some(emu) = emulator() else { return };
    let rule: proxy::Rule = Arc::new(|req: &Req| match req.region.as_deref() {
        Some("eu-west-3") => Answer::Hang,
        Some("me-south-1") => proxy::query_error("InvalidClientTokenId", 403),
        _ => Answer::Forward,
    });
    let endpoint = proxy::start(emu.port, rule).await;
    let mut opts = options(&endpoint);
    opts.regions = Some(vec![
        "us-east-1".into(),
        "eu-west-3".into(),
        "me-south-1".into(),
    ]);
    opts.services = Some(vec!["ec2".into(), "kms".into()]);
    opts.timeouts = Timeouts {
        probe: Duration::from_secs(2),
        ..opts.timeouts
    };
    let started = Instant::now();
    let (inv, stats) = scan(&opts).await;
    let took = started.elapsed();
    // A hang guard, not a benchmark: without the probe this would take
    // minutes of retries.
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert_eq!(stats.skipped_regions, vec!["eu-west-3", "me-south-1"]);
    assert_eq!(stats.regions, vec!["us-east-1"]);
    for (region, kind) in [
        ("eu-west-3", ErrorKind::Unreachable),
        ("me-south-1", ErrorKind::RegionDisabled),
    ] {
        for svc in ["ec2", "kms"] {
            let e = inv
                .errors
                .iter()
                .find(|e| e.region == region && e.service == svc)
                .unwrap_or_else(|| panic!("{svc} {region}"));
            assert_eq!(e.kind, kind, "{svc} {region}: {}", e.message);
            assert!(!e.resource_types.is_empty());
        }
    }
    assert!(inv.resources.iter().all(|r| r.region == "us-east-1"));
    assert!(count(&inv, "aws.ec2.instance") > 0);
    assert_eq!(inv.regions, vec!["eu-west-3", "me-south-1", "us-east-1"]);
}

/// `AWS_ENDPOINT_URL` and the per-service `AWS_ENDPOINT_URL_<SERVICE>` are
/// honoured as the AWS SDKs do. The environment is per process, so the scan
/// runs in a child test process with the variables set.
#[tokio::test(flavor = "multi_thread")]
async fn endpoint_from_environment() {
    let Some(emu) = emulator() else { return };
    let exe = std::env::current_exe().unwrap();
    let dead = "http://127.0.0.1:9"; // discard port: nothing listens
    let cases: [(&str, Vec<(&str, &str)>); 2] = [
        // The global variable alone, S3 Control included.
        ("s3", vec![("AWS_ENDPOINT_URL", emu.endpoint.as_str())]),
        // Per-service variables win over a dead global one.
        (
            "kms",
            vec![
                ("AWS_ENDPOINT_URL", dead),
                ("AWS_ENDPOINT_URL_STS", emu.endpoint.as_str()),
                ("AWS_ENDPOINT_URL_KMS", emu.endpoint.as_str()),
            ],
        ),
    ];
    for (service, vars) in cases {
        let out = std::process::Command::new(&exe)
            .env_remove("AWS_PROFILE")
            .args([
                "--exact",
                "failures::child_scan_with_env_endpoint",
                "--ignored",
                "--nocapture",
            ])
            .env("RAMPART_CHILD_SERVICE", service)
            .envs(vars)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success() && text.contains("1 passed"),
            "{service}: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "run by endpoint_from_environment in a child process with the endpoint variables set"]
async fn child_scan_with_env_endpoint() {
    let service = std::env::var("RAMPART_CHILD_SERVICE").unwrap();
    let opts = CollectOptions {
        regions: Some(vec!["us-east-1".into()]),
        services: Some(vec![service.replace("no-credentials", "kms")]),
        timeouts: Timeouts {
            max_attempts: 1,
            ..Timeouts::default()
        },
        ..CollectOptions::default()
    };
    if service == "no-credentials" {
        let err = collect(&opts, &NoProgress).await.unwrap_err();
        assert!(
            matches!(err, rampart_collect::CollectError::NoCredentials(_)),
            "{err}"
        );
        return;
    }
    let (inv, _) = scan(&opts).await;
    assert_eq!(unexpected_failures(&inv), Vec::<String>::new());
    match service.as_str() {
        "s3" => {
            assert!(count(&inv, "aws.s3.bucket") > 0);
            let pab = inv
                .resources
                .iter()
                .find(|r| r.resource_type == "aws.s3.account_public_access_block")
                .unwrap();
            assert_eq!(pab.props["configured"], true);
        }
        _ => assert!(count(&inv, "aws.kms.key") > 0),
    }
}

/// No credentials anywhere in the chain is a fatal, clearly named error.
#[test]
fn missing_credentials_are_fatal() {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(&exe)
        .args([
            "--exact",
            "failures::child_scan_with_env_endpoint",
            "--ignored",
            "--nocapture",
        ])
        .env("RAMPART_CHILD_SERVICE", "no-credentials")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .env("AWS_CONFIG_FILE", "/nonexistent/rampart-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/rampart-test-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("1 passed"), "{text}");
}
