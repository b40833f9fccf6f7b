//! The generator: background traffic, planted scans, edge-case scenarios, arrival order.

use crate::render::{ngfw_record, pan_rt, wrap_cef, wrap_plain, CefLine};
use crate::time::{rfc3339_millis, NANOS_PER_SEC};
use crate::{Edge, EdgeSet, GenConfig, GenRecord, Shape, Truth, Variant};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

const MS: i64 = 1_000_000;
const SEC: i64 = NANOS_PER_SEC;
const HOUR: i64 = 3600 * SEC;
/// Arrival delays from here up count as out of order (the ordinary jitter is a few seconds).
const LONG_DELAY_MS: i64 = 30_000;

struct Device {
    /// `dvchost`: the rule's DeviceName.
    name: &'static str,
    /// The syslog HOSTNAME in front of `CEF:`: the rule's Computer.
    host: &'static str,
    serial: &'static str,
    /// The admin moved keys around: `act`/`app` first, `reason` and `dvchost` last.
    custom_order: bool,
}

const DEVICES: [Device; 4] = [
    Device {
        name: "PA-5250-edge01",
        host: "PA-5250-edge01",
        serial: "016401000001",
        custom_order: false,
    },
    Device {
        name: "PA-3220-dc02",
        host: "pa-dc02.corp.example",
        serial: "016401000002",
        custom_order: false,
    },
    Device {
        name: "PA-VM-branch03",
        host: "log-relay-01",
        serial: "015351000003",
        custom_order: true,
    },
    Device {
        name: "fw lab 04 Zürich",
        host: "192.0.2.44",
        serial: "016401000004",
        custom_order: false,
    },
];
const DEV_EDGE: usize = 0;
const DEV_DC: usize = 1;
const DEV_BRANCH: usize = 2;
const DEV_LAB: usize = 3;

const FIREWALLS: [&str; 3] = [
    "fw.example.net",
    "ngfw-eastus.contoso.example",
    "ngfw-westeu.contoso.example",
];

const SCAN_PORTS: [i64; 20] = [
    21, 22, 23, 25, 110, 111, 135, 139, 445, 1433, 2049, 3306, 3389, 5432, 5900, 6379, 8443, 9200,
    11211, 27017,
];
const EXCLUDED_PORTS: [i64; 8] = [0, 53, 80, 389, 443, 880, 8080, 8888];
const USERS: [&str; 5] = [
    "jürgen.müller@corp.example",
    "jdoe@corp.example",
    "asmith@corp.example",
    "svc-backup@corp.example",
    "",
];

#[derive(Debug, Clone)]
enum Port {
    Num(i64),
    Missing,
    Empty,
    Text(&'static str),
}

/// A value that may be present, present but empty, or absent.
#[derive(Debug, Clone)]
enum Opt {
    Val(String),
    Empty,
    Missing,
}

/// Everything one record says, before it is rendered in a shape.
#[derive(Debug, Clone)]
struct Event {
    t: i64,
    /// PAN-OS THREAT log instead of TRAFFIC.
    threat: bool,
    device: usize,
    firewall: String,
    ident: String,
    src: String,
    dst: String,
    port: Port,
    spt: i64,
    app: String,
    action: String,
    proto: String,
    reason: Opt,
    /// Unmapped keys written right after `reason`.
    after_reason: Vec<(String, String)>,
    /// (value, write raw without escaping)
    suid: Option<(String, bool)>,
    suser: (String, bool),
    version: u8,
    space: bool,
    trailer: &'static str,
}

struct Pending {
    arrival: i64,
    seq: u64,
    record: GenRecord,
}

struct Hit {
    part: usize,
    dst: String,
    t: i64,
    threat: bool,
}

struct Gen {
    rng: ChaCha8Rng,
    cfg: GenConfig,
    start: i64,
    out: Vec<Pending>,
    session: u64,
    next_scan: u32,
}

/// Generates the configured traffic, in arrival order (event times mostly increasing, a few
/// seconds of jitter, some records up to `max_delay_secs` late). Same config, same records.
pub fn generate(cfg: &GenConfig) -> Vec<GenRecord> {
    let mut g = Gen::new(cfg.clone());
    for h in 0..cfg.hours {
        let hs = g.start + i64::from(h) * HOUR;
        for _ in 0..cfg.records_per_hour {
            let t = hs + g.rng.random_range(0..3_600_000) * MS;
            g.background(t, 0.03);
        }
        for _ in 0..cfg.scans_per_hour {
            g.random_scan(h);
        }
    }
    for _ in 0..cfg.edge_passes {
        for &e in Edge::ALL {
            if matches!(
                e,
                Edge::NoComputer | Edge::NgfwMessageObject | Edge::BigScan
            ) {
                continue;
            }
            for s in Shape::ALL {
                if e.applies(s) {
                    let h = g.rng.random_range(0..cfg.hours.max(1));
                    g.scenario(Some(e), s, h);
                }
            }
        }
    }
    if cfg.big_scan {
        g.big_scan(Variant::PanOs);
        g.big_scan(Variant::CloudNgfw);
    }
    g.finish()
}

/// Background traffic only (no planted scans) in all shapes, `n` records over one hour from
/// 2026-06-15T10:00Z, in arrival order: benchmark input with a few percent candidates.
pub fn mixed_records(seed: u64, n: usize) -> Vec<GenRecord> {
    let cfg = GenConfig {
        seed,
        hours: 1,
        ..GenConfig::default()
    };
    let mut g = Gen::new(cfg);
    let hs = g.start + 10 * HOUR;
    for i in 0..n {
        let t = hs + (i as i64 * 3_600_000 / n.max(1) as i64) * MS;
        g.background(t, 0.04);
    }
    g.finish()
}

/// Raw PAN-OS CEF lines with an RFC 3164 header, about 1 KB each, about 3% candidates.
pub fn mixed_cef_lines(seed: u64, n: usize) -> Vec<String> {
    let mut g = Gen::new(GenConfig {
        seed,
        ..GenConfig::default()
    });
    let hs = g.start + 10 * HOUR;
    (0..n)
        .map(|i| {
            let t = hs + i as i64 * 50 * MS;
            let ev = g.background_traffic(t, 0.04);
            let line = g.cef_line(&ev).0.render();
            let (body, _) = wrap_cef(
                &line,
                Shape::Rfc3164Message,
                DEVICES[ev.device].host,
                t,
                &mut g.rng,
            );
            body.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn ip4(a: u32, b: u32, c: u32, d: u32) -> String {
    format!("{a}.{b}.{c}.{d}")
}

impl Gen {
    fn new(cfg: GenConfig) -> Gen {
        let start = cfg.start_secs.div_euclid(3600) * 3600 * SEC;
        Gen {
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            cfg,
            start,
            out: Vec::new(),
            session: 100_000,
            next_scan: 0,
        }
    }

    fn finish(mut self) -> Vec<GenRecord> {
        self.out.sort_by_key(|p| (p.arrival, p.seq));
        self.out.into_iter().map(|p| p.record).collect()
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        // Every call site passes a non-empty constant slice.
        *items.choose(&mut self.rng).unwrap_or(&items[0])
    }

    fn internal_src(&mut self) -> String {
        let r = &mut self.rng;
        ip4(
            10,
            r.random_range(1..40),
            r.random_range(0..256),
            r.random_range(2..255),
        )
    }

    fn public_dst(&mut self) -> String {
        let r = &mut self.rng;
        let d = r.random_range(1..255);
        match r.random_range(0..8) {
            0 => ip4(203, 0, 113, d),
            1 => ip4(198, 51, 100, d),
            2 => ip4(52, r.random_range(0..256), r.random_range(0..256), d),
            3 => ip4(13, 107, r.random_range(0..256), d),
            4 => ip4(142, 250, r.random_range(0..256), d),
            5 => ip4(104, 16, r.random_range(0..256), d),
            6 => ip4(151, 101, r.random_range(0..256), d),
            _ => ip4(r.random_range(11..99), r.random_range(0..256), 7, d),
        }
    }

    /// A fresh session id: realistic, and keeps lines distinct.
    fn next_session(&mut self) -> u64 {
        self.session += self.rng.random_range(1..50);
        self.session
    }

    fn push(&mut self, record: GenRecord, long_delay: bool) {
        let max_ms = i64::from(self.cfg.max_delay_secs) * 1000;
        let delay = if long_delay && max_ms > 0 {
            let lo = LONG_DELAY_MS.min(max_ms);
            self.rng.random_range(lo..=max_ms)
        } else {
            self.rng.random_range(0..=3000.min(max_ms))
        };
        let mut record = record;
        if delay >= LONG_DELAY_MS {
            record.edges.insert(Edge::OutOfOrder);
        }
        let seq = self.out.len() as u64;
        self.out.push(Pending {
            arrival: record.time + delay * MS,
            seq,
            record,
        });
    }

    // ---------------------------------------------------------------- rendering events

    /// The CEF line for a PAN-OS TRAFFIC or THREAT event, and the `dpt` Sentinel would store.
    fn cef_line(&mut self, ev: &Event) -> (CefLine, Option<i64>) {
        let d = &DEVICES[ev.device];
        let session = self.next_session();
        let r = &mut self.rng;
        let (class, name, severity) = if ev.threat {
            // A `|` in a header field: written as `\|`, it must not split the header.
            ("TCP Port Scan|probe(8001)", "THREAT", "3")
        } else {
            let subtype = match ev.action.as_str() {
                "deny" | "Deny" => "deny",
                "drop" => "drop",
                _ => "end",
            };
            (subtype, "TRAFFIC", "1")
        };
        let mut l = CefLine {
            version: ev.version,
            space: ev.space,
            header: [
                "Palo Alto Networks".into(),
                "PAN-OS".into(),
                "10.2.4".into(),
                class.into(),
                name.into(),
                severity.into(),
            ],
            ext: Vec::new(),
            trailer: ev.trailer,
        };
        let (dpt_text, dpt) = match &ev.port {
            Port::Num(n) => (Some(n.to_string()), Some(*n)),
            Port::Missing => (None, None),
            Port::Empty => (Some(String::new()), None),
            Port::Text(s) => (Some((*s).to_string()), None),
        };
        let natport = r.random_range(1024..65000).to_string();
        let bytes = r.random_range(60..20_000);
        let pkts_in = r.random_range(1..20);
        let pkts_out = r.random_range(0..20);
        let elapsed = r.random_range(0..30);
        let v6 = ev.version == 1;
        l.push("rt", pan_rt(ev.t));
        l.push("deviceExternalId", d.serial);
        l.push("src", ev.src.as_str());
        l.push("dst", ev.dst.as_str());
        l.push(
            "sourceTranslatedAddress",
            if v6 { "::" } else { "198.51.100.254" },
        );
        l.push("cs1Label", "Rule");
        l.push(
            "cs1",
            ["allow outbound web", "default-outbound", "dc-egress"][r.random_range(0..3)],
        );
        if ev.suser.1 {
            l.push_raw("suser", ev.suser.0.as_str());
        } else {
            l.push("suser", ev.suser.0.as_str());
        }
        l.push("duser", "");
        if let Some((v, raw)) = &ev.suid {
            if *raw {
                l.push_raw("suid", v.as_str());
            } else {
                l.push("suid", v.as_str());
            }
        }
        l.push("app", ev.app.as_str());
        l.push("cs3Label", "Virtual System");
        l.push("cs3", "vsys1");
        l.push("cs4Label", "Source Zone");
        l.push("cs4", "trust");
        l.push("cs5Label", "Destination Zone");
        l.push("cs5", "untrust");
        l.push("cs6Label", "LogProfile");
        l.push("cs6", "default-forwarding");
        l.push("cn1Label", "SessionID");
        l.push("cn1", session.to_string());
        l.push("cnt", "1");
        l.push("spt", ev.spt.to_string());
        if let Some(text) = &dpt_text {
            l.push("dpt", text.as_str());
        }
        l.push("sourceTranslatedPort", natport);
        l.push(
            "destinationTranslatedPort",
            dpt.map(|p| p.to_string()).unwrap_or_else(|| "0".into()),
        );
        l.push("flexString1Label", "Flags");
        l.push("flexString1", "0x400000");
        l.push("proto", ev.proto.as_str());
        l.push("act", ev.action.as_str());
        if ev.threat {
            l.push("request", "");
            l.push("cs2Label", "URL Category");
            l.push("cs2", "any");
            l.push("flexString2Label", "Direction");
            l.push("flexString2", "client-to-server");
            l.push("externalId", (7_000_000_000u64 + session).to_string());
        } else {
            l.push("flexNumber1Label", "Total bytes");
            l.push("flexNumber1", bytes.to_string());
            l.push("in", (bytes / 2).to_string());
            l.push("out", (bytes - bytes / 2).to_string());
            l.push("cn2Label", "Packets");
            l.push("cn2", (pkts_in + pkts_out).to_string());
            l.push("PanOSPacketsReceived", pkts_in.to_string());
            l.push("PanOSPacketsSent", pkts_out.to_string());
            l.push("start", pan_rt(ev.t - elapsed * SEC));
            l.push("cn3Label", "Elapsed time in seconds");
            l.push("cn3", elapsed.to_string());
            l.push("cs2Label", "URL Category");
            l.push("cs2", "any");
            l.push("externalId", (7_000_000_000u64 + session).to_string());
        }
        match &ev.reason {
            Opt::Val(v) => l.push("reason", v.as_str()),
            Opt::Empty => l.push("reason", ""),
            Opt::Missing => {}
        }
        for (k, v) in &ev.after_reason {
            l.push(k, v.as_str());
        }
        for k in ["PanOSDGl1", "PanOSDGl2"] {
            l.push(k, "0");
        }
        l.push("PanOSVsysName", "");
        l.push("dvchost", d.name);
        l.push("cat", if ev.threat { "scan" } else { "from-policy" });
        l.push("PanOSActionFlags", "0x0");
        if ev.threat {
            l.push("PanOSThreatID", "8001");
            l.push("PanOSThreatCategory", "scan");
            l.push("PanOSContentVer", "AppThreat-8795-8512");
        }
        l.push("PanOSTunnelID", "0");
        l.push("PanOSMonitorTag", "");
        // PAN-OS really writes this key with a space in it.
        l.push("PanOSParent SessionID", "0");
        l.push("PanOSParentStartTime", "");
        l.push("PanOSTunnelType", "N/A");
        l.push("PanOSSessionID", session.to_string());
        l.push(
            "PanOSSourceLocation",
            if ev.src.starts_with("10.") {
                "10.0.0.0-10.255.255.255"
            } else {
                "United States"
            },
        );
        if d.custom_order {
            reorder(&mut l, &ev.after_reason);
        }
        (l, dpt)
    }

    /// Renders a PAN-OS event in a CEF shape.
    fn cef_record(&mut self, ev: &Event, shape: Shape) -> (Value, Truth) {
        let (line, dpt) = self.cef_line(ev);
        let text = line.render();
        let (body, computer) = wrap_cef(&text, shape, DEVICES[ev.device].host, ev.t, &mut self.rng);
        (body, Truth::Cef(line.truth(ev.t, dpt, &computer)))
    }

    fn ngfw_fields(&mut self, ev: &Event) -> Vec<(String, Value)> {
        let session = self.next_session();
        let r = &mut self.rng;
        let mut f: Vec<(String, Value)> = Vec::with_capacity(24);
        let mut put = |k: &str, v: Value| f.push((k.to_string(), v));
        put("receive_time", rfc3339_millis(ev.t).into());
        put("type", "TRAFFIC".into());
        put("subtype", "end".into());
        put("src_ip", ev.src.as_str().into());
        put("dst_ip", ev.dst.as_str().into());
        put("nat_src_ip", "20.10.5.7".into());
        put("sport", ev.spt.into());
        match &ev.port {
            Port::Num(n) => put("dport", (*n).into()),
            Port::Missing => {}
            Port::Empty => put("dport", "".into()),
            Port::Text(s) => put("dport", (*s).into()),
        }
        put("app", ev.app.as_str().into());
        put("proto", ev.proto.as_str().into());
        put("action", ev.action.as_str().into());
        match &ev.reason {
            Opt::Val(v) => put("session_end_reason", v.as_str().into()),
            Opt::Empty => put("session_end_reason", "".into()),
            Opt::Missing => {}
        }
        put("rule", "allow-outbound".into());
        put("from", "trust".into());
        put("to", "untrust".into());
        let bytes: u64 = r.random_range(60..20_000);
        put("bytes", bytes.into());
        put("packets", r.random_range(1u64..40).into());
        put("session_id", session.into());
        put("repeatcnt", 1.into());
        put("category", "any".into());
        put("src_location", "10.0.0.0-10.255.255.255".into());
        put("dst_location", "United States".into());
        put("elapsed", r.random_range(0u64..30).into());
        put("vsys", "vsys1".into());
        put("rule_uuid", "1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b".into());
        f
    }

    fn ngfw_rec(&mut self, ev: &Event, shape: Shape) -> (Value, Truth) {
        let fields = self.ngfw_fields(ev);
        let (body, row) = ngfw_record(shape, &ev.ident, &ev.firewall, &fields, ev.t);
        (body, Truth::Ngfw(row))
    }

    fn render(&mut self, ev: &Event, shape: Shape) -> (Value, Truth) {
        match shape.variant() {
            Variant::PanOs => self.cef_record(ev, shape),
            Variant::CloudNgfw => self.ngfw_rec(ev, shape),
        }
    }

    fn shape_edges(&self, ev: &Event, shape: Shape) -> EdgeSet {
        let mut e = EdgeSet::default();
        match shape.variant() {
            Variant::PanOs => {
                if !shape.has_computer() {
                    e.insert(Edge::NoComputer);
                }
                if DEVICES[ev.device].custom_order {
                    e.insert(Edge::CustomKeyOrder);
                }
                if ev.device == DEV_LAB {
                    e.insert(Edge::SpaceInValue);
                }
                if ev.threat {
                    e.insert(Edge::HeaderEscape);
                }
            }
            Variant::CloudNgfw => {
                if shape == Shape::NgfwObject {
                    e.insert(Edge::NgfwMessageObject);
                }
            }
        }
        e
    }

    // ---------------------------------------------------------------- background

    fn cef_background_shape(&mut self) -> Shape {
        let x = self.rng.random_range(0..100);
        match x {
            0..=24 => Shape::Rfc3164Message,
            25..=44 => Shape::SplitRfc3164,
            45..=59 => Shape::HostMessage,
            60..=69 => Shape::Rfc5424,
            70..=79 => Shape::OctetCounted,
            80..=87 => Shape::Rfc3164Log,
            88..=92 => Shape::Rfc3164NoPri,
            93..=95 => Shape::Rfc5424NilHost,
            _ => Shape::BareCef,
        }
    }

    /// Ordinary traffic, `incomplete` with probability `incomplete`.
    fn background_traffic(&mut self, t: i64, incomplete: f64) -> Event {
        let r = &mut self.rng;
        let device =
            [DEV_EDGE, DEV_EDGE, DEV_DC, DEV_DC, DEV_BRANCH, DEV_LAB][r.random_range(0..6)];
        let (app, port, proto, reason): (&str, i64, &str, &str) = if r.random_bool(incomplete) {
            let port = if r.random_bool(0.7) {
                SCAN_PORTS[r.random_range(0..SCAN_PORTS.len())]
            } else {
                r.random_range(1..65536)
            };
            let reason =
                ["tcp-rst-from-server", "aged-out", "tcp-rst-from-client"][r.random_range(0..3)];
            ("incomplete", port, "tcp", reason)
        } else {
            match r.random_range(0..20) {
                0..=5 => ("ssl", 443, "tcp", "tcp-fin"),
                6..=7 => ("web-browsing", 80, "tcp", "tcp-fin"),
                8..=10 => ("dns-base", 53, "udp", "aged-out"),
                11 => ("ntp-base", 123, "udp", "aged-out"),
                12 => ("ms-update", 443, "tcp", "tcp-rst-from-client"),
                13 => ("google-base", 443, "tcp", "tcp-fin"),
                14 => ("ldap", 389, "tcp", "tcp-fin"),
                15 => ("quic", 443, "udp", "aged-out"),
                16 => ("ssh", 22, "tcp", "tcp-fin"),
                17 => ("ms-rdp", 3389, "tcp", "tcp-rst-from-server"),
                18 => (
                    "insufficient-data",
                    r.random_range(1024..65536),
                    "tcp",
                    "aged-out",
                ),
                _ => (
                    "not-applicable",
                    r.random_range(1..1024),
                    "tcp",
                    "policy-deny",
                ),
            }
        };
        let action = if reason == "policy-deny" {
            ["deny", "drop", "reset-both"][r.random_range(0..3)]
        } else {
            [
                "allow",
                "allow",
                "allow",
                "allow",
                "allow",
                "allow",
                "reset-server",
                "drop",
            ][r.random_range(0..8)]
        };
        let suser = USERS[r.random_range(0..USERS.len())];
        let spt = r.random_range(1024..65536);
        let firewall = FIREWALLS[r.random_range(0..FIREWALLS.len())];
        let src = if r.random_bool(0.93) {
            self.internal_src()
        } else {
            ip4(
                192,
                168,
                self.rng.random_range(0..256),
                self.rng.random_range(2..255),
            )
        };
        let dst = if self.rng.random_bool(0.8) {
            self.public_dst()
        } else {
            self.internal_src()
        };
        Event {
            t,
            threat: false,
            device,
            firewall: firewall.into(),
            ident: "TRAFFIC".into(),
            src,
            dst,
            port: Port::Num(port),
            spt,
            app: app.into(),
            action: action.into(),
            proto: proto.into(),
            reason: Opt::Val(reason.into()),
            after_reason: Vec::new(),
            suid: None,
            suser: (suser.into(), false),
            version: 0,
            space: false,
            trailer: "",
        }
    }

    fn background(&mut self, t: i64, incomplete: f64) {
        let x = self.rng.random_range(0..1000);
        let long = self.rng.random_bool(0.01);
        let (body, truth, shape, edges) = match x {
            0..=759 => {
                let ev = self.background_traffic(t, incomplete);
                let shape = self.cef_background_shape();
                let (b, tr) = self.cef_record(&ev, shape);
                (b, tr, shape, self.shape_edges(&ev, shape))
            }
            760..=799 => {
                let mut ev = self.background_traffic(t, 0.0);
                ev.threat = true;
                ev.action = ["alert", "reset-both", "drop"][self.rng.random_range(0..3)].into();
                let shape = self.cef_background_shape();
                let (b, tr) = self.cef_record(&ev, shape);
                (b, tr, shape, self.shape_edges(&ev, shape))
            }
            800..=819 => self.system_log(t),
            820..=839 => self.other_vendor(t),
            840..=869 => {
                let host = ["bastion01", "ad-dc01.corp.example"][self.rng.random_range(0..2)];
                let pid = self.rng.random_range(100..30000);
                let text = format!(
                    "sshd[{pid}]: Accepted publickey for ops from 10.2.3.4 port 50022 ssh2"
                );
                let b = wrap_plain(&text, host, t);
                (b, Truth::None, Shape::Rfc3164Message, EdgeSet::default())
            }
            870..=874 => {
                // A truncated header: no extension, cannot be a candidate in any reading.
                let (b, _) = wrap_cef(
                    "CEF:0|Palo Alto Networks|PAN-OS|10.2.4",
                    Shape::Rfc3164Message,
                    "PA-5250-edge01",
                    t,
                    &mut self.rng,
                );
                (b, Truth::None, Shape::Rfc3164Message, EdgeSet::default())
            }
            875..=876 => {
                let b = serde_json::json!({"message": 12345, "log": null});
                (b, Truth::None, Shape::Rfc3164Message, EdgeSet::default())
            }
            _ => {
                let mut ev = self.background_traffic(t, incomplete);
                ev.ident = match self.rng.random_range(0..100) {
                    0..=89 => "TRAFFIC",
                    90..=96 => "THREAT",
                    _ => "DECRYPTION",
                }
                .into();
                let shape = if self.rng.random_bool(0.8) {
                    Shape::NgfwText
                } else {
                    Shape::NgfwObject
                };
                let (b, tr) = self.ngfw_rec(&ev, shape);
                (b, tr, shape, self.shape_edges(&ev, shape))
            }
        };
        self.push(
            GenRecord {
                time: t,
                body,
                truth,
                shape,
                edges,
                scan: None,
            },
            long,
        );
    }

    fn system_log(&mut self, t: i64) -> (Value, Truth, Shape, EdgeSet) {
        let d = &DEVICES[self.rng.random_range(0..DEVICES.len())];
        let mut l = CefLine {
            version: 0,
            space: false,
            header: [
                "Palo Alto Networks".into(),
                "PAN-OS".into(),
                "10.2.4".into(),
                "general".into(),
                "SYSTEM".into(),
                "1".into(),
            ],
            ext: Vec::new(),
            trailer: "",
        };
        l.push("rt", pan_rt(t));
        l.push("deviceExternalId", d.serial);
        l.push("cs3Label", "Virtual System");
        l.push("cs3", "");
        l.push("fname", "");
        l.push("flexString2Label", "Module");
        l.push("flexString2", "general");
        l.push("outcome", "");
        l.push(
            "msg",
            "User admin logged in via Web from 10.0.0.5 using https",
        );
        l.push("externalId", self.next_session().to_string());
        l.push("PanOSDGl1", "0");
        l.push("PanOSDGl2", "0");
        l.push("dvchost", d.name);
        l.push("PanOSVsysName", "");
        let shape = self.cef_background_shape();
        let (body, computer) = wrap_cef(&l.render(), shape, d.host, t, &mut self.rng);
        let edges = if shape.has_computer() {
            EdgeSet::default()
        } else {
            [Edge::NoComputer].into_iter().collect()
        };
        (body, Truth::Cef(l.truth(t, None, &computer)), shape, edges)
    }

    fn other_vendor(&mut self, t: i64) -> (Value, Truth, Shape, EdgeSet) {
        let src = self.internal_src();
        let dst = self.public_dst();
        let mut l = CefLine {
            version: 0,
            space: false,
            header: [
                "Fortinet".into(),
                "FortiGate-100F".into(),
                "v7.2.5".into(),
                "0000000013".into(),
                "traffic:forward close".into(),
                "3".into(),
            ],
            ext: Vec::new(),
            trailer: "",
        };
        l.push("deviceExternalId", "FG100FTK20000001");
        l.push("src", src.as_str());
        l.push("spt", self.rng.random_range(1024..65536).to_string());
        l.push("dst", dst.as_str());
        l.push("dpt", "443");
        l.push("proto", "6");
        l.push("act", "close");
        l.push("app", "HTTPS");
        l.push("reason", "");
        l.push("FTNTFGTsrcintf", "port1");
        l.push("FTNTFGTdstintf", "wan1");
        l.push("FTNTFGTpolicyid", "12");
        l.push("dvchost", "FGT-branch");
        let shape = Shape::Rfc3164Message;
        let (body, computer) = wrap_cef(&l.render(), shape, "fgt-branch", t, &mut self.rng);
        let edges = EdgeSet::default();
        (
            body,
            Truth::Cef(l.truth(t, Some(443), &computer)),
            shape,
            edges,
        )
    }

    // ---------------------------------------------------------------- planted scans

    fn base_scan_event(&mut self, t: i64) -> Event {
        let r = &mut self.rng;
        let action =
            ["allow", "allow", "allow", "reset-server", "reset-client"][r.random_range(0..5)];
        let reason = [
            "tcp-rst-from-server",
            "tcp-rst-from-server",
            "tcp-rst-from-client",
            "n/a",
            "unknown",
            "resources-unavailable",
        ][r.random_range(0..6)];
        let port = SCAN_PORTS[r.random_range(0..SCAN_PORTS.len())];
        let device = [DEV_EDGE, DEV_DC][r.random_range(0..2)];
        let firewall = FIREWALLS[r.random_range(0..FIREWALLS.len())];
        let suser = USERS[r.random_range(0..USERS.len())];
        let src = self.internal_src();
        Event {
            t,
            threat: false,
            device,
            firewall: firewall.into(),
            ident: "TRAFFIC".into(),
            src,
            dst: String::new(),
            port: Port::Num(port),
            spt: 0,
            app: "incomplete".into(),
            action: action.into(),
            proto: "tcp".into(),
            reason: Opt::Val(reason.into()),
            after_reason: Vec::new(),
            suid: None,
            suser: (suser.into(), false),
            version: 0,
            space: false,
            trailer: "",
        }
    }

    fn random_scan(&mut self, hour: u32) {
        const FLAVOURS: [Option<Edge>; 24] = [
            None,
            None,
            None,
            None,
            None,
            None,
            Some(Edge::Port49511),
            Some(Edge::Port49152),
            Some(Edge::ActionDenyCapital),
            Some(Edge::ActionDrop),
            Some(Edge::ReasonNearMiss),
            Some(Edge::ReasonEmpty),
            Some(Edge::ReasonFallback),
            Some(Edge::DstNear10),
            Some(Edge::SrcNon10),
            Some(Edge::Exactly10),
            Some(Edge::PartialDsts),
            Some(Edge::SplitReason),
            Some(Edge::SplitDevice),
            Some(Edge::StraddleOneSide),
            Some(Edge::EscapedValue),
            Some(Edge::Cef1Ipv6),
            Some(Edge::Exactly9),
            Some(Edge::ActionDeny),
        ];
        loop {
            let flavour = self.pick(&FLAVOURS);
            let shape = if self.rng.random_bool(0.2) {
                self.pick(&Shape::NGFW)
            } else {
                self.pick(&Shape::CEF_WITH_COMPUTER)
            };
            if flavour.is_none_or(|e| e.applies(shape)) {
                self.scenario(flavour, shape, hour);
                return;
            }
        }
    }

    /// Plants one scenario for `edge` (a plain scan for `None`) in records of `shape`.
    fn scenario(&mut self, edge: Option<Edge>, shape: Shape, hour: u32) {
        use Edge::*;
        let id = self.next_scan;
        self.next_scan += 1;
        let hs = self.start + i64::from(hour) * HOUR;
        let t0 = hs + self.rng.random_range(120..3000) * SEC;
        let mut ev = self.base_scan_event(t0);
        let mut edges = EdgeSet::default();
        if let Some(e) = edge {
            edges.insert(e);
        }
        // Per destination: (dst, hits). Defaults: one to three destinations, 10-13 hits.
        let ndst = [1, 1, 1, 2, 3][self.rng.random_range(0..5)];
        let mut dsts: Vec<String> = (0..ndst).map(|_| self.public_dst()).collect();
        let mut hits_per: Vec<u32> = dsts
            .iter()
            .map(|_| self.rng.random_range(10..=13))
            .collect();
        // Alternative events for split scenarios: (event, share of hits).
        let mut second: Option<Event> = None;
        let mut split: (u32, u32) = (0, 0);
        let mut straddle: Option<(u32, u32)> = None;
        let mut threat_last = false;
        let mut long_share = 0.0;
        match edge {
            None => {
                if self.rng.random_bool(0.5) {
                    let extra = self.public_dst();
                    dsts.push(extra);
                    hits_per.push(self.rng.random_range(10..=15));
                }
            }
            Some(Port49511) => ev.port = Port::Num(49511),
            Some(Port49512) => ev.port = Port::Num(49512),
            Some(Port49152) => ev.port = Port::Num(49152),
            Some(Port65535) => ev.port = Port::Num(65535),
            Some(PortExcludedList) => ev.port = Port::Num(self.pick(&EXCLUDED_PORTS)),
            Some(DptMissing) => ev.port = Port::Missing,
            Some(DptEmpty) => ev.port = Port::Empty,
            Some(DptNonNumeric) => ev.port = Port::Text("ssh"),
            Some(ActionDenyCapital) => ev.action = "Deny".into(),
            Some(ActionDeny) => ev.action = "deny".into(),
            Some(ActionDrop) => ev.action = "drop".into(),
            Some(ActionResetBoth) => ev.action = "reset-both".into(),
            Some(AppIncompleteCapital) => ev.app = "Incomplete".into(),
            Some(ReasonAgedOut) => ev.reason = Opt::Val("aged-out".into()),
            Some(ReasonAgedOutUpper) => ev.reason = Opt::Val("AGED-OUT".into()),
            Some(ReasonTcpFin) => ev.reason = Opt::Val("tcp-fin".into()),
            Some(ReasonTcpFinX) => ev.reason = Opt::Val("tcp-fin-x".into()),
            Some(ReasonNearMiss) => {
                ev.reason = Opt::Val(self.pick(&["tcp-finx", "unaged-out"]).into())
            }
            Some(ReasonEmpty) => ev.reason = Opt::Empty,
            Some(ReasonMissing) => ev.reason = Opt::Missing,
            Some(ReasonFallback) => {
                ev.reason = self.empty_or_missing();
                ev.after_reason = vec![("endreason".into(), "tcp-rst-from-server".into())];
            }
            Some(ReasonFallbackExcluded) => {
                ev.reason = self.empty_or_missing();
                ev.after_reason = vec![("endreason".into(), "aged-out".into())];
            }
            Some(ReasonFallbackEmptyValue) => {
                ev.reason = Opt::Empty;
                ev.after_reason = vec![("endreason".into(), String::new())];
            }
            Some(ReasonFallbackCaseMiss) => {
                ev.reason = Opt::Empty;
                ev.after_reason = vec![("PanOSEndReason".into(), "aged-out".into())];
            }
            Some(ReasonMappedWins) => {
                ev.reason = Opt::Val("tcp-rst-from-client".into());
                ev.after_reason = vec![("endreason".into(), "aged-out".into())];
            }
            Some(Dst10) => {
                for d in dsts.iter_mut() {
                    *d = self.internal_src();
                }
            }
            Some(DstNear10) => {
                for d in dsts.iter_mut() {
                    let r = &mut self.rng;
                    let (a, b) = [(100, 64), (101, 1), (110, 34), (100, 10)][r.random_range(0..4)];
                    *d = ip4(a, b, r.random_range(0..256), r.random_range(1..255));
                }
            }
            Some(DstEmpty) => {
                dsts.truncate(1);
                hits_per.truncate(1);
                dsts[0] = String::new();
            }
            Some(SrcNon10) => {
                let r = &mut self.rng;
                ev.src = match r.random_range(0..3) {
                    0 => ip4(192, 168, r.random_range(0..256), r.random_range(2..255)),
                    1 => ip4(172, 16, r.random_range(0..256), r.random_range(2..255)),
                    _ => ip4(203, 0, 113, r.random_range(2..255)),
                };
            }
            Some(EscapedValue) => {
                ev.suid = Some(("CORP\\svc=scan".into(), false));
                ev.suser = ("CORP\\jdoe".into(), false);
            }
            Some(UnescapedEquals) => {
                ev.suid = Some(("uid=1001".into(), true));
                ev.suser = ("cn=jdoe,ou=users".into(), true);
            }
            Some(SpaceInValue) => ev.device = DEV_LAB,
            Some(TrailingNewline) => {
                ev.device = DEV_BRANCH;
                ev.trailer = self.pick(&["\n", "\r\n"]);
            }
            Some(CefSpace) => ev.space = true,
            Some(Cef1Ipv6) => {
                ev.version = 1;
                let s = self.rng.random_range(2..0xfff);
                ev.src = format!("fd12:3456:789a:1::{s:x}");
                for d in dsts.iter_mut() {
                    let x = self.rng.random_range(1..0xffff);
                    *d = format!("2001:db8:ff::{x:x}");
                }
            }
            Some(ThreatCandidate) => {
                // Nine TRAFFIC logs and one THREAT log of the same group: 10 only if THREAT
                // logs count, as they do in the KQL.
                dsts.truncate(1);
                hits_per = vec![10];
                threat_last = true;
            }
            Some(CustomKeyOrder) => ev.device = DEV_BRANCH,
            Some(NgfwFirewallEmpty) => ev.firewall = String::new(),
            Some(NgfwIdentThreat) => ev.ident = "THREAT".into(),
            Some(Exactly9) => {
                dsts.truncate(1);
                hits_per = vec![9];
            }
            Some(Exactly10) => {
                dsts.truncate(1);
                hits_per = vec![10];
            }
            Some(PartialDsts) => {
                dsts = (0..5).map(|_| self.public_dst()).collect();
                hits_per = vec![
                    self.rng.random_range(10..=12),
                    self.rng.random_range(10..=12),
                    self.rng.random_range(10..=12),
                    self.rng.random_range(3..=9),
                    9,
                ];
            }
            Some(e @ (SplitReason | SplitProtocol | SplitDevice | SplitAction)) => {
                dsts.truncate(1);
                let mut b = ev.clone();
                match e {
                    SplitReason => {
                        ev.reason = Opt::Val("tcp-rst-from-server".into());
                        b.reason = Opt::Val("tcp-rst-from-client".into());
                    }
                    SplitProtocol => {
                        ev.proto = "tcp".into();
                        b.proto = "udp".into();
                    }
                    SplitDevice => {
                        ev.device = DEV_EDGE;
                        b.device = DEV_DC;
                        ev.firewall = FIREWALLS[1].into();
                        b.firewall = FIREWALLS[2].into();
                    }
                    _ => {
                        let (x, y) = self.pick(&[
                            ("Deny", "deny"),
                            ("allow", "drop"),
                            ("reset-server", "reset-both"),
                        ]);
                        ev.action = x.into();
                        b.action = y.into();
                    }
                }
                second = Some(b);
                split = self.pick(&[(10, 10), (6, 6), (12, 5), (9, 11)]);
                hits_per = vec![split.0 + split.1];
            }
            Some(StraddleNoFire) => {
                dsts.truncate(1);
                straddle = Some(self.pick(&[(7, 7), (9, 9), (5, 8)]));
            }
            Some(StraddleOneSide) => {
                dsts.truncate(1);
                straddle = Some(self.pick(&[(12, 4), (4, 12), (10, 9)]));
            }
            Some(OutOfOrder) => long_share = 0.6,
            Some(NoComputer | NgfwMessageObject | BigScan | HeaderEscape) => {}
        }

        // Hit times. Straddles sit on an hour boundary; everything else is a burst a few
        // seconds apart inside the hour.
        let mut hits: Vec<Hit> = Vec::new();
        if let Some((before, after)) = straddle {
            let boundary = self.start + i64::from(hour.max(1)) * HOUR;
            let dst = dsts[0].clone();
            // The last hit before sits 1 ms before the boundary, the first after exactly on it.
            let mut t = boundary - MS;
            for _ in 0..before {
                hits.push(Hit {
                    part: 0,
                    dst: dst.clone(),
                    t,
                    threat: false,
                });
                t -= self.rng.random_range(200..3000) * MS;
            }
            let mut t = boundary;
            for _ in 0..after {
                hits.push(Hit {
                    part: 0,
                    dst: dst.clone(),
                    t,
                    threat: false,
                });
                t += self.rng.random_range(200..3000) * MS;
            }
        } else {
            let mut slots: Vec<(usize, String)> = Vec::new();
            for (d, n) in dsts.iter().zip(&hits_per) {
                for k in 0..*n {
                    let part = usize::from(second.is_some() && k >= split.0);
                    slots.push((part, d.clone()));
                }
            }
            slots.shuffle(&mut self.rng);
            let mut t = t0;
            let last = slots.len().saturating_sub(1);
            for (i, (part, dst)) in slots.into_iter().enumerate() {
                hits.push(Hit {
                    part,
                    dst,
                    t,
                    threat: threat_last && i == last,
                });
                t += self.rng.random_range(200..4000) * MS;
            }
        }

        for h in hits {
            let mut e = if h.part == 1 {
                second.clone().unwrap_or_else(|| ev.clone())
            } else {
                ev.clone()
            };
            e.t = h.t;
            e.dst = h.dst;
            e.spt = self.rng.random_range(1024..65536);
            e.threat = h.threat;
            let (body, truth) = self.render(&e, shape);
            let long = self.rng.random_bool(long_share);
            let rec_edges = edges.union(self.shape_edges(&e, shape));
            self.push(
                GenRecord {
                    time: h.t,
                    body,
                    truth,
                    shape,
                    edges: rec_edges,
                    scan: Some(id),
                },
                long,
            );
        }
    }

    fn empty_or_missing(&mut self) -> Opt {
        if self.rng.random_bool(0.5) {
            Opt::Empty
        } else {
            Opt::Missing
        }
    }

    /// 200 destinations, 12-14 hits each, one source and port: more distinct destinations
    /// than `makeset` keeps. Records spread over every shape of the variant, a few without
    /// Computer.
    fn big_scan(&mut self, variant: Variant) {
        let id = self.next_scan;
        self.next_scan += 1;
        let hour = self.rng.random_range(0..self.cfg.hours.max(1));
        let t0 = self.start + i64::from(hour) * HOUR + 300 * SEC;
        let mut ev = self.base_scan_event(t0);
        ev.port = Port::Num(445);
        ev.action = "allow".into();
        ev.reason = Opt::Val("tcp-rst-from-server".into());
        let mut slots: Vec<String> = Vec::new();
        for i in 1..=200u32 {
            let dst = if variant == Variant::PanOs {
                ip4(198, 51, 100, i)
            } else {
                ip4(203, 0, 113, i)
            };
            for _ in 0..self.rng.random_range(12..=14) {
                slots.push(dst.clone());
            }
        }
        slots.shuffle(&mut self.rng);
        let mut t = t0;
        for dst in slots {
            let shape = match variant {
                Variant::CloudNgfw => self.pick(&Shape::NGFW),
                Variant::PanOs if self.rng.random_bool(0.03) => {
                    self.pick(&[Shape::Rfc5424NilHost, Shape::BareCef])
                }
                Variant::PanOs => self.pick(&Shape::CEF_WITH_COMPUTER),
            };
            let mut e = ev.clone();
            e.t = t;
            e.dst = dst;
            e.spt = self.rng.random_range(1024..65536);
            let (body, truth) = self.render(&e, shape);
            let mut edges = self.shape_edges(&e, shape);
            edges.insert(Edge::BigScan);
            self.push(
                GenRecord {
                    time: t,
                    body,
                    truth,
                    shape,
                    edges,
                    scan: Some(id),
                },
                false,
            );
            t += self.rng.random_range(50..400) * MS;
        }
    }
}

/// A device with a customised log format: `act` and `app` first, then the usual keys, then
/// `reason` (with its companions) and `dvchost` last, so the line ends in a grouping value.
fn reorder(l: &mut CefLine, after_reason: &[(String, String)]) {
    let is_back = |k: &str| k == "reason" || after_reason.iter().any(|(a, _)| a == k);
    let mut front = Vec::new();
    let mut middle = Vec::new();
    let mut back = Vec::new();
    let mut host = Vec::new();
    for e in l.ext.drain(..) {
        if e.key == "act" || e.key == "app" {
            front.push(e);
        } else if e.key == "dvchost" {
            host.push(e);
        } else if is_back(&e.key) {
            back.push(e);
        } else {
            middle.push(e);
        }
    }
    l.ext = front
        .into_iter()
        .chain(middle)
        .chain(back)
        .chain(host)
        .collect();
}
