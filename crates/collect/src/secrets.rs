//! Likely credentials in text (EC2 user data) and in key/value maps (Lambda
//! environment variables).
//!
//! The inventory must never hold a customer's secret: collectors store the
//! text or map with every detected value replaced by [`REDACTED`] and record
//! what was found (kind and line, or variable and kind), never the value.
//! Detection is deliberately the same as the rules used to apply to the raw
//! text: AWS key ids and secret keys, private key blocks, GitHub / Slack /
//! Stripe token formats, and `password|passwd|secret|token|api_key` assigned
//! a literal. Values starting with `$`, `{` or `<` are references
//! (`$VAR`, `$(aws secretsmanager ...)`, `${...}`, `<placeholder>`), not
//! literals.

use std::sync::LazyLock;

use regex::Regex;

/// What replaces a secret value.
pub(crate) const REDACTED: &str = "***REDACTED***";

/// One credential found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextSecret {
    /// `aws_access_key_id`, `aws_secret_access_key`, `private_key`,
    /// `github_token`, `slack_token`, `stripe_key`, `password`, `secret`,
    /// `token` or `api_key`.
    pub kind: &'static str,
    /// 1-based line of the start of the value.
    pub line: usize,
}

/// One environment variable that holds a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VarSecret {
    pub variable: String,
    pub kind: &'static str,
}

/// The patterns are constants: a failure to compile is a bug caught by the
/// unit tests, not a runtime condition.
#[allow(clippy::expect_used)]
fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("secret pattern compiles")
}

/// Pattern and kind; the value to redact is group `v`, or the whole match.
/// A kind of `""` means "classify by the assigned name" (see [`name_kind`]).
static TEXT: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            "private_key",
            re(
                r"(?s)-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----(?P<v>.*?)(?:-----END [A-Z ]*-----|\z)",
            ),
        ),
        ("aws_access_key_id", re(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
        (
            "aws_secret_access_key",
            re(
                r#"(?i)aws_?secret_?(?:access_?)?key[ \t]*[=:][ \t]*["']?(?P<v>[A-Za-z0-9/+]{40})\b"#,
            ),
        ),
        (
            "github_token",
            re(r"\b(?:ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,})"),
        ),
        ("slack_token", re(r"\bxox[abpr]-[A-Za-z0-9-]{10,}")),
        ("stripe_key", re(r"\bsk_live_[A-Za-z0-9]{20,}")),
        (
            "",
            re(
                r#"(?i)(?P<n>password|passwd|secret|token|api_?key)["']?[ \t]*[=:][ \t]*["']?(?P<v>[^\s"'$<{]{4,})"#,
            ),
        ),
    ]
});

/// A variable name that says its value is a credential.
static SECRET_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)password|passwd|secret|token|api_?key|private_?key"));

/// Names that hold where a secret lives, not the secret (`DB_SECRET_ARN`,
/// `TOKEN_URL`, `PASSWORD_FILE`).
static REFERENCE_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)_(?:ARN|NAME|ID|PATH|FILE|URL|URI|ENDPOINT|PARAM|PARAMETER)$"));

/// Kind of a credential known only by the name it is assigned to.
fn name_kind(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    if n.contains("awssecret") {
        "aws_secret_access_key"
    } else if n.contains("privatekey") {
        "private_key"
    } else if n.contains("password") || n.contains("passwd") {
        "password"
    } else if n.contains("apikey") {
        "api_key"
    } else if n.contains("token") {
        "token"
    } else {
        "secret"
    }
}

/// A literal, not a reference to where the value comes from.
fn literal(value: &str) -> bool {
    let v = value.trim_start_matches(['"', '\'']);
    !v.is_empty() && !v.starts_with(['$', '{', '<']) && !v.starts_with("arn:")
}

/// The text with every secret value redacted, and what was found in order.
pub(crate) fn redact_text(text: &str) -> (String, Vec<TextSecret>) {
    redact(text, true)
}

/// `assignments`: also the `password=...` family (not for a variable's value:
/// `arn:...:secret:prod/db` is a reference).
fn redact(text: &str, assignments: bool) -> (String, Vec<TextSecret>) {
    // (start, end, kind) of each value; the first pattern to claim a span wins.
    let mut spans: Vec<(usize, usize, &'static str)> = Vec::new();
    for (kind, pattern) in TEXT.iter().filter(|(k, _)| assignments || !k.is_empty()) {
        for c in pattern.captures_iter(text) {
            let Some(v) = c.name("v").or_else(|| c.get(0)) else {
                continue;
            };
            if v.as_str().trim().is_empty() {
                continue;
            }
            let (start, end) = (v.start(), v.end());
            if spans.iter().any(|&(s, e, _)| start < e && s < end) {
                continue;
            }
            let kind = match c.name("n") {
                Some(n) if kind.is_empty() => name_kind(n.as_str()),
                _ => kind,
            };
            spans.push((start, end, kind));
        }
    }
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut found = Vec::with_capacity(spans.len());
    let mut at = 0;
    for (start, end, kind) in spans {
        out.push_str(&text[at..start]);
        // A private key body spans lines: keep the BEGIN/END lines apart.
        if text[start..end].starts_with('\n') {
            out.push('\n');
        }
        out.push_str(REDACTED);
        if text[start..end].ends_with('\n') {
            out.push('\n');
        }
        at = end;
        // The line of the value's first visible character.
        let first = start + (text[start..end].len() - text[start..end].trim_start().len());
        found.push(TextSecret {
            kind,
            line: text[..first].matches('\n').count() + 1,
        });
    }
    out.push_str(&text[at..]);
    (out, found)
}

/// The variables with every secret value replaced by [`REDACTED`], and which
/// variables held one (in the map's order).
///
/// A variable holds a secret when its value contains a credential in a
/// recognisable format (AWS key id, key block, GitHub / Slack / Stripe
/// token), or when its name looks
/// secret (`*PASSWORD*`, `*SECRET*`, `*TOKEN*`, `*API_KEY*`,
/// `*PRIVATE_KEY*`, but not `*_ARN`, `*_NAME`, `*_URL`, ...) and its value is
/// a non-empty literal (not `$...`, `{...`, `<...` or an ARN).
pub(crate) fn redact_vars<'a>(
    vars: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (Vec<(String, String)>, Vec<VarSecret>) {
    let mut out = Vec::new();
    let mut found = Vec::new();
    for (name, value) in vars {
        let (_, in_value) = redact(value, false);
        let kind = match in_value.first() {
            Some(s) => Some(s.kind),
            None if SECRET_NAME.is_match(name)
                && !REFERENCE_NAME.is_match(name)
                && literal(value) =>
            {
                Some(name_kind(name))
            }
            None => None,
        };
        match kind {
            Some(kind) => {
                found.push(VarSecret {
                    variable: name.to_string(),
                    kind,
                });
                out.push((name.to_string(), REDACTED.to_string()));
            }
            None => out.push((name.to_string(), value.to_string())),
        }
    }
    (out, found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
    const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn kinds(text: &str) -> Vec<(&'static str, usize)> {
        redact_text(text)
            .1
            .into_iter()
            .map(|s| (s.kind, s.line))
            .collect()
    }

    #[test]
    fn shell_script_with_aws_keys_and_password() {
        let text = format!(
            "#!/bin/bash\nexport AWS_ACCESS_KEY_ID={KEY_ID}\nexport AWS_SECRET_ACCESS_KEY={SECRET_KEY}\nexport DB_PASSWORD=hunter2\nyum install -y httpd\n"
        );
        let (red, found) = redact_text(&text);
        assert!(!red.contains(KEY_ID) && !red.contains(SECRET_KEY) && !red.contains("hunter2"));
        assert_eq!(
            red,
            "#!/bin/bash\nexport AWS_ACCESS_KEY_ID=***REDACTED***\nexport AWS_SECRET_ACCESS_KEY=***REDACTED***\nexport DB_PASSWORD=***REDACTED***\nyum install -y httpd\n"
        );
        let got: Vec<_> = found.iter().map(|s| (s.kind, s.line)).collect();
        assert_eq!(
            got,
            [
                ("aws_access_key_id", 2),
                ("aws_secret_access_key", 3),
                ("password", 4)
            ]
        );
    }

    #[test]
    fn formats() {
        assert_eq!(
            kinds("export K=ASIAABCDEFGHIJKLMNOP"),
            [("aws_access_key_id", 1)]
        );
        assert_eq!(
            kinds(&format!("aws_secret_key: \"{SECRET_KEY}\"")),
            [("aws_secret_access_key", 1)]
        );
        assert_eq!(
            kinds(
                "git clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/app\n"
            ),
            [("github_token", 1)]
        );
        assert_eq!(
            kinds(&format!("x\ngithub_pat_{}", "a".repeat(40))),
            [("github_token", 2)]
        );
        assert_eq!(kinds("SLACK=xoxb-1234567890-abcdef"), [("slack_token", 1)]);
        assert_eq!(
            kinds("k sk_live_abcdefghijklmnopqrstuv"),
            [("stripe_key", 1)]
        );
        assert_eq!(
            kinds("chpasswd:\n  users:\n    - name: admin\n      password: 'S3cure!pass'\n"),
            [("password", 4)]
        );
        assert_eq!(kinds("API_KEY=abcd1234"), [("api_key", 1)]);
        assert_eq!(kinds("client_secret = abcd1234"), [("secret", 1)]);
        assert_eq!(kinds("\"token\": \"abcd1234\""), [("token", 1)]);
    }

    #[test]
    fn private_key_body_redacted_lines_kept() {
        let text = "cat > /root/.ssh/id_rsa <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\nEOF\n";
        let (red, found) = redact_text(text);
        assert_eq!(
            red,
            "cat > /root/.ssh/id_rsa <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\n***REDACTED***\n-----END OPENSSH PRIVATE KEY-----\nEOF\n"
        );
        assert_eq!(
            found,
            [TextSecret {
                kind: "private_key",
                line: 3
            }]
        );
        // Truncated block: everything after BEGIN goes.
        let (red, found) = redact_text("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nxyz");
        assert!(!red.contains("MIIEow") && !red.contains("xyz"), "{red}");
        assert_eq!(found.len(), 1);
    }

    #[test]
    fn references_are_not_secrets() {
        let text = r#"#!/bin/bash
TOKEN=$(curl -s -X PUT "http://169.254.169.254/latest/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")
curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/instance-id
DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text)
API_TOKEN="${TOKEN_FROM_SSM}"
SECRET_NAME=prod/db
PASSWORD_FILE=/run/secrets/db
password: <set-me>
ssh_pwauth: false
yum install -y nginx
"#;
        let (red, found) = redact_text(text);
        assert_eq!(found, []);
        assert_eq!(red, text);
        assert_eq!(kinds("#!/bin/bash\nyum install -y nginx\n"), []);
        assert_eq!(kinds(""), []);
    }

    #[test]
    fn env_vars() {
        let vars = [
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("CLIENT_SECRET", "s3cr3t"),
            ("DB_PASSWORD", "hunter2"),
            (
                "DB_SECRET_ARN",
                "arn:aws:secretsmanager:us-east-1:1:secret:prod/db-AbCdEf",
            ),
            ("EMPTY_TOKEN", ""),
            ("FROM_SSM_PASSWORD", "{{resolve:ssm-secure:db}}"),
            ("GH", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            ("LOG_LEVEL", "info"),
            ("PRIVATE_KEY", "abc"),
            ("TOKEN_URL", "https://auth.example.com/token"),
        ];
        let (out, found) = redact_vars(vars.iter().map(|&(k, v)| (k, v)));
        let got: Vec<_> = found
            .iter()
            .map(|s| (s.variable.as_str(), s.kind))
            .collect();
        assert_eq!(
            got,
            [
                ("AWS_SECRET_ACCESS_KEY", "aws_secret_access_key"),
                ("CLIENT_SECRET", "secret"),
                ("DB_PASSWORD", "password"),
                ("GH", "github_token"),
                ("PRIVATE_KEY", "private_key"),
            ]
        );
        for (k, v) in &out {
            let secret = found.iter().any(|s| &s.variable == k);
            assert_eq!(v == REDACTED, secret, "{k}={v}");
        }
        assert_eq!(out.len(), vars.len());
        assert!(out.iter().any(|(k, v)| k == "LOG_LEVEL" && v == "info"));
    }
}
