//! cef-portscan core: the Sentinel rule "Palo Alto - possible internal to external port
//! scanning" (5b72f527-e3f6-4a00-9908-8e4fee14da9f) as a streaming, bounded engine.
//!
//! Host-independent: no I/O, no host ABI, no panics on input. Hosts (the Fluent Bit wasm
//! module, the wasmtime harness, tests) hand it record bodies and event times and collect
//! detections.
//!
//! Reading order: [`prefilter`] (the reject path), [`body`] (record fields), [`cef`],
//! [`syslog`], [`ngfw`] (formats), [`rule`] (the candidate predicate), [`engine`] (windows,
//! groups, caps), [`detection`] (the output record).

pub mod body;
pub mod cef;
pub mod detection;
pub mod engine;
pub mod kql;
pub mod ngfw;
pub mod output;
pub mod prefilter;
pub mod rule;
pub mod sentinel;
pub mod settings;
pub mod stats;
pub mod swar;
pub mod syslog;
pub mod time;

pub use detection::{Detection, GroupColumns, Stage};
pub use engine::{Engine, Verdict};
pub use settings::{Settings, SettingsError};
pub use stats::Stats;
pub use time::Nanos;
