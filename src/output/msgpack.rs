//! msgpack mode: Fluent Bit measures the filter's msgpack output with `strlen`, so a single
//! 0x00 byte cuts the record (fluent-bit#9967). Everything written here is free of zero bytes
//! by construction:
//! - integers other than 1..=127 and -32..=-1 (whose encodings contain zeros, or may) become
//!   decimal strings, floats become decimal strings;
//! - strings, arrays and maps whose length field would contain a zero byte (strings of
//!   256*k bytes, containers of 16..=255 items, ...) and strings or binaries holding a NUL
//!   cannot be written at all: the record is reported [`Unrepresentable`] and the adapter
//!   sends a small stub record in its place, counting it. JSON mode has none of this.

use rmp::decode::{read_marker, RmpRead};
use rmp::Marker;

/// The transcoder recurses once per level; nothing this rule reads nests more than three.
const MAX_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unrepresentable {
    /// Not valid msgpack, or not a map at the top.
    Invalid,
    /// A length field that must contain a zero byte.
    Length,
    /// A NUL inside a string or binary.
    Nul,
    /// Extension types, or nesting beyond the depth limit.
    Unsupported,
}

impl Unrepresentable {
    pub fn as_str(self) -> &'static str {
        match self {
            Unrepresentable::Invalid => "not a msgpack map",
            Unrepresentable::Length => "a length that msgpack can only write with a zero byte",
            Unrepresentable::Nul => "a NUL byte inside a value",
            Unrepresentable::Unsupported => "an extension type or nesting deeper than 32",
        }
    }
}

/// Re-encodes the msgpack map `record` without zero bytes, adding `extra` (key, text) as a
/// last entry when given.
pub fn transcode_record(
    record: &[u8],
    extra: Option<(&str, &str)>,
    out: &mut Vec<u8>,
) -> Result<(), Unrepresentable> {
    out.clear();
    let mut rd = record;
    let entries = crate::body::read_map_len(&mut rd).map_err(|_| Unrepresentable::Invalid)?;
    let total = entries
        .checked_add(u32::from(extra.is_some()))
        .ok_or(Unrepresentable::Length)?;
    // Every key and value takes at least a byte: a larger count is hostile or truncated.
    if 2 * u64::from(entries) > rd.len() as u64 {
        return Err(Unrepresentable::Invalid);
    }
    write_len(out, total, [0x80, 0xde, 0xdf], 15)?;
    for _ in 0..2 * u64::from(entries) {
        copy_value(&mut rd, out, 1)?;
    }
    if !rd.is_empty() {
        return Err(Unrepresentable::Invalid);
    }
    if let Some((key, text)) = extra {
        write_text(out, key)?;
        write_text(out, text)?;
    }
    debug_assert!(!out.contains(&0));
    Ok(())
}

/// A one-entry map `{key: text}`.
pub fn single_entry(key: &str, text: &str, out: &mut Vec<u8>) -> Result<(), Unrepresentable> {
    out.clear();
    out.push(0x81);
    write_text(out, key)?;
    write_text(out, text)
}

/// Writes a string; text of 256*k bytes gets one trailing space so that its length field has
/// no zero byte (meant for JSON text, where trailing whitespace is insignificant, and for keys).
pub fn write_text(out: &mut Vec<u8>, text: &str) -> Result<(), Unrepresentable> {
    if text.as_bytes().contains(&0) {
        return Err(Unrepresentable::Nul);
    }
    let len = u32::try_from(text.len()).map_err(|_| Unrepresentable::Length)?;
    if (256..65536).contains(&len) && len % 256 == 0 {
        write_len(out, len + 1, [0xa0, 0xda, 0xdb], 31)?;
        out.extend_from_slice(text.as_bytes());
        out.push(b' ');
        return Ok(());
    }
    write_str_len(out, len)?;
    out.extend_from_slice(text.as_bytes());
    Ok(())
}

fn write_str_len(out: &mut Vec<u8>, len: u32) -> Result<(), Unrepresentable> {
    if (32..=255).contains(&len) {
        out.extend_from_slice(&[0xd9, len as u8]);
        return Ok(());
    }
    write_len(out, len, [0xa0, 0xda, 0xdb], 31)
}

/// A length with a fix form up to `fix_max`, then 16- and 32-bit forms; refuses lengths whose
/// big-endian bytes contain a zero.
fn write_len(
    out: &mut Vec<u8>,
    len: u32,
    [fix, m16, m32]: [u8; 3],
    fix_max: u32,
) -> Result<(), Unrepresentable> {
    if len <= fix_max {
        out.push(fix | len as u8);
    } else if let Ok(l16) = u16::try_from(len) {
        let b = l16.to_be_bytes();
        if b.contains(&0) {
            return Err(Unrepresentable::Length);
        }
        out.push(m16);
        out.extend_from_slice(&b);
    } else {
        let b = len.to_be_bytes();
        if b.contains(&0) {
            return Err(Unrepresentable::Length);
        }
        out.push(m32);
        out.extend_from_slice(&b);
    }
    Ok(())
}

fn decimal(out: &mut Vec<u8>, text: String) -> Result<(), Unrepresentable> {
    write_text(out, &text)
}

fn take<'a>(rd: &mut &'a [u8], n: usize) -> Result<&'a [u8], Unrepresentable> {
    if rd.len() < n {
        return Err(Unrepresentable::Invalid);
    }
    let (head, tail) = rd.split_at(n);
    *rd = tail;
    Ok(head)
}

fn int(out: &mut Vec<u8>, v: i128) -> Result<(), Unrepresentable> {
    match v {
        1..=127 => out.push(v as u8),
        -32..=-1 => out.push(v as i8 as u8),
        _ => decimal(out, v.to_string())?,
    }
    Ok(())
}

fn copy_value(rd: &mut &[u8], out: &mut Vec<u8>, depth: usize) -> Result<(), Unrepresentable> {
    if depth > MAX_DEPTH {
        return Err(Unrepresentable::Unsupported);
    }
    let bad = |_| Unrepresentable::Invalid;
    let marker = read_marker(rd).map_err(|_| Unrepresentable::Invalid)?;
    match marker {
        Marker::FixPos(n) => int(out, i128::from(n))?,
        Marker::FixNeg(n) => int(out, i128::from(n))?,
        Marker::Null => out.push(0xc0),
        Marker::False => out.push(0xc2),
        Marker::True => out.push(0xc3),
        Marker::U8 => int(out, i128::from(rd.read_data_u8().map_err(bad)?))?,
        Marker::U16 => int(out, i128::from(rd.read_data_u16().map_err(bad)?))?,
        Marker::U32 => int(out, i128::from(rd.read_data_u32().map_err(bad)?))?,
        Marker::U64 => int(out, i128::from(rd.read_data_u64().map_err(bad)?))?,
        Marker::I8 => int(out, i128::from(rd.read_data_i8().map_err(bad)?))?,
        Marker::I16 => int(out, i128::from(rd.read_data_i16().map_err(bad)?))?,
        Marker::I32 => int(out, i128::from(rd.read_data_i32().map_err(bad)?))?,
        Marker::I64 => int(out, i128::from(rd.read_data_i64().map_err(bad)?))?,
        Marker::F32 => decimal(out, rd.read_data_f32().map_err(bad)?.to_string())?,
        Marker::F64 => decimal(out, rd.read_data_f64().map_err(bad)?.to_string())?,
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32 => {
            let len = match marker {
                Marker::FixStr(n) => u32::from(n),
                Marker::Str8 => u32::from(rd.read_data_u8().map_err(bad)?),
                Marker::Str16 => u32::from(rd.read_data_u16().map_err(bad)?),
                _ => rd.read_data_u32().map_err(bad)?,
            };
            let bytes = take(rd, len as usize)?;
            if bytes.contains(&0) {
                return Err(Unrepresentable::Nul);
            }
            write_str_len(out, len)?;
            out.extend_from_slice(bytes);
        }
        Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
            let len = match marker {
                Marker::Bin8 => u32::from(rd.read_data_u8().map_err(bad)?),
                Marker::Bin16 => u32::from(rd.read_data_u16().map_err(bad)?),
                _ => rd.read_data_u32().map_err(bad)?,
            };
            let bytes = take(rd, len as usize)?;
            if bytes.contains(&0) {
                return Err(Unrepresentable::Nul);
            }
            // bin has no fix form: a zero-free length needs 1..=255 or nonzero 16/32-bit bytes.
            match len {
                1..=255 => out.extend_from_slice(&[0xc4, len as u8]),
                0 => return Err(Unrepresentable::Length),
                _ => write_len(out, len, [0, 0xc5, 0xc6], 0)?,
            }
            out.extend_from_slice(bytes);
        }
        Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
            let n = match marker {
                Marker::FixArray(n) => u32::from(n),
                Marker::Array16 => u32::from(rd.read_data_u16().map_err(bad)?),
                _ => rd.read_data_u32().map_err(bad)?,
            };
            if u64::from(n) > rd.len() as u64 {
                return Err(Unrepresentable::Invalid);
            }
            write_len(out, n, [0x90, 0xdc, 0xdd], 15)?;
            for _ in 0..n {
                copy_value(rd, out, depth + 1)?;
            }
        }
        Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
            let n = match marker {
                Marker::FixMap(n) => u32::from(n),
                Marker::Map16 => u32::from(rd.read_data_u16().map_err(bad)?),
                _ => rd.read_data_u32().map_err(bad)?,
            };
            if 2 * u64::from(n) > rd.len() as u64 {
                return Err(Unrepresentable::Invalid);
            }
            write_len(out, n, [0x80, 0xde, 0xdf], 15)?;
            for _ in 0..2 * u64::from(n) {
                copy_value(rd, out, depth + 1)?;
            }
        }
        _ => return Err(Unrepresentable::Unsupported),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Writer<'a> = &'a dyn Fn(&mut Vec<u8>);

    fn map(entries: &[(&str, Writer<'_>)]) -> Vec<u8> {
        let mut b = Vec::new();
        rmp::encode::write_map_len(&mut b, entries.len() as u32).unwrap();
        for (k, v) in entries {
            rmp::encode::write_str(&mut b, k).unwrap();
            v(&mut b);
        }
        b
    }

    #[test]
    fn integers_that_would_hold_zeros_become_strings() {
        let rec = map(&[
            ("zero", &|b| {
                rmp::encode::write_uint(b, 0).map(drop).unwrap()
            }),
            ("small", &|b| {
                rmp::encode::write_uint(b, 7).map(drop).unwrap()
            }),
            ("big", &|b| {
                rmp::encode::write_uint(b, 256).map(drop).unwrap()
            }),
            ("neg", &|b| {
                rmp::encode::write_sint(b, -5).map(drop).unwrap()
            }),
            ("float", &|b| rmp::encode::write_f64(b, 1.5).unwrap()),
            ("nil", &|b| rmp::encode::write_nil(b).unwrap()),
        ]);
        let mut out = Vec::new();
        transcode_record(&rec, Some(("cef_portscan", "{\"a\":1}")), &mut out).unwrap();
        assert!(!out.contains(&0));
        let v = rmpv::decode::read_value(&mut &out[..]).unwrap();
        let m: Vec<(String, String)> = v
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.as_str().unwrap().to_string(), v.to_string()))
            .collect();
        assert_eq!(m[0], ("zero".into(), "\"0\"".into()));
        assert_eq!(m[1], ("small".into(), "7".into()));
        assert_eq!(m[2], ("big".into(), "\"256\"".into()));
        assert_eq!(m[3], ("neg".into(), "-5".into()));
        assert_eq!(m[4], ("float".into(), "\"1.5\"".into()));
        assert_eq!(m[5], ("nil".into(), "nil".into()));
        assert_eq!(m[6], ("cef_portscan".into(), "\"{\\\"a\\\":1}\"".into()));
    }

    #[test]
    fn unrepresentable_shapes_are_refused() {
        let mut out = Vec::new();
        let s256 = "x".repeat(256);
        let rec = map(&[("s", &|b| rmp::encode::write_str(b, &s256).unwrap())]);
        assert_eq!(
            transcode_record(&rec, None, &mut out),
            Err(Unrepresentable::Length)
        );
        let rec = map(&[("s", &|b| rmp::encode::write_str(b, "a\0b").unwrap())]);
        assert_eq!(
            transcode_record(&rec, None, &mut out),
            Err(Unrepresentable::Nul)
        );
        let mut wide = Vec::new();
        rmp::encode::write_map_len(&mut wide, 20).unwrap();
        for i in 0..20 {
            rmp::encode::write_str(&mut wide, &format!("k{i}")).unwrap();
            rmp::encode::write_nil(&mut wide).unwrap();
        }
        assert_eq!(
            transcode_record(&wide, None, &mut out),
            Err(Unrepresentable::Length)
        );
        assert_eq!(
            transcode_record(&[0x91, 0xc0], None, &mut out),
            Err(Unrepresentable::Invalid)
        );
        assert_eq!(
            transcode_record(&[], None, &mut out),
            Err(Unrepresentable::Invalid)
        );
    }

    #[test]
    fn hostile_counts_are_refused_without_overflow() {
        let mut out = Vec::new();
        let rec = [0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0];
        assert_eq!(
            transcode_record(&rec, None, &mut out),
            Err(Unrepresentable::Invalid)
        );
        let rec = [0x81, 0xa1, b'a', 0xdf, 0x80, 0x00, 0x00, 0x00, 0xc0];
        assert_eq!(
            transcode_record(&rec, None, &mut out),
            Err(Unrepresentable::Invalid)
        );
    }

    #[test]
    fn text_of_256_bytes_is_padded() {
        let mut out = Vec::new();
        single_entry("k", &"y".repeat(512), &mut out).unwrap();
        assert!(!out.contains(&0));
        let v = rmpv::decode::read_value(&mut &out[..]).unwrap();
        assert_eq!(v.as_map().unwrap()[0].1.as_str().unwrap().len(), 513);
    }

    fn arb_value() -> impl Strategy<Value = rmpv::Value> {
        let leaf = prop_oneof![
            Just(rmpv::Value::Nil),
            any::<bool>().prop_map(rmpv::Value::from),
            any::<i64>().prop_map(rmpv::Value::from),
            any::<u64>().prop_map(rmpv::Value::from),
            any::<f64>().prop_map(rmpv::Value::from),
            ".{0,40}".prop_map(rmpv::Value::from),
            proptest::collection::vec(any::<u8>(), 0..300)
                .prop_map(|s| rmpv::Value::String(String::from_utf8_lossy(&s).into_owned().into())),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(rmpv::Value::Binary),
        ];
        leaf.prop_recursive(4, 64, 20, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..20).prop_map(rmpv::Value::Array),
                proptest::collection::vec((".{0,8}", inner), 0..20).prop_map(
                    |kv| rmpv::Value::Map(
                        kv.into_iter()
                            .map(|(k, v)| (rmpv::Value::from(k), v))
                            .collect()
                    )
                ),
            ]
        })
    }

    proptest! {
        #[test]
        fn output_never_holds_a_zero_byte(entries in proptest::collection::vec((".{0,12}", arb_value()), 0..24)) {
            let rec = rmpv::Value::Map(entries.into_iter().map(|(k, v)| (rmpv::Value::from(k), v)).collect());
            let mut bytes = Vec::new();
            rmpv::encode::write_value(&mut bytes, &rec).unwrap();
            let mut out = Vec::new();
            if transcode_record(&bytes, Some(("cef_portscan", "{}")), &mut out).is_ok() {
                prop_assert!(!out.contains(&0));
                // And it is still one valid msgpack value covering the whole output.
                let mut rd = &out[..];
                rmpv::decode::read_value(&mut rd).unwrap();
                prop_assert!(rd.is_empty());
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic_or_leak_zeros(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut out = Vec::new();
            if transcode_record(&bytes, None, &mut out).is_ok() {
                prop_assert!(!out.contains(&0));
            }
        }
    }
}
