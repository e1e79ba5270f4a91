//! One moto server for the whole test binary, started with
//! `scripts/moto.sh` on a free port and seeded with `scripts/seed_demo.py`.
//!
//! When the emulator cannot start the tests fail, loudly. Outside CI, and
//! only when `RAMPART_SKIP_EMULATOR=1` is set explicitly, they are skipped
//! with a message instead.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rampart_collect::{CollectOptions, Timeouts};
use serde_json::Value;

pub struct Emulator {
    pub endpoint: String,
    pub port: u16,
    pub manifest: Value,
}

pub const REGIONS: [&str; 2] = ["ap-northeast-2", "us-east-1"];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

fn start() -> Result<Emulator, String> {
    let repo = repo();
    let port = free_port();
    let state = std::env::temp_dir().join(format!("rampart-moto-{}", std::process::id()));
    let script = repo.join("scripts/moto.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg("start")
        .arg(port.to_string())
        .env("RAMPART_MOTO_DIR", &state)
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/moto.sh start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // Stop the server when this test process goes away.
    let _ = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; RAMPART_MOTO_DIR={state} bash {script} stop >/dev/null 2>&1",
            pid = std::process::id(),
            state = state.display(),
            script = script.display()
        ))
        .spawn();

    let venv = std::env::var("RAMPART_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo.join(".venv"));
    let endpoint = format!("http://127.0.0.1:{port}");
    // RAMPART_SEED_SCALE grows the account (the assertions hold at any scale).
    let scale = std::env::var("RAMPART_SEED_SCALE").unwrap_or_else(|_| "2".into());
    let seed = Command::new(venv.join("bin/python"))
        .arg(repo.join("scripts/seed_demo.py"))
        .args(["--endpoint", &endpoint, "--scale", &scale])
        .output()
        .map_err(|e| format!("running seed_demo.py: {e}"))?;
    if !seed.status.success() {
        return Err(format!(
            "seed_demo.py failed: {}",
            String::from_utf8_lossy(&seed.stderr)
        ));
    }
    let manifest: Value = serde_json::from_slice(&seed.stdout)
        .map_err(|e| format!("seed manifest is not JSON: {e}"))?;

    // Static fake credentials and no shared config: the SDK's standard
    // chain finds these first. Set once, before any test reads them.
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/nonexistent/rampart-test-config"),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/rampart-test-credentials",
        ),
    ] {
        // SAFETY: runs inside the OnceLock initialiser, which every test
        // enters before it does anything else, so no other thread reads
        // the environment concurrently.
        unsafe { std::env::set_var(k, v) };
    }
    Ok(Emulator {
        endpoint,
        port,
        manifest,
    })
}

static EMULATOR: OnceLock<Result<Emulator, String>> = OnceLock::new();

/// The shared, seeded emulator, or `None` when explicitly skipped.
pub fn emulator() -> Option<&'static Emulator> {
    match EMULATOR.get_or_init(start) {
        Ok(e) => Some(e),
        Err(msg) => {
            let ci = std::env::var_os("CI").is_some();
            let skip = std::env::var("RAMPART_SKIP_EMULATOR").is_ok_and(|v| v == "1");
            if skip && !ci {
                eprintln!("SKIPPED (RAMPART_SKIP_EMULATOR=1): emulator unavailable: {msg}");
                None
            } else {
                panic!("the moto emulator could not be started: {msg}");
            }
        }
    }
}

/// Options for a scan of the seeded regions through `endpoint`.
pub fn options(endpoint: &str) -> CollectOptions {
    CollectOptions {
        endpoint_url: Some(endpoint.to_string()),
        regions: Some(REGIONS.iter().map(|r| r.to_string()).collect()),
        timeouts: Timeouts {
            max_attempts: 2,
            ..Timeouts::default()
        },
        ..CollectOptions::default()
    }
}
