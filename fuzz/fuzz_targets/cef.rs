#![no_main]
//! The CEF scanner: header split, every pair, every decoded value.
use cef_portscan::cef;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(c) = cef::parse(data) {
        for i in 0..7 {
            let _ = c.header_value(i);
        }
        for (k, v) in c.pairs() {
            assert!(!k.is_empty());
            let _ = cef::extension_value(v);
        }
    }
});
