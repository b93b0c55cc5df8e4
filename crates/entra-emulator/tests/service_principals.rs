//! Graph's service principals of the seed: managed identities (user- and system-assigned)
//! and applications, by id, by appId and by `$filter`, with Graph's 404 and 403 shapes.

mod common;

use common::*;
use entra_emulator::seed::SeedIdentity;
use entra_emulator::{Emulator, EmulatorConfig, Seed};

const VM: &str = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/quickstart/providers/Microsoft.Compute/virtualMachines/vm1";
const SYSTEM_PRINCIPAL: &str = "b0000003-2b3c-4d5e-8f90-a1b2c3d4e5f3";

fn seed(deny_admin: bool) -> Seed {
    let mut seed = Seed::default_seed();
    let t = &mut seed.tenants[0];
    t.managed_identities.push(SeedIdentity {
        name: "vm1".into(),
        client_id: "d0000003-2b3c-4d5e-8f90-a1b2c3d4e5f3".into(),
        principal_id: SYSTEM_PRINCIPAL.into(),
        resource_id: VM.into(),
        system_assigned: true,
        ..Default::default()
    });
    t.applications[0].deny_service_principal_read = deny_admin;
    seed
}

async fn start(deny_admin: bool) -> (Emulator, Client, String) {
    let e = Emulator::start(EmulatorConfig {
        seed: seed(deny_admin),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&e);
    let token = c.admin_token().await;
    (e, c, token)
}

#[tokio::test]
async fn managed_identities_and_applications_have_graph_shapes() {
    let (_e, c, token) = start(false).await;
    let get = async |path: String| c.graph_get(&path, &token).await;
    for version in ["v1.0", "beta"] {
        let (s, v) = get(format!("../{version}/servicePrincipals/{DEPLOY_PRINCIPAL}")).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["servicePrincipalType"], "ManagedIdentity");
        assert_eq!(v["appId"], DEPLOY_CLIENT);
        assert_eq!(v["displayName"], "deploy");
        assert_eq!(v["alternativeNames"][0], "isExplicit=True");
        assert!(v["alternativeNames"][1]
            .as_str()
            .unwrap()
            .ends_with("/userAssignedIdentities/deploy"));
        assert!(v["@odata.context"]
            .as_str()
            .unwrap()
            .contains(&format!("{version}/$metadata#servicePrincipals/$entity")));
    }

    let (s, v) = get(format!("servicePrincipals/{SYSTEM_PRINCIPAL}")).await;
    assert_eq!(s, 200);
    assert_eq!(
        v["alternativeNames"],
        serde_json::json!(["isExplicit=False", VM])
    );

    let (s, v) = get(format!("servicePrincipals(appId='{DEPLOY_CLIENT}')")).await;
    assert_eq!((s, v["id"].as_str()), (200, Some(DEPLOY_PRINCIPAL)));

    let (s, v) = get(format!("servicePrincipals(appId='{WORKLOAD_CLIENT}')")).await;
    assert_eq!(s, 200);
    assert_eq!(v["servicePrincipalType"], "Application");
    assert_ne!(
        v["id"], WORKLOAD_OBJECT,
        "the service principal is its own object"
    );
    let sp_id = v["id"].as_str().unwrap().to_string();
    let (s, v) = get(format!("servicePrincipals/{sp_id}")).await;
    assert_eq!((s, v["appId"].as_str()), (200, Some(WORKLOAD_CLIENT)));

    let (s, v) = get(format!(
        "servicePrincipals?$filter=appId eq '{DEPLOY_CLIENT}'"
    ))
    .await;
    assert_eq!(s, 200);
    let list = v["value"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], DEPLOY_PRINCIPAL);
}

#[tokio::test]
async fn missing_and_denied_reads_answer_like_graph() {
    let (_e, c, token) = start(false).await;
    for path in [
        format!("servicePrincipals/{DEPLOY_CLIENT}"),
        "servicePrincipals(appId='00000000-0000-4000-8000-000000000000')".to_string(),
    ] {
        let (s, v) = c.graph_get(&path, &token).await;
        assert_eq!(s, 404, "{path}: {v}");
        assert_eq!(v["error"]["code"], "Request_ResourceNotFound");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not exist"));
        assert!(v["error"]["innerError"]["request-id"].is_string());
    }
    let (s, v) = c
        .graph_get("servicePrincipals?$filter=appId eq 'nothing'", &token)
        .await;
    assert_eq!((s, v["value"].as_array().map(Vec::len)), (200, Some(0)));

    let (_e, c, token) = start(true).await;
    let (s, v) = c
        .graph_get(&format!("servicePrincipals/{DEPLOY_PRINCIPAL}"), &token)
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
    // Only the service principal read is denied.
    let (s, _) = c
        .graph_get(
            &format!("applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials"),
            &token,
        )
        .await;
    assert_eq!(s, 200);
}

#[test]
fn seed_fields_are_optional_and_round_trip() {
    let s = seed(true);
    let again = Seed::parse(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
    let text = serde_json::to_string(&Seed::default_seed()).unwrap();
    assert!(!text.contains("system_assigned") && !text.contains("deny_service_principal_read"));
}
