//! A sign-in method that hands out one bearer token, for Graph client tests against a
//! loopback mock (any token) or the emulator (a token taken from it beforehand).

use async_trait::async_trait;
use terraform_provider_entra::entra::retry::Deadline;
use terraform_provider_entra::entra::signin::{SignInError, SignInMethod};
use terraform_provider_entra::entra::{AccessToken, Secret};

/// Signs in with this token, valid for an hour.
pub struct FixedToken(pub String);

impl FixedToken {
    /// A token a mock accepts without looking.
    pub fn any() -> FixedToken {
        FixedToken("fixed-test-token".into())
    }
}

#[async_trait]
impl SignInMethod for FixedToken {
    fn name(&self) -> &'static str {
        "fixed"
    }
    async fn get_token(&self, _scope: &str, _d: &Deadline) -> Result<AccessToken, SignInError> {
        Ok(AccessToken::new(
            Secret::new(self.0.clone()),
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        ))
    }
}
