#![no_main]
//! Engine::process_msgpack on arbitrary bodies and times; detections must stay well-formed.
use cef_portscan::{Engine, Settings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = Settings { threshold: 2, max_groups: 16, ..Settings::default() };
    let mut e = Engine::with_clock(s, || None);
    // The first 8 bytes pick the time step; the rest is split into records at 0xff.
    let (step, body) = data.split_at(data.len().min(8));
    let step = step.iter().fold(0i64, |a, &b| a.wrapping_mul(256).wrapping_add(i64::from(b))) % (7200 * 1_000_000_000);
    let mut t = 1_793_577_600 * 1_000_000_000;
    for rec in body.split(|&b| b == 0xff) {
        e.process_msgpack(rec, t);
        t = t.saturating_add(step);
        while let Some(d) = e.pop_detection() {
            let v: serde_json::Value = serde_json::from_str(&d.to_json()).expect("detection is JSON");
            assert!(v["totalcount"].as_u64().unwrap_or(0) >= 2);
        }
    }
    e.flush();
});
