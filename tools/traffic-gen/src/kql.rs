//! The Sentinel rule as a batch reference: a plain transcription of both KQL queries over
//! truth rows, run once per aligned window (`TimeGenerated` in `[w, w + window)`), the way the
//! scheduled rule runs hourly over the previous hour.
//!
//! Deliberately independent of the `cef-portscan` crate: it shares no code with the engine, so
//! the two can be checked against each other. Statement by statement it follows the KQL of
//! `PaloAlto-PortScanning.yaml` 1.0.2 and `CloudNGFW-PortScanning.yaml` 1.0.6.

use crate::time::{rfc3339_millis, NANOS_PER_SEC};
use crate::{CefRow, NgfwRow, Truth, Variant};
use regex::Regex;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

pub const RULE_ID: &str = "5b72f527-e3f6-4a00-9908-8e4fee14da9f";
/// `DestinationPort !in ("443", "53", "389", "80", "0", "880", "8888", "8080")`
pub const EXCLUDED_PORTS: [&str; 8] = ["443", "53", "389", "80", "0", "880", "8888", "8080"];
/// `!between (49512 .. 65535)`, both ends included.
pub const EXCLUDED_RANGE: (i64, i64) = (49512, 65535);
/// `makeset` keeps at most this many values; which ones is unspecified.
pub const MAKESET_CAP: usize = 128;
/// The regular expression of the PAN-OS rule's Reason fallback, verbatim.
pub const REASON_PATTERN: &str = "reason=(.+?)(;|$)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub window_secs: i64,
    /// `where count_ >= 10`
    pub threshold: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            window_secs: 3600,
            threshold: 10,
        }
    }
}

/// KQL `has`: `term` occurs in `text` as whole terms, case-insensitively. Terms are maximal
/// runs of alphanumeric characters; a match must not continue an alphanumeric run on either
/// side (where the term itself starts or ends with an alphanumeric character).
pub fn has(text: &str, term: &str) -> bool {
    let h: Vec<char> = text.chars().collect();
    let n: Vec<char> = term.chars().collect();
    let (Some(&first), Some(&last)) = (n.first(), n.last()) else {
        return true;
    };
    if n.len() > h.len() {
        return false;
    }
    let same = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    (0..=h.len() - n.len()).any(|i| {
        let end = i + n.len();
        (0..n.len()).all(|j| same(h[i + j], n[j]))
            && (i == 0 || !first.is_alphanumeric() || !h[i - 1].is_alphanumeric())
            && (end == h.len() || !last.is_alphanumeric() || !h[end].is_alphanumeric())
    })
}

/// KQL `startswith`: case-insensitive prefix.
pub fn startswith(text: &str, prefix: &str) -> bool {
    text.to_lowercase().starts_with(&prefix.to_lowercase())
}

/// `extract("reason=(.+?)(;|$)", 1, AdditionalExtensions)`; empty when nothing matches.
pub fn extract_reason(additional_extensions: &str) -> String {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(REASON_PATTERN).ok())
        .as_ref()
        .and_then(|re| re.captures(additional_extensions))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .unwrap_or_default()
}

/// `coalesce` over strings: the first non-empty argument.
fn coalesce(values: &[&str]) -> String {
    values
        .iter()
        .find(|v| !v.is_empty())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// KQL `tostring()` of a dynamic value; a missing property is null, which is "".
pub fn tostring(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// KQL `toint()` of a string: an integer, or null.
pub fn toint(s: &str) -> Option<i64> {
    s.parse::<i64>().ok()
}

/// The ten stage-2 columns, named as the detection record names them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GroupKey {
    pub device_name: String,
    pub source_user_id: String,
    pub source_ip: String,
    pub application_protocol: String,
    pub reason: String,
    pub destination_port: i64,
    pub protocol: String,
    pub device_vendor: String,
    pub device_product: String,
    pub device_action: String,
}

/// A row that passed every `where` of the query, with the `extend`ed columns.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub key: GroupKey,
    /// The NGFW query groups on `tostring(message.dport)`; the PAN-OS one on the integer.
    /// Kept as text so that grouping is exactly the query's.
    pub port_text: String,
    pub destination_ip: String,
    pub time: i64,
}

/// The `where` and `extend` statements of the PAN-OS query.
pub fn cef_candidate(r: &CefRow) -> Option<Candidate> {
    // | where isnotempty(DestinationPort) and DeviceAction !in ("reset-both", "deny")
    let port = r.destination_port?;
    if ["reset-both", "deny"].contains(&r.device_action.as_str()) {
        return None;
    }
    // | where DestinationPort !in ("443", "53", "389", "80", "0", "880", "8888", "8080")
    if EXCLUDED_PORTS.contains(&port.to_string().as_str()) {
        return None;
    }
    // | where ApplicationProtocol == "incomplete"
    if r.application_protocol != "incomplete" {
        return None;
    }
    // | where DestinationPort !between (toint(49512) .. toint(65535))
    if (EXCLUDED_RANGE.0..=EXCLUDED_RANGE.1).contains(&port) {
        return None;
    }
    // | where Computer != ""
    if r.computer.is_empty() {
        return None;
    }
    // | where DestinationIP !startswith "10."
    if startswith(&r.destination_ip, "10.") {
        return None;
    }
    // | extend Reason = coalesce(column_ifexists("Reason", ""), extract(...), "")
    let reason = coalesce(&[&r.reason, &extract_reason(&r.additional_extensions), ""]);
    // | where Reason !has "aged-out"
    // | where Reason !has "tcp-fin"
    if has(&reason, "aged-out") || has(&reason, "tcp-fin") {
        return None;
    }
    Some(Candidate {
        key: GroupKey {
            device_name: r.device_name.clone(),
            source_user_id: r.source_user_id.clone(),
            source_ip: r.source_ip.clone(),
            application_protocol: r.application_protocol.clone(),
            reason,
            destination_port: port,
            protocol: r.protocol.clone(),
            device_vendor: r.device_vendor.clone(),
            device_product: r.device_product.clone(),
            device_action: r.device_action.clone(),
        },
        port_text: String::new(),
        destination_ip: r.destination_ip.clone(),
        time: r.time_generated,
    })
}

/// The `where` and `extend` statements of the Cloud NGFW query.
pub fn ngfw_candidate(r: &NgfwRow) -> Option<Candidate> {
    // | where ident_s == "TRAFFIC"
    if r.ident != "TRAFFIC" {
        return None;
    }
    // | where isnotempty(FirewallName_s)
    if r.firewall_name.is_empty() {
        return None;
    }
    // | extend message = parse_json(Message), DestinationPort = tostring(message.dport), ...
    let m = &r.message;
    let destination_port = tostring(m.get("dport"));
    let source_ip = tostring(m.get("src_ip"));
    let destination_ip = tostring(m.get("dst_ip"));
    let application = tostring(m.get("app"));
    let protocol = tostring(m.get("proto"));
    let action = tostring(m.get("action"));
    // | where isnotempty(DestinationPort) and message.action !in ("reset-both", "deny")
    if destination_port.is_empty() || ["reset-both", "deny"].contains(&action.as_str()) {
        return None;
    }
    // | where DestinationPort !in ("443", "53", "389", "80", "0", "880", "8888", "8080")
    if EXCLUDED_PORTS.contains(&destination_port.as_str()) {
        return None;
    }
    // | where message.app == "incomplete"
    if application != "incomplete" {
        return None;
    }
    // | where toint(DestinationPort) !between (49512 .. 65535)   (null compares false)
    let port = toint(&destination_port)?;
    if (EXCLUDED_RANGE.0..=EXCLUDED_RANGE.1).contains(&port) {
        return None;
    }
    // | where message.dst_ip !startswith "10."
    if startswith(&destination_ip, "10.") {
        return None;
    }
    // | extend Reason = coalesce(column_ifexists("Reason", ""), tostring(message.session_end_reason), "")
    let reason = coalesce(&["", &tostring(m.get("session_end_reason")), ""]);
    if has(&reason, "aged-out") || has(&reason, "tcp-fin") {
        return None;
    }
    Some(Candidate {
        key: GroupKey {
            device_name: r.firewall_name.clone(),
            source_user_id: String::new(),
            source_ip,
            application_protocol: application,
            reason,
            destination_port: port,
            protocol,
            device_vendor: "Palo Alto Networks".into(),
            device_product: "Cloud NGFW".into(),
            device_action: action,
        },
        port_text: destination_port,
        destination_ip,
        time: r.time_generated,
    })
}

pub fn candidate(t: &Truth) -> Option<Candidate> {
    match t {
        Truth::Cef(r) => cef_candidate(r),
        Truth::Ngfw(r) => ngfw_candidate(r),
        Truth::None => None,
    }
}

fn time_of(t: &Truth) -> Option<i64> {
    match t {
        Truth::Cef(r) => Some(r.time_generated),
        Truth::Ngfw(r) => Some(r.time_generated),
        Truth::None => None,
    }
}

/// One stage-2 row: what the rule returns for one group in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefDetection {
    pub variant: Variant,
    pub window_start: i64,
    pub window_end: i64,
    pub key: GroupKey,
    /// `StartTimeUtc`, `EndTimeUtc`
    pub start: i64,
    pub end: i64,
    /// Every distinct DestinationIP of the kept stage-1 groups, sorted. `makeset` would keep
    /// an unspecified 128 of them when there are more (see [`RefDetection::capped`]).
    pub destinations: Vec<String>,
    pub destination_count: u64,
    /// `totalcount`
    pub total_count: u64,
    /// Indices (in the order rows were given) of the records counted in the kept groups.
    pub members: Vec<usize>,
}

impl RefDetection {
    /// More distinct destinations than `makeset` keeps: only a 128-subset is comparable.
    pub fn capped(&self) -> bool {
        self.destinations.len() > MAKESET_CAP
    }

    /// The engine's DetectionId (FNV-1a 64 over rule id, window start in seconds and the ten
    /// columns, separated by 0x1f), recomputed here so expected files can be matched by id.
    pub fn detection_id(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let k = &self.key;
        let window = self.window_start.div_euclid(NANOS_PER_SEC).to_string();
        let port = k.destination_port.to_string();
        let parts = [
            RULE_ID,
            &window,
            &k.device_name,
            &k.source_user_id,
            &k.source_ip,
            &k.application_protocol,
            &k.reason,
            &port,
            &k.protocol,
            &k.device_vendor,
            &k.device_product,
            &k.device_action,
        ];
        for (i, p) in parts.iter().enumerate() {
            let sep: &[u8] = if i > 0 { &[0x1f] } else { &[] };
            for &b in sep.iter().chain(p.as_bytes()) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }

    /// The detection-record fields the reference can speak for. `set_DestinationIP` is the
    /// full sorted set; when `DestinationIPCount` exceeds 128 the rule keeps any 128 of it.
    pub fn to_value(&self) -> Value {
        let k = &self.key;
        let start = rfc3339_millis(self.start);
        json!({
            "DetectionId": self.detection_id(),
            "WindowStart": rfc3339_millis(self.window_start),
            "WindowEnd": rfc3339_millis(self.window_end),
            "StartTimeUtc": start,
            "EndTimeUtc": rfc3339_millis(self.end),
            "timestamp": start,
            "DeviceName": k.device_name,
            "SourceUserID": k.source_user_id,
            "SourceIP": k.source_ip,
            "ApplicationProtocol": k.application_protocol,
            "Reason": k.reason,
            "DestinationPort": k.destination_port,
            "Protocol": k.protocol,
            "DeviceVendor": k.device_vendor,
            "DeviceProduct": k.device_product,
            "DeviceAction": k.device_action,
            "set_DestinationIP": self.destinations,
            "DestinationIPCount": self.destination_count,
            "totalcount": self.total_count,
            "IPCustomEntity": k.source_ip,
            "AccountCustomEntity": k.source_user_id,
            "HostCustomEntity": k.device_name,
        })
    }
}

struct Stage1 {
    count: u64,
    first: i64,
    last: i64,
    members: Vec<usize>,
}

/// Runs the rule over one window's rows (`(index, row)`, all with TimeGenerated inside
/// `[window_start, window_start + window)`): the `where`s, then
/// `summarize ... count() by <11 columns> | where count_ >= 10 | summarize ... by <10 columns>`.
pub fn evaluate_window(
    rows: &[(usize, &Truth)],
    window_start: i64,
    p: &Params,
) -> Vec<RefDetection> {
    let window_end = window_start.saturating_add(p.window_secs.saturating_mul(NANOS_PER_SEC));
    type K1 = (Variant, GroupKey, String, String);
    let mut stage1: BTreeMap<K1, Stage1> = BTreeMap::new();
    for &(i, row) in rows {
        let (Some(variant), Some(c)) = (row.variant(), candidate(row)) else {
            continue;
        };
        let g = stage1
            .entry((variant, c.key, c.port_text, c.destination_ip))
            .or_insert(Stage1 {
                count: 0,
                first: c.time,
                last: c.time,
                members: Vec::new(),
            });
        g.count += 1;
        g.first = g.first.min(c.time);
        g.last = g.last.max(c.time);
        g.members.push(i);
    }
    type K2 = (Variant, GroupKey, String);
    let mut stage2: BTreeMap<K2, RefDetection> = BTreeMap::new();
    for ((variant, key, port_text, dst), g) in stage1 {
        if g.count < p.threshold {
            continue;
        }
        let d = stage2
            .entry((variant, key.clone(), port_text))
            .or_insert(RefDetection {
                variant,
                window_start,
                window_end,
                key,
                start: g.first,
                end: g.last,
                destinations: Vec::new(),
                destination_count: 0,
                total_count: 0,
                members: Vec::new(),
            });
        d.start = d.start.min(g.first);
        d.end = d.end.max(g.last);
        d.total_count += g.count;
        d.destinations.push(dst);
        d.members.extend(g.members);
    }
    stage2
        .into_values()
        .map(|mut d| {
            let set: BTreeSet<String> = d.destinations.drain(..).collect();
            d.destinations = set.into_iter().collect();
            d.destination_count = d.destinations.len() as u64;
            d.members.sort_unstable();
            d
        })
        .collect()
}

/// Every aligned window that holds at least one row, evaluated separately, in window order.
/// `members` index into `rows` in iteration order.
pub fn evaluate<'a>(rows: impl IntoIterator<Item = &'a Truth>, p: &Params) -> Vec<RefDetection> {
    let w = p.window_secs.max(1).saturating_mul(NANOS_PER_SEC);
    let mut windows: BTreeMap<i64, Vec<(usize, &Truth)>> = BTreeMap::new();
    for (i, row) in rows.into_iter().enumerate() {
        if let Some(t) = time_of(row) {
            windows.entry(t.div_euclid(w)).or_default().push((i, row));
        }
    }
    windows
        .into_iter()
        .flat_map(|(k, rows)| evaluate_window(&rows, k.saturating_mul(w), p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600 * NANOS_PER_SEC;
    const T0: i64 = 1_781_510_400 * NANOS_PER_SEC; // 2026-06-15T08:00:00Z

    fn row(t: i64) -> CefRow {
        CefRow {
            time_generated: t,
            device_vendor: "Palo Alto Networks".into(),
            device_product: "PAN-OS".into(),
            activity: "TRAFFIC".into(),
            device_action: "allow".into(),
            application_protocol: "incomplete".into(),
            destination_port: Some(22),
            destination_ip: "203.0.113.7".into(),
            source_ip: "10.1.2.3".into(),
            source_user_id: String::new(),
            protocol: "tcp".into(),
            device_name: "fw01".into(),
            reason: "tcp-rst-from-server".into(),
            additional_extensions: "PanOSDGl1=0".into(),
            computer: "fw01".into(),
        }
    }

    fn burst(n: usize, f: impl Fn(&mut CefRow)) -> Vec<Truth> {
        (0..n)
            .map(|i| {
                let mut r = row(T0 + 60 * NANOS_PER_SEC + i as i64 * NANOS_PER_SEC);
                f(&mut r);
                Truth::Cef(r)
            })
            .collect()
    }

    fn run(rows: &[Truth]) -> Vec<RefDetection> {
        evaluate(rows, &Params::default())
    }

    #[test]
    fn nine_do_not_fire_ten_do() {
        assert!(run(&burst(9, |_| {})).is_empty());
        let d = run(&burst(10, |_| {}));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].total_count, 10);
        assert_eq!(d[0].destinations, vec!["203.0.113.7"]);
        assert_eq!(d[0].start, T0 + 60 * NANOS_PER_SEC);
        assert_eq!(d[0].end, T0 + 69 * NANOS_PER_SEC);
        assert_eq!(d[0].window_start, T0);
        assert_eq!(d[0].members, (0..10).collect::<Vec<_>>());
        let v = d[0].to_value();
        assert_eq!(v["StartTimeUtc"], "2026-06-15T08:01:00.000Z");
        assert_eq!(v["WindowStart"], "2026-06-15T08:00:00.000Z");
        assert_eq!(v["totalcount"], 10);
        assert_eq!(v["DetectionId"].as_str().map(str::len), Some(16));
    }

    #[test]
    fn port_range_starts_at_49512() {
        assert_eq!(
            run(&burst(10, |r| r.destination_port = Some(49511))).len(),
            1
        );
        assert_eq!(
            run(&burst(10, |r| r.destination_port = Some(49152))).len(),
            1
        );
        assert!(run(&burst(10, |r| r.destination_port = Some(49512))).is_empty());
        assert!(run(&burst(10, |r| r.destination_port = Some(65535))).is_empty());
        assert_eq!(
            run(&burst(10, |r| r.destination_port = Some(65536))).len(),
            1
        );
        for p in [443, 53, 389, 80, 0, 880, 8888, 8080] {
            assert!(run(&burst(10, |r| r.destination_port = Some(p))).is_empty());
        }
        assert!(run(&burst(10, |r| r.destination_port = None)).is_empty());
    }

    #[test]
    fn action_and_app_are_case_sensitive() {
        assert_eq!(
            run(&burst(10, |r| r.device_action = "Deny".into())).len(),
            1
        );
        assert!(run(&burst(10, |r| r.device_action = "deny".into())).is_empty());
        assert!(run(&burst(10, |r| r.device_action = "reset-both".into())).is_empty());
        assert_eq!(
            run(&burst(10, |r| r.device_action = "drop".into())).len(),
            1
        );
        assert!(run(&burst(10, |r| r.application_protocol = "Incomplete".into())).is_empty());
    }

    #[test]
    fn computer_and_destination_filters() {
        assert!(run(&burst(10, |r| r.computer.clear())).is_empty());
        assert!(run(&burst(10, |r| r.destination_ip = "10.0.0.9".into())).is_empty());
        assert_eq!(
            run(&burst(10, |r| r.destination_ip = "100.64.0.9".into())).len(),
            1
        );
        let d = run(&burst(10, |r| r.destination_ip.clear()));
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].destinations, vec![""]);
        assert_eq!(
            run(&burst(10, |r| r.source_ip = "192.168.1.5".into())).len(),
            1
        );
    }

    #[test]
    fn has_matches_whole_terms_only() {
        assert!(has("aged-out", "aged-out"));
        assert!(has("AGED-OUT", "aged-out"));
        assert!(has("tcp-fin-x", "tcp-fin"));
        assert!(has("x tcp-fin", "tcp-fin"));
        assert!(has(";tcp-fin;", "tcp-fin"));
        assert!(!has("tcp-finx", "tcp-fin"));
        assert!(!has("xtcp-fin", "tcp-fin"));
        assert!(!has("unaged-out", "aged-out"));
        assert!(!has("aged-outs", "aged-out"));
        assert!(!has("", "tcp-fin"));
        assert!(!has("tcp", "tcp-fin"));
        assert!(has("anything", ""));
    }

    #[test]
    fn reason_terms_exclude() {
        for reason in ["aged-out", "AGED-OUT", "tcp-fin", "tcp-fin-x", "Tcp-Fin"] {
            assert!(
                run(&burst(10, |r| r.reason = reason.into())).is_empty(),
                "{reason}"
            );
        }
        for reason in ["tcp-finx", "unaged-out", "", "n/a", "tcp-rst-from-client"] {
            assert_eq!(
                run(&burst(10, |r| r.reason = reason.into())).len(),
                1,
                "{reason}"
            );
        }
    }

    #[test]
    fn regex_fallback() {
        assert_eq!(
            extract_reason("a=1;reason=tcp-rst-from-server;b=2"),
            "tcp-rst-from-server"
        );
        assert_eq!(
            extract_reason("endreason=tcp-rst-from-server"),
            "tcp-rst-from-server"
        );
        // `.+?` needs one character, so an empty value swallows the separator and more.
        assert_eq!(extract_reason("reason=;x;"), ";x");
        assert_eq!(extract_reason("reason=;x"), ";x");
        assert_eq!(extract_reason("reason="), "");
        assert_eq!(extract_reason("a=1;reason="), "");
        assert_eq!(extract_reason("PanOSEndReason=aged-out"), "");
        assert_eq!(extract_reason("reason=a;reason=b"), "a");
        assert_eq!(extract_reason(""), "");

        let fallback = |ae: &'static str| {
            move |r: &mut CefRow| {
                r.reason.clear();
                r.additional_extensions = ae.into();
            }
        };
        let d = run(&burst(
            10,
            fallback("PanOSDGl1=0;endreason=tcp-rst-from-server;x=1"),
        ));
        assert_eq!(d[0].key.reason, "tcp-rst-from-server");
        assert!(run(&burst(10, fallback("endreason=aged-out;x=1"))).is_empty());
        let d = run(&burst(10, fallback("endreason=;PanOSDGl1=0;x=1")));
        assert_eq!(d[0].key.reason, ";PanOSDGl1=0");
        let d = run(&burst(10, fallback("PanOSEndReason=aged-out")));
        assert_eq!(d[0].key.reason, "");
        // A CEF reason wins over the fallback.
        let d = run(&burst(10, |r| {
            r.additional_extensions = "endreason=aged-out".into()
        }));
        assert_eq!(d[0].key.reason, "tcp-rst-from-server");
    }

    #[test]
    fn windows_split_bursts_and_stage2_merges_destinations() {
        // 7 before the boundary and 7 after: nothing.
        let mut rows: Vec<Truth> = (0..14)
            .map(|i| Truth::Cef(row(T0 + H - 7 * NANOS_PER_SEC + i * NANOS_PER_SEC)))
            .collect();
        assert!(run(&rows).is_empty());
        // 12 before, 4 after: the first window fires with 12.
        rows = (0..16)
            .map(|i| Truth::Cef(row(T0 + H - 12 * NANOS_PER_SEC + i * NANOS_PER_SEC)))
            .collect();
        let d = run(&rows);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].window_start, d[0].total_count), (T0, 12));

        // Two destinations over the threshold, one under: the set holds the two.
        let mut rows = burst(10, |_| {});
        rows.extend(burst(11, |r| r.destination_ip = "198.51.100.1".into()));
        rows.extend(burst(9, |r| r.destination_ip = "198.51.100.2".into()));
        let d = run(&rows);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].destinations, vec!["198.51.100.1", "203.0.113.7"]);
        assert_eq!(d[0].total_count, 21);

        // Different reason or device: separate detections.
        let mut rows = burst(10, |_| {});
        rows.extend(burst(10, |r| r.reason = "tcp-rst-from-client".into()));
        rows.extend(burst(10, |r| r.device_name = "fw02".into()));
        assert_eq!(run(&rows).len(), 3);
        // Split 6/6: nothing.
        let mut rows = burst(6, |_| {});
        rows.extend(burst(6, |r| r.protocol = "udp".into()));
        assert!(run(&rows).is_empty());
    }

    #[test]
    fn makeset_cap_is_reported_not_applied() {
        let mut rows = Vec::new();
        for i in 0..200 {
            rows.extend(burst(10, |r| r.destination_ip = format!("198.51.100.{i}")));
        }
        let d = run(&rows);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].destination_count, 200);
        assert!(d[0].capped());
        assert_eq!(d[0].total_count, 2000);
    }

    fn ngfw(t: i64, message: Value) -> Truth {
        Truth::Ngfw(NgfwRow {
            time_generated: t,
            ident: "TRAFFIC".into(),
            firewall_name: "fw.example.net".into(),
            message,
        })
    }

    #[test]
    fn ngfw_variant() {
        let base = json!({"src_ip": "10.0.0.5", "dst_ip": "203.0.113.9", "sport": 5000,
            "dport": 22, "app": "incomplete", "proto": "tcp", "action": "allow",
            "session_end_reason": "tcp-rst-from-server"});
        let burst = |n: usize, f: &dyn Fn(&mut Value)| -> Vec<Truth> {
            (0..n)
                .map(|i| {
                    let mut m = base.clone();
                    f(&mut m);
                    ngfw(T0 + i as i64 * NANOS_PER_SEC, m)
                })
                .collect()
        };
        assert!(run(&burst(9, &|_| {})).is_empty());
        let d = run(&burst(10, &|_| {}));
        assert_eq!(d.len(), 1);
        let k = &d[0].key;
        assert_eq!(k.device_name, "fw.example.net");
        assert_eq!(k.device_product, "Cloud NGFW");
        assert_eq!(k.destination_port, 22);
        assert_eq!(k.source_user_id, "");
        assert_eq!(d[0].variant, Variant::CloudNgfw);
        let set = |k: &'static str, v: Value| move |m: &mut Value| m[k] = v.clone();
        assert!(run(&burst(10, &set("dport", json!(49512)))).is_empty());
        assert_eq!(run(&burst(10, &set("dport", json!(49511)))).len(), 1);
        assert!(run(&burst(10, &set("dport", json!("ssh")))).is_empty());
        assert!(run(&burst(10, &set("dport", json!("")))).is_empty());
        assert!(run(&burst(10, &set("dport", json!(8080)))).is_empty());
        assert!(run(&burst(10, &set("action", json!("deny")))).is_empty());
        assert_eq!(run(&burst(10, &set("action", json!("Deny")))).len(), 1);
        assert!(run(&burst(10, &set("app", json!("Incomplete")))).is_empty());
        assert!(run(&burst(10, &set("session_end_reason", json!("AGED-OUT")))).is_empty());
        assert!(run(&burst(10, &set("dst_ip", json!("10.9.9.9")))).is_empty());
        let no_dport = |m: &mut Value| {
            if let Some(o) = m.as_object_mut() {
                o.remove("dport");
            }
        };
        assert!(run(&burst(10, &no_dport)).is_empty());
        let mut rows = burst(10, &|_| {});
        if let Truth::Ngfw(r) = &mut rows[0] {
            r.ident = "THREAT".into();
        }
        assert!(run(&rows).is_empty());
        let mut rows = burst(10, &|_| {});
        if let Truth::Ngfw(r) = &mut rows[3] {
            r.firewall_name.clear();
        }
        assert!(run(&rows).is_empty());
    }

    #[test]
    fn tostring_of_dynamic() {
        assert_eq!(tostring(None), "");
        assert_eq!(tostring(Some(&json!(null))), "");
        assert_eq!(tostring(Some(&json!(22))), "22");
        assert_eq!(tostring(Some(&json!("x"))), "x");
    }
}
