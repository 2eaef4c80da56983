//! Who holds the connections: a share per client address, and fewer
//! keep-alives when the server is nearly full.
//!
//! A global cap alone (`--max-connections`) lets one client take every slot:
//! 511 keep-alive connections that each send a request every few seconds,
//! and every other client waits in the kernel's accept queue for as long as
//! the attacker likes. So, on top of the cap:
//!
//! ```text
//! a client address holding --max-connections-per-client (cap/8) → its next connection is closed at once
//! open connections above 7/8 of the cap                        → answers say "Connection: close",
//!                                                                 so idle keep-alives give slots back
//! ```
//!
//! An address is an IP address (IPv4, or IPv6 as is — a client with a whole
//! IPv6 prefix can still spread out; a reverse proxy in front sees one
//! address, the proxy's, and needs its own per-client limits).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, Ordering},
    },
};

/// The table of open connections per client address.
pub struct Admission {
    max: u32,
    per_client: u32,
    /// Open connections; read on every answer without taking the lock.
    open: AtomicU32,
    by_client: Mutex<HashMap<IpAddr, u32>>,
}

/// One admitted connection; gives its place back when dropped.
pub struct Ticket {
    admission: Arc<Admission>,
    client: IpAddr,
}

impl Admission {
    pub fn new(max: u32, per_client: u32) -> Arc<Admission> {
        Arc::new(Admission {
            max,
            per_client,
            open: AtomicU32::new(0),
            by_client: Mutex::new(HashMap::new()),
        })
    }

    fn by_client(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        self.by_client.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a connection from `client`, or `None` when that address
    /// already holds its share.
    pub fn admit(self: &Arc<Admission>, client: IpAddr) -> Option<Ticket> {
        let client = client.to_canonical();
        let mut by_client = self.by_client();
        let held = by_client.entry(client).or_insert(0);
        if *held >= self.per_client {
            return None;
        }
        *held += 1;
        self.open.fetch_add(1, Ordering::Relaxed);
        Some(Ticket {
            admission: Arc::clone(self),
            client,
        })
    }

    /// More than 7/8 of the slots are taken: stop offering keep-alive.
    pub fn nearly_full(&self) -> bool {
        u64::from(self.open.load(Ordering::Relaxed)) * 8 > u64::from(self.max) * 7
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut by_client = self.admission.by_client();
        self.admission.open.fetch_sub(1, Ordering::Relaxed);
        if let Some(held) = by_client.get_mut(&self.client) {
            *held -= 1;
            if *held == 0 {
                by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_gets_its_share_and_gives_it_back() {
        let admission = Admission::new(8, 2);
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert!(admission.admit(a).is_none(), "a third for the same address");
        assert!(
            admission.admit(b).is_some(),
            "another address is not affected"
        );
        drop(first);
        assert!(
            admission.admit(a).is_some(),
            "a place given back is reusable"
        );
    }

    #[test]
    fn an_ipv4_mapped_address_is_the_same_client() {
        let admission = Admission::new(8, 1);
        let _held = admission.admit("127.0.0.2".parse().unwrap()).unwrap();
        assert!(
            admission
                .admit("::ffff:127.0.0.2".parse().unwrap())
                .is_none()
        );
    }

    #[test]
    fn nearly_full_above_seven_eighths() {
        let admission = Admission::new(8, 8);
        let ip: IpAddr = "127.0.0.2".parse().unwrap();
        let mut held: Vec<Ticket> = (0..7).map(|_| admission.admit(ip).unwrap()).collect();
        assert!(!admission.nearly_full(), "7 of 8");
        held.push(admission.admit(ip).unwrap());
        assert!(admission.nearly_full(), "8 of 8");
        held.pop();
        assert!(!admission.nearly_full());
    }
}
