//! The shipped module, `dist/cef-portscan.wasm`, run the way Fluent Bit runs it (through
//! `wasm-host`). These tests fail, never skip, until the module is built: run `make wasm`.

use cef_portscan::{Engine, Settings};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use traffic_gen::{generate, mixed_records, to_ndjson_line, GenConfig, GenRecord};
use wasm_host::ndjson::DatedRecord;
use wasm_host::{fluent_bit_keeps, CallResult, EventFormat, Host, HostConfig};

const TAG: &str = "paloalto";
/// The cap the module is linked with (`--max-memory`).
const MEMORY_CAP: u64 = 256 << 20;
/// An hour inside traffic-gen's default start day, long past: never "future" for the engine.
const T0: u32 = 1_781_485_200;

fn module_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/cef-portscan.wasm")
}

/// A private accessible path, so the module's stats file never lands in the repository.
struct TempDir(PathBuf);

impl TempDir {
    fn new(settings: Option<&str>) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cef-portscan-wasm-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(s) = settings {
            std::fs::write(dir.join("cef-portscan.json"), s).unwrap();
        }
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Module {
    host: Host,
    _dir: TempDir,
}

impl std::ops::Deref for Module {
    type Target = Host;
    fn deref(&self) -> &Host {
        &self.host
    }
}

impl std::ops::DerefMut for Module {
    fn deref_mut(&mut self) -> &mut Host {
        &mut self.host
    }
}

fn module_with(entry: &str, format: EventFormat, heap_size: u32, settings: Option<&str>) -> Module {
    let path = module_path();
    assert!(
        path.exists(),
        "{} is missing: run `make wasm` first",
        path.display()
    );
    let dir = TempDir::new(settings);
    let host = Host::new(
        &path,
        HostConfig {
            heap_size,
            accessible_paths: vec![dir.0.clone()],
            event_format: format,
            function_name: entry.into(),
            capture_stderr: true,
            capture_stdout: true,
            log_to_stderr: false,
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e} (run `make wasm` first)", path.display()));
    Module { host, _dir: dir }
}

fn module(entry: &str, format: EventFormat) -> Module {
    module_with(entry, format, wasm_host::DEFAULT_HEAP_SIZE, None)
}

fn format_of(entry: &str) -> EventFormat {
    if entry.ends_with("_msgpack") {
        EventFormat::Msgpack
    } else {
        EventFormat::Json
    }
}

fn as_fluent_bit(records: &[GenRecord]) -> Vec<DatedRecord> {
    records
        .iter()
        .map(|r| {
            DatedRecord::from_line(to_ndjson_line(r).as_bytes())
                .unwrap_or_else(|other| panic!("traffic-gen line did not read back: {other:?}"))
        })
        .collect()
}

fn stats(host: &mut Host) -> Value {
    let text = host.call_export_cstr("cef_portscan_stats").expect("stats");
    serde_json::from_slice(&text).expect("stats are JSON")
}

/// Closes every window and drains what is left.
fn flush(host: &mut Host) -> Vec<Value> {
    let pending = host.call_export_i32("cef_portscan_flush").expect("flush");
    let mut out = Vec::new();
    loop {
        let text = host
            .call_export_cstr("cef_portscan_next_detection")
            .expect("next_detection");
        if text.is_empty() {
            break;
        }
        out.push(serde_json::from_slice(&text).expect("detection is JSON"));
        assert!(
            out.len() <= pending as usize,
            "more detections than flush announced"
        );
    }
    assert_eq!(out.len(), pending as usize);
    out
}

/// The detection riding on a tag-mode output, if any, and the record without it.
fn split_tagged(format: EventFormat, out: &[u8]) -> (Value, Option<Value>) {
    assert!(!out.contains(&0));
    let mut v = fluent_bit_keeps(format, out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(out)));
    let d = v.as_object_mut().unwrap().remove("cef_portscan");
    let d = d.map(|d| match (format, d) {
        // msgpack mode carries the detection as its JSON text.
        (EventFormat::Msgpack, Value::String(s)) => serde_json::from_str(&s).expect("JSON text"),
        (EventFormat::Json, d @ Value::Object(_)) => d,
        (_, d) => panic!("unexpected detection shape {d}"),
    });
    (v, d)
}

fn detection_of(format: EventFormat, out: &[u8]) -> Value {
    let v = fluent_bit_keeps(format, out).expect("valid record");
    match format {
        EventFormat::Json => v,
        EventFormat::Msgpack => {
            let text = v["cef_portscan_detection"]
                .as_str()
                .expect("{\"cef_portscan_detection\": text}");
            serde_json::from_str(text).expect("JSON text")
        }
    }
}

/// Whether `out` is `input` after the module's msgpack transcoding, which writes every number
/// whose encoding has or may have a zero byte (all but 1..=127 and -32..=-1) as its decimal
/// text (src/output/msgpack.rs).
fn same_after_transcode(out: &Value, input: &Value) -> bool {
    match (out, input) {
        (Value::String(s), Value::Number(n)) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => s.trim_end().parse::<i64>() == Ok(i),
            (_, Some(u), _) => s.trim_end().parse::<u64>() == Ok(u),
            // Text of 256*k bytes gets a trailing space to keep zeros out of its length.
            (_, _, Some(f)) => s.trim_end().parse::<f64>().is_ok_and(|g| g == f),
            _ => false,
        },
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_after_transcode(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| same_after_transcode(x, y)))
        }
        (a, b) => a == b,
    }
}

fn is_detection(v: &Value) -> bool {
    v["RuleId"] == "5b72f527-e3f6-4a00-9908-8e4fee14da9f" && v["DetectionId"].is_string()
}

/// A PAN-OS TRAFFIC log that meets every condition of the rule.
fn candidate(src: &str, dst: &str, dpt: u16) -> String {
    format!(
        r#"{{"message":"<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|src={src} dst={dst} suser=bob app=incomplete dpt={dpt} proto=tcp act=allow reason=tcp-rst-from-server dvchost=fw01"}}"#
    )
}

fn noise(i: usize) -> String {
    format!(r#"{{"message":"<14>Jun 15 01:00:00 web01 sshd[{i}]: session opened for user bob"}}"#)
}

fn detections_in_order(format: EventFormat, outs: &[CallResult]) -> Vec<Value> {
    outs.iter()
        .filter_map(|r| r.output())
        .filter_map(|o| split_tagged(format, o).1)
        .collect()
}

#[test]
fn json_tag_mode_passes_records_without_detections_byte_for_byte() {
    let records = as_fluent_bit(&mixed_records(11, 3000));
    let mut m = module("cef_portscan_tag", EventFormat::Json);
    let mut riding = 0;
    for r in &records {
        let out = match m.call(TAG, r.sec, r.nsec, &r.json) {
            CallResult::Output(o) => o,
            CallResult::Dropped(why) => panic!("record dropped: {why}"),
        };
        if out == r.json {
            continue;
        }
        let (rest, d) = split_tagged(EventFormat::Json, &out);
        assert!(
            d.as_ref().is_some_and(is_detection),
            "changed without a detection"
        );
        assert_eq!(rest, serde_json::from_slice::<Value>(&r.json).unwrap());
        riding += 1;
    }
    assert_eq!(m.counters().outputs, records.len() as u64);
    assert_eq!(stats(&mut m)["records"], records.len() as u64);
    eprintln!("{riding} of {} records carried a detection", records.len());
}

#[test]
fn tag_mode_attaches_detections_in_both_formats_and_loses_no_record() {
    let gen = generate(&GenConfig {
        seed: 5,
        hours: 2,
        records_per_hour: 400,
        scans_per_hour: 3,
        ..GenConfig::default()
    });
    let records = as_fluent_bit(&gen);
    let mut by_format = Vec::new();
    for entry in ["cef_portscan_tag", "cef_portscan_tag_msgpack"] {
        let format = format_of(entry);
        let mut m = module(entry, format);
        let mut outs = Vec::new();
        for r in &records {
            let input = r.body(format);
            let out = m.call(TAG, r.sec, r.nsec, input);
            let bytes = out.output().expect("tag mode never drops a record");
            let (rest, d) = split_tagged(format, bytes);
            if let Some(d) = &d {
                assert!(is_detection(d), "{d}");
            }
            if rest.get("cef_portscan_error").is_none() {
                let original = fluent_bit_keeps(format, input).unwrap();
                assert!(
                    same_after_transcode(&rest, &original),
                    "{entry}: record changed: {rest} from {original}"
                );
            } else {
                // Only a record msgpack cannot carry without a zero byte may be replaced.
                assert!(
                    input.contains(&0),
                    "{entry}: stub for a representable record"
                );
            }
            outs.push(out);
        }
        let mut all = detections_in_order(format, &outs);
        assert!(
            !all.is_empty(),
            "{entry}: the planted scans were not detected"
        );
        all.extend(flush(&mut m));
        by_format.push(all);
    }
    let ids = |v: &Vec<Value>| {
        let mut k: Vec<(String, String, u64)> = v
            .iter()
            .map(|d| {
                (
                    d["DetectionId"].as_str().unwrap().to_owned(),
                    d["DetectionStage"].as_str().unwrap().to_owned(),
                    d["totalcount"].as_u64().unwrap(),
                )
            })
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        ids(&by_format[0]),
        ids(&by_format[1]),
        "json and msgpack disagree"
    );
}

#[test]
fn detections_mode_returns_only_detections_in_both_formats() {
    let records = as_fluent_bit(&generate(&GenConfig {
        seed: 9,
        hours: 2,
        records_per_hour: 300,
        scans_per_hour: 3,
        ..GenConfig::default()
    }));
    let mut tag = module("cef_portscan_tag", EventFormat::Json);
    let mut expected: Vec<Value> = Vec::new();
    let mut outs = Vec::new();
    for r in &records {
        outs.push(tag.call(TAG, r.sec, r.nsec, &r.json));
    }
    expected.extend(detections_in_order(EventFormat::Json, &outs));
    expected.extend(flush(&mut tag));
    assert!(!expected.is_empty());
    let key = |d: &Value| d.to_string();
    let mut expected: Vec<String> = expected.iter().map(key).collect();
    expected.sort();

    for entry in ["cef_portscan_detections", "cef_portscan_detections_msgpack"] {
        let format = format_of(entry);
        let mut m = module(entry, format);
        let mut got = Vec::new();
        for r in &records {
            match m.call(TAG, r.sec, r.nsec, r.body(format)) {
                CallResult::Output(o) => {
                    let d = detection_of(format, &o);
                    assert!(is_detection(&d), "{entry}: not a detection: {d}");
                    got.push(d);
                }
                CallResult::Dropped(wasm_host::DropReason::Empty) => {}
                CallResult::Dropped(why) => panic!("{entry}: {why}"),
            }
        }
        assert!(
            !got.is_empty(),
            "{entry}: no detection came out before the flush"
        );
        got.extend(flush(&mut m));
        let mut got: Vec<String> = got.iter().map(key).collect();
        got.sort();
        assert_eq!(got, expected, "{entry} and tag mode disagree");
    }
}

/// Inputs no well-behaved Fluent Bit sends, and some it does; each must come out.
fn json_classes() -> Vec<(&'static str, Vec<u8>)> {
    let cand = candidate("10.1.1.5", "203.0.113.7", 22);
    let msg = |m: &str| serde_json::json!({ "message": m }).to_string().into_bytes();
    let cef = "<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|src=10.1.1.5 dst=203.0.113.7 app=incomplete dpt=22 proto=tcp act=allow dvchost=fw01";
    let mut deep = String::from(r#"{"message":"#);
    deep.push_str(&serde_json::to_string(cef).unwrap());
    deep.push_str(r#","x":"#);
    deep.push_str(&"[".repeat(10_000));
    deep.push_str(&"]".repeat(10_000));
    deep.push('}');
    let mut deep_obj = String::new();
    for _ in 0..10_000 {
        deep_obj.push_str(r#"{"a":"#);
    }
    deep_obj.push_str(&serde_json::to_string(cef).unwrap());
    deep_obj.push_str(&"}".repeat(10_000));
    let mut many_keys = String::from(r#"{"message":"#);
    many_keys.push_str(&serde_json::to_string(cef).unwrap());
    for i in 0..10_000 {
        many_keys.push_str(&format!(r#","k{i}":{i}"#));
    }
    many_keys.push('}');
    let mut bad_utf8 = cand.clone().into_bytes();
    let at = bad_utf8.len() - 10;
    bad_utf8.splice(at..at, [0xff, 0xfe, 0xc3]);
    let mut nul_inside = cand.clone().into_bytes();
    nul_inside.insert(40, 0);
    let pairs: String = (0..10_000).map(|i| format!(" k{i}=v{i}")).collect();
    vec![
        ("invalid JSON", format!(r#"{{"message": {cef}}}"#).into_bytes()),
        ("truncated JSON", cand.as_bytes()[..cand.len() / 2].to_vec()),
        ("JSON array", format!("[{cand}]").into_bytes()),
        ("JSON string", serde_json::to_vec(cef).unwrap()),
        ("number", b"42".to_vec()),
        ("null", b"null".to_vec()),
        ("empty", Vec::new()),
        ("whitespace", b"   ".to_vec()),
        ("empty object", b"{}".to_vec()),
        ("huge record (beyond the default heap)", msg(&format!("{cef} x={}", "a".repeat(200_000)))),
        ("deep nesting 10k arrays", deep.into_bytes()),
        ("deep nesting 10k objects", deep_obj.into_bytes()),
        ("invalid UTF-8 bytes", bad_utf8),
        ("NUL byte inside", nul_inside),
        ("escaped NUL inside", msg(&format!("{cef}\u{0} x=1"))),
        ("lone surrogate escape", br#"{"message":"CEF:0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|app=incomplete x=\ud800"}"#.to_vec()),
        ("giant string", msg(&format!("{cef} cs1={}", "b".repeat(60_000)))),
        ("10k keys", many_keys.into_bytes()),
        ("duplicate keys", format!(r#"{{"message":"x","message":{}}}"#, serde_json::to_string(cef).unwrap()).into_bytes()),
        ("non-string message: number", br#"{"message":12345}"#.to_vec()),
        ("non-string message: object", br#"{"message":{"app":"incomplete","dpt":22}}"#.to_vec()),
        ("non-string message: array", format!(r#"{{"message":[{}]}}"#, serde_json::to_string(cef).unwrap()).into_bytes()),
        ("non-string message: null", br#"{"message":null,"log":null}"#.to_vec()),
        ("CEF with no header", msg("<14>Jun 15 01:00:00 fw01 src=10.1.1.5 dst=203.0.113.7 app=incomplete dpt=22 act=allow")),
        ("CEF with 6 pipes", msg("<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|app=incomplete dpt=22")),
        ("CEF: alone", msg("CEF:")),
        ("CEF:0| alone", msg("<14>Jun 15 01:00:00 fw01 CEF:0|")),
        ("octet count garbage", msg(&format!("99999999999999999999999 {cef}"))),
        ("octet count without line", msg("123 ")),
        ("garbage field values", msg("<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|src=not-an-ip dst=::::: app=incomplete dpt=99999999999999999999 proto= act= dvchost=")),
        ("10k extension pairs", msg(&format!("{cef}{pairs}"))),
        ("escapes everywhere", msg("<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks\\|x|PAN-OS|1|end|TRAFFIC|1|app=incomplete suid=a\\=b\\\\ dpt=22 dvchost=\\")),
        ("NGFW Message not JSON", br#"{"ident":"TRAFFIC","FirewallName":"fw","Message":"{not json"}"#.to_vec()),
        ("NGFW Message deep", format!(r#"{{"ident":"TRAFFIC","FirewallName":"fw","Message":{}}}"#, serde_json::to_string(&format!("{}{}", "[".repeat(5000), "]".repeat(5000))).unwrap()).into_bytes()),
        ("NGFW Message wrong types", br#"{"ident":"TRAFFIC","FirewallName":"fw","Message":"{\"app\":\"incomplete\",\"dport\":[1],\"src_ip\":{},\"dst_ip\":1}"}"#.to_vec()),
        ("trailing junk", format!("{cand} junk").into_bytes()),
        ("number out of range", br#"{"message":"CEF:0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|app=incomplete","n":1e400}"#.to_vec()),
        ("UTF-8 BOM", [&[0xef, 0xbb, 0xbf][..], cand.as_bytes()].concat()),
        ("CRLF and tabs", msg(&format!("{cef}\r\n\t\r\n"))),
    ]
}

fn msgpack_classes() -> Vec<(&'static str, Vec<u8>)> {
    let cef = "<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|src=10.1.1.5 dst=203.0.113.7 app=incomplete dpt=22 proto=tcp act=allow dvchost=fw01";
    let mp = |v: Value| traffic_gen::to_msgpack(&v);
    let with_msg = |extra: &[u8]| {
        // {"message": cef, "x": <extra>}
        let mut b = vec![0x82];
        b.extend(mp(Value::String("message".into())));
        b.extend(mp(Value::String(cef.into())));
        b.extend(mp(Value::String("x".into())));
        b.extend_from_slice(extra);
        b
    };
    let good = mp(serde_json::json!({ "message": cef }));
    let mut map16 = vec![0xde, 0x00, 20];
    for i in 0..20 {
        map16.extend(mp(Value::String(format!("k{i}"))));
        map16.extend(mp(Value::String(cef.into())));
    }
    let mut bad_utf8 = vec![0x81, 0xa7];
    bad_utf8.extend_from_slice(b"message");
    bad_utf8.push(0xd9);
    bad_utf8.push(cef.len() as u8);
    let mut bytes = cef.as_bytes().to_vec();
    bytes[60] = 0xff;
    bad_utf8.extend(bytes);
    let mut bin_msg = vec![0x81, 0xa7];
    bin_msg.extend_from_slice(b"message");
    bin_msg.extend([0xc4, cef.len() as u8]);
    bin_msg.extend_from_slice(cef.as_bytes());
    vec![
        ("garbage", vec![0xc1, 0xc1, 0xc1, 0xc1]),
        ("empty", Vec::new()),
        ("truncated map", good[..good.len() / 2].to_vec()),
        ("truncated header", vec![0xdf, 0xff]),
        ("array top-level", mp(serde_json::json!([cef, 1]))),
        ("string top-level", mp(Value::String(cef.into()))),
        ("nil top-level", vec![0xc0]),
        ("int top-level", vec![0x2a]),
        ("map16 with 20 keys", map16),
        ("int 0", with_msg(&[0x00])),
        ("int 256", with_msg(&[0xcd, 0x01, 0x00])),
        ("int 65536", with_msg(&[0xce, 0x00, 0x01, 0x00, 0x00])),
        (
            "negative ints",
            with_msg(&[0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]),
        ),
        ("float32", with_msg(&[0xca, 0x3f, 0x80, 0x00, 0x00])),
        (
            "float64",
            with_msg(&[0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]),
        ),
        ("nil value", with_msg(&[0xc0])),
        ("bool values", with_msg(&[0xc3])),
        ("bin value", with_msg(&[0xc4, 0x03, 0x01, 0x02, 0x03])),
        ("fixext value", with_msg(&[0xd4, 0x01, 0x05])),
        ("ext8 value", with_msg(&[0xc7, 0x02, 0x05, 0x01, 0x02])),
        (
            "timestamp ext",
            with_msg(&[0xd6, 0xff, 0x65, 0x00, 0x00, 0x01]),
        ),
        ("empty str8", with_msg(&[0xd9, 0x00])),
        ("message as bin", bin_msg),
        ("invalid UTF-8 in str", bad_utf8),
        ("non-string keys", vec![0x82, 0x01, 0x02, 0xc0, 0xa1, b'x']),
        (
            "map32 claiming 4G entries",
            vec![0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, b'a', 0x01],
        ),
        (
            "str32 claiming 4 GB",
            vec![0x81, 0xa1, b'a', 0xdb, 0xff, 0xff, 0xff, 0xff, b'x'],
        ),
        (
            "deep nesting 10k arrays",
            with_msg(&[vec![0x91; 10_000], vec![0xc0]].concat()),
        ),
        (
            "deep nesting 10k maps",
            with_msg(&[[0x81, 0xa1, b'a'].repeat(10_000), vec![0xc0]].concat()),
        ),
        (
            "trailing bytes after map",
            [good.clone(), vec![0xc1, 0x00]].concat(),
        ),
        (
            "huge record (beyond the default heap)",
            mp(serde_json::json!({ "message": format!("{cef} x={}", "a".repeat(200_000)) })),
        ),
        ("a valid candidate", good),
    ]
}

/// Why a tag-mode output is wrong for `input`, if it is.
fn check_tag_output(format: EventFormat, input: &[u8], out: &CallResult) -> Result<(), String> {
    let bytes = out
        .output()
        .ok_or_else(|| format!("record lost: {out:?}"))?;
    if bytes.contains(&0) {
        return Err("zero byte in output".into());
    }
    match format {
        EventFormat::Json => {
            // The module cannot fix what it was given: it must hand it back unchanged (up to a
            // raw NUL, where the host's strdup stops), unless the host could not copy it in.
            let end = input.iter().position(|&b| b == 0).unwrap_or(input.len());
            if bytes == &input[..end] {
                return Ok(());
            }
            let kept = fluent_bit_keeps(format, bytes)?;
            if input.iter().all(u8::is_ascii_whitespace) {
                // Handing back "" (or blanks) would drop it; any object keeps the record's slot.
                return Ok(());
            }
            if kept.get("cef_portscan_error").is_some() {
                return if input.len() > 60_000 {
                    Ok(())
                } else {
                    Err(format!("error record for a small input: {kept}"))
                };
            }
            let (rest, d) = split_tagged(format, bytes);
            if d.is_none() {
                return Err("output differs from input without a detection".into());
            }
            if Ok(&rest) != fluent_bit_keeps(format, input).as_ref() {
                return Err(format!("record changed under its detection: {rest}"));
            }
            Ok(())
        }
        EventFormat::Msgpack => fluent_bit_keeps(format, bytes)
            .map(drop)
            .map_err(|e| format!("output is not one msgpack map: {e}")),
    }
}

#[test]
fn malformed_inputs_never_lose_a_record_or_break_the_module() {
    for heap in [wasm_host::DEFAULT_HEAP_SIZE, 4 << 20] {
        for (entry, classes) in [
            ("cef_portscan_tag", json_classes()),
            ("cef_portscan_tag_msgpack", msgpack_classes()),
        ] {
            let format = format_of(entry);
            let mut m = module_with(entry, format, heap, None);
            let mut d = module_with(&entry.replace("_tag", "_detections"), format, heap, None);
            let mut failures = Vec::new();
            for round in 0..2 {
                for (name, input) in &classes {
                    let out = m.call(TAG, T0 + round, 0, input);
                    if let Err(e) = check_tag_output(format, input, &out) {
                        failures.push(format!("{entry}, heap {heap}, {name}: {e}"));
                    }
                    match d.call(TAG, T0 + round, 0, input) {
                        CallResult::Dropped(wasm_host::DropReason::Empty) => {}
                        CallResult::Output(o) => assert!(is_detection(&detection_of(format, &o))),
                        CallResult::Dropped(why) => panic!("{entry} {name}: {why}"),
                    }
                }
            }
            assert!(
                failures.is_empty(),
                "{} of {} inputs mishandled:\n{}",
                failures.len(),
                2 * classes.len(),
                failures.join("\n")
            );
            let n = 2 * classes.len() as u64;
            assert_eq!(m.counters().outputs, n, "{entry} heap {heap}");
            assert_eq!(m.counters().traps + d.counters().traps, 0);
            let s = stats(&mut m);
            assert_eq!(s["records"], n);
            if heap == wasm_host::DEFAULT_HEAP_SIZE {
                assert!(m.counters().copy_failures >= 2, "the huge record fit?");
                assert!(s["host_copy_failures"].as_u64().unwrap() >= 2, "{s}");
            } else {
                assert_eq!(m.counters().copy_failures, 0);
            }
            // The module still works afterwards.
            let ok = candidate("10.1.1.5", "203.0.113.7", 22);
            let body = match format {
                EventFormat::Json => ok.into_bytes(),
                EventFormat::Msgpack => {
                    traffic_gen::to_msgpack(&serde_json::from_str::<Value>(&ok).unwrap())
                }
            };
            assert!(m.call(TAG, T0 + 2, 0, &body).output().is_some());
        }
    }
}

#[test]
fn a_scan_split_over_5000_calls_is_detected() {
    // 10 destinations x 10 probes of one source, spread through 4,900 unrelated records.
    let mut plan: Vec<String> = (0..4_900).map(noise).collect();
    for k in 0..100 {
        let dst = format!("203.0.113.{}", k % 10 + 1);
        plan.insert(k * 49 + 3, candidate("10.1.1.5", &dst, 22));
    }
    assert_eq!(plan.len(), 5_000);
    let mut m = module("cef_portscan_tag", EventFormat::Json);
    let mut engine = Engine::new(Settings::default());
    let mut detections = Vec::new();
    for (i, rec) in plan.iter().enumerate() {
        let (sec, nsec) = (T0 + (i / 1000) as u32, (i % 1000) as u32 * 1_000_000);
        engine.process_json(
            rec.as_bytes(),
            i64::from(sec) * 1_000_000_000 + i64::from(nsec),
        );
        let out = m.call(TAG, sec, nsec, rec.as_bytes());
        let bytes = out.output().expect("never dropped");
        if let (_, Some(d)) = split_tagged(EventFormat::Json, bytes) {
            detections.push(d);
        }
    }
    let threshold: Vec<&Value> = detections
        .iter()
        .filter(|d| d["DetectionStage"] == "threshold")
        .collect();
    assert_eq!(threshold.len(), 1, "{detections:?}");
    assert_eq!(threshold[0]["SourceIP"], "10.1.1.5");
    let window = flush(&mut m);
    assert_eq!(window.len(), 1);
    assert_eq!(window[0]["DestinationIPCount"], 10);
    assert_eq!(window[0]["totalcount"], 100);
    // The native engine, fed the same, agrees.
    engine.flush();
    let native: Vec<Value> = std::iter::from_fn(|| engine.pop_detection())
        .map(|d| d.to_value())
        .collect();
    assert_eq!(native.last(), window.last());
    assert_eq!(stats(&mut m)["records"], 5_000);
}

#[test]
fn a_million_spoofed_sources_stay_under_the_memory_cap() {
    let mut m = module("cef_portscan_tag", EventFormat::Json);
    let n: u32 = 1_000_000;
    for i in 0..n {
        let src = format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
        let rec = candidate(&src, "203.0.113.7", 22);
        let out = m.call(TAG, T0 + i / 1000, (i % 1000) * 1_000_000, rec.as_bytes());
        assert!(out.output().is_some(), "record {i} dropped: {out:?}");
    }
    let s = stats(&mut m);
    eprintln!(
        "1M sources: {} MiB of linear memory; stats {s}",
        m.memory_size() >> 20
    );
    assert!(m.memory_size() <= MEMORY_CAP, "{} bytes", m.memory_size());
    assert!(m.counters().peak_memory_pages * 65_536 <= MEMORY_CAP);
    assert!(s["groups_evicted"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(
        s["candidates"].as_u64().unwrap() + s["groups_refused"].as_u64().unwrap(),
        u64::from(n)
    );
    assert_eq!(m.counters().traps, 0);
}

#[test]
fn msgpack_outputs_never_hold_a_zero_byte() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    fn value() -> impl Strategy<Value = Value> {
        let cef = "<14>Jun 15 01:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|src=10.1.1.5 dst=203.0.113.7 app=incomplete dpt=22 proto=tcp act=allow dvchost=fw01";
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            prop_oneof![Just(0i64), Just(256), Just(65_536), Just(-1), any::<i64>()]
                .prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,40}".prop_map(Value::String),
            "[a-z]{200,300}".prop_map(Value::String),
            Just(Value::String(cef.into())),
            Just(Value::String("\u{0}".into())),
        ];
        leaf.prop_recursive(3, 40, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    let record = prop::collection::btree_map(
        prop_oneof![
            Just("message".to_owned()),
            "[a-z_]{0,12}".prop_map(String::from)
        ],
        value(),
        0..20,
    );
    // The runner takes a shared closure; one module instance lives through every case.
    let m = std::cell::RefCell::new(module("cef_portscan_tag_msgpack", EventFormat::Msgpack));
    let mut runner = TestRunner::new(Config {
        cases: 2_000,
        ..Config::default()
    });
    runner
        .run(&record, |fields| {
            let body = traffic_gen::to_msgpack(&Value::Object(fields.into_iter().collect()));
            let out = m.borrow_mut().call(TAG, T0, 0, &body);
            let bytes = out.output().expect("tag mode never drops");
            prop_assert!(!bytes.contains(&0));
            let v = fluent_bit_keeps(EventFormat::Msgpack, bytes).map_err(TestCaseError::fail)?;
            let original = fluent_bit_keeps(EventFormat::Msgpack, &body).unwrap();
            if v.get("cef_portscan_error").is_none() {
                let mut v = v;
                v.as_object_mut().unwrap().remove("cef_portscan");
                prop_assert!(
                    same_after_transcode(&v, &original),
                    "{} from {}",
                    v,
                    original
                );
            } else {
                prop_assert!(
                    body.contains(&0),
                    "stub for a representable record {}",
                    original
                );
            }
            Ok(())
        })
        .unwrap();
    // Random bytes, too.
    runner
        .run(&prop::collection::vec(any::<u8>(), 0..300), |body| {
            let out = m.borrow_mut().call(TAG, T0, 0, &body);
            let bytes = out.output().expect("tag mode never drops");
            prop_assert!(fluent_bit_keeps(EventFormat::Msgpack, bytes).is_ok());
            Ok(())
        })
        .unwrap();
    assert_eq!(m.borrow().counters().traps, 0);
}

/// `window` detections of the module (tag mode, then flush) against the native engine on the
/// same traffic: same set, same numbers, field for field.
fn parity(format: EventFormat) {
    let gen = generate(&GenConfig::full_coverage(3, 3));
    let records = as_fluent_bit(&gen);
    let entry = match format {
        EventFormat::Json => "cef_portscan_tag",
        EventFormat::Msgpack => "cef_portscan_tag_msgpack",
    };
    let mut m = module(entry, format);
    let mut engine = Engine::new(Settings::default());
    let mut module_window = Vec::new();
    for r in &records {
        let t = i64::from(r.sec) * 1_000_000_000 + i64::from(r.nsec);
        match format {
            EventFormat::Json => engine.process_json(&r.json, t),
            EventFormat::Msgpack => engine.process_msgpack(&r.msgpack, t),
        };
        let out = m.call(TAG, r.sec, r.nsec, r.body(format));
        if let (_, Some(d)) = split_tagged(format, out.output().expect("never dropped")) {
            module_window.push(d);
        }
    }
    module_window.extend(flush(&mut m));
    module_window.retain(|d| d["DetectionStage"] == "window");
    engine.flush();
    let native: Vec<Value> = std::iter::from_fn(|| engine.pop_detection())
        .filter(|d| d.stage == cef_portscan::Stage::Window)
        .map(|d| d.to_value())
        .collect();
    let by_id = |v: &[Value]| -> BTreeMap<String, Value> {
        v.iter()
            .map(|d| (d["DetectionId"].as_str().unwrap().to_owned(), d.clone()))
            .collect()
    };
    assert!(
        native.len() > 20,
        "too few detections to compare: {}",
        native.len()
    );
    assert_eq!(module_window.len(), native.len());
    assert_eq!(by_id(&module_window), by_id(&native));
    let s = stats(&mut m);
    assert_eq!(s["records"], records.len() as u64);
    eprintln!(
        "parity {format:?}: {} window detections agree",
        native.len()
    );
}

#[test]
fn window_detections_match_the_native_engine_json() {
    parity(EventFormat::Json);
}

#[test]
fn window_detections_match_the_native_engine_msgpack() {
    parity(EventFormat::Msgpack);
}
