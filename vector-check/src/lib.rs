//! vector-check: runs the Vector bundle (plugin-config/vector) through the engines Vector
//! embeds, without a Vector binary.
//!
//! - [`vrl_run`]: the `vrl` crate compiles and runs `cef_portscan.vrl` (the `remap` transform)
//!   and the `type: vrl` inputs and conditions of the bundle's unit tests.
//! - [`lua_shim`]: Lua 5.4 (mlua, vendored) runs `cef_portscan.lua` behind a minimal copy of
//!   Vector's `lua` transform v2 (hooks, timers, `emit`, Vector's value conversions).
//! - [`bundle`]: vector.yaml's wiring of the two.
//! - [`unit_tests`]: the bundle's `tests.yaml` (Vector's unit-test format) evaluated here.
//!
//! The tests in `tests/` hold the bundle to the Rust core: settings, candidate predicate and
//! window detections on the generated traffic of the module's parity test.

pub mod bundle;
pub mod lua_shim;
pub mod unit_tests;
pub mod vrl_run;

pub use bundle::Pipeline;
