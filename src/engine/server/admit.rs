//! Who gets a place on the server: connections waiting for hello (capped in all and per address), then clients
//! (capped per token and per address, with a share kept for supervisors and admins). And the summary log of
//! refusals, so a flood of them is a line per address and cause every few seconds, not a line each.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::Limits;
use crate::model::Role;

/// How often the summary of refused connections is logged.
pub(super) const SUMMARY_EVERY: Duration = Duration::from_secs(10);
/// (address, cause) pairs the summary keeps per interval; more are counted under "other addresses".
const SUMMARY_KEYS_MAX: usize = 1000;

/// Why a connection was not given a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Too many connections are waiting to say hello.
    PendingFull { max: usize },
    /// Too many connections from this address are waiting to say hello.
    AddressPending { max: usize },
    /// This address has as many connections open as it may.
    AddressFull { max: usize },
    /// This token has as many connections open as it may.
    TokenFull { user: String, max: usize },
    /// The places left are kept for supervisors and admins.
    ViewersFull { max: usize, kept: usize },
    /// Every place is taken.
    Full { max: usize },
}

impl Refusal {
    /// One sentence for the client: what limit, and what to do.
    pub fn sentence(&self) -> String {
        match self {
            Refusal::PendingFull { max } => {
                format!("{max} connections are already waiting to say hello, the engine's limit: try again shortly")
            }
            Refusal::AddressPending { max } => format!(
                "{max} connections from your address are already waiting to say hello, the limit: say hello on those first"
            ),
            Refusal::AddressFull { max } => {
                format!("your address has {max} connections open, the most one address may have: close one first")
            }
            Refusal::TokenFull { user, max } => format!(
                "{user} has {max} connections open, the most one token may have: close one (or ask the operator for a token of your own)"
            ),
            Refusal::ViewersFull { max, kept } => format!(
                "every place a viewer may take is taken (the last {kept} of {max} places are kept for supervisors and admins): try again later"
            ),
            Refusal::Full { max } => format!("the engine serves {max} clients already, its limit: try again later"),
        }
    }

    /// The cause, as the summary log names it.
    pub fn cause(&self) -> &'static str {
        match self {
            Refusal::PendingFull { .. } => "too many connections waiting for hello",
            Refusal::AddressPending { .. } => "too many connections from the address waiting for hello",
            Refusal::AddressFull { .. } => "the address's connection limit",
            Refusal::TokenFull { .. } => "the token's connection limit",
            Refusal::ViewersFull { .. } => "the places viewers may take are taken",
            Refusal::Full { .. } => "the server is full",
        }
    }
}

/// The limits the gate applies (from [`Limits`]).
#[derive(Debug, Clone, Copy)]
struct Caps {
    pending: usize,
    pending_per_address: usize,
    per_address: usize,
    per_token: usize,
    clients: usize,
    staff_reserved: usize,
}

#[derive(Debug, Default)]
struct Counts {
    pending: usize,
    clients: usize,
    by_addr: HashMap<IpAddr, AddrUse>,
    by_user: HashMap<String, usize>,
}

#[derive(Debug, Default, Clone, Copy)]
struct AddrUse {
    pending: usize,
    /// Pending and seated connections from the address.
    open: usize,
}

/// Counts places. A place is held by a [`Pending`] (from accept to hello) or a [`Seat`] (from hello to the end of
/// the connection), and given back when that is dropped.
#[derive(Debug)]
pub(super) struct Gate {
    caps: Caps,
    counts: Mutex<Counts>,
}

impl Gate {
    pub fn new(limits: &Limits) -> Gate {
        Gate {
            caps: Caps {
                pending: limits.max_pending_hello,
                pending_per_address: limits.max_pending_hello_per_address,
                per_address: limits.max_per_address,
                per_token: limits.max_per_token,
                clients: limits.max_clients,
                staff_reserved: limits.staff_reserved.min(limits.max_clients),
            },
            counts: Mutex::new(Counts::default()),
        }
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // Counters stay consistent under a panic elsewhere: every change is made whole under the lock.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place to say hello in, for a connection just accepted from `addr`.
    pub fn arrive(self: &Arc<Self>, addr: IpAddr) -> Result<Pending, Refusal> {
        let caps = self.caps;
        let mut c = self.counts();
        let used = c.by_addr.get(&addr).copied().unwrap_or_default();
        if c.pending >= caps.pending {
            return Err(Refusal::PendingFull { max: caps.pending });
        }
        if used.pending >= caps.pending_per_address {
            return Err(Refusal::AddressPending { max: caps.pending_per_address });
        }
        if used.open >= caps.per_address {
            return Err(Refusal::AddressFull { max: caps.per_address });
        }
        c.pending += 1;
        let a = c.by_addr.entry(addr).or_default();
        a.pending += 1;
        a.open += 1;
        Ok(Pending { gate: self.clone(), addr, seated: false })
    }

    /// Connections waiting for hello, and clients, now.
    #[cfg(test)]
    pub fn load(&self) -> (usize, usize) {
        let c = self.counts();
        (c.pending, c.clients)
    }

    fn leave_addr(c: &mut Counts, addr: IpAddr, pending: bool) {
        if let Some(a) = c.by_addr.get_mut(&addr) {
            a.open = a.open.saturating_sub(1);
            if pending {
                a.pending = a.pending.saturating_sub(1);
            }
            if a.open == 0 {
                c.by_addr.remove(&addr);
            }
        }
    }
}

/// A connection's place while it has not said hello.
#[derive(Debug)]
pub(super) struct Pending {
    gate: Arc<Gate>,
    addr: IpAddr,
    seated: bool,
}

impl Pending {
    /// Turns the place into a client's, for `user` (the token's name) with `role`. On refusal the place is given
    /// back.
    pub fn seat(mut self, user: &str, role: Role) -> Result<Seat, Refusal> {
        let caps = self.gate.caps;
        let mut c = self.gate.counts();
        let theirs = c.by_user.get(user).copied().unwrap_or(0);
        if theirs >= caps.per_token {
            return Err(Refusal::TokenFull { user: user.to_string(), max: caps.per_token });
        }
        if c.clients >= caps.clients {
            return Err(Refusal::Full { max: caps.clients });
        }
        if !role.is_staff() && c.clients >= caps.clients - caps.staff_reserved {
            return Err(Refusal::ViewersFull { max: caps.clients, kept: caps.staff_reserved });
        }
        c.pending = c.pending.saturating_sub(1);
        if let Some(a) = c.by_addr.get_mut(&self.addr) {
            a.pending = a.pending.saturating_sub(1);
        }
        c.clients += 1;
        *c.by_user.entry(user.to_string()).or_insert(0) += 1;
        drop(c);
        self.seated = true;
        Ok(Seat { gate: self.gate.clone(), addr: self.addr, user: user.to_string() })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if self.seated {
            return;
        }
        let mut c = self.gate.counts();
        c.pending = c.pending.saturating_sub(1);
        Gate::leave_addr(&mut c, self.addr, true);
    }
}

/// A client's place, from hello to the end of its connection.
#[derive(Debug)]
pub(super) struct Seat {
    gate: Arc<Gate>,
    addr: IpAddr,
    user: String,
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut c = self.gate.counts();
        c.clients = c.clients.saturating_sub(1);
        if let Some(n) = c.by_user.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.by_user.remove(&self.user);
            }
        }
        Gate::leave_addr(&mut c, self.addr, false);
    }
}

/// Refused connections by address and cause since the last report.
#[derive(Debug, Default)]
pub(super) struct Tally {
    counts: Mutex<HashMap<(Option<IpAddr>, &'static str), u64>>,
}

impl Tally {
    /// Counts one refusal of a connection from `addr` for `cause`.
    pub fn note(&self, addr: IpAddr, cause: &'static str) {
        let mut m = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let key = if m.len() < SUMMARY_KEYS_MAX || m.contains_key(&(Some(addr), cause)) {
            (Some(addr), cause)
        } else {
            (None, cause)
        };
        *m.entry(key).or_insert(0) += 1;
    }

    /// The lines to log for what was counted since the last call (one per address and cause), and starts afresh.
    pub fn report(&self, every: Duration) -> Vec<String> {
        let m = std::mem::take(&mut *self.counts.lock().unwrap_or_else(PoisonError::into_inner));
        let mut rows: Vec<((Option<IpAddr>, &'static str), u64)> = m.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.into_iter()
            .map(|((addr, cause), n)| {
                let from = addr.map_or_else(|| "other addresses".to_string(), |a| a.to_string());
                let s = if n == 1 { "" } else { "s" };
                format!("refused {n} connection{s} from {from} in the last {} s: {cause}", every.as_secs())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(limits: Limits) -> Arc<Gate> {
        Arc::new(Gate::new(&limits))
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4([10, 0, 0, last].into())
    }

    #[test]
    fn connections_waiting_for_hello_are_capped_in_all_and_per_address() {
        let g = gate(Limits { max_pending_hello: 4, max_pending_hello_per_address: 3, ..Limits::default() });
        let a: Vec<Pending> = (0..3).filter_map(|_| g.arrive(ip(1)).ok()).collect();
        assert_eq!(a.len(), 3);
        assert_eq!(g.arrive(ip(1)).err(), Some(Refusal::AddressPending { max: 3 }));
        let b = g.arrive(ip(2));
        assert!(b.is_ok());
        assert_eq!(g.arrive(ip(3)).err(), Some(Refusal::PendingFull { max: 4 }));
        assert_eq!(g.load(), (4, 0));
        // A hello frees its place for the next one.
        let mut a = a.into_iter();
        let seat = a.next().map(|p| p.seat("ana", Role::Supervisor));
        assert!(matches!(seat, Some(Ok(_))));
        assert_eq!(g.load(), (3, 1));
        assert!(g.arrive(ip(3)).is_ok(), "the place is free again (and dropped at once)");
        // Closing before hello frees it too.
        drop(b);
        drop(a);
        assert_eq!(g.load(), (0, 1));
        drop(seat);
        assert_eq!(g.load(), (0, 0));
        assert!(g.counts().by_addr.is_empty() && g.counts().by_user.is_empty(), "nothing is left behind");
    }

    #[test]
    fn clients_are_capped_per_token_and_per_address() {
        let g = gate(Limits { max_per_token: 2, max_per_address: 3, ..Limits::default() });
        let seat = |addr: IpAddr, user: &str| g.arrive(addr).and_then(|p| p.seat(user, Role::Viewer));
        let s1 = seat(ip(1), "val");
        let s2 = seat(ip(2), "val");
        assert!(s1.is_ok() && s2.is_ok());
        assert_eq!(seat(ip(3), "val").err(), Some(Refusal::TokenFull { user: "val".into(), max: 2 }));
        let s3 = seat(ip(1), "wall");
        let s4 = seat(ip(1), "ana");
        assert!(s3.is_ok() && s4.is_ok());
        assert_eq!(seat(ip(1), "ben").err(), Some(Refusal::AddressFull { max: 3 }), "ip 1 holds three already");
        // A connection waiting for hello counts for its address too.
        drop(s4);
        let waiting = g.arrive(ip(1));
        assert!(waiting.is_ok());
        assert_eq!(g.arrive(ip(1)).err(), Some(Refusal::AddressFull { max: 3 }));
        drop(waiting);
        drop(s1);
        assert!(seat(ip(3), "val").is_ok(), "val's place is free again");
    }

    #[test]
    fn viewers_cannot_take_the_places_kept_for_supervisors_and_admins() {
        let g = gate(Limits { max_clients: 5, staff_reserved: 2, ..Limits::default() });
        let seat = |n: u8, role: Role| g.arrive(ip(n)).and_then(|p| p.seat(&format!("user{n}"), role));
        let viewers: Vec<_> = (0..3).map(|n| seat(n, Role::Viewer)).collect();
        assert!(viewers.iter().all(Result::is_ok));
        assert_eq!(seat(3, Role::Viewer).err(), Some(Refusal::ViewersFull { max: 5, kept: 2 }));
        let sup = seat(4, Role::Supervisor);
        let admin = seat(5, Role::Admin);
        assert!(sup.is_ok() && admin.is_ok());
        assert_eq!(seat(6, Role::Supervisor).err(), Some(Refusal::Full { max: 5 }));
        assert_eq!(g.load(), (0, 5), "refused connections gave their places back");
        // A supervisor's place that comes free is still not a viewer's.
        drop(admin);
        assert_eq!(seat(7, Role::Viewer).err(), Some(Refusal::ViewersFull { max: 5, kept: 2 }));
        // A feeder may take it: without it the floor has no transcripts.
        assert!(seat(8, Role::Ingest).is_ok(), "a feeder takes a kept place");
        assert!(Refusal::ViewersFull { max: 5, kept: 2 }.sentence().contains("the last 2 of 5 places are kept"));
    }

    #[test]
    fn the_summary_has_one_line_per_address_and_cause_with_a_count() {
        let t = Tally::default();
        for _ in 0..1648 {
            t.note(ip(7), "wrong token");
        }
        t.note(ip(8), "wrong token");
        t.note(ip(7), "no hello in time");
        let lines = t.report(SUMMARY_EVERY);
        assert_eq!(
            lines,
            vec![
                "refused 1648 connections from 10.0.0.7 in the last 10 s: wrong token",
                "refused 1 connection from 10.0.0.7 in the last 10 s: no hello in time",
                "refused 1 connection from 10.0.0.8 in the last 10 s: wrong token",
            ]
        );
        assert!(t.report(SUMMARY_EVERY).is_empty(), "each report starts afresh");
        // Many addresses: the summary stays bounded.
        for n in 0..(SUMMARY_KEYS_MAX as u32 + 50) {
            t.note(IpAddr::V4(n.into()), "wrong token");
        }
        let lines = t.report(SUMMARY_EVERY);
        assert_eq!(lines.len(), SUMMARY_KEYS_MAX + 1);
        assert!(lines[0].starts_with("refused 50 connections from other addresses"), "{}", lines[0]);
    }
}
