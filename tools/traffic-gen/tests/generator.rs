//! The generator: reproducible, every shape and edge case present, truth rows consistent with
//! what was rendered, and the reference non-vacuous on it.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;
use traffic_gen::kql::{self, Params};
use traffic_gen::{
    body_json, edge_counts, generate, missing_edges, mixed_cef_lines, mixed_records, to_msgpack,
    to_ndjson_line, Edge, GenConfig, GenRecord, Shape, Truth, Variant,
};

fn full() -> &'static [GenRecord] {
    static DATA: OnceLock<Vec<GenRecord>> = OnceLock::new();
    DATA.get_or_init(|| generate(&GenConfig::full_coverage(42, 4)))
}

fn text_of(r: &GenRecord) -> String {
    let b = &r.body;
    for k in ["message", "log", "Message"] {
        if let Some(Value::String(s)) = b.get(k) {
            return s.clone();
        }
    }
    body_json(b)
}

#[test]
fn same_seed_same_records_other_seed_other_records() {
    let cfg = GenConfig {
        seed: 9,
        hours: 2,
        records_per_hour: 200,
        scans_per_hour: 3,
        edge_passes: 1,
        ..GenConfig::default()
    };
    let a = generate(&cfg);
    let b = generate(&cfg);
    assert_eq!(a, b);
    let c = generate(&GenConfig { seed: 10, ..cfg });
    assert_ne!(a, c);
    assert_eq!(mixed_cef_lines(3, 50), mixed_cef_lines(3, 50));
    assert_eq!(mixed_records(3, 50), mixed_records(3, 50));
}

#[test]
fn every_edge_in_every_applicable_shape_several_times() {
    let missing = missing_edges(full(), 2);
    assert!(
        missing.is_empty(),
        "edge cases missing (edge, shape, count): {missing:?}"
    );
    let counts = edge_counts(full());
    for s in Shape::ALL {
        assert!(
            full().iter().filter(|r| r.shape == s).count() > 100,
            "{s} underrepresented"
        );
    }
    // Shape-derived labels agree with the shape.
    for ((e, s), _) in counts {
        assert!(e.applies(s), "{e} labelled on {s} where it does not apply");
    }
}

#[test]
fn arrival_is_mostly_ordered_and_never_beyond_the_lateness() {
    let recs = full();
    let mut watermark = i64::MIN;
    let mut behind = 0usize;
    for r in recs {
        if r.time < watermark {
            behind += 1;
            // 100 s of configured delay at most: under the engine's 120 s allowed lateness.
            assert!(watermark - r.time <= 100_000_000_000, "record too late");
        }
        watermark = watermark.max(r.time);
    }
    assert!(behind > recs.len() / 10, "not enough reordering: {behind}");
    assert!(recs.iter().any(|r| r.edges.contains(Edge::OutOfOrder)));
    // All in 2026, before December, in whole milliseconds.
    for r in recs {
        assert!(r.time >= 1_767_225_600_000_000_000 && r.time < 1_796_083_200_000_000_000);
        assert_eq!(r.time % 1_000_000, 0);
    }
}

#[test]
fn shapes_look_like_their_names() {
    for r in full() {
        let b = &r.body;
        let msg = b.get("message").and_then(Value::as_str).unwrap_or("");
        match (r.shape, &r.truth) {
            (_, Truth::None) => {}
            (Shape::Rfc3164Message, _) => {
                assert!(msg.starts_with('<') && msg.contains(" CEF:"), "{msg}")
            }
            (Shape::Rfc3164NoPri, _) => assert!(!msg.starts_with('<') && msg.contains(" CEF:")),
            (Shape::Rfc3164Log, _) => {
                assert!(b["log"].as_str().is_some_and(|s| s.contains(" CEF:")))
            }
            (Shape::OctetCounted, _) => {
                let (len, rest) = msg.split_once(' ').unwrap();
                assert_eq!(len.parse::<usize>().unwrap(), rest.len());
                assert!(rest.starts_with('<'));
            }
            (Shape::Rfc5424, _) => assert!(msg.contains(">1 2026-") && !msg.contains("Z - ")),
            (Shape::Rfc5424NilHost, _) => assert!(msg.contains("Z - ") && msg.contains(" CEF:")),
            (Shape::SplitRfc3164, _) => {
                assert_eq!(b["ident"], "CEF");
                assert!(b["host"].is_string() && b["pri"].is_string());
                assert!(msg.starts_with("0|") || msg.starts_with("1|"), "{msg}");
            }
            (Shape::HostMessage, _) => {
                assert!(b["host"].is_string() && msg.starts_with("CEF:"))
            }
            (Shape::BareCef, _) => {
                assert!(msg.starts_with("CEF:") && b.get("host").is_none())
            }
            (Shape::NgfwText, _) => {
                let m: Value = serde_json::from_str(b["Message"].as_str().unwrap()).unwrap();
                assert!(m.is_object());
            }
            (Shape::NgfwObject, _) => assert!(b["Message"].is_object()),
        }
        if let Truth::Cef(row) = &r.truth {
            assert_eq!(row.computer.is_empty(), !r.shape.has_computer());
        }
    }
}

#[test]
fn truth_rows_agree_with_the_rendered_text() {
    // A light cross-check: the columns the generator wrote do appear in the text.
    for r in full() {
        let text = text_of(r);
        match &r.truth {
            Truth::Cef(row) if row.device_vendor == "Palo Alto Networks" => {
                if !row.source_ip.is_empty() {
                    assert!(text.contains(&format!("src={} ", row.source_ip)));
                }
                if !row.device_name.is_empty() {
                    assert!(text.contains(&format!("dvchost={}", row.device_name)));
                }
                if let Some(p) = row.destination_port {
                    assert!(text.contains(&format!("dpt={p} ")));
                }
                if !row.application_protocol.is_empty() {
                    assert!(text.contains(&format!("app={} ", row.application_protocol)));
                }
                if !row.computer.is_empty() {
                    assert!(text.contains(&row.computer) || r.body.get("host").is_some());
                }
            }
            Truth::Ngfw(row) => {
                let m = &r.body["Message"];
                let parsed: Value = match m {
                    Value::String(s) => serde_json::from_str(s).unwrap(),
                    other => other.clone(),
                };
                assert_eq!(parsed, row.message);
                assert_eq!(r.body["FirewallName"], row.firewall_name.as_str());
                assert_eq!(r.body["ident"], row.ident.as_str());
            }
            _ => {}
        }
    }
}

#[test]
fn records_are_about_a_kilobyte() {
    let lines = mixed_cef_lines(1, 2000);
    let avg = lines.iter().map(String::len).sum::<usize>() / lines.len();
    assert!((850..=1400).contains(&avg), "average line {avg} bytes");
    let candidates = mixed_records(1, 5000)
        .iter()
        .filter(|r| kql::candidate(&r.truth).is_some())
        .count();
    assert!(
        (50..=400).contains(&candidates),
        "{candidates} candidates in 5000"
    );
}

#[test]
fn ndjson_and_msgpack_carry_the_body() {
    for r in full().iter().take(300) {
        let line = to_ndjson_line(r);
        assert!(line.starts_with("{\"date\":"));
        let v: Value = serde_json::from_str(&line).unwrap();
        let date = v["date"].as_f64().unwrap();
        assert!((date * 1e9 - r.time as f64).abs() < 1e3 * 1e3);
        let mut without = v.as_object().unwrap().clone();
        without.remove("date");
        assert_eq!(Value::Object(without), r.body);
        let mp = to_msgpack(&r.body);
        assert!(matches!(mp[0], 0x80..=0x8f | 0xde | 0xdf), "not a map");
    }
}

#[test]
fn reference_finds_planted_scans_per_variant_and_shape() {
    let recs = full();
    let dets = kql::evaluate(recs.iter().map(|r| &r.truth), &Params::default());
    let mut per_variant: BTreeMap<Variant, usize> = BTreeMap::new();
    let mut per_shape: BTreeMap<Shape, usize> = BTreeMap::new();
    for d in &dets {
        *per_variant.entry(d.variant).or_default() += 1;
        let shapes: BTreeSet<Shape> = d.members.iter().map(|&i| recs[i].shape).collect();
        for s in shapes {
            *per_shape.entry(s).or_default() += 1;
        }
    }
    assert!(per_variant.get(&Variant::PanOs).copied().unwrap_or(0) > 20);
    assert!(per_variant.get(&Variant::CloudNgfw).copied().unwrap_or(0) > 5);
    for s in Shape::ALL {
        let n = per_shape.get(&s).copied().unwrap_or(0);
        if s.variant() == Variant::CloudNgfw || s.has_computer() {
            assert!(n > 3, "{s}: only {n} detections");
        } else {
            assert_eq!(n, 0, "{s} has no Computer and cannot count");
        }
    }
    assert!(dets.iter().any(|d| d.capped()), "no scan past the set cap");
    assert_eq!(
        dets.iter().filter(|d| d.capped()).count(),
        2,
        "one big scan per variant"
    );
}

/// Planted scenarios do what their names say, judged by the reference.
#[test]
fn planted_scenarios_have_their_expected_outcome() {
    let recs = full();
    let dets = kql::evaluate(recs.iter().map(|r| &r.truth), &Params::default());
    // Scan ids that reached a detection.
    let mut fired: BTreeSet<u32> = BTreeSet::new();
    for d in &dets {
        for &i in &d.members {
            if let Some(id) = recs[i].scan {
                fired.insert(id);
            }
        }
    }
    // Scans by their planted edge (the first scenario edge of each scan).
    let mut scans: BTreeMap<u32, (Edge, Shape)> = BTreeMap::new();
    for r in recs {
        if let Some(id) = r.scan {
            let scenario = r.edges.iter().find(|e| {
                !matches!(
                    e,
                    Edge::NoComputer
                        | Edge::NgfwMessageObject
                        | Edge::OutOfOrder
                        | Edge::CustomKeyOrder
                        | Edge::SpaceInValue
                )
            });
            if let Some(e) = scenario {
                scans.entry(id).or_insert((e, r.shape));
            }
        }
    }
    use Edge::*;
    for (id, (edge, shape)) in scans {
        let can_fire = shape.variant() == Variant::CloudNgfw || shape.has_computer();
        let did = fired.contains(&id);
        let never = matches!(
            edge,
            Port49512
                | Port65535
                | PortExcludedList
                | DptMissing
                | DptEmpty
                | DptNonNumeric
                | ActionDeny
                | ActionResetBoth
                | AppIncompleteCapital
                | ReasonAgedOut
                | ReasonAgedOutUpper
                | ReasonTcpFin
                | ReasonTcpFinX
                | ReasonFallbackExcluded
                | Dst10
                | NgfwFirewallEmpty
                | NgfwIdentThreat
                | Exactly9
                | StraddleNoFire
        );
        let always = matches!(
            edge,
            Port49511
                | Port49152
                | ActionDenyCapital
                | ActionDrop
                | ReasonNearMiss
                | ReasonEmpty
                | ReasonMissing
                | ReasonFallback
                | ReasonFallbackEmptyValue
                | ReasonFallbackCaseMiss
                | ReasonMappedWins
                | DstNear10
                | DstEmpty
                | SrcNon10
                | EscapedValue
                | UnescapedEquals
                | TrailingNewline
                | CefSpace
                | Cef1Ipv6
                | ThreatCandidate
                | Exactly10
                | PartialDsts
                | StraddleOneSide
                | BigScan
        );
        if never {
            assert!(!did, "scan {id} ({edge} in {shape}) fired");
        }
        if always && can_fire {
            assert!(did, "scan {id} ({edge} in {shape}) did not fire");
        }
        if !can_fire {
            assert!(!did, "scan {id} ({edge} in {shape}) fired without Computer");
        }
    }
}
