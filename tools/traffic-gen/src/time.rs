//! Calendar formatting without a date library: the generator needs three syslog/CEF timestamp
//! styles and the detection's RFC 3339 form, all in UTC.

pub const NANOS_PER_SEC: i64 = 1_000_000_000;
const NANOS_PER_MILLI: i64 = 1_000_000;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

/// Days since 1970-01-01 to (year, month, day); Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Times before the epoch are clamped to it, the way the engine's formatter does.
pub fn civil(t_ns: i64) -> Civil {
    let t = t_ns.max(0);
    let secs = t.div_euclid(NANOS_PER_SEC);
    let millis = (t.rem_euclid(NANOS_PER_SEC) / NANOS_PER_MILLI) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: (sod / 3600) as u32,
        minute: (sod / 60 % 60) as u32,
        second: (sod % 60) as u32,
        millis,
    }
}

fn month_name(m: u32) -> &'static str {
    MONTHS[(m.clamp(1, 12) - 1) as usize]
}

/// `2026-06-15T10:00:03.123Z`: the detection record's format (milliseconds, truncated).
pub fn rfc3339_millis(t_ns: i64) -> String {
    let c = civil(t_ns);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// `Jun  5 10:00:03`: RFC 3164, day space-padded.
pub fn rfc3164(t_ns: i64) -> String {
    let c = civil(t_ns);
    format!(
        "{} {:>2} {:02}:{:02}:{:02}",
        month_name(c.month),
        c.day,
        c.hour,
        c.minute,
        c.second
    )
}

/// `Jun 05 2026 10:00:03 GMT`: PAN-OS `$cef-formatted-receive_time`.
pub fn pan_time(t_ns: i64) -> String {
    let c = civil(t_ns);
    format!(
        "{} {:02} {} {:02}:{:02}:{:02} GMT",
        month_name(c.month),
        c.day,
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Fluent Bit's json_lines `date`: seconds since the epoch with six decimals.
pub fn epoch_float(t_ns: i64) -> String {
    let secs = t_ns.div_euclid(NANOS_PER_SEC);
    let micros = t_ns.rem_euclid(NANOS_PER_SEC) / 1000;
    format!("{secs}.{micros:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let t = 1_764_842_401_250_000_000; // 2025-12-04T10:00:01.250Z
        assert_eq!(rfc3339_millis(t), "2025-12-04T10:00:01.250Z");
        assert_eq!(rfc3164(t), "Dec  4 10:00:01");
        assert_eq!(pan_time(t), "Dec 04 2025 10:00:01 GMT");
        assert_eq!(epoch_float(t), "1764842401.250000");
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(-1), "1970-01-01T00:00:00.000Z");
        // A leap day and a year boundary.
        assert_eq!(
            rfc3339_millis(1_709_164_800 * NANOS_PER_SEC),
            "2024-02-29T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339_millis(1_767_225_599_999_999_999),
            "2025-12-31T23:59:59.999Z"
        );
    }
}
