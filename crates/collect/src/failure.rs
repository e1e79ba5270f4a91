//! Turning SDK errors into the inventory's failure kinds.
//!
//! Every call site names the IAM action it performed; this module decides
//! *why* it failed. The distinction matters to rules: "access denied for
//! s3:GetBucketPolicy" tells the user which permission to grant, while
//! "unsupported" (the emulator lacks the API) or "unreachable" says the data
//! is simply missing.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use rampart_inventory::ErrorKind;

/// A classified failure of one API call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub kind: ErrorKind,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    pub message: String,
}

impl Failure {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            code: None,
            message: message.into(),
        }
    }

    /// Whether the service answered with error code `code`.
    pub(crate) fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }
}

const ACCESS_DENIED: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "AuthorizationError",
    "AuthorizationErrorException",
    "Forbidden",
    "AllAccessDisabled",
];

const THROTTLED: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "TooManyRequestsException",
    "SlowDown",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
    "ProvisionedThroughputExceededException",
];

const REGION_DISABLED: &[&str] = &["OptInRequired"];

const UNSUPPORTED: &[&str] = &[
    "NotImplemented",
    "InvalidAction",
    "UnknownOperationException",
    "UnsupportedOperation",
    "UnsupportedOperationException",
];

/// Classify an SDK error.
pub(crate) fn classify<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut f = classify_full(err);
    // The SDK's error context can run to kilobytes (it prints the raw
    // response); a reason is one line.
    if f.message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !f.message.is_char_boundary(end) {
            end -= 1;
        }
        f.message.truncate(end);
        f.message.push('…');
    }
    f
}

const MAX_MESSAGE: usize = 300;

fn classify_full<E>(err: &SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err {
        SdkError::TimeoutError(_) => Failure::new(ErrorKind::Unreachable, "timed out"),
        SdkError::DispatchFailure(d) => {
            let what = if d.is_timeout() {
                "timed out"
            } else if d.is_io() {
                "connection failed"
            } else {
                "request could not be sent"
            };
            Failure::new(
                ErrorKind::Unreachable,
                format!("{what}: {}", DisplayErrorContext(err)),
            )
        }
        SdkError::ConstructionFailure(_) => {
            Failure::new(ErrorKind::Other, DisplayErrorContext(err).to_string())
        }
        SdkError::ResponseError(r) => {
            let status = r.raw().status().as_u16();
            if html_page(status, r.raw().body().bytes()) {
                return no_such_api(status, None);
            }
            let kind = status_kind(status).unwrap_or(ErrorKind::Other);
            Failure::new(kind, format!("HTTP {status}: unparseable response"))
        }
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            let code = err.code().map(str::to_string);
            let message = err.message().unwrap_or_default().to_string();
            let body = s
                .raw()
                .body()
                .bytes()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let kind = code_kind(code.as_deref(), &message)
                .or_else(|| code_kind(None, &body))
                .or_else(|| status_kind(status))
                .unwrap_or(ErrorKind::Other);
            if code.is_none() && html_page(status, s.raw().body().bytes()) {
                return no_such_api(status, code);
            }
            let text = match (&code, message.is_empty()) {
                (Some(c), false) => format!("{c}: {message}"),
                (Some(c), true) => c.clone(),
                (None, false) => format!("HTTP {status}: {message}"),
                (None, true) => format!("HTTP {status}: {}", DisplayErrorContext(err)),
            };
            Failure {
                kind,
                code,
                message: text,
            }
        }
        _ => Failure::new(ErrorKind::Other, DisplayErrorContext(err).to_string()),
    }
}

/// Real AWS never answers with an HTML page; endpoints that lack an API
/// (emulators) do, with a "not found" or "internal error" page. Gateway
/// errors and 429 are left alone: proxies send those as HTML for passing
/// trouble (the same split as [`crate::retry::NoRetryOnHtmlPage`]).
fn html_page(status: u16, body: Option<&[u8]>) -> bool {
    crate::retry::permanent(status) && body.is_some_and(crate::retry::looks_like_html)
}

fn no_such_api(status: u16, code: Option<String>) -> Failure {
    Failure {
        kind: ErrorKind::Unsupported,
        code,
        message: format!(
            "HTTP {status} with an HTML error page: the endpoint does not implement this API"
        ),
    }
}

fn code_kind(code: Option<&str>, message: &str) -> Option<ErrorKind> {
    let lower = message.to_ascii_lowercase();
    if lower.contains("not yet implemented") || lower.contains("has not been implemented") {
        return Some(ErrorKind::Unsupported);
    }
    let code = code?;
    if ACCESS_DENIED.contains(&code) {
        Some(ErrorKind::AccessDenied)
    } else if THROTTLED.contains(&code) {
        Some(ErrorKind::Throttled)
    } else if REGION_DISABLED.contains(&code) {
        Some(ErrorKind::RegionDisabled)
    } else if UNSUPPORTED.contains(&code) {
        Some(ErrorKind::Unsupported)
    } else {
        None
    }
}

fn status_kind(status: u16) -> Option<ErrorKind> {
    match status {
        // Emulators answer APIs they lack with a bare 500 or 501.
        403 => Some(ErrorKind::AccessDenied),
        429 => Some(ErrorKind::Throttled),
        501 => Some(ErrorKind::Unsupported),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            code_kind(Some("UnauthorizedOperation"), ""),
            Some(ErrorKind::AccessDenied)
        );
        assert_eq!(
            code_kind(Some("RequestLimitExceeded"), ""),
            Some(ErrorKind::Throttled)
        );
        assert_eq!(
            code_kind(Some("OptInRequired"), ""),
            Some(ErrorKind::RegionDisabled)
        );
        assert_eq!(
            code_kind(
                Some("InternalFailure"),
                "The action has not been implemented"
            ),
            Some(ErrorKind::Unsupported)
        );
        assert_eq!(code_kind(Some("NoSuchBucketPolicy"), ""), None);
        assert_eq!(status_kind(501), Some(ErrorKind::Unsupported));
        let page = b"<!doctype html>\n<title>404 Not Found</title>".as_slice();
        assert!(html_page(404, Some(page)) && html_page(500, Some(page)));
        assert!(
            !html_page(503, Some(page)),
            "gateway pages are passing trouble"
        );
        assert!(!html_page(404, Some(b"<Error/>".as_slice())));
    }
}
