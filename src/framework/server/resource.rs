//! The managed resource RPCs: validate, upgrade, read, plan, apply, import and move.
//!
//! A failed read, update or delete keeps the prior object in state: losing track of an
//! object that still exists is worse than showing stale values.

use super::to_proto::{self, answer};
use super::{from_proto, Server};
use crate::codec::Value;
use crate::framework::diag::Diagnostics;
use crate::framework::plan::plan_change;
use crate::framework::resource::{
    ApplyResponse, CreateRequest, ImportRequest, ImportTarget, MoveSource, PlanRequest,
    ReadRequest, UpdateRequest,
};
use crate::proto::tfplugin5 as pb;

/// UpgradeResourceState: stored JSON state, decoded leniently and upgraded by the
/// resource from the schema version it was written with.
pub(super) fn upgrade(
    server: &Server,
    r: pb::upgrade_resource_state::Request,
) -> pb::upgrade_resource_state::Response {
    tracing::debug!(type_name = %r.type_name, version = r.version, "UpgradeResourceState");
    answer(server.resource(&r.type_name).and_then(|t| {
        let decoded = from_proto::raw_state(r.raw_state, &t.ty)?;
        let upgraded = if decoded.is_null() {
            decoded
        } else {
            t.imp.upgrade_state(r.version, decoded)?
        };
        Ok(pb::upgrade_resource_state::Response {
            upgraded_state: Some(to_proto::value(&upgraded, &t.ty, "upgraded state")?),
            diagnostics: vec![],
        })
    }))
}

/// UpgradeResourceIdentity: a stored identity, decoded as JSON with the current identity
/// type (this provider's identities have one version so far; a stored identity of a
/// newer version than the schema's is refused).
pub(super) fn upgrade_identity(
    server: &Server,
    r: pb::upgrade_resource_identity::Request,
) -> pb::upgrade_resource_identity::Response {
    answer(server.resource(&r.type_name).and_then(|t| {
        let Some((schema, ty)) = &t.identity else {
            return Err(Diagnostics::from_error(
                "Resource identity is not supported",
                format!("{} has no resource identity.", r.type_name),
            ));
        };
        if r.version > schema.version {
            return Err(Diagnostics::from_error(
                "Resource identity from a newer provider",
                format!(
                    "The stored identity of this {} has version {}, but this provider knows version {} at most. Use the provider version that wrote it, or newer.",
                    r.type_name, r.version, schema.version
                ),
            ));
        }
        let raw = r.raw_identity.unwrap_or_default();
        let identity = crate::codec::json::decode(&raw.json, ty).map_err(|e| {
            Diagnostics::from_error("Stored identity does not match the schema", e.to_string())
        })?;
        Ok(pb::upgrade_resource_identity::Response {
            upgraded_identity: to_proto::identity(Some(&identity), Some(ty), "identity")?,
            diagnostics: vec![],
        })
    }))
}

/// ReadResource: refreshes the state from the real object; a null new state tells
/// Terraform the object is gone.
pub(super) async fn read(
    server: &Server,
    r: pb::read_resource::Request,
) -> pb::read_resource::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let id_ty = t.identity_type();
        let state = from_proto::value(r.current_state.as_ref(), &t.ty, "state")?;
        let identity = from_proto::identity(r.current_identity.as_ref(), id_ty, "identity")?;
        if state.is_null() {
            return Ok(ReadOutcome::unchanged(
                to_proto::value(&Value::Null, &t.ty, "state")?,
                Diagnostics::new(),
            ));
        }
        let req = ReadRequest {
            state: &state,
            identity: identity.as_ref(),
            private: &r.private,
        };
        let resp = t.imp.read(req, &server.ctx()).await;
        if resp.diagnostics.has_errors() {
            // Keep the prior state: a failed read must not drop the object.
            return Ok(ReadOutcome::unchanged(
                to_proto::value(&state, &t.ty, "state")?,
                resp.diagnostics,
            ));
        }
        let new_state = resp.state.unwrap_or(Value::Null);
        let identity = if new_state.is_null() {
            None
        } else {
            resp.identity.or(identity)
        };
        Ok::<_, Diagnostics>(ReadOutcome {
            state: to_proto::known_value(&new_state, &t.ty, "state")?,
            identity: to_proto::identity(identity.as_ref(), id_ty, "identity")?,
            private: resp.private,
            diagnostics: resp.diagnostics,
        })
    }
    .await;
    // Whatever happened, some state is returned, and the private bytes stay unless the
    // resource replaced them.
    match result {
        Ok(o) => pb::read_resource::Response {
            new_state: Some(o.state),
            new_identity: o.identity.or(r.current_identity),
            private: o.private.unwrap_or(r.private),
            diagnostics: o.diagnostics.to_proto(),
            ..Default::default()
        },
        Err(d) => pb::read_resource::Response {
            new_state: r.current_state,
            new_identity: r.current_identity,
            private: r.private,
            diagnostics: d.to_proto(),
            ..Default::default()
        },
    }
}

/// A read's answer before it becomes the response.
struct ReadOutcome {
    state: pb::DynamicValue,
    identity: Option<pb::ResourceIdentityData>,
    private: Option<Vec<u8>>,
    diagnostics: Diagnostics,
}

impl ReadOutcome {
    fn unchanged(state: pb::DynamicValue, diagnostics: Diagnostics) -> ReadOutcome {
        ReadOutcome {
            state,
            identity: None,
            private: None,
            diagnostics,
        }
    }
}

/// MoveResourceState: a `moved` block from another resource type or provider. The target
/// resource builds its state from the source's stored JSON (see [`Resource::move_state`]);
/// the source's private bytes stay behind.
///
/// [`Resource::move_state`]: crate::framework::Resource::move_state
pub(super) fn move_state(
    server: &Server,
    r: pb::move_resource_state::Request,
) -> pb::move_resource_state::Response {
    tracing::debug!(
        source_provider = %r.source_provider_address,
        source_type = %r.source_type_name,
        source_version = r.source_schema_version,
        target_type = %r.target_type_name,
        "MoveResourceState"
    );
    let moved = server.resource(&r.target_type_name).and_then(|t| {
        let raw = r.source_state.unwrap_or_default();
        let source = MoveSource {
            provider_address: &r.source_provider_address,
            type_name: &r.source_type_name,
            schema_version: r.source_schema_version,
            private: &r.source_private,
            state_json: &raw.json,
        };
        let moved = t.imp.move_state(&source)?;
        Ok(pb::move_resource_state::Response {
            target_state: Some(to_proto::known_value(&moved.state, &t.ty, "moved state")?),
            target_private: moved.private,
            target_identity: to_proto::identity(
                moved.identity.as_ref(),
                t.identity_type(),
                "moved identity",
            )?,
            diagnostics: vec![],
        })
    });
    answer(moved)
}

/// GenerateResourceConfig (Terraform >= 1.14): the configuration `-generate-config-out`
/// writes for a stored object. A resource without its own answer gets what Terraform
/// would derive: the state with computed-only attributes left null.
pub(super) fn generate_config(
    server: &Server,
    r: pb::generate_resource_config::Request,
) -> pb::generate_resource_config::Response {
    answer(server.resource(&r.type_name).and_then(|t| {
        let state = from_proto::value(r.state.as_ref(), &t.ty, "state")?;
        let config = match t.imp.generate_config(&state, &server.ctx()) {
            Some(config) => config,
            None => crate::framework::plan::config_from_state(&t.schema, &state),
        };
        Ok(pb::generate_resource_config::Response {
            config: Some(to_proto::value(&config, &t.ty, "generated configuration")?),
            diagnostics: vec![],
        })
    }))
}

/// PlanResourceChange: Terraform's proposal with the planning rules applied, then the
/// resource's own `modify_plan`. A null proposal (destroy) is planned as null.
pub(super) async fn plan(
    server: &Server,
    r: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let id_ty = t.identity_type();
        let [prior, proposed, config] = from_proto::values(
            &t.ty,
            [
                (&r.prior_state, "prior state"),
                (&r.proposed_new_state, "proposed state"),
                (&r.config, "configuration"),
            ],
        )?;
        let prior_identity = from_proto::identity(r.prior_identity.as_ref(), id_ty, "identity")?;
        if proposed.is_null() {
            let diags = if prior.is_null() {
                Diagnostics::new()
            } else {
                t.imp.plan_destroy(&prior, &server.ctx()).await
            };
            return Ok(pb::plan_resource_change::Response {
                planned_state: Some(to_proto::value(&Value::Null, &t.ty, "plan")?),
                planned_private: r.prior_private.clone(),
                planned_identity: r.prior_identity.clone(),
                diagnostics: diags.to_proto(),
                ..Default::default()
            });
        }
        let prior_opt = (!prior.is_null()).then_some(&prior);
        let (planned, requires_replace) = plan_change(&t.schema, prior_opt, &proposed, &config);
        let mut req = PlanRequest {
            prior: prior_opt,
            prior_identity: prior_identity.as_ref(),
            config: &config,
            planned,
            planned_identity: prior_identity.clone(),
            requires_replace,
            prior_private: &r.prior_private,
            planned_private: r.prior_private.clone(),
        };
        let diags = t.imp.modify_plan(&mut req, &server.ctx()).await;
        Ok(pb::plan_resource_change::Response {
            planned_state: Some(to_proto::value(&req.planned, &t.ty, "plan")?),
            requires_replace: req.requires_replace.iter().map(|p| p.to_proto()).collect(),
            planned_private: req.planned_private,
            planned_identity: to_proto::identity(
                req.planned_identity.as_ref(),
                id_ty,
                "planned identity",
            )?,
            diagnostics: diags.to_proto(),
            ..Default::default()
        })
    }
    .await;
    answer(result)
}

/// ApplyResourceChange: create (null prior), delete (null plan) or update, returning the
/// new state. A state returned with errors is still saved: the object exists.
pub(super) async fn apply(
    server: &Server,
    r: pb::apply_resource_change::Request,
) -> pb::apply_resource_change::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let id_ty = t.identity_type();
        let states = [
            (&r.prior_state, "prior state"),
            (&r.planned_state, "planned state"),
        ];
        let [prior, planned] = from_proto::values(&t.ty, states)?;
        let [config] = from_proto::values(&t.ty, [(&r.config, "configuration")])?;
        let planned_identity =
            from_proto::identity(r.planned_identity.as_ref(), id_ty, "planned identity")?;
        let ctx = server.ctx();
        let resp = if planned.is_null() {
            let d = t.imp.delete(&prior, &ctx).await;
            // A failed delete keeps the object in state.
            ApplyResponse {
                state: d.has_errors().then(|| prior.clone()),
                identity: None,
                diagnostics: d,
            }
        } else if prior.is_null() {
            let req = CreateRequest {
                planned: &planned,
                config: &config,
                planned_identity: planned_identity.as_ref(),
            };
            t.imp.create(req, &ctx).await
        } else {
            let req = UpdateRequest {
                prior: &prior,
                planned: &planned,
                config: &config,
                planned_identity: planned_identity.as_ref(),
            };
            let mut resp = t.imp.update(req, &ctx).await;
            // A failed update keeps what we know: the prior object.
            if resp.state.is_none() && resp.diagnostics.has_errors() {
                resp.state = Some(prior.clone());
            }
            resp
        };
        let new_state = resp.state.unwrap_or(Value::Null);
        if let Err(mut d) = to_proto::known(&new_state, "new state") {
            d.extend(resp.diagnostics);
            return Err(d);
        }
        // An object that stays keeps its identity when the resource gave none.
        let identity = match (&new_state, resp.identity) {
            (Value::Null, _) => None,
            (_, Some(identity)) => Some(identity),
            (_, None) => planned_identity.filter(|i| i.is_wholly_known()),
        };
        Ok::<_, Diagnostics>((
            to_proto::value(&new_state, &t.ty, "new state")?,
            to_proto::identity(identity.as_ref(), id_ty, "new identity")?,
            resp.diagnostics,
        ))
    }
    .await;
    // A state that cannot be encoded is answered with the prior one.
    let (new_state, new_identity, private, d) = match result {
        Ok((state, identity, d)) => (Some(state), identity, r.planned_private, d),
        Err(d) => (r.prior_state, None, Vec::new(), d),
    };
    pb::apply_resource_change::Response {
        new_state,
        private,
        new_identity,
        diagnostics: d.to_proto(),
        ..Default::default()
    }
}

/// ImportResourceState: the state objects an import ID or identity stands for;
/// Terraform reads each afterwards.
pub(super) async fn import(
    server: &Server,
    r: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let id_ty = t.identity_type();
        let by_identity = from_proto::identity(r.identity.as_ref(), id_ty, "identity")?;
        let target = match &by_identity {
            Some(identity) => ImportTarget::Identity(identity),
            None => ImportTarget::Id(&r.id),
        };
        let resp = t.imp.import(ImportRequest { target }, &server.ctx()).await;
        if resp.diagnostics.has_errors() {
            return Err(resp.diagnostics);
        }
        let imported = resp
            .imported
            .iter()
            .map(|o| {
                Ok(pb::import_resource_state::ImportedResource {
                    type_name: r.type_name.clone(),
                    state: Some(to_proto::known_value(&o.state, &t.ty, "imported state")?),
                    private: o.private.clone(),
                    identity: to_proto::identity(o.identity.as_ref(), id_ty, "imported identity")?,
                })
            })
            .collect::<Result<Vec<_>, Diagnostics>>()?;
        Ok(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: resp.diagnostics.to_proto(),
            deferred: None,
        })
    }
    .await;
    answer(result)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use tonic::Request;

    use super::super::test_provider::{dv, P};
    use super::*;
    use crate::codec::Type;
    use crate::proto::tfplugin5::provider_server::Provider as _;

    #[tokio::test]
    async fn stop_cancels_in_flight_applies() {
        let server = Arc::new(Server::new(P));
        let ty = Type::object([("id", Type::String)]);
        let planned = Value::Object([("id".to_string(), Value::Unknown)].into_iter().collect());
        let s2 = server.clone();
        let (t1, t2) = (ty.clone(), ty.clone());
        let apply = tokio::spawn(async move {
            s2.apply_resource_change(Request::new(pb::apply_resource_change::Request {
                type_name: "test_slow".into(),
                prior_state: dv(&Value::Null, &t1),
                planned_state: dv(&planned, &t1),
                config: dv(
                    &Value::Object([("id".to_string(), Value::Null)].into_iter().collect()),
                    &t2,
                ),
                ..Default::default()
            }))
            .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!apply.is_finished());
        server
            .stop(Request::new(pb::stop::Request {}))
            .await
            .unwrap();
        let resp = tokio::time::timeout(Duration::from_secs(2), apply)
            .await
            .unwrap()
            .unwrap()
            .unwrap()
            .into_inner();
        assert!(resp.diagnostics.iter().any(|d| d.summary == "cancelled"));
    }

    fn move_request(target: &str) -> pb::move_resource_state::Request {
        pb::move_resource_state::Request {
            source_provider_address: "registry.terraform.io/example/other".into(),
            source_type_name: "other_thing".into(),
            source_schema_version: 2,
            source_state: Some(pb::RawState {
                json: br#"{"id":"x"}"#.to_vec(),
                ..Default::default()
            }),
            target_type_name: target.into(),
            source_private: b"private".to_vec(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn moves_are_refused_unless_the_resource_accepts_them() {
        let server = Server::new(P);
        let caps = server.schema_response().server_capabilities.unwrap();
        assert!(caps.move_resource_state, "Terraform needs the capability");
        for (target, summary) in [
            ("test_slow", "Moving resource state is not supported"),
            ("nope", "Unknown resource type"),
        ] {
            let resp = server
                .move_resource_state(Request::new(move_request(target)))
                .await
                .unwrap()
                .into_inner();
            assert!(resp.target_state.is_none(), "{target}");
            assert_eq!(resp.diagnostics.len(), 1, "{target}");
            assert_eq!(resp.diagnostics[0].summary, summary, "{target}");
        }
        let resp = server
            .move_resource_state(Request::new(move_request("test_slow")))
            .await
            .unwrap()
            .into_inner();
        let detail = &resp.diagnostics[0].detail;
        assert!(
            detail.contains("other_thing")
                && detail.contains("registry.terraform.io/example/other"),
            "{detail}"
        );
    }

    #[test]
    fn move_sources_decode_leniently() {
        let json = br#"{"id":"x","gone":true}"#;
        let source = MoveSource {
            provider_address: "p",
            type_name: "t",
            schema_version: 0,
            private: b"",
            state_json: json,
        };
        let ty = Type::object([("id", Type::String), ("added", Type::String)]);
        let v = source.decode_state(&ty).unwrap();
        assert_eq!(v.attr("id"), Some(&Value::string("x")));
        assert_eq!(v.attr("added"), Some(&Value::Null));
        let bad = MoveSource {
            state_json: b"[1]",
            ..source
        };
        assert!(bad.decode_state(&ty).is_err());
    }

    #[tokio::test]
    async fn unknown_types_are_diagnostics_not_errors() {
        let server = Server::new(P);
        let unknown = pb::read_resource::Request {
            type_name: "nope".into(),
            ..Default::default()
        };
        let resp = server.read_resource(Request::new(unknown)).await;
        let resp = resp.unwrap().into_inner();
        assert_eq!(resp.diagnostics.len(), 1);
    }
}
