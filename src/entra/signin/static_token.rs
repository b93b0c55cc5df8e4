//! `access_token`: a ready bearer token, used as is.

use async_trait::async_trait;

use super::inputs::{Applies, Inputs};
use super::{SignInError, SignInMethod};
use crate::entra::retry::Deadline;
use crate::entra::{AccessToken, Secret};

/// A given bearer token; its expiry is read from its `exp` claim (one hour when absent).
pub struct StaticToken {
    /// The token.
    pub token: Secret,
}

#[async_trait]
impl SignInMethod for StaticToken {
    fn name(&self) -> &'static str {
        "access token"
    }

    async fn get_token(&self, _scope: &str, _d: &Deadline) -> Result<AccessToken, SignInError> {
        let exp = crate::entra::jwt::claims(self.token.expose())
            .and_then(|c| c.get("exp").and_then(|v| v.as_i64()))
            .and_then(|e| time::OffsetDateTime::from_unix_timestamp(e).ok())
            .unwrap_or_else(|| time::OffsetDateTime::now_utc() + time::Duration::hours(1));
        Ok(AccessToken::new(self.token.clone(), exp))
    }
}

/// Applies when `access_token` is set.
pub(super) fn from_settings(i: &Inputs<'_>) -> Result<Applies, String> {
    Ok(match &i.settings().access_token {
        Some(token) => Applies::Yes(std::sync::Arc::new(StaticToken {
            token: token.clone(),
        })),
        None => Applies::No(format!("{} is not set", i.describe("access_token"))),
    })
}
