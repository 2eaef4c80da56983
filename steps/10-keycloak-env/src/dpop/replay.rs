//! Each proof once (RFC 9449 §11.1): the `jti` of every proof accepted
//! within the `iat` window is remembered, and a second proof with it is
//! refused.
//!
//! Bounded: an entry lives only as long as its proof could pass the `iat`
//! check anyway. When the table is full of live entries, the one with the
//! oldest `iat` is forgotten — and from then on no proof with an `iat` that
//! old or older is accepted (the *floor*). So a full table shortens the
//! window; it never lets a forgotten proof through a second time. Only
//! holders of a valid bound token and its key reach this table (the proof's
//! signature and the token are checked first).

use std::collections::{BTreeSet, HashSet};

use sha2::{Digest, Sha256};

use super::proof::ProofError;

/// Entries by default: ~100 bytes each, so about 25 MB at worst.
pub const DEFAULT_CAPACITY: usize = 250_000;

type Key = [u8; 32];

/// The proofs seen within the window.
pub struct ReplayCache {
    seen: HashSet<Key>,
    by_iat: BTreeSet<(i64, Key)>,
    /// Proofs with an `iat` at or below this are refused (see the module doc).
    floor: i64,
    capacity: usize,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            seen: HashSet::new(),
            by_iat: BTreeSet::new(),
            floor: i64::MIN,
            capacity: capacity.max(1),
        }
    }

    /// Remember the proof `jti` of key `thumbprint`, made at `iat`; `Err`
    /// when it was seen before (or may have been, below the floor). Entries
    /// older than `oldest_iat` (the window's start) are forgotten first.
    pub fn record(
        &mut self,
        thumbprint: &str,
        jti: &str,
        iat: i64,
        oldest_iat: i64,
    ) -> Result<(), ProofError> {
        while let Some(&(first_iat, key)) = self.by_iat.first() {
            if first_iat >= oldest_iat {
                break;
            }
            self.by_iat.pop_first();
            self.seen.remove(&key);
        }
        // Scoped by key: one client cannot use up another's jti values.
        let key: Key = Sha256::new()
            .chain_update(thumbprint)
            .chain_update([0])
            .chain_update(jti)
            .finalize()
            .into();
        if iat <= self.floor || self.seen.contains(&key) {
            return Err(ProofError::Replayed);
        }
        if self.seen.len() >= self.capacity {
            if let Some((first_iat, forgotten)) = self.by_iat.pop_first() {
                self.seen.remove(&forgotten);
                self.floor = self.floor.max(first_iat);
            }
            if iat <= self.floor {
                return Err(ProofError::Replayed);
            }
        }
        self.seen.insert(key);
        self.by_iat.insert((iat, key));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl ReplayCache {
        pub(crate) fn len(&self) -> usize {
            self.seen.len()
        }
    }

    #[test]
    fn a_jti_is_accepted_once_per_key() {
        let mut cache = ReplayCache::new(10);
        assert_eq!(cache.record("k1", "a", 100, 0), Ok(()));
        assert_eq!(cache.record("k1", "a", 100, 0), Err(ProofError::Replayed));
        assert_eq!(cache.record("k1", "a", 101, 0), Err(ProofError::Replayed));
        assert_eq!(cache.record("k2", "a", 100, 0), Ok(()), "another key's jti");
        assert_eq!(cache.record("k1", "b", 100, 0), Ok(()));
        // Another key whose text ends in the separator byte is still another key.
        assert_eq!(cache.record("k1\0", "a", 100, 0), Ok(()));
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn entries_outside_the_window_are_forgotten() {
        let mut cache = ReplayCache::new(10);
        cache.record("k", "a", 100, 0).unwrap();
        cache.record("k", "b", 150, 0).unwrap();
        // The window now starts at 120: "a" is gone (its proof fails the iat check anyway).
        cache.record("k", "c", 160, 120).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.record("k", "b", 150, 120), Err(ProofError::Replayed));
    }

    #[test]
    fn a_full_cache_raises_its_floor_instead_of_forgetting_silently() {
        let mut cache = ReplayCache::new(2);
        cache.record("k", "a", 100, 0).unwrap();
        cache.record("k", "b", 105, 0).unwrap();
        // Full: "a" (iat 100) is forgotten, and iat ≤ 100 refused from now on.
        cache.record("k", "c", 110, 0).unwrap();
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.record("k", "a", 100, 0), Err(ProofError::Replayed));
        assert_eq!(cache.record("k", "d", 99, 0), Err(ProofError::Replayed));
        // Newer proofs still pass (evicting "b", floor 105).
        assert_eq!(cache.record("k", "e", 111, 0), Ok(()));
        assert_eq!(cache.record("k", "b", 105, 0), Err(ProofError::Replayed));
        assert_eq!(cache.record("k", "f", 105, 0), Err(ProofError::Replayed));
    }
}
