//! cty's msgpack encoding: what Terraform sends in every `DynamicValue`, and what it
//! requires back.
//!
//! - nil is null; any extension value is unknown (ext 0 is the classic unknown, ext 12 a
//!   refined unknown whose refinements we do not need);
//! - numbers may arrive as ints, floats, or decimal strings (precise or big numbers);
//! - objects are maps keyed by attribute name and must carry exactly the type's attributes;
//! - a dynamic position is `[type as JSON, value]`.

use rmpv::Value as Mp;

use super::value::Number;
use super::walk::{self, WireNode, WireOut};
use super::{CodecError, Type, Value};

use super::walk::MAX_DEPTH;

/// Decodes `bytes` as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut rd = bytes;
    let raw = rmpv::decode::read_value_with_max_depth(&mut rd, MAX_DEPTH * 2)
        .map_err(|e| CodecError::new(format!("invalid msgpack: {e}")))?;
    if !rd.is_empty() {
        return Err(CodecError::new(format!(
            "{} trailing bytes after the msgpack value",
            rd.len()
        )));
    }
    walk::decode(&raw, ty, 0)
}

/// Encodes `value` as type `ty`; objects get exactly the type's attributes.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mp: Mp = walk::encode(value, ty, 0)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp)
        .map_err(|e| CodecError::new(format!("msgpack write failed: {e}")))?;
    Ok(out)
}

impl WireNode for Mp {
    const ENCODING: &'static str = "msgpack";
    const MAP_SHAPE: &'static str = "a map";
    const LENIENT_OBJECTS: bool = false;

    fn kind(&self) -> &'static str {
        match self {
            Mp::Nil => "nil",
            Mp::Boolean(_) => "bool",
            Mp::Integer(_) => "integer",
            Mp::F32(_) | Mp::F64(_) => "float",
            Mp::String(_) => "string",
            Mp::Binary(_) => "binary",
            Mp::Array(_) => "array",
            Mp::Map(_) => "map",
            Mp::Ext(_, _) => "extension",
        }
    }

    fn is_null(&self) -> bool {
        self.is_nil()
    }

    fn is_unknown(&self) -> bool {
        matches!(self, Mp::Ext(_, _))
    }

    fn string(&self) -> Option<Result<&str, CodecError>> {
        match self {
            Mp::String(s) => Some(
                s.as_str()
                    .ok_or_else(|| CodecError::new("string is not valid UTF-8")),
            ),
            _ => None,
        }
    }

    fn bool(&self) -> Option<bool> {
        self.as_bool()
    }

    fn number(&self) -> Option<Number> {
        Some(match self {
            Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
                (Some(v), _) => Number::Int(v),
                (None, Some(v)) => Number::Big(v.to_string()),
                _ => return None,
            },
            Mp::F32(f) => Number::Float(f64::from(*f)),
            Mp::F64(f) => Number::Float(*f),
            Mp::String(s) => Number::parse(s.as_str()?)?,
            _ => return None,
        })
    }

    fn array(&self) -> Option<&[Mp]> {
        self.as_array().map(Vec::as_slice)
    }

    fn entries(&self) -> Option<impl Iterator<Item = (Option<&str>, &Mp)>> {
        self.as_map()
            .map(|entries| entries.iter().map(|(k, v)| (k.as_str(), v)))
    }

    fn dynamic(&self) -> Result<(Type, &Mp), CodecError> {
        let pair = self
            .as_array()
            .ok_or_else(|| self.mismatch("a [type, value] pair for a dynamic value"))?;
        let [type_raw, value] = pair.as_slice() else {
            return Err(CodecError::new(
                "a dynamic value must be a [type, value] pair",
            ));
        };
        let type_bytes: &[u8] = match type_raw {
            Mp::Binary(b) => b,
            Mp::String(s) => s.as_bytes(),
            _ => return Err(CodecError::new("a dynamic value's type must be JSON bytes")),
        };
        let type_json: serde_json::Value = serde_json::from_slice(type_bytes)
            .map_err(|e| CodecError::new(format!("a dynamic value's type is not JSON: {e}")))?;
        let concrete = Type::from_json(&type_json)?;
        if concrete == Type::Dynamic {
            return Err(CodecError::new("a dynamic value cannot have type dynamic"));
        }
        Ok((concrete, value))
    }
}

impl WireOut for Mp {
    fn null() -> Mp {
        Mp::Nil
    }

    /// go-cty writes an unknown as fixext1 type 0 with a zero byte.
    fn unknown() -> Result<Mp, CodecError> {
        Ok(Mp::Ext(0, vec![0]))
    }

    fn string(s: &str) -> Mp {
        Mp::from(s)
    }

    fn bool(b: bool) -> Mp {
        Mp::Boolean(b)
    }

    fn number(n: &Number) -> Result<Mp, CodecError> {
        Ok(match n {
            Number::Int(i) => Mp::from(*i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Mp::from(*f as i64),
            Number::Float(f) => Mp::F64(*f),
            Number::Big(s) => Mp::from(s.as_str()),
        })
    }

    fn array(items: Vec<Mp>) -> Mp {
        Mp::Array(items)
    }

    fn map(entries: Vec<(String, Mp)>) -> Mp {
        Mp::Map(entries.into_iter().map(|(k, v)| (Mp::from(k), v)).collect())
    }

    fn dynamic(ty: &Type, value: Mp) -> Mp {
        Mp::Array(vec![Mp::Binary(ty.to_json_bytes()), value])
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn obj() -> Type {
        Type::object([
            ("name", Type::String),
            ("audiences", Type::list(Type::String)),
            ("n", Type::Number),
        ])
    }

    #[test]
    fn unknowns_plain_and_refined() {
        // fixext1 type 0, and ext 12 with a refinement payload.
        assert_eq!(
            decode(&[0xd4, 0x00, 0x00], &Type::String),
            Ok(Value::Unknown)
        );
        assert_eq!(
            decode(&[0xc7, 0x03, 0x0c, 0x81, 0x01, 0xc3], &Type::String),
            Ok(Value::Unknown)
        );
        assert_eq!(
            encode(&Value::Unknown, &Type::String),
            Ok(vec![0xd4, 0x00, 0x00])
        );
    }

    #[test]
    fn numbers_in_every_form() {
        assert_eq!(
            decode(&[0x05], &Type::Number),
            Ok(Value::Number(Number::Int(5)))
        );
        assert_eq!(
            decode(&[0xd0, 0xfb], &Type::Number),
            Ok(Value::Number(Number::Int(-5)))
        );
        let f = [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            decode(&f, &Type::Number),
            Ok(Value::Number(Number::Float(1.5)))
        );
        let s = encode(&Value::string("12345678901234567890123"), &Type::String).unwrap();
        assert_eq!(
            decode(&s, &Type::Number),
            Ok(Value::Number(Number::Big("12345678901234567890123".into())))
        );
        let s = encode(&Value::string("0.1"), &Type::String).unwrap();
        assert_eq!(
            decode(&s, &Type::Number),
            Ok(Value::Number(Number::Float(0.1)))
        );
        let s = encode(&Value::string("abc"), &Type::String).unwrap();
        assert!(decode(&s, &Type::Number).is_err());
    }

    #[test]
    fn objects_have_exactly_the_schema_attributes() {
        let mut m = BTreeMap::new();
        m.insert("name".to_string(), Value::string("deploy"));
        let bytes = encode(&Value::Object(m), &obj()).unwrap();
        let back = decode(&bytes, &obj()).unwrap();
        assert_eq!(back.attr("name"), Some(&Value::string("deploy")));
        assert_eq!(back.attr("audiences"), Some(&Value::Null));
        let mut extra = BTreeMap::new();
        extra.insert("bogus".to_string(), Value::Null);
        let err = encode(&Value::Object(extra), &obj()).unwrap_err();
        assert!(err.message.contains("bogus"));
    }

    #[test]
    fn decode_errors_carry_the_path() {
        let mut m = BTreeMap::new();
        m.insert(
            "audiences".to_string(),
            Value::List(vec![Value::string("a"), Value::string("b")]),
        );
        let ty_bad = Type::object([
            ("name", Type::String),
            ("audiences", Type::list(Type::Bool)),
            ("n", Type::Number),
        ]);
        let bytes = encode(&Value::Object(m), &obj()).unwrap();
        let err = decode(&bytes, &ty_bad).unwrap_err();
        assert_eq!(err.path, ".audiences[0]");
    }

    #[test]
    fn dynamic_values() {
        let v = Value::Dynamic(
            Type::list(Type::String),
            Box::new(Value::List(vec![Value::string("x")])),
        );
        let bytes = encode(&v, &Type::Dynamic).unwrap();
        assert_eq!(decode(&bytes, &Type::Dynamic), Ok(v));
        // The type may also arrive as a msgpack string.
        let mut raw = Vec::new();
        rmpv::encode::write_value(
            &mut raw,
            &Mp::Array(vec![Mp::from("\"string\""), Mp::from("hi")]),
        )
        .unwrap();
        assert_eq!(
            decode(&raw, &Type::Dynamic),
            Ok(Value::Dynamic(Type::String, Box::new(Value::string("hi"))))
        );
        assert_eq!(decode(&[0xc0], &Type::Dynamic), Ok(Value::Null));
    }

    /// A dynamic attribute whose value arrives with a type the codec does not know fails
    /// with that type's name and the attribute's path.
    #[test]
    fn a_dynamic_attribute_of_an_unknown_type_is_refused_where_it_is() {
        let mut raw = Vec::new();
        rmpv::encode::write_value(
            &mut raw,
            &Mp::Map(vec![(
                Mp::from("d"),
                Mp::Array(vec![Mp::Binary(b"\"capsule\"".to_vec()), Mp::from("x")]),
            )]),
        )
        .unwrap();
        let ty = Type::object([("d", Type::Dynamic)]);
        let err = decode(&raw, &ty).unwrap_err();
        assert_eq!(err.path, ".d");
        assert_eq!(err.message, "unknown primitive type \"capsule\"");
    }

    /// Nesting past the wire reader's limit is refused while reading, before any value is
    /// built; nesting within it decodes.
    #[test]
    fn deep_nesting_is_refused() {
        let nested = |levels: usize| {
            let mut bytes = vec![0x91; levels];
            bytes.push(0xc0);
            let mut ty = Type::String;
            for _ in 0..levels {
                ty = Type::list(ty);
            }
            decode(&bytes, &ty)
        };
        assert_eq!(
            nested(500).map_err(|e| e.message),
            Err("invalid msgpack: depth limit exceeded".into())
        );
        let mut inner = Value::Null;
        for _ in 0..60 {
            inner = Value::List(vec![inner]);
        }
        assert_eq!(nested(60), Ok(inner), "60 levels are fine");
    }
}
