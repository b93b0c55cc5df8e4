//! cty's JSON encoding: stored state (`RawState.json`) and the `DynamicValue.json` fallback.
//!
//! Decoding is lenient about objects on purpose: state written by an older provider
//! version may hold attributes the schema no longer has (dropped) or lack new ones
//! (null), and upgrading it must not fail for that.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::msgpack::{parse_number, value_kind, MAX_DEPTH};
use super::value::Number;
use super::{CodecError, Type, Value};

/// Decodes JSON `bytes` as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| CodecError::new(format!("invalid JSON: {e}")))?;
    from_json(&json, ty, 0)
}

/// Encodes `value` as JSON of type `ty`. Unknown values cannot be encoded in JSON.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let json = to_json(value, ty, 0)?;
    serde_json::to_vec(&json).map_err(|e| CodecError::new(format!("JSON write failed: {e}")))
}

fn depth_check(depth: usize) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new(format!(
            "value nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

pub fn from_json(json: &Json, ty: &Type, depth: usize) -> Result<Value, CodecError> {
    depth_check(depth)?;
    if json.is_null() {
        return Ok(Value::Null);
    }
    let mismatch =
        |what: &str| CodecError::new(format!("expected {what}, got JSON {}", json_kind(json)));
    match ty {
        Type::String => json
            .as_str()
            .map(Value::string)
            .ok_or_else(|| mismatch("a string")),
        Type::Bool => json
            .as_bool()
            .map(Value::Bool)
            .ok_or_else(|| mismatch("a bool")),
        Type::Number => match json {
            Json::Number(n) => Ok(Value::Number(if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(u) = n.as_u64() {
                Number::Big(u.to_string())
            } else {
                Number::Float(n.as_f64().ok_or_else(|| mismatch("a number"))?)
            })),
            // cty accepts numbers written as strings in JSON too.
            Json::String(s) => parse_number(s)
                .map(Value::Number)
                .ok_or_else(|| mismatch("a number")),
            _ => Err(mismatch("a number")),
        },
        Type::List(elem) | Type::Set(elem) => {
            let items = json.as_array().ok_or_else(|| mismatch("an array"))?;
            let values = items
                .iter()
                .enumerate()
                .map(|(i, v)| from_json(v, elem, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if matches!(ty, Type::List(_)) {
                Value::List(values)
            } else {
                Value::Set(values)
            })
        }
        Type::Tuple(types) => {
            let items = json.as_array().ok_or_else(|| mismatch("an array"))?;
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
                .map(|(i, (v, t))| from_json(v, t, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::Tuple(values))
        }
        Type::Map(elem) => {
            let entries = json.as_object().ok_or_else(|| mismatch("an object"))?;
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                out.insert(
                    k.clone(),
                    from_json(v, elem, depth + 1).map_err(|e| e.at(format!("[{k:?}]")))?,
                );
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let entries = json.as_object().ok_or_else(|| mismatch("an object"))?;
            let mut out = BTreeMap::new();
            for (name, attr_ty) in attrs {
                let v = match entries.get(name) {
                    Some(v) => {
                        from_json(v, attr_ty, depth + 1).map_err(|e| e.at(format!(".{name}")))?
                    }
                    None => Value::Null,
                };
                out.insert(name.clone(), v);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let entries = json
                .as_object()
                .ok_or_else(|| mismatch("{\"value\", \"type\"} for a dynamic value"))?;
            let type_json = entries
                .get("type")
                .ok_or_else(|| CodecError::new("a dynamic value needs \"type\""))?;
            let concrete = Type::from_json(type_json)?;
            let value = from_json(
                entries.get("value").unwrap_or(&Json::Null),
                &concrete,
                depth + 1,
            )?;
            Ok(Value::Dynamic(concrete, Box::new(value)))
        }
    }
}

fn to_json(value: &Value, ty: &Type, depth: usize) -> Result<Json, CodecError> {
    depth_check(depth)?;
    match value {
        Value::Null => return Ok(Json::Null),
        Value::Unknown => return Err(CodecError::new("unknown values cannot be written as JSON")),
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
        (Type::String, Value::String(s)) => Ok(Json::String(s.clone())),
        (Type::Bool, Value::Bool(b)) => Ok(Json::Bool(*b)),
        (Type::Number, Value::Number(n)) => match n {
            Number::Int(i) => Ok(Json::from(*i)),
            Number::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .ok_or_else(|| CodecError::new("a number is not finite")),
            Number::Big(s) => serde_json::from_str::<serde_json::Number>(s)
                .map(Json::Number)
                .or_else(|_| Ok(Json::String(s.clone()))),
        },
        (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
            Ok(Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| to_json(v, elem, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                    .collect::<Result<_, _>>()?,
            ))
        }
        (Type::Tuple(types), Value::Tuple(items)) if types.len() == items.len() => Ok(Json::Array(
            items
                .iter()
                .zip(types)
                .enumerate()
                .map(|(i, (v, t))| to_json(v, t, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
                .collect::<Result<_, _>>()?,
        )),
        (Type::Map(elem), Value::Map(entries)) => Ok(Json::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        to_json(v, elem, depth + 1).map_err(|e| e.at(format!("[{k:?}]")))?,
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
            Ok(Json::Object(
                attrs
                    .iter()
                    .map(|(k, t)| {
                        let v = entries.get(k).unwrap_or(&Value::Null);
                        Ok((
                            k.clone(),
                            to_json(v, t, depth + 1).map_err(|e| e.at(format!(".{k}")))?,
                        ))
                    })
                    .collect::<Result<_, CodecError>>()?,
            ))
        }
        (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
            let mut m = serde_json::Map::new();
            m.insert("value".into(), to_json(inner, concrete, depth + 1)?);
            m.insert("type".into(), concrete.to_json());
            Ok(Json::Object(m))
        }
        _ => Err(mismatch()),
    }
}

fn json_kind(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_objects_for_state_upgrades() {
        let ty = Type::object([("name", Type::String), ("description", Type::String)]);
        let v = decode(br#"{"name":"deploy","removed_attr":1}"#, &ty).unwrap();
        assert_eq!(v.attr("name"), Some(&Value::string("deploy")));
        assert_eq!(v.attr("description"), Some(&Value::Null));
        assert!(v.attr("removed_attr").is_none());
    }

    #[test]
    fn round_trip_and_unknown_refused() {
        let ty = Type::object([("a", Type::list(Type::Number)), ("d", Type::Dynamic)]);
        let mut m = BTreeMap::new();
        m.insert(
            "a".to_string(),
            Value::List(vec![
                Value::Number(Number::Int(1)),
                Value::Number(Number::Float(2.5)),
            ]),
        );
        m.insert(
            "d".to_string(),
            Value::Dynamic(Type::Bool, Box::new(Value::Bool(true))),
        );
        let v = Value::Object(m);
        assert_eq!(decode(&encode(&v, &ty).unwrap(), &ty), Ok(v));
        assert!(encode(&Value::Unknown, &Type::String).is_err());
    }
}
