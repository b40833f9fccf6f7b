//! One tumbling window: stage-1 counters and the stage-2 roll-ups of groups past the threshold.

use super::addr::Addr;
use super::interner::{Interner, Sym};
use crate::detection::{Detection, GroupColumns, Stage};
use crate::time::Nanos;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// The stage-2 key: the rule's ten grouping columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stage1Key {
    pub group: GroupKey,
    pub destination: Addr,
}

const GROUP_KEY_BYTES: usize = 8 * 4 + 4 + Addr::BYTES;

impl GroupKey {
    /// Every field, in one buffer (distinct keys give distinct bytes).
    fn bytes(&self) -> [u8; GROUP_KEY_BYTES] {
        let mut out = [0; GROUP_KEY_BYTES];
        let syms = [
            self.device,
            self.user,
            self.app,
            self.reason,
            self.protocol,
            self.vendor,
            self.product,
            self.action,
        ];
        for (i, s) in syms.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&s.to_le_bytes());
        }
        out[32..36].copy_from_slice(&self.port.to_le_bytes());
        out[36..].copy_from_slice(&self.source.bytes());
        out
    }
}

// Hashed as one write: the derived impl makes a SipHash call per field (twenty per key),
// which the wasm interpreter pays for on every candidate record.
impl Hash for GroupKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.bytes());
    }
}

impl Hash for Stage1Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut out = [0; GROUP_KEY_BYTES + Addr::BYTES];
        out[..GROUP_KEY_BYTES].copy_from_slice(&self.group.bytes());
        out[GROUP_KEY_BYTES..].copy_from_slice(&self.destination.bytes());
        state.write(&out);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_reaches_the_hashed_bytes() {
        let base = GroupKey {
            device: 1,
            user: 2,
            source: Addr::V4([10, 0, 0, 1]),
            app: 3,
            reason: 4,
            port: 22,
            protocol: 5,
            vendor: 6,
            product: 7,
            action: 8,
        };
        let variants = [
            GroupKey { device: 9, ..base },
            GroupKey { user: 9, ..base },
            GroupKey {
                source: Addr::Text(1),
                ..base
            },
            GroupKey { app: 9, ..base },
            GroupKey { reason: 9, ..base },
            GroupKey { port: 23, ..base },
            GroupKey {
                protocol: 9,
                ..base
            },
            GroupKey { vendor: 9, ..base },
            GroupKey { product: 9, ..base },
            GroupKey { action: 9, ..base },
        ];
        for v in variants {
            assert_ne!(v.bytes(), base.bytes(), "{v:?}");
        }
        assert_eq!(base.bytes(), { base }.bytes());
    }
}
