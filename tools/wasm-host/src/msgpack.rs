//! msgpack outputs, read the way a reader of Fluent Bit's chunk would see them.

use rmpv::Value as Mp;
use serde_json::{Map, Number, Value};

/// Decodes exactly one msgpack value spanning all of `bytes` into JSON. Strings that are not
/// UTF-8, `bin` and `ext` are shown lossily as text, the way Fluent Bit's JSON outputs do.
pub fn decode_exact(bytes: &[u8]) -> Result<Value, String> {
    let mut cursor = bytes;
    let v = rmpv::decode::read_value(&mut cursor).map_err(|e| format!("invalid msgpack: {e}"))?;
    if !cursor.is_empty() {
        return Err(format!(
            "{} bytes of msgpack left after the first value",
            cursor.len()
        ));
    }
    Ok(to_json(&v))
}

pub fn to_json(v: &Mp) -> Value {
    match v {
        Mp::Nil => Value::Null,
        Mp::Boolean(b) => Value::Bool(*b),
        Mp::Integer(i) => match (i.as_u64(), i.as_i64()) {
            (Some(u), _) => Value::Number(u.into()),
            (None, Some(s)) => Value::Number(s.into()),
            (None, None) => Value::Null,
        },
        Mp::F32(f) => Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number),
        Mp::F64(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Mp::String(s) => Value::String(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        Mp::Binary(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Mp::Ext(_, b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        Mp::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        Mp::Map(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                let key = match k {
                    Mp::String(s) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                    other => to_json(other).to_string(),
                };
                out.insert(key, to_json(v));
            }
            Value::Object(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_one_map_and_refuses_trailing_bytes() {
        // {"a": 1}
        let one = [0x81, 0xa1, b'a', 0x01];
        assert_eq!(decode_exact(&one).unwrap(), serde_json::json!({"a": 1}));
        let mut two = one.to_vec();
        two.push(0xc0);
        assert!(decode_exact(&two).is_err());
        assert!(decode_exact(&[0x81, 0xa1]).is_err());
        assert!(decode_exact(&[]).is_err());
    }
}
