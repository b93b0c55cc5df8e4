//! A run's application reads against the emulator, counted per route: the first batch
//! asked by id, one listing of the tenant from the second batch on (the first ten pages
//! of a larger tenant), batches that waited for that listing answered from it, and what
//! the listing leaves out asked by id.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use terraform_provider_entra::entra::graph::GraphClient;
use terraform_provider_entra::entra::ids::ObjectId;
use terraform_provider_entra::provider::app_lookup::AppLookups;

/// Every request for applications: by id, filtered, or a page of the listing.
const APPLICATIONS: &str = "GET /v1.0/applications";

fn emulator(apps: usize, latency: Duration) -> (Emu, GraphClient) {
    let emu = Emu::start(entra_emulator::EmulatorConfig {
        seed: seed_with_apps(0..apps),
        faults: entra_emulator::Faults {
            latency,
            ..Default::default()
        },
        ..Default::default()
    });
    let g = emu.admin_graph_client();
    (emu, g)
}

fn app(i: usize) -> ObjectId {
    ObjectId::parse(&extra_app_object_id(i)).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_tenant_larger_than_the_listing_is_answered_from_its_first_thousand() {
    // 1,005 applications and the seed's own: eleven pages of 100.
    let (emu, g) = emulator(1005, Duration::ZERO);
    let lookups = AppLookups::default();
    let rt = runtime();
    let ask = |i: usize| rt.block_on(lookups.lookup(&g, &app(i), &ten_seconds()));

    // The first batch asks by id.
    assert_eq!(ask(0).unwrap().registration.id, extra_app_object_id(0));
    assert_eq!(emu.route_count(APPLICATIONS), 1);
    // The second lists the tenant: ten pages, and no more, answer it.
    let listed = ask(500).unwrap();
    assert_eq!(
        listed.registration.app_id,
        "c0000000-0000-4000-8000-000000000500"
    );
    assert_eq!(emu.route_count(APPLICATIONS), 11);
    let kept = lookups
        .take_listing()
        .expect("the first ten pages are kept");
    assert_eq!(kept.len(), 1000);
    // One copy of a listed application's credentials: the answer is the listing's.
    assert!(Arc::ptr_eq(
        &kept[&app(500)].credentials,
        &listed.credentials
    ));
    assert!(lookups.take_listing().is_none(), "handed over once");
    // An application of the eleventh page is asked by id, once.
    assert!(!kept.contains_key(&app(1004)));
    assert_eq!(
        ask(1004).unwrap().registration.id,
        extra_app_object_id(1004)
    );
    assert_eq!(emu.route_count(APPLICATIONS), 12);
}

#[test]
fn batches_that_waited_for_the_listing_are_answered_from_it() {
    // Every answer takes 100 ms, so later batches start while the listing is read.
    let (emu, g) = emulator(30, Duration::from_millis(100));
    let lookups = AppLookups::default();
    let rt = runtime();
    rt.block_on(lookups.lookup(&g, &app(0), &ten_seconds()))
        .unwrap();
    assert_eq!(emu.route_count(APPLICATIONS), 1);

    // Three batches 20 ms apart (each past the collection window): the first lists
    // the tenant, the other two wait for that listing instead of asking by id.
    let later = |i: usize, after: u64| {
        let (lookups, g) = (&lookups, &g);
        async move {
            tokio::time::sleep(Duration::from_millis(after)).await;
            lookups.lookup(g, &app(i), &ten_seconds()).await
        }
    };
    let (a, b, c) = rt.block_on(async { tokio::join!(later(10, 0), later(20, 20), later(29, 40)) });
    for (answer, i) in [(a, 10), (b, 20), (c, 29)] {
        assert_eq!(answer.unwrap().registration.id, extra_app_object_id(i));
    }
    assert_eq!(
        emu.route_count(APPLICATIONS),
        2,
        "one listing page, no read by id: {}",
        emu.requests()
    );
}
