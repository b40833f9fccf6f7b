//! Measurement variant, never shipped (feature `host-malloc`): the cheapest allocator Fluent
//! Bit could copy records through, to decide by measurement between exporting `malloc`/`free`
//! (no record size limit) and relying on `wasm_heap_size` (WAMR's own app heap).
//!
//! When a module exports `malloc` and `free`, WAMR copies every tag and record through them:
//! per record, two guest calls to allocate and two to free, strictly in that order. A bump
//! arena serves that pattern in a few instructions: allocations move a pointer, and the
//! arena rewinds when the last one is freed. wasi-libc already defines `malloc` (Rust's own
//! allocator uses it), so these are exported under other names and
//! `scripts/rename_exports.py` renames the exports to `malloc`/`free` in a copy of the module.
//! Requests beyond the arena return null: Fluent Bit then calls the filter with `rec == 0`,
//! as with a full app heap.

use std::cell::RefCell;

const ARENA_BYTES: usize = 8 << 20;

struct Arena {
    buf: Box<[u8]>,
    top: usize,
    live: u32,
}

thread_local! {
    static ARENA: RefCell<Option<Arena>> = const { RefCell::new(None) };
}

#[no_mangle]
pub extern "C" fn cef_portscan_host_malloc(size: u32) -> *mut u8 {
    ARENA.with(|cell| {
        let mut slot = cell.borrow_mut();
        let arena = slot.get_or_insert_with(|| Arena {
            buf: vec![0; ARENA_BYTES].into_boxed_slice(),
            top: 0,
            live: 0,
        });
        let start = arena.top.next_multiple_of(8);
        let Some(end) = start.checked_add(size as usize) else {
            return std::ptr::null_mut();
        };
        if end > arena.buf.len() {
            return std::ptr::null_mut();
        }
        arena.top = end;
        arena.live += 1;
        arena.buf[start..].as_mut_ptr()
    })
}

#[no_mangle]
pub extern "C" fn cef_portscan_host_free(ptr: *mut u8) {
    if ptr.is_null() {
        return;
    }
    ARENA.with(|cell| {
        if let Some(arena) = cell.borrow_mut().as_mut() {
            arena.live = arena.live.saturating_sub(1);
            if arena.live == 0 {
                arena.top = 0;
            }
        }
    })
}
