//! Entra sign-in: `/{tenant}/oauth2/v2.0/token` (client secret or JWT assertion, with
//! federated credential matching), OIDC discovery and JWKS.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::Req;
use crate::errors::aadsts;
use crate::tokens::{claim_text, now, peek, Signer};
use crate::Shared;
use terraform_provider_entra::cloud::Cloud;
use terraform_provider_entra::rules::fic::is_entra_issuer;
use terraform_provider_entra::rules::token::check_scope;

pub const GRAPH_RESOURCE: &str = "https://graph.microsoft.com";
pub const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The real public-cloud v2 issuer, whatever port the emulator listens on, so
/// configurations written for Azure work against it unchanged.
pub fn v2_issuer(tenant: &str) -> String {
    Cloud::Public.entra_issuer(tenant)
}

pub fn v1_issuer(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

pub fn handle(shared: &Shared, req: &Req) -> Response {
    let segs = req.segments();
    match segs.as_slice() {
        [tenant, "v2.0", ".well-known", "openid-configuration"] => {
            let base = &shared.base_url;
            Json(json!({
                "issuer": v2_issuer(tenant),
                "token_endpoint": format!("{base}/{tenant}/oauth2/v2.0/token"),
                "jwks_uri": format!("{base}/{tenant}/discovery/v2.0/keys"),
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "token id_token"],
                "subject_types_supported": ["pairwise"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            }))
            .into_response()
        }
        [_, "discovery", "v2.0", "keys"] => Json(Signer::jwks()).into_response(),
        [tenant, "oauth2", "v2.0", "token"] if req.method == axum::http::Method::POST => {
            token(shared, req, tenant)
        }
        _ => (StatusCode::METHOD_NOT_ALLOWED, "use POST").into_response(),
    }
}

fn bad(code: u32, error: &str, message: &str) -> Response {
    aadsts(StatusCode::BAD_REQUEST, error, code, message)
}

fn token(shared: &Shared, req: &Req, tenant: &str) -> Response {
    let form = req.form();
    let field = |k: &str| {
        form.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let state = shared.lock();
    let Some(t) = state.tenant(tenant) else {
        return bad(90002, "invalid_request", &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    };
    if field("grant_type") != Some("client_credentials") {
        return bad(
            70003,
            "unsupported_grant_type",
            "The app requested an unsupported grant type. Only client_credentials is emulated.",
        );
    }
    let client_id = field("client_id").unwrap_or("");
    // Registered here, or a multi-tenant application of another tenant provisioned here.
    let registered =
        |a: &&crate::seed::SeedApplication| a.client_id.eq_ignore_ascii_case(client_id);
    let provisioned = || {
        state
            .seed
            .tenants
            .iter()
            .flat_map(|h| h.applications.iter())
            .find(|a| {
                registered(a)
                    && a.provisioned_in
                        .iter()
                        .any(|p| p.eq_ignore_ascii_case(&t.id))
            })
    };
    let Some(app) = t.applications.iter().find(registered).or_else(provisioned) else {
        return aadsts(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!("Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant."),
        );
    };
    let scope = field("scope").unwrap_or("");
    // One `{resource}/.default` scope, by the provider's own rule.
    let resource = match scope.strip_suffix("/.default") {
        Some(r) if check_scope(scope).is_none() => r.to_string(),
        _ => return bad(70011, "invalid_scope", &format!("The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. The client credentials flow requires {{resource}}/.default.")),
    };

    match (field("client_secret"), field("client_assertion_type"), field("client_assertion")) {
        (Some(secret), _, _) => {
            if app.client_secret.as_deref() != Some(secret) {
                return aadsts(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{}'.", app.client_id),
                );
            }
        }
        (None, Some(JWT_BEARER), Some(assertion)) => {
            let certificate = jsonwebtoken::decode_header(assertion).ok().and_then(|h| h.x5t_s256);
            let checked = match certificate {
                Some(thumbprint) => check_certificate_assertion(app, &t.id, &thumbprint, assertion),
                None => check_assertion(shared, &state, &app.object_id, assertion),
            };
            if let Err(r) = checked {
                return r;
            }
        }
        _ => return aadsts(StatusCode::UNAUTHORIZED, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."),
    }

    let is_graph = resource == GRAPH_RESOURCE || resource == GRAPH_APP_ID;
    let (t, app) = (t.clone(), app.clone());
    drop(state);
    let now = now();
    // As Entra: an app-only token's oid and sub are its service principal's object id.
    let principal = app.service_principal_id();
    let claims = json!({
        "aud": if is_graph { GRAPH_RESOURCE.to_string() } else { resource.clone() },
        "iss": v1_issuer(&t.id),
        "iat": now, "nbf": now, "exp": now + 3599,
        "appid": app.client_id, "azp": app.client_id, "appidacr": "1",
        "idtyp": "app",
        "oid": principal, "sub": principal, "tid": t.id,
        "roles": if is_graph { app.graph_permissions.clone() } else { Vec::new() },
        "ver": "1.0",
        "uti": uuid::Uuid::new_v4().to_string(),
    });
    match shared.issue(&claims) {
        Ok(access_token) => Json(json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access_token})).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e).into_response(),
    }
}

/// Entra's checks of a JWT client assertion, in Entra's order.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn check_assertion(
    shared: &Shared,
    state: &crate::state::State,
    app_object_id: &str,
    assertion: &str,
) -> Result<(), Response> {
    if peek(assertion).is_none() {
        return Err(bad(
            50027,
            "invalid_request",
            "JWT token is invalid or malformed.",
        ));
    }
    let claims = shared.signer.verify_signature(assertion).map_err(|_| {
        bad(
            700027,
            "invalid_client",
            "Client assertion failed signature validation.",
        )
    })?;
    let exp = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = claims.get("nbf").and_then(Value::as_i64).unwrap_or(0);
    let now = now();
    if exp < now || nbf > now + 300 {
        return Err(bad(700024, "invalid_client", &format!("Client assertion is not within its valid time range. Current time: {now}, expiry time of assertion {exp}.")));
    }
    let (iss, sub, aud) = (
        claim_text(&claims, "iss"),
        claim_text(&claims, "sub"),
        claim_text(&claims, "aud"),
    );
    let entra_issued = is_entra_issuer(&iss);
    if entra_issued
        && !Cloud::ALL
            .iter()
            .any(|c| c.token_exchange_audience() == aud)
    {
        return Err(bad(700222, "invalid_client", "AAD-issued tokens may not be used for federated identity flows: the token's audience is not the token exchange audience."));
    }
    if entra_issued && claims.get("idtyp").and_then(Value::as_str) != Some("app") {
        return Err(bad(700229, "invalid_client", "Forbidden token type. Only app-only tokens may be used as Federated Identity Credentials for AAD issuer."));
    }
    let creds = state.creds_of(app_object_id);
    let propagated: Vec<_> = creds
        .iter()
        .filter(|c| c.created.elapsed() >= shared.fic_propagation_delay)
        .map(|c| &c.fic)
        .collect();
    let exact =
        |f: &&crate::state::Fic| f.issuer == iss && f.subject == sub && f.audiences.contains(&aud);
    if propagated.iter().any(exact) {
        return Ok(());
    }
    if creds.iter().map(|c| &c.fic).any(|f| exact(&f)) {
        return Err(bad(70021, "invalid_request", &format!("No matching federated identity record found for presented assertion. Assertion Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{aud}'.")));
    }
    let with_issuer: Vec<_> = propagated.iter().filter(|f| f.issuer == iss).collect();
    if with_issuer.is_empty() {
        return Err(bad(700211, "invalid_request", &format!("No matching federated identity record found for presented assertion issuer '{iss}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.")));
    }
    let with_subject: Vec<_> = with_issuer.iter().filter(|f| f.subject == sub).collect();
    if with_subject.is_empty() {
        return Err(bad(700213, "invalid_request", &format!("No matching federated identity record found for presented assertion subject '{sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.")));
    }
    Err(bad(700212, "invalid_request", &format!("No matching federated identity record found for presented assertion audience '{aud}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.")))
}

/// Certificate sign-in: the assertion names its certificate by SHA-256 thumbprint; it must
/// be registered on the app, sign the assertion, and claim iss = sub = the client id.
#[allow(clippy::result_large_err)] // the error is the answer, built once per request
fn check_certificate_assertion(
    app: &crate::seed::SeedApplication,
    tenant: &str,
    thumbprint: &str,
    assertion: &str,
) -> Result<(), Response> {
    use base64::Engine;
    use der::Decode;
    let not_registered = || {
        bad(700027, "invalid_client", &format!("Client assertion failed signature validation: the certificate with thumbprint {thumbprint} is not registered on application '{}'.", app.client_id))
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let cert_der = app
        .client_certificates
        .iter()
        .filter_map(|pem| pem_der(pem))
        .find(|der| {
            b64.encode(ring::digest::digest(&ring::digest::SHA256, der).as_ref()) == thumbprint
        })
        .ok_or_else(not_registered)?;
    let cert = x509_cert::Certificate::from_der(&cert_der).map_err(|_| not_registered())?;
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key_bytes = spki.subject_public_key.raw_bytes();
    let (key, alg) = match spki.algorithm.oid.to_string().as_str() {
        "1.2.840.10045.2.1" => (
            jsonwebtoken::DecodingKey::from_ec_der(key_bytes),
            jsonwebtoken::Algorithm::ES256,
        ),
        "1.2.840.113549.1.1.1" => (
            jsonwebtoken::DecodingKey::from_rsa_der(key_bytes),
            jsonwebtoken::Algorithm::RS256,
        ),
        _ => return Err(not_registered()),
    };
    let mut v = jsonwebtoken::Validation::new(alg);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Map<String, Value>>(assertion, &key, &v)
        .map_err(|_| {
            bad(
                700027,
                "invalid_client",
                "Client assertion failed signature validation.",
            )
        })?
        .claims;
    let now = now();
    if claims.get("exp").and_then(Value::as_i64).unwrap_or(0) < now {
        return Err(bad(
            700024,
            "invalid_client",
            "Client assertion is not within its valid time range.",
        ));
    }
    if !claim_text(&claims, "aud").ends_with(&format!("/{tenant}/oauth2/v2.0/token")) {
        return Err(bad(
            700027,
            "invalid_client",
            "Client assertion audience must be the token endpoint.",
        ));
    }
    if claim_text(&claims, "iss") != app.client_id || claim_text(&claims, "sub") != app.client_id {
        return Err(bad(
            700027,
            "invalid_client",
            "Client assertion issuer and subject must be the client id.",
        ));
    }
    Ok(())
}

fn pem_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = pem.find("-----BEGIN CERTIFICATE-----")?;
    let body: String = pem[start..]
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}

/// An identity's token for `resource` (IMDS and App Service share it).
pub fn identity_token(
    shared: &Shared,
    tenant: &str,
    mi: &crate::seed::SeedIdentity,
    resource: &str,
) -> Result<(String, i64), String> {
    let now = now();
    let exp = now + 86399;
    let exchange = Cloud::ALL
        .iter()
        .any(|c| c.token_exchange_audience() == resource)
        || resource.starts_with("api://");
    // The identity's Graph permissions (app roles granted to its service principal).
    let is_graph = [GRAPH_RESOURCE, GRAPH_APP_ID].contains(&resource.trim_end_matches('/'));
    let roles = if is_graph {
        mi.graph_permissions.clone()
    } else {
        Vec::new()
    };
    let claims = if exchange {
        json!({
            "aud": resource, "iss": v2_issuer(tenant), "iat": now, "nbf": now, "exp": exp,
            "azp": mi.client_id, "azpacr": "2", "idtyp": "app",
            "oid": mi.principal_id, "sub": mi.principal_id, "tid": tenant,
            "ver": "2.0", "xms_mirid": mi.resource_id, "uti": uuid::Uuid::new_v4().to_string(),
        })
    } else {
        json!({
            "aud": resource, "iss": v1_issuer(tenant), "iat": now, "nbf": now, "exp": exp,
            "appid": mi.client_id, "appidacr": "2", "idtyp": "app",
            "oid": mi.principal_id, "sub": mi.principal_id, "tid": tenant, "roles": roles,
            "ver": "1.0", "xms_mirid": mi.resource_id, "uti": uuid::Uuid::new_v4().to_string(),
        })
    };
    shared.issue(&claims).map(|t| (t, exp))
}
