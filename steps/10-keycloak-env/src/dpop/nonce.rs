//! Server nonces (RFC 9449 §9), behind `--dpop-nonce`: a proof must carry a
//! value this server handed out recently, so a client cannot make proofs in
//! advance (a stolen key plus pre-made proofs is a longer attack window).
//!
//! Stateless: a nonce is its time slot and a MAC over it with a key made at
//! start, so checking one stores nothing. The current and the previous slot
//! are accepted; a client that is refused with `use_dpop_nonce` finds a
//! fresh value in the `DPoP-Nonce` header of that 401 and retries once.
//!
//! The key lives in this process: several instances behind one load
//! balancer each refuse the others' nonces (docs/sender-constrained.md).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Seconds in one nonce slot: a nonce lives one to two slots.
pub const SLOT_SECS: i64 = 60;

/// Makes and checks nonces.
pub struct Nonces {
    key: [u8; 32],
}

impl Nonces {
    /// Nonces under a fresh random key.
    pub fn new() -> Nonces {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        Nonces { key }
    }

    fn mac(&self, slot: i64) -> [u8; 16] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(&slot.to_be_bytes());
        let full = mac.finalize().into_bytes();
        let mut short = [0u8; 16];
        short.copy_from_slice(&full[..16]);
        short
    }

    fn for_slot(&self, slot: i64) -> String {
        let mut bytes = slot.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.mac(slot));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The nonce to hand out at `now`.
    pub fn current(&self, now: i64) -> String {
        self.for_slot(now.div_euclid(SLOT_SECS))
    }

    /// Did this server make `nonce`, in this slot or the one before?
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        if bytes.len() != 24 {
            return false;
        }
        let Ok(slot_bytes) = <[u8; 8]>::try_from(bytes.get(..8).unwrap_or_default()) else {
            return false;
        };
        let slot = i64::from_be_bytes(slot_bytes);
        let current = now.div_euclid(SLOT_SECS);
        if slot != current && slot != current - 1 {
            return false;
        }
        // Compared in constant time (the Mac's verify), so the MAC cannot be guessed byte by byte.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .expect("HMAC takes a key of any length");
        mac.update(&slot_bytes);
        mac.verify_truncated_left(&bytes[8..]).is_ok()
    }
}

impl Default for Nonces {
    fn default() -> Nonces {
        Nonces::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_lives_its_slot_and_the_next() {
        let nonces = Nonces::new();
        let now = 1_000 * SLOT_SECS + 10;
        let nonce = nonces.current(now);
        assert!(nonces.accepts(&nonce, now));
        assert!(nonces.accepts(&nonce, now + SLOT_SECS));
        assert!(!nonces.accepts(&nonce, now + 2 * SLOT_SECS), "too old");
        assert!(!nonces.accepts(&nonce, now - SLOT_SECS), "from the future");
        assert_eq!(nonces.current(now + 1), nonce, "the same within a slot");
    }

    #[test]
    fn only_this_servers_nonces_pass() {
        let ours = Nonces::new();
        let theirs = Nonces::new();
        let now = 5_000;
        assert!(!ours.accepts(&theirs.current(now), now));
        let nonce = ours.current(now);
        let mut bytes = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        bytes[23] ^= 1;
        assert!(
            !ours.accepts(&URL_SAFE_NO_PAD.encode(&bytes), now),
            "tampered MAC"
        );
        assert!(!ours.accepts(&nonce[..20], now), "cut short");
        assert!(!ours.accepts(&format!("{nonce}AA"), now), "made longer");
        for garbage in ["", "!!", "AAAA", "ÿ"] {
            assert!(!ours.accepts(garbage, now), "{garbage:?}");
        }
    }
}
