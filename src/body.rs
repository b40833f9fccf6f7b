//! The record body as the host hands it over (a JSON object, or a msgpack map), reduced to the
//! few top-level fields the rule reads. Values are borrowed from the body where possible.

use rmp::decode::{read_marker, RmpRead};
use rmp::Marker;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Default)]
pub struct Fields<'a> {
    pub message: Option<Cow<'a, str>>,
    pub log: Option<Cow<'a, str>>,
    pub host: Option<Cow<'a, str>>,
    pub ident: Option<Cow<'a, str>>,
    pub firewall_name: Option<Cow<'a, str>>,
    pub ngfw_message: Option<NgfwMessage<'a>>,
}

/// Cloud NGFW `Message`: JSON text, or an object already parsed by an upstream parser.
#[derive(Debug)]
pub enum NgfwMessage<'a> {
    JsonText(Cow<'a, str>),
    JsonObject(&'a str),
    Msgpack(&'a [u8]),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Not valid JSON / msgpack.
    Invalid,
    /// Valid, but not an object / map.
    NotAnObject,
}

pub fn from_json(body: &[u8]) -> Result<Fields<'_>, BodyError> {
    parse_json_object(body, FieldsVisitor)
}

/// One JSON object read by `visitor`, trailing bytes refused.
///
/// Nesting costs no stack, whatever its depth: the visitors here read strings and skip every
/// other value as `IgnoredAny`, which serde_json skips with a loop and a heap-allocated
/// bracket stack, not by recursion. (A separate depth-checking pass used to run first; in the
/// interpreter it cost more than the parse.)
pub fn parse_json_object<'de, V: Visitor<'de>>(
    text: &'de [u8],
    visitor: V,
) -> Result<V::Value, BodyError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = de.deserialize_any(visitor).map_err(|e| {
        if e.is_data() {
            BodyError::NotAnObject
        } else {
            BodyError::Invalid
        }
    })?;
    de.end().map_err(|_| BodyError::Invalid)?;
    Ok(value)
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            // The first occurrence of a duplicated key wins, as in the CEF scanner.
            let slot = match key.0.as_deref() {
                Some("message") if fields.message.is_none() => &mut fields.message,
                Some("log") if fields.log.is_none() => &mut fields.log,
                Some("host") if fields.host.is_none() => &mut fields.host,
                Some("ident") if fields.ident.is_none() => &mut fields.ident,
                Some("FirewallName") if fields.firewall_name.is_none() => &mut fields.firewall_name,
                Some("Message") if fields.ngfw_message.is_none() => {
                    let raw: &'de RawValue = map.next_value()?;
                    fields.ngfw_message = ngfw_from_raw(raw);
                    continue;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<Text<'de>>()?.0;
        }
        Ok(fields)
    }
}

fn ngfw_from_raw(raw: &RawValue) -> Option<NgfwMessage<'_>> {
    let text = raw.get();
    match text.as_bytes().first()? {
        b'{' => Some(NgfwMessage::JsonObject(text)),
        b'"' => serde_json::from_str::<Text<'_>>(text)
            .ok()?
            .0
            .map(NgfwMessage::JsonText),
        _ => None,
    }
}

/// A JSON value that is kept when it is a string and skipped otherwise.
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Some(Cow::Borrowed(v))))
    }
    fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
        Ok(Text(Some(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
        Ok(Text(Some(Cow::Owned(v))))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Text<'de>, E> {
        Ok(Text(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Text<'de>, E> {
        Ok(Text(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Text<'de>, E> {
        Ok(Text(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Text<'de>, E> {
        Ok(Text(None))
    }
    fn visit_unit<E>(self) -> Result<Text<'de>, E> {
        Ok(Text(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

pub fn from_msgpack(body: &[u8]) -> Result<Fields<'_>, BodyError> {
    let mut rd = body;
    let entries = read_map_len(&mut rd)?;
    let mut fields = Fields::default();
    for _ in 0..entries {
        let key = read_str(&mut rd)?;
        let slot = match key {
            Some(b"message") if fields.message.is_none() => &mut fields.message,
            Some(b"log") if fields.log.is_none() => &mut fields.log,
            Some(b"host") if fields.host.is_none() => &mut fields.host,
            Some(b"ident") if fields.ident.is_none() => &mut fields.ident,
            Some(b"FirewallName") if fields.firewall_name.is_none() => &mut fields.firewall_name,
            Some(b"Message") if fields.ngfw_message.is_none() => {
                let start = rd;
                let is_map = matches!(start.first(), Some(0x80..=0x8f | 0xde | 0xdf));
                match read_str(&mut rd)? {
                    Some(text) => {
                        fields.ngfw_message =
                            Some(NgfwMessage::JsonText(String::from_utf8_lossy(text)))
                    }
                    None if is_map => {
                        let used = start.len() - rd.len();
                        fields.ngfw_message = Some(NgfwMessage::Msgpack(&start[..used]));
                    }
                    None => {}
                }
                continue;
            }
            _ => {
                skip(&mut rd)?;
                continue;
            }
        };
        *slot = read_str(&mut rd)?.map(String::from_utf8_lossy);
    }
    if !rd.is_empty() {
        return Err(BodyError::Invalid);
    }
    Ok(fields)
}

/// Reads a map header: its entry count. Any other value is `NotAnObject`; a reserved marker
/// or a truncated length is `Invalid`.
pub fn read_map_len(rd: &mut &[u8]) -> Result<u32, BodyError> {
    let bad = |_| BodyError::Invalid;
    match read_marker(rd).map_err(|_| BodyError::Invalid)? {
        Marker::FixMap(n) => Ok(u32::from(n)),
        Marker::Map16 => Ok(u32::from(rd.read_data_u16().map_err(bad)?)),
        Marker::Map32 => rd.read_data_u32().map_err(bad),
        Marker::Reserved => Err(BodyError::Invalid),
        _ => Err(BodyError::NotAnObject),
    }
}

/// Reads one value: `Some(bytes)` for a string, `None` (value skipped) for anything else.
pub fn read_str<'a>(rd: &mut &'a [u8]) -> Result<Option<&'a [u8]>, BodyError> {
    let before = *rd;
    let len = match read_marker(rd).map_err(|_| BodyError::Invalid)? {
        Marker::FixStr(n) => usize::from(n),
        Marker::Str8 => usize::from(rd.read_data_u8().map_err(|_| BodyError::Invalid)?),
        Marker::Str16 => usize::from(rd.read_data_u16().map_err(|_| BodyError::Invalid)?),
        Marker::Str32 => rd.read_data_u32().map_err(|_| BodyError::Invalid)? as usize,
        _ => {
            *rd = before;
            skip(rd)?;
            return Ok(None);
        }
    };
    let s = take(rd, len)?;
    Ok(Some(s))
}

fn take<'a>(rd: &mut &'a [u8], n: usize) -> Result<&'a [u8], BodyError> {
    if rd.len() < n {
        return Err(BodyError::Invalid);
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Ok(head)
}

/// Skips one complete value without recursion: a count of values still owed replaces the
/// call stack, so hostile nesting costs no stack. Every value takes at least one byte, so the
/// loop ends when the input does.
pub fn skip(rd: &mut &[u8]) -> Result<(), BodyError> {
    let mut owed: u64 = 1;
    let bad = |_| BodyError::Invalid;
    while owed > 0 {
        owed -= 1;
        let marker = read_marker(rd).map_err(|_| BodyError::Invalid)?;
        let payload: usize = match marker {
            Marker::FixPos(_) | Marker::FixNeg(_) | Marker::Null | Marker::True | Marker::False => {
                0
            }
            Marker::U8 | Marker::I8 => 1,
            Marker::U16 | Marker::I16 => 2,
            Marker::U32 | Marker::I32 | Marker::F32 => 4,
            Marker::U64 | Marker::I64 | Marker::F64 => 8,
            Marker::FixStr(n) => usize::from(n),
            Marker::Str8 | Marker::Bin8 => usize::from(rd.read_data_u8().map_err(bad)?),
            Marker::Str16 | Marker::Bin16 => usize::from(rd.read_data_u16().map_err(bad)?),
            Marker::Str32 | Marker::Bin32 => rd.read_data_u32().map_err(bad)? as usize,
            Marker::FixArray(n) => {
                owed += u64::from(n);
                0
            }
            Marker::Array16 => {
                owed += u64::from(rd.read_data_u16().map_err(bad)?);
                0
            }
            Marker::Array32 => {
                owed += u64::from(rd.read_data_u32().map_err(bad)?);
                0
            }
            Marker::FixMap(n) => {
                owed += 2 * u64::from(n);
                0
            }
            Marker::Map16 => {
                owed += 2 * u64::from(rd.read_data_u16().map_err(bad)?);
                0
            }
            Marker::Map32 => {
                owed += 2 * u64::from(rd.read_data_u32().map_err(bad)?);
                0
            }
            Marker::FixExt1 => 2,
            Marker::FixExt2 => 3,
            Marker::FixExt4 => 5,
            Marker::FixExt8 => 9,
            Marker::FixExt16 => 17,
            Marker::Ext8 => usize::from(rd.read_data_u8().map_err(bad)?) + 1,
            Marker::Ext16 => usize::from(rd.read_data_u16().map_err(bad)?) + 1,
            Marker::Ext32 => rd.read_data_u32().map_err(bad)? as usize + 1,
            Marker::Reserved => return Err(BodyError::Invalid),
        };
        take(rd, payload)?;
        if owed > rd.len() as u64 {
            // More values owed than bytes left: truncated or hostile.
            return Err(BodyError::Invalid);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_are_borrowed() {
        let body =
            br#"{"date":1,"host":"fw01","message":"CEF:0|a","nested":{"a":[1,2,{"b":null}]}}"#;
        let f = from_json(body).unwrap();
        assert!(matches!(f.message, Some(Cow::Borrowed("CEF:0|a"))));
        assert!(matches!(f.host, Some(Cow::Borrowed("fw01"))));
        assert!(f.log.is_none());
    }

    #[test]
    fn json_escapes_are_decoded() {
        let f = from_json(br#"{"message":"a\"b\\c\u00e9"}"#).unwrap();
        assert_eq!(f.message.as_deref(), Some("a\"b\\c\u{e9}"));
    }

    #[test]
    fn json_non_string_fields_are_ignored() {
        let f = from_json(br#"{"message":42,"host":null,"log":["x"]}"#).unwrap();
        assert!(f.message.is_none() && f.host.is_none() && f.log.is_none());
    }

    #[test]
    fn json_errors() {
        assert_eq!(from_json(b"[1,2]").unwrap_err(), BodyError::NotAnObject);
        assert_eq!(from_json(b"\"x\"").unwrap_err(), BodyError::NotAnObject);
        assert_eq!(from_json(b"{\"a\":").unwrap_err(), BodyError::Invalid);
        assert_eq!(from_json(b"{} x").unwrap_err(), BodyError::Invalid);
        assert_eq!(from_json(b"").unwrap_err(), BodyError::Invalid);
        assert_eq!(
            from_json(b"{\"message\":\"\xff\"}").unwrap_err(),
            BodyError::Invalid
        );
    }

    #[test]
    fn json_deep_nesting_costs_no_stack() {
        // Run on a thread with a 64 KiB stack: any recursion per level would overflow it.
        let deep = |n: usize, key: &str| {
            format!(
                "{{\"{key}\":{}1{},\"message\":\"m\"}}",
                "[{\"a\":".repeat(n),
                "}]".repeat(n)
            )
        };
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                for key in ["x", "message", "Message", "host"] {
                    let body = deep(100_000, key);
                    let f = from_json(body.as_bytes()).unwrap();
                    assert_eq!(f.message.as_deref(), Some("m"), "{key}");
                    let cut = &body.as_bytes()[..body.len() - 30];
                    assert_eq!(from_json(cut).unwrap_err(), BodyError::Invalid);
                }
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn ngfw_message_text_and_object() {
        let f = from_json(br#"{"ident":"TRAFFIC","FirewallName":"f","Message":"{\"app\":\"x\"}"}"#)
            .unwrap();
        assert!(
            matches!(f.ngfw_message, Some(NgfwMessage::JsonText(ref t)) if t == r#"{"app":"x"}"#)
        );
        let f = from_json(br#"{"Message":{"app":"x"}}"#).unwrap();
        assert!(matches!(
            f.ngfw_message,
            Some(NgfwMessage::JsonObject(r#"{"app":"x"}"#))
        ));
        let f = from_json(br#"{"Message":5}"#).unwrap();
        assert!(f.ngfw_message.is_none());
    }

    fn mp_str(out: &mut Vec<u8>, s: &str) {
        rmp::encode::write_str(out, s).unwrap();
    }

    #[test]
    fn msgpack_fields() {
        let mut b = Vec::new();
        rmp::encode::write_map_len(&mut b, 4).unwrap();
        mp_str(&mut b, "n");
        rmp::encode::write_array_len(&mut b, 2).unwrap();
        rmp::encode::write_uint(&mut b, 300).unwrap();
        rmp::encode::write_map_len(&mut b, 1).unwrap();
        mp_str(&mut b, "k");
        rmp::encode::write_f64(&mut b, 1.5).unwrap();
        mp_str(&mut b, "host");
        mp_str(&mut b, "fw01");
        mp_str(&mut b, "Message");
        rmp::encode::write_map_len(&mut b, 1).unwrap();
        mp_str(&mut b, "app");
        mp_str(&mut b, "incomplete");
        mp_str(&mut b, "message");
        mp_str(&mut b, &"x".repeat(300));
        let f = from_msgpack(&b).unwrap();
        assert_eq!(f.host.as_deref(), Some("fw01"));
        assert_eq!(f.message.as_deref().map(str::len), Some(300));
        assert!(matches!(f.ngfw_message, Some(NgfwMessage::Msgpack(m)) if m.len() == 1 + 4 + 11));
    }

    #[test]
    fn msgpack_errors() {
        assert_eq!(
            from_msgpack(&[0x92, 0x01, 0x02]).unwrap_err(),
            BodyError::NotAnObject
        );
        assert_eq!(from_msgpack(&[0x81, 0xa1]).unwrap_err(), BodyError::Invalid);
        assert_eq!(from_msgpack(&[]).unwrap_err(), BodyError::Invalid);
        assert_eq!(from_msgpack(&[0x80, 0x00]).unwrap_err(), BodyError::Invalid);
        // A hostile length: four billion entries in four bytes.
        assert_eq!(
            from_msgpack(&[0x81, 0xa1, b'a', 0xdd, 0xff, 0xff, 0xff, 0xff]).unwrap_err(),
            BodyError::Invalid
        );
        assert_eq!(from_msgpack(&[0xc1]).unwrap_err(), BodyError::Invalid);
    }

    #[test]
    fn msgpack_deep_nesting_costs_no_stack() {
        let mut b = vec![0x81, 0xa1, b'a'];
        b.extend(std::iter::repeat_n(0x91, 100_000));
        b.push(0xc0);
        assert!(from_msgpack(&b).is_ok());
    }
}
