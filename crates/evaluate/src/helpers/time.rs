//! Ages in days from RFC 3339 timestamps.

use chrono::{DateTime, Utc};

/// Days from `ts` to `now` (fractional; negative for future timestamps).
pub fn age_days(ts: &str, now: DateTime<Utc>) -> Option<f64> {
    let t = DateTime::parse_from_rfc3339(ts.trim()).ok()?;
    let secs = (now - t.with_timezone(&Utc)).num_seconds();
    Some(secs as f64 / 86_400.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let now: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(age_days("2025-12-31T00:00:00Z", now), Some(1.0));
        assert_eq!(age_days("2025-12-31T09:00:00+09:00", now), Some(1.0));
        assert_eq!(age_days("2026-01-02T00:00:00Z", now), Some(-1.0));
        assert_eq!(age_days("yesterday", now), None);
    }
}
