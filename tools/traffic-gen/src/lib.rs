//! Seeded PAN-OS CEF and Cloud NGFW traffic for the cef-portscan engine, with planted scans and
//! the edge cases of the rule, plus [`kql`]: the Sentinel rule transcribed as a batch reference
//! over the generator's truth rows.
//!
//! Every record carries the columns Sentinel would have stored for it ([`Truth`]). Those are
//! written from the values the generator chose, never recovered from the text it rendered, so
//! the reference and the engine's parser are checked against each other, not against the same
//! parser twice.

mod gen;
pub mod kql;
mod render;
pub mod time;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

pub use gen::{generate, mixed_cef_lines, mixed_records};
pub use render::{escape_header, escape_value};

/// 2026-06-15T00:00:00Z: inside 2026 and well before the machine's clock, so no record is
/// ever "from the future" for the engine.
pub const DEFAULT_START_SECS: i64 = 1_781_481_600;

/// Which Sentinel table (and rule variant) a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// CommonSecurityLog, rule 1.0.2.
    PanOs,
    /// fluentbit_CL, rule 1.0.6.
    CloudNgfw,
}

/// How a record reaches the filter (CEF.md, "What a Fluent Bit record looks like").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// `{"message": "<14>Jun  5 10:00:03 HOST CEF:0|..."}`
    Rfc3164Message,
    /// `{"message": "Jun  5 10:00:03 HOST CEF:0|..."}`: no `<PRI>`.
    Rfc3164NoPri,
    /// `{"log": "<14>Jun  5 10:00:03 HOST CEF:0|..."}`
    Rfc3164Log,
    /// `{"message": "<len> <14>..."}`: TCP octet counting in front of an RFC 3164 or 5424 line.
    OctetCounted,
    /// `{"message": "<14>1 2026-06-15T10:00:03.123Z HOST APP PROCID MSGID - CEF:0|..."}`
    Rfc5424,
    /// As [`Shape::Rfc5424`] with the nil host `-`: no Computer.
    Rfc5424NilHost,
    /// Fluent Bit's stock `syslog-rfc3164` parser output: `pri,time,host,ident:"CEF",message:"0|..."`.
    SplitRfc3164,
    /// `host` + `message: "CEF:0|..."` (RFC 5424 or custom parser output).
    HostMessage,
    /// `{"message": "CEF:0|..."}`: no syslog header, no host, so no Computer.
    BareCef,
    /// `{"ident","FirewallName","Message": "<JSON text>"}`
    NgfwText,
    /// As [`Shape::NgfwText`] with `Message` already an object.
    NgfwObject,
}

impl Shape {
    pub const ALL: [Shape; 11] = [
        Shape::Rfc3164Message,
        Shape::Rfc3164NoPri,
        Shape::Rfc3164Log,
        Shape::OctetCounted,
        Shape::Rfc5424,
        Shape::Rfc5424NilHost,
        Shape::SplitRfc3164,
        Shape::HostMessage,
        Shape::BareCef,
        Shape::NgfwText,
        Shape::NgfwObject,
    ];
    pub const CEF: [Shape; 9] = [
        Shape::Rfc3164Message,
        Shape::Rfc3164NoPri,
        Shape::Rfc3164Log,
        Shape::OctetCounted,
        Shape::Rfc5424,
        Shape::Rfc5424NilHost,
        Shape::SplitRfc3164,
        Shape::HostMessage,
        Shape::BareCef,
    ];
    /// CEF shapes whose records have a Computer, so can be candidates.
    pub const CEF_WITH_COMPUTER: [Shape; 7] = [
        Shape::Rfc3164Message,
        Shape::Rfc3164NoPri,
        Shape::Rfc3164Log,
        Shape::OctetCounted,
        Shape::Rfc5424,
        Shape::SplitRfc3164,
        Shape::HostMessage,
    ];
    pub const NGFW: [Shape; 2] = [Shape::NgfwText, Shape::NgfwObject];

    pub fn variant(self) -> Variant {
        match self {
            Shape::NgfwText | Shape::NgfwObject => Variant::CloudNgfw,
            _ => Variant::PanOs,
        }
    }

    /// Whether a CEF record in this shape has a syslog host (the rule's `Computer`).
    pub fn has_computer(self) -> bool {
        !matches!(self, Shape::Rfc5424NilHost | Shape::BareCef)
    }

    pub fn name(self) -> &'static str {
        match self {
            Shape::Rfc3164Message => "rfc3164-message",
            Shape::Rfc3164NoPri => "rfc3164-nopri",
            Shape::Rfc3164Log => "rfc3164-log",
            Shape::OctetCounted => "octet-counted",
            Shape::Rfc5424 => "rfc5424",
            Shape::Rfc5424NilHost => "rfc5424-nil-host",
            Shape::SplitRfc3164 => "split-rfc3164",
            Shape::HostMessage => "host-message",
            Shape::BareCef => "bare-cef",
            Shape::NgfwText => "ngfw-text",
            Shape::NgfwObject => "ngfw-object",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! edges {
    ($($(#[doc = $doc:literal])* $name:ident = $text:literal,)*) => {
        /// An edge case of the rule or of the record formats, as planted by the generator.
        /// Each record is labelled with every edge it exhibits (see [`GenRecord::edges`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Edge { $($(#[doc = $doc])* $name,)* }

        impl Edge {
            pub const ALL: &'static [Edge] = &[$(Edge::$name,)*];

            pub fn name(self) -> &'static str {
                match self { $(Edge::$name => $text,)* }
            }
        }
    };
}

edges! {
    /// `dpt=49511`: below the rule's 49512, a candidate.
    Port49511 = "port-49511",
    /// `dpt=49512`: first excluded port of the range.
    Port49512 = "port-49512",
    /// `dpt=49152`: IANA's ephemeral start, still a candidate under parity.
    Port49152 = "port-49152",
    /// `dpt=65535`: last excluded port of the range.
    Port65535 = "port-65535",
    /// A member of the excluded port list (0, 53, 80, 389, 443, 880, 8080, 8888).
    PortExcludedList = "port-excluded-list",
    /// No `dpt` key (NGFW: no `dport`).
    DptMissing = "dpt-missing",
    /// `dpt=` (NGFW: `"dport": ""`).
    DptEmpty = "dpt-empty",
    /// `dpt=ssh` (NGFW: `"dport": "ssh"`).
    DptNonNumeric = "dpt-non-numeric",
    /// `act=Deny`: the exclusion is case-sensitive, so a candidate.
    ActionDenyCapital = "action-Deny",
    /// `act=deny`: excluded.
    ActionDeny = "action-deny",
    /// `act=drop`: a candidate.
    ActionDrop = "action-drop",
    /// `act=reset-both`: excluded.
    ActionResetBoth = "action-reset-both",
    /// `app=Incomplete`: the test is case-sensitive, not a candidate.
    AppIncompleteCapital = "app-Incomplete",
    /// `reason=aged-out`
    ReasonAgedOut = "reason-aged-out",
    /// `reason=AGED-OUT`: `has` is case-insensitive, excluded.
    ReasonAgedOutUpper = "reason-AGED-OUT",
    /// `reason=tcp-fin`
    ReasonTcpFin = "reason-tcp-fin",
    /// `reason=tcp-fin-x`: `tcp-fin` is a whole term of it, excluded.
    ReasonTcpFinX = "reason-tcp-fin-x",
    /// `tcp-finx` / `unaged-out`: the terms are not whole, a candidate.
    ReasonNearMiss = "reason-near-miss",
    /// `reason=` with nothing to fall back on: Reason is empty, a candidate.
    ReasonEmpty = "reason-empty",
    /// No `reason` key at all.
    ReasonMissing = "reason-missing",
    /// Empty CEF reason, `endreason=tcp-rst-from-server` in AdditionalExtensions.
    ReasonFallback = "reason-fallback",
    /// Empty CEF reason, `endreason=aged-out` in AdditionalExtensions: excluded.
    ReasonFallbackExcluded = "reason-fallback-excluded",
    /// Empty CEF reason, `endreason=` then more keys: the regex takes `;PanOSDGl1=0`.
    ReasonFallbackEmptyValue = "reason-fallback-empty-value",
    /// Empty CEF reason, `PanOSEndReason=aged-out`: the regex is case-sensitive, no match.
    ReasonFallbackCaseMiss = "reason-fallback-case-miss",
    /// CEF reason set and an `endreason=aged-out`: coalesce keeps the CEF reason.
    ReasonMappedWins = "reason-mapped-wins",
    /// Destination in `10.`: excluded.
    Dst10 = "dst-10",
    /// `100.`/`101.`/`110.` destinations: not `10.`, a candidate.
    DstNear10 = "dst-near-10",
    /// `dst=` (NGFW `"dst_ip": ""`): an empty DestinationIP passes.
    DstEmpty = "dst-empty",
    /// Source outside 10/8: never filtered.
    SrcNon10 = "src-non-10",
    /// `\=` and `\\` escapes in `suid` (a grouping column) and `suser`.
    EscapedValue = "escaped-value",
    /// An unescaped `=` inside a value (`suid=uid=1001`).
    UnescapedEquals = "unescaped-equals",
    /// Spaces inside a grouping value (`dvchost=fw lab 04 Zürich`).
    SpaceInValue = "space-in-value",
    /// CR/LF after the last value, which is `dvchost`.
    TrailingNewline = "trailing-newline",
    /// `CEF: 0`.
    CefSpace = "cef-space",
    /// `CEF:1` with IPv6 addresses.
    Cef1Ipv6 = "cef1-ipv6",
    /// One record of the group is a THREAT log: the KQL does not filter on the log type.
    ThreatCandidate = "threat-candidate",
    /// An escaped `\|` in a CEF header field (the THREAT class id).
    HeaderEscape = "header-escape",
    /// A device whose admin reordered the keys (`dvchost` last).
    CustomKeyOrder = "custom-key-order",
    /// No Computer (nil RFC 5424 host or bare CEF line): not a candidate.
    NoComputer = "no-computer",
    /// NGFW `Message` is an object, not JSON text.
    NgfwMessageObject = "ngfw-message-object",
    /// NGFW `FirewallName` empty: not a candidate.
    NgfwFirewallEmpty = "ngfw-firewall-empty",
    /// NGFW `ident` other than TRAFFIC: not a candidate.
    NgfwIdentThreat = "ngfw-ident-threat",
    /// A group with exactly 9 hits: no detection.
    Exactly9 = "exactly-9",
    /// A group with exactly 10 hits: a detection.
    Exactly10 = "exactly-10",
    /// Some destinations of a stage-2 group stay under the threshold and are not in the set.
    PartialDsts = "partial-destinations",
    /// One scan split over two reasons.
    SplitReason = "split-reason",
    /// One scan split over tcp and udp.
    SplitProtocol = "split-protocol",
    /// One scan split over two devices.
    SplitDevice = "split-device",
    /// One scan split over two actions (`Deny`/`deny`, `allow`/`drop`).
    SplitAction = "split-action",
    /// A burst across an hour boundary with fewer than 10 on each side.
    StraddleNoFire = "straddle-no-fire",
    /// A burst across an hour boundary with 10+ on one side only.
    StraddleOneSide = "straddle-one-side",
    /// 200 destinations hit 10+ times each: past the 128 set cap.
    BigScan = "big-scan",
    /// Arrived 30 s or more after records stamped later than it (within allowed lateness).
    OutOfOrder = "out-of-order",
}

impl Edge {
    /// Whether the edge can be planted in (and is expected in) records of this shape.
    pub fn applies(self, shape: Shape) -> bool {
        use Edge::*;
        let cef = shape.variant() == Variant::PanOs;
        match self {
            NoComputer => !shape.has_computer() && cef,
            NgfwMessageObject => shape == Shape::NgfwObject,
            NgfwFirewallEmpty | NgfwIdentThreat => !cef,
            // The stock parser eats `CEF:` and any spaces after it: nothing left to test.
            CefSpace => cef && shape != Shape::SplitRfc3164,
            ReasonFallback
            | ReasonFallbackExcluded
            | ReasonFallbackEmptyValue
            | ReasonFallbackCaseMiss
            | ReasonMappedWins
            | EscapedValue
            | UnescapedEquals
            | SpaceInValue
            | TrailingNewline
            | Cef1Ipv6
            | ThreatCandidate
            | CustomKeyOrder => cef,
            _ => true,
        }
    }

    fn bit(self) -> u64 {
        1u64 << (self as u32)
    }
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Edge`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EdgeSet(u64);

impl EdgeSet {
    pub fn insert(&mut self, e: Edge) {
        self.0 |= e.bit();
    }

    pub fn contains(self, e: Edge) -> bool {
        self.0 & e.bit() != 0
    }

    pub fn union(self, other: EdgeSet) -> EdgeSet {
        EdgeSet(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Edge> {
        Edge::ALL.iter().copied().filter(move |e| self.contains(*e))
    }
}

impl FromIterator<Edge> for EdgeSet {
    fn from_iter<I: IntoIterator<Item = Edge>>(iter: I) -> Self {
        let mut s = EdgeSet::default();
        for e in iter {
            s.insert(e);
        }
        s
    }
}

/// One CommonSecurityLog row as Sentinel's CEF connector would store it (the columns the rule
/// reads, plus Activity for orientation).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CefRow {
    /// Event time, nanoseconds since the epoch.
    pub time_generated: i64,
    pub device_vendor: String,
    pub device_product: String,
    /// CEF header Name: TRAFFIC, THREAT, SYSTEM...
    pub activity: String,
    pub device_action: String,
    pub application_protocol: String,
    /// `dpt` when it is an integer; `None` when missing, empty or not numeric.
    pub destination_port: Option<i64>,
    pub destination_ip: String,
    pub source_ip: String,
    pub source_user_id: String,
    pub protocol: String,
    pub device_name: String,
    /// The CEF `reason` value (the Reason column), before the rule's regex fallback.
    pub reason: String,
    /// Unmapped `k=v` pairs in line order, joined by `;`.
    pub additional_extensions: String,
    /// Syslog host; empty when the record has none.
    pub computer: String,
}

/// One fluentbit_CL row of a Cloud NGFW log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NgfwRow {
    pub time_generated: i64,
    pub ident: String,
    pub firewall_name: String,
    /// `Message`, parsed: the object the KQL's `parse_json(Message)` yields.
    pub message: Value,
}

/// What Sentinel would hold for a record.
// Nearly every row is a CefRow: boxing it would only add an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Truth {
    Cef(CefRow),
    Ngfw(NgfwRow),
    /// Not a record of either table (plain syslog noise, a broken CEF header...).
    None,
}

impl Truth {
    pub fn variant(&self) -> Option<Variant> {
        match self {
            Truth::Cef(_) => Some(Variant::PanOs),
            Truth::Ngfw(_) => Some(Variant::CloudNgfw),
            Truth::None => None,
        }
    }
}

/// What to generate. Everything random is drawn from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct GenConfig {
    pub seed: u64,
    /// First hour; rounded down to a whole hour.
    pub start_secs: i64,
    pub hours: u32,
    /// Background records per hour (mostly ordinary traffic, a few percent `incomplete`).
    pub records_per_hour: u32,
    /// Planted scans per hour, each with a random edge case and shape.
    pub scans_per_hour: u32,
    /// Full passes over every (edge case, shape) pair; each pass plants one scenario per pair.
    pub edge_passes: u32,
    /// Plant one 200-destination scan per variant (about 4,400 records).
    pub big_scan: bool,
    /// Largest arrival delay; keep it under the engine's allowed lateness (120 s) so that no
    /// record arrives after its window closed.
    pub max_delay_secs: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            seed: 1,
            start_secs: DEFAULT_START_SECS,
            hours: 3,
            records_per_hour: 1000,
            scans_per_hour: 4,
            edge_passes: 0,
            big_scan: false,
            max_delay_secs: 100,
        }
    }
}

/// Hours of [`GenConfig::parity`] traffic.
pub const PARITY_HOURS: u32 = 6;

impl GenConfig {
    /// Small enough to commit (about 350 KB an hour): background plus five random planted
    /// scans an hour. `examples/data/sample.ndjson` is `sample(7, 3)`.
    pub fn sample(seed: u64, hours: u32) -> GenConfig {
        GenConfig {
            seed,
            hours,
            records_per_hour: 250,
            scans_per_hour: 5,
            ..GenConfig::default()
        }
    }

    /// The traffic of every parity test (the module's and the Vector bundle's): full coverage
    /// over [`PARITY_HOURS`] from a pinned seed, or from the `PARITY_SEED` environment variable
    /// when set, to try other traffic (`PARITY_SEED=N cargo test --test parity`).
    pub fn parity() -> GenConfig {
        let seed = std::env::var("PARITY_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20_260_615);
        GenConfig::full_coverage(seed, PARITY_HOURS)
    }

    /// Every edge case in every shape, twice, plus the big scans: the parity test's input.
    pub fn full_coverage(seed: u64, hours: u32) -> GenConfig {
        GenConfig {
            seed,
            hours,
            records_per_hour: 1500,
            scans_per_hour: 4,
            edge_passes: 2,
            big_scan: true,
            ..GenConfig::default()
        }
    }
}

/// One record as the filter receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct GenRecord {
    /// Event time (the Fluent Bit record timestamp), nanoseconds since the epoch.
    pub time: i64,
    /// The record body.
    pub body: Value,
    /// What Sentinel would store for it.
    pub truth: Truth,
    pub shape: Shape,
    pub edges: EdgeSet,
    /// The planted scan it belongs to, if any.
    pub scan: Option<u32>,
}

/// Fluent Bit-like key order for writing bodies; anything else follows, sorted.
const KEY_ORDER: [&str; 12] = [
    "date",
    "pri",
    "time",
    "host",
    "ident",
    "pid",
    "msgid",
    "extradata",
    "FirewallName",
    "Message",
    "message",
    "log",
];

fn ordered(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = map.iter().collect();
    v.sort_by_key(|(k, _)| {
        (
            KEY_ORDER
                .iter()
                .position(|o| o == k)
                .unwrap_or(KEY_ORDER.len()),
            (*k).clone(),
        )
    });
    v
}

/// The body as JSON text, top-level keys in Fluent Bit's order rather than sorted.
pub fn body_json(body: &Value) -> String {
    match body {
        Value::Object(map) => render::json_text(ordered(map)),
        other => other.to_string(),
    }
}

/// One NDJSON line (no newline) like Fluent Bit's `json_lines` output: the body with a leading
/// `date` field holding the event time as epoch seconds.
pub fn to_ndjson_line(r: &GenRecord) -> String {
    let body = body_json(&r.body);
    let date = time::epoch_float(r.time);
    match body.strip_prefix('{') {
        Some("}") => format!("{{\"date\":{date}}}"),
        Some(rest) => format!("{{\"date\":{date},{rest}"),
        None => body,
    }
}

/// The body as one msgpack value (a map for record bodies), as Fluent Bit's msgpack event
/// format carries it.
pub fn to_msgpack(body: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    write_msgpack(&mut out, body);
    out
}

fn write_msgpack(out: &mut Vec<u8>, v: &Value) {
    use rmp::encode;
    // Writing into a Vec cannot fail; the Results only exist for io::Write sinks.
    match v {
        Value::Null => encode::write_nil(out).unwrap_or(()),
        Value::Bool(b) => encode::write_bool(out, *b).unwrap_or(()),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                let _ = encode::write_uint(out, u);
            } else if let Some(i) = n.as_i64() {
                let _ = encode::write_sint(out, i);
            } else {
                let _ = encode::write_f64(out, n.as_f64().unwrap_or(0.0));
            }
        }
        Value::String(s) => {
            let _ = encode::write_str(out, s);
        }
        Value::Array(a) => {
            let _ = encode::write_array_len(out, a.len() as u32);
            for x in a {
                write_msgpack(out, x);
            }
        }
        Value::Object(m) => {
            let _ = encode::write_map_len(out, m.len() as u32);
            for (k, x) in ordered(m) {
                let _ = encode::write_str(out, k);
                write_msgpack(out, x);
            }
        }
    }
}

/// How often each edge case occurs, per shape.
pub fn edge_counts<'a>(
    records: impl IntoIterator<Item = &'a GenRecord>,
) -> BTreeMap<(Edge, Shape), usize> {
    let mut counts = BTreeMap::new();
    for r in records {
        for e in r.edges.iter() {
            *counts.entry((e, r.shape)).or_insert(0) += 1;
        }
    }
    counts
}

/// (edge, shape) pairs that [`Edge::applies`] to but that occur fewer than `min` times.
pub fn missing_edges(records: &[GenRecord], min: usize) -> Vec<(Edge, Shape, usize)> {
    let counts = edge_counts(records);
    let mut missing = Vec::new();
    for &e in Edge::ALL {
        for s in Shape::ALL {
            if e.applies(s) {
                let n = counts.get(&(e, s)).copied().unwrap_or(0);
                if n < min {
                    missing.push((e, s, n));
                }
            }
        }
    }
    missing
}
