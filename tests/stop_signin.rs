//! Terraform's Stop (Ctrl-C) interrupts a sign-in that hangs. The provider runs in
//! process behind its tfplugin5 service; its token endpoint (or managed identity
//! endpoint) is a loopback listener that accepts connections and never answers. A call
//! that needs a token is started, StopProvider is sent, and the call must return
//! promptly with an error diagnostic instead of waiting for HTTP timeouts.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use terraform_provider_entra::codec::{msgpack, Type, Value};
use terraform_provider_entra::framework::Server;
use terraform_provider_entra::proto::tfplugin5 as pb;
use terraform_provider_entra::proto::tfplugin5::provider_server::Provider;
use terraform_provider_entra::provider::{access_token, config, federated_credential, new_server};
use tonic::Request;

const TENANT: &str = "11111111-1111-1111-1111-111111111111";
const CLIENT: &str = "22222222-2222-2222-2222-222222222222";
const APP_OBJECT: &str = "33333333-3333-3333-3333-333333333333";

/// A loopback endpoint that accepts connections, reads nothing and never answers; counts
/// the connections so the test knows the request was in flight.
async fn hanging_endpoint() -> (String, Arc<AtomicU32>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicU32::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}

/// An object of type `ty` with every attribute null except `set`.
fn object(ty: &Type, set: &[(&str, Value)]) -> Value {
    let Type::Object(attrs) = ty else {
        panic!("not an object type: {ty:?}")
    };
    let mut m: BTreeMap<String, Value> = attrs.keys().map(|k| (k.clone(), Value::Null)).collect();
    for (k, v) in set {
        assert!(m.contains_key(*k), "no attribute {k}");
        m.insert(k.to_string(), v.clone());
    }
    Value::Object(m)
}

/// [`object`] as Terraform sends it.
fn dynamic_object(ty: &Type, set: &[(&str, Value)]) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue {
        msgpack: msgpack::encode(&object(ty, set), ty).unwrap(),
        json: vec![],
    })
}

/// The provider, configured with `settings`.
async fn configured(settings: &[(&str, Value)]) -> Arc<Server> {
    let server = Arc::new(new_server());
    let resp = server
        .configure(Request::new(pb::configure::Request {
            terraform_version: "1.11.0".into(),
            config: dynamic_object(&config::schema().object_type(), settings),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    server
}

/// Starts `call` on the server, waits until the endpoint got a connection while the call
/// still runs, sends StopProvider, and returns the call's answer, which must come within
/// 5 seconds.
async fn stop_while_hanging<T, F>(
    server: &Arc<Server>,
    accepted: &AtomicU32,
    call: impl FnOnce(Arc<Server>) -> F,
) -> T
where
    T: Send + 'static,
    F: Future<Output = Result<tonic::Response<T>, tonic::Status>> + Send + 'static,
{
    let call = tokio::spawn(call(server.clone()));
    let waiting_since = Instant::now();
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(
            waiting_since.elapsed() < Duration::from_secs(20),
            "the call never reached the endpoint"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!call.is_finished(), "the call should hang on the endpoint");
    server
        .stop(Request::new(pb::stop::Request {}))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(5), call)
        .await
        .expect("Stop did not end the hanging call within 5 s")
        .unwrap()
        .unwrap()
        .into_inner()
}

/// The error diagnostics in one text; there must be at least one, saying it was
/// cancelled.
fn error_text(diagnostics: &[pb::Diagnostic]) -> String {
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.severity == pb::diagnostic::Severity::Error as i32)
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect();
    assert!(!errors.is_empty(), "no error diagnostic: {diagnostics:?}");
    let text = errors.join("\n");
    assert!(text.contains("cancelled"), "{text}");
    text
}

#[tokio::test]
async fn stop_interrupts_a_graph_call_waiting_on_sign_in() {
    let (token_endpoint, accepted) = hanging_endpoint().await;
    let server = configured(&[
        ("tenant_id", Value::string(TENANT)),
        ("client_id", Value::string(CLIENT)),
        ("client_secret", Value::string("a-client-secret")),
        ("authority_host", Value::string(&token_endpoint)),
        ("graph_endpoint", Value::string(&token_endpoint)),
        ("use_cli", Value::Bool(false)),
    ])
    .await;
    let read = Request::new(pb::read_resource::Request {
        current_state: dynamic_object(
            &federated_credential::schema().object_type(),
            &[
                ("application_object_id", Value::string(APP_OBJECT)),
                ("credential_id", Value::string("cred-1")),
                ("name", Value::string("deploy")),
            ],
        ),
        type_name: federated_credential::TYPE_NAME.into(),
        ..Default::default()
    });
    let resp = stop_while_hanging(&server, &accepted, |s| async move {
        s.read_resource(read).await
    })
    .await;
    let text = error_text(&resp.diagnostics);
    assert!(
        !text.contains("a-client-secret"),
        "the secret leaked: {text}"
    );
}

#[tokio::test]
async fn stop_interrupts_a_token_exchange_waiting_on_the_managed_identity() {
    let (msi_endpoint, accepted) = hanging_endpoint().await;
    let server = configured(&[
        ("tenant_id", Value::string(TENANT)),
        ("msi_endpoint", Value::string(&msi_endpoint)),
        ("use_cli", Value::Bool(false)),
    ])
    .await;
    let read = Request::new(pb::read_data_source::Request {
        config: dynamic_object(
            &access_token::schema(false).object_type(),
            &[
                ("client_id", Value::string(CLIENT)),
                (
                    "scopes",
                    Value::List(vec![Value::string("https://graph.microsoft.com/.default")]),
                ),
            ],
        ),
        type_name: access_token::TYPE_NAME.into(),
        ..Default::default()
    });
    let resp = stop_while_hanging(&server, &accepted, |s| async move {
        s.read_data_source(read).await
    })
    .await;
    error_text(&resp.diagnostics);
}
