//! cty types and their JSON form (`"string"`, `["list","string"]`, `["object",{...}]`),
//! which is what schemas carry in `Schema.Attribute.type`.

use std::collections::BTreeMap;

use super::CodecError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    String,
    Number,
    Bool,
    /// cty.DynamicPseudoType: the concrete type travels with the value.
    Dynamic,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(BTreeMap<String, Type>),
}

impl Type {
    pub fn list(t: Type) -> Type {
        Type::List(Box::new(t))
    }
    pub fn set(t: Type) -> Type {
        Type::Set(Box::new(t))
    }
    pub fn map(t: Type) -> Type {
        Type::Map(Box::new(t))
    }
    pub fn object<I, K>(attrs: I) -> Type
    where
        I: IntoIterator<Item = (K, Type)>,
        K: Into<String>,
    {
        Type::Object(attrs.into_iter().map(|(k, t)| (k.into(), t)).collect())
    }

    /// The type as cty's JSON type constraint.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as J};
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(t) => json!(["list", t.to_json()]),
            Type::Set(t) => json!(["set", t.to_json()]),
            Type::Map(t) => json!(["map", t.to_json()]),
            Type::Tuple(ts) => json!(["tuple", J::Array(ts.iter().map(Type::to_json).collect())]),
            Type::Object(attrs) => {
                let m = attrs
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect();
                json!(["object", J::Object(m)])
            }
        }
    }

    /// Compact JSON bytes, as `Schema.Attribute.type` wants them.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    pub fn from_json(v: &serde_json::Value) -> Result<Type, CodecError> {
        use serde_json::Value as J;
        match v {
            J::String(s) => match s.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                other => Err(CodecError::new(format!("unknown primitive type {other:?}"))),
            },
            J::Array(parts) => {
                let kind = parts.first().and_then(J::as_str).unwrap_or_default();
                let arg = parts
                    .get(1)
                    .ok_or_else(|| CodecError::new("type constraint without argument"))?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_json(arg)?)),
                    "tuple" => match arg {
                        J::Array(ts) => Ok(Type::Tuple(
                            ts.iter().map(Type::from_json).collect::<Result<_, _>>()?,
                        )),
                        _ => Err(CodecError::new(
                            "tuple type needs an array of element types",
                        )),
                    },
                    // A third element lists optional attributes (function parameters only);
                    // it does not change the wire shape, so it is accepted and dropped.
                    "object" => match arg {
                        J::Object(m) => {
                            let mut attrs = BTreeMap::new();
                            for (k, t) in m {
                                attrs.insert(k.clone(), Type::from_json(t)?);
                            }
                            Ok(Type::Object(attrs))
                        }
                        _ => Err(CodecError::new(
                            "object type needs a map of attribute types",
                        )),
                    },
                    other => Err(CodecError::new(format!("unknown type kind {other:?}"))),
                }
            }
            _ => Err(CodecError::new("a type constraint is a string or an array")),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A type the codec does not know is an error naming it, never a guess.
    #[test]
    fn unknown_types_are_refused_by_name() {
        let said = |j: serde_json::Value| Type::from_json(&j).map_err(|e| e.message);
        assert_eq!(
            said(json!("capsule")),
            Err("unknown primitive type \"capsule\"".into())
        );
        assert_eq!(
            said(json!(["vector", "string"])),
            Err("unknown type kind \"vector\"".into())
        );
        assert_eq!(
            said(json!(["list", "decimal"])),
            Err("unknown primitive type \"decimal\"".into())
        );
        assert_eq!(
            said(json!(["list"])),
            Err("type constraint without argument".into())
        );
        assert_eq!(
            said(json!(42)),
            Err("a type constraint is a string or an array".into())
        );
        // What is known reads back as written.
        let known =
            json!(["object", {"a": ["set", "number"], "b": ["tuple", ["bool", "dynamic"]]}]);
        let ty = Type::from_json(&known).map_err(|e| e.message);
        assert_eq!(ty.as_ref().map(Type::to_json), Ok(known));
    }
}
