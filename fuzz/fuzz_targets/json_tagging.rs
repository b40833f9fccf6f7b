#![no_main]
//! JSON-mode tagging: a record we attach to must stay one valid JSON object.
use cef_portscan::output::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if json::can_attach(data) {
        let mut out = Vec::new();
        json::attach(data, r#"{"DetectionId":"x"}"#, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).expect("tagged record is valid JSON");
        assert!(v.is_object());
    }
});

