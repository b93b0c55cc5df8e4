//! The `/_emulator` control endpoints (out-of-band changes, reset, state) and the binary
//! (the default seed round trip, SIGTERM).

mod common;

use common::*;
use entra_emulator::{Emulator, EmulatorConfig};
use serde_json::{json, Value};

#[tokio::test]
async fn out_of_band_changes_and_reset() {
    let e = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let r = http
        .post(format!(
            "{}/_emulator/applications/{WORKLOAD_OBJECT}/federatedIdentityCredentials",
            e.url
        ))
        .json(&json!({"name": "drift", "issuer": issuer(), "subject": DEPLOY_PRINCIPAL}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let st = Client::new(&e).inspect("state").await;
    assert_eq!(st["credential_count"], json!(1));
    assert_eq!(
        http.post(format!("{}/_emulator/reset", e.url))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let st = Client::new(&e).inspect("state").await;
    assert_eq!(st["credential_count"], json!(0));
}

#[test]
fn default_seed_round_trips_through_the_binary() {
    let bin = env!("CARGO_BIN_EXE_entra-emulator");
    let out = std::process::Command::new(bin)
        .arg("--print-default-seed")
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.json");
    std::fs::write(&path, &out.stdout).unwrap();
    let mut child = std::process::Command::new(bin)
        .args(["--port", "0", "--quiet", "--seed"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(
        line.starts_with("ENTRA_EMULATOR_URL=http://127.0.0.1:"),
        "{line}"
    );
    let url = line
        .trim()
        .trim_start_matches("ENTRA_EMULATOR_URL=")
        .to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let st: Value = rt.block_on(async {
        reqwest::get(format!("{url}/_emulator/state"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(st["tenants"][0]["id"], printed["tenants"][0]["id"]);
    assert_eq!(
        st["tenants"][0]["managed_identities"],
        printed["tenants"][0]["managed_identities"]
    );
    // SIGTERM ends it cleanly.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
