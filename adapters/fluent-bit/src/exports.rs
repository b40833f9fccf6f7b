//! The exported functions Fluent Bit (and the replay host) call. Raw pointers end here.

use crate::filter::{Filter, Reply};
use cef_portscan::time;
use std::cell::RefCell;

thread_local! {
    // One instance per `[FILTER] Name wasm` section; WAMR runs it on one thread at a time.
    static FILTER: RefCell<Option<Filter>> = const { RefCell::new(None) };
}

static EMPTY: [u8; 1] = [0];

extern "C" {
    fn __wasm_call_ctors();
}

/// WAMR calls this exactly once at instantiation. Without it, wasm-ld would wrap every
/// export and re-run static constructors before each call.
#[no_mangle]
pub extern "C" fn _initialize() {
    // SAFETY: the linker-provided constructor list, run once here as a reactor must.
    unsafe { __wasm_call_ctors() }
}

type Entry = fn(&mut Filter, Option<&[u8]>, usize, time::Nanos) -> Reply;

// Inlined, like the rest of the per-record path: each wasm call costs the interpreter a
// frame, and this path runs for every record Fluent Bit has.
#[inline(always)]
fn with_filter<R>(f: impl FnOnce(&mut Filter) -> R) -> R {
    FILTER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let filter = match &mut *slot {
            Some(filter) => filter,
            none => none.insert(Filter::load()),
        };
        f(filter)
    })
}

fn answer(filter: &Filter, reply: Reply, rec: *const u8) -> *const u8 {
    match reply {
        Reply::Input => rec,
        Reply::Buffer => filter.out.as_ptr(),
        Reply::Drop => EMPTY.as_ptr(),
    }
}

#[inline(always)]
fn call(entry: Entry, rec: *const u8, rec_len: u32, time_sec: u32, time_nsec: u32) -> *const u8 {
    let record = if rec.is_null() {
        None
    } else {
        // SAFETY: Fluent Bit copied `rec_len` bytes to `rec` in this module's memory and keeps
        // them until the call returns.
        Some(unsafe { std::slice::from_raw_parts(rec, rec_len as usize) })
    };
    let t = time::from_parts(time_sec, time_nsec);
    with_filter(|f| {
        let reply = entry(f, record, rec_len as usize, t);
        answer(f, reply, rec)
    })
}

/// An export with Fluent Bit's filter signature, routed to one `Filter` method.
macro_rules! filter_entry {
    ($(#[$doc:meta])* $name:ident => $method:path) => {
        $(#[$doc])*
        #[no_mangle]
        pub extern "C" fn $name(
            _tag: *const u8,
            _tag_len: u32,
            time_sec: u32,
            time_nsec: u32,
            rec: *const u8,
            rec_len: u32,
        ) -> *const u8 {
            call($method, rec, rec_len, time_sec, time_nsec)
        }
    };
}

filter_entry!(
    /// JSON mode, every record passes; a ready detection rides on it under `cef_portscan`.
    cef_portscan_tag => Filter::tag_json
);
filter_entry!(
    /// JSON mode, detections only: returns a detection record or drops the record.
    cef_portscan_detections => Filter::detections_json
);
filter_entry!(
    /// msgpack mode counterpart of `cef_portscan_tag`; output holds no zero byte.
    cef_portscan_tag_msgpack => Filter::tag_msgpack
);
filter_entry!(
    /// msgpack mode counterpart of `cef_portscan_detections`; output holds no zero byte.
    cef_portscan_detections_msgpack => Filter::detections_msgpack
);

/// The benchmark baseline: the same module, instantiation and call, doing nothing.
#[no_mangle]
pub extern "C" fn cef_portscan_passthrough(
    _tag: *const u8,
    _tag_len: u32,
    _time_sec: u32,
    _time_nsec: u32,
    rec: *const u8,
    _rec_len: u32,
) -> *const u8 {
    rec
}

/// Not called by Fluent Bit: closes every window at the end of a backtest.
#[no_mangle]
pub extern "C" fn cef_portscan_flush() -> u32 {
    with_filter(Filter::flush)
}

/// Not called by Fluent Bit: the next waiting detection as JSON text, or "".
#[no_mangle]
pub extern "C" fn cef_portscan_next_detection() -> *const u8 {
    with_filter(|f| {
        let reply = f.next_detection();
        answer(f, reply, EMPTY.as_ptr())
    })
}

/// The operator counters as JSON text.
#[no_mangle]
pub extern "C" fn cef_portscan_stats() -> *const u8 {
    with_filter(|f| {
        let reply = f.stats();
        answer(f, reply, EMPTY.as_ptr())
    })
}
