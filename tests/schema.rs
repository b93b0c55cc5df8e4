//! `terraform providers schema -json` shows the provider's schemas (each attribute's
//! required/optional/computed/sensitive flags and types), with AutoMTLS on and off.

mod common;

use common::{Harness, SOURCE};
use serde_json::Value;

fn schema_json(h: &Harness) -> Value {
    let out = h.ok(&["providers", "schema", "-json"]);
    serde_json::from_str(&out).expect("schema JSON")
}

fn attr<'a>(block: &'a Value, name: &str) -> &'a Value {
    block
        .pointer(&format!("/block/attributes/{name}"))
        .unwrap_or_else(|| panic!("attribute {name} missing"))
}

fn flags(block: &Value, name: &str) -> (bool, bool, bool, bool) {
    let a = attr(block, name);
    let f = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
    (f("required"), f("optional"), f("computed"), f("sensitive"))
}

fn check(schemas: &Value) {
    let p = schemas
        .pointer(&format!("/provider_schemas/{}", SOURCE.replace('/', "~1")))
        .expect("our provider");
    let provider = &p["provider"];
    for name in [
        "tenant_id",
        "client_id",
        "client_id_file_path",
        "client_secret",
        "client_secret_file_path",
        "client_certificate_path",
        "client_certificate_password",
        "use_oidc",
        "oidc_token",
        "oidc_token_file_path",
        "oidc_request_url",
        "oidc_request_token",
        "use_aks_workload_identity",
        "use_msi",
        "use_msi_fic",
        "msi_client_id",
        "use_cli",
        "access_token",
        "environment",
        "authority_host",
        "graph_endpoint",
        "msi_endpoint",
    ] {
        let (req, opt, _, _) = flags(provider, name);
        assert!(!req && opt, "provider.{name} must be optional");
    }
    for s in [
        "client_secret",
        "client_certificate_password",
        "oidc_token",
        "oidc_request_token",
        "access_token",
    ] {
        assert!(flags(provider, s).3, "provider.{s} must be sensitive");
    }

    let r = &p["resource_schemas"]["entra_mi_federated_credential"];
    let want = [
        ("application_object_id", (false, true, true, false)),
        ("application_client_id", (false, true, true, false)),
        ("name", (true, false, false, false)),
        ("managed_identity_principal_id", (false, true, false, false)),
        ("subject", (false, true, true, false)),
        ("issuer", (false, true, true, false)),
        ("audiences", (false, true, true, false)),
        ("description", (false, true, false, false)),
        ("credential_id", (false, false, true, false)),
        ("id", (false, false, true, false)),
    ];
    for (name, f) in want {
        assert_eq!(flags(r, name), f, "resource attribute {name}");
    }
    assert_eq!(
        attr(r, "audiences")["type"],
        serde_json::json!(["list", "string"])
    );
    let timeouts = r
        .pointer("/block/block_types/timeouts/block/attributes")
        .expect("timeouts block");
    for op in ["create", "read", "update", "delete"] {
        assert!(timeouts.get(op).is_some(), "timeouts.{op}");
    }

    for kind in ["data_source_schemas", "ephemeral_resource_schemas"] {
        let d = &p[kind]["entra_mi_access_token"];
        assert_eq!(
            flags(d, "client_id"),
            (true, false, false, false),
            "{kind}.client_id"
        );
        assert_eq!(
            flags(d, "scopes"),
            (true, false, false, false),
            "{kind}.scopes"
        );
        for o in [
            "tenant_id",
            "managed_identity_client_id",
            "token_exchange_audience",
        ] {
            assert_eq!(flags(d, o), (false, true, false, false), "{kind}.{o}");
        }
        assert_eq!(
            flags(d, "access_token"),
            (false, false, true, true),
            "{kind}.access_token"
        );
        assert_eq!(flags(d, "expires_on"), (false, false, true, false));
        assert_eq!(flags(d, "token_type"), (false, false, true, false));
        assert_eq!(
            attr(d, "claims")["type"],
            serde_json::json!(["map", "string"])
        );
    }
}

#[test]
fn schema_with_automtls() {
    let h = Harness::new();
    h.main_tf("");
    h.init();
    check(&schema_json(&h));
}

#[test]
fn schema_without_tls() {
    let mut h = Harness::new();
    h.set_env("TF_DISABLE_PLUGIN_TLS", "1");
    h.main_tf("");
    h.init();
    check(&schema_json(&h));
}
