//! The Vector path (VRL, then Lua) against the Rust core of the Fluent Bit module, on the
//! generated traffic of the module's parity test (every record shape and edge case, planted
//! scans, 200-destination scans, out-of-order arrivals):
//! - record by record, the VRL program finds the same candidates with the same columns;
//! - the Lua transform emits the same detections, window and threshold, every field, as JSON
//!   values, in the same order; and with tiny caps and suppression, the same again.
//!
//! The VRL pass (slow in a debug build) runs once and is shared by the tests.

mod common;

use cef_portscan::rule::{Evaluation, Rule};
use cef_portscan::{body, Settings};
use common::*;
use serde_json::{json, Value as J};
use std::sync::OnceLock;
use traffic_gen::{body_json, generate, GenConfig, GenRecord};
use vector_check::{vrl_run, Pipeline};

struct Traffic {
    records: Vec<GenRecord>,
    /// Each record after the remap transform (what the Lua transform receives).
    remapped: Vec<vrl::value::Value>,
}

fn traffic() -> &'static Traffic {
    static T: OnceLock<Traffic> = OnceLock::new();
    T.get_or_init(|| {
        // The traffic of the module's parity test (tests/parity.rs at the root).
        let records = generate(&GenConfig::parity());
        let p = Pipeline::load().unwrap();
        let remapped = records
            .iter()
            .map(|r| p.remap(event(&r.body, r.time)).expect("remap never drops"))
            .collect();
        Traffic { records, remapped }
    })
}

fn engine_run(settings: Settings) -> (Vec<J>, cef_portscan::Stats) {
    let t = traffic();
    engine_detections(
        settings,
        t.records.iter().map(|r| (r.time, body_json(&r.body))),
    )
}

fn lua_run(configure: Option<&str>) -> (Vec<J>, J) {
    lua_detections(configure, traffic().remapped.iter().cloned())
}

/// What the core makes of a body: the row it would count, named as the VRL program names it.
fn core_row(rule: &Rule, body: &J) -> Option<J> {
    let text = body.to_string();
    let fields = body::from_json(text.as_bytes()).ok()?;
    match rule.evaluate(&fields) {
        Evaluation::Candidate(r) => Some(json!({
            "DeviceName": r.device_name,
            "SourceUserID": r.source_user_id,
            "SourceIP": r.source_ip,
            "ApplicationProtocol": r.application_protocol,
            "Reason": r.reason,
            "DestinationPort": r.destination_port,
            "Protocol": r.protocol,
            "DeviceVendor": r.device_vendor,
            "DeviceProduct": r.device_product,
            "DeviceAction": r.device_action,
            "DestinationIP": r.destination_ip,
            "Computer": r.computer,
        })),
        _ => None,
    }
}

#[test]
fn candidates_and_columns_equal_the_core_predicate_record_by_record() {
    let t = traffic();
    let rule = Rule::new(&Settings::default());
    let mut candidates = 0;
    let mut mismatches = Vec::new();
    for (r, out) in t.records.iter().zip(&t.remapped) {
        let J::Object(mut out) = vrl_run::to_json(out) else {
            panic!("not an object")
        };
        out.remove("timestamp");
        let row = out.remove("cef_portscan").map(|mut row| {
            row.as_object_mut().unwrap().remove("Variant");
            row
        });
        assert_eq!(J::Object(out), r.body, "the event must pass unchanged");
        let want = core_row(&rule, &r.body);
        candidates += usize::from(want.is_some());
        if want != row && mismatches.len() < 10 {
            mismatches.push(format!(
                "{} {:?}\n  body: {}\n  core: {want:?}\n  vrl:  {row:?}",
                r.shape,
                r.edges.iter().map(|e| e.name()).collect::<Vec<_>>(),
                r.body,
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    // Every (edge case, shape) pair of the generator is in there.
    assert!(traffic_gen::missing_edges(&t.records, 1).is_empty());
    assert!(
        candidates > 1000,
        "only {candidates} candidates of {}",
        t.records.len()
    );
    println!(
        "{} records, {candidates} candidates: identical",
        t.records.len()
    );
}

#[test]
fn window_detections_equal_the_module() {
    let (core, core_stats) = engine_run(Settings::default());
    let (vector, vector_stats) = lua_run(None);
    let core_windows = stage(&core, "window");
    let vector_windows = stage(&vector, "window");
    assert!(
        core_windows.len() > 50,
        "only {} window detections",
        core_windows.len()
    );
    if let Some(d) = first_difference(&core_windows, &vector_windows) {
        panic!("window detections differ: {d}");
    }
    // The early (threshold) detections too, and the order of everything.
    if let Some(d) = first_difference(&core, &vector) {
        panic!("detections differ: {d}");
    }
    // The big scans: 200 destinations, set_DestinationIP capped at 128.
    assert!(core_windows.iter().any(|d| d["DestinationIPCount"] == 200
        && d["set_DestinationIP"].as_array().unwrap().len() == 128));
    for (k, v) in [
        ("candidates", core_stats.candidates),
        ("late", core_stats.late),
        ("windows_closed", core_stats.windows_closed),
        ("detections", core_stats.detections),
    ] {
        assert_eq!(vector_stats[k], v, "stat {k}");
    }
    println!(
        "{} records: {} window and {} threshold detections, identical",
        traffic().records.len(),
        core_windows.len(),
        core.len() - core_windows.len()
    );
}

/// Caps and suppression forced with tiny limits, one at a time. The VRL side is unchanged
/// (these settings act in Lua); the Lua side is configured like the engine.
#[test]
fn capped_state_and_suppression_behave_like_the_module() {
    let cases: [(&str, Settings, &str); 4] = [
        (
            "groups_evicted",
            Settings {
                max_groups: 40,
                ..Settings::default()
            },
            "{ max_groups = 40 }",
        ),
        (
            "values_refused",
            Settings {
                max_interned_values: 12,
                ..Settings::default()
            },
            "{ max_interned_values = 12 }",
        ),
        (
            "detection_groups_refused",
            Settings {
                threshold: 3,
                max_detection_groups: 5,
                destination_set_cap: 2,
                ..Settings::default()
            },
            "{ threshold = 3, max_detection_groups = 5, destination_set_cap = 2 }",
        ),
        (
            "detections_suppressed",
            Settings {
                threshold: 3,
                suppress_seconds: 5400,
                ..Settings::default()
            },
            "{ threshold = 3, suppress_seconds = 5400 }",
        ),
    ];
    for (cap, settings, lua) in cases {
        let (core, core_stats) = engine_run(settings);
        let (vector, vector_stats) = lua_run(Some(lua));
        if let Some(d) = first_difference(&core, &vector) {
            panic!("{cap}: detections differ: {d}");
        }
        for (k, v) in [
            ("candidates", core_stats.candidates),
            ("late", core_stats.late),
            ("groups_evicted", core_stats.groups_evicted),
            ("groups_refused", core_stats.groups_refused),
            ("values_refused", core_stats.values_refused),
            (
                "detection_groups_refused",
                core_stats.detection_groups_refused,
            ),
            ("detections_suppressed", core_stats.detections_suppressed),
            ("detections", core_stats.detections),
        ] {
            assert_eq!(vector_stats[k], v, "{cap}: stat {k}");
        }
        assert!(
            vector_stats[cap].as_u64().unwrap() > 0,
            "{cap} never hit: {vector_stats}"
        );
        println!("{cap}: {} detections, {vector_stats}", core.len());
    }
}
