//! The one place where Terraform values become typed model fields and back.
//!
//! A model field is an [`Input`]: null, unknown (known after apply) or known. Resources
//! and data sources decode the whole object once with these helpers and work on their
//! model struct; nothing else reads attributes by name.

use std::collections::BTreeMap;

use crate::codec::Value;
use crate::rules::Input;

/// A string attribute of `object` (a missing attribute reads as null).
pub fn string_attr(object: &Value, name: &str) -> Input<String> {
    string_input(object.attr(name))
}

/// A `list(string)` attribute of `object`, element by element.
pub fn string_list_attr(object: &Value, name: &str) -> Input<Vec<Input<String>>> {
    match object.attr(name) {
        None | Some(Value::Null) => Input::Null,
        Some(Value::List(items)) | Some(Value::Set(items)) => {
            Input::Known(items.iter().map(|i| string_input(Some(i))).collect())
        }
        Some(_) => Input::Unknown,
    }
}

/// A bool attribute of `object` (a missing attribute reads as null).
pub fn bool_attr(object: &Value, name: &str) -> Input<bool> {
    match object.attr(name) {
        None | Some(Value::Null) => Input::Null,
        Some(Value::Bool(b)) => Input::Known(*b),
        Some(_) => Input::Unknown,
    }
}

fn string_input(value: Option<&Value>) -> Input<String> {
    match value {
        None | Some(Value::Null) => Input::Null,
        Some(Value::String(s)) => Input::Known(s.clone()),
        Some(_) => Input::Unknown,
    }
}

/// The Terraform value of a string field.
pub fn string_value(field: &Input<String>) -> Value {
    match field {
        Input::Null => Value::Null,
        Input::Unknown => Value::Unknown,
        Input::Known(s) => Value::string(s),
    }
}

/// The Terraform value of a `list(string)` field.
pub fn string_list_value(field: &Input<Vec<Input<String>>>) -> Value {
    match field {
        Input::Null => Value::Null,
        Input::Unknown => Value::Unknown,
        Input::Known(items) => Value::List(items.iter().map(string_value).collect()),
    }
}

/// Borrows a string field for the rules.
pub fn as_str(field: &Input<String>) -> Input<&str> {
    match field {
        Input::Null => Input::Null,
        Input::Unknown => Input::Unknown,
        Input::Known(s) => Input::Known(s.as_str()),
    }
}

/// Borrows a `list(string)` field for the rules.
pub fn as_str_list(field: &Input<Vec<Input<String>>>) -> Input<Vec<Input<&str>>> {
    match field {
        Input::Null => Input::Null,
        Input::Unknown => Input::Unknown,
        Input::Known(items) => Input::Known(items.iter().map(as_str).collect()),
    }
}

/// The known elements of a list field (unknown and null elements skipped).
pub fn known_strings(field: &Input<Vec<Input<String>>>) -> Vec<String> {
    match field {
        Input::Known(items) => items.iter().filter_map(|i| i.known().cloned()).collect(),
        _ => Vec::new(),
    }
}

/// Builds an object value from `(attribute, value)` pairs.
pub fn object<const N: usize>(attributes: [(&str, Value); N]) -> Value {
    Value::Object(
        attributes
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

/// A known string attribute of `object`, for code that maps a few attributes directly
/// (the provider block's settings).
pub fn get_str<'a>(object: &'a Value, name: &str) -> Option<&'a str> {
    object.attr(name).and_then(Value::as_str)
}
