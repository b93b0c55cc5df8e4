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
    start_with(seed(deny_admin)).await
}

async fn start_with(seed: Seed) -> (Emulator, Client, String) {
    let e = Emulator::start(EmulatorConfig {
        seed,
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

const NOTHING: &str = "0badf00d-0000-4000-8000-000000000000";

/// The ids of a collection answer, sorted.
fn ids(v: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("no collection: {v}"))
        .iter()
        .map(|o| o["id"].as_str().unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn in_filters_answer_many_values_in_one_request_up_to_graphs_limit() {
    let (_e, c, token) = start(false).await;
    let list = |values: &[&str]| {
        let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        quoted.join(",")
    };
    let by_id = format!(
        "servicePrincipals?$filter=id in ({})&$select=id,servicePrincipalType",
        list(&[DEPLOY_PRINCIPAL, SYSTEM_PRINCIPAL, NOTHING, DEPLOY_CLIENT])
    );
    let (s, v) = c.graph_get(&by_id, &token).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![DEPLOY_PRINCIPAL, SYSTEM_PRINCIPAL]);
    let first = &v["value"][0];
    assert!(
        first.get("servicePrincipalType").is_some() && first.get("displayName").is_none(),
        "$select: {first}"
    );

    let by_app_id = format!(
        "servicePrincipals?$filter=appId in ({})",
        list(&[DEPLOY_CLIENT, NOTHING])
    );
    let (s, v) = c.graph_get(&by_app_id, &token).await;
    assert_eq!((s, ids(&v)), (200, vec![DEPLOY_PRINCIPAL.to_string()]));

    // Sixteen values: Graph's limit outside advanced queries.
    let many: Vec<String> = (0..16)
        .map(|i| format!("0badf00d-0000-4000-8000-{i:012}"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (s, v) = c
        .graph_get(
            &format!("servicePrincipals?$filter=id in ({})", list(&many)),
            &token,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Max allowed: 15"),
        "{v}"
    );
    let (s, v) = c
        .graph_get(
            &format!("servicePrincipals?$filter=id in ({})", list(&many[..15])),
            &token,
        )
        .await;
    assert_eq!((s, ids(&v).len()), (200, 0));

    for bad in ["displayName in ('x')", "id in 'x'", "id in ('x'"] {
        let (s, v) = c
            .graph_get(&format!("servicePrincipals?$filter={bad}"), &token)
            .await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (400, Some("Request_UnsupportedQuery")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn managed_identities_are_listed_in_pages() {
    let (e, c, token) = start(false).await;
    let mut path = "servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'&$select=id,appId&$top=2".to_string();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (s, v) = c.graph_get(&path, &token).await;
        assert_eq!(s, 200, "{v}");
        seen.extend(ids(&v));
        match v["@odata.nextLink"].as_str() {
            Some(next) => {
                let rest = next
                    .strip_prefix(&format!("{}/v1.0/", e.url))
                    .unwrap_or_else(|| panic!("{next}"));
                assert!(
                    rest.contains("%24top=2") || rest.contains("$top=2"),
                    "{rest}"
                );
                path = rest.to_string();
            }
            None => break,
        }
    }
    seen.sort();
    // The seed's two user-assigned identities and the system-assigned one; no application.
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.contains(&DEPLOY_PRINCIPAL.to_string())
            && seen.contains(&SYSTEM_PRINCIPAL.to_string())
    );
    let (s, v) = c.graph_get("servicePrincipals?$top=1000", &token).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("Request_UnsupportedQuery"))
    );
}

#[tokio::test]
async fn get_by_ids_answers_like_graph_for_each_permission() {
    let body = serde_json::json!({
        "ids": [DEPLOY_PRINCIPAL, SYSTEM_PRINCIPAL, NOTHING, DEPLOY_CLIENT],
        "types": ["servicePrincipal"],
    });
    let post = async |c: &Client, token: &str, body: serde_json::Value| {
        let (s, _, v) = c
            .graph(
                reqwest::Method::POST,
                "directoryObjects/getByIds",
                token,
                Some(body),
            )
            .await;
        (s, v)
    };
    // Directory.Read.All: whole objects; unknown ids and client ids are left out.
    let mut directory = seed(false);
    directory.tenants[0].applications[0]
        .graph_permissions
        .push("Directory.Read.All".into());
    let (_e, c, token) = start_with(directory).await;
    let (s, v) = post(&c, &token, body.clone()).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(ids(&v), vec![DEPLOY_PRINCIPAL, SYSTEM_PRINCIPAL]);
    assert!(v["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#directoryObjects"));
    for o in v["value"].as_array().unwrap() {
        assert_eq!(o["@odata.type"], "#microsoft.graph.servicePrincipal");
        assert_eq!(o["servicePrincipalType"], "ManagedIdentity");
    }
    let apps =
        serde_json::json!({"ids": [WORKLOAD_OBJECT, DEPLOY_PRINCIPAL], "types": ["application"]});
    let (s, v) = post(&c, &token, apps).await;
    assert_eq!((s, ids(&v)), (200, vec![WORKLOAD_OBJECT.to_string()]));

    // Application.ReadWrite.All only: ids and types, the rest null.
    let (_e, c, token) = start(false).await;
    let (s, v) = post(&c, &token, body.clone()).await;
    assert_eq!((s, ids(&v).len()), (200, 2), "{v}");
    let o = &v["value"][0];
    assert!(
        o["servicePrincipalType"].is_null() && o["id"].is_string(),
        "{o}"
    );

    let too_many: Vec<String> = (0..1001)
        .map(|i| format!("0badf00d-0000-4000-8000-{i:012}"))
        .collect();
    let (s, v) = post(&c, &token, serde_json::json!({"ids": too_many})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (400, Some("Request_BadRequest"))
    );
    let (s, _) = post(&c, &token, serde_json::json!({"ids": ["nope"]})).await;
    assert_eq!(s, 400);

    let (_e, c, token) = start(true).await;
    let (s, v) = post(&c, &token, body).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
}

#[test]
fn seed_fields_are_optional_and_round_trip() {
    let s = seed(true);
    let again = Seed::parse(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(again, s);
    let text = serde_json::to_string(&Seed::default_seed()).unwrap();
    assert!(!text.contains("system_assigned") && !text.contains("deny_service_principal_read"));
}
