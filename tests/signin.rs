//! Each sign-in method drives a full apply against the emulator; failures name the method,
//! the AADSTS code and the attribute or environment variable to check.

mod common;

use common::*;
use serde_json::json;
use terraform_provider_entra::entra::signin::METHODS_IN_ORDER;

/// A provider block with `attributes` and the emulator's endpoints, and credential `name`.
fn config(emu: &Emu, attributes: &str, name: &str) -> String {
    format!(
        "provider \"entra\" {{\n{attributes}{}}}\n{}",
        emu.endpoints(),
        mi_credential("c", name, DEPLOY_PRINCIPAL)
    )
}

/// The admin app's tenant and client id, then `more` attributes.
fn admin_app(more: &str) -> String {
    format!("  tenant_id = \"{TENANT}\"\n  client_id = \"{ADMIN_CLIENT}\"\n{more}")
}

/// The admin app signing in with the certificate (and key) in the file at `path`.
fn certificate_at(path: &std::path::Path) -> String {
    admin_app(&format!(
        "  client_certificate_path = \"{}\"\n",
        path.display()
    ))
}

/// The subject of a GitHub Actions run on the main branch (the emulator's GitHub stand-in
/// issues its tokens for it).
const GITHUB_MAIN: &str = "repo:entra-mi/demo:ref:refs/heads/main";

/// Makes the admin app trust the emulator's external OIDC issuer (a CI system's stand-in)
/// for `subject`, with credential `name`.
fn trust_emulator_oidc(emu: &Emu, name: &str, subject: &str) {
    emu.oob_create(
        ADMIN_OBJECT,
        json!({"name": name, "issuer": format!("{}/_emulator/oidc", emu.url), "subject": subject, "audiences": [EXCHANGE]}),
    );
}

/// A token of the emulator's OIDC issuer for `subject`, written to `file_name` in `h`'s
/// directory.
fn write_oidc_token(emu: &Emu, h: &Harness, file_name: &str, subject: &str) -> std::path::PathBuf {
    let token = emu.get(&format!("/_emulator/oidc/token?subject={subject}"))["value"]
        .as_str()
        .unwrap()
        .to_string();
    let file = h.dir.path().join(file_name);
    std::fs::write(&file, token).unwrap();
    file
}

/// Signs in with `attributes` to create credential `name`, plans no change, destroys it.
fn full_apply(emu: &Emu, h: &Harness, attributes: &str, name: &str) {
    h.main_tf(&config(emu, attributes, name));
    h.init();
    h.ok(APPLY);
    assert!(
        emu.credentials(WORKLOAD_OBJECT)
            .iter()
            .any(|c| c["name"] == name),
        "credential {name} not created"
    );
    let plan = h.tf(PLAN_DETAILED);
    assert_eq!(plan.status.code(), Some(0), "{}", all_output(&plan));
    h.ok(DESTROY);
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
}

#[test]
fn client_secret_from_environment() {
    let emu = Emu::default();
    let mut h = Harness::new();
    h.set_env("ARM_TENANT_ID", TENANT);
    h.set_env("ARM_CLIENT_ID", ADMIN_CLIENT);
    h.set_env("ARM_CLIENT_SECRET", ADMIN_SECRET);
    full_apply(&emu, &h, "", "by-secret");
}

#[test]
fn access_token_without_tenant() {
    let emu = Emu::default();
    let h = Harness::new();
    let token = emu.admin_graph_token();
    full_apply(
        &emu,
        &h,
        &format!("  access_token = \"{token}\"\n"),
        "by-token",
    );
}

#[test]
fn oidc_token_file() {
    let emu = Emu::default();
    // The admin app trusts the emulator's external OIDC issuer (a GitHub Actions stand-in).
    trust_emulator_oidc(&emu, "ci", GITHUB_MAIN);
    let h = Harness::new();
    let file = write_oidc_token(&emu, &h, "oidc.jwt", GITHUB_MAIN);
    full_apply(
        &emu,
        &h,
        &admin_app(&format!(
            "  use_oidc = true\n  oidc_token_file_path = \"{}\"\n",
            file.display()
        )),
        "by-oidc",
    );
}

#[test]
fn github_actions_request_url() {
    let emu = Emu::default();
    trust_emulator_oidc(&emu, "gha", GITHUB_MAIN);
    let mut h = Harness::new();
    h.set_env(
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        &format!("{}/_emulator/github/token", emu.url),
    );
    h.set_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "emulator-request-token");
    h.set_env("ARM_USE_OIDC", "true");
    full_apply(&emu, &h, &admin_app(""), "by-gha");
}

#[test]
fn managed_identity_as_federated_credential() {
    let emu = Emu::default();
    // The seed flow: the admin app trusts the deploy identity; no secret anywhere.
    emu.oob_create(ADMIN_OBJECT, json!({"name": "seed", "issuer": entra_issuer(), "subject": DEPLOY_PRINCIPAL, "audiences": [EXCHANGE]}));
    let h = Harness::new();
    full_apply(
        &emu,
        &h,
        &admin_app(&format!(
            "  use_msi_fic = true\n  msi_client_id = \"{DEPLOY_CLIENT}\"\n"
        )),
        "by-msi-fic",
    );
}

#[test]
fn wrong_secret_names_the_code_and_the_setting() {
    let emu = Emu::default();
    let h = Harness::initialised(&config(
        &emu,
        &admin_app("  client_secret = \"not-the-secret\"\n"),
        "never",
    ));
    let text = h.fails(APPLY);
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
    let h = Harness::initialised(&config(&emu, "  use_cli = false\n", "never"));
    let text = h.fails(APPLY);
    for method in METHODS_IN_ORDER {
        // "managed identity:" and not the start of "managed identity as federated credential".
        let tried = format!("{method}:");
        assert!(text.contains(&tried), "{tried} missing:\n{text}");
    }
}

/// AKS projects a new service account token into the file before the old one expires:
/// each run signs in with what the file holds then. Here the token is rotated to another
/// subject between two runs, and the application trusts only the new one by then.
#[test]
fn aks_workload_identity_signs_in_with_the_rotated_token_file() {
    let emu = Emu::default();
    let (subject, rotated) = (
        "system:serviceaccount:ci:deployer",
        "system:serviceaccount:ci:deployer-rotated",
    );
    trust_emulator_oidc(&emu, "aks", subject);
    let mut h = Harness::new();
    let file = write_oidc_token(&emu, &h, "azure-identity-token", subject);
    h.set_env("ARM_USE_AKS_WORKLOAD_IDENTITY", "true");
    h.set_env("AZURE_CLIENT_ID", ADMIN_CLIENT);
    h.set_env("AZURE_TENANT_ID", TENANT);
    h.set_env("AZURE_FEDERATED_TOKEN_FILE", &file.display().to_string());
    h.main_tf(&config(&emu, "", "by-aks"));
    h.init();
    h.ok(APPLY);
    assert_eq!(emu.credentials(WORKLOAD_OBJECT).len(), 1, "by-aks created");

    // The application now trusts only the rotated subject: the old token is refused...
    trust_emulator_oidc(&emu, "aks-rotated", rotated);
    emu.oob_delete(ADMIN_OBJECT, "aks");
    let refused = h.fails(PLAN);
    assert_contains_all(&refused, &["AADSTS", subject]);
    // ...and once the file holds the rotated token, the next run signs in with it.
    write_oidc_token(&emu, &h, "azure-identity-token", rotated);
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 0, "{plan}");
    h.ok(DESTROY);
    assert!(emu.credentials(WORKLOAD_OBJECT).is_empty());
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
    full_apply(&emu, &h, &certificate_at(&pem_path), "by-pem");

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
    full_apply(&emu, &h, &certificate_at(&pfx_path), "by-pfx");
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
    h.main_tf(&config(&emu, &certificate_at(&pem_path), "never"));
    h.init();
    let text = h.fails(APPLY);
    assert!(text.contains("AADSTS700027"), "{text}");
}
