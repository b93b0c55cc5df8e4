//! Reading configuration values for the rules: null, unknown, or known.

use crate::codec::Value;
use crate::rules::Input;

pub fn input_str<'a>(v: &'a Value, name: &str) -> Input<&'a str> {
    match v.attr(name) {
        None | Some(Value::Null) => Input::Null,
        Some(Value::String(s)) => Input::Known(s.as_str()),
        Some(_) => Input::Unknown,
    }
}

pub fn input_list<'a>(v: &'a Value, name: &str) -> Input<Vec<Input<&'a str>>> {
    match v.attr(name) {
        None | Some(Value::Null) => Input::Null,
        Some(Value::List(items)) | Some(Value::Set(items)) => Input::Known(
            items
                .iter()
                .map(|i| match i {
                    Value::Null => Input::Null,
                    Value::String(s) => Input::Known(s.as_str()),
                    _ => Input::Unknown,
                })
                .collect(),
        ),
        Some(_) => Input::Unknown,
    }
}

/// A known, non-null string attribute.
pub fn get_str<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.attr(name).and_then(Value::as_str)
}

/// Known strings of a list attribute (unknown or null elements skipped).
pub fn get_strings(v: &Value, name: &str) -> Vec<String> {
    v.attr(name)
        .and_then(Value::elements)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
