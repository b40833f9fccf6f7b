//! Per-window table of the text values in group keys. Device names, reasons, actions and
//! vendors repeat across thousands of groups; storing each once keeps a group near 100 bytes.

use crate::swar;
use std::collections::HashMap;
use std::rc::Rc;

pub type Sym = u32;

/// Slots of the recent-value cache; a power of two.
const RECENT: usize = 64;

#[derive(Debug)]
pub struct Interner {
    ids: HashMap<Rc<str>, Sym>,
    values: Vec<Rc<str>>,
    /// Values seen lately, by a cheap index: most columns (vendor, product, application,
    /// action, device) repeat from one candidate to the next, and a hit here skips the
    /// SipHash lookup, which costs the wasm interpreter a few microseconds per record.
    recent: [Option<Sym>; RECENT],
}

impl Default for Interner {
    fn default() -> Interner {
        Interner {
            ids: HashMap::new(),
            values: Vec::new(),
            recent: [None; RECENT],
        }
    }
}

impl Interner {
    /// `None` when the table already holds `cap` values and `s` is new.
    pub fn intern(&mut self, s: &str, cap: usize) -> Option<Sym> {
        let slot = recent_slot(s.as_bytes());
        if let Some(id) = self.recent[slot] {
            if swar::same_bytes(self.resolve(id).as_bytes(), s.as_bytes()) {
                return Some(id);
            }
        }
        let id = self.lookup_or_insert(s, cap)?;
        self.recent[slot] = Some(id);
        Some(id)
    }

    fn lookup_or_insert(&mut self, s: &str, cap: usize) -> Option<Sym> {
        if let Some(&id) = self.ids.get(s) {
            return Some(id);
        }
        if self.values.len() >= cap {
            return None;
        }
        let id = Sym::try_from(self.values.len()).ok()?;
        let value: Rc<str> = Rc::from(s);
        self.values.push(Rc::clone(&value));
        self.ids.insert(value, id);
        Some(id)
    }

    pub fn resolve(&self, id: Sym) -> &str {
        self.values.get(id as usize).map_or("", |v| v)
    }
}

/// Where `s` may sit in the recent-value cache: its length and its first and last bytes.
fn recent_slot(s: &[u8]) -> usize {
    let (first, last) = (s.first().copied(), s.last().copied());
    let mix =
        s.len() ^ (usize::from(first.unwrap_or(0)) * 7) ^ (usize::from(last.unwrap_or(0)) * 13);
    mix & (RECENT - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_same_id_and_cap() {
        let mut i = Interner::default();
        let a = i.intern("fw01", 2).unwrap();
        assert_eq!(i.intern("fw01", 2), Some(a));
        let b = i.intern("fw02", 2).unwrap();
        assert_ne!(a, b);
        assert_eq!(i.intern("fw03", 2), None);
        assert_eq!(i.intern("fw02", 2), Some(b));
        assert_eq!(i.resolve(b), "fw02");
        assert_eq!(i.resolve(99), "");
    }

    #[test]
    fn cache_collisions_fall_back_to_the_table() {
        // Same length, first and last byte: one cache slot, different values.
        let mut i = Interner::default();
        let a = i.intern("a1b", 10).unwrap();
        let b = i.intern("a2b", 10).unwrap();
        assert_ne!(a, b);
        for _ in 0..3 {
            assert_eq!(i.intern("a1b", 10), Some(a));
            assert_eq!(i.intern("a2b", 10), Some(b));
        }
        assert_eq!(i.intern("", 10), i.intern("", 10));
        assert_eq!(i.values.len(), 3);
    }
}
