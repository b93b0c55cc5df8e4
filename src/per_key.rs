//! One shared value per key, made on first use. The per-run caches (tokens, applications,
//! identity lookups, per-application coordination) are built on it, so concurrent callers
//! for one key meet at the same slot and wait for a single request. The map's lock is
//! never held across an `.await`; the values hold their own (async) locks or cells.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use std::sync::Mutex;

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
    pub fn get_or_make(&self, key: K, make: impl FnOnce() -> V) -> Arc<V> {
        // A poisoned map still holds whole entries: inserts cannot be torn.
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key).or_insert_with(|| Arc::new(make())).clone()
    }

    /// The value for `key`, if one was made.
    pub fn existing(&self, key: &K) -> Option<Arc<V>> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.get(key).cloned()
    }
}

impl<K: Eq + Hash, V: Default> PerKey<K, V> {
    /// The value for `key`, empty (`V::default()`) the first time.
    pub fn get(&self, key: K) -> Arc<V> {
        self.get_or_make(key, V::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn one_value_per_key() {
        let m: PerKey<&str, AtomicU32> = PerKey::default();
        m.get("a").fetch_add(1, Ordering::SeqCst);
        m.get("a").fetch_add(1, Ordering::SeqCst);
        assert_eq!(m.get("a").load(Ordering::SeqCst), 2);
        assert_eq!(m.get("b").load(Ordering::SeqCst), 0);
        let made = m.get_or_make("a", || AtomicU32::new(9));
        assert_eq!(made.load(Ordering::SeqCst), 2, "an existing value is kept");
        assert!(m.existing(&"c").is_none());
    }
}
