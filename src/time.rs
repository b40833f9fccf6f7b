//! Event time: what the host passes with each record, as nanoseconds since the Unix epoch.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Nanoseconds since the Unix epoch. i64 covers 1678..2262, far past any u32 seconds value.
pub type Nanos = i64;

pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The record time Fluent Bit hands to the filter (`time_sec`, `time_nsec`). Cannot overflow
/// (u32 seconds end in 2106), so no checked 128-bit multiply on every record.
pub fn from_parts(secs: u32, nanos: u32) -> Nanos {
    i64::from(secs) * NANOS_PER_SEC + i64::from(nanos.min(999_999_999))
}

/// `2025-12-04T10:00:01.250Z`. Times before the epoch are written as the epoch.
pub fn rfc3339_millis(t: Nanos) -> String {
    let t = u64::try_from(t).unwrap_or(0);
    let st = UNIX_EPOCH + Duration::from_nanos(t);
    humantime::format_rfc3339_millis(st).to_string()
}

/// The wall clock, where the host has one. Used only to refuse records from the far future.
pub fn wall_clock() -> Option<Nanos> {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_millis() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(from_parts(1_764_842_401, 250_000_000)),
            "2025-12-04T10:00:01.250Z"
        );
        assert_eq!(rfc3339_millis(-5), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn parts_saturate() {
        assert_eq!(from_parts(1, 2_000_000_000), 1_999_999_999);
        assert_eq!(from_parts(u32::MAX, 999_999_999), 4_294_967_295_999_999_999);
    }
}
