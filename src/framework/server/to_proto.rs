//! From values and provider definitions to tfplugin5 messages: the encoding half of the
//! protocol, apart from what the RPCs mean.

use time::OffsetDateTime;

use crate::codec::{self, Type, Value};
use crate::framework::diag::Diagnostics;
use crate::framework::traits::Function;
use crate::proto::tfplugin5 as pb;

/// Encodes a value as msgpack, the encoding Terraform reads back.
pub(super) fn value(value: &Value, ty: &Type, what: &str) -> Result<pb::DynamicValue, Diagnostics> {
    codec::msgpack::encode(value, ty)
        .map(|msgpack| pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            Diagnostics::from_error(
                format!("Provider produced an invalid {what}"),
                e.to_string(),
            )
        })
}

/// Encodes an object the provider hands back after apply, read or import: Terraform
/// rejects any unknown value in it, so a leftover unknown is reported as the provider's bug.
pub(super) fn known_value(
    value: &Value,
    ty: &Type,
    what: &str,
) -> Result<pb::DynamicValue, Diagnostics> {
    known(value, what)?;
    self::value(value, ty, what)
}

/// Checks that nothing in `value` is unknown.
pub(super) fn known(value: &Value, what: &str) -> Result<(), Diagnostics> {
    if value.is_wholly_known() {
        Ok(())
    } else {
        Err(Diagnostics::from_error(
            format!("Provider left values unknown in the {what}"),
            "This is a bug in the provider: every value must be known after apply or read.",
        ))
    }
}

/// What this server supports beyond the base protocol: planning destroys (Terraform then
/// calls PlanResourceChange with a null proposed state), skipping GetProviderSchema
/// when Terraform has the schema cached, and `moved` blocks across resource types
/// (Terraform refuses them unless the target provider says so; each resource decides
/// which sources it accepts).
pub(super) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
    }
}

/// A provider-defined function's signature.
pub(super) fn function(f: &dyn Function) -> pb::Function {
    pb::Function {
        parameters: f
            .parameters()
            .into_iter()
            .map(|(name, ty)| pb::function::Parameter {
                name: name.to_string(),
                r#type: ty.to_json_bytes(),
                ..Default::default()
            })
            .collect(),
        r#return: Some(pb::function::Return {
            r#type: f.return_type().to_json_bytes(),
        }),
        summary: f.summary().to_string(),
        ..Default::default()
    }
}

/// A point in time, e.g. when Terraform should renew an ephemeral resource.
pub(super) fn timestamp(t: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.unix_timestamp(),
        nanos: i32::try_from(t.nanosecond()).unwrap_or(0),
    }
}
