//! The managed identity endpoints: IMDS and App Service, their selectors and errors.

mod common;

use common::*;
use entra_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

#[tokio::test]
async fn imds_and_app_service_endpoints() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let imds = format!("{}/metadata/identity/oauth2/token", e.url);
    // Missing Metadata header.
    let r = c
        .http
        .get(&imds)
        .query(&[("resource", EXCHANGE), ("client_id", DEPLOY_CLIENT)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(v["error_description"]
        .as_str()
        .unwrap()
        .contains("metadata header"));
    // Unassigned identity.
    let r = c
        .http
        .get(&imds)
        .header("Metadata", "true")
        .query(&[
            ("resource", EXCHANGE),
            ("client_id", "99999999-0000-0000-0000-000000000000"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error_description"],
        json!("Identity not found")
    );
    // Several identities and no selector.
    let r = c
        .http
        .get(&imds)
        .header("Metadata", "true")
        .query(&[("resource", EXCHANGE)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // By object id and by resource id; string types.
    for (k, v) in [("object_id", DEPLOY_PRINCIPAL), ("msi_res_id", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/quickstart/providers/Microsoft.ManagedIdentity/userAssignedIdentities/deploy")] {
        let r: Value = c.http.get(&imds).header("Metadata", "true").query(&[("resource", EXCHANGE), (k, v)]).send().await.unwrap().json().await.unwrap();
        assert!(r["expires_on"].is_string() && r["expires_in"].is_string(), "{r}");
        assert_eq!(claims(r["access_token"].as_str().unwrap())["sub"], json!(DEPLOY_PRINCIPAL));
    }
    // App Service.
    let app = format!("{}/msi/token", e.url);
    let q = [
        ("api-version", "2019-08-01"),
        ("resource", EXCHANGE),
        ("client_id", DEPLOY_CLIENT),
    ];
    assert_eq!(
        c.http.get(&app).query(&q).send().await.unwrap().status(),
        400
    );
    let r: Value = c
        .http
        .get(&app)
        .query(&q)
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .fetch_json()
        .await;
    assert!(r["expires_on"].is_string());
    assert_eq!(
        claims(r["access_token"].as_str().unwrap())["oid"],
        json!(DEPLOY_PRINCIPAL)
    );
    let by_principal: Value = c
        .http
        .get(&app)
        .query(&[
            ("api-version", "2019-08-01"),
            ("resource", EXCHANGE),
            ("principal_id", DEPLOY_PRINCIPAL),
        ])
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .fetch_json()
        .await;
    assert_eq!(by_principal["client_id"], json!(DEPLOY_CLIENT));
    // Several identities and no selector: an error, as from IMDS.
    let no_selector = [("api-version", "2019-08-01"), ("resource", EXCHANGE)];
    let request = c.http.get(&app).query(&no_selector);
    let r = request
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("several identities are assigned"),
        "{v}"
    );
}
