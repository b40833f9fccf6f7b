//! JSON mode: attach a detection to a record without re-serialising the record.

use super::TAG_KEY;
use serde::de::IgnoredAny;

/// Whether `record` is one JSON object that a detection can be attached to: valid, and not
/// already carrying the tag key (a record that went round the pipeline twice
/// must not get a duplicate key).
pub fn can_attach(record: &[u8]) -> bool {
    let trimmed = trim(record);
    if trimmed.first() != Some(&b'{') || trimmed.last() != Some(&b'}') {
        return false;
    }
    if memchr::memmem::find(record, TAG_KEY.as_bytes()).is_some() {
        return false;
    }
    // serde_json skips the bytes of values it ignores without checking their UTF-8.
    std::str::from_utf8(record).is_ok() && serde_json::from_slice::<IgnoredAny>(record).is_ok()
}

/// `record` with `"cef_portscan": detection` added as its last member. The caller has checked
/// [`can_attach`]; `detection` is a JSON object text.
pub fn attach(record: &[u8], detection: &str, out: &mut Vec<u8>) {
    let trimmed = trim(record);
    let body = &trimmed[..trimmed.len().saturating_sub(1)];
    out.clear();
    out.reserve(record.len() + detection.len() + TAG_KEY.len() + 8);
    out.extend_from_slice(body);
    let empty = trim(&body[1.min(body.len())..]).is_empty();
    if !empty {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(TAG_KEY.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(detection.as_bytes());
    out.push(b'}');
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagged(record: &str) -> serde_json::Value {
        let mut out = Vec::new();
        assert!(can_attach(record.as_bytes()), "{record}");
        attach(record.as_bytes(), r#"{"a":1}"#, &mut out);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn attaches_as_last_member() {
        let v = tagged(r#"{"message":"x","n":[1,{"b":2}]}"#);
        assert_eq!(v["cef_portscan"]["a"], 1);
        assert_eq!(v["message"], "x");
        assert_eq!(tagged("{}")["cef_portscan"]["a"], 1);
        assert_eq!(tagged(" { } \n")["cef_portscan"]["a"], 1);
    }

    #[test]
    fn refuses_what_it_cannot_extend() {
        assert!(!can_attach(b"{\"a\":\"\xff\"}"));
        for bad in [
            "",
            "[1]",
            "\"x\"",
            "{\"a\":1",
            "{\"a\":1}}",
            "{\"cef_portscan\":1}",
            "nul",
            "{} {}",
        ] {
            assert!(!can_attach(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn deep_records_can_carry_a_detection() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(can_attach(deep.as_bytes()));
        let mut out = Vec::new();
        attach(deep.as_bytes(), "{\"x\":1}", &mut out);
        assert!(out.ends_with(b"]],\"cef_portscan\":{\"x\":1}}"));
    }
}
