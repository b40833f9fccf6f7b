use super::*;
use serde_json::json;

const HOUR: i64 = 3600 * NANOS_PER_SEC;
/// 2026-11-02T00:00:00Z, an hour boundary.
const T0: i64 = 1_793_577_600 * NANOS_PER_SEC;

fn no_clock() -> Option<Nanos> {
    None
}

fn engine(s: Settings) -> Engine {
    Engine::with_clock(s, no_clock)
}

fn record(src: &str, dst: &str, port: u32) -> Vec<u8> {
    let line = format!(
        "<14>Nov  2 00:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|end|TRAFFIC|1|src={src} dst={dst} app=incomplete dpt={port} proto=tcp act=allow reason=tcp-rst-from-server dvchost=fw01"
    );
    json!({ "message": line }).to_string().into_bytes()
}

fn sec(s: i64) -> Nanos {
    s * NANOS_PER_SEC
}

fn drain(e: &mut Engine) -> Vec<Detection> {
    std::iter::from_fn(|| e.pop_detection()).collect()
}

#[test]
fn nine_do_not_fire_ten_do() {
    let mut e = engine(Settings::default());
    for i in 0..9 {
        assert_eq!(
            e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(i)),
            Verdict::Candidate
        );
    }
    assert_eq!(e.pending_detections(), 0);
    e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(9));
    let d = drain(&mut e);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].stage, Stage::Threshold);
    assert_eq!(d[0].total_count, 10);
    assert_eq!(d[0].start, T0);
    assert_eq!(d[0].end, T0 + sec(9));
    assert_eq!(d[0].computer, "fw01");
    assert_eq!(d[0].destinations, vec!["203.0.113.9"]);
}

#[test]
fn window_detection_has_final_numbers_and_same_id() {
    let mut e = engine(Settings::default());
    for i in 0..15 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(i));
    }
    for i in 0..10 {
        e.process_json(
            &record("192.168.1.5", "198.51.100.1", 22),
            T0 + sec(100 + i),
        );
    }
    // Nine to a third destination stay below the threshold and are not part of the roll-up.
    for i in 0..9 {
        e.process_json(
            &record("192.168.1.5", "198.51.100.2", 22),
            T0 + sec(200 + i),
        );
    }
    let early = drain(&mut e);
    assert_eq!(early.len(), 1);
    // A record past the end of the window plus lateness closes it.
    e.process_json(b"{}", T0 + HOUR + sec(120));
    let d = drain(&mut e);
    assert_eq!(d.len(), 1);
    let w = &d[0];
    assert_eq!(w.stage, Stage::Window);
    assert_eq!(w.total_count, 25);
    assert_eq!(w.destination_count, 2);
    assert_eq!(w.destinations, vec!["198.51.100.1", "203.0.113.9"]);
    assert_eq!((w.start, w.end), (T0, T0 + sec(109)));
    assert_eq!(w.window_start, T0);
    assert_eq!(w.window_end, T0 + HOUR);
    assert_eq!(w.detection_id(), early[0].detection_id());
}

#[test]
fn window_stays_open_for_lateness() {
    let mut e = engine(Settings::default());
    for i in 0..10 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(i));
    }
    drain(&mut e);
    e.process_json(b"{}", T0 + HOUR + sec(119));
    assert_eq!(e.pending_detections(), 0);
    // Still inside the lateness: counted into the old window.
    assert_eq!(
        e.process_json(
            &record("192.168.1.5", "203.0.113.9", 22),
            T0 + HOUR - sec(1)
        ),
        Verdict::Candidate
    );
    e.process_json(b"{}", T0 + HOUR + sec(120));
    let d = drain(&mut e);
    assert_eq!(d[0].total_count, 11);
    // Now it is closed: late.
    assert_eq!(
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(5)),
        Verdict::Late
    );
    assert_eq!(e.stats().late, 1);
}

#[test]
fn burst_straddling_the_hour_splits() {
    let mut e = engine(Settings::default());
    for i in 0..12 {
        e.process_json(
            &record("192.168.1.5", "203.0.113.9", 22),
            T0 + HOUR - sec(6) + sec(i),
        );
    }
    e.flush();
    assert!(drain(&mut e).is_empty(), "6 + 6 must not fire");
}

#[test]
fn groups_split_by_key_columns() {
    let mut e = engine(Settings::default());
    for i in 0..10 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(i));
        e.process_json(&record("192.168.1.6", "203.0.113.9", 22), T0 + sec(i));
        e.process_json(&record("192.168.1.5", "203.0.113.9", 23), T0 + sec(i));
    }
    e.flush();
    let d = drain(&mut e);
    assert_eq!(d.iter().filter(|d| d.stage == Stage::Window).count(), 3);
}

#[test]
fn future_records_are_refused_and_do_not_close_windows() {
    fn clock() -> Option<Nanos> {
        Some(T0 + sec(30))
    }
    let mut e = Engine::with_clock(Settings::default(), clock);
    for i in 0..10 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(i));
    }
    drain(&mut e);
    let far = T0 + 10 * HOUR;
    assert_eq!(
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), far),
        Verdict::Future
    );
    assert_eq!(e.process_json(b"{}", far), Verdict::Ignored);
    assert_eq!(e.stats().future, 2);
    assert_eq!(e.pending_detections(), 0, "the open window must not close");
    assert_eq!(
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(20)),
        Verdict::Candidate
    );
}

#[test]
fn eviction_takes_lowest_counts_and_keeps_a_climbing_scan() {
    let s = Settings {
        max_groups: 80,
        ..Settings::default()
    };
    let mut e = engine(s);
    // The scan gets two probes in before the flood.
    for i in 0..2 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(i));
    }
    // A flood of one-off spoofed sources, far more than the cap.
    for i in 0..1000u32 {
        let src = format!("172.16.{}.{}", i / 250, i % 250);
        assert_ne!(
            e.process_json(&record(&src, "198.51.100.1", 22), T0 + sec(3)),
            Verdict::Refused
        );
    }
    assert!(e.stats().groups_evicted >= 900);
    assert!(e.stats().groups_tracked <= 80);
    for i in 2..10 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", 22), T0 + sec(4 + i));
    }
    let d = drain(&mut e);
    assert_eq!(d.len(), 1, "the scan survived the flood");
    assert_eq!(d[0].total_count, 10);
}

#[test]
fn groups_past_the_threshold_are_never_evicted() {
    let s = Settings {
        max_groups: 2,
        threshold: 2,
        ..Settings::default()
    };
    let mut e = engine(s);
    for dst in ["203.0.113.1", "203.0.113.2"] {
        e.process_json(&record("192.168.1.5", dst, 22), T0);
        e.process_json(&record("192.168.1.5", dst, 22), T0);
    }
    assert_eq!(
        e.process_json(&record("192.168.1.5", "203.0.113.3", 22), T0),
        Verdict::Refused
    );
    assert_eq!(e.stats().groups_refused, 1);
    assert_eq!(e.stats().groups_evicted, 0);
    e.flush();
    let w: Vec<_> = drain(&mut e)
        .into_iter()
        .filter(|d| d.stage == Stage::Window)
        .collect();
    assert_eq!(w[0].total_count, 4);
}

#[test]
fn destination_set_is_capped_but_counted() {
    let s = Settings {
        destination_set_cap: 3,
        threshold: 1,
        ..Settings::default()
    };
    let mut e = engine(s);
    for i in 0..5 {
        e.process_json(&record("192.168.1.5", &format!("203.0.113.{i}"), 22), T0);
    }
    e.flush();
    let w: Vec<_> = drain(&mut e)
        .into_iter()
        .filter(|d| d.stage == Stage::Window)
        .collect();
    assert_eq!(w[0].destinations.len(), 3);
    assert_eq!(w[0].destination_count, 5);
    assert_eq!(w[0].total_count, 5);
}

#[test]
fn pending_queue_is_bounded() {
    let s = Settings {
        max_pending_detections: 2,
        threshold: 1,
        ..Settings::default()
    };
    let mut e = engine(s);
    for port in 1..=5 {
        e.process_json(&record("192.168.1.5", "203.0.113.9", port), T0);
    }
    assert_eq!(e.pending_detections(), 2);
    assert_eq!(e.stats().detections_dropped, 3);
    assert_eq!(e.pop_detection().unwrap().columns.destination_port, 4);
}

#[test]
fn suppression_holds_later_windows() {
    let s = Settings {
        suppress_seconds: 2 * 3600,
        ..Settings::default()
    };
    let mut e = engine(s);
    for hour in 0..4 {
        for i in 0..10 {
            e.process_json(
                &record("192.168.1.5", "203.0.113.9", 22),
                T0 + hour * HOUR + sec(i),
            );
        }
    }
    e.flush();
    let d = drain(&mut e);
    let hours: Vec<i64> = d
        .iter()
        .filter(|d| d.stage == Stage::Window)
        .map(|d| (d.window_start - T0) / HOUR)
        .collect();
    assert_eq!(hours, vec![0, 2]);
    assert_eq!(e.stats().detections_suppressed, 4);
}

#[test]
fn values_table_is_capped() {
    let s = Settings {
        max_interned_values: 8,
        ..Settings::default()
    };
    let mut e = engine(s);
    let line = |user: &str| {
        json!({"message": format!("<14>Nov  2 00:00:00 fw01 CEF:0|V|P|1|c|n|1|src=192.168.1.5 dst=203.0.113.9 app=incomplete dpt=22 suid={user}")})
            .to_string()
            .into_bytes()
    };
    assert_eq!(e.process_json(&line("a"), T0), Verdict::Candidate);
    let refused = (0..10)
        .filter(|i| e.process_json(&line(&format!("u{i}")), T0) == Verdict::Refused)
        .count();
    assert!(refused > 0);
    assert_eq!(e.stats().values_refused, refused as u64);
}

#[test]
fn verdicts_for_non_candidates() {
    let mut e = engine(Settings::default());
    assert_eq!(e.process_json(b"not json", T0), Verdict::Ignored);
    assert_eq!(
        e.process_json(br#"{"message":"x app=incomplete"}"#, T0),
        Verdict::Ignored
    );
    assert_eq!(
        e.process_json(br#"{"message":"x app=incomplete" "#, T0),
        Verdict::Malformed
    );
    assert_eq!(
        e.process_json(&record("192.168.1.5", "10.0.0.1", 22), T0),
        Verdict::NotCandidate
    );
    assert_eq!(e.stats().records, 4);
    assert_eq!(e.stats().malformed, 1);
}

#[test]
fn msgpack_bodies_count_the_same() {
    let mut e = engine(Settings::default());
    for i in 0..10 {
        let v: serde_json::Value =
            serde_json::from_slice(&record("192.168.1.5", "203.0.113.9", 22)).unwrap();
        let line = v["message"].as_str().unwrap();
        let mut b = Vec::new();
        rmp::encode::write_map_len(&mut b, 1).unwrap();
        rmp::encode::write_str(&mut b, "message").unwrap();
        rmp::encode::write_str(&mut b, line).unwrap();
        assert_eq!(e.process_msgpack(&b, T0 + sec(i)), Verdict::Candidate);
    }
    assert_eq!(e.pending_detections(), 1);
}

#[test]
fn group_state_is_as_small_as_documented() {
    // README "Limits and state": 76-byte key, 24-byte counter, 104 bytes per table entry.
    assert_eq!(std::mem::size_of::<Stage1Key>(), 76);
    assert_eq!(std::mem::size_of::<Counter>(), 24);
    assert_eq!(std::mem::size_of::<(Stage1Key, Counter)>(), 104);
}
