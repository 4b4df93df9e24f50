//! Microsoft's retry policy (kiota `RetryHandler`, mg-cmdlet-behavior.md §2.14): retry 429, 503 and 504; wait
//! `Retry-After` (seconds or an HTTP date) when the service sends it, otherwise `delay × 2^n` plus a random jitter of
//! up to the same again (so many clients backing off do not retry in step); never wait longer than 180 seconds at
//! once; give up after `max_retries` and return the last response.

use std::time::{Duration, SystemTime};

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (Microsoft: 3, at most 10).
    pub max_retries: usize,
    /// The first backoff delay (Microsoft: 3 s).
    pub delay: Duration,
    /// The longest single wait (Microsoft: 180 s).
    pub max_delay: Duration,
    /// The most time all the waits of one request may add up to; `None` for no limit (Microsoft's RetriesTimeLimit 0).
    pub total_limit: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_retries: 3, delay: Duration::from_secs(3), max_delay: Duration::from_secs(180), total_limit: None }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// The backoff schedule without `Retry-After`.
    pub fn backoff(&self) -> backon::ExponentialBuilder {
        backon::ExponentialBuilder::default()
            .with_min_delay(self.delay)
            .with_factor(2.0)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_total_delay(self.total_limit)
            .with_jitter()
    }
}

/// Whether a response status is one Microsoft's handler retries.
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 429 | 503 | 504)
}

/// The wait a `Retry-After` header asks for: delta-seconds or an HTTP date; `None` when absent or unreadable.
pub fn retry_after(value: Option<&str>, now: SystemTime) -> Option<Duration> {
    let value = value?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use backon::BackoffBuilder;

    #[test]
    fn default_schedule_is_3_6_12_seconds_plus_jitter() {
        let delays: Vec<_> = RetryPolicy::default().backoff().build().collect();
        assert_eq!(delays.len(), 3);
        for (delay, base) in delays.iter().zip([3u64, 6, 12]) {
            let base = Duration::from_secs(base);
            assert!(*delay >= base && *delay <= base * 2, "{delay:?} for a base of {base:?}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(retry_after(Some("7"), now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after(Some(&date), now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after(Some("soon"), now), None);
        assert_eq!(retry_after(None, now), None);
    }

    #[test]
    fn only_throttling_and_unavailability_are_retried() {
        assert!(is_retryable(429) && is_retryable(503) && is_retryable(504));
        assert!(!is_retryable(500) && !is_retryable(400) && !is_retryable(401));
    }
}
