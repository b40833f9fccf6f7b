//! Parity with the Sentinel rule: generated traffic (every record shape, both variants, every
//! planted edge case, out-of-order arrival within the allowed lateness) through the engine,
//! against `traffic_gen::kql`, an independent batch transcription of the KQL evaluated once per
//! aligned hour.
//!
//! The engine's window detections must equal the reference's stage-2 rows for every hour: same
//! groups, StartTimeUtc, EndTimeUtc, totalcount and set_DestinationIP (past the 128 cap of
//! `makeset`: a 128-subset with the full DestinationIPCount). Failures print the rows.

use cef_portscan::{Engine, Settings, Verdict};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;
use traffic_gen::kql::{self, Params, RefDetection, MAKESET_CAP};
use traffic_gen::{
    edge_counts, generate, missing_edges, to_msgpack, Edge, GenConfig, GenRecord, Shape, Variant,
    PARITY_HOURS,
};

struct Data {
    records: Vec<GenRecord>,
    reference: Vec<RefDetection>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let records = generate(&GenConfig::parity());
        let reference = kql::evaluate(records.iter().map(|r| &r.truth), &Params::default());
        Data { records, reference }
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Path {
    Json,
    Msgpack,
}

struct Run {
    verdicts: Vec<Verdict>,
    /// Every detection, both stages, in emission order.
    detections: Vec<Value>,
}

impl Run {
    fn windows(&self) -> Vec<&Value> {
        self.detections
            .iter()
            .filter(|d| d["DetectionStage"] == "window")
            .collect()
    }
}

fn run(path: Path) -> &'static Run {
    static JSON: OnceLock<Run> = OnceLock::new();
    static MSGPACK: OnceLock<Run> = OnceLock::new();
    let cell = match path {
        Path::Json => &JSON,
        Path::Msgpack => &MSGPACK,
    };
    cell.get_or_init(|| {
        let mut engine = Engine::new(Settings::default());
        let mut verdicts = Vec::with_capacity(data().records.len());
        let mut detections = Vec::new();
        for r in &data().records {
            let v = match path {
                Path::Json => {
                    let body = serde_json::to_vec(&r.body).expect("a Value serialises");
                    engine.process_json(&body, r.time)
                }
                Path::Msgpack => engine.process_msgpack(&to_msgpack(&r.body), r.time),
            };
            verdicts.push(v);
            // Drain as we go: the pending queue is capped.
            while let Some(d) = engine.pop_detection() {
                detections.push(d.to_value());
            }
        }
        engine.flush();
        while let Some(d) = engine.pop_detection() {
            detections.push(d.to_value());
        }
        Run {
            verdicts,
            detections,
        }
    })
}

/// Window start and the ten group columns: what identifies a stage-2 row.
fn key_of(v: &Value) -> String {
    let cols = [
        "WindowStart",
        "DeviceName",
        "SourceUserID",
        "SourceIP",
        "ApplicationProtocol",
        "Reason",
        "DestinationPort",
        "Protocol",
        "DeviceVendor",
        "DeviceProduct",
        "DeviceAction",
    ];
    let parts: Vec<Value> = cols.iter().map(|c| v[*c].clone()).collect();
    Value::Array(parts).to_string()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or("<not a string>").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn pretty(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Differences between the engine's window detections and the reference, as readable lines.
fn compare(engine: &[&Value], reference: &[RefDetection]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut got: BTreeMap<String, &Value> = BTreeMap::new();
    for d in engine {
        if let Some(prev) = got.insert(key_of(d), d) {
            problems.push(format!(
                "engine emitted the same group twice:\n  {}\n  {}",
                pretty(prev),
                pretty(d)
            ));
        }
    }
    let want: BTreeMap<String, &RefDetection> = reference
        .iter()
        .map(|r| (key_of(&r.to_value()), r))
        .collect();
    for (k, r) in &want {
        let rv = r.to_value();
        let Some(d) = got.get(k) else {
            problems.push(format!("MISSING from engine: {}", pretty(&rv)));
            continue;
        };
        let mut diffs = Vec::new();
        for f in [
            "StartTimeUtc",
            "EndTimeUtc",
            "totalcount",
            "WindowEnd",
            "DetectionId",
        ] {
            if d[f] != rv[f] {
                diffs.push(format!("{f}: engine {} reference {}", d[f], rv[f]));
            }
        }
        let engine_set = strings(&d["set_DestinationIP"]);
        let mut sorted = engine_set.clone();
        sorted.sort();
        if sorted != engine_set {
            diffs.push("set_DestinationIP is not sorted".into());
        }
        if r.capped() {
            let full: BTreeSet<&String> = r.destinations.iter().collect();
            let outside: Vec<&String> = engine_set.iter().filter(|x| !full.contains(x)).collect();
            if engine_set.len() != MAKESET_CAP || !outside.is_empty() {
                diffs.push(format!(
                    "set_DestinationIP should be a {MAKESET_CAP}-subset of the {} reference \
                     destinations: engine has {} ({} not in the reference: {outside:?})",
                    r.destinations.len(),
                    engine_set.len(),
                    outside.len()
                ));
            }
        } else if engine_set != r.destinations {
            diffs.push(format!(
                "set_DestinationIP: engine {engine_set:?} reference {:?}",
                r.destinations
            ));
        }
        if d["DestinationIPCount"] != rv["DestinationIPCount"] {
            diffs.push(format!(
                "DestinationIPCount: engine {} reference {}",
                d["DestinationIPCount"], rv["DestinationIPCount"]
            ));
        }
        if !diffs.is_empty() {
            problems.push(format!(
                "DIFFERENT {}\n    {}\n  engine:    {}\n  reference: {}",
                k,
                diffs.join("\n    "),
                pretty(d),
                pretty(&rv)
            ));
        }
    }
    for (k, d) in &got {
        if !want.contains_key(k) {
            problems.push(format!("EXTRA from engine: {}", pretty(d)));
        }
    }
    problems
}

fn report(path: Path, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    let mut text = format!(
        "{path:?} path: {} problem(s) against the KQL reference ({} reference rows); first 25:\n",
        problems.len(),
        data().reference.len()
    );
    for p in problems.iter().take(25) {
        let _ = writeln!(text, "- {p}");
    }
    panic!("{text}");
}

#[test]
fn json_window_detections_equal_the_kql_reference() {
    report(
        Path::Json,
        &compare(&run(Path::Json).windows(), &data().reference),
    );
}

#[test]
fn msgpack_window_detections_equal_the_kql_reference() {
    report(
        Path::Msgpack,
        &compare(&run(Path::Msgpack).windows(), &data().reference),
    );
}

#[test]
fn msgpack_and_json_paths_emit_identical_detections() {
    let (j, m) = (&run(Path::Json).detections, &run(Path::Msgpack).detections);
    if j != m {
        let first = j.iter().zip(m.iter()).position(|(a, b)| a != b);
        panic!(
            "json emitted {} detections, msgpack {}; first difference at {first:?}:\n  json:    {}\n  msgpack: {}",
            j.len(),
            m.len(),
            first.and_then(|i| j.get(i)).map(pretty).unwrap_or_default(),
            first.and_then(|i| m.get(i)).map(pretty).unwrap_or_default(),
        );
    }
}

/// Per record: the engine counts exactly the rows that pass the KQL's `where`s. Pinpoints the
/// record behind a detection difference.
#[test]
fn engine_counts_exactly_the_kql_candidates() {
    for path in [Path::Json, Path::Msgpack] {
        let verdicts = &run(path).verdicts;
        let mut wrong: BTreeMap<(String, Shape), Vec<usize>> = BTreeMap::new();
        for (i, (r, v)) in data().records.iter().zip(verdicts).enumerate() {
            let expected = kql::candidate(&r.truth).is_some();
            assert!(
                !matches!(v, Verdict::Late | Verdict::Future | Verdict::Refused),
                "{path:?}: record {i} got {v:?}; the generator keeps arrival within the \
                 allowed lateness and the state caps are far away: {}",
                pretty(&r.body)
            );
            if (*v == Verdict::Candidate) != expected {
                let edges: Vec<&str> = r.edges.iter().map(Edge::name).collect();
                let label = format!(
                    "expected {} got {v:?}, edges {edges:?}",
                    if expected {
                        "Candidate"
                    } else {
                        "not a candidate"
                    }
                );
                wrong.entry((label, r.shape)).or_default().push(i);
            }
        }
        if !wrong.is_empty() {
            let mut text = format!("{path:?}: verdicts differ from the KQL candidates:\n");
            for ((label, shape), idx) in &wrong {
                let r = &data().records[idx[0]];
                let _ = writeln!(
                    text,
                    "- {} records, {shape}, {label}; e.g. #{}:\n    body:  {}\n    truth: {:?}",
                    idx.len(),
                    idx[0],
                    pretty(&r.body),
                    r.truth
                );
            }
            panic!("{text}");
        }
    }
}

/// Non-vacuous: the reference finds detections in each variant and through each shape that
/// can carry a candidate, including the capped big scans, and never through shapes without a
/// Computer.
#[test]
fn planted_scans_are_found() {
    let d = data();
    let mut per_variant: BTreeMap<Variant, usize> = BTreeMap::new();
    let mut per_shape: BTreeMap<Shape, usize> = BTreeMap::new();
    for det in &d.reference {
        *per_variant.entry(det.variant).or_default() += 1;
        let shapes: BTreeSet<Shape> = det.members.iter().map(|&i| d.records[i].shape).collect();
        for s in shapes {
            *per_shape.entry(s).or_default() += 1;
        }
    }
    let windows: BTreeSet<i64> = d.reference.iter().map(|r| r.window_start).collect();
    eprintln!(
        "{} records, {} reference detections over {} windows; per variant {per_variant:?}; \
         per shape {per_shape:?}",
        d.records.len(),
        d.reference.len(),
        windows.len()
    );
    assert!(per_variant.get(&Variant::PanOs).copied().unwrap_or(0) > 20);
    assert!(per_variant.get(&Variant::CloudNgfw).copied().unwrap_or(0) > 5);
    assert_eq!(
        windows.len(),
        PARITY_HOURS as usize,
        "every hour has detections"
    );
    for s in Shape::ALL {
        let n = per_shape.get(&s).copied().unwrap_or(0);
        if s.variant() == Variant::CloudNgfw || s.has_computer() {
            assert!(n > 0, "no detection through {s}");
        } else {
            assert_eq!(n, 0, "{s} has no Computer, yet counted");
        }
    }
    let capped: Vec<&RefDetection> = d.reference.iter().filter(|r| r.capped()).collect();
    assert_eq!(capped.len(), 2, "one 200-destination scan per variant");
    // The engine found them too (the parity tests check the numbers).
    let engine_keys: BTreeSet<String> = run(Path::Json).windows().into_iter().map(key_of).collect();
    for r in capped {
        assert!(engine_keys.contains(&key_of(&r.to_value())));
    }
}

/// Every edge case of the list appears, several times, in every shape it applies to.
#[test]
fn every_edge_case_is_in_the_data() {
    let recs = &data().records;
    let missing = missing_edges(recs, 2);
    if !missing.is_empty() {
        let counts = edge_counts(recs);
        panic!("edge cases too rare (edge, shape, count): {missing:?}\nall counts: {counts:?}");
    }
    for &e in Edge::ALL {
        let n = recs.iter().filter(|r| r.edges.contains(e)).count();
        assert!(n >= 4, "{e}: {n} records");
    }
}

/// The comparison itself catches a dropped, an altered and a duplicated row: a green parity
/// run is not a blind one.
#[test]
fn the_comparison_is_not_blind() {
    let engine = run(Path::Json).windows();
    assert_eq!(engine.len(), data().reference.len());
    assert!(compare(&engine, &data().reference).is_empty());

    let dropped: Vec<&Value> = engine[1..].to_vec();
    assert!(compare(&dropped, &data().reference)[0].starts_with("MISSING"));

    for (field, value) in [
        ("totalcount", Value::from(9_999)),
        ("StartTimeUtc", Value::from("2026-01-01T00:00:00.000Z")),
        ("set_DestinationIP", serde_json::json!(["192.0.2.1"])),
        ("Reason", Value::from("tcp-rst-from-server-x")),
    ] {
        let mut altered: Vec<Value> = engine.iter().map(|v| (*v).clone()).collect();
        altered[0][field] = value;
        let refs: Vec<&Value> = altered.iter().collect();
        assert!(
            !compare(&refs, &data().reference).is_empty(),
            "a changed {field} went unnoticed"
        );
    }

    let mut doubled = engine.clone();
    doubled.push(engine[0]);
    assert!(!compare(&doubled, &data().reference).is_empty());
}

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/data/sample.ndjson");
const SAMPLE_EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/data/sample.expected.json"
);
const REGENERATE: &str = "regenerate with: cargo run --example generate -- --seed 7 --hours 3 \
     --out examples/data/sample.ndjson --expected examples/data/sample.expected.json";

/// The committed sample is what the generator makes today, and its expected file is what the
/// reference says about it.
#[test]
fn committed_sample_is_current() {
    let records = generate(&GenConfig::sample(7, 3));
    let text: String = records
        .iter()
        .map(|r| traffic_gen::to_ndjson_line(r) + "\n")
        .collect();
    let committed = std::fs::read_to_string(SAMPLE).expect("examples/data/sample.ndjson");
    assert!(
        committed == text,
        "examples/data/sample.ndjson is stale; {REGENERATE}"
    );
    let reference = kql::evaluate(records.iter().map(|r| &r.truth), &Params::default());
    let want: Vec<Value> = reference.iter().map(RefDetection::to_value).collect();
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(SAMPLE_EXPECTED).expect("expected file"))
            .expect("expected file is a JSON array");
    assert!(
        expected == want,
        "examples/data/sample.expected.json is stale; {REGENERATE}"
    );
    assert!(
        want.len() >= 5,
        "the sample should carry several detections"
    );
}

/// The sample as a harness reads it: one NDJSON line a record, event time from `date`.
#[test]
fn committed_sample_through_the_engine_gives_the_expected_detections() {
    let mut engine = Engine::new(Settings::default());
    let mut got = Vec::new();
    let text = std::fs::read_to_string(SAMPLE).expect("examples/data/sample.ndjson");
    for line in text.lines() {
        let mut v: Value = serde_json::from_str(line).expect("an NDJSON line");
        let date = v["date"].as_f64().expect("a date");
        // Times are whole milliseconds; the float round-trips them at that precision.
        let time = (date * 1000.0).round() as i64 * 1_000_000;
        if let Some(o) = v.as_object_mut() {
            o.remove("date");
        }
        engine.process_json(&serde_json::to_vec(&v).expect("a Value serialises"), time);
        while let Some(d) = engine.pop_detection() {
            got.push(d.to_value());
        }
    }
    engine.flush();
    while let Some(d) = engine.pop_detection() {
        got.push(d.to_value());
    }
    let windows: Vec<&Value> = got
        .iter()
        .filter(|d| d["DetectionStage"] == "window")
        .collect();
    let expected: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(SAMPLE_EXPECTED).expect("expected file"))
            .expect("expected file is a JSON array");
    let mut problems = Vec::new();
    let by_id: BTreeMap<String, &Value> = windows
        .iter()
        .map(|d| (d["DetectionId"].as_str().unwrap_or("").to_string(), *d))
        .collect();
    for want in &expected {
        let id = want["DetectionId"].as_str().unwrap_or("");
        match by_id.get(id) {
            None => problems.push(format!("MISSING {}", pretty(want))),
            Some(d) => {
                // Every field the reference speaks for must match (none of the sample's
                // groups is past the set cap).
                let Some(fields) = want.as_object() else {
                    continue;
                };
                for (k, w) in fields {
                    if &d[k] != w {
                        problems.push(format!("{id} {k}: engine {} expected {w}", d[k]));
                    }
                }
            }
        }
    }
    if windows.len() != expected.len() {
        problems.push(format!(
            "engine emitted {} window detections, expected {}",
            windows.len(),
            expected.len()
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
