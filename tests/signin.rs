//! Each sign-in method drives a full apply against the emulator; failures name the method,
//! the AADSTS code and the attribute or environment variable to check.

mod common;

use common::*;
use serde_json::json;

fn resource(name: &str) -> String {
    format!(
        "resource \"entra_mi_federated_credential\" \"c\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"{name}\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n"
    )
}

fn full_apply(emu: &Emu, h: &Harness, name: &str) {
    h.init();
    h.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        emu.credentials(WORKLOAD_OBJECT)
            .iter()
            .any(|c| c["name"] == name),
        "credential {name} not created"
    );
    let plan = h.tf(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    assert_eq!(plan.status.code(), Some(0), "{}", all_output(&plan));
    h.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
}

#[test]
fn client_secret_from_environment() {
    let emu = Emu::default();
    let mut h = Harness::new();
    h.set_env("ARM_TENANT_ID", TENANT);
    h.set_env("ARM_CLIENT_ID", ADMIN_CLIENT);
    h.set_env("ARM_CLIENT_SECRET", ADMIN_SECRET);
    h.main_tf(&format!(
        "provider \"entra\" {{\n{}}}\n{}",
        emu.endpoints(),
        resource("by-secret")
    ));
    full_apply(&emu, &h, "by-secret");
}

#[test]
fn access_token_without_tenant() {
    let emu = Emu::default();
    let h = Harness::new();
    let token = emu.admin_graph_token();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  access_token = \"{token}\"\n{}}}\n{}",
        emu.endpoints(),
        resource("by-token")
    ));
    full_apply(&emu, &h, "by-token");
}

#[test]
fn oidc_token_file() {
    let emu = Emu::default();
    // The admin app trusts the emulator's external OIDC issuer (a GitHub Actions stand-in).
    emu.oob_create(ADMIN_OBJECT, json!({"name": "ci", "issuer": format!("{}/_emulator/oidc", emu.url), "subject": "repo:entra-mi/demo:ref:refs/heads/main", "audiences": [EXCHANGE]}));
    let token = emu.get("/_emulator/oidc/token?subject=repo:entra-mi/demo:ref:refs/heads/main")
        ["value"]
        .as_str()
        .unwrap()
        .to_string();
    let h = Harness::new();
    let file = h.dir.path().join("oidc.jwt");
    std::fs::write(&file, token).unwrap();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  use_oidc = true\n  oidc_token_file_path = \"{}\"\n{}}}\n{}",
        file.display(),
        emu.endpoints(),
        resource("by-oidc")
    ));
    full_apply(&emu, &h, "by-oidc");
}

#[test]
fn github_actions_request_url() {
    let emu = Emu::default();
    emu.oob_create(ADMIN_OBJECT, json!({"name": "gha", "issuer": format!("{}/_emulator/oidc", emu.url), "subject": "repo:entra-mi/demo:ref:refs/heads/main", "audiences": [EXCHANGE]}));
    let mut h = Harness::new();
    h.set_env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{}/_emulator/github/token", emu.url),
    );
    h.set_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "emulator-request-token");
    h.set_env("ARM_USE_OIDC", "true");
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n{}}}\n{}",
        emu.endpoints(),
        resource("by-gha")
    ));
    full_apply(&emu, &h, "by-gha");
}

#[test]
fn managed_identity_as_federated_credential() {
    let emu = Emu::default();
    // The seed flow: the admin app trusts the deploy identity; no secret anywhere.
    emu.oob_create(ADMIN_OBJECT, json!({"name": "seed", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}));
    let h = Harness::new();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  use_msi_fic = true\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n{}}}\n{}",
        emu.endpoints(),
        resource("by-msi-fic")
    ));
    full_apply(&emu, &h, "by-msi-fic");
}

#[test]
fn wrong_secret_names_the_code_and_the_setting() {
    let emu = Emu::default();
    let h = Harness::new();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_secret = \"not-the-secret\"\n{}}}\n{}",
        emu.endpoints(),
        resource("never")
    ));
    h.init();
    let out = h.tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(!out.status.success());
    let text = all_output(&out).replace('\n', " ");
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(
        text.contains("client_secret") && text.contains("ARM_CLIENT_SECRET"),
        "{text}"
    );
    assert!(
        !text.contains("not-the-secret"),
        "the secret leaked into the output"
    );
}

#[test]
fn no_method_configured_lists_every_method() {
    let emu = Emu::default();
    let h = Harness::new();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  use_cli = false\n{}}}\n{}",
        emu.endpoints(),
        resource("never")
    ));
    h.init();
    let out = h.tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(!out.status.success());
    let text = all_output(&out);
    for method in [
        "access token",
        "client secret",
        "client certificate",
        "OIDC",
        "AKS workload identity",
        "managed identity as federated credential",
        "managed identity:",
        "Azure CLI",
    ] {
        assert!(text.contains(method), "{method} missing:\n{text}");
    }
}

#[test]
fn aks_workload_identity_rereads_the_token_file() {
    let emu = Emu::default();
    emu.oob_create(ADMIN_OBJECT, json!({"name": "aks", "issuer": format!("{}/_emulator/oidc", emu.url), "subject": "system:serviceaccount:ci:deployer", "audiences": [EXCHANGE]}));
    let token = emu.get("/_emulator/oidc/token?subject=system:serviceaccount:ci:deployer")["value"]
        .as_str()
        .unwrap()
        .to_string();
    let mut h = Harness::new();
    let file = h.dir.path().join("azure-identity-token");
    std::fs::write(&file, token).unwrap();
    h.set_env("ARM_USE_AKS_WORKLOAD_IDENTITY", "true");
    h.set_env("AZURE_CLIENT_ID", ADMIN_CLIENT);
    h.set_env("AZURE_TENANT_ID", TENANT);
    h.set_env("AZURE_FEDERATED_TOKEN_FILE", &file.display().to_string());
    h.main_tf(&format!(
        "provider \"entra\" {{\n{}}}\n{}",
        emu.endpoints(),
        resource("by-aks")
    ));
    full_apply(&emu, &h, "by-aks");
}

/// The admin app with a registered certificate; the certificate and key as PEM.
fn seed_with_certificate() -> (
    entra_emulator::Seed,
    String,
    rcgen::KeyPair,
    rcgen::Certificate,
) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["quickstart-admin".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let mut seed = entra_emulator::Seed::default_seed();
    seed.tenants[0].applications[0].client_certificates = vec![cert.pem()];
    let pem = format!("{}{}", cert.pem(), key.serialize_pem());
    (seed, pem, key, cert)
}

#[test]
fn client_certificate_pem_and_pkcs12() {
    let (seed, pem, key, cert) = seed_with_certificate();
    let emu = Emu::start(entra_emulator::EmulatorConfig {
        seed,
        ..Default::default()
    });

    let h = Harness::new();
    let pem_path = h.dir.path().join("client.pem");
    std::fs::write(&pem_path, pem).unwrap();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_certificate_path = \"{}\"\n{}}}\n{}",
        pem_path.display(),
        emu.endpoints(),
        resource("by-pem")
    ));
    full_apply(&emu, &h, "by-pem");

    let mut store = p12_keystore::KeyStore::new();
    let chain = p12_keystore::PrivateKeyChain::new(
        vec![1u8],
        p12_keystore::PrivateKey::from_der(&key.serialize_der()).unwrap(),
        [p12_keystore::Certificate::from_der(cert.der()).unwrap()],
    );
    store.add_entry("admin", p12_keystore::KeyStoreEntry::PrivateKeyChain(chain));
    let mut h = Harness::new();
    let pfx_path = h.dir.path().join("client.pfx");
    std::fs::write(
        &pfx_path,
        store.writer("pfx-secret-password").write().unwrap(),
    )
    .unwrap();
    h.set_env("ARM_CLIENT_CERTIFICATE_PASSWORD", "pfx-secret-password");
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_certificate_path = \"{}\"\n{}}}\n{}",
        pfx_path.display(),
        emu.endpoints(),
        resource("by-pfx")
    ));
    full_apply(&emu, &h, "by-pfx");
}

#[test]
fn an_unregistered_certificate_is_refused() {
    let emu = Emu::default();
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["stranger".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let h = Harness::new();
    let pem_path = h.dir.path().join("stranger.pem");
    std::fs::write(&pem_path, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
    h.main_tf(&format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n  client_certificate_path = \"{}\"\n{}}}\n{}",
        pem_path.display(),
        emu.endpoints(),
        resource("never")
    ));
    h.init();
    let out = h.tf(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(!out.status.success());
    assert!(
        all_output(&out).contains("AADSTS700027"),
        "{}",
        all_output(&out)
    );
}
