//! The streaming rule: records in, detections out, bounded state in between.
//! `docs/SEMANTICS.md` states the rules this module implements.

mod addr;
mod interner;
mod window;

use crate::body::{self, Fields};
use crate::detection::{Detection, GroupColumns, Stage};
use crate::prefilter::Prefilter;
use crate::rule::{Evaluation, Row, Rule};
use crate::settings::Settings;
use crate::stats::Stats;
use crate::time::{Nanos, NANOS_PER_SEC};
use addr::Addr;
use std::collections::{HashMap, VecDeque};
use window::{Counter, GroupKey, Rollup, Stage1Key, Window};

/// What the engine made of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not a record this rule reads (no PAN-OS CEF or Cloud NGFW TRAFFIC candidate in it).
    Ignored,
    /// A PAN-OS/NGFW record that fails a condition of the rule.
    NotCandidate,
    /// Counted.
    Candidate,
    /// Could not be read; hosts pass it on untouched.
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
    rule: Rule,
    prefilter: Prefilter,
    clock: fn() -> Option<Nanos>,
    window_length: Nanos,
    lateness: Nanos,
    /// Largest event time accepted so far.
    watermark: Nanos,
    /// Event times up to this are known not to be in the future; the clock is read past it.
    future_bound: Nanos,
    /// Open windows, oldest first; at most two while lateness < window length.
    windows: Vec<Window>,
    total_groups: usize,
    /// Set when an eviction sweep found nothing to evict; cleared when a window closes.
    sweep_futile: bool,
    /// Last alert per group, when suppression is on: (window index, suppressed until).
    alerted: HashMap<GroupColumns, (i64, Nanos)>,
    pending: VecDeque<Detection>,
    stats: Stats,
}

impl Engine {
    pub fn new(settings: Settings) -> Engine {
        Engine::with_clock(settings, crate::time::wall_clock)
    }

    /// `clock` is read only when a record would move event time past what it last allowed.
    pub fn with_clock(settings: Settings, clock: fn() -> Option<Nanos>) -> Engine {
        Engine {
            rule: Rule::new(&settings),
            prefilter: Prefilter::new(&settings.application),
            clock,
            window_length: i64::from(settings.window_seconds.max(1)) * NANOS_PER_SEC,
            lateness: i64::from(settings.allowed_lateness_seconds) * NANOS_PER_SEC,
            watermark: Nanos::MIN,
            future_bound: Nanos::MIN,
            windows: Vec::new(),
            total_groups: 0,
            sweep_futile: false,
            alerted: HashMap::new(),
            pending: VecDeque::new(),
            stats: Stats::default(),
            settings,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// A record body as Fluent Bit's JSON event format gives it (one JSON object).
    #[inline]
    pub fn process_json(&mut self, body: &[u8], time: Nanos) -> Verdict {
        self.process(body, time, body::from_json)
    }

    /// A record body as Fluent Bit's msgpack event format gives it (one msgpack map).
    #[inline]
    pub fn process_msgpack(&mut self, body: &[u8], time: Nanos) -> Verdict {
        self.process(body, time, body::from_msgpack)
    }

    // The reject path (bookkeeping and the prefilter) is inlined into the host's entry point:
    // in the interpreter each call costs a frame, and this runs for every record.
    #[inline(always)]
    fn process(
        &mut self,
        body: &[u8],
        time: Nanos,
        parse: fn(&[u8]) -> Result<Fields<'_>, body::BodyError>,
    ) -> Verdict {
        self.stats.records += 1;
        let future = self.observe(time);
        if !self.prefilter.may_match(body) {
            return Verdict::Ignored;
        }
        let Ok(fields) = parse(body) else {
            self.stats.malformed += 1;
            return Verdict::Malformed;
        };
        match self.rule.evaluate(&fields) {
            Evaluation::NotRead => Verdict::Ignored,
            Evaluation::NotCandidate => Verdict::NotCandidate,
            Evaluation::Malformed => {
                self.stats.malformed += 1;
                Verdict::Malformed
            }
            Evaluation::Candidate(_) if future => Verdict::Future,
            Evaluation::Candidate(row) => self.count(&row, time),
        }
    }

    /// Closes every open window now (end of a backtest).
    pub fn flush(&mut self) {
        while !self.windows.is_empty() {
            self.close_oldest();
        }
    }

    /// The oldest detection waiting to be emitted.
    pub fn pop_detection(&mut self) -> Option<Detection> {
        self.pending.pop_front()
    }

    /// A record the host could not hand over (too large for its copy buffer): it is counted
    /// as seen, though nothing of it can be read.
    pub fn count_unreadable(&mut self) {
        self.stats.records += 1;
    }

    /// Puts back a detection the host could not deliver; it leaves first next time.
    pub fn requeue(&mut self, d: Detection) {
        self.pending.push_front(d);
    }

    pub fn pending_detections(&self) -> usize {
        self.pending.len()
    }

    /// Moves event time forward; `true` when `time` is refused as being in the future.
    fn observe(&mut self, time: Nanos) -> bool {
        if time <= self.watermark {
            return false;
        }
        let max_future = i64::from(self.settings.max_future_seconds) * NANOS_PER_SEC;
        if max_future > 0 && time > self.future_bound {
            self.future_bound =
                (self.clock)().map_or(Nanos::MAX, |now| now.saturating_add(max_future));
            if time > self.future_bound {
                self.stats.future += 1;
                return true;
            }
        }
        self.watermark = time;
        while self
            .windows
            .first()
            .is_some_and(|w| w.closes_at <= self.watermark)
        {
            self.close_oldest();
        }
        false
    }

    fn closes_at(&self, index: i64) -> Nanos {
        index
            .saturating_add(1)
            .saturating_mul(self.window_length)
            .saturating_add(self.lateness)
    }

    fn close_oldest(&mut self) {
        if self.windows.is_empty() {
            return;
        }
        let w = self.windows.remove(0);
        for r in w.rollups.iter().filter(|r| !r.suppressed) {
            let d = w.detection(
                r,
                Stage::Window,
                self.window_length,
                self.settings.threshold,
            );
            self.emit(d);
        }
        self.total_groups -= w.groups.len();
        self.sweep_futile = false;
        self.stats.windows_closed += 1;
        self.update_gauges();
    }

    fn update_gauges(&mut self) {
        self.stats.groups_tracked = self.total_groups as u64;
        self.stats.windows_open = self.windows.len() as u64;
    }

    fn emit(&mut self, d: Detection) {
        if self.pending.len() >= self.settings.max_pending_detections as usize {
            self.pending.pop_front();
            self.stats.detections_dropped += 1;
        }
        self.stats.detections += 1;
        self.pending.push_back(d);
    }

    fn window_for(&mut self, index: i64) -> usize {
        match self.windows.binary_search_by_key(&index, |w| w.index) {
            Ok(i) => i,
            Err(i) => {
                let closes_at = self.closes_at(index);
                self.windows.insert(i, Window::new(index, closes_at));
                self.update_gauges();
                i
            }
        }
    }

    fn count(&mut self, row: &Row<'_>, time: Nanos) -> Verdict {
        let index = time.div_euclid(self.window_length);
        if self.closes_at(index) <= self.watermark {
            self.stats.late += 1;
            return Verdict::Late;
        }
        let wi = self.window_for(index);
        let Some((key, computer)) = self.intern(wi, row) else {
            self.stats.values_refused += 1;
            return Verdict::Refused;
        };
        let threshold = self.settings.threshold;
        let counter = match self.windows[wi].groups.get_mut(&key) {
            Some(c) => {
                c.count = c.count.saturating_add(1);
                c.first = c.first.min(time);
                c.last = c.last.max(time);
                *c
            }
            None => {
                if self.total_groups >= self.settings.max_groups as usize && !self.make_room() {
                    self.stats.groups_refused += 1;
                    return Verdict::Refused;
                }
                let c = Counter {
                    count: 1,
                    first: time,
                    last: time,
                };
                self.windows[wi].groups.insert(key, c);
                self.total_groups += 1;
                self.update_gauges();
                c
            }
        };
        self.stats.candidates += 1;
        if counter.count == threshold {
            self.cross(wi, key, counter, computer);
        } else if counter.count > threshold {
            let w = &mut self.windows[wi];
            if let Some(&ri) = w.rollup_index.get(&key.group) {
                let r = &mut w.rollups[ri];
                r.total += 1;
                r.start = r.start.min(time);
                r.end = r.end.max(time);
            }
        }
        Verdict::Candidate
    }

    fn intern(&mut self, wi: usize, row: &Row<'_>) -> Option<(Stage1Key, interner::Sym)> {
        let cap = self.settings.max_interned_values as usize;
        let v = &mut self.windows[wi].values;
        let group = GroupKey {
            device: v.intern(&row.device_name, cap)?,
            user: v.intern(&row.source_user_id, cap)?,
            source: Addr::new(&row.source_ip, v, cap)?,
            app: v.intern(&row.application_protocol, cap)?,
            reason: v.intern(&row.reason, cap)?,
            port: row.destination_port,
            protocol: v.intern(&row.protocol, cap)?,
            vendor: v.intern(&row.device_vendor, cap)?,
            product: v.intern(&row.device_product, cap)?,
            action: v.intern(&row.device_action, cap)?,
        };
        let destination = Addr::new(&row.destination_ip, v, cap)?;
        let computer = v.intern(&row.computer, cap)?;
        Some((Stage1Key { group, destination }, computer))
    }

    /// A stage-1 group just reached the threshold.
    fn cross(&mut self, wi: usize, key: Stage1Key, c: Counter, computer: interner::Sym) {
        let cap = self.settings.destination_set_cap as usize;
        let w = &mut self.windows[wi];
        if let Some(&ri) = w.rollup_index.get(&key.group) {
            let r = &mut w.rollups[ri];
            r.total += u64::from(c.count);
            r.destination_count += 1;
            if r.destinations.len() < cap {
                r.destinations.push(key.destination);
            }
            r.start = r.start.min(c.first);
            r.end = r.end.max(c.last);
            return;
        }
        if w.rollups.len() >= self.settings.max_detection_groups as usize {
            self.stats.detection_groups_refused += 1;
            return;
        }
        w.rollup_index.insert(key.group, w.rollups.len());
        w.rollups.push(Rollup {
            key: key.group,
            start: c.first,
            end: c.last,
            total: u64::from(c.count),
            destination_count: 1,
            destinations: vec![key.destination],
            computer,
            suppressed: false,
        });
        let ri = w.rollups.len() - 1;
        let d = w.detection(
            &w.rollups[ri],
            Stage::Threshold,
            self.window_length,
            self.settings.threshold,
        );
        if self.suppressed(&d) {
            self.windows[wi].rollups[ri].suppressed = true;
            // Both of this group's detections in this window are held back.
            self.stats.detections_suppressed += 2;
            return;
        }
        self.emit(d);
    }

    /// Per-group alert suppression across windows (off by default: parity alerts every window).
    fn suppressed(&mut self, d: &Detection) -> bool {
        let hold = i64::from(self.settings.suppress_seconds) * NANOS_PER_SEC;
        if hold == 0 {
            return false;
        }
        let index = d.window_start.div_euclid(self.window_length);
        if let Some(&(w, until)) = self.alerted.get(&d.columns) {
            if w != index && d.end < until {
                return true;
            }
        }
        if self.alerted.len() >= self.settings.max_detection_groups as usize {
            let now = self.watermark;
            self.alerted.retain(|_, (_, until)| *until > now);
        }
        if self.alerted.len() < self.settings.max_detection_groups as usize {
            self.alerted
                .insert(d.columns.clone(), (index, d.end.saturating_add(hold)));
        }
        false
    }

    /// Evicts the least-counted stage-1 groups to make room for a new one.
    ///
    /// Why lowest count first: a scan has to reach the threshold to matter, so groups that
    /// have climbed are the valuable ones; a flood of one-off (spoofed) sources is all count
    /// 1 and evicts itself. Hiding a real scan this way costs an attacker one eighth of
    /// `max_groups` fresh candidate sessions between every two probes of that scan. Groups
    /// past the threshold are never evicted. Each sweep frees at least an eighth of the cap,
    /// so its cost is amortised; a sweep that finds nothing is not retried until a window
    /// closes.
    fn make_room(&mut self) -> bool {
        if self.sweep_futile {
            return false;
        }
        let threshold = self.settings.threshold;
        let target = (self.settings.max_groups as usize / 8).max(1);
        let mut freed = 0;
        for level in 1..threshold {
            for w in &mut self.windows {
                let before = w.groups.len();
                w.groups
                    .retain(|_, c| c.count > level || c.count >= threshold);
                freed += before - w.groups.len();
            }
            if freed >= target {
                break;
            }
        }
        self.total_groups -= freed;
        self.stats.groups_evicted += freed as u64;
        self.update_gauges();
        if freed == 0 {
            self.sweep_futile = true;
        }
        freed > 0
    }
}

#[cfg(test)]
mod tests;
