//! cty's JSON encoding: stored state (`RawState.json`) and the `DynamicValue.json` fallback.
//!
//! Decoding is lenient about objects on purpose: state written by an older provider
//! version may hold attributes the schema no longer has (dropped) or lack new ones
//! (null), and upgrading it must not fail for that.

use serde_json::Value as Json;

use super::value::Number;
use super::walk::{self, WireNode, WireOut};
use super::{CodecError, Type, Value};

/// Decodes JSON `bytes` as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let json: Json =
        serde_json::from_slice(bytes).map_err(|e| CodecError::new(format!("invalid JSON: {e}")))?;
    walk::decode(&json, ty, 0)
}

/// Encodes `value` as JSON of type `ty`. Unknown values cannot be encoded in JSON.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let json: Json = walk::encode(value, ty, 0)?;
    serde_json::to_vec(&json).map_err(|e| CodecError::new(format!("JSON write failed: {e}")))
}

/// What a dynamic value without `"value"` holds.
static NULL: Json = Json::Null;

impl WireNode for Json {
    const ENCODING: &'static str = "JSON";
    const MAP_SHAPE: &'static str = "an object";
    const LENIENT_OBJECTS: bool = true;

    fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    fn is_null(&self) -> bool {
        Json::is_null(self)
    }

    /// JSON has no unknown values.
    fn is_unknown(&self) -> bool {
        false
    }

    fn string(&self) -> Option<Result<&str, CodecError>> {
        self.as_str().map(Ok)
    }

    fn bool(&self) -> Option<bool> {
        self.as_bool()
    }

    fn number(&self) -> Option<Number> {
        match self {
            Json::Number(n) => Some(if let Some(i) = n.as_i64() {
                Number::Int(i)
            } else if let Some(u) = n.as_u64() {
                Number::Big(u.to_string())
            } else {
                Number::Float(n.as_f64()?)
            }),
            // cty accepts numbers written as strings in JSON too.
            Json::String(s) => Number::parse(s),
            _ => None,
        }
    }

    fn array(&self) -> Option<&[Json]> {
        self.as_array().map(Vec::as_slice)
    }

    fn entries(&self) -> Option<impl Iterator<Item = (Option<&str>, &Json)>> {
        self.as_object()
            .map(|entries| entries.iter().map(|(k, v)| (Some(k.as_str()), v)))
    }

    /// `{"value": ..., "type": ...}`; a missing value is null.
    fn dynamic(&self) -> Result<(Type, &Json), CodecError> {
        let entries = self
            .as_object()
            .ok_or_else(|| self.mismatch("{\"value\", \"type\"} for a dynamic value"))?;
        let type_json = entries
            .get("type")
            .ok_or_else(|| CodecError::new("a dynamic value needs \"type\""))?;
        let concrete = Type::from_json(type_json)?;
        Ok((concrete, entries.get("value").unwrap_or(&NULL)))
    }
}

impl WireOut for Json {
    fn null() -> Json {
        Json::Null
    }

    fn unknown() -> Result<Json, CodecError> {
        Err(CodecError::new("unknown values cannot be written as JSON"))
    }

    fn string(s: &str) -> Json {
        Json::String(s.to_string())
    }

    fn bool(b: bool) -> Json {
        Json::Bool(b)
    }

    fn number(n: &Number) -> Result<Json, CodecError> {
        match n {
            Number::Int(i) => Ok(Json::from(*i)),
            Number::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .ok_or_else(|| CodecError::new("a number is not finite")),
            Number::Big(s) => Ok(serde_json::from_str::<serde_json::Number>(s)
                .map(Json::Number)
                .unwrap_or_else(|_| Json::String(s.clone()))),
        }
    }

    fn array(items: Vec<Json>) -> Json {
        Json::Array(items)
    }

    fn map(entries: Vec<(String, Json)>) -> Json {
        Json::Object(entries.into_iter().collect())
    }

    fn dynamic(ty: &Type, value: Json) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("value".into(), value);
        m.insert("type".into(), ty.to_json());
        Json::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn lenient_objects_for_state_upgrades() {
        let ty = Type::object([("name", Type::String), ("description", Type::String)]);
        let v = decode(br#"{"name":"deploy","removed_attr":1}"#, &ty).unwrap();
        assert_eq!(v.attr("name"), Some(&Value::string("deploy")));
        assert_eq!(v.attr("description"), Some(&Value::Null));
        assert!(v.attr("removed_attr").is_none());
    }

    /// JSON's reader allows deeper nesting than the type walk (64 levels): the walk
    /// refuses it, at the level where it went too deep.
    #[test]
    fn nesting_past_the_walk_limit_is_refused_where_it_is() {
        let mut ty = Type::String;
        for _ in 0..70 {
            ty = Type::list(ty);
        }
        let text = format!("{}null{}", "[".repeat(70), "]".repeat(70));
        let err = decode(text.as_bytes(), &ty).unwrap_err();
        assert_eq!(err.message, "value nested deeper than 64 levels");
        assert_eq!(err.path, "[0]".repeat(65));
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
