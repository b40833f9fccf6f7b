//! The streaming rule: records in, detections out, bounded state in between.

use crate::detection::Detection;
use crate::settings::Settings;
use crate::stats::Stats;
use crate::time::Nanos;

/// What the engine made of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not a record this rule reads (no PAN-OS CEF or Cloud NGFW TRAFFIC candidate in it).
    Ignored,
    /// A PAN-OS/NGFW record that fails a condition of the rule.
    NotCandidate,
    /// Counted.
    Candidate,
    /// Could not be read; passed on untouched by hosts.
    Malformed,
    /// A candidate for a window that has already closed.
    Late,
    /// A candidate stamped too far ahead of the wall clock.
    Future,
    /// A candidate the state caps could not take.
    Refused,
}

pub struct Engine {
    settings: Settings,
    stats: Stats,
}

impl Engine {
    pub fn new(settings: Settings) -> Engine {
        Engine::with_clock(settings, crate::time::wall_clock)
    }

    /// `clock` is asked only when a record would move event time forward.
    pub fn with_clock(settings: Settings, clock: fn() -> Option<Nanos>) -> Engine {
        let _ = clock;
        Engine {
            settings,
            stats: Stats::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// A record body as Fluent Bit's JSON event format gives it (one JSON object).
    pub fn process_json(&mut self, body: &[u8], time: Nanos) -> Verdict {
        let _ = (body, time);
        todo!()
    }

    /// A record body as Fluent Bit's msgpack event format gives it (one msgpack map).
    pub fn process_msgpack(&mut self, body: &[u8], time: Nanos) -> Verdict {
        let _ = (body, time);
        todo!()
    }

    /// Closes every open window now (end of a backtest).
    pub fn flush(&mut self) {
        todo!()
    }

    /// The oldest detection waiting to be emitted.
    pub fn pop_detection(&mut self) -> Option<Detection> {
        todo!()
    }

    pub fn pending_detections(&self) -> usize {
        0
    }
}
