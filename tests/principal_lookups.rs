//! Service principal lookups against the emulator, counted per route: many values answered
//! in few requests (`id in (…)`, `getByIds`, `appId in (…)`), and a run's lookups batched
//! and answered from one listing of the tenant's managed identities.

mod common;

use std::sync::Arc;

use common::*;
use terraform_provider_entra::entra::graph::{GraphClient, GraphErrorKind};
use terraform_provider_entra::entra::ids::ObjectId;
use terraform_provider_entra::entra::service_principals::PrincipalAnswer;
use terraform_provider_entra::provider::principal_lookup::{PrincipalLookups, PrincipalVerdict};

const IDENTITIES: usize = 20;

fn principal(i: usize) -> String {
    format!("{i:08x}-0000-4000-8000-0000000000e2")
}

/// The client id [`add_identity`] gives `principal(i)`.
fn client(i: usize) -> String {
    let p = principal(i);
    format!("d{}", &p[1..])
}

const NOTHING: &str = "0badf00d-0000-4000-8000-000000000000";

fn emulator(directory_read: bool) -> (Emu, Arc<GraphClient>) {
    let mut seed = entra_emulator::Seed::default_seed();
    for i in 0..IDENTITIES {
        add_identity(&mut seed, &principal(i));
    }
    if directory_read {
        seed.tenants[0].applications[0]
            .graph_permissions
            .push("Directory.Read.All".into());
    }
    let emu = Emu::start(entra_emulator::EmulatorConfig {
        seed,
        ..Default::default()
    });
    let g = emu.admin_graph_client();
    (emu, Arc::new(g))
}

fn id(s: &str) -> ObjectId {
    ObjectId::parse(s).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

const FILTERED: &str = "GET /v1.0/servicePrincipals";
const GET_BY_IDS: &str = "POST /v1.0/directoryObjects/getByIds";

/// Twenty principals, a client id and an unknown value: more than one `in (…)` holds.
fn values() -> Vec<ObjectId> {
    let mut v: Vec<ObjectId> = (0..IDENTITIES).map(|i| id(&principal(i))).collect();
    v.push(id(&client(3)));
    v.push(id(NOTHING));
    v
}

fn check_answers(answers: &std::collections::HashMap<ObjectId, PrincipalAnswer>) {
    assert_eq!(answers.len(), IDENTITIES + 2);
    for i in 0..IDENTITIES {
        assert!(
            matches!(&answers[&id(&principal(i))], PrincipalAnswer::ById(sp) if sp.facts().is_user_assigned()),
            "{i}: {answers:?}"
        );
    }
    assert!(
        matches!(&answers[&id(&client(3))], PrincipalAnswer::ByAppId(sp) if sp.id == principal(3))
    );
    assert_eq!(answers[&id(NOTHING)], PrincipalAnswer::Nothing);
}

#[test]
fn with_directory_read_get_by_ids_answers_many_at_once() {
    let (emu, g) = emulator(true);
    let answers = runtime()
        .block_on(g.answer_principals(&values(), true, &ten_seconds()))
        .unwrap();
    check_answers(&answers.by_value);
    assert!(!answers.get_by_ids_unusable);
    assert_eq!(emu.route_count(GET_BY_IDS), 1);
    // Only the two values no object has are asked by client id, in one `appId in (…)`.
    assert_eq!(emu.route_count(FILTERED), 1);
}

#[test]
fn without_directory_read_the_filters_answer_and_get_by_ids_is_given_up() {
    let (emu, g) = emulator(false);
    let answers = runtime()
        .block_on(g.answer_principals(&values(), true, &ten_seconds()))
        .unwrap();
    check_answers(&answers.by_value);
    assert!(answers.get_by_ids_unusable, "limited objects only");
    assert_eq!(emu.route_count(GET_BY_IDS), 1);
    // 22 values: two `id in (…)` of at most 15, and one `appId in (…)` for the two misses.
    assert_eq!(emu.route_count(FILTERED), 3);

    // Told not to try getByIds again, the filters alone answer.
    runtime()
        .block_on(g.answer_principals(&values(), false, &ten_seconds()))
        .unwrap();
    assert_eq!(emu.route_count(GET_BY_IDS), 1);
    assert_eq!(emu.route_count(FILTERED), 6);
}

#[test]
fn a_run_asks_by_value_first_then_lists_the_managed_identities_once() {
    let (emu, g) = emulator(false);
    let lookups = PrincipalLookups::default();
    let rt = runtime();
    let ask = |value: &str| rt.block_on(lookups.check(&g, "subject", &id(value), &ten_seconds()));
    // First batch: by value.
    assert!(matches!(ask(&principal(0)), PrincipalVerdict::UserAssigned));
    assert_eq!(emu.route_count(FILTERED), 1);
    // Second batch: the listing (one page), and by value what it lacks (`appId in`
    // for a value no object has; `id in` found nothing either).
    assert!(
        matches!(ask(NOTHING), PrincipalVerdict::Mistake(f) if f.rule == "principal.not_found")
    );
    assert_eq!(emu.route_count(FILTERED), 4);
    // Every listed identity and client id is known now: no request, no window.
    assert!(matches!(ask(&principal(7)), PrincipalVerdict::UserAssigned));
    assert!(
        matches!(ask(&client(9)), PrincipalVerdict::Mistake(f) if f.rule == "principal.client_id")
    );
    assert!(matches!(ask(NOTHING), PrincipalVerdict::Mistake(_)));
    assert_eq!(emu.route_count(FILTERED), 4);
}

#[test]
fn a_refusal_is_one_warning_per_run_and_not_kept() {
    let mut seed = entra_emulator::Seed::default_seed();
    seed.tenants[0].applications[0].deny_service_principal_read = true;
    let emu = Emu::start(entra_emulator::EmulatorConfig {
        seed,
        ..Default::default()
    });
    let g = Arc::new(emu.admin_graph_client());
    let lookups = PrincipalLookups::default();
    let rt = runtime();
    let e = rt
        .block_on(lookups.lookup(&g, &id(DEPLOY_PRINCIPAL), &ten_seconds()))
        .unwrap_err();
    assert_eq!(e.kind, GraphErrorKind::Forbidden);
    let first = rt.block_on(lookups.check(&g, "subject", &id(DEPLOY_PRINCIPAL), &ten_seconds()));
    assert!(matches!(first, PrincipalVerdict::Unchecked(Some(_))));
    let second = rt.block_on(lookups.check(&g, "subject", &id(BUILD_PRINCIPAL), &ten_seconds()));
    assert!(matches!(second, PrincipalVerdict::Unchecked(None)));
    // Each failed lookup asked again (not kept), the second batch also tried the listing.
    assert!(emu.route_count(FILTERED) >= 3, "{}", emu.requests());
}
