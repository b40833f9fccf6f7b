//! Addresses in group keys: the binary form when the text is the address's one canonical
//! spelling, the text itself otherwise. Keys compare text exactly, as KQL does, so
//! `2001:DB8::1` and `2001:db8::1` must stay different keys.

use super::interner::{Interner, Sym};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
    Text(Sym),
}

impl Addr {
    pub const BYTES: usize = 17;

    /// A tag byte and the payload, zero-padded: equal addresses give equal bytes and
    /// different ones different bytes.
    pub fn bytes(&self) -> [u8; Addr::BYTES] {
        let mut out = [0; Addr::BYTES];
        match self {
            Addr::V4(o) => out[1..5].copy_from_slice(o),
            Addr::V6(o) => {
                out[0] = 1;
                out[1..].copy_from_slice(o);
            }
            Addr::Text(id) => {
                out[0] = 2;
                out[1..5].copy_from_slice(&id.to_le_bytes());
            }
        }
        out
    }

    pub fn new(s: &str, values: &mut Interner, cap: usize) -> Option<Addr> {
        // Rust's IPv4 parser accepts only the dotted-decimal form without leading zeros,
        // which is the canonical spelling.
        if let Ok(v4) = s.parse::<Ipv4Addr>() {
            return Some(Addr::V4(v4.octets()));
        }
        if let Ok(v6) = s.parse::<Ipv6Addr>() {
            if v6.to_string() == s {
                return Some(Addr::V6(v6.octets()));
            }
        }
        values.intern(s, cap).map(Addr::Text)
    }

    pub fn render(&self, values: &Interner) -> String {
        match *self {
            Addr::V4(o) => IpAddr::from(o).to_string(),
            Addr::V6(o) => IpAddr::from(o).to_string(),
            Addr::Text(id) => values.resolve(id).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms_are_binary_others_text() {
        let mut v = Interner::default();
        for s in [
            "203.0.113.9",
            "2001:db8::1",
            "",
            "2001:DB8::1",
            "010.1.1.1",
            "host.example",
        ] {
            let a = Addr::new(s, &mut v, 10).unwrap();
            assert_eq!(a.render(&v), s);
        }
        assert!(matches!(
            Addr::new("1.2.3.4", &mut v, 10),
            Some(Addr::V4(_))
        ));
        assert!(matches!(
            Addr::new("2001:DB8::1", &mut v, 10),
            Some(Addr::Text(_))
        ));
    }

    #[test]
    fn bytes_tell_addresses_apart() {
        let all = [
            Addr::V4([0, 0, 0, 0]),
            Addr::V4([1, 0, 0, 0]),
            Addr::V6([0; 16]),
            Addr::Text(0),
            Addr::Text(1),
        ];
        for a in all {
            for b in all {
                assert_eq!(a == b, a.bytes() == b.bytes(), "{a:?} {b:?}");
            }
        }
    }
}
