//! Shaping records for the host: a detection attached to a record, and msgpack that survives
//! Fluent Bit's `strlen` on msgpack output.

pub mod json;
pub mod msgpack;

/// The key under which a detection rides on a passing record.
pub const TAG_KEY: &str = "cef_portscan";
/// The key of the one-field record the msgpack detections entry returns.
pub const DETECTION_KEY: &str = "cef_portscan_detection";
