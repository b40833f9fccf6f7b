//! The candidate predicate of both rule variants, over the fields of one record.

use crate::body::Fields;
use crate::cef::{self, Cef, KeySet};
use crate::kql;
use crate::ngfw::{self, NgfwFields};
use crate::sentinel;
use crate::settings::Settings;
use crate::swar;
use crate::syslog;
use ipnet::IpNet;
use std::borrow::Cow;
use std::net::IpAddr;

/// One candidate row: the rule's stage-1 key columns plus Computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub device_name: Cow<'a, str>,
    pub source_user_id: Cow<'a, str>,
    pub source_ip: Cow<'a, str>,
    pub application_protocol: Cow<'a, str>,
    pub reason: Cow<'a, str>,
    pub destination_port: i32,
    pub protocol: Cow<'a, str>,
    pub device_vendor: Cow<'a, str>,
    pub device_product: Cow<'a, str>,
    pub device_action: Cow<'a, str>,
    pub destination_ip: Cow<'a, str>,
    pub computer: Cow<'a, str>,
}

// Returned by value once per inspected record; boxing the row would allocate per candidate.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Eq)]
pub enum Evaluation<'a> {
    /// Neither PAN-OS CEF nor Cloud NGFW TRAFFIC: not this rule's record.
    NotRead,
    /// The rule's record, failing one of its conditions.
    NotCandidate,
    /// The rule's record shape, but its content could not be read.
    Malformed,
    Candidate(Row<'a>),
}

impl Row<'_> {
    pub fn into_owned(self) -> Row<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Row {
            device_name: own(self.device_name),
            source_user_id: own(self.source_user_id),
            source_ip: own(self.source_ip),
            application_protocol: own(self.application_protocol),
            reason: own(self.reason),
            destination_port: self.destination_port,
            protocol: own(self.protocol),
            device_vendor: own(self.device_vendor),
            device_product: own(self.device_product),
            device_action: own(self.device_action),
            destination_ip: own(self.destination_ip),
            computer: own(self.computer),
        }
    }
}

impl Evaluation<'_> {
    pub fn into_owned(self) -> Evaluation<'static> {
        match self {
            Evaluation::NotRead => Evaluation::NotRead,
            Evaluation::NotCandidate => Evaluation::NotCandidate,
            Evaluation::Malformed => Evaluation::Malformed,
            Evaluation::Candidate(r) => Evaluation::Candidate(r.into_owned()),
        }
    }
}

pub const NGFW_VENDOR: &str = "Palo Alto Networks";
pub const NGFW_PRODUCT: &str = "Cloud NGFW";

/// The settings in the form the predicate uses them.
#[derive(Debug, Clone)]
pub struct Rule {
    excluded_actions: Vec<String>,
    excluded_ports: Vec<i64>,
    port_range: [i64; 2],
    application: String,
    reason_terms: Vec<String>,
    destination_prefixes: Vec<String>,
    excluded_destinations: Vec<IpNet>,
    source_networks: Vec<IpNet>,
    source_allowlist: Vec<IpNet>,
    require_computer: bool,
}

impl Rule {
    pub fn new(s: &Settings) -> Rule {
        let mut excluded_destinations = s.excluded_destination_networks.clone();
        excluded_destinations.extend(s.destination_allowlist.iter().copied());
        Rule {
            excluded_actions: s.excluded_actions.clone(),
            excluded_ports: s.excluded_ports.clone(),
            port_range: s.excluded_port_range,
            application: s.application.clone(),
            reason_terms: s.excluded_reason_terms.clone(),
            destination_prefixes: s.excluded_destination_prefixes.clone(),
            excluded_destinations,
            source_networks: s.source_networks.clone(),
            source_allowlist: s.source_allowlist.clone(),
            require_computer: s.require_computer,
        }
    }

    pub fn evaluate<'a>(&self, f: &'a Fields<'_>) -> Evaluation<'a> {
        if f.ident.as_deref() == Some("TRAFFIC") {
            if let Some(m) = &f.ngfw_message {
                return match ngfw::parse(m) {
                    Ok(n) => self.ngfw(f.firewall_name.as_deref().unwrap_or(""), n),
                    Err(_) => Evaluation::Malformed,
                };
            }
        }
        let split_by_parser = f.ident.as_deref() == Some("CEF");
        for text in [&f.message, &f.log].into_iter().flatten() {
            let bytes = text.as_bytes();
            let (prefix, cef_text) = match swar::find(bytes, b"CEF:") {
                Some(at) => (&bytes[..at], &bytes[at + 4..]),
                // The stock rfc3164 parser took `CEF:` for a program name.
                None if split_by_parser => (&bytes[..0], bytes),
                None => continue,
            };
            let Some(cef) = cef::parse(cef_text) else {
                return Evaluation::Malformed;
            };
            let computer: Cow<'a, str> = match f.host.as_deref() {
                Some(h) if !h.is_empty() => Cow::Borrowed(h),
                _ => syslog::hostname(prefix).map_or(Cow::Borrowed(""), String::from_utf8_lossy),
            };
            return self.cef(&cef, computer);
        }
        Evaluation::NotRead
    }

    fn cef<'a>(&self, cef: &Cef<'a>, computer: Cow<'a, str>) -> Evaluation<'a> {
        let [src, dst, dpt, app, act, proto, reason, dvchost, suid] = cef.values(&RULE_KEYS);
        let value = |raw: Option<&'a [u8]>| raw.map_or(Cow::Borrowed(""), cef::extension_value);
        let app = value(app);
        if app != self.application {
            return Evaluation::NotCandidate;
        }
        let Some(port) = value(dpt).parse::<i32>().ok() else {
            return Evaluation::NotCandidate;
        };
        let action = value(act);
        if !self.port_and_action_pass(i64::from(port), &action) {
            return Evaluation::NotCandidate;
        }
        if self.require_computer && computer.is_empty() {
            return Evaluation::NotCandidate;
        }
        let destination_ip = value(dst);
        let source_ip = value(src);
        if !self.addresses_pass(&source_ip, &destination_ip) {
            return Evaluation::NotCandidate;
        }
        let mut reason = value(reason);
        if reason.is_empty() {
            let additional = sentinel::additional_extensions(cef.pairs());
            if let Some(r) = kql::extract_reason(&additional) {
                reason = Cow::Owned(r.to_owned());
            }
        }
        if !self.reason_passes(&reason) {
            return Evaluation::NotCandidate;
        }
        Evaluation::Candidate(Row {
            device_name: value(dvchost),
            source_user_id: value(suid),
            source_ip,
            application_protocol: app,
            reason,
            destination_port: port,
            protocol: value(proto),
            device_vendor: cef.header_value(cef::VENDOR),
            device_product: cef.header_value(cef::PRODUCT),
            device_action: action,
            destination_ip,
            computer,
        })
    }

    fn ngfw<'a>(&self, firewall: &'a str, n: NgfwFields<'a>) -> Evaluation<'a> {
        let text = |v: Option<Cow<'a, str>>| v.unwrap_or(Cow::Borrowed(""));
        if firewall.is_empty() {
            return Evaluation::NotCandidate;
        }
        let app = text(n.app);
        if app != self.application {
            return Evaluation::NotCandidate;
        }
        // `dport !in ("443", ...)` compares text, the range compares `toint(dport)`; for the
        // integral ports that reach here the two agree, so one integer serves both.
        let Some(port) = n.dport.as_ref().and_then(ngfw::Port::as_int) else {
            return Evaluation::NotCandidate;
        };
        let Ok(port32) = i32::try_from(port) else {
            return Evaluation::NotCandidate;
        };
        let action = text(n.action);
        if !self.port_and_action_pass(port, &action) {
            return Evaluation::NotCandidate;
        }
        let destination_ip = text(n.dst_ip);
        let source_ip = text(n.src_ip);
        if !self.addresses_pass(&source_ip, &destination_ip) {
            return Evaluation::NotCandidate;
        }
        let reason = text(n.session_end_reason);
        if !self.reason_passes(&reason) {
            return Evaluation::NotCandidate;
        }
        Evaluation::Candidate(Row {
            device_name: Cow::Borrowed(firewall),
            source_user_id: Cow::Borrowed(""),
            source_ip,
            application_protocol: app,
            reason,
            destination_port: port32,
            protocol: text(n.proto),
            device_vendor: Cow::Borrowed(NGFW_VENDOR),
            device_product: Cow::Borrowed(NGFW_PRODUCT),
            device_action: action,
            destination_ip,
            computer: Cow::Borrowed(""),
        })
    }

    fn port_and_action_pass(&self, port: i64, action: &str) -> bool {
        !self.excluded_actions.iter().any(|a| a == action)
            && !self.excluded_ports.contains(&port)
            && !(self.port_range[0]..=self.port_range[1]).contains(&port)
    }

    fn addresses_pass(&self, source: &str, destination: &str) -> bool {
        if self
            .destination_prefixes
            .iter()
            .any(|p| kql::starts_with(destination, p))
        {
            return false;
        }
        if !self.excluded_destinations.is_empty() {
            if let Ok(ip) = destination.parse::<IpAddr>() {
                if self.excluded_destinations.iter().any(|n| n.contains(&ip)) {
                    return false;
                }
            }
        }
        if self.source_networks.is_empty() && self.source_allowlist.is_empty() {
            return true;
        }
        let ip = source.parse::<IpAddr>().ok();
        let inside = |nets: &[IpNet]| ip.is_some_and(|ip| nets.iter().any(|n| n.contains(&ip)));
        (self.source_networks.is_empty() || inside(&self.source_networks))
            && !inside(&self.source_allowlist)
    }

    fn reason_passes(&self, reason: &str) -> bool {
        !self.reason_terms.iter().any(|t| kql::has(reason, t))
    }
}

/// The extension keys the rule reads (the first value of each counts).
static RULE_KEYS: KeySet<9> = KeySet::new([
    b"src", b"dst", b"dpt", b"app", b"act", b"proto", b"reason", b"dvchost", b"suid",
]);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body;

    const LINE: &str = "<14>Dec  4 10:00:03 fw01 CEF:0|Palo Alto Networks|PAN-OS|10.1|end|TRAFFIC|1|rt=Dec 04 2025 10:00:03 src=192.168.1.5 dst=203.0.113.9 suser=corp\\\\bob app=incomplete cs1Label=Rule cs1=allow out dpt=22 proto=tcp act=allow reason=tcp-rst-from-server dvchost=fw01-a";

    fn eval_json(json: &str) -> Evaluation<'static> {
        eval_with(json, &Settings::default())
    }

    fn eval_with(json: &str, s: &Settings) -> Evaluation<'static> {
        let fields = body::from_json(json.as_bytes()).unwrap();
        Rule::new(s).evaluate(&fields).into_owned()
    }

    fn raw(line: &str) -> String {
        serde_json::json!({ "message": line }).to_string()
    }

    fn candidate(e: Evaluation<'_>) -> Row<'_> {
        match e {
            Evaluation::Candidate(r) => r,
            other => panic!("not a candidate: {other:?}"),
        }
    }

    #[test]
    fn raw_syslog_line() {
        let r = candidate(eval_json(&raw(LINE)));
        assert_eq!(r.computer, "fw01");
        assert_eq!(r.device_name, "fw01-a");
        assert_eq!(r.source_ip, "192.168.1.5");
        assert_eq!(r.destination_ip, "203.0.113.9");
        assert_eq!(r.destination_port, 22);
        assert_eq!(r.device_vendor, "Palo Alto Networks");
        assert_eq!(r.device_product, "PAN-OS");
        assert_eq!(r.device_action, "allow");
        assert_eq!(r.reason, "tcp-rst-from-server");
        assert_eq!(r.protocol, "tcp");
        assert_eq!(r.source_user_id, "");
    }

    #[test]
    fn stock_rfc3164_split() {
        let cef = LINE.split_once("CEF:").unwrap().1;
        let json = serde_json::json!({"pri":"14","time":"Dec  4 10:00:03","host":"fw09","ident":"CEF","message":cef});
        let r = candidate(eval_json(&json.to_string()));
        assert_eq!(r.computer, "fw09");
        assert_eq!(r.destination_port, 22);
    }

    #[test]
    fn host_plus_cef_message() {
        let cef = format!("CEF:{}", LINE.split_once("CEF:").unwrap().1);
        let json = serde_json::json!({"host":"fw07","message":cef});
        assert_eq!(candidate(eval_json(&json.to_string())).computer, "fw07");
        let json = serde_json::json!({"message":cef});
        assert_eq!(
            eval_json(&json.to_string()),
            Evaluation::NotCandidate,
            "no Computer"
        );
        let s = Settings {
            require_computer: false,
            ..Settings::default()
        };
        assert_eq!(candidate(eval_with(&json.to_string(), &s)).computer, "");
    }

    #[test]
    fn log_key_and_octet_count() {
        let json = serde_json::json!({ "log": format!("812 {LINE}\r\n") });
        assert_eq!(candidate(eval_json(&json.to_string())).computer, "fw01");
    }

    #[test]
    fn port_bounds() {
        for (port, ok) in [
            (49511, true),
            (49512, false),
            (49152, true),
            (65535, false),
            (65536, true),
            (443, false),
            (0, false),
            (8080, false),
            (22, true),
        ] {
            let line = LINE.replace("dpt=22", &format!("dpt={port}"));
            let e = eval_json(&raw(&line));
            assert_eq!(matches!(e, Evaluation::Candidate(_)), ok, "port {port}");
        }
        for bad in ["dpt=", "dpt=x", "dpt=99999999999", "cs9=1"] {
            let line = LINE.replace("dpt=22", bad);
            assert_eq!(eval_json(&raw(&line)), Evaluation::NotCandidate, "{bad}");
        }
    }

    #[test]
    fn actions_are_case_sensitive() {
        for (act, ok) in [
            ("deny", false),
            ("reset-both", false),
            ("Deny", true),
            ("drop", true),
            ("reset-client", true),
        ] {
            let line = LINE.replace("act=allow", &format!("act={act}"));
            assert_eq!(
                matches!(eval_json(&raw(&line)), Evaluation::Candidate(_)),
                ok,
                "{act}"
            );
        }
    }

    #[test]
    fn app_is_case_sensitive() {
        let line = LINE.replace("app=incomplete", "app=Incomplete");
        assert_eq!(eval_json(&raw(&line)), Evaluation::NotCandidate);
    }

    #[test]
    fn reasons() {
        for (reason, ok) in [
            ("aged-out", false),
            ("AGED-OUT", false),
            ("tcp-fin", false),
            ("tcp-finish", true),
            ("", true),
            ("n/a", true),
        ] {
            let line = LINE.replace("reason=tcp-rst-from-server", &format!("reason={reason}"));
            assert_eq!(
                matches!(eval_json(&raw(&line)), Evaluation::Candidate(_)),
                ok,
                "{reason:?}"
            );
        }
    }

    #[test]
    fn reason_falls_back_to_additional_extensions() {
        // The first `reason=` anywhere in AdditionalExtensions wins, even inside a longer key.
        let line = LINE.replace(
            "reason=tcp-rst-from-server",
            "reason= PanOSEndreason=x endreason=aged-out",
        );
        assert_eq!(candidate(eval_json(&raw(&line))).reason, "x");
        let line = LINE.replace("reason=tcp-rst-from-server", "reason= endreason=aged-out");
        assert_eq!(eval_json(&raw(&line)), Evaluation::NotCandidate);
        let line = LINE.replace(
            "reason=tcp-rst-from-server",
            "reason= endreason=policy-deny",
        );
        assert_eq!(candidate(eval_json(&raw(&line))).reason, "policy-deny");
    }

    #[test]
    fn destinations() {
        for (dst, ok) in [
            ("10.1.2.3", false),
            ("100.1.2.3", true),
            ("", true),
            ("10.", false),
            ("fe80::1", true),
        ] {
            let line = LINE.replace("dst=203.0.113.9", &format!("dst={dst}"));
            assert_eq!(
                matches!(eval_json(&raw(&line)), Evaluation::Candidate(_)),
                ok,
                "{dst:?}"
            );
        }
    }

    #[test]
    fn source_settings() {
        let s = Settings {
            source_networks: vec!["172.16.0.0/12".parse().unwrap()],
            ..Settings::default()
        };
        assert_eq!(eval_with(&raw(LINE), &s), Evaluation::NotCandidate);
        let s = Settings {
            source_allowlist: vec!["192.168.1.0/24".parse().unwrap()],
            ..Settings::default()
        };
        assert_eq!(eval_with(&raw(LINE), &s), Evaluation::NotCandidate);
        let s = Settings {
            destination_allowlist: vec!["203.0.113.0/24".parse().unwrap()],
            ..Settings::default()
        };
        assert_eq!(eval_with(&raw(LINE), &s), Evaluation::NotCandidate);
    }

    #[test]
    fn not_read_and_malformed() {
        assert_eq!(eval_json(r#"{"message":"hello"}"#), Evaluation::NotRead);
        assert_eq!(
            eval_json(r#"{"message":"x CEF:0|only|three"}"#),
            Evaluation::Malformed
        );
        assert_eq!(
            eval_json(r#"{"ident":"TRAFFIC","FirewallName":"f","Message":"{bad"}"#),
            Evaluation::Malformed
        );
    }

    #[test]
    fn ngfw() {
        let msg = r#"{"src_ip":"192.168.1.5","dst_ip":"203.0.113.9","dport":22,"app":"incomplete","proto":"tcp","action":"allow","session_end_reason":"tcp-rst-from-server"}"#;
        let json = serde_json::json!({"ident":"TRAFFIC","FirewallName":"ngfw1","Message":msg});
        let r = candidate(eval_json(&json.to_string()));
        assert_eq!(r.device_name, "ngfw1");
        assert_eq!(r.device_product, "Cloud NGFW");
        let json = serde_json::json!({"ident":"TRAFFIC","FirewallName":"","Message":msg});
        assert_eq!(eval_json(&json.to_string()), Evaluation::NotCandidate);
        let json = serde_json::json!({"ident":"TRAFFIC","FirewallName":"f","Message":msg.replace("22", "\"49512\"")});
        assert_eq!(eval_json(&json.to_string()), Evaluation::NotCandidate);
        let json = serde_json::json!({"ident":"TRAFFIC","FirewallName":"f","Message":msg.replace(":22", ":\"ssh\"")});
        assert_eq!(eval_json(&json.to_string()), Evaluation::NotCandidate);
    }
}
