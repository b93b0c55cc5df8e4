//! One shared value per key, made on first use. The per-run caches (tokens, applications,
//! identity lookups, per-application coordination) are built on it, so concurrent callers
//! for one key meet at the same slot and wait for a single request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use tokio::sync::Mutex;

/// Values by key; each is created once, the first time its key is asked for.
pub struct PerKey<K, V> {
    slots: Mutex<HashMap<K, Arc<V>>>,
}

impl<K, V> Default for PerKey<K, V> {
    fn default() -> Self {
        PerKey {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash, V> PerKey<K, V> {
    /// The value for `key`, made with `make` if the key is new; every caller for the key
    /// gets the same value.
    pub async fn get_or_make(&self, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        let mut slots = self.slots.lock().await;
        slots.entry(key).or_insert_with(|| Arc::new(make())).clone()
    }

    /// The value for `key`, if one was made.
    pub async fn existing(&self, key: &K) -> Option<Arc<V>> {
        self.slots.lock().await.get(key).cloned()
    }
}

impl<K: Eq + Hash, V: Default> PerKey<K, V> {
    /// The value for `key`, empty (`V::default()`) the first time.
    pub async fn get(&self, key: K) -> Arc<V> {
        self.get_or_make(key, V::default).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_value_per_key() {
        let m: PerKey<&str, Mutex<u32>> = PerKey::default();
        *m.get("a").await.lock().await += 1;
        *m.get("a").await.lock().await += 1;
        assert_eq!(*m.get("a").await.lock().await, 2);
        assert_eq!(*m.get("b").await.lock().await, 0);
        let made = m.get_or_make("a", || Mutex::new(9)).await;
        assert_eq!(*made.lock().await, 2, "an existing value is kept");
        assert!(m.existing(&"c").await.is_none());
    }
}
