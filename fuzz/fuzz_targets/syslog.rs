#![no_main]
//! Hostname extraction from syslog prefixes.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = cef_portscan::syslog::hostname(data) {
        assert!(!h.is_empty() && h != b"-");
    }
});
