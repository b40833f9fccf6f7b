//! Shared by the integration tests: both paths over the same records.
#![allow(dead_code)]

use cef_portscan::{Engine, Nanos, Settings};
use serde_json::Value as J;
use vector_check::{vrl_run, Pipeline};

/// No wall clock: nothing is refused as being in the future (both paths).
pub fn no_clock() -> Option<Nanos> {
    None
}

/// Every detection the Rust core emits, in order, as JSON values.
pub fn engine_detections(
    settings: Settings,
    records: impl IntoIterator<Item = (i64, String)>,
) -> (Vec<J>, cef_portscan::Stats) {
    engine_detections_with_clock(settings, no_clock, records)
}

pub fn engine_detections_with_clock(
    settings: Settings,
    clock: fn() -> Option<Nanos>,
    records: impl IntoIterator<Item = (i64, String)>,
) -> (Vec<J>, cef_portscan::Stats) {
    let mut e = Engine::with_clock(settings, clock);
    let mut out = Vec::new();
    for (time, body) in records {
        e.process_json(body.as_bytes(), time);
        while let Some(d) = e.pop_detection() {
            out.push(d.to_value());
        }
    }
    e.flush();
    while let Some(d) = e.pop_detection() {
        out.push(d.to_value());
    }
    (out, e.stats().clone())
}

/// A record body as a Vector log event: its fields, and its event time in `timestamp`.
pub fn event(body: &J, time: i64) -> vrl::value::Value {
    let mut e = vrl_run::from_json(body);
    if let vrl::value::Value::Object(m) = &mut e {
        m.insert("timestamp".into(), vrl_run::timestamp(time));
    }
    e
}

/// Every detection the Lua transform emits for already remapped events (then shutdown), in
/// order, and its stats. `configure`: a Lua table for `cef_portscan.configure`, if any.
pub fn lua_detections(
    configure: Option<&str>,
    events: impl IntoIterator<Item = vrl::value::Value>,
) -> (Vec<J>, J) {
    lua_detections_with_clock(configure, "nil", events)
}

/// As [`lua_detections`], the Lua clock returning `clock` (a Lua expression, nanoseconds).
pub fn lua_detections_with_clock(
    configure: Option<&str>,
    clock: &str,
    events: impl IntoIterator<Item = vrl::value::Value>,
) -> (Vec<J>, J) {
    let mut p = Pipeline::load().unwrap();
    p.lua
        .exec(&format!(
            "cef_portscan.clock = function() return {clock} end"
        ))
        .unwrap();
    if let Some(s) = configure {
        p.lua.exec(&format!("cef_portscan.configure({s})")).unwrap();
    }
    let mut out = Vec::new();
    for e in events {
        for d in p.lua.process(e).unwrap() {
            out.push(vrl_run::to_json(&d));
        }
    }
    for d in p.shutdown().unwrap() {
        out.push(vrl_run::to_json(&d));
    }
    let stats = p.lua.eval_json("cef_portscan.stats()").unwrap();
    (out, stats)
}

/// Records through both transforms (remap, then lua), then shutdown.
pub fn vector_detections(
    configure: Option<&str>,
    records: impl IntoIterator<Item = (i64, J)>,
) -> (Vec<J>, J) {
    let p = Pipeline::load().unwrap();
    let events: Vec<_> = records
        .into_iter()
        .filter_map(|(time, body)| p.remap(event(&body, time)))
        .collect();
    lua_detections(configure, events)
}

pub fn stage(ds: &[J], stage: &str) -> Vec<J> {
    ds.iter()
        .filter(|d| d["DetectionStage"] == stage)
        .cloned()
        .collect()
}

/// A readable first difference between two detection lists.
pub fn first_difference(a: &[J], b: &[J]) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} vs {} detections", a.len(), b.len()));
    }
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        if x != y {
            let J::Object(xm) = x else {
                return Some(format!("#{i}: {x}"));
            };
            let fields: Vec<String> = xm
                .iter()
                .filter(|(k, v)| y.get(k.as_str()) != Some(v))
                .map(|(k, v)| format!("{k}: {v} vs {}", y.get(k.as_str()).unwrap_or(&J::Null)))
                .collect();
            let extra: Vec<&String> = y
                .as_object()
                .map(|m| m.keys().filter(|k| !xm.contains_key(*k)).collect())
                .unwrap_or_default();
            return Some(format!("#{i}: {fields:?} extra {extra:?}\n  {x}\n  {y}"));
        }
    }
    None
}
