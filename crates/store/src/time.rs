//! Timestamps as fixed-width RFC 3339 text, so that SQL compares and sorts
//! them correctly and a person reading the file with `sqlite3` can too.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::error::{StoreError, corrupt};

pub(crate) fn encode(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(crate) fn decode(
    path: &Path,
    what: &'static str,
    text: &str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| corrupt(path, what, text))
}

pub(crate) fn decode_opt(
    path: &Path,
    what: &'static str,
    text: Option<String>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.map(|t| decode(path, what, &t)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn encoding_is_fixed_width_and_round_trips() {
        let a = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let b = a + chrono::Duration::nanoseconds(1);
        let (ea, eb) = (encode(a), encode(b));
        assert_eq!(ea, "2026-01-02T03:04:05.000000000Z");
        assert_eq!(ea.len(), eb.len());
        assert!(ea < eb);
        assert_eq!(decode(Path::new("x"), "t", &eb).unwrap(), b);
    }
}
