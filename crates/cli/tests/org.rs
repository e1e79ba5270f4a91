//! Organization scans and the credential chain, through the CLI against the
//! AWS emulator: `rampart scan --org` enters every member account of the
//! seeded organization; `--profile` (shared files, `role_arn` +
//! `source_profile`, the profile's `endpoint_url`), `--role-arn` with
//! `--external-id`, and `AWS_ENDPOINT_URL` are honoured as the AWS SDKs do.
//!
//! The environment is per process, so every scan is a child process of the
//! `rampart` binary with its own variables. moto hands out credentials for
//! any role, so a refused AssumeRole comes from a small proxy in front of it.
//! Needs moto (scripts/moto.sh installs it); fails loudly without it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn venv() -> PathBuf {
    std::env::var("RAMPART_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo().join(".venv"))
}

struct Moto {
    state: PathBuf,
    port: u16,
    endpoint: String,
    manifest: Value,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(repo().join("scripts/moto.sh"))
            .arg("stop")
            .env("RAMPART_MOTO_DIR", &self.state)
            .output();
    }
}

/// One seeded emulator for the tests of this file. The statics are never
/// dropped, so a watcher stops the server when the test process ends.
fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let state = std::env::temp_dir().join(format!("rampart-cli-org-{}", std::process::id()));
        let script = repo().join("scripts/moto.sh");
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", &port.to_string()])
            .env("RAMPART_MOTO_DIR", &state)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "the moto emulator could not be started (scripts/moto.sh install): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 1; done; RAMPART_MOTO_DIR={state} bash {script} stop >/dev/null 2>&1",
                pid = std::process::id(),
                state = state.display(),
                script = script.display()
            ))
            .spawn();
        let endpoint = format!("http://127.0.0.1:{port}");
        let out = Command::new(venv().join("bin/python"))
            .arg(repo().join("scripts/seed_demo.py"))
            .args(["--endpoint", &endpoint, "--scale", "1"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seeding failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Moto {
            state,
            port,
            endpoint,
            manifest: serde_json::from_slice(&out.stdout).unwrap(),
        }
    })
}

/// The seeded organization's account id named `name`.
fn account(m: &Moto, name: &str) -> String {
    m.manifest["org"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .and_then(|a| a["id"].as_str())
        .unwrap_or_else(|| panic!("no account {name} in {}", m.manifest["org"]))
        .to_string()
}

/// `rampart` with a clean AWS environment: no credentials, no profile, no
/// shared files, no endpoint. Each test adds what it exercises.
fn rampart() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rampart"));
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "RAMPART_DB",
    ] {
        c.env_remove(k);
    }
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("AWS_ENDPOINT_URL_")) {
        c.env_remove(k);
    }
    c.env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/rampart-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/rampart-test-credentials",
        )
        .env("NO_COLOR", "1");
    c
}

/// `rampart` with static test credentials and the endpoint from the
/// environment, as the other emulator tests run it.
fn rampart_env(endpoint: &str) -> Command {
    let mut c = rampart();
    c.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    c
}

/// Runs a JSON scan; the exit code must be 0 or 1 (findings), never 2.
fn scan_json(mut c: Command) -> Value {
    let out: Output = c.args(["--format", "json"]).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "scan failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// A loopback HTTP/1.1 proxy in front of moto that records AssumeRole
/// requests and refuses those `refuse` picks, answering as STS does.
struct Proxy {
    endpoint: String,
    assume_role_bodies: Arc<Mutex<Vec<String>>>,
}

type Refuse = dyn Fn(&str) -> bool + Send + Sync;

fn proxy(upstream: u16, refuse: Arc<Refuse>) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (log, refuse) = (log.clone(), refuse.clone());
            thread::spawn(move || {
                let _ = serve(conn, upstream, &*refuse, &log);
            });
        }
    });
    Proxy {
        endpoint,
        assume_role_bodies: seen,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request: (head, body), or `None` when the client closed.
fn read_request(conn: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<Option<(String, Vec<u8>)>> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    buf.drain(..head_end + length);
    Ok(Some((head, body)))
}

fn serve(
    mut conn: TcpStream,
    upstream: u16,
    refuse: &Refuse,
    seen: &Mutex<Vec<String>>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    while let Some((head, body)) = read_request(&mut conn, &mut buf)? {
        let text = String::from_utf8_lossy(&body).to_string();
        if text.contains("Action=AssumeRole") {
            seen.lock().unwrap().push(text.clone());
            if refuse(&text) {
                let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>\
                    <Message>User is not authorized to perform: sts:AssumeRole (test proxy)</Message>\
                    </Error><RequestId>proxy</RequestId></ErrorResponse>";
                write!(
                    conn,
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )?;
                continue;
            }
        }
        // Forward on a fresh connection that closes after the answer, and
        // tell the client this one closes too.
        let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
        let mut out = String::new();
        for line in head.split("\r\n").filter(|l| !l.is_empty()) {
            if !line.to_ascii_lowercase().starts_with("connection:") {
                out.push_str(line);
                out.push_str("\r\n");
            }
        }
        out.push_str("Connection: close\r\n\r\n");
        up.write_all(out.as_bytes())?;
        up.write_all(&body)?;
        let mut resp = Vec::new();
        up.read_to_end(&mut resp)?;
        let end = find(&resp, b"\r\n\r\n").map_or(resp.len(), |i| i + 4);
        let mut fixed = String::new();
        for line in String::from_utf8_lossy(&resp[..end])
            .split("\r\n")
            .filter(|l| !l.is_empty())
        {
            if !line.to_ascii_lowercase().starts_with("connection:") {
                fixed.push_str(line);
                fixed.push_str("\r\n");
            }
        }
        fixed.push_str("Connection: close\r\n\r\n");
        conn.write_all(fixed.as_bytes())?;
        conn.write_all(&resp[end..])?;
        conn.flush()?;
        return Ok(());
    }
    Ok(())
}

/// `rampart scan --org`: every account of the organization is accounted
/// for. The member's planted bucket fails under the member's account id; a
/// member whose role is refused, and later a suspended member, are
/// reported as errors while the scan completes and stores.
#[test]
fn org_scan_covers_every_account_and_reports_the_unreachable_ones() {
    let m = moto();
    let management = m.manifest["org"]["management_account"]
        .as_str()
        .unwrap()
        .to_string();
    let workloads = account(m, "acme-workloads");
    let sandbox = account(m, "acme-sandbox");
    let listed = m.manifest["org"]["accounts"].as_array().unwrap().len();
    assert_eq!(listed, 3);

    let refused = sandbox.clone();
    let px = proxy(
        m.port,
        Arc::new(move |body: &str| body.contains(&format!("%3A{refused}%3Arole"))),
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let mut c = rampart_env(&px.endpoint);
    c.arg("--db").arg(&db).args([
        "scan",
        "--org",
        "--regions",
        "us-east-1",
        "--services",
        "organizations,s3,iam",
    ]);
    let scan = scan_json(c);
    let findings = scan["findings"].as_array().unwrap();

    // Scanned: the management account with its own credentials, the
    // workloads account through its role; the sandbox's role was refused.
    let mut scanned = vec![management.clone(), workloads.clone()];
    scanned.sort();
    assert_eq!(strings(&scan["scan"]["accounts"]), scanned);
    let errors = scan["scan"]["collection_errors"].as_array().unwrap();
    let refusal = errors
        .iter()
        .find(|e| e["account"] == sandbox.as_str())
        .unwrap_or_else(|| panic!("no error for the sandbox: {errors:#?}"));
    assert_eq!(refusal["action"], "sts:AssumeRole");
    assert_eq!(refusal["kind"], "access_denied");
    assert!(
        refusal["message"]
            .as_str()
            .unwrap()
            .contains("role/OrganizationAccountAccessRole"),
        "{refusal}"
    );
    // Its rules report `error`, never pass, and nothing else of it exists.
    let of_sandbox: Vec<&Value> = findings
        .iter()
        .filter(|f| f["account"] == sandbox.as_str())
        .collect();
    assert!(!of_sandbox.is_empty());
    for f in of_sandbox {
        assert_eq!(f["status"], "error", "{f}");
        assert!(
            f["reason"]
                .as_str()
                .unwrap()
                .contains("access denied for sts:AssumeRole"),
            "{f}"
        );
    }
    // Every ACTIVE member was tried exactly once; the caller never.
    let bodies = px.assume_role_bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2, "{bodies:#?}");
    assert!(!bodies.iter().any(|b| b.contains(&management)));

    // The member's planted resources fail under the member's account id.
    for p in m.manifest["org"]["member_resources"].as_array().unwrap() {
        let hits: Vec<&Value> = findings
            .iter()
            .filter(|f| f["resource_type"] == p["type"] && f["resource_name"] == p["name"])
            .collect();
        assert!(!hits.is_empty(), "{p} not collected");
        assert!(
            hits.iter().all(|f| f["account"] == p["account"]),
            "{hits:#?}"
        );
        assert!(
            hits.iter().any(
                |f| f["status"] == "fail" && f["rule_id"] == "s3-bucket-default-encryption-off"
            ),
            "{p}: {hits:#?}"
        );
    }
    // The organization's guardrails are judged once, on the management
    // account (seeded compliant); the members' resources are out of scope.
    let org_findings: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            f["resource_type"] == "aws.organizations.organization" && f["status"] != "error"
        })
        .collect();
    assert_eq!(org_findings.len(), 2, "{org_findings:#?}");
    for f in &org_findings {
        assert_eq!(f["account"], management.as_str());
        assert_eq!(f["status"], "pass", "{f}");
    }

    // The stored scan carries every scanned account.
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .arg("--db")
        .arg(&db)
        .args(["findings", "--format", "json", "--account", &workloads])
        .env_remove("RAMPART_DB")
        .output()
        .unwrap();
    let stored: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stored = stored["findings"].as_array().unwrap();
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|f| f["account"] == workloads.as_str()));

    // Close the sandbox: a suspended account is not attempted and is
    // reported, and the rest is scanned as before.
    let close = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import sys, boto3\n\
             boto3.client('organizations', endpoint_url=sys.argv[1], region_name='us-east-1',\n\
                 aws_access_key_id='testing', aws_secret_access_key='testing').close_account(AccountId=sys.argv[2])",
            &m.endpoint,
            &sandbox,
        ])
        .output()
        .unwrap();
    assert!(
        close.status.success(),
        "{}",
        String::from_utf8_lossy(&close.stderr)
    );
    let px = proxy(m.port, Arc::new(|_: &str| false));
    let mut c = rampart_env(&px.endpoint);
    c.arg("--db").arg(&db).args([
        "scan",
        "--org",
        "--regions",
        "us-east-1",
        "--services",
        "organizations,s3",
        "--max-accounts-parallel",
        "1",
    ]);
    let scan = scan_json(c);
    assert_eq!(strings(&scan["scan"]["accounts"]), scanned);
    let errors = scan["scan"]["collection_errors"].as_array().unwrap();
    let suspended: Vec<&Value> = errors
        .iter()
        .filter(|e| e["account"] == sandbox.as_str())
        .collect();
    assert_eq!(suspended.len(), 1, "{errors:#?}");
    assert!(
        suspended[0]["message"]
            .as_str()
            .unwrap()
            .contains("SUSPENDED"),
        "{}",
        suspended[0]
    );
    let bodies = px.assume_role_bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "only the workloads role: {bodies:#?}");
    assert!(bodies[0].contains(&workloads));

    // Asking for an account the organization does not have is an error (2).
    let out = rampart_env(&m.endpoint)
        .args([
            "scan",
            "--no-store",
            "--org",
            "--org-accounts",
            "999999999999",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("999999999999"));
}

/// Writes shared config and credentials files; returns their paths.
fn shared_files(dir: &Path, config: &str, credentials: &str) -> (PathBuf, PathBuf) {
    let (c, k) = (dir.join("config"), dir.join("credentials"));
    std::fs::write(&c, config).unwrap();
    std::fs::write(&k, credentials).unwrap();
    (c, k)
}

/// `--profile` from the shared files, the profile's `endpoint_url`, a
/// profile assuming a role through `source_profile`, and `--role-arn` with
/// `--external-id`.
#[test]
fn credential_chain_profiles_roles_and_endpoints() {
    let m = moto();
    let management = m.manifest["org"]["management_account"]
        .as_str()
        .unwrap()
        .to_string();
    let workloads = account(m, "acme-workloads");
    let member_bucket = m.manifest["org"]["member_resources"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let (config, credentials) = shared_files(
        dir.path(),
        &format!(
            "[profile dev]\nregion = us-east-1\nendpoint_url = {ep}\n\n\
             [profile workloads]\nregion = us-east-1\nendpoint_url = {ep}\n\
             role_arn = arn:aws:iam::{workloads}:role/OrganizationAccountAccessRole\n\
             source_profile = dev\nrole_session_name = rampart-test\n",
            ep = m.endpoint
        ),
        "[dev]\naws_access_key_id = AKIAIOSFODNN7DEVPROF\naws_secret_access_key = dev-profile-secret\n",
    );
    let with_files = |profile: &str| {
        let mut c = rampart();
        c.env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env_remove("AWS_REGION")
            .args(["scan", "--no-store", "--profile", profile]);
        c
    };

    // The profile's keys and endpoint: no credentials or endpoint in the
    // environment at all.
    let mut c = with_files("dev");
    c.args(["--services", "organizations"]);
    let scan = scan_json(c);
    assert_eq!(strings(&scan["scan"]["accounts"]), [management.as_str()]);
    assert!(
        scan["scan"]["collection_errors"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // AWS_PROFILE works like --profile.
    let mut c = rampart();
    c.env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .env("AWS_PROFILE", "dev")
        .args(["scan", "--no-store", "--services", "organizations"]);
    assert_eq!(
        strings(&scan_json(c)["scan"]["accounts"]),
        [management.as_str()]
    );

    // role_arn + source_profile: the scan is of the role's account, and S3
    // (path-style through the profile's endpoint) finds the member's bucket.
    let mut c = with_files("workloads");
    c.args(["--services", "s3", "--regions", "us-east-1"]);
    let scan = scan_json(c);
    assert_eq!(strings(&scan["scan"]["accounts"]), [workloads.as_str()]);
    assert!(
        scan["scan"]["collection_errors"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        scan["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["resource_name"] == member_bucket.as_str()
                && f["account"] == workloads.as_str()),
        "member bucket not found"
    );

    // --role-arn with --external-id, through AWS_ENDPOINT_URL: the external
    // id reaches STS.
    let px = proxy(m.port, Arc::new(|_: &str| false));
    let mut c = rampart_env(&px.endpoint);
    c.args([
        "scan",
        "--no-store",
        "--services",
        "organizations",
        "--role-arn",
        &format!("arn:aws:iam::{workloads}:role/OrganizationAccountAccessRole"),
        "--external-id",
        "rampart-ext-42",
    ]);
    let scan = scan_json(c);
    assert_eq!(strings(&scan["scan"]["accounts"]), [workloads.as_str()]);
    let bodies = px.assume_role_bodies.lock().unwrap().clone();
    assert!(!bodies.is_empty());
    assert!(
        bodies
            .iter()
            .all(|b| b.contains("ExternalId=rampart-ext-42")),
        "{bodies:#?}"
    );

    // A refused --role-arn is fatal (exit 2) and names the role.
    let refuse_all = proxy(m.port, Arc::new(|_: &str| true));
    let out = rampart_env(&refuse_all.endpoint)
        .args([
            "scan",
            "--no-store",
            "--services",
            "organizations",
            "--role-arn",
            &format!("arn:aws:iam::{workloads}:role/Nope"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("role/Nope"), "{stderr}");
}
