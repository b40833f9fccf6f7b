//! Operator counters. Every cap and every refusal in the engine has one here.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Records seen, including those the host could not hand over.
    pub records: u64,
    /// Records that met every condition of the rule and were counted.
    pub candidates: u64,
    /// Records that looked like candidates but whose body could not be read (bad JSON/msgpack,
    /// too deep, CEF text without a header).
    pub malformed: u64,
    /// Candidates whose window had already closed when they arrived: not counted.
    pub late: u64,
    /// Candidates stamped beyond `max_future_seconds` ahead of the wall clock: not counted.
    pub future: u64,
    /// Stage-1 groups evicted to make room (lowest counts first).
    pub groups_evicted: u64,
    /// Candidates not counted because every tracked group was past the threshold.
    pub groups_refused: u64,
    /// Candidates not counted because the window's text-value table was full.
    pub values_refused: u64,
    /// Stage-2 groups that crossed the threshold but could not be tracked (cap).
    pub detection_groups_refused: u64,
    /// Stage-1 groups currently tracked across open windows.
    pub groups_tracked: u64,
    /// Windows currently open.
    pub windows_open: u64,
    /// Windows closed.
    pub windows_closed: u64,
    /// Detections produced (both stages).
    pub detections: u64,
    /// Detections not produced because their group was suppressed.
    pub detections_suppressed: u64,
    /// Detections dropped because the pending queue was full (oldest first).
    pub detections_dropped: u64,
}

impl Stats {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
