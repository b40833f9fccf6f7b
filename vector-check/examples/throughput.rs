//! Rough per-record cost of the Vector bundle's two engines against the Rust core, on mixed
//! background traffic (about 4% `incomplete`): `cargo run --release -p vector-check --example
//! throughput`. Vector's own costs (sources, event conversions around the transforms, sinks)
//! are not included.

use std::time::Instant;
use vector_check::{vrl_run, Pipeline};

fn main() {
    let records = traffic_gen::mixed_records(5, 20_000);
    let mut p = Pipeline::load().expect("bundle loads");
    p.lua
        .exec("cef_portscan.clock = function() return nil end")
        .expect("clock");
    let events: Vec<_> = records
        .iter()
        .map(|r| {
            let mut e = vrl_run::from_json(&r.body);
            if let vrl::value::Value::Object(m) = &mut e {
                m.insert("timestamp".into(), vrl_run::timestamp(r.time));
            }
            e
        })
        .collect();
    let t = Instant::now();
    let remapped: Vec<_> = events.into_iter().filter_map(|e| p.remap(e)).collect();
    let vrl_time = t.elapsed();
    let t = Instant::now();
    let mut detections = 0;
    for e in remapped {
        detections += p.lua.process(e).map(|d| d.len()).unwrap_or(0);
    }
    let lua_time = t.elapsed();
    let bodies: Vec<_> = records
        .iter()
        .map(|r| (r.time, traffic_gen::body_json(&r.body)))
        .collect();
    let mut engine = cef_portscan::Engine::with_clock(cef_portscan::Settings::default(), || None);
    let t = Instant::now();
    for (time, body) in &bodies {
        engine.process_json(body.as_bytes(), *time);
        while engine.pop_detection().is_some() {}
    }
    let core_time = t.elapsed();
    let per = |d: std::time::Duration| d.as_secs_f64() * 1e6 / records.len() as f64;
    println!(
        "{} records, {detections} detections: VRL {:.1} us/record, Lua {:.1} us/record, Rust core {:.2} us/record",
        records.len(),
        per(vrl_time),
        per(lua_time),
        per(core_time)
    );
}
