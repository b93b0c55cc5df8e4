//! The real services' error shapes: Entra's AADSTS body and Graph's OData envelope.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `{"error", "error_description": "AADSTSnnnn: …", "error_codes", "timestamp", "trace_id", "correlation_id"}`.
pub fn aadsts(status: StatusCode, error: &str, code: u32, message: &str) -> Response {
    let trace_id = uuid::Uuid::new_v4().to_string();
    let correlation_id = uuid::Uuid::new_v4().to_string();
    // Entra's own layouts: "2016-01-09 02:02:12Z", and the description's parts on lines
    // of their own separated by CRLF.
    let timestamp = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]Z"
        ))
        .unwrap_or_default();
    let body = json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {message}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"),
        "error_codes": [code],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    (status, axum::Json(body)).into_response()
}

/// Graph's OData error. `request-id` and `client-request-id` headers are added by the
/// server layer; the body repeats them as Graph does.
pub fn odata(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
    client_request_id: &str,
) -> Response {
    let date = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = json!({
        "error": {
            "code": code,
            "message": message,
            "innerError": {"date": date, "request-id": request_id, "client-request-id": client_request_id}
        }
    });
    (status, axum::Json(body)).into_response()
}
