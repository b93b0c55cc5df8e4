//! Audiences: exactly one, and with an Entra issuer the cloud's token exchange audience.

use super::subject::{field_length, no_wildcard};
use crate::cloud::Cloud;
use crate::rules::{quote, Finding};

/// Whether `aud` is Entra's token exchange audience: the cloud's, or any cloud's while
/// the cloud is not known.
pub fn is_exchange_audience(aud: &str, cloud: Option<Cloud>) -> bool {
    match cloud {
        Some(cloud) => aud == cloud.token_exchange_audience(),
        None => Cloud::ALL
            .iter()
            .any(|c| c.token_exchange_audience() == aud),
    }
}

/// With an Entra issuer the audience should be the exchange audience of the cloud; when
/// the cloud is not known yet, any cloud's exchange audience is accepted.
pub fn check_exchange_audience(aud: &str, cloud: Option<Cloud>) -> Option<Finding> {
    if aud.is_empty() || aud.contains('*') {
        return None; // reported by check_audiences
    }
    let want = match cloud {
        Some(cloud) => cloud.token_exchange_audience().to_string(),
        None => "api://AzureADTokenExchange (public cloud)".to_string(),
    };
    (!is_exchange_audience(aud, cloud)).then(|| {
        Finding::error(
            "audiences",
            "audiences.not_exchange_audience",
            format!("Entra's token exchange audience is {want}"),
            format!(
                "Got {}. Managed identity and Entra-issued tokens for the exchange are requested for the cloud's exchange audience; another audience fails with AADSTS700212 unless your token source uses it too.",
                quote(aud)
            ),
        ).warning_only()
    })
}

/// Exactly one audience of 1-600 characters without wildcards.
pub fn check_audiences(audiences: &[String]) -> Vec<Finding> {
    let mut out = Vec::new();
    if audiences.len() != 1 {
        out.push(
            Finding::error(
                "audiences",
                "audiences.exactly_one",
                "audiences must hold exactly one value",
                format!(
                    "Got {} values. Entra accepts exactly one audience per federated credential; for the exchange it is api://AzureADTokenExchange in the public cloud.",
                    audiences.len()
                ),
            )
            .by_graph(),
        );
    }
    for (i, aud) in audiences.iter().enumerate() {
        let length = field_length("audiences", "audiences.length", "each audience", aud, 1);
        let wildcard = no_wildcard("audiences", "audiences.wildcard", aud, "");
        out.extend(length.into_iter().chain(wildcard).map(|f| f.at(i)));
    }
    out
}
