//! Property tests of the core: nothing panics on arbitrary input, escapes round-trip, and the
//! engine's bookkeeping holds on arbitrary record streams.

use cef_portscan::{body, cef, syslog, Engine, Settings, Stage, Verdict};
use proptest::prelude::*;
use traffic_gen::{escape_header, escape_value};

/// A PAN-OS-like record with a few fields drawn by the strategy.
fn record(src: u8, dst: u8, port: u16, app: bool, act: u8) -> Vec<u8> {
    let act = ["allow", "deny", "Deny", "drop", "reset-both"][usize::from(act % 5)];
    let app = if app { "incomplete" } else { "ssl" };
    let line = format!(
        "<14>Nov  2 00:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|end|TRAFFIC|1|src=192.168.0.{src} dst=203.0.113.{dst} app={app} dpt={port} proto=tcp act={act} reason=tcp-rst-from-server dvchost=fw01"
    );
    serde_json::json!({ "message": line })
        .to_string()
        .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Some(c) = cef::parse(&bytes) {
            for i in 0..7 { let _ = c.header_value(i); }
            for (_, v) in c.pairs() { let _ = cef::extension_value(v); }
        }
        let _ = syslog::hostname(&bytes);
        let _ = body::from_json(&bytes);
        let _ = body::from_msgpack(&bytes);
        let mut e = Engine::with_clock(Settings::default(), || None);
        e.process_json(&bytes, 0);
        e.process_msgpack(&bytes, 0);
    }

    #[test]
    fn json_wrapped_garbage_never_panics(text in ".{0,400}", prefix in prop_oneof![Just(""), Just("CEF:0|"), Just("<14>Dec  4 10:00:03 h CEF:0|a|b|c|d|e|f|app=incomplete dpt=22 ")]) {
        let body = serde_json::json!({ "message": format!("{prefix}{text}"), "host": text.clone() }).to_string();
        let mut e = Engine::with_clock(Settings::default(), || None);
        e.process_json(body.as_bytes(), 0);
    }

    #[test]
    fn extension_escapes_round_trip(values in proptest::collection::vec(".{0,30}", 1..6)) {
        let ext: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("k{i}={}", escape_value(v))).collect();
        // A last pair keeps trailing whitespace of the values under test inside them.
        let text = format!("0|v|p|1|c|n|5|{} end=1", ext.join(" "));
        let c = cef::parse(text.as_bytes()).unwrap();
        let got: Vec<String> = c.pairs().map(|(_, v)| cef::extension_value(v).into_owned()).collect();
        let mut want = values.clone();
        want.push("1".into());
        prop_assert_eq!(got, want);
    }

    #[test]
    fn header_escapes_round_trip(fields in proptest::collection::vec(".{0,20}", 6)) {
        let text = format!("0|{}|", fields.iter().map(|f| escape_header(f)).collect::<Vec<_>>().join("|"));
        let c = cef::parse(text.as_bytes()).unwrap();
        for (i, f) in fields.iter().enumerate() {
            prop_assert_eq!(c.header_value(i + 1).into_owned(), f.clone());
        }
    }

    #[test]
    fn engine_bookkeeping_holds(
        stream in proptest::collection::vec((0u8..4, 0u8..4, prop_oneof![Just(22u16), Just(443), Just(49512), Just(3389)], any::<bool>(), any::<u8>(), 0i64..400), 0..400),
        threshold in 1u32..6,
        max_groups in 1u32..20,
    ) {
        let s = Settings { threshold, max_groups, window_seconds: 600, allowed_lateness_seconds: 60, ..Settings::default() };
        let mut e = Engine::with_clock(s, || None);
        let mut t = 1_793_577_600i64 * 1_000_000_000;
        let mut counted = 0u64;
        let mut detections = Vec::new();
        for (src, dst, port, app, act, step) in stream {
            // Mostly forward, sometimes back in time by up to 200 s.
            t += (step - 200) * 1_000_000_000;
            let v = e.process_json(&record(src, dst, port, app, act), t);
            counted += u64::from(v == Verdict::Candidate);
            prop_assert!(e.stats().groups_tracked <= u64::from(max_groups));
            while let Some(d) = e.pop_detection() { detections.push(d); }
        }
        e.flush();
        while let Some(d) = e.pop_detection() { detections.push(d); }
        prop_assert_eq!(counted, e.stats().candidates);
        for d in &detections {
            prop_assert!(d.total_count >= u64::from(threshold));
            prop_assert!(d.start <= d.end);
            prop_assert!(d.window_start <= d.start && d.end < d.window_end);
            prop_assert!(d.destinations.len() as u64 <= d.destination_count);
            prop_assert!(d.destinations.windows(2).all(|w| w[0] <= w[1]));
        }
        // Every window detection has its threshold detection first, with the same id.
        for w in detections.iter().filter(|d| d.stage == Stage::Window) {
            prop_assert!(detections.iter().any(|t| t.stage == Stage::Threshold && t.detection_id() == w.detection_id()));
        }
    }
}
