//! Terraform's planning rules for managed resources, as pure functions over values.
//!
//! Terraform sends a proposed new state (configuration merged with prior computed
//! values). The provider must: plan null on destroy; mark computed attributes the
//! configuration leaves null as unknown on create; keep prior values otherwise; and list
//! the replace-forcing attributes that change.

use std::collections::BTreeMap;

use super::diag::AttrPath;
use super::schema::Schema;
use crate::codec::Value;

/// The planned state before the resource's own `modify_plan`, and the replace-forcing
/// attributes that change (none on create).
pub fn plan_change(
    schema: &Schema,
    prior: Option<&Value>,
    proposed: &Value,
    config: &Value,
) -> (Value, Vec<AttrPath>) {
    let Value::Object(proposed_attrs) = proposed else {
        return (Value::Null, Vec::new());
    };
    let mut planned: BTreeMap<String, Value> = proposed_attrs.clone();
    let creating = prior.is_none_or(Value::is_null);
    if creating {
        for a in &schema.block.attributes {
            let in_config = config.attr(a.name).is_some_and(|v| !v.is_null());
            if a.computed && !in_config {
                planned.insert(a.name.to_string(), Value::Unknown);
            }
        }
    }
    let mut replace = Vec::new();
    if let Some(prior) = prior.filter(|p| !p.is_null()) {
        for a in schema
            .block
            .attributes
            .iter()
            .filter(|a| a.requires_replace)
        {
            let before = prior.attr(a.name).unwrap_or(&Value::Null);
            let after = planned.get(a.name).unwrap_or(&Value::Null);
            let in_config = config.attr(a.name).is_some_and(|v| !v.is_null());
            // An optional+computed attribute left out of the configuration keeps its
            // prior value; only a configured change (or an unknown one) replaces.
            if (in_config || !a.computed) && !after.same_as(before) {
                replace.push(AttrPath::attr(a.name));
            }
        }
    }
    (Value::Object(planned), replace)
}

/// The configuration Terraform itself would generate from a stored object: every
/// top-level attribute the configuration may set keeps its value, computed-only ones are
/// left null. Resources that know better answer [`crate::framework::Resource::generate_config`].
pub fn config_from_state(schema: &Schema, state: &Value) -> Value {
    let Value::Object(attrs) = state else {
        return Value::Null;
    };
    let mut config = attrs.clone();
    for a in &schema.block.attributes {
        if a.computed && !a.optional && !a.required {
            config.insert(a.name.to_string(), Value::Null);
        }
    }
    Value::Object(config)
}

/// Sets an attribute of an object value; ignored on non-objects.
pub fn set_attr(value: &mut Value, name: &str, v: Value) {
    if let Value::Object(m) = value {
        m.insert(name.to_string(), v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::schema::{Attribute, Block};

    fn schema() -> Schema {
        Schema::new(
            0,
            Block::new("t")
                .attribute(Attribute::string("id").computed().describe("d"))
                .attribute(
                    Attribute::string("name")
                        .required()
                        .requires_replace()
                        .describe("d"),
                )
                .attribute(
                    Attribute::string("app")
                        .optional()
                        .computed()
                        .requires_replace()
                        .describe("d"),
                )
                .attribute(Attribute::string("description").optional().describe("d")),
        )
    }

    fn obj(pairs: &[(&str, Value)]) -> Value {
        let mut m: BTreeMap<String, Value> = ["id", "name", "app", "description"]
            .iter()
            .map(|k| (k.to_string(), Value::Null))
            .collect();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.clone());
        }
        Value::Object(m)
    }

    #[test]
    fn create_marks_unset_computed_unknown() {
        let config = obj(&[("name", Value::string("n"))]);
        let (planned, replace) = plan_change(&schema(), None, &config, &config);
        assert_eq!(planned.attr("id"), Some(&Value::Unknown));
        assert_eq!(planned.attr("app"), Some(&Value::Unknown));
        assert_eq!(planned.attr("description"), Some(&Value::Null));
        assert!(replace.is_empty());
    }

    #[test]
    fn update_keeps_prior_and_flags_replacements() {
        let prior = obj(&[
            ("id", Value::string("1")),
            ("name", Value::string("a")),
            ("app", Value::string("x")),
        ]);
        let config = obj(&[("name", Value::string("b"))]);
        let proposed = obj(&[
            ("id", Value::string("1")),
            ("name", Value::string("b")),
            ("app", Value::string("x")),
        ]);
        let (planned, replace) = plan_change(&schema(), Some(&prior), &proposed, &config);
        assert_eq!(planned.attr("id"), Some(&Value::string("1")));
        assert_eq!(replace, vec![AttrPath::attr("name")]);
    }

    #[test]
    fn destroy_plans_null() {
        let prior = obj(&[("id", Value::string("1"))]);
        assert_eq!(
            plan_change(&schema(), Some(&prior), &Value::Null, &Value::Null).0,
            Value::Null
        );
    }
}
