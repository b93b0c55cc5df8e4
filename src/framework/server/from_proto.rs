//! From tfplugin5 messages to values: the decoding half of the protocol, apart from what
//! the RPCs mean.

use crate::codec::{self, Type, Value};
use crate::framework::diag::Diagnostics;
use crate::proto::tfplugin5 as pb;

/// Decodes a `DynamicValue`: msgpack normally, JSON when that is what was sent. An absent
/// value is null.
pub(super) fn value(
    dv: Option<&pb::DynamicValue>,
    ty: &Type,
    what: &str,
) -> Result<Value, Diagnostics> {
    let Some(dv) = dv else { return Ok(Value::Null) };
    let result = if !dv.msgpack.is_empty() {
        codec::msgpack::decode(&dv.msgpack, ty)
    } else if !dv.json.is_empty() {
        codec::json::decode(&dv.json, ty)
    } else {
        Ok(Value::Null)
    };
    result.map_err(|e| {
        Diagnostics::from_error(
            format!("Invalid {what} received from Terraform"),
            e.to_string(),
        )
    })
}

/// Decodes several values of one type at once, each named for its error: the prior,
/// planned or proposed state and the configuration a plan or apply receives.
pub(super) fn values<const N: usize>(
    ty: &Type,
    named: [(&Option<pb::DynamicValue>, &str); N],
) -> Result<[Value; N], Diagnostics> {
    let mut out = [const { Value::Null }; N];
    for (slot, (dv, what)) in out.iter_mut().zip(named) {
        *slot = value(dv.as_ref(), ty, what)?;
    }
    Ok(out)
}

/// Decodes stored state (`RawState`), which is JSON written by some earlier version of the
/// provider. Terraform 0.11's flatmap format is refused with what to do instead.
pub(super) fn raw_state(raw: Option<pb::RawState>, ty: &Type) -> Result<Value, Diagnostics> {
    let raw = raw.unwrap_or_default();
    if raw.json.is_empty() && !raw.flatmap.is_empty() {
        return Err(Diagnostics::from_error(
            "Legacy state format",
            "This state was written in Terraform 0.11's flatmap format, which this provider cannot read. Remove it from state and import the object again.",
        ));
    }
    if raw.json.is_empty() {
        return Ok(Value::Null);
    }
    codec::json::decode(&raw.json, ty).map_err(|e| {
        Diagnostics::from_error("Stored state does not match the schema", e.to_string())
    })
}

/// Decodes a resource identity; `None` when Terraform sent none or the type has none.
pub(super) fn identity(
    data: Option<&pb::ResourceIdentityData>,
    ty: Option<&Type>,
    what: &str,
) -> Result<Option<Value>, Diagnostics> {
    let (Some(dv), Some(ty)) = (data.and_then(|d| d.identity_data.as_ref()), ty) else {
        return Ok(None);
    };
    let v = value(Some(dv), ty, what)?;
    Ok((!v.is_null()).then_some(v))
}
