//! What a configuration costs in Graph calls, counted by the emulator per route with the
//! real terraform: 3 applications x 20 credentials, each trusting its own user-assigned
//! identity (60 distinct principals). Counts are stable where times are not; the times
//! are in benches/workload.rs.

mod common;

use common::*;
use serde_json::Value;

const APPS: usize = 3;
const PER_APP: usize = 20;

/// The principal id of credential `i`, all distinct.
fn principal(i: usize) -> String {
    format!("{i:08x}-0000-4000-8000-0000000000e1")
}

/// The emulator with the three applications and every principal as a user-assigned
/// identity of the tenant.
fn emulator() -> Emu {
    let mut seed = seed_with_apps(0..APPS);
    for i in 0..APPS * PER_APP {
        add_identity(&mut seed, &principal(i));
    }
    Emu::start(entra_emulator::EmulatorConfig {
        seed,
        ..Default::default()
    })
}

/// `APPS * PER_APP` credentials, `PER_APP` per application, one principal each.
fn config(emu: &Emu) -> String {
    let n = APPS * PER_APP;
    format!(
        "{}locals {{\n  creds = {{ for i in range({n}) : format(\"cred-%02d\", i) => {{ app = format(\"a0000000-0000-4000-8000-%012d\", floor(i / {PER_APP})), principal = format(\"%08x-0000-4000-8000-0000000000e1\", i) }} }}\n}}\n\
         resource \"entra_mi_federated_credential\" \"c\" {{\n  for_each = local.creds\n  application_object_id = each.value.app\n  name = each.key\n  managed_identity_principal_id = each.value.principal\n}}\n",
        emu.provider_block()
    )
}

/// Graph calls by route since `before` (a [`Emu::requests`] snapshot), sign-in excluded.
fn graph_calls(emu: &Emu, before: &Value) -> Vec<(String, u64)> {
    let now = emu.requests();
    let mut calls: Vec<(String, u64)> = now["routes"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(route, _)| route.contains(" /v1.0/"))
        .map(|(route, n)| {
            let was = before["routes"][route].as_u64().unwrap_or(0);
            (route.clone(), n.as_u64().unwrap_or(0) - was)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    calls.sort();
    calls
}

fn total(calls: &[(String, u64)]) -> u64 {
    calls.iter().map(|(_, n)| n).sum()
}

fn count(calls: &[(String, u64)], route: &str) -> u64 {
    calls
        .iter()
        .find(|(r, _)| r == route)
        .map_or(0, |(_, n)| *n)
}

const LIST: &str = "GET /v1.0/applications/{id}/federatedIdentityCredentials";
/// Applications with their credentials expanded, by `id in (…)` or the tenant's listing.
const APPLICATIONS: &str = "GET /v1.0/applications";
const APPLICATION: &str = "GET /v1.0/applications/{id}";
const POST: &str = "POST /v1.0/applications/{id}/federatedIdentityCredentials";
const ONE: &str = "GET /v1.0/applications/{id}/federatedIdentityCredentials/{id}";
const DELETE: &str = "DELETE /v1.0/applications/{id}/federatedIdentityCredentials/{id}";
const PRINCIPALS: &str = "GET /v1.0/servicePrincipals";

#[test]
fn sixty_credentials_cost_what_the_targets_say() {
    let emu = emulator();
    let mut h = Harness::new();
    // `ECONOMY_LOG=FILE`: the provider's debug log, with each principal batch's size and
    // the spread of its arrivals (how the collection window was measured).
    if let Ok(path) = std::env::var("ECONOMY_LOG") {
        h.set_env("TF_LOG_PROVIDER", "debug");
        h.set_env("TF_LOG_PATH", &path);
    }
    h.main_tf(&config(&emu));
    h.init();
    let n = (APPS * PER_APP) as u64;

    let before = emu.requests();
    h.ok(APPLY);
    let apply = graph_calls(&emu, &before);
    eprintln!("apply: {} Graph calls {apply:?}", total(&apply));
    assert_eq!(emu.credential_count(), n);
    assert_eq!(count(&apply, POST), n, "one POST per credential");
    assert_eq!(
        count(&apply, ONE),
        n,
        "one read-back per credential: {apply:?}"
    );
    // The plan walk and the apply walk (a provider process each) read the three
    // applications with their credentials (`id in (…)`: one request for those asked
    // within the 5 ms window, so 1 to 3 per walk), never one application or list alone.
    let batched = count(&apply, APPLICATIONS);
    assert!((2..=2 * APPS as u64).contains(&batched), "{apply:?}");
    assert_eq!(count(&apply, LIST), 0, "{apply:?}");
    assert_eq!(count(&apply, APPLICATION), 0, "{apply:?}");
    // Per walk: the first batch by value (`id in (…)`), then one listing of the tenant's
    // managed identities answers the rest.
    assert_eq!(count(&apply, PRINCIPALS), 4, "{apply:?}");
    assert!(
        total(&apply) <= 150,
        "apply: {} > 2.5 per credential: {apply:?}",
        total(&apply)
    );

    let before = emu.requests();
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
    let plan = graph_calls(&emu, &before);
    eprintln!("no-change plan: {} Graph calls {plan:?}", total(&plan));
    // The refresh reads the applications with their credentials (batched: at most one
    // call per application), and no principal lookup: nothing changed.
    assert!(count(&plan, APPLICATIONS) <= APPS as u64, "{plan:?}");
    assert_eq!(count(&plan, PRINCIPALS), 0, "{plan:?}");
    assert!(total(&plan) <= APPS as u64, "{plan:?}");

    let before = emu.requests();
    h.ok(DESTROY);
    let destroy = graph_calls(&emu, &before);
    eprintln!("destroy: {} Graph calls {destroy:?}", total(&destroy));
    assert_eq!(emu.credential_count(), 0);
    assert_eq!(count(&destroy, DELETE), n);
    assert_eq!(count(&destroy, PRINCIPALS), 0, "{destroy:?}");
    assert!(
        total(&destroy) * 10 <= 22 * n,
        "destroy: {} > 2.2 per credential: {destroy:?}",
        total(&destroy)
    );
}

/// One identity trusted by many applications, one credential each (Entra keeps issuer +
/// subject unique per application): every plan and create needs its own application's
/// ids and list, so the run reads them in batches and then from one listing of the
/// tenant's applications, never one application at a time.
#[test]
fn one_identity_over_thirty_applications_reads_them_together() {
    const SPREAD: usize = 30;
    let shared = principal(0);
    let mut seed = seed_with_apps(0..SPREAD);
    add_identity(&mut seed, &shared);
    let emu = Emu::start(entra_emulator::EmulatorConfig {
        seed,
        ..Default::default()
    });
    let mut h = Harness::new();
    if let Ok(path) = std::env::var("ECONOMY_LOG") {
        h.set_env("TF_LOG_PROVIDER", "debug");
        h.set_env("TF_LOG_PATH", &path);
    }
    h.main_tf(&format!(
        "{}resource \"entra_mi_federated_credential\" \"c\" {{\n  count = {SPREAD}\n  application_object_id = format(\"a0000000-0000-4000-8000-%012d\", count.index)\n  name = \"deploy\"\n  managed_identity_principal_id = \"{shared}\"\n}}\n",
        emu.provider_block()
    ));
    h.init();
    let n = SPREAD as u64;

    let before = emu.requests();
    h.ok(APPLY);
    let apply = graph_calls(&emu, &before);
    eprintln!("apply: {} Graph calls {apply:?}", total(&apply));
    assert_eq!(emu.credential_count(), n);
    assert_eq!(count(&apply, POST), n);
    assert_eq!(count(&apply, ONE), n, "one read-back per credential");
    assert_eq!(
        count(&apply, LIST) + count(&apply, APPLICATION),
        0,
        "{apply:?}"
    );
    // Per walk: the batches sent before Graph first answered go by id (usually one),
    // then one listing (one page here) answers the rest, batches that waited for it
    // included: 4 seen, not one read per application.
    assert!(count(&apply, APPLICATIONS) <= 6, "{apply:?}");
    // The one identity, looked up once per walk.
    assert!(count(&apply, PRINCIPALS) <= 2, "{apply:?}");

    let before = emu.requests();
    let (code, out) = h.plan_exit();
    assert_eq!(code, 0, "{out}");
    let plan = graph_calls(&emu, &before);
    eprintln!("no-change plan: {} Graph calls {plan:?}", total(&plan));
    assert!(total(&plan) <= 4, "30 refreshes in a few reads: {plan:?}");

    let before = emu.requests();
    h.ok(DESTROY);
    let destroy = graph_calls(&emu, &before);
    eprintln!("destroy: {} Graph calls {destroy:?}", total(&destroy));
    assert_eq!(emu.credential_count(), 0);
    assert_eq!(count(&destroy, DELETE), n);
    assert!(total(&destroy) <= 2 * n + 4, "{destroy:?}");
}
