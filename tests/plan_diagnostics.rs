//! What plan says when it cannot do what it would: a token requested during plan for an
//! application whose credential this run only creates at apply (the reason and the fix),
//! a token exchange whose diagnosis cannot read Graph because the provider's own sign-in
//! is refused (not retried for `propagation_timeout`), and live checks skipped because
//! sign-in failed (one warning naming them).

mod common;

use common::*;

/// Counted by the emulator for every request to a token endpoint (sign-in and exchange).
const TOKEN_ROUTE: &str = "POST /{id}/oauth2/v2.0/token";
/// A client id no application of the seed has.
const UNKNOWN_APP: &str = "0badc0de-0000-4000-8000-000000000000";

fn provider(emu: &Emu, sign_in: &str) -> String {
    format!(
        "provider \"entra\" {{\n  tenant_id = \"{TENANT}\"\n{sign_in}  msi_client_id = \"{DEPLOY_CLIENT}\"\n{}}}\n",
        emu.endpoints()
    )
}

fn admin() -> String {
    format!("  client_id = \"{ADMIN_CLIENT}\"\n  client_secret = \"{ADMIN_SECRET}\"\n")
}

/// The workload app trusting the deploy identity, as the resource declares it.
fn credential() -> String {
    mi_credential("deploy", "deploy", DEPLOY_PRINCIPAL)
}

/// An ephemeral token for the workload app with `client_id = {client_id}`.
fn token(client_id: &str, extra: &str) -> String {
    format!(
        "ephemeral \"entra_mi_access_token\" \"t\" {{\n  client_id = {client_id}\n  scopes = [\"https://graph.microsoft.com/.default\"]\n{extra}}}\n"
    )
}

/// Terraform wraps long lines: compare with single spaces.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn a_token_requested_before_the_credential_this_run_creates_says_why_and_how_to_fix() {
    let emu = Emu::default();
    let literal = format!("\"{WORKLOAD_CLIENT}\"");
    let h = Harness::initialised(&format!(
        "{}{}{}",
        provider(&emu, &admin()),
        credential(),
        token(
            &literal,
            "  depends_on = [entra_mi_federated_credential.deploy]\n"
        )
    ));
    let out = words(&h.fails(PLAN));
    assert_contains_all(
        &out,
        &[
            "This run plans federated identity credential \"deploy\" for application",
            WORKLOAD_CLIENT,
            "during plan",
            "client_id = entra_mi_federated_credential.<name>.application_client_id",
            "AADSTS700211",
        ],
    );
    assert!(
        !out.contains("create one with entra_mi_federated_credential"),
        "the advice to create what the configuration declares: {out}"
    );
    // No Graph lookup waits for a credential that apply has not created yet: one exchange.
    let exchanges = emu.route_count(TOKEN_ROUTE);
    assert!(exchanges <= 3, "{exchanges} token requests: {out}");

    // The fix applies as written: the token is deferred to apply.
    h.main_tf(&format!(
        "{}{}{}",
        provider(&emu, &admin()),
        credential(),
        token(
            "entra_mi_federated_credential.deploy.application_client_id",
            ""
        )
    ));
    h.ok(APPLY);
    let (code, plan) = h.plan_exit();
    assert_eq!(code, 0, "{plan}");
    h.ok(DESTROY);
}

#[test]
fn a_refused_provider_sign_in_is_not_retried_for_propagation_timeout() {
    let emu = Emu::default();
    // The provider signs in as an app that is not in the tenant (AADSTS700016), so the
    // diagnosis of the exchange cannot read the workload app's credentials.
    let sign_in = format!("  client_id = \"{UNKNOWN_APP}\"\n  use_msi_fic = true\n");
    let h = Harness::initialised(&format!(
        "{}{}",
        provider(&emu, &sign_in),
        token(
            &format!("\"{WORKLOAD_CLIENT}\""),
            "  propagation_timeout = \"40s\"\n"
        )
    ));
    let out = words(&h.fails(PLAN));
    assert_contains_all(&out, &["AADSTS700211", "AADSTS700016", "not retried"]);
    assert!(!out.contains("Retried for"), "{out}");
    // One exchange and the provider's refused sign-in, not a propagation wait's many.
    let requests = emu.route_count(TOKEN_ROUTE);
    assert!(requests <= 4, "{requests} token requests: {out}");

    // The token's own application unknown in the tenant: refused once, not retried.
    let emu = Emu::default();
    let h = Harness::initialised(&format!(
        "{}{}",
        provider(&emu, &admin()),
        token(
            &format!("\"{UNKNOWN_APP}\""),
            "  propagation_timeout = \"40s\"\n"
        )
    ));
    let out = words(&h.fails(PLAN));
    assert_contains_all(&out, &["AADSTS700016", UNKNOWN_APP]);
    assert_eq!(emu.route_count(TOKEN_ROUTE), 1, "{out}");
}

#[test]
fn live_checks_skipped_because_sign_in_failed_are_named_once() {
    let emu = Emu::default();
    // A wrong secret: every plan-time Graph read needs a sign-in that Entra refuses.
    let wrong = format!("  client_id = \"{ADMIN_CLIENT}\"\n  client_secret = \"wrong\"\n");
    let h = Harness::initialised(&format!(
        "{}{}{}",
        provider(&emu, &wrong),
        credential(),
        mi_credential("build", "build", BUILD_PRINCIPAL)
    ));
    let out = h.ok(PLAN);
    assert!(out.contains("2 to add"), "{out}");
    let text = words(&out);
    assert_eq!(
        text.matches("Warning:").count(),
        1,
        "one warning for the run: {text}"
    );
    assert_contains_all(
        &text,
        &[
            "Plan-time checks against Microsoft Graph were skipped",
            "sign-in",
            "AADSTS7000215",
            "existing credentials",
            "user-assigned managed identities",
        ],
    );

    // No sign-in method at all: the same single warning, with the methods tried.
    let h = Harness::initialised(&format!("{}{}", provider(&emu, ""), credential()));
    let text = words(&h.ok(PLAN));
    assert_eq!(text.matches("Warning:").count(), 1, "{text}");
    assert_contains_all(
        &text,
        &[
            "Plan-time checks against Microsoft Graph were skipped",
            "No sign-in method is configured",
        ],
    );
}
