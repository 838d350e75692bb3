//! Typed handle ids and the checked tables that map them to live objects.
//!
//! Every object the C layer holds on to (server, image, list cursor, operation, event channel)
//! is a small `Copy` id. Ids are process-unique (one counter for every kind, never reused), so a
//! stale, closed or mixed-up id is refused with [`OstError::InvalidArgument`] instead of
//! reaching the wrong object. [`ServerId::raw`] / [`ServerId::from_raw`] (and the same on every
//! kind) convert to and from the `u64` the C layer stores.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ost_model::OstError;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The id the next handle of any kind will get: every id issued so far is below it.
pub(crate) fn next_raw_id() -> u64 {
    NEXT_ID.load(Ordering::Relaxed)
}

macro_rules! handle_id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// The number the C layer stores (never 0).
            pub fn raw(self) -> u64 {
                self.0
            }

            /// An id from a stored number; checked when used, not here.
            pub fn from_raw(raw: u64) -> Self {
                Self(raw)
            }

            /// What kind of handle this is, for messages.
            pub const KIND: &'static str = $what;
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{} handle {}", $what, self.0)
            }
        }

        impl HandleId for $name {
            fn new_id() -> Self {
                Self(NEXT_ID.fetch_add(1, Ordering::Relaxed))
            }
            fn raw_id(self) -> u64 {
                self.0
            }
            fn from_raw_id(raw: u64) -> Self {
                Self(raw)
            }
            fn kind() -> &'static str {
                $what
            }
        }
    };
}

handle_id!(
    /// An open storage server (`stspi_open_server`).
    ServerId,
    "server"
);
handle_id!(
    /// An open image (`stspi_create_image` / `stspi_open_image`).
    ImageHandleId,
    "image"
);
handle_id!(
    /// An open LSU or image list cursor.
    ListId,
    "list"
);
handle_id!(
    /// An asynchronous operation (async copy).
    OpId,
    "operation"
);
handle_id!(
    /// An open event channel.
    EventChannelId,
    "event channel"
);

/// What every id kind provides to [`HandleTable`].
pub(crate) trait HandleId: Copy {
    /// A fresh, never used id.
    fn new_id() -> Self;
    /// Its number.
    fn raw_id(self) -> u64;
    /// The id of a number.
    fn from_raw_id(raw: u64) -> Self;
    /// Its kind, for messages.
    fn kind() -> &'static str;
}

/// Live objects by id.
pub(crate) struct HandleTable<K, V> {
    map: Mutex<HashMap<u64, Arc<V>>>,
    _kind: std::marker::PhantomData<K>,
}

impl<K: HandleId, V> Default for HandleTable<K, V> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            _kind: std::marker::PhantomData,
        }
    }
}

impl<K: HandleId, V> HandleTable<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<V>>> {
        // A panic while holding the lock cannot leave the map half-updated (single inserts
        // and removes), so a poisoned lock is still usable.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Stores `value` under a new id.
    pub(crate) fn insert(&self, value: Arc<V>) -> K {
        let id = K::new_id();
        self.lock().insert(id.raw_id(), value);
        id
    }

    /// The object of `id`, or an invalid-argument error naming the kind.
    pub(crate) fn get(&self, id: K) -> Result<Arc<V>, OstError> {
        self.lock()
            .get(&id.raw_id())
            .cloned()
            .ok_or_else(|| stale::<K>(id))
    }

    /// Stores `value` under an id issued earlier (a forked child re-opening the parent's
    /// server under the handle the parent returned).
    pub(crate) fn insert_at(&self, id: K, value: Arc<V>) {
        self.lock().insert(id.raw_id(), value);
    }

    /// Removes and returns the object of `id`.
    pub(crate) fn remove(&self, id: K) -> Result<Arc<V>, OstError> {
        self.lock()
            .remove(&id.raw_id())
            .ok_or_else(|| stale::<K>(id))
    }

    /// Removes every object.
    pub(crate) fn drain(&self) -> Vec<Arc<V>> {
        self.lock().drain().map(|(_, v)| v).collect()
    }

    /// The objects matching `pred`, removed.
    pub(crate) fn remove_where(&self, pred: impl Fn(&V) -> bool) -> Vec<Arc<V>> {
        let mut map = self.lock();
        let ids: Vec<u64> = map
            .iter()
            .filter(|(_, v)| pred(v))
            .map(|(k, _)| *k)
            .collect();
        ids.iter().filter_map(|k| map.remove(k)).collect()
    }

    /// The first object matching `pred`.
    pub(crate) fn find(&self, pred: impl Fn(&V) -> bool) -> Option<Arc<V>> {
        self.lock().values().find(|v| pred(v)).cloned()
    }

    /// The id of the first object matching `pred`.
    pub(crate) fn find_id(&self, pred: impl Fn(&Arc<V>) -> bool) -> Option<K> {
        self.lock()
            .iter()
            .find(|(_, v)| pred(v))
            .map(|(k, _)| K::from_raw_id(*k))
    }

    /// Number of live objects.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

fn stale<K: HandleId>(id: K) -> OstError {
    OstError::InvalidArgument {
        cause: format!("unknown or closed {} handle {}", K::kind(), id.raw_id()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_checked() {
        let table: HandleTable<ServerId, String> = HandleTable::default();
        let a = table.insert(Arc::new("a".into()));
        let b = table.insert(Arc::new("b".into()));
        assert_ne!(a, b);
        assert_ne!(a.raw(), 0);
        assert_eq!(*table.get(a).unwrap(), "a");
        table.remove(a).unwrap();
        let err = table.get(a).unwrap_err();
        assert!(err.cause().contains("server handle"), "{err}");
        assert!(table.get(ServerId::from_raw(0)).is_err());
        assert_eq!(table.len(), 1);
    }
}
