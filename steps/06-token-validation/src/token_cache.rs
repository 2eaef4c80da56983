//! A small cache of tokens that already passed validation.
//!
//! An RS256 check costs tens of microseconds of big-number arithmetic; a
//! client sends the *same* token with every request until it expires. So
//! once a token has been fully validated, we remember the result under the
//! SHA-256 of the token text until the token's own `exp`:
//!
//! - the key is a hash, so the cache holds no bearer credential;
//! - only the exact same bytes hit — a tampered token has another hash and
//!   goes through full validation (and fails);
//! - an entry is never used past the token's expiry;
//! - the size is bounded: when full, expired entries are dropped, and if
//!   that is not enough the cache starts over (simple, and always correct —
//!   a miss just costs one verification).
//!
//! The trade-off, said plainly: a cached token is not re-checked against
//! the key set until it expires. With local keys that changes nothing; with
//! a provider's keys (step 9) a *removed* key keeps its already-seen tokens
//! alive until their `exp` — as any stateless JWT validation does anyway.

use std::{collections::HashMap, sync::RwLock};

use sha2::{Digest, Sha256};

use crate::identity::Identity;

/// How many validated tokens to remember.
pub const DEFAULT_CAPACITY: usize = 10_000;

pub struct TokenCache {
    /// Read on every request, written once per new token: a read-write lock.
    entries: RwLock<HashMap<[u8; 32], (Identity, i64)>>,
    capacity: usize,
}

impl TokenCache {
    pub fn new(capacity: usize) -> TokenCache {
        TokenCache {
            entries: RwLock::new(HashMap::new()),
            capacity,
        }
    }

    fn key(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// The identity of `token` if it was validated before and has not
    /// expired at `now` (Unix seconds).
    pub fn get(&self, token: &str, now: i64) -> Option<Identity> {
        if self.capacity == 0 {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&TokenCache::key(token))
            .filter(|(_, until)| *until > now)
            .map(|(identity, _)| identity.clone())
    }

    /// Remember that `token` is valid for `identity` (until its `exp`).
    pub fn insert(&self, token: &str, identity: Identity, now: i64) {
        let until = identity.expires_at;
        self.insert_until(token, identity, until, now);
    }

    /// Remember `token` until `until` (Unix seconds) — for callers that must
    /// re-check sooner than the token's `exp` (step 10's introspection).
    pub fn insert_until(&self, token: &str, identity: Identity, until: i64, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity {
            entries.retain(|_, (_, until)| *until > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        let until = until.min(identity.expires_at);
        entries.insert(TokenCache::key(token), (identity, until));
    }

    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn identity(exp: i64) -> Identity {
        Identity::from_claims(json!({"sub": "s", "exp": exp}).as_object().unwrap().clone()).unwrap()
    }

    #[test]
    fn hits_only_the_same_token_and_only_before_exp() {
        let cache = TokenCache::new(10);
        cache.insert("token-a", identity(100), 50);
        assert!(cache.get("token-a", 99).is_some());
        assert!(cache.get("token-a", 100).is_none(), "expired at exp");
        assert!(cache.get("token-b", 50).is_none());
        assert!(cache.get("token-a ", 50).is_none());
    }

    #[test]
    fn stays_bounded() {
        let cache = TokenCache::new(3);
        for i in 0..10 {
            cache.insert(&format!("t{i}"), identity(1000), 0);
            assert!(cache.len() <= 3);
        }
        // Expired entries are dropped first.
        let cache = TokenCache::new(2);
        cache.insert("old", identity(5), 0);
        cache.insert("live", identity(100), 0);
        cache.insert("new", identity(100), 10);
        assert!(cache.get("live", 10).is_some());
        assert!(cache.get("new", 10).is_some());
    }

    #[test]
    fn capacity_zero_disables_it() {
        let cache = TokenCache::new(0);
        cache.insert("t", identity(100), 0);
        assert!(cache.get("t", 0).is_none());
    }
}
