//! Azure Cloud NGFW traffic records: the fields of `Message`, as JSON text, a JSON object, or
//! a msgpack map.

use crate::body::{self, BodyError, NgfwMessage, Text};
use rmp::decode::{read_marker, RmpRead};
use rmp::Marker;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Default, PartialEq)]
pub struct NgfwFields<'a> {
    pub src_ip: Option<Cow<'a, str>>,
    pub dst_ip: Option<Cow<'a, str>>,
    pub dport: Option<Port<'a>>,
    pub app: Option<Cow<'a, str>>,
    pub proto: Option<Cow<'a, str>>,
    pub action: Option<Cow<'a, str>>,
    pub session_end_reason: Option<Cow<'a, str>>,
}

/// `dport` as found: the rule compares it as text and as an integer.
#[derive(Debug, Clone, PartialEq)]
pub enum Port<'a> {
    Int(i64),
    Float(f64),
    Text(Cow<'a, str>),
    /// Present but null, boolean or structured: `isnotempty` holds for none of these in a way
    /// that yields a port, so such records are not candidates.
    Other,
}

impl Port<'_> {
    /// `toint(dport)`: integers, integral floats and decimal text.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Port::Int(i) => Some(*i),
            Port::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            Port::Text(t) => t.parse().ok(),
            _ => None,
        }
    }
}

pub fn parse<'a>(message: &'a NgfwMessage<'_>) -> Result<NgfwFields<'a>, BodyError> {
    match message {
        NgfwMessage::JsonText(t) => from_json(t.as_bytes()),
        NgfwMessage::JsonObject(t) => from_json(t.as_bytes()),
        NgfwMessage::Msgpack(b) => from_msgpack(b),
    }
}

fn from_json(text: &[u8]) -> Result<NgfwFields<'_>, BodyError> {
    body::parse_json_object(text, FieldsVisitor)
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = NgfwFields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Cloud NGFW message object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NgfwFields<'de>, A::Error> {
        let mut f = NgfwFields::default();
        while let Some(key) = map.next_key::<Text<'de>>()? {
            let slot = match key.0.as_deref() {
                Some("dport") if f.dport.is_none() => {
                    f.dport = Some(map.next_value::<JsonPort<'de>>()?.0);
                    continue;
                }
                Some(name) => match slot_for(&mut f, name.as_bytes()) {
                    Some(slot) => slot,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                },
                None => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            *slot = map.next_value::<Text<'de>>()?.0;
        }
        Ok(f)
    }
}

/// The empty slot for a text field of interest; the first occurrence of a key wins.
fn slot_for<'f, 'a>(
    f: &'f mut NgfwFields<'a>,
    name: &[u8],
) -> Option<&'f mut Option<Cow<'a, str>>> {
    let slot = match name {
        b"src_ip" => &mut f.src_ip,
        b"dst_ip" => &mut f.dst_ip,
        b"app" => &mut f.app,
        b"proto" => &mut f.proto,
        b"action" => &mut f.action,
        b"session_end_reason" => &mut f.session_end_reason,
        _ => return None,
    };
    slot.is_none().then_some(slot)
}

struct JsonPort<'a>(Port<'a>);

impl<'de> de::Deserialize<'de> for JsonPort<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonPort<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port")
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(JsonPort(Port::Int(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(JsonPort(i64::try_from(v).map_or(Port::Other, Port::Int)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(JsonPort(Port::Float(v)))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(JsonPort(Port::Text(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(JsonPort(Port::Text(Cow::Owned(v.to_owned()))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(JsonPort(Port::Other))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(JsonPort(Port::Other))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(JsonPort(Port::Other))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(JsonPort(Port::Other))
            }
        }
        d.deserialize_any(V)
    }
}

fn from_msgpack(map: &[u8]) -> Result<NgfwFields<'_>, BodyError> {
    let mut rd = map;
    let entries = body::read_map_len(&mut rd)?;
    let mut f = NgfwFields::default();
    for _ in 0..entries {
        let key = body::read_str(&mut rd)?;
        if key == Some(b"dport") && f.dport.is_none() {
            f.dport = Some(msgpack_port(&mut rd)?);
            continue;
        }
        match key.and_then(|k| slot_for(&mut f, k)) {
            Some(slot) => *slot = body::read_str(&mut rd)?.map(String::from_utf8_lossy),
            None => body::skip(&mut rd)?,
        }
    }
    Ok(f)
}

fn msgpack_port<'a>(rd: &mut &'a [u8]) -> Result<Port<'a>, BodyError> {
    let bad = |_| BodyError::Invalid;
    let before = *rd;
    let port = match read_marker(rd).map_err(|_| BodyError::Invalid)? {
        Marker::FixPos(n) => Port::Int(i64::from(n)),
        Marker::FixNeg(n) => Port::Int(i64::from(n)),
        Marker::U8 => Port::Int(i64::from(rd.read_data_u8().map_err(bad)?)),
        Marker::U16 => Port::Int(i64::from(rd.read_data_u16().map_err(bad)?)),
        Marker::U32 => Port::Int(i64::from(rd.read_data_u32().map_err(bad)?)),
        Marker::U64 => {
            i64::try_from(rd.read_data_u64().map_err(bad)?).map_or(Port::Other, Port::Int)
        }
        Marker::I8 => Port::Int(i64::from(rd.read_data_i8().map_err(bad)?)),
        Marker::I16 => Port::Int(i64::from(rd.read_data_i16().map_err(bad)?)),
        Marker::I32 => Port::Int(i64::from(rd.read_data_i32().map_err(bad)?)),
        Marker::I64 => Port::Int(rd.read_data_i64().map_err(bad)?),
        Marker::F32 => Port::Float(f64::from(rd.read_data_f32().map_err(bad)?)),
        Marker::F64 => Port::Float(rd.read_data_f64().map_err(bad)?),
        _ => {
            *rd = before;
            return Ok(match body::read_str(rd)? {
                Some(s) => Port::Text(String::from_utf8_lossy(s)),
                None => Port::Other,
            });
        }
    };
    Ok(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_message() {
        let m = NgfwMessage::JsonText(Cow::Borrowed(
            r#"{"src_ip":"192.168.1.5","dst_ip":"203.0.113.9","sport":5,"dport":22,"app":"incomplete","proto":"tcp","action":"allow","session_end_reason":"tcp-rst-from-server","extra":{"a":[1]}}"#,
        ));
        let f = parse(&m).unwrap();
        assert_eq!(f.src_ip.as_deref(), Some("192.168.1.5"));
        assert_eq!(f.dport, Some(Port::Int(22)));
        assert_eq!(f.session_end_reason.as_deref(), Some("tcp-rst-from-server"));
    }

    #[test]
    fn port_forms() {
        assert_eq!(Port::Text("80".into()).as_int(), Some(80));
        assert_eq!(Port::Text("x".into()).as_int(), None);
        assert_eq!(Port::Float(22.0).as_int(), Some(22));
        assert_eq!(Port::Float(22.5).as_int(), None);
        assert_eq!(Port::Other.as_int(), None);
    }

    #[test]
    fn msgpack_message() {
        let mut b = Vec::new();
        rmp::encode::write_map_len(&mut b, 3).unwrap();
        rmp::encode::write_str(&mut b, "dport").unwrap();
        rmp::encode::write_uint(&mut b, 8443).unwrap();
        rmp::encode::write_str(&mut b, "app").unwrap();
        rmp::encode::write_str(&mut b, "incomplete").unwrap();
        rmp::encode::write_str(&mut b, "x").unwrap();
        rmp::encode::write_nil(&mut b).unwrap();
        let m = NgfwMessage::Msgpack(&b);
        let f = parse(&m).unwrap();
        assert_eq!(f.dport, Some(Port::Int(8443)));
        assert_eq!(f.app.as_deref(), Some("incomplete"));
    }

    #[test]
    fn bad_messages() {
        assert!(parse(&NgfwMessage::JsonText(Cow::Borrowed("not json"))).is_err());
        assert!(parse(&NgfwMessage::JsonText(Cow::Borrowed("[1]"))).is_err());
        assert!(parse(&NgfwMessage::Msgpack(&[0x91, 0x01])).is_err());
        assert!(parse(&NgfwMessage::Msgpack(&[0x81, 0xa5])).is_err());
    }
}
