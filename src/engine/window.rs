//! One tumbling window: stage-1 counters and the stage-2 roll-ups of groups past the threshold.

use super::addr::Addr;
use super::interner::{Interner, Sym};
use crate::detection::{Detection, GroupColumns, Stage};
use crate::time::Nanos;
use std::collections::HashMap;

/// The stage-2 key: the rule's ten grouping columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GroupKey {
    pub device: Sym,
    pub user: Sym,
    pub source: Addr,
    pub app: Sym,
    pub reason: Sym,
    pub port: i32,
    pub protocol: Sym,
    pub vendor: Sym,
    pub product: Sym,
    pub action: Sym,
}

/// The stage-1 key: the stage-2 key plus DestinationIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stage1Key {
    pub group: GroupKey,
    pub destination: Addr,
}

#[derive(Debug, Clone, Copy)]
pub struct Counter {
    pub count: u32,
    pub first: Nanos,
    pub last: Nanos,
}

/// A stage-2 group with at least one kept stage-1 group.
#[derive(Debug)]
pub struct Rollup {
    pub key: GroupKey,
    pub start: Nanos,
    pub end: Nanos,
    pub total: u64,
    pub destination_count: u64,
    /// The first `destination_set_cap` kept destinations, in crossing order.
    pub destinations: Vec<Addr>,
    pub computer: Sym,
    pub suppressed: bool,
}

#[derive(Debug)]
pub struct Window {
    pub index: i64,
    /// When the watermark passing this closes the window (end plus allowed lateness); kept
    /// so the per-record check is a comparison, not a checked 128-bit multiply.
    pub closes_at: Nanos,
    pub groups: HashMap<Stage1Key, Counter>,
    pub values: Interner,
    pub rollup_index: HashMap<GroupKey, usize>,
    pub rollups: Vec<Rollup>,
}

impl Window {
    pub fn new(index: i64, closes_at: Nanos) -> Window {
        Window {
            index,
            closes_at,
            groups: HashMap::new(),
            values: Interner::default(),
            rollup_index: HashMap::new(),
            rollups: Vec::new(),
        }
    }

    pub fn start(&self, length: Nanos) -> Nanos {
        self.index.saturating_mul(length)
    }

    pub fn columns(&self, key: &GroupKey) -> GroupColumns {
        let v = &self.values;
        GroupColumns {
            device_name: v.resolve(key.device).to_owned(),
            source_user_id: v.resolve(key.user).to_owned(),
            source_ip: key.source.render(v),
            application_protocol: v.resolve(key.app).to_owned(),
            reason: v.resolve(key.reason).to_owned(),
            destination_port: i64::from(key.port),
            protocol: v.resolve(key.protocol).to_owned(),
            device_vendor: v.resolve(key.vendor).to_owned(),
            device_product: v.resolve(key.product).to_owned(),
            device_action: v.resolve(key.action).to_owned(),
        }
    }

    pub fn detection(&self, r: &Rollup, stage: Stage, length: Nanos, threshold: u32) -> Detection {
        let mut destinations: Vec<String> = r
            .destinations
            .iter()
            .map(|d| d.render(&self.values))
            .collect();
        destinations.sort_unstable();
        let window_start = self.start(length);
        Detection {
            stage,
            window_start,
            window_end: window_start.saturating_add(length),
            start: r.start,
            end: r.end,
            columns: self.columns(&r.key),
            destinations,
            destination_count: r.destination_count,
            total_count: r.total,
            computer: self.values.resolve(r.computer).to_owned(),
            threshold,
            window_seconds: u32::try_from(length / crate::time::NANOS_PER_SEC).unwrap_or(u32::MAX),
        }
    }
}
