//! Which failed calls are worth retrying.
//!
//! The SDK retries throttling and transient errors (adaptive mode, with
//! backoff). An HTML error page on a 4xx or a 500/501 is neither: AWS APIs
//! answer in XML or JSON, so such a page comes from an endpoint that does not
//! implement the API at all (an emulator's "not found" or "internal error"
//! page), and retrying it only waits out the backoff (seconds per call) before
//! the same answer. Gateway errors (502, 503, 504) and 429 stay retryable even
//! as HTML, since proxies send those for real, passing trouble.

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NoRetryOnHtmlPage;

/// Whether `body` starts like an HTML page.
pub(crate) fn looks_like_html(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(64)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// Error statuses an HTML page makes permanent: 4xx but 429, 500 and 501.
pub(crate) fn permanent(status: u16) -> bool {
    matches!(status, 400..=428 | 430..=499 | 500 | 501)
}

impl ClassifyRetry for NoRetryOnHtmlPage {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        let Some(resp) = ctx.response() else {
            return RetryAction::NoActionIndicated;
        };
        let html = resp
            .headers()
            .get("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"))
            || resp.body().bytes().is_some_and(looks_like_html);
        if html && permanent(resp.status().as_u16()) {
            RetryAction::RetryForbidden
        } else {
            RetryAction::NoActionIndicated
        }
    }

    fn name(&self) -> &'static str {
        "NoRetryOnHtmlPage"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_pages_and_statuses() {
        assert!(looks_like_html(b"  <!DOCTYPE html>\n<html>"));
        assert!(looks_like_html(b"<html><body>500</body></html>"));
        assert!(!looks_like_html(b"<?xml version=\"1.0\"?><Error/>"));
        assert!(!looks_like_html(b"{\"__type\":\"Throttling\"}"));
        assert!(permanent(404) && permanent(500) && permanent(501));
        assert!(!permanent(429) && !permanent(502) && !permanent(503) && !permanent(504));
    }
}
