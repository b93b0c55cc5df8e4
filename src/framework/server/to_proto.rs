//! From values and provider definitions to tfplugin5 messages: the encoding half of the
//! protocol, apart from what the RPCs mean.

use time::OffsetDateTime;

use crate::codec::{self, Type, Value};
use crate::framework::diag::Diagnostics;
use crate::framework::traits::Function;
use crate::proto::tfplugin5 as pb;

/// A response that can carry diagnostics alone: what an RPC answers when it fails before
/// it has a result (every other field left empty).
pub(super) trait Answer: Default {
    /// The response's diagnostics field.
    fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic>;
}

macro_rules! answers {
    ($($rpc:ident),*) => {
        $(impl Answer for pb::$rpc::Response {
            fn diagnostics(&mut self) -> &mut Vec<pb::Diagnostic> {
                &mut self.diagnostics
            }
        })*
    };
}

answers!(
    validate_resource_type_config,
    validate_data_source_config,
    validate_ephemeral_resource_config,
    validate_list_resource_config,
    upgrade_resource_state,
    plan_resource_change,
    import_resource_state,
    move_resource_state,
    generate_resource_config,
    upgrade_resource_identity,
    read_data_source,
    open_ephemeral_resource,
    renew_ephemeral_resource,
    close_ephemeral_resource
);

/// The response for `result`: its own on success, only the diagnostics on failure.
pub(super) fn answer<R: Answer>(result: Result<R, Diagnostics>) -> R {
    result.unwrap_or_else(failed)
}

/// A response with `diagnostics` and nothing else.
pub(super) fn failed<R: Answer>(diagnostics: Diagnostics) -> R {
    let mut r = R::default();
    *r.diagnostics() = diagnostics.to_proto();
    r
}

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
/// which sources it accepts), and generating configuration (Terraform >= 1.14 asks
/// GenerateResourceConfig instead of copying every optional attribute from the state).
pub(super) fn capabilities() -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: true,
        get_provider_schema_optional: true,
        move_resource_state: true,
        generate_resource_config: true,
    }
}

/// An identity as tfplugin5 carries it; `None` for a type without identity.
pub(super) fn identity(
    identity: Option<&Value>,
    ty: Option<&Type>,
    what: &str,
) -> Result<Option<pb::ResourceIdentityData>, Diagnostics> {
    let (Some(identity), Some(ty)) = (identity, ty) else {
        return Ok(None);
    };
    Ok(Some(pb::ResourceIdentityData {
        identity_data: Some(value(identity, ty, what)?),
    }))
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
