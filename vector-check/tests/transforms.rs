//! The two transforms on hand-made records with known answers, each checked against the Rust
//! core where the core has an answer: detection ids, timestamps, addresses, the streaming
//! rules (threshold, straddle, lateness, future clock, quiet streams) and record shapes that
//! only Vector produces.

mod common;

use cef_portscan::detection::{detection_id, GroupColumns};
use cef_portscan::time::rfc3339_millis;
use cef_portscan::{Nanos, Settings};
use common::*;
use serde_json::{json, Value as J};
use vector_check::{vrl_run, Pipeline};

const NS: i64 = 1_000_000_000;
/// 2026-06-15T10:00:00Z, an hour boundary.
const T0: i64 = 1_781_517_600 * NS;
const HOUR: i64 = 3600 * NS;

fn line(src: &str, dst: &str, port: u32, extra: &str) -> J {
    json!({ "message": format!(
        "<14>Jun 15 10:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|11.1.0|end|TRAFFIC|1|src={src} dst={dst} dpt={port} proto=tcp app=incomplete act=allow reason=tcp-rst-from-server dvchost=fw01-a{extra}"
    ) })
}

fn noise() -> J {
    json!({ "message": "<14>Jun 15 10:00:00 fw01 hello" })
}

fn lua_eval(p: &Pipeline, expr: &str) -> J {
    p.lua.eval_json(expr).unwrap()
}

fn lua_string(s: &str) -> String {
    // A Lua long string cannot hold its own closing bracket; none of the inputs do.
    format!("[==[{s}]==]")
}

#[test]
fn detection_id_is_the_cores_fnv1a() {
    let p = Pipeline::load().unwrap();
    let cases = [
        (0i64, GroupColumns::default()),
        (
            T0,
            GroupColumns {
                device_name: "fw01-a".into(),
                source_user_id: "CORP\\svc=scan".into(),
                source_ip: "2001:db8::5".into(),
                application_protocol: "incomplete".into(),
                reason: "tcp-rst-from-server".into(),
                destination_port: 49511,
                protocol: "tcp".into(),
                device_vendor: "Palo Alto Networks".into(),
                device_product: "PAN-OS".into(),
                device_action: "Deny".into(),
            },
        ),
        (
            T0 + 7 * HOUR + 999_999_999,
            GroupColumns {
                device_name: "fw lab 04 é ü 🔥".into(),
                destination_port: -5,
                ..GroupColumns::default()
            },
        ),
    ];
    for (w, c) in cases {
        let expr = format!(
            "cef_portscan.detection_id({w}, {{DeviceName={}, SourceUserID={}, SourceIP={}, ApplicationProtocol={}, Reason={}, DestinationPort={}, Protocol={}, DeviceVendor={}, DeviceProduct={}, DeviceAction={}}})",
            lua_string(&c.device_name),
            lua_string(&c.source_user_id),
            lua_string(&c.source_ip),
            lua_string(&c.application_protocol),
            lua_string(&c.reason),
            c.destination_port,
            lua_string(&c.protocol),
            lua_string(&c.device_vendor),
            lua_string(&c.device_product),
            lua_string(&c.device_action),
        );
        assert_eq!(lua_eval(&p, &expr), J::String(detection_id(w, &c)), "{c:?}");
    }
}

#[test]
fn timestamps_are_formatted_like_the_core() {
    let p = Pipeline::load().unwrap();
    let times: [Nanos; 9] = [
        0,
        -5,
        1,
        T0,
        T0 + 1_250_000_000,
        T0 + 999_999_999,
        951_782_400 * NS + 12_345_678, // 2000-02-29
        4_102_444_800 * NS - 1,        // 2099-12-31T23:59:59.999
        1_709_164_800 * NS,            // 2024-02-29
    ];
    for t in times {
        assert_eq!(
            lua_eval(&p, &format!("cef_portscan.rfc3339_millis({t})")),
            J::String(rfc3339_millis(t)),
            "{t}"
        );
    }
}

#[test]
fn event_time_reads_vectors_timestamp_table_text_and_numbers() {
    let p = Pipeline::load().unwrap();
    // A Vector timestamp, converted to Lua by vrl's own conversion (a table with nanosec).
    p.lua
        .exec("function capture(event, emit) captured = cef_portscan.event_time(event.log.timestamp) end")
        .unwrap();
    let t = T0 + 1_234_567_891;
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("timestamp".into(), vrl_run::timestamp(t));
    let lua = p.lua.lua().clone();
    let capture: mlua::Function = lua.globals().get("capture").unwrap();
    let event = lua.create_table().unwrap();
    let log = mlua::IntoLua::into_lua(vrl::value::Value::Object(fields), &lua).unwrap();
    event.set("log", log).unwrap();
    capture.call::<()>((event, mlua::Value::Nil)).unwrap();
    assert_eq!(lua_eval(&p, "captured"), json!(t));
    for (text, want) in [
        ("'2026-06-15T10:00:01.234567891Z'", T0 + 1_234_567_891),
        ("'2026-06-15T10:00:01Z'", T0 + NS),
        ("'2026-06-15T12:00:01+02:00'", T0 + NS),
        ("'2026-06-15 10:00:01.5z'", T0 + 1_500_000_000),
        ("1781517601", T0 + NS),
        ("1781517601.5", T0 + 1_500_000_000),
    ] {
        assert_eq!(
            lua_eval(&p, &format!("cef_portscan.event_time({text})")),
            json!(want),
            "{text}"
        );
    }
    assert_eq!(
        lua_eval(&p, "cef_portscan.event_time('yesterday')"),
        J::Null
    );
    assert_eq!(lua_eval(&p, "cef_portscan.event_time(nil)"), J::Null);
}

/// Canonical IP spellings do not use up the per-window value table, as in the core.
#[test]
fn canonical_addresses_match_rusts_parsers() {
    let p = Pipeline::load().unwrap();
    for s in [
        "203.0.113.9",
        "0.0.0.0",
        "255.255.255.255",
        "256.1.1.1",
        "010.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "",
        "host.example",
        "2001:db8::1",
        "2001:DB8::1",
        "2001:db8:0:0:0:0:0:1",
        "::",
        "::1",
        "1::",
        "fe80::1:2",
        "2001:db8::0:1",
        "0:0:0:0:0:ffff:1.2.3.4",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "1:0:0:2:0:0:0:3",
        "1:0:0:2::3",
        "1::2:0:0:3",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::",
        "1:2:3:4:5:6::8",
        "2001:db8::00001",
        "gg::1",
        "::ffff:001.2.3.4",
        "1:2:3:4:5:6:1.2.3.4",
    ] {
        let rust = s.parse::<std::net::Ipv4Addr>().is_ok()
            || s.parse::<std::net::Ipv6Addr>()
                .is_ok_and(|a| a.to_string() == s);
        assert_eq!(
            lua_eval(
                &p,
                &format!("cef_portscan.canonical_address({})", lua_string(s))
            ),
            J::Bool(rust),
            "{s:?}"
        );
    }
}

/// Hand-made streams through both paths: every detection and the counters equal.
fn same_as_core(records: &[(i64, J)]) -> (Vec<J>, J) {
    let (core, core_stats) = engine_detections(
        Settings::default(),
        records.iter().map(|(t, b)| (*t, b.to_string())),
    );
    let (vector, stats) = vector_detections(None, records.iter().cloned());
    if let Some(d) = first_difference(&core, &vector) {
        panic!("detections differ: {d}");
    }
    for (k, v) in [
        ("candidates", core_stats.candidates),
        ("late", core_stats.late),
    ] {
        assert_eq!(stats[k], v, "stat {k}");
    }
    (vector, stats)
}

#[test]
fn ten_fire_nine_do_not() {
    let ten: Vec<_> = (0..10)
        .map(|i| (T0 + i * NS, line("192.168.1.5", "203.0.113.9", 22, "")))
        .collect();
    let (d, _) = same_as_core(&ten);
    assert_eq!(d.len(), 2);
    assert_eq!(d[0]["DetectionStage"], "threshold");
    assert_eq!(d[1]["DetectionStage"], "window");
    assert_eq!(d[1]["totalcount"], 10);
    let (d, _) = same_as_core(&ten[..9]);
    assert!(d.is_empty());
}

#[test]
fn non_candidates_do_not_count() {
    let mut records = Vec::new();
    for (i, extra) in [
        " app=ssl",
        " act=deny",
        " act=reset-both",
        " reason=aged-out",
    ]
    .iter()
    .enumerate()
    {
        for j in 0..10 {
            // The first key wins in the core; the VRL program must agree (it reads the last
            // one, so these overrides are written into the line instead).
            let l = line("192.168.1.5", "203.0.113.9", 22, "")["message"]
                .as_str()
                .unwrap()
                .replace(
                    " app=incomplete",
                    if extra.starts_with(" app") {
                        extra
                    } else {
                        " app=incomplete"
                    },
                )
                .replace(
                    " act=allow",
                    if extra.starts_with(" act") {
                        extra
                    } else {
                        " act=allow"
                    },
                )
                .replace(
                    " reason=tcp-rst-from-server",
                    if extra.starts_with(" reason") {
                        extra
                    } else {
                        " reason=tcp-rst-from-server"
                    },
                );
            records.push((T0 + (i as i64 * 10 + j) * NS, json!({ "message": l })));
        }
    }
    for port in [443, 49512, 65535, 0, 8080] {
        for j in 0..10 {
            records.push((
                T0 + (100 + j) * NS,
                line("192.168.1.5", "203.0.113.9", port, ""),
            ));
        }
    }
    for j in 0..10 {
        // No Computer: a bare CEF line.
        let l = line("192.168.1.5", "203.0.113.9", 22, "")["message"]
            .as_str()
            .unwrap()
            .replace("<14>Jun 15 10:00:00 fw01 ", "");
        records.push((T0 + (200 + j) * NS, json!({ "message": l })));
        // DestinationIP in 10/8.
        records.push((T0 + (300 + j) * NS, line("192.168.1.5", "10.1.2.3", 22, "")));
    }
    let (d, stats) = same_as_core(&records);
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(stats["candidates"], 0);
}

#[test]
fn ngfw_records_fire() {
    let msg = |dport: &str| {
        format!(
            r#"{{"src_ip":"192.168.1.5","dst_ip":"203.0.113.9","dport":{dport},"app":"incomplete","proto":"tcp","action":"allow","session_end_reason":"tcp-rst-from-server"}}"#
        )
    };
    let mut records: Vec<(i64, J)> = (0..10)
        .map(|i| {
            (
                T0 + i * NS,
                json!({"ident": "TRAFFIC", "FirewallName": "ngfw-1", "Message": msg("22")}),
            )
        })
        .collect();
    // Message already an object, port as text and as an integral float.
    for (i, port) in ["\"23\"", "23.0", "23"].iter().cycle().take(10).enumerate() {
        let m: J = serde_json::from_str(&msg(port)).unwrap();
        records.push((
            T0 + (20 + i as i64) * NS,
            json!({"ident": "TRAFFIC", "FirewallName": "ngfw-1", "Message": m}),
        ));
    }
    // Not candidates: empty FirewallName, ident THREAT, dport "ssh", 22.5.
    for i in 0..10 {
        records.push((
            T0 + (40 + i) * NS,
            json!({"ident": "TRAFFIC", "FirewallName": "", "Message": msg("24")}),
        ));
        records.push((
            T0 + (40 + i) * NS,
            json!({"ident": "THREAT", "FirewallName": "ngfw-1", "Message": msg("24")}),
        ));
        records.push((
            T0 + (40 + i) * NS,
            json!({"ident": "TRAFFIC", "FirewallName": "ngfw-1", "Message": msg("\"ssh\"")}),
        ));
        records.push((
            T0 + (40 + i) * NS,
            json!({"ident": "TRAFFIC", "FirewallName": "ngfw-1", "Message": msg("22.5")}),
        ));
    }
    let (d, _) = same_as_core(&records);
    let windows = stage(&d, "window");
    assert_eq!(windows.len(), 2);
    assert_eq!(windows[0]["DeviceProduct"], "Cloud NGFW");
    assert_eq!(windows[1]["DestinationPort"], 23);
}

#[test]
fn hour_straddle_and_lateness() {
    let mut records = Vec::new();
    // 5 + 5 across 11:00: nothing.
    for i in 0..5 {
        records.push((
            T0 + HOUR - (i + 1) * NS,
            line("192.168.1.5", "203.0.113.9", 22, ""),
        ));
        records.push((
            T0 + HOUR + i * NS,
            line("192.168.1.5", "203.0.113.9", 22, ""),
        ));
    }
    // 9 at 10:10, then an event at 11:01:59 (the 10:00 window is still open), then the tenth
    // at 10:59:59: counted, fires.
    for i in 0..9 {
        records.push((
            T0 + 600 * NS + i * NS,
            line("192.168.1.6", "203.0.113.9", 22, ""),
        ));
    }
    records.push((T0 + HOUR + 119 * NS, noise()));
    records.push((T0 + HOUR - NS, line("192.168.1.6", "203.0.113.9", 22, "")));
    // 11:02:00 closes the 10:00 window; ten more stamped 10:30 are late.
    records.push((T0 + HOUR + 120 * NS, noise()));
    for i in 0..10 {
        records.push((
            T0 + 1800 * NS + i * NS,
            line("192.168.1.7", "203.0.113.9", 22, ""),
        ));
    }
    let (d, stats) = same_as_core(&records);
    assert_eq!(stage(&d, "window").len(), 1);
    assert_eq!(d[0]["SourceIP"], "192.168.1.6");
    assert_eq!(stats["late"], 10);
}

const CLOCK: i64 = 1_781_521_200 * NS; // 11:00 on the day of T0

fn pinned_clock() -> Option<Nanos> {
    Some(CLOCK)
}

#[test]
fn events_from_the_future_neither_count_nor_move_the_watermark() {
    let mut records: Vec<(i64, String)> = Vec::new();
    for i in 0..9 {
        records.push((
            T0 + i * NS,
            line("192.168.1.5", "203.0.113.9", 22, "").to_string(),
        ));
    }
    // Two hours past the clock: refused; it would otherwise close the 10:00 window.
    records.push((CLOCK + 2 * HOUR, noise().to_string()));
    records.push((
        CLOCK + 2 * HOUR,
        line("192.168.1.5", "203.0.113.9", 22, "").to_string(),
    ));
    records.push((
        T0 + 100 * NS,
        line("192.168.1.5", "203.0.113.9", 22, "").to_string(),
    ));
    let (core, core_stats) =
        engine_detections_with_clock(Settings::default(), pinned_clock, records.clone());
    let p = Pipeline::load().unwrap();
    let events: Vec<_> = records
        .iter()
        .filter_map(|(t, b)| p.remap(event(&serde_json::from_str(b).unwrap(), *t)))
        .collect();
    let (vector, stats) = lua_detections_with_clock(None, &CLOCK.to_string(), events);
    assert!(
        first_difference(&core, &vector).is_none(),
        "{:?}",
        first_difference(&core, &vector)
    );
    assert_eq!(stats["future"], core_stats.future);
    assert_eq!(stats["future"], 2);
    assert_eq!(stage(&vector, "window")[0]["totalcount"], 10);
}

/// The timer closes windows on the watermark only: a quiet stream keeps its window open
/// however long the wall clock runs; shutdown closes it.
#[test]
fn timer_never_closes_on_wall_clock() {
    let mut p = Pipeline::load().unwrap();
    assert_eq!(p.lua.timer_intervals(), vec![10]);
    let mut out = Vec::new();
    for i in 0..10 {
        out.extend(
            p.process(event(
                &line("192.168.1.5", "203.0.113.9", 22, ""),
                T0 + i * NS,
            ))
            .unwrap(),
        );
    }
    assert_eq!(out.len(), 1);
    // The wall clock is years past the window; the timer does nothing.
    p.lua
        .exec("cef_portscan.clock = function() return 4102444800 * 1000000000 end")
        .unwrap();
    for _ in 0..5 {
        assert!(p.lua.timer(0).unwrap().is_empty());
    }
    assert_eq!(lua_eval(&p, "cef_portscan.stats().windows_open"), 1);
    // A later event closes it (the timer would too, had process() not already done so).
    let closed = p.process(event(&noise(), T0 + HOUR + 120 * NS)).unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(vrl_run::to_json(&closed[0])["DetectionStage"], "window");
    assert!(p.shutdown().unwrap().is_empty());
}

/// Vector's own `syslog` source parses the line itself (syslog_loose, as vrl's parse_syslog):
/// `appname` "CEF", `message` "0|...", `hostname`, and `host` = hostname or the peer address.
#[test]
fn vector_syslog_source_records() {
    let p = Pipeline::load().unwrap();
    let parse = |raw: &str| -> J {
        let v = vrl_run::Vrl::compile(&format!(
            "parse_syslog!({})",
            serde_json::to_string(raw).unwrap()
        ))
        .unwrap();
        match v.run(vrl_run::from_json(&json!({}))) {
            vrl_run::Outcome::Done { value, .. } => vrl_run::to_json(&value),
            other => panic!("{other:?}"),
        }
    };
    let cef = "CEF:0|Palo Alto Networks|PAN-OS|11.1.0|end|TRAFFIC|1|src=192.168.1.5 dst=203.0.113.9 dpt=22 proto=tcp app=incomplete act=allow dvchost=fw01-a";
    for (raw, computer) in [
        (format!("<14>Jun 15 10:00:00 fw01 {cef}"), Some("fw01")),
        (
            format!("<14>1 2026-06-15T10:00:00.000Z fw02 PAN-OS - TRAFFIC - {cef}"),
            Some("fw02"),
        ),
        (
            format!("<14>1 2026-06-15T10:00:00.000Z - PAN-OS - TRAFFIC - {cef}"),
            None,
        ),
    ] {
        let mut e = parse(&raw);
        let host = e.get("hostname").cloned().unwrap_or(json!("198.51.100.7"));
        e["host"] = host;
        e["source_type"] = json!("syslog");
        e["source_ip"] = json!("198.51.100.7");
        e.as_object_mut().unwrap().remove("timestamp");
        let out = vrl_run::to_json(&p.remap(vrl_run::from_json(&e)).unwrap());
        match computer {
            Some(c) => assert_eq!(out["cef_portscan"]["Computer"], c, "{raw}"),
            None => assert!(
                out.get("cef_portscan").is_none(),
                "peer address is no Computer: {out}"
            ),
        }
    }
}

#[test]
fn configure_refuses_unknown_and_invalid_settings() {
    let p = Pipeline::load().unwrap();
    assert!(p
        .lua
        .exec("cef_portscan.configure({ treshold = 5 })")
        .unwrap_err()
        .contains("treshold"));
    assert!(p
        .lua
        .exec("cef_portscan.configure({ window_seconds = 60, allowed_lateness_seconds = 60 })")
        .unwrap_err()
        .contains("allowed_lateness_seconds"));
    assert!(p
        .lua
        .exec("cef_portscan.configure({ threshold = 0 })")
        .is_err());
    p.lua
        .exec("cef_portscan.configure({ threshold = 20 })")
        .unwrap();
    assert_eq!(lua_eval(&p, "cef_portscan.settings.threshold"), 20);
}

fn core_row(body: &J) -> Option<J> {
    use cef_portscan::rule::{Evaluation, Rule};
    let text = body.to_string();
    let fields = cef_portscan::body::from_json(text.as_bytes()).ok()?;
    match Rule::new(&Settings::default()).evaluate(&fields) {
        Evaluation::Candidate(r) => Some(json!({
            "DeviceName": r.device_name, "SourceUserID": r.source_user_id,
            "SourceIP": r.source_ip, "ApplicationProtocol": r.application_protocol,
            "Reason": r.reason, "DestinationPort": r.destination_port, "Protocol": r.protocol,
            "DeviceVendor": r.device_vendor, "DeviceProduct": r.device_product,
            "DeviceAction": r.device_action, "DestinationIP": r.destination_ip,
            "Computer": r.computer,
        })),
        _ => None,
    }
}

fn vrl_row(p: &Pipeline, body: &J) -> Option<J> {
    let out = vrl_run::to_json(&p.remap(vrl_run::from_json(body)).unwrap());
    out.get("cef_portscan").cloned().map(|mut r| {
        r.as_object_mut().unwrap().remove("Variant");
        r
    })
}

const HEAD: &str = "<14>Jun 15 10:00:00 fw01 CEF:0|Palo Alto Networks|PAN-OS|11.1.0|end|TRAFFIC|1|";
const EXT: &str = "src=192.168.1.5 dst=203.0.113.9 dpt=22 proto=tcp app=incomplete act=allow reason=tcp-rst-from-server dvchost=fw01-a";

/// Lines beyond the generator's: repeated keys, stray backslashes, escapes, odd framings.
#[test]
fn edge_lines_read_like_the_core() {
    let p = Pipeline::load().unwrap();
    let lines = [
        // Repeated keys: the first value counts.
        format!("{HEAD}{EXT} app=ssl"),
        format!("{HEAD}app=ssl {EXT}"),
        format!("{HEAD}{EXT} dpt=443 act=deny dst=10.0.0.1 dvchost=other"),
        format!("{HEAD}src=1.1.1.1 {EXT} src=2.2.2.2 src=3.3.3.3"),
        format!("{HEAD}{EXT} reason=aged-out"),
        format!("{HEAD}{EXT} dpt="),
        // Stray backslashes in the header are kept; `\|` and `\\` are escapes.
        format!("<14>Jun 15 10:00:00 fw01 CEF:0|Palo Alto\\x Networks|PAN\\|OS\\\\|11.1|end|TRAFFIC|1|{EXT}"),
        // Escapes in values: \= \\ \n \r, and a stray one.
        format!("{HEAD}{EXT} suid=a\\=b\\\\c\\nd\\re\\qf"),
        format!("{HEAD}suid=x\\r {EXT}"),
        // Unescaped `=` in values, a key with a space in it, trailing CR/LF.
        format!("{HEAD}{EXT} suid=uid=1001 PanOSParent SessionID=0 request=http://a/?b=c\r\n"),
        // Empty values and the Reason fallback, in line order.
        format!("{HEAD}{} endreason= PanOSDGl1=0", EXT.replace("reason=tcp-rst-from-server", "reason=")),
        format!("{HEAD}{} x=1 endreason=policy-deny;more y=endreason=no", EXT.replace(" reason=tcp-rst-from-server", "")),
        // `CEF: 0`, RFC 5424 with octet counting, an ISO 3164 timestamp, a TAG instead of a host.
        format!("<14>Jun 15 10:00:00 fw01 CEF: 0|Palo Alto Networks|PAN-OS|11.1.0|end|TRAFFIC|1|{EXT}"),
        format!("123 <14>1 2026-06-15T10:00:00Z fw05 PAN-OS - - - CEF:0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|{EXT}"),
        format!("<14>2026-06-15T10:00:00+00:00 fw06 CEF:0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|{EXT}"),
        format!("<14>Jun 15 10:00:00 panos: CEF:0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|{EXT}"),
        // Ports: signs, zeros, out of 32-bit range; IPv6; case of `10.` prefixes.
        format!("{HEAD}{}", EXT.replace("dpt=22", "dpt=+22")),
        format!("{HEAD}{}", EXT.replace("dpt=22", "dpt=0022")),
        format!("{HEAD}{}", EXT.replace("dpt=22", "dpt=-5")),
        format!("{HEAD}{}", EXT.replace("dpt=22", "dpt=4294967318")),
        format!("{HEAD}{}", EXT.replace("dst=203.0.113.9", "dst=2001:db8::9")),
        format!("{HEAD}{}", EXT.replace("reason=tcp-rst-from-server", "reason=TCP-FIN_x")),
        format!("{HEAD}{}", EXT.replace("reason=tcp-rst-from-server", "reason=xtcp-fin aged-outy")),
    ];
    let mut bodies: Vec<J> = lines.iter().map(|l| json!({ "message": l })).collect();
    // Split by a parser; `log` instead of `message`; `message` without CEF then `log` with it.
    bodies.push(json!({"host": "fw09", "ident": "CEF", "message": format!("0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|{EXT}")}));
    bodies.push(json!({"ident": "CEF", "message": 5, "log": format!("0|Palo Alto Networks|PAN-OS|1|end|TRAFFIC|1|{EXT}"), "host": "fw10"}));
    bodies.push(json!({"message": "no cef here", "log": format!("{HEAD}{EXT}")}));
    bodies.push(json!({"host": "", "message": format!("{HEAD}{EXT}")}));
    bodies.push(json!({"ident": "TRAFFIC", "Message": 5, "message": format!("{HEAD}{EXT}")}));
    bodies.push(json!({"ident": "TRAFFIC", "FirewallName": "f", "Message": "{not json", "message": format!("{HEAD}{EXT}")}));
    let mut differences = Vec::new();
    for body in &bodies {
        let (want, got) = (core_row(body), vrl_row(&p, body));
        if want != got {
            differences.push(format!("{body}\n  core: {want:?}\n  vrl:  {got:?}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
    let candidates = bodies.iter().filter(|b| core_row(b).is_some()).count();
    assert!(
        candidates >= 18,
        "{candidates} of {} are candidates",
        bodies.len()
    );
}

/// Where parse_cef and the module's scanner still split a line differently (README.md, Vector,
/// "What differs from the Fluent Bit path"). Pinned, so that a change on either side is noticed.
#[test]
fn known_differences_are_as_documented() {
    let p = Pipeline::load().unwrap();
    for (ext, field, core, vrl) in [
        // Surrounding double quotes: parse_cef removes them.
        ("suid=\"bob\"", "SourceUserID", "\"bob\"", "bob"),
        // Two spaces before a key: the module keeps one in the value before.
        ("suid=bob  x=1", "SourceUserID", "bob ", "bob"),
        // A key with characters outside [A-Za-z0-9_.,[]-]: parse_cef ends the value there.
        ("suid=bob a/b=1", "SourceUserID", "bob a/b=1", "bob"),
        // `|` in front of a key inside the extension: parse_cef takes it as a separator.
        ("suid=bob|x=1", "SourceUserID", "bob|x=1", "bob"),
    ] {
        let body = json!({ "message": format!("{HEAD}{EXT} {ext}") });
        assert_eq!(core_row(&body).unwrap()[field], core, "core, {ext}");
        assert_eq!(vrl_row(&p, &body).unwrap()[field], vrl, "vrl, {ext}");
    }
}
