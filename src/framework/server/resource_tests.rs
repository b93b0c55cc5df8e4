//! Tests of the managed resource RPCs.

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
        detail.contains("other_thing") && detail.contains("registry.terraform.io/example/other"),
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
async fn identities_are_declared_and_upgraded_by_version() {
    let server = Server::new(P);
    let schemas = server
        .get_resource_identity_schemas(Request::new(Default::default()))
        .await
        .unwrap()
        .into_inner();
    let slow = &schemas.identity_schemas["test_slow"];
    assert_eq!(slow.version, 1);
    assert_eq!(slow.identity_attributes[0].name, "id");
    assert!(slow.identity_attributes[0].required_for_import);

    let upgrade = |version: i64| pb::upgrade_resource_identity::Request {
        type_name: "test_slow".into(),
        version,
        raw_identity: Some(pb::RawState {
            json: br#"{"id":"x"}"#.to_vec(),
            ..Default::default()
        }),
    };
    let ok = server
        .upgrade_resource_identity(Request::new(upgrade(1)))
        .await
        .unwrap()
        .into_inner();
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let ty = Type::object([("id", Type::String)]);
    let data = ok.upgraded_identity.and_then(|i| i.identity_data).unwrap();
    let decoded = crate::codec::msgpack::decode(&data.msgpack, &ty).unwrap();
    assert_eq!(decoded.attr("id"), Some(&Value::string("x")));
    let newer = server
        .upgrade_resource_identity(Request::new(upgrade(2)))
        .await
        .unwrap()
        .into_inner();
    assert!(newer.upgraded_identity.is_none());
    assert_eq!(
        newer.diagnostics[0].summary,
        "Resource identity from a newer provider"
    );
}

#[tokio::test]
async fn generated_configuration_leaves_computed_only_values_out() {
    let server = Server::new(P);
    let ty = Type::object([("id", Type::String)]);
    let state = Value::Object(
        [("id".to_string(), Value::string("x"))]
            .into_iter()
            .collect(),
    );
    let resp = server
        .generate_resource_config(Request::new(pb::generate_resource_config::Request {
            type_name: "test_slow".into(),
            state: dv(&state, &ty),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let config = crate::codec::msgpack::decode(&resp.config.unwrap().msgpack, &ty).unwrap();
    assert_eq!(
        config.attr("id"),
        Some(&Value::Null),
        "`id` is computed only"
    );
    let caps = server.schema_response().server_capabilities.unwrap();
    assert!(caps.generate_resource_config);
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
    let d = &resp.diagnostics[0];
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert_eq!(d.summary, "Unknown resource type");
    assert!(d.detail.contains("\"nope\""), "{}", d.detail);
    assert!(
        resp.new_state.is_none(),
        "nothing to keep for an unknown type"
    );
}
