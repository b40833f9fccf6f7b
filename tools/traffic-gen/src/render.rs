//! Turning chosen field values into record bodies: CEF lines, syslog framings, Fluent Bit
//! record shapes, Cloud NGFW records. Truth rows are built here from the same chosen values.

use crate::time::{pan_time, rfc3164, rfc3339_millis};
use crate::{CefRow, NgfwRow, Shape};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};

/// Keys that Sentinel's CEF mapping turns into columns. Everything else the generator emits
/// (PanOS*, endreason, the key with a space) lands in AdditionalExtensions.
const MAPPED: &[&str] = &[
    "rt",
    "deviceExternalId",
    "src",
    "dst",
    "sourceTranslatedAddress",
    "destinationTranslatedAddress",
    "cs1Label",
    "cs1",
    "cs2Label",
    "cs2",
    "cs3Label",
    "cs3",
    "cs4Label",
    "cs4",
    "cs5Label",
    "cs5",
    "cs6Label",
    "cs6",
    "cn1Label",
    "cn1",
    "cn2Label",
    "cn2",
    "cn3Label",
    "cn3",
    "suser",
    "duser",
    "suid",
    "app",
    "deviceInboundInterface",
    "deviceOutboundInterface",
    "cnt",
    "spt",
    "dpt",
    "sourceTranslatedPort",
    "destinationTranslatedPort",
    "flexString1Label",
    "flexString1",
    "flexString2Label",
    "flexString2",
    "flexNumber1Label",
    "flexNumber1",
    "proto",
    "act",
    "in",
    "out",
    "start",
    "externalId",
    "reason",
    "dvchost",
    "cat",
    "request",
    "requestMethod",
    "requestClientApplication",
    "fname",
    "msg",
    "dvc",
    "deviceDirection",
    "fileHash",
    "outcome",
];

/// One extension pair, value unescaped.
#[derive(Debug, Clone)]
pub(crate) struct Ext {
    pub key: String,
    pub value: String,
    /// Write the value verbatim, without `\=`/`\\` escaping (senders with escaping off).
    pub raw: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct CefLine {
    pub version: u8,
    /// `CEF: 0`.
    pub space: bool,
    /// vendor, product, device version, class id, name, severity.
    pub header: [String; 6],
    pub ext: Vec<Ext>,
    /// Appended after the last value: "", "\n" or "\r\n".
    pub trailer: &'static str,
}

/// A CEF header field as a sender writes it: `\` and `|` escaped.
pub fn escape_header(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|")
}

/// A CEF extension value as a sender writes it: `\`, `=`, newline and carriage return escaped.
pub fn escape_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '=' => out.push_str("\\="),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

impl CefLine {
    pub fn push(&mut self, key: &str, value: impl Into<String>) {
        self.ext.push(Ext {
            key: key.to_string(),
            value: value.into(),
            raw: false,
        });
    }

    pub fn push_raw(&mut self, key: &str, value: impl Into<String>) {
        self.ext.push(Ext {
            key: key.to_string(),
            value: value.into(),
            raw: true,
        });
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.ext
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }

    /// `CEF:0|...|ext`, with the trailer.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(1200);
        out.push_str(if self.space { "CEF: " } else { "CEF:" });
        out.push_str(&self.version.to_string());
        for h in &self.header {
            out.push('|');
            out.push_str(&escape_header(h));
        }
        out.push('|');
        for (i, e) in self.ext.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(&e.key);
            out.push('=');
            if e.raw {
                out.push_str(&e.value);
            } else {
                out.push_str(&escape_value(&e.value));
            }
        }
        out.push_str(self.trailer);
        out
    }

    pub fn additional_extensions(&self) -> String {
        let parts: Vec<String> = self
            .ext
            .iter()
            .filter(|e| !MAPPED.contains(&e.key.as_str()))
            .map(|e| format!("{}={}", e.key, e.value))
            .collect();
        parts.join(";")
    }

    /// The CommonSecurityLog row, from the values the line was built from. `dpt` is passed
    /// in because only the builder knows whether it wrote an integer.
    pub fn truth(&self, time: i64, dpt: Option<i64>, computer: &str) -> CefRow {
        let get = |k: &str| self.get(k).unwrap_or("").to_string();
        CefRow {
            time_generated: time,
            device_vendor: self.header[0].clone(),
            device_product: self.header[1].clone(),
            activity: self.header[4].clone(),
            device_action: get("act"),
            application_protocol: get("app"),
            destination_port: dpt,
            destination_ip: get("dst"),
            source_ip: get("src"),
            source_user_id: get("suid"),
            protocol: get("proto"),
            device_name: get("dvchost"),
            reason: get("reason"),
            additional_extensions: self.additional_extensions(),
            computer: computer.to_string(),
        }
    }
}

/// Wraps a CEF line (starting `CEF:`) in the given record shape. Returns the body and the
/// Computer Sentinel would record.
pub(crate) fn wrap_cef(
    line: &str,
    shape: Shape,
    host: &str,
    t: i64,
    rng: &mut ChaCha8Rng,
) -> (Value, String) {
    let pri = [14u32, 134, 165][rng.random_range(0..3)];
    let s3164 = |with_pri: bool| {
        let prefix = if with_pri {
            format!("<{pri}>")
        } else {
            String::new()
        };
        format!("{prefix}{} {host} {line}", rfc3164(t))
    };
    let s5424 = |h: &str, rng: &mut ChaCha8Rng| {
        let app = ["-", "PAN-OS", "panos"][rng.random_range(0..3)];
        let msgid = ["-", "TRAFFIC", "-"][rng.random_range(0..3)];
        format!(
            "<{pri}>1 {} {h} {app} - {msgid} - {line}",
            rfc3339_millis(t)
        )
    };
    let mut m = Map::new();
    let mut computer = host.to_string();
    match shape {
        Shape::Rfc3164Message => {
            m.insert("message".into(), s3164(true).into());
        }
        Shape::Rfc3164NoPri => {
            m.insert("message".into(), s3164(false).into());
        }
        Shape::Rfc3164Log => {
            m.insert("log".into(), s3164(true).into());
        }
        Shape::OctetCounted => {
            let inner = if rng.random_bool(0.5) {
                s3164(true)
            } else {
                s5424(host, rng)
            };
            m.insert("message".into(), format!("{} {inner}", inner.len()).into());
        }
        Shape::Rfc5424 => {
            m.insert("message".into(), s5424(host, rng).into());
        }
        Shape::Rfc5424NilHost => {
            m.insert("message".into(), s5424("-", rng).into());
            computer.clear();
        }
        Shape::SplitRfc3164 => {
            // The stock parser takes `CEF` as the program name and drops the colon and any
            // spaces after it.
            let rest = line
                .strip_prefix("CEF:")
                .unwrap_or(line)
                .trim_start_matches(' ');
            m.insert("pri".into(), pri.to_string().into());
            m.insert("time".into(), rfc3164(t).into());
            m.insert("host".into(), host.into());
            m.insert("ident".into(), "CEF".into());
            m.insert("message".into(), rest.into());
        }
        Shape::HostMessage => {
            if rng.random_bool(0.5) {
                m.insert("host".into(), host.into());
            } else {
                // syslog-rfc5424 parser output.
                m.insert("pri".into(), pri.to_string().into());
                m.insert("time".into(), rfc3339_millis(t).into());
                m.insert("host".into(), host.into());
                m.insert("ident".into(), "PAN-OS".into());
                m.insert("pid".into(), "-".into());
                m.insert("msgid".into(), "-".into());
                m.insert("extradata".into(), "-".into());
            }
            m.insert("message".into(), line.into());
        }
        Shape::BareCef => {
            m.insert("message".into(), line.into());
            computer.clear();
        }
        Shape::NgfwText | Shape::NgfwObject => {
            // Not a CEF shape; callers never ask. Keep the line rather than lose it.
            m.insert("message".into(), line.into());
        }
    }
    (Value::Object(m), computer)
}

/// A plain syslog line (not CEF) in a raw shape: noise the engine must ignore.
pub(crate) fn wrap_plain(text: &str, host: &str, t: i64) -> Value {
    let mut m = Map::new();
    m.insert(
        "message".into(),
        format!("<86>{} {host} {text}", rfc3164(t)).into(),
    );
    Value::Object(m)
}

/// Writes fields, in the order given, as a JSON object text (record bodies, the NGFW
/// `Message`).
pub(crate) fn json_text<'a>(fields: impl IntoIterator<Item = (&'a String, &'a Value)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(k.clone()).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    out
}

/// A Cloud NGFW record and its fluentbit_CL row.
pub(crate) fn ngfw_record(
    shape: Shape,
    ident: &str,
    firewall: &str,
    fields: &[(String, Value)],
    t: i64,
) -> (Value, NgfwRow) {
    let object: Map<String, Value> = fields.iter().cloned().collect();
    let mut m = Map::new();
    m.insert("ident".into(), ident.into());
    m.insert("FirewallName".into(), firewall.into());
    let message = if shape == Shape::NgfwObject {
        Value::Object(object.clone())
    } else {
        Value::String(json_text(fields.iter().map(|(k, v)| (k, v))))
    };
    m.insert("Message".into(), message);
    let row = NgfwRow {
        time_generated: t,
        ident: ident.to_string(),
        firewall_name: firewall.to_string(),
        message: Value::Object(object),
    };
    (Value::Object(m), row)
}

pub(crate) fn pan_rt(t: i64) -> String {
    pan_time(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> CefLine {
        let mut l = CefLine {
            version: 0,
            space: false,
            header: [
                "Palo Alto Networks".into(),
                "PAN-OS".into(),
                "10.2.4".into(),
                "end".into(),
                "TRAFFIC".into(),
                "1".into(),
            ],
            ext: Vec::new(),
            trailer: "",
        };
        l.push("src", "10.1.1.1");
        l.push("suid", "CORP\\svc=scan");
        l.push("PanOSDGl1", "0");
        l.push_raw("suser", "uid=7");
        l.push("endreason", "x");
        l
    }

    #[test]
    fn renders_escapes_and_raw_values() {
        assert_eq!(
            line().render(),
            "CEF:0|Palo Alto Networks|PAN-OS|10.2.4|end|TRAFFIC|1|src=10.1.1.1 \
             suid=CORP\\\\svc\\=scan PanOSDGl1=0 suser=uid=7 endreason=x"
        );
    }

    #[test]
    fn additional_extensions_are_the_unmapped_pairs_unescaped() {
        assert_eq!(line().additional_extensions(), "PanOSDGl1=0;endreason=x");
        let row = line().truth(5, Some(22), "fw");
        assert_eq!(row.source_user_id, "CORP\\svc=scan");
        assert_eq!(row.computer, "fw");
        assert_eq!(row.destination_port, Some(22));
    }
}
