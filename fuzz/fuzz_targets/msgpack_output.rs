#![no_main]
//! msgpack-mode output: whatever comes in, what goes out has no zero byte.
use cef_portscan::output::msgpack;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if msgpack::transcode_record(data, Some(("cef_portscan", "{}")), &mut out).is_ok() {
        assert!(!out.contains(&0));
    }
});
