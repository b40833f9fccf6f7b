//! Per-window table of the text values in group keys. Device names, reasons, actions and
//! vendors repeat across thousands of groups; storing each once keeps a group near 100 bytes.

use std::collections::HashMap;
use std::rc::Rc;

pub type Sym = u32;

#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<Rc<str>, Sym>,
    values: Vec<Rc<str>>,
}

impl Interner {
    /// `None` when the table already holds `cap` values and `s` is new.
    pub fn intern(&mut self, s: &str, cap: usize) -> Option<Sym> {
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
}
