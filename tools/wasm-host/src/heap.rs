//! The emulated WAMR app heap: a first-fit allocator kept entirely in the host, over a region
//! of linear memory the guest never allocates from.

use std::collections::HashMap;

/// WAMR's allocator puts a header in front of every block; the exact size matters only for
/// where the "record does not fit" line falls, a few bytes either way.
const HEADER: u32 = 8;
const ALIGN: u32 = 8;

pub struct AppHeap {
    base: u32,
    size: u32,
    /// Free (start, length) runs, sorted by start, never adjacent (coalesced on free).
    free: Vec<(u32, u32)>,
    /// Block length by the pointer handed out.
    live: HashMap<u32, u32>,
    in_use: u32,
}

impl AppHeap {
    pub fn new(base: u32, size: u32) -> AppHeap {
        AppHeap {
            base,
            size,
            free: vec![(base, size)],
            live: HashMap::new(),
            in_use: 0,
        }
    }

    pub fn region(&self) -> (u32, u32) {
        (self.base, self.size)
    }

    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    /// A pointer to `n` usable bytes, or `None` when no free run is large enough.
    pub fn alloc(&mut self, n: u32) -> Option<u32> {
        let need = n.checked_add(HEADER + ALIGN - 1)? / ALIGN * ALIGN;
        let i = self.free.iter().position(|&(_, len)| len >= need)?;
        let (start, len) = self.free[i];
        if len == need {
            self.free.remove(i);
        } else {
            self.free[i] = (start + need, len - need);
        }
        let ptr = start + HEADER;
        self.live.insert(ptr, need);
        self.in_use += need;
        Some(ptr)
    }

    /// Frees a pointer from [`AppHeap::alloc`]; anything else is ignored, as the host only
    /// ever frees its own copies.
    pub fn free(&mut self, ptr: u32) {
        let Some(len) = self.live.remove(&ptr) else {
            return;
        };
        self.in_use -= len;
        let start = ptr - HEADER;
        let i = self.free.partition_point(|&(s, _)| s < start);
        self.free.insert(i, (start, len));
        if i + 1 < self.free.len() && self.free[i].0 + self.free[i].1 == self.free[i + 1].0 {
            self.free[i].1 += self.free[i + 1].1;
            self.free.remove(i + 1);
        }
        if i > 0 && self.free[i - 1].0 + self.free[i - 1].1 == self.free[i].0 {
            self.free[i - 1].1 += self.free[i].1;
            self.free.remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_fit_reuses_and_coalesces() {
        let mut h = AppHeap::new(65536, 1024);
        let a = h.alloc(100).unwrap();
        let b = h.alloc(100).unwrap();
        let c = h.alloc(100).unwrap();
        assert!(a >= 65536 + HEADER && b > a && c > b);
        assert_eq!(a % ALIGN, 0);
        h.free(b);
        assert_eq!(h.alloc(100), Some(b));
        h.free(a);
        h.free(b);
        h.free(c);
        assert_eq!(h.in_use(), 0);
        assert_eq!(h.free, vec![(65536, 1024)]);
        assert!(h.alloc(1024 - HEADER).is_some());
        assert!(h.alloc(1).is_none());
    }

    #[test]
    fn too_big_is_refused_without_overflow() {
        let mut h = AppHeap::new(0, 4096);
        assert!(h.alloc(u32::MAX).is_none());
        assert!(h.alloc(4096).is_none());
        assert!(h.alloc(4096 - HEADER).is_some());
    }
}
