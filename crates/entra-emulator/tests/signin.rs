//! The token endpoint: the managed identity as federated credential flow, each AADSTS
//! error of the exchange, propagation delay, OpenID discovery and the external OIDC issuer.

mod common;

use std::time::Duration;

use common::*;
use entra_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

#[tokio::test]
async fn managed_identity_as_federated_credential_flow() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    assert_eq!(
        claims(&admin)["roles"],
        json!(["Application.ReadWrite.All"])
    );
    let (s, v) = c
        .add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
        .await;
    assert_eq!(s, 201, "{v}");

    let mi = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    let mc = claims(&mi);
    assert_eq!(mc["iss"], json!(issuer()));
    assert_eq!(mc["sub"], json!(DEPLOY_PRINCIPAL));
    assert_eq!(mc["oid"], json!(DEPLOY_PRINCIPAL));
    assert_eq!(mc["aud"], json!(EXCHANGE));
    assert!(mc["xms_mirid"].as_str().unwrap().ends_with("/deploy"));

    let (s, v) = c
        .exchange(
            TENANT,
            WORKLOAD_CLIENT,
            &mi,
            "api://workload-resource/.default",
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let app = claims(v["access_token"].as_str().unwrap());
    assert_eq!(app["appid"], json!(WORKLOAD_CLIENT));
    assert_eq!(app["tid"], json!(TENANT));
    assert_eq!(app["aud"], json!("api://workload-resource"));
}

#[tokio::test]
async fn each_mismatch_has_its_own_aadsts_code() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    let mi = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    let scope = "https://graph.microsoft.com/.default";

    // No credential with the token's issuer (trailing slash).
    created(
        c.add_fic(
            &admin,
            "slash",
            &format!("{}/", issuer()),
            DEPLOY_PRINCIPAL,
            EXCHANGE,
        )
        .await,
    );
    assert_eq!(
        code_of(&c.exchange(TENANT, WORKLOAD_CLIENT, &mi, scope).await.1),
        700211
    );
    // Issuer right, subject is the client id.
    created(
        c.add_fic(&admin, "clientid", &issuer(), DEPLOY_CLIENT, EXCHANGE)
            .await,
    );
    assert_eq!(
        code_of(&c.exchange(TENANT, WORKLOAD_CLIENT, &mi, scope).await.1),
        700213
    );
    // Issuer and subject right, audience of another cloud.
    created(
        c.add_fic(
            &admin,
            "usgov",
            &issuer(),
            DEPLOY_PRINCIPAL,
            "api://AzureADTokenExchangeUSGov",
        )
        .await,
    );
    assert_eq!(
        code_of(&c.exchange(TENANT, WORKLOAD_CLIENT, &mi, scope).await.1),
        700212
    );
    // Unknown tenant, unknown app, bad scope.
    assert_eq!(
        code_of(
            &c.exchange(
                "00000000-0000-0000-0000-000000000000",
                WORKLOAD_CLIENT,
                &mi,
                scope
            )
            .await
            .1
        ),
        90002
    );
    assert_eq!(
        code_of(
            &c.exchange(TENANT, "99999999-0000-0000-0000-000000000000", &mi, scope)
                .await
                .1
        ),
        700016
    );
    assert_eq!(
        code_of(
            &c.exchange(TENANT, WORKLOAD_CLIENT, &mi, "User.Read")
                .await
                .1
        ),
        70011
    );
    // A tampered assertion, a Graph token as assertion.
    let mut tampered = mi.clone();
    tampered.pop();
    tampered.push(if mi.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(
        code_of(
            &c.exchange(TENANT, WORKLOAD_CLIENT, &tampered, scope)
                .await
                .1
        ),
        700027
    );
    let graph_mi = c
        .mi_token(DEPLOY_CLIENT, "https://graph.microsoft.com")
        .await;
    assert_eq!(
        code_of(
            &c.exchange(TENANT, WORKLOAD_CLIENT, &graph_mi, scope)
                .await
                .1
        ),
        700222
    );
    // Wrong secret.
    let (s, v) = c
        .token_form(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", ADMIN_CLIENT),
                ("client_secret", "wrong"),
                ("scope", scope),
            ],
        )
        .await;
    assert_eq!(s, 401);
    assert_eq!(code_of(&v), 7000215);
    for key in [
        "error",
        "error_description",
        "timestamp",
        "trace_id",
        "correlation_id",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    assert!(v["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS7000215:"));
}

#[tokio::test]
async fn propagation_delay_answers_70021_then_works() {
    let e = Emulator::start(EmulatorConfig {
        fic_propagation_delay: Duration::from_millis(700),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    created(
        c.add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
            .await,
    );
    let mi = c.mi_token(DEPLOY_CLIENT, EXCHANGE).await;
    assert_eq!(
        code_of(
            &c.exchange(
                TENANT,
                WORKLOAD_CLIENT,
                &mi,
                "https://graph.microsoft.com/.default"
            )
            .await
            .1
        ),
        70021
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        c.exchange(
            TENANT,
            WORKLOAD_CLIENT,
            &mi,
            "https://graph.microsoft.com/.default"
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn expired_assertion_is_700024() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let admin = c.admin_token().await;
    created(
        c.add_fic(&admin, "deploy", &issuer(), DEPLOY_PRINCIPAL, EXCHANGE)
            .await,
    );
    let signer = entra_emulator::tokens::Signer::new().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let expired = signer
        .sign(&json!({"iss": issuer(), "sub": DEPLOY_PRINCIPAL, "aud": EXCHANGE, "idtyp": "app", "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}))
        .unwrap();
    assert_eq!(
        code_of(
            &c.exchange(
                TENANT,
                WORKLOAD_CLIENT,
                &expired,
                "https://graph.microsoft.com/.default"
            )
            .await
            .1
        ),
        700024
    );
}

#[tokio::test]
async fn discovery_and_external_oidc_issuer() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let c = Client::new(&e);
    let r: Value = c
        .http
        .get(format!(
            "{}/{TENANT}/v2.0/.well-known/openid-configuration",
            e.url
        ))
        .fetch_json()
        .await;
    assert_eq!(r["issuer"], json!(issuer()));
    assert_eq!(
        r["token_endpoint"],
        json!(format!("{}/{TENANT}/oauth2/v2.0/token", e.url))
    );
    let keys: Value = c
        .http
        .get(r["jwks_uri"].as_str().unwrap())
        .fetch_json()
        .await;
    assert_eq!(keys["keys"][0]["kty"], json!("RSA"));
    let gh: Value = c
        .http
        .get(format!(
            "{}/_emulator/github/token?audience=api://AzureADTokenExchange",
            e.url
        ))
        .bearer_auth("emulator-request-token")
        .fetch_json()
        .await;
    let gh = gh["value"].as_str().unwrap();
    assert_eq!(
        claims(gh)["iss"],
        json!(format!("{}/_emulator/oidc", e.url))
    );
    // Its issuer is not trusted by the app yet.
    assert_eq!(
        code_of(
            &c.exchange(
                TENANT,
                WORKLOAD_CLIENT,
                gh,
                "https://graph.microsoft.com/.default"
            )
            .await
            .1
        ),
        700211
    );
    let unauth = c
        .http
        .get(format!("{}/_emulator/github/token", e.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unauth.status(), 401);
}
