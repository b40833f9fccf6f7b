//! The Fluent Bit `wasm` filter ABI over the cef-portscan core.
//!
//! Everything that knows about raw pointers, NUL-terminated results and WASI lives here;
//! what to do with a record is the core's business. See `docs/FLUENT-BIT.md` for how Fluent
//! Bit calls these exports and why the module never returns anything but a valid record.

#![cfg(target_arch = "wasm32")]

mod exports;
mod filter;
mod wasi;
