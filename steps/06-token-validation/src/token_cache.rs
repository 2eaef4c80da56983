//! A small cache of tokens that already passed validation.
//!
//! An RS256 check costs tens of microseconds of big-number arithmetic; a
//! client sends the *same* token with every request until it expires. So
//! once a token has been fully validated, we remember the result under the
//! SHA-256 of the token text, for a short while:
//!
//! - the key is a hash, so the cache holds no bearer credential;
//! - only the exact same bytes hit — a tampered token has another hash and
//!   goes through full validation (and fails);
//! - an entry lives until the token's `exp` or for [`MAX_ENTRY_SECS`]
//!   (60 s), whichever comes first, so anything the validator would check
//!   again is checked again within a minute;
//! - an entry remembers the `kid` that signed the token, and the validator
//!   uses it only while that kid is still in the current key set. When a
//!   provider drops a key — the standard answer to a leaked key — every
//!   token it signed stops working at once, cached or not;
//! - the size is bounded, and making room costs O(1) (see [`TokenCache::insert`]).
//!
//! What stateless validation still cannot see: a token *revoked* at the
//! provider while its key stays published. That needs introspection (step 10).

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, Ordering},
    },
};

use sha2::{Digest, Sha256};

use crate::identity::Identity;

/// How many validated tokens to remember.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// The longest an entry is trusted without validating the token again.
pub const MAX_ENTRY_SECS: i64 = 60;

type Key = [u8; 32];

struct Entry {
    identity: Identity,
    /// The key that signed the token (`None` for answers that came from
    /// introspection rather than from a signature).
    kid: Option<Arc<str>>,
    until: i64,
    /// Set on every hit; cleared when the eviction hand passes by.
    used: AtomicBool,
}

#[derive(Default)]
struct Entries {
    map: HashMap<Key, Entry>,
    /// Every key of `map`, once, oldest first: the eviction hand's circle.
    circle: VecDeque<Key>,
}

/// A cache hit: who the token is for, and which key signed it.
pub struct Hit {
    pub identity: Identity,
    pub kid: Option<Arc<str>>,
}

pub struct TokenCache {
    /// Read on every request, written once per new token: a read-write lock.
    entries: RwLock<Entries>,
    capacity: usize,
}

impl TokenCache {
    pub fn new(capacity: usize) -> TokenCache {
        TokenCache {
            entries: RwLock::new(Entries::default()),
            capacity,
        }
    }

    fn key(token: &str) -> Key {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The identity of `token` if it was validated before and its entry is
    /// still live at `now` (Unix seconds).
    pub fn get(&self, token: &str, now: i64) -> Option<Hit> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.map.get(&TokenCache::key(token))?;
        if entry.until <= now {
            return None;
        }
        // A relaxed store under the read lock: readers never wait for each other.
        entry.used.store(true, Ordering::Relaxed);
        Some(Hit {
            identity: entry.identity.clone(),
            kid: entry.kid.clone(),
        })
    }

    /// Remember that `token`, signed by `kid`, is valid for `identity` —
    /// until `until` (Unix seconds), its `exp`, or [`MAX_ENTRY_SECS`] from
    /// `now`, whichever is first.
    ///
    /// When the cache is full, one entry makes room, chosen by the "clock"
    /// (second-chance) rule: a hand walks round the entries oldest first;
    /// an expired entry, or one not used since the hand last passed, goes;
    /// a used one loses its mark and stays for another lap. That keeps the
    /// tokens in active use and evicts one-off tokens first — someone
    /// minting thousands of fresh tokens pushes out other one-off tokens,
    /// not every client's — and each entry is passed at most once per lap,
    /// so the work per insert is constant on average.
    pub fn insert(&self, token: &str, identity: Identity, kid: Option<&str>, until: i64, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let until = until.min(identity.expires_at).min(now + MAX_ENTRY_SECS);
        let entry = Entry {
            identity,
            kid: kid.map(Arc::from),
            until,
            used: AtomicBool::new(false),
        };
        let key = TokenCache::key(token);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = entries.map.get_mut(&key) {
            *existing = entry; // already on the circle
            return;
        }
        while entries.map.len() >= self.capacity {
            entries.evict_one(now);
        }
        entries.map.insert(key, entry);
        entries.circle.push_back(key);
    }

    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Entries {
    /// Move the clock hand until one entry is gone.
    fn evict_one(&mut self, now: i64) {
        while let Some(key) = self.circle.pop_front() {
            let Some(entry) = self.map.get(&key) else {
                continue;
            };
            if entry.until > now && entry.used.swap(false, Ordering::Relaxed) {
                self.circle.push_back(key); // a second chance
                continue;
            }
            self.map.remove(&key);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(exp: i64) -> Identity {
        Identity::from_claims(json!({"sub": "s", "exp": exp}).as_object().unwrap().clone()).unwrap()
    }

    fn put(cache: &TokenCache, token: &str, exp: i64, now: i64) {
        cache.insert(token, identity(exp), Some("k1"), exp, now);
    }

    #[test]
    fn hits_only_the_same_token_and_only_before_exp() {
        let cache = TokenCache::new(10);
        put(&cache, "token-a", 100, 50);
        let hit = cache.get("token-a", 99).unwrap();
        assert_eq!(hit.kid.as_deref(), Some("k1"));
        assert!(cache.get("token-a", 100).is_none(), "expired at exp");
        assert!(cache.get("token-b", 50).is_none());
        assert!(cache.get("token-a ", 50).is_none());
    }

    #[test]
    fn an_entry_is_trusted_for_a_minute_at_most() {
        let cache = TokenCache::new(10);
        put(&cache, "long", 10_000, 0);
        assert!(cache.get("long", MAX_ENTRY_SECS - 1).is_some());
        assert!(cache.get("long", MAX_ENTRY_SECS).is_none());
    }

    #[test]
    fn stays_bounded() {
        let cache = TokenCache::new(3);
        for i in 0..10 {
            put(&cache, &format!("t{i}"), 1000, 0);
            assert!(cache.len() <= 3);
        }
    }

    #[test]
    fn a_flood_of_one_off_tokens_does_not_flush_the_tokens_in_use() {
        // The old cache cleared itself when full: one user minting tokens
        // cost every other client a signature check.
        let cache = TokenCache::new(100);
        for i in 0..50 {
            put(&cache, &format!("in-use-{i}"), 1000, 0);
        }
        for round in 0..20 {
            for i in 0..50 {
                assert!(
                    cache.get(&format!("in-use-{i}"), 1).is_some(),
                    "in-use-{i} was evicted in round {round}"
                );
            }
            // Fewer one-off tokens than the cache holds between two uses
            // (more, and an LRU would evict the tokens in use too).
            for j in 0..40 {
                put(&cache, &format!("minted-{round}-{j}"), 1000, 1);
            }
            assert!(cache.len() <= 100);
        }
    }

    #[test]
    fn expired_entries_go_first() {
        let cache = TokenCache::new(2);
        put(&cache, "old", 5, 0);
        put(&cache, "live", 100, 0);
        cache.get("old", 1);
        put(&cache, "new", 100, 10);
        assert!(cache.get("live", 10).is_some());
        assert!(cache.get("new", 10).is_some());
    }

    #[test]
    fn capacity_zero_disables_it() {
        let cache = TokenCache::new(0);
        put(&cache, "t", 100, 0);
        assert!(cache.get("t", 0).is_none());
    }
}
