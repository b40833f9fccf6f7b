#![no_main]
//! JSON-mode tagging: a record we attach to must stay one valid JSON object, carrying the
//! detection as its last member.
use cef_portscan::output::json;
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

fuzz_target!(|data: &[u8]| {
    if json::can_attach(data) {
        let mut out = Vec::new();
        json::attach(data, r#"{"DetectionId":"x"}"#, &mut out);
        // Syntax, not representability: the record may hold numbers no f64 can carry.
        serde_json::from_slice::<IgnoredAny>(&out).expect("tagged record is valid JSON");
        assert!(out.starts_with(b"{") && out.ends_with(br#""cef_portscan":{"DetectionId":"x"}}"#));
    }
});
