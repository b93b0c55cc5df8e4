//! Two workspaces that apply the same credential at the same moment (SPEC §3): neither
//! takes over what the other created. Both saved plans saw nothing, both applies send
//! their POST before either lands (the emulator holds writes in flight), and exactly one
//! wins; the other fails with the exact import ID instead of adopting the winner's
//! credential as if its own answer had been lost. And a create whose own answer was lost
//! does adopt what it created.

mod common;

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;
use entra_emulator::{EmulatorConfig, Faults};

const ADDRESS: &str = "entra_mi_federated_credential.shared";

fn shared_credential(emu: &Emu) -> Harness {
    Harness::ready(
        emu,
        &format!(
            "resource \"entra_mi_federated_credential\" \"shared\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"shared\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n"
        ),
    )
}

/// Starts `terraform apply tfplan` in `h`, its output going to a file.
fn start_saved_apply(h: &Harness) -> (Child, std::path::PathBuf) {
    let log = h.dir.path().join("apply.log");
    let file = std::fs::File::create(&log).expect("log file");
    let child = h
        .command(&["apply", "-no-color", "-input=false", "tfplan"])
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log file"))
        .stderr(file)
        .spawn()
        .expect("start terraform apply");
    (child, log)
}

/// Waits (at most two minutes) for `child`; its success and output.
fn finish(mut child: Child, log: &std::path::Path) -> (bool, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for terraform") {
            break s;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("terraform did not exit within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut out = String::new();
    std::fs::File::open(log)
        .and_then(|mut f| f.read_to_string(&mut out))
        .expect("read log");
    (status.success(), out)
}

#[test]
fn two_workspaces_applying_one_credential_at_once_never_share_it() {
    // Every write waits 3 s in flight before it is applied: both applies list the
    // application (nothing there), then both POST, and only then does the first land.
    let emu = Emu::start(EmulatorConfig {
        faults: Faults {
            write_latency: Duration::from_secs(3),
            ..Faults::default()
        },
        ..EmulatorConfig::default()
    });
    let teams = [shared_credential(&emu), shared_credential(&emu)];
    for h in &teams {
        h.ok(&["plan", "-out=tfplan", "-no-color", "-input=false"]);
    }
    let started: Vec<_> = teams.iter().map(start_saved_apply).collect();
    let outcomes: Vec<(bool, String)> = started
        .into_iter()
        .map(|(child, log)| finish(child, &log))
        .collect();
    let report = outcomes
        .iter()
        .enumerate()
        .map(|(i, (ok, out))| format!("--- workspace {i} (success: {ok})\n{out}"))
        .collect::<String>();

    let posts = emu.route_count("POST /v1.0/applications/{id}/federatedIdentityCredentials");
    assert_eq!(
        posts, 2,
        "both applies must have sent their create:\n{report}"
    );
    let winners: Vec<usize> = (0..2).filter(|&i| outcomes[i].0).collect();
    assert_eq!(winners.len(), 1, "exactly one apply succeeds:\n{report}");
    let (winner, loser) = (winners[0], 1 - winners[0]);

    let creds = emu.credentials(WORKLOAD_OBJECT);
    let shared: Vec<_> = creds.iter().filter(|c| c["name"] == "shared").collect();
    assert_eq!(shared.len(), 1, "one credential, no duplicate: {creds:?}");
    let id = shared[0]["id"].as_str().expect("credential id");

    let loser_text = outcomes[loser].1.replace('\n', " ");
    assert_contains_all(
        &loser_text,
        &[
            "A federated identity credential named \"shared\" was created by someone else before this apply",
            "code Request_MultipleObjectsWithSameKeyValue",
            "not taken over silently",
            &format!("id = \"{WORKLOAD_OBJECT}/federatedIdentityCredentials/{id}\""),
            &format!("terraform import <address> {WORKLOAD_OBJECT}/federatedIdentityCredentials/{id}"),
            &format!("with {ADDRESS}"),
        ],
    );
    assert!(
        outcomes[winner]
            .1
            .contains("Apply complete! Resources: 1 added"),
        "{report}"
    );

    let held = |h: &Harness| h.ok(&["state", "list"]).trim().to_string();
    assert_eq!(held(&teams[winner]), ADDRESS);
    assert_eq!(held(&teams[loser]), "", "the loser's state holds nothing");
    let state = teams[winner].ok(&["state", "show", "-no-color", ADDRESS]);
    assert!(state.contains(id), "the winner holds {id}:\n{state}");

    let deletes: u64 = emu.requests()["routes"]
        .as_object()
        .map(|routes| {
            routes
                .iter()
                .filter(|(route, _)| route.starts_with("DELETE"))
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(deletes, 0, "nothing is deleted:\n{report}");
}

/// The other side of the rule: a create whose own POST was applied but whose answer was
/// lost (a proxy in front of Graph cuts the answer's body) retries, meets the name
/// conflict with identical content, and adopts the credential as its own.
#[test]
fn a_create_whose_own_answer_was_lost_adopts_its_credential() {
    use axum::body::{Body, Bytes};
    use axum::extract::Request;
    use axum::response::Response;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let emu = Emu::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let upstream = emu.url.clone();
    let cut = Arc::new(AtomicBool::new(false));
    let cut_once = cut.clone();
    let graph = rt.block_on(async move {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let http = reqwest::Client::new();
        let router = axum::Router::new().fallback(move |req: Request| {
            let (http, upstream, cut_once) = (http.clone(), upstream.clone(), cut_once.clone());
            async move {
                let (parts, body) = req.into_parts();
                let body = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                let mut forward =
                    http.request(parts.method.clone(), format!("{upstream}{}", parts.uri));
                for (k, v) in &parts.headers {
                    if k != "host" && k != "content-length" {
                        forward = forward.header(k, v);
                    }
                }
                let answer = forward.body(body).send().await.expect("emulator answers");
                let status = answer.status();
                let bytes = answer.bytes().await.unwrap_or_default();
                let is_create = parts.method == "POST"
                    && parts.uri.path().ends_with("/federatedIdentityCredentials");
                if is_create && !cut_once.swap(true, Ordering::SeqCst) {
                    // Applied by Graph; the answer's body never arrives.
                    let lost = tokio_stream::once(Err::<Bytes, std::io::Error>(
                        std::io::Error::other("cut"),
                    ));
                    return Response::builder()
                        .status(status.as_u16())
                        .body(Body::from_stream(lost))
                        .unwrap();
                }
                Response::builder()
                    .status(status.as_u16())
                    .header("content-type", "application/json")
                    .body(Body::from(bytes))
                    .unwrap()
            }
        });
        tokio::spawn(async move { axum::serve(l, router).await });
        url
    });
    let provider = emu.provider_block().replace(
        &format!("graph_endpoint = \"{}\"", emu.url),
        &format!("graph_endpoint = \"{graph}\""),
    );
    let h = Harness::initialised(&format!(
        "{provider}resource \"entra_mi_federated_credential\" \"shared\" {{\n  application_object_id = \"{WORKLOAD_OBJECT}\"\n  name = \"shared\"\n  managed_identity_principal_id = \"{DEPLOY_PRINCIPAL}\"\n}}\n"
    ));
    let out = h.ok(APPLY);
    assert!(out.contains("Apply complete! Resources: 1 added"), "{out}");
    assert!(
        cut.load(Ordering::SeqCst),
        "the first create's answer was cut"
    );
    let posts = emu.route_count("POST /v1.0/applications/{id}/federatedIdentityCredentials");
    assert_eq!(
        posts, 2,
        "the lost create was retried once and met the conflict"
    );
    let creds = emu.credentials(WORKLOAD_OBJECT);
    let shared: Vec<_> = creds.iter().filter(|c| c["name"] == "shared").collect();
    assert_eq!(shared.len(), 1, "{creds:?}");
    let id = shared[0]["id"].as_str().expect("id");
    let state = h.ok(&["state", "show", "-no-color", ADDRESS]);
    assert!(state.contains(id), "adopted as its own:\n{state}");
    assert_eq!(h.plan_exit().0, 0, "nothing left to change");
}
