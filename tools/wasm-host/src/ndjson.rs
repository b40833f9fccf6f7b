//! Records as Fluent Bit's `json_lines` output writes them: one JSON object per line with the
//! event time in a leading `date` field. Turned back into what the filter would receive.

use crate::EventFormat;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::fmt;

/// JSON that keeps object keys in their original order (serde_json's Map would sort them,
/// and Fluent Bit hands the filter keys in record order).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Num(Number),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json, E> {
        Ok(Json::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json, E> {
        Ok(Json::Num(n.into()))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json, E> {
        Ok(Json::Num(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Json, E> {
        Ok(Number::from_f64(n).map_or(Json::Null, Json::Num))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json, E> {
        Ok(Json::Str(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Json, E> {
        Ok(Json::Str(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some(x) = seq.next_element()? {
            v.push(x);
        }
        Ok(Json::Arr(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut v = Vec::new();
        while let Some((k, x)) = map.next_entry::<String, Json>()? {
            v.push((k, x));
        }
        Ok(Json::Obj(v))
    }
}

impl Json {
    /// Compact JSON with every non-ASCII character as `\uXXXX`, as Fluent Bit writes a record
    /// for a JSON-mode filter (with `json.escape_unicode` on, its default).
    pub fn to_fluent_bit_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Json::Null => out.extend_from_slice(b"null"),
            Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Json::Num(n) => out.extend_from_slice(n.to_string().as_bytes()),
            Json::Str(s) => write_str(out, s),
            Json::Arr(a) => {
                out.push(b'[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    x.write_json(out);
                }
                out.push(b']');
            }
            Json::Obj(m) => {
                out.push(b'{');
                for (i, (k, x)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(out, k);
                    out.push(b':');
                    x.write_json(out);
                }
                out.push(b'}');
            }
        }
    }

    /// The msgpack Fluent Bit would hold for this value: smallest integer encodings, floats as
    /// float64, strings as str.
    pub fn to_msgpack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.write_msgpack(&mut out);
        out
    }

    fn write_msgpack(&self, out: &mut Vec<u8>) {
        use rmp::encode;
        // Writes into a Vec cannot fail; the Results exist for io::Write sinks.
        match self {
            Json::Null => encode::write_nil(out).unwrap_or(()),
            Json::Bool(b) => encode::write_bool(out, *b).unwrap_or(()),
            Json::Num(n) => {
                if let Some(u) = n.as_u64() {
                    let _ = encode::write_uint(out, u);
                } else if let Some(i) = n.as_i64() {
                    let _ = encode::write_sint(out, i);
                } else {
                    let _ = encode::write_f64(out, n.as_f64().unwrap_or(0.0));
                }
            }
            Json::Str(s) => {
                let _ = encode::write_str(out, s);
            }
            Json::Arr(a) => {
                let _ = encode::write_array_len(out, a.len() as u32);
                for x in a {
                    x.write_msgpack(out);
                }
            }
            Json::Obj(m) => {
                let _ = encode::write_map_len(out, m.len() as u32);
                for (k, x) in m {
                    let _ = encode::write_str(out, k);
                    x.write_msgpack(out);
                }
            }
        }
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c as u8),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

/// One input line.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// Nothing but whitespace.
    Blank,
    /// A JSON object: its `date` (if any) as the event time, the rest as the record body.
    Record {
        time: Option<(u32, u32)>,
        body: Json,
    },
    /// Looks like an object but does not parse: handed to the module as it is.
    Malformed(Vec<u8>),
    /// Valid JSON that is not an object, or text that is not JSON at all.
    NotObject(&'static str),
}

/// A dated record in both of Fluent Bit's event formats, so that one traffic set can be fed to
/// every entry point.
#[derive(Debug, Clone)]
pub struct DatedRecord {
    pub sec: u32,
    pub nsec: u32,
    pub json: Vec<u8>,
    pub msgpack: Vec<u8>,
}

impl DatedRecord {
    /// A line that must be a record with a `date`, as generated traffic always is; anything
    /// else comes back as what it was read as.
    pub fn from_line(line: &[u8]) -> Result<DatedRecord, Line> {
        match parse_line(line) {
            Line::Record {
                time: Some((sec, nsec)),
                body,
            } => Ok(DatedRecord {
                sec,
                nsec,
                json: body.to_fluent_bit_json(),
                msgpack: body.to_msgpack(),
            }),
            other => Err(other),
        }
    }

    /// The body as Fluent Bit hands it to a filter in `format`.
    pub fn body(&self, format: EventFormat) -> &[u8] {
        match format {
            EventFormat::Json => &self.json,
            EventFormat::Msgpack => &self.msgpack,
        }
    }
}

/// Reads one NDJSON line (without its newline).
pub fn parse_line(line: &[u8]) -> Line {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let trimmed = line.trim_ascii();
    if trimmed.is_empty() {
        return Line::Blank;
    }
    match serde_json::from_slice::<Json>(trimmed) {
        Ok(Json::Obj(mut fields)) => {
            let mut time = None;
            if let Some(i) = fields.iter().position(|(k, _)| k == "date") {
                let (_, date) = fields.remove(i);
                time = date_of(&date);
            }
            Line::Record {
                time,
                body: Json::Obj(fields),
            }
        }
        Ok(Json::Arr(_)) => Line::NotObject("a JSON array"),
        Ok(Json::Str(_)) => Line::NotObject("a JSON string"),
        Ok(Json::Num(_)) => Line::NotObject("a JSON number"),
        Ok(Json::Bool(_) | Json::Null) => Line::NotObject("a JSON literal"),
        Err(_) if trimmed.first() == Some(&b'{') => Line::Malformed(trimmed.to_vec()),
        Err(_) => Line::NotObject("not JSON"),
    }
}

/// `date` as (seconds, nanoseconds), from its decimal text so that no float rounding creeps
/// into the nanoseconds. Seconds are cut to 32 bits as Fluent Bit's call does.
fn date_of(v: &Json) -> Option<(u32, u32)> {
    let Json::Num(n) = v else { return None };
    if let Some(i) = n.as_i64() {
        return Some((i as u32, 0));
    }
    let text = n.to_string();
    if let Some((int, frac)) = text.split_once('.') {
        if !frac.contains(['e', 'E']) && !int.starts_with('-') {
            let secs: i64 = int.parse().ok()?;
            let digits: String = frac.chars().chain("000000000".chars()).take(9).collect();
            return Some((secs as u32, digits.parse().ok()?));
        }
    }
    let f = n.as_f64()?;
    let secs = f.floor();
    let nanos = ((f - secs) * 1e9).round().min(999_999_999.0);
    Some((secs as i64 as u32, nanos as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_is_removed_and_read_exactly() {
        let l = parse_line(br#"{"date":1781481600.123456,"message":"x","a":{"z":1,"b":2}}"#);
        let Line::Record { time, body } = l else {
            panic!("{l:?}")
        };
        assert_eq!(time, Some((1_781_481_600, 123_456_000)));
        assert_eq!(
            body.to_fluent_bit_json(),
            br#"{"message":"x","a":{"z":1,"b":2}}"#.to_vec()
        );
    }

    #[test]
    fn integer_date_and_no_date() {
        let Line::Record { time, .. } = parse_line(br#"{"date":1781481600,"m":1}"#) else {
            panic!()
        };
        assert_eq!(time, Some((1_781_481_600, 0)));
        let Line::Record { time, .. } = parse_line(br#"{"m":1}"#) else {
            panic!()
        };
        assert_eq!(time, None);
    }

    #[test]
    fn non_ascii_is_escaped_like_fluent_bit() {
        let Line::Record { body, .. } = parse_line("{\"m\":\"é😀\\u0001\"}".as_bytes()) else {
            panic!()
        };
        assert_eq!(
            String::from_utf8(body.to_fluent_bit_json()).unwrap(),
            r#"{"m":"\u00e9\ud83d\ude00\u0001"}"#
        );
    }

    #[test]
    fn classes_of_bad_lines() {
        assert_eq!(parse_line(b"  "), Line::Blank);
        assert_eq!(parse_line(b"[1]"), Line::NotObject("a JSON array"));
        assert_eq!(parse_line(b"hello"), Line::NotObject("not JSON"));
        assert_eq!(parse_line(b"{\"a\":"), Line::Malformed(b"{\"a\":".to_vec()));
    }

    #[test]
    fn msgpack_keeps_order_and_small_ints() {
        let Line::Record { body, .. } = parse_line(br#"{"b":1,"a":-1}"#) else {
            panic!()
        };
        assert_eq!(
            body.to_msgpack(),
            vec![0x82, 0xa1, b'b', 0x01, 0xa1, b'a', 0xff]
        );
    }
}
