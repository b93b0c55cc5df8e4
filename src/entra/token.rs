//! Access tokens as every sign-in method returns them, and their cache.

use time::OffsetDateTime;

use super::secret::Secret;
use crate::per_key::PerKey;

/// A bearer token with its lifetime.
#[derive(Clone, Debug)]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// When it expires.
    pub expires_on: OffsetDateTime,
    /// When the issuer asks to refresh early (managed identity `refresh_in`); `None` means
    /// "refresh when [`AccessToken::REFRESH_MARGIN`] remains".
    pub refresh_on: Option<OffsetDateTime>,
}

impl AccessToken {
    /// Tokens are reused while more than this remains (the Azure SDKs use 5 minutes).
    pub const REFRESH_MARGIN: time::Duration = time::Duration::minutes(5);

    /// A token without an early refresh time.
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

    /// Whether a cached token can still be handed out now.
    pub fn is_fresh(&self) -> bool {
        self.is_fresh_at(OffsetDateTime::now_utc())
    }
}

/// Tokens cached per key. Concurrent callers for one key wait for a single fetch, so a
/// burst of 50 data sources costs one request, not 50.
pub struct TokenCache<K> {
    slots: PerKey<K, tokio::sync::Mutex<Option<AccessToken>>>,
}

impl<K> Default for TokenCache<K> {
    fn default() -> Self {
        TokenCache {
            slots: PerKey::default(),
        }
    }
}

impl<K: Eq + std::hash::Hash + Clone> TokenCache<K> {
    /// The cached token while fresh, else the result of `fetch` (cached on success).
    pub async fn get_or_fetch<E, F, Fut>(&self, key: &K, fetch: F) -> Result<AccessToken, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<AccessToken, E>>,
    {
        let slot = self.slots.get(key.clone());
        let mut cached = slot.lock().await;
        if let Some(t) = cached.as_ref().filter(|t| t.is_fresh()) {
            return Ok(t.clone());
        }
        let t = fetch().await?;
        *cached = Some(t.clone());
        Ok(t)
    }

    /// Drops a cached token, e.g. when Entra says it expired.
    pub async fn forget(&self, key: &K) {
        if let Some(slot) = self.slots.existing(key) {
            *slot.lock().await = None;
        }
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
