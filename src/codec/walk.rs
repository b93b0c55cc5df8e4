//! The type-directed walk both wire encodings share.
//!
//! cty values carry no type on the wire (except at `dynamic` positions), so decoding
//! follows the expected [`Type`] down a parsed document, and encoding follows it down a
//! [`Value`]. The walk is written once here; an encoding only says how its documents
//! look ([`WireNode`] to read one, [`WireOut`] to build one).

use std::collections::BTreeMap;

use super::value::Number;
use super::{CodecError, Type, Value};

/// Deeper values are refused rather than risking the stack on hostile input.
pub const MAX_DEPTH: usize = 64;

/// A node of a parsed document in one encoding, as the decoder reads it.
pub(crate) trait WireNode: Sized {
    /// The encoding's name in error messages, e.g. `msgpack`.
    const ENCODING: &'static str;
    /// What a cty map is written as in this encoding, for error messages.
    const MAP_SHAPE: &'static str;
    /// Whether an object may hold attributes its type lacks, which are then dropped.
    /// Stored state written by an older schema may; Terraform's own messages never do.
    const LENIENT_OBJECTS: bool;

    /// The node's kind as the encoding names it, e.g. `array`.
    fn kind(&self) -> &'static str;
    fn is_null(&self) -> bool;
    fn is_unknown(&self) -> bool;
    /// `None` when the node is not a string; an error when it is one but unreadable.
    fn string(&self) -> Option<Result<&str, CodecError>>;
    fn bool(&self) -> Option<bool>;
    fn number(&self) -> Option<Number>;
    fn array(&self) -> Option<&[Self]>;
    /// A map's entries; `None` as key when a key is not a string.
    fn entries(&self) -> Option<impl Iterator<Item = (Option<&str>, &Self)>>;
    /// A `dynamic` position: the concrete type sent with the value, and the value.
    fn dynamic(&self) -> Result<(Type, &Self), CodecError>;

    /// "expected a bool, got msgpack string".
    fn mismatch(&self, expected: &str) -> CodecError {
        CodecError::new(format!(
            "expected {expected}, got {} {}",
            Self::ENCODING,
            self.kind()
        ))
    }
}

/// A document in one encoding, as the encoder builds it.
pub(crate) trait WireOut: Sized {
    fn null() -> Self;
    /// Not every encoding can say "unknown" (JSON cannot).
    fn unknown() -> Result<Self, CodecError>;
    fn string(s: &str) -> Self;
    fn bool(b: bool) -> Self;
    fn number(n: &Number) -> Result<Self, CodecError>;
    fn array(items: Vec<Self>) -> Self;
    /// A map or an object, keys in order.
    fn map(entries: Vec<(String, Self)>) -> Self;
    /// A value at a `dynamic` position, with its concrete type.
    fn dynamic(ty: &Type, value: Self) -> Self;
}

fn depth_check(depth: usize) -> Result<(), CodecError> {
    if depth > MAX_DEPTH {
        return Err(CodecError::new(format!(
            "value nested deeper than {MAX_DEPTH} levels"
        )));
    }
    Ok(())
}

/// Decodes `node` as a value of type `ty`.
pub(crate) fn decode<N: WireNode>(node: &N, ty: &Type, depth: usize) -> Result<Value, CodecError> {
    depth_check(depth)?;
    if node.is_null() {
        return Ok(Value::Null);
    }
    if node.is_unknown() {
        return Ok(Value::Unknown);
    }
    let elements = |types: &mut dyn Iterator<Item = &Type>| -> Result<Vec<Value>, CodecError> {
        let items = node.array().ok_or_else(|| node.mismatch("an array"))?;
        items
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (v, t))| decode(v, t, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
            .collect()
    };
    match ty {
        Type::String => match node.string() {
            Some(s) => Ok(Value::string(s?)),
            None => Err(node.mismatch("a string")),
        },
        Type::Bool => node
            .bool()
            .map(Value::Bool)
            .ok_or_else(|| node.mismatch("a bool")),
        Type::Number => node
            .number()
            .map(Value::Number)
            .ok_or_else(|| node.mismatch("a number")),
        Type::List(elem) => Ok(Value::List(elements(&mut std::iter::repeat(&**elem))?)),
        Type::Set(elem) => Ok(Value::Set(elements(&mut std::iter::repeat(&**elem))?)),
        Type::Tuple(types) => {
            let len = node.array().map(<[N]>::len);
            if let Some(len) = len.filter(|n| *n != types.len()) {
                return Err(CodecError::new(format!(
                    "tuple of {} elements expected, got {len}",
                    types.len(),
                )));
            }
            Ok(Value::Tuple(elements(&mut types.iter())?))
        }
        Type::Map(elem) => {
            let entries = node.entries().ok_or_else(|| node.mismatch(N::MAP_SHAPE))?;
            let mut out = BTreeMap::new();
            for (key, v) in entries {
                let key = key.ok_or_else(|| CodecError::new("map key is not a string"))?;
                let value = decode(v, elem, depth + 1).map_err(|e| e.at(format!("[{key:?}]")))?;
                out.insert(key.to_string(), value);
            }
            Ok(Value::Map(out))
        }
        Type::Object(attrs) => {
            let entries = node.entries().ok_or_else(|| node.mismatch("an object"))?;
            let mut out: BTreeMap<String, Value> =
                attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
            for (key, v) in entries {
                let key = key.ok_or_else(|| CodecError::new("attribute name is not a string"))?;
                let Some(attr_ty) = attrs.get(key) else {
                    if N::LENIENT_OBJECTS {
                        continue;
                    }
                    return Err(CodecError::new(format!("unexpected attribute {key:?}")));
                };
                let value = decode(v, attr_ty, depth + 1).map_err(|e| e.at(format!(".{key}")))?;
                out.insert(key.to_string(), value);
            }
            Ok(Value::Object(out))
        }
        Type::Dynamic => {
            let (concrete, value) = node.dynamic()?;
            let value = decode(value, &concrete, depth + 1)?;
            Ok(Value::Dynamic(concrete, Box::new(value)))
        }
    }
}

/// Encodes `value` as type `ty`; objects get exactly the type's attributes.
pub(crate) fn encode<W: WireOut>(value: &Value, ty: &Type, depth: usize) -> Result<W, CodecError> {
    depth_check(depth)?;
    match value {
        Value::Null => return Ok(W::null()),
        Value::Unknown => return W::unknown(),
        _ => {}
    }
    let elements = |items: &[Value], types: &mut dyn Iterator<Item = &Type>| {
        items
            .iter()
            .zip(types)
            .enumerate()
            .map(|(i, (v, t))| encode(v, t, depth + 1).map_err(|e| e.at(format!("[{i}]"))))
            .collect::<Result<Vec<W>, _>>()
            .map(W::array)
    };
    match (ty, value) {
        (Type::String, Value::String(s)) => Ok(W::string(s)),
        (Type::Bool, Value::Bool(b)) => Ok(W::bool(*b)),
        (Type::Number, Value::Number(n)) => W::number(n),
        (Type::List(elem), Value::List(items)) | (Type::Set(elem), Value::Set(items)) => {
            elements(items, &mut std::iter::repeat(&**elem))
        }
        (Type::Tuple(types), Value::Tuple(items)) if types.len() == items.len() => {
            elements(items, &mut types.iter())
        }
        (Type::Map(elem), Value::Map(entries)) => entries
            .iter()
            .map(|(k, v)| {
                let v = encode(v, elem, depth + 1).map_err(|e| e.at(format!("[{k:?}]")))?;
                Ok((k.clone(), v))
            })
            .collect::<Result<Vec<_>, CodecError>>()
            .map(W::map),
        (Type::Object(attrs), Value::Object(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attrs.contains_key(*k)) {
                return Err(CodecError::new(format!(
                    "attribute {extra:?} is not in the schema"
                )));
            }
            attrs
                .iter()
                .map(|(k, t)| {
                    let v = entries.get(k).unwrap_or(&Value::Null);
                    let v = encode(v, t, depth + 1).map_err(|e| e.at(format!(".{k}")))?;
                    Ok((k.clone(), v))
                })
                .collect::<Result<Vec<_>, CodecError>>()
                .map(W::map)
        }
        (Type::Dynamic, Value::Dynamic(concrete, inner)) => {
            Ok(W::dynamic(concrete, encode(inner, concrete, depth + 1)?))
        }
        _ => Err(CodecError::new(format!(
            "cannot encode {} as {}",
            value_kind(value),
            ty.to_json()
        ))),
    }
}

fn value_kind(v: &Value) -> &'static str {
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
