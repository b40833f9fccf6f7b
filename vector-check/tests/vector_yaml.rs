//! vector.yaml itself: its components are wired as documented, every VRL program in it
//! compiles with the vrl crate, and the Sentinel-bound remap gives the sink a real timestamp,
//! and the stream and columns of the shipped DCR template.

use serde_yaml::Value as Yaml;
use vector_check::bundle::{self, LUA, REMAP};
use vector_check::vrl_run::{self, Outcome, Vrl};

fn inputs(config: &Yaml, kind: &str, name: &str) -> Vec<String> {
    config[kind][name]["inputs"]
        .as_sequence()
        .unwrap_or_else(|| panic!("{kind}.{name} has no inputs"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn pipeline_is_wired_as_documented() {
    let c = bundle::yaml("vector.yaml").unwrap();
    assert_eq!(c["sources"]["palo_alto_syslog"]["type"], "syslog");
    assert_eq!(inputs(&c, "transforms", REMAP), ["palo_alto_syslog"]);
    assert_eq!(inputs(&c, "transforms", LUA), [REMAP]);
    // The raw logs go to their sink straight from the source, untouched by the rule.
    assert_eq!(inputs(&c, "sinks", "raw_logs"), ["palo_alto_syslog"]);
    assert_eq!(inputs(&c, "sinks", "detections_console"), [LUA]);
    assert_eq!(inputs(&c, "transforms", "cef_portscan_to_sentinel"), [LUA]);
    assert_eq!(
        inputs(&c, "sinks", "detections_sentinel"),
        ["cef_portscan_to_sentinel"]
    );
    assert_eq!(
        c["sinks"]["detections_sentinel"]["stream_name"],
        "Custom-fluentbit_CL"
    );
    // The bundle loads as configured (file paths, search_dirs, hooks, timers).
    let p = vector_check::Pipeline::load().unwrap();
    assert_eq!(p.lua.timer_intervals(), vec![10]);
}

#[test]
fn sentinel_remap_sets_a_timestamp_from_start_time() {
    let c = bundle::yaml("vector.yaml").unwrap();
    let source = c["transforms"]["cef_portscan_to_sentinel"]["source"]
        .as_str()
        .unwrap();
    let vrl = Vrl::compile(source).unwrap();
    let detection = serde_json::json!({
        "StartTimeUtc": "2026-06-15T10:00:01.250Z",
        "timestamp": "2026-06-15T10:00:01.250Z",
        "DetectionStage": "window",
    });
    let Outcome::Done { event, .. } = vrl.run(vrl_run::from_json(&detection)) else {
        panic!("remap failed")
    };
    let vrl::value::Value::Object(m) = &event else {
        panic!("not an object")
    };
    assert_eq!(
        m.get("timestamp"),
        Some(&vrl_run::timestamp(1_781_517_601_250_000_000))
    );
    assert!(matches!(
        m.get("TimeGenerated"),
        Some(vrl::value::Value::Timestamp(_))
    ));
}

/// The Sentinel sink writes to the stream the shipped DCR template declares, and every field
/// it sends is a column of that stream.
#[test]
fn sentinel_sink_matches_the_shipped_dcr() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../plugin-config/sentinel/fluentbit_CL.table-and-dcr.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        // The Sentinel side is optional for this crate; nothing to compare without it.
        return;
    };
    let dcr: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(dcr["variables"]["streamName"], "Custom-fluentbit_CL");
    let columns: Vec<&str> = dcr["variables"]["detectionTableColumns"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let c = bundle::yaml("vector.yaml").unwrap();
    assert_eq!(
        c["sinks"]["detections_sentinel"]["stream_name"],
        dcr["variables"]["streamName"].as_str().unwrap()
    );
    // A detection as the Lua transform emits it, through the Sentinel remap.
    let mut p = vector_check::Pipeline::load().unwrap();
    let mut out = Vec::new();
    for i in 0..10i64 {
        let body = serde_json::json!({"message": "<14>Jun 15 10:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|src=192.168.1.5 dst=203.0.113.9 dpt=22 proto=tcp app=incomplete act=allow dvchost=fw01-a"});
        let mut e = vrl_run::from_json(&body);
        if let vrl::value::Value::Object(m) = &mut e {
            m.insert(
                "timestamp".into(),
                vrl_run::timestamp(1_781_517_600_000_000_000 + i * 1_000_000_000),
            );
        }
        out.extend(p.process(e).unwrap());
    }
    let source = c["transforms"]["cef_portscan_to_sentinel"]["source"]
        .as_str()
        .unwrap();
    let Outcome::Done { event, .. } = Vrl::compile(source).unwrap().run(out.remove(0)) else {
        panic!("remap failed")
    };
    let vrl::value::Value::Object(m) = event else {
        panic!("not an object")
    };
    for field in m.keys() {
        assert!(
            columns.contains(&field.as_str()),
            "{field} is not a column of the DCR stream"
        );
    }
    assert_eq!(m.len(), columns.len(), "every column is sent");
}
