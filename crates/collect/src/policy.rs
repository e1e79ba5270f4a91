//! Policy documents as the inventory holds them: parsed JSON objects.
//!
//! IAM returns documents URL-encoded (`%7B%22Version...`); S3, SNS, SQS and
//! KMS return plain JSON text. Both end up as a `serde_json::Value`; text
//! that is not JSON is kept as a string rather than dropped.

use serde_json::Value;

/// Parse a policy document, URL-decoding it first when it is encoded.
pub(crate) fn parse(text: &str) -> Value {
    let trimmed = text.trim_start();
    let decoded;
    let json = if trimmed.starts_with('{') {
        text
    } else {
        decoded = percent_encoding::percent_decode_str(text)
            .decode_utf8_lossy()
            .into_owned();
        &decoded
    };
    serde_json::from_str(json).unwrap_or_else(|_| Value::String(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encoded_and_plain_documents_parse_alike() {
        let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        assert_eq!(parse(plain), parse(encoded));
        assert_eq!(parse(plain)["Statement"][0]["Action"], "*");
        assert_eq!(parse("not json"), Value::String("not json".into()));
    }
}
