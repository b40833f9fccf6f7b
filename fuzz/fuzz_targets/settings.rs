#![no_main]
//! Settings files: refused with a message or accepted and valid, never a panic.
use cef_portscan::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Settings::from_json(data) {
        assert!(s.validate().is_ok());
    }
});
