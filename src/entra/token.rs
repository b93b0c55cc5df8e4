//! Access tokens as every credential source returns them.

use time::OffsetDateTime;

use super::secret::Secret;

/// A bearer token with its lifetime.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub token: Secret,
    pub expires_on: OffsetDateTime,
    /// When the issuer asks to refresh early (managed identity `refresh_in`); `None` means
    /// "refresh when [`AccessToken::REFRESH_MARGIN`] remains".
    pub refresh_on: Option<OffsetDateTime>,
}

impl AccessToken {
    /// Tokens are reused while more than this remains (the Azure SDKs use 5 minutes).
    pub const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

    pub fn new(token: Secret, expires_on: OffsetDateTime) -> Self {
        AccessToken {
            token,
            expires_on,
            refresh_on: None,
        }
    }

    /// Whether a cached token can still be handed out at `now`.
    pub fn is_fresh_at(&self, now: OffsetDateTime) -> bool {
        if let Some(refresh_on) = self.refresh_on {
            if now >= refresh_on {
                return false;
            }
        }
        self.expires_on - now > Self::REFRESH_MARGIN
    }

    pub fn is_fresh(&self) -> bool {
        self.is_fresh_at(OffsetDateTime::now_utc())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_until_five_minutes_before_expiry() {
        let now = OffsetDateTime::now_utc();
        let t = AccessToken::new(Secret::new("t"), now + time::Duration::minutes(10));
        assert!(t.is_fresh_at(now));
        assert!(t.is_fresh_at(now + time::Duration::minutes(4)));
        assert!(!t.is_fresh_at(now + time::Duration::minutes(6)));
    }

    #[test]
    fn refresh_on_wins_when_earlier() {
        let now = OffsetDateTime::now_utc();
        let mut t = AccessToken::new(Secret::new("t"), now + time::Duration::hours(1));
        t.refresh_on = Some(now + time::Duration::minutes(1));
        assert!(t.is_fresh_at(now));
        assert!(!t.is_fresh_at(now + time::Duration::minutes(2)));
    }
}
