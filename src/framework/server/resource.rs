//! The managed resource RPCs: validate, upgrade, read, plan, apply, import and move.
//!
//! A failed read, update or delete keeps the prior object in state: losing track of an
//! object that still exists is worse than showing stale values.

use super::to_proto::{self, answer};
use super::{from_proto, Server};
use crate::codec::Value;
use crate::framework::diag::Diagnostics;
use crate::framework::plan::plan_change;
use crate::framework::traits::{MoveSource, PlanRequest};
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

/// ReadResource: refreshes the state from the real object; a null new state tells
/// Terraform the object is gone.
pub(super) async fn read(
    server: &Server,
    r: pb::read_resource::Request,
) -> pb::read_resource::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let state = from_proto::value(r.current_state.as_ref(), &t.ty, "state")?;
        if state.is_null() {
            return Ok((
                to_proto::value(&Value::Null, &t.ty, "state")?,
                Diagnostics::new(),
            ));
        }
        let (new_state, diags) = t.imp.read(&state, &server.ctx()).await;
        if diags.has_errors() {
            // Keep the prior state: a failed read must not drop the object.
            return Ok((to_proto::value(&state, &t.ty, "state")?, diags));
        }
        let new_state = new_state.unwrap_or(Value::Null);
        Ok::<_, Diagnostics>((to_proto::known_value(&new_state, &t.ty, "state")?, diags))
    }
    .await;
    // Whatever happened, the private bytes stay and some state is returned.
    let (new_state, d) = result.map_or_else(|d| (r.current_state, d), |(s, d)| (Some(s), d));
    pb::read_resource::Response {
        new_state,
        diagnostics: d.to_proto(),
        private: r.private,
        ..Default::default()
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
        let state = t.imp.move_state(&source)?;
        Ok(pb::move_resource_state::Response {
            target_state: Some(to_proto::known_value(&state, &t.ty, "moved state")?),
            ..Default::default()
        })
    });
    answer(moved)
}

/// PlanResourceChange: Terraform's proposal with the planning rules applied, then the
/// resource's own `modify_plan`. A null proposal (destroy) is planned as null.
pub(super) async fn plan(
    server: &Server,
    r: pb::plan_resource_change::Request,
) -> pb::plan_resource_change::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let [prior, proposed, config] = from_proto::values(
            &t.ty,
            [
                (&r.prior_state, "prior state"),
                (&r.proposed_new_state, "proposed state"),
                (&r.config, "configuration"),
            ],
        )?;
        if proposed.is_null() {
            let diags = if prior.is_null() {
                Diagnostics::new()
            } else {
                t.imp.plan_destroy(&prior, &server.ctx()).await
            };
            return Ok(pb::plan_resource_change::Response {
                planned_state: Some(to_proto::value(&Value::Null, &t.ty, "plan")?),
                planned_private: r.prior_private.clone(),
                diagnostics: diags.to_proto(),
                ..Default::default()
            });
        }
        let prior_opt = (!prior.is_null()).then_some(&prior);
        let (planned, requires_replace) = plan_change(&t.schema, prior_opt, &proposed, &config);
        let mut req = PlanRequest {
            prior: prior_opt,
            config: &config,
            planned,
            requires_replace,
            prior_private: &r.prior_private,
            planned_private: r.prior_private.clone(),
        };
        let diags = t.imp.modify_plan(&mut req, &server.ctx()).await;
        Ok(pb::plan_resource_change::Response {
            planned_state: Some(to_proto::value(&req.planned, &t.ty, "plan")?),
            requires_replace: req.requires_replace.iter().map(|p| p.to_proto()).collect(),
            planned_private: req.planned_private,
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
        let states = [
            (&r.prior_state, "prior state"),
            (&r.planned_state, "planned state"),
        ];
        let [prior, planned] = from_proto::values(&t.ty, states)?;
        let [config] = from_proto::values(&t.ty, [(&r.config, "configuration")])?;
        let ctx = server.ctx();
        let (new_state, diags) = if planned.is_null() {
            let d = t.imp.delete(&prior, &ctx).await;
            // A failed delete keeps the object in state.
            let state = if d.has_errors() {
                Some(prior.clone())
            } else {
                None
            };
            (state, d)
        } else if prior.is_null() {
            t.imp.create(&planned, &config, &ctx).await
        } else {
            let (s, d) = t.imp.update(&prior, &planned, &config, &ctx).await;
            // A failed update keeps what we know: the prior object.
            (s.or_else(|| d.has_errors().then(|| prior.clone())), d)
        };
        let new_state = new_state.unwrap_or(Value::Null);
        if let Err(mut d) = to_proto::known(&new_state, "new state") {
            d.extend(diags);
            return Err(d);
        }
        Ok::<_, Diagnostics>((to_proto::value(&new_state, &t.ty, "new state")?, diags))
    }
    .await;
    // A state that cannot be encoded is answered with the prior one.
    let (new_state, private, d) = match result {
        Ok((state, d)) => (Some(state), r.planned_private, d),
        Err(d) => (r.prior_state, Vec::new(), d),
    };
    pb::apply_resource_change::Response {
        new_state,
        private,
        diagnostics: d.to_proto(),
        ..Default::default()
    }
}

/// ImportResourceState: the state objects an import ID stands for; Terraform reads each
/// afterwards.
pub(super) async fn import(
    server: &Server,
    r: pb::import_resource_state::Request,
) -> pb::import_resource_state::Response {
    let result = async {
        let t = server.resource(&r.type_name)?;
        let (objects, diags) = t.imp.import(&r.id, &server.ctx()).await;
        if diags.has_errors() {
            return Err(diags);
        }
        let imported = objects
            .iter()
            .map(|o| {
                Ok(pb::import_resource_state::ImportedResource {
                    type_name: r.type_name.clone(),
                    state: Some(to_proto::known_value(o, &t.ty, "imported state")?),
                    ..Default::default()
                })
            })
            .collect::<Result<Vec<_>, Diagnostics>>()?;
        Ok(pb::import_resource_state::Response {
            imported_resources: imported,
            diagnostics: diags.to_proto(),
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
