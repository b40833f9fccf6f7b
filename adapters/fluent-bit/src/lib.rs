//! The Fluent Bit `wasm` filter ABI over the cef-portscan core.
//!
//! Everything that knows about raw pointers, NUL-terminated results and WASI lives here;
//! what to do with a record is the core's business. How Fluent Bit calls these exports, and
//! why a filter must never return anything but a valid record, is in the shared
//! FLUENT-BIT-ABI notes and the README ("Known host issues").

#![cfg(target_arch = "wasm32")]

mod exports;
mod filter;
#[cfg(feature = "host-malloc")]
mod host_malloc;
mod wasi;
