//! A tiny HTTP/1.1 proxy on loopback in front of moto that can answer
//! chosen requests itself: access denied, throttling, or silence (an
//! unreachable region). Everything else is forwarded unchanged.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw of one request.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    /// `Action=` of query-protocol bodies, the operation of `X-Amz-Target`.
    pub action: Option<String>,
    /// Region of the SigV4 credential scope.
    pub region: Option<String>,
}

pub enum Answer {
    Forward,
    Respond {
        status: u16,
        content_type: &'static str,
        body: String,
    },
    /// Accept and never answer.
    Hang,
}

pub type Rule = Arc<dyn Fn(&Req) -> Answer + Send + Sync>;

/// Start the proxy; returns its endpoint URL.
pub async fn start(upstream_port: u16, rule: Rule) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let port = listener.local_addr().expect("proxy addr").port();
    tokio::spawn(async move {
        while let Ok((conn, _)) = listener.accept().await {
            let rule = rule.clone();
            tokio::spawn(async move {
                let _ = serve(conn, upstream_port, rule).await;
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn serve(mut conn: TcpStream, upstream_port: u16, rule: Rule) -> std::io::Result<()> {
    let mut buf = Vec::new();
    loop {
        // Read one request: head, then Content-Length bytes of body.
        let head_end = loop {
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let first = lines.next().unwrap_or_default().to_string();
        let mut parts = first.split(' ');
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut content_length = 0usize;
        let mut target = None;
        let mut region = None;
        let mut headers = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            match k.as_str() {
                "content-length" => content_length = v.parse().unwrap_or(0),
                "x-amz-target" => target = v.rsplit('.').next().map(str::to_string),
                "authorization" => {
                    region = v
                        .split("Credential=")
                        .nth(1)
                        .and_then(|c| c.split('/').nth(2))
                        .map(str::to_string)
                }
                _ => {}
            }
            if k != "connection" {
                headers.push(line.to_string());
            }
        }
        while buf.len() < head_end + content_length {
            let mut chunk = [0u8; 8192];
            let n = conn.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        let body = buf[head_end..head_end + content_length].to_vec();
        buf.drain(..head_end + content_length);
        let action = target.or_else(|| {
            String::from_utf8_lossy(&body)
                .split('&')
                .find_map(|kv| kv.strip_prefix("Action=").map(str::to_string))
        });
        let req = Req {
            method,
            path,
            action,
            region,
        };
        match rule(&req) {
            Answer::Hang => {
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                return Ok(());
            }
            Answer::Respond {
                status,
                content_type,
                body,
            } => {
                let resp = format!(
                    "HTTP/1.1 {status} Error\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nx-amzn-requestid: proxy\r\n\r\n{body}",
                    body.len()
                );
                conn.write_all(resp.as_bytes()).await?;
            }
            Answer::Forward => {
                let mut up = TcpStream::connect(("127.0.0.1", upstream_port)).await?;
                let mut out = format!("{first}\r\n");
                for h in &headers {
                    out.push_str(h);
                    out.push_str("\r\n");
                }
                out.push_str("Connection: close\r\n\r\n");
                up.write_all(out.as_bytes()).await?;
                up.write_all(&body).await?;
                let mut resp = Vec::new();
                up.read_to_end(&mut resp).await?;
                // Tell the client this connection ends here.
                let end = find(&resp, b"\r\n\r\n")
                    .map(|i| i + 4)
                    .unwrap_or(resp.len());
                let head = String::from_utf8_lossy(&resp[..end]).to_string();
                let mut fixed = String::new();
                for (i, line) in head.split("\r\n").enumerate() {
                    if line.is_empty() {
                        continue;
                    }
                    if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
                        continue;
                    }
                    fixed.push_str(line);
                    fixed.push_str("\r\n");
                }
                fixed.push_str("Connection: close\r\n\r\n");
                conn.write_all(fixed.as_bytes()).await?;
                conn.write_all(&resp[end..]).await?;
                conn.flush().await?;
                return Ok(());
            }
        }
    }
}

pub fn s3_error(code: &str, status: u16) -> Answer {
    Answer::Respond {
        status,
        content_type: "application/xml",
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code} (test proxy)</Message><RequestId>proxy</RequestId></Error>"
        ),
    }
}

pub fn ec2_error(code: &str, status: u16) -> Answer {
    Answer::Respond {
        status,
        content_type: "text/xml",
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>{code}</Code><Message>{code} (test proxy)</Message></Error></Errors><RequestID>proxy</RequestID></Response>"
        ),
    }
}

pub fn query_error(code: &str, status: u16) -> Answer {
    Answer::Respond {
        status,
        content_type: "text/xml",
        body: format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{code} (test proxy)</Message></Error><RequestId>proxy</RequestId></ErrorResponse>"
        ),
    }
}

pub fn json_error(code: &str, status: u16) -> Answer {
    Answer::Respond {
        status,
        content_type: "application/x-amz-json-1.1",
        body: format!("{{\"__type\":\"{code}\",\"message\":\"{code} (test proxy)\"}}"),
    }
}
