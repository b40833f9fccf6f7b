//! Addresses in group keys: the binary form when the text is the address's one canonical
//! spelling, the text itself otherwise. Keys compare text exactly, as KQL does, so
//! `2001:DB8::1` and `2001:db8::1` must stay different keys.

use super::interner::{Interner, Sym};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Addr {
    V4([u8; 4]),
    V6([u8; 16]),
    Text(Sym),
}

impl Addr {
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
}
