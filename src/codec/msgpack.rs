//! cty's msgpack encoding: what Terraform sends in every `DynamicValue`, and what it
//! requires back.
//!
//! - nil is null; any extension value is unknown (ext 0 is the classic unknown, ext 12 a
//!   refined unknown whose refinements we do not need);
//! - numbers may arrive as ints, floats, or decimal strings (precise or big numbers);
//! - objects are maps keyed by attribute name and must carry exactly the type's attributes;
//! - a dynamic position is `[type as JSON, value]`.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::value::Number;
use super::{CodecError, Type, Value};

/// Deeper values are refused rather than risking the stack on hostile input.
pub const MAX_DEPTH: usize = 64;

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
    from_mp(&raw, ty, 0)
}

/// Encodes `value` as type `ty`; objects get exactly the type's attributes.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let mp = to_mp(value, ty, 0)?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &mp)
        .map_err(|e| CodecError::new(format!("msgpack write failed: {e}")))?;
    Ok(out)
}

fn depth_check(depth: usize) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new(format!(
            "value nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

fn from_mp(mp: &Mp, ty: &Type, depth: usize) -> Result<Value, CodecError> {
    depth_check(depth)?;
    match mp {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(_, _) => return Ok(Value::Unknown),
        _ => {}
    }
    let mismatch =
        |what: &str| CodecError::new(format!("expected {what}, got msgpack {}", kind(mp)));
    match ty {
        Type::String => match mp {
            Mp::String(s) => s
                .as_str()
                .map(Value::string)
                .ok_or_else(|| CodecError::new("string is not valid UTF-8")),
            _ => Err(mismatch("a string")),
        },
        Type::Bool => mp
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| mismatch("a bool")),
        Type::Number => number_from_mp(mp).ok_or_else(|| mismatch("a number")),
        Type::List(elem) | Type::Set(elem) => {
            let items = mp.as_array().ok_or_else(|| mismatch("an array"))?;
            let values = items
                .iter()
                .enumerate()
                .map(|(i, v)| from_mp(v, elem, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(values)
            } else {
                Value::Set(values)
            })
        }
        Type::Tuple(types) => {
            let items = mp.as_array().ok_or_else(|| mismatch("an array"))?;
            if items.len() != types.len() {
                return Err(CodecError::new(format!(
                    "tuple of {} elements expected, got {}",
                    types.len(),
                    items.len()
                )));
            }
            let values = items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| from_mp(v, t, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(values))
        }
        Type::Map(elem) => {
            let entries = mp.as_map().ok_or_else(|| mismatch("a map"))?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let key = k
                    .as_str()
                    .ok_or_else(|| CodecError::new("map key is not a string"))?;
                let value = from_mp(v, elem, depth + 1).map_err(|e| e.at(format!("[{key:?}]")))?;
                out.insert(key.to_string(), value);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let entries = mp.as_map().ok_or_else(|| mismatch("an object"))?;
            let mut out: BTreeMap<String, Value> =
                attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
            for (k, v) in entries {
                let key = k
                    .as_str()
                    .ok_or_else(|| CodecError::new("attribute name is not a string"))?;
                let attr_ty = attrs
                    .get(key)
                    .ok_or_else(|| CodecError::new(format!("unexpected attribute {key:?}")))?;
                let value = from_mp(v, attr_ty, depth + 1).map_err(|e| e.at(format!(".{key}")))?;
                out.insert(key.to_string(), value);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let pair = mp
                .as_array()
                .ok_or_else(|| mismatch("a [type, value] pair for a dynamic value"))?;
            let (type_raw, value_raw) = match pair.as_slice() {
                [t, v] => (t, v),
                _ => {
                    return Err(CodecError::new(
                        "a dynamic value must be a [type, value] pair",
                    ))
                }
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
            let value = from_mp(value_raw, &concrete, depth + 1)?;
            Ok(Value::Dynamic(concrete, Box::new(value)))
        }
    }
}

fn number_from_mp(mp: &Mp) -> Option<Value> {
    let n = match mp {
        Mp::Integer(i) => match (i.as_i64(), i.as_u64()) {
            (Some(v), _) => Number::Int(v),
            (None, Some(v)) => Number::Big(v.to_string()),
            _ => return None,
        },
        Mp::F32(f) => Number::Float(f64::from(*f)),
        Mp::F64(f) => Number::Float(*f),
        Mp::String(s) => parse_number(s.as_str()?)?,
        _ => return None,
    };
    Some(Value::Number(n))
}

/// cty sends numbers it cannot represent exactly as decimal strings.
pub(crate) fn parse_number(s: &str) -> Option<Number> {
    if let Ok(i) = s.parse::<i64>() {
        return Some(Number::Int(i));
    }
    let looks_numeric = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && s.chars().any(|c| c.is_ascii_digit());
    if !looks_numeric {
        return None;
    }
    match s.parse::<f64>() {
        Ok(f)
            if f.is_finite()
                && (f.fract() != 0.0 || s.contains(['.', 'e', 'E']))
                && f.to_string() == s =>
        {
            Some(Number::Float(f))
        }
        Ok(f) if f.is_finite() => Some(Number::Big(s.to_string())),
        _ => None,
    }
}

fn to_mp(value: &Value, ty: &Type, depth: usize) -> Result<Mp, CodecError> {
    depth_check(depth)?;
    match value {
        Value::Null => return Ok(Mp::Nil),
        // go-cty writes an unknown as fixext1 type 0 with a zero byte.
        Value::Unknown => return Ok(Mp::Ext(0, vec![0])),
        _ => {}
    }
    let mismatch = || {
        CodecError::new(format!(
            "cannot encode {} as {}",
            value_kind(value),
            ty.to_json()
        ))
    };
    match (ty, value) {
        (Type::String, Value::String(s)) => Ok(Mp::from(s.as_str())),
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::Number, Value::Number(n)) => Ok(match n {
            Number::Int(i) => Mp::from(*i),
            Number::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Mp::from(*f as i64),
            Number::Float(f) => Mp::F64(*f),
            Number::Big(s) => Mp::from(s.as_str()),
        }),
        (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
            Ok(Mp::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| to_mp(v, elem, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                    .collect::<Result<_, _>>()?,
            ))
        }
        (Type::Tuple(types), Value::Tuple(items)) if types.len() == items.len() => Ok(Mp::Array(
            items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| to_mp(v, t, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Map(elem), Value::Map(entries)) => Ok(Mp::Map(
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        Mp::from(k.as_str()),
                        to_mp(v, elem, depth + 1).map_err(|e| e.at(format!("[{k:?}]")))?,
                    ))
                })
                .collect::<Result<_, CodecError>>()?,
        )),
        (Type::Object(attrs), Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::new(format!(
                    "attribute {extra:?} is not in the schema"
                )));
            }
            Ok(Mp::Map(
                attrs
                    .iter()
                    .map(|(k, t)| {
                        let v = entries.get(k).unwrap_or(&Value::Null);
                        Ok((
                            Mp::from(k.as_str()),
                            to_mp(v, t, depth + 1).map_err(|e| e.at(format!(".{k}")))?,
                        ))
                    })
                    .collect::<Result<_, CodecError>>()?,
            ))
        }
        (Type::Dynamic, Value::Dynamic(concrete, inner)) => Ok(Mp::Array(vec![
            Mp::Binary(concrete.to_json_bytes()),
            to_mp(inner, concrete, depth + 1)?,
        ])),
        _ => Err(mismatch()),
    }
}

fn kind(mp: &Mp) -> &'static str {
    match mp {
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

pub(crate) fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Unknown => "unknown",
        Value::String(_) => "a string",
        Value::Number(_) => "a number",
        Value::Bool(_) => "a bool",
        Value::List(_) => "a list",
        Value::Set(_) => "a set",
        Value::Map(_) => "a map",
        Value::Tuple(_) => "a tuple",
        Value::Object(_) => "an object",
        Value::Dynamic(_, _) => "a dynamic value",
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn deep_nesting_is_refused() {
        let mut bytes = vec![0x91; 500];
        bytes.push(0xc0);
        let mut ty = Type::String;
        for _ in 0..500 {
            ty = Type::list(ty);
        }
        assert!(decode(&bytes, &ty).is_err());
    }
}
