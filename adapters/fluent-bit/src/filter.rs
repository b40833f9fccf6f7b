//! One filter instance: the engine, the settings it was loaded with, the reused output buffer
//! and the counters only the adapter can see. Safe Rust: exports.rs owns the pointers.

use crate::wasi;
use cef_portscan::output::{json, msgpack, DETECTION_KEY, TAG_KEY};
use cef_portscan::{time, Engine, Settings};
use serde::Serialize;

pub const CONFIG_FILE: &str = "cef-portscan.json";
pub const STATS_FILE: &str = "cef-portscan.stats.json";
/// Stats are rewritten when a window closes and at least this often, in records.
const STATS_EVERY: u64 = 100_000;
const ERROR_KEY: &str = "cef_portscan_error";

/// What the export hands back to Fluent Bit.
pub enum Reply {
    /// The host's own copy of the record, unchanged (JSON mode: it is NUL-terminated).
    Input,
    /// The filter's output buffer, NUL-terminated.
    Buffer,
    /// `""`: Fluent Bit drops the record.
    Drop,
}

#[derive(Debug, Default, Serialize)]
struct AdapterCounters {
    /// Calls with `rec == 0 && rec_len > 0`: the record was larger than `wasm_heap_size`.
    host_copy_failures: u64,
    /// msgpack-mode records that cannot be written without a zero byte (stub sent instead).
    msgpack_unrepresentable: u64,
    /// Detections delivered on a passing record or as a record of their own.
    detections_delivered: u64,
}

pub struct Filter {
    engine: Option<Engine>,
    config_source: String,
    stats_path: Option<String>,
    windows_seen_closed: u64,
    detections_seen: u64,
    counters: AdapterCounters,
    pub out: Vec<u8>,
}

impl Filter {
    /// Reads `cef-portscan.json` from the first accessible path that holds one. An invalid
    /// file disables detection (records still pass) rather than falling back to defaults.
    #[cold]
    #[inline(never)]
    pub fn load() -> Filter {
        let dirs = wasi::preopened_dirs();
        let mut stats_dir = dirs.first().cloned();
        let mut found = None;
        for dir in &dirs {
            let path = wasi::join(dir, CONFIG_FILE);
            match std::fs::read(&path) {
                Ok(text) => {
                    stats_dir = Some(dir.clone());
                    found = Some((path, Settings::from_json(&text).map_err(|e| e.to_string())));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    found = Some((path, Err(format!("cannot read: {e}"))));
                    break;
                }
            }
        }
        let (engine, config_source) = match found {
            None => {
                eprintln!("cef-portscan: no {CONFIG_FILE} in accessible_paths {dirs:?}; using the rule's defaults");
                (
                    Some(Engine::new(Settings::default())),
                    "defaults".to_owned(),
                )
            }
            Some((path, Ok(settings))) => {
                eprintln!("cef-portscan: settings from {path}");
                (Some(Engine::new(settings)), path)
            }
            Some((path, Err(e))) => {
                eprintln!(
                    "cef-portscan: {path}: {e}. Detection is OFF until this is fixed; records pass through untouched."
                );
                (None, format!("invalid: {path}: {e}"))
            }
        };
        Filter {
            engine,
            config_source,
            stats_path: stats_dir.map(|d| wasi::join(&d, STATS_FILE)),
            windows_seen_closed: 0,
            detections_seen: 0,
            counters: AdapterCounters::default(),
            out: Vec::new(),
        }
    }

    pub fn tag_json(&mut self, rec: Option<&[u8]>, rec_len: usize, t: time::Nanos) -> Reply {
        let Some(rec) = rec else {
            return self.copy_failure(rec_len, false);
        };
        if let Some(engine) = self.engine.as_mut() {
            engine.process_json(rec, t);
        }
        if rec.iter().all(u8::is_ascii_whitespace) {
            // Handing back "" would make Fluent Bit drop the record's slot; keep it as `{}`.
            self.out.clear();
            self.out.extend_from_slice(b"{}\0");
            self.after_call();
            return Reply::Buffer;
        }
        let Some(engine) = self.engine.as_mut() else {
            return Reply::Input;
        };
        let mut reply = Reply::Input;
        if engine.pending_detections() > 0 && json::can_attach(rec) {
            if let Some(d) = engine.pop_detection() {
                json::attach(rec, &d.to_json(), &mut self.out);
                self.out.push(0);
                self.counters.detections_delivered += 1;
                reply = Reply::Buffer;
            }
        }
        self.after_call();
        reply
    }

    pub fn detections_json(&mut self, rec: Option<&[u8]>, rec_len: usize, t: time::Nanos) -> Reply {
        match rec {
            None => self.note_copy_failure(rec_len),
            Some(rec) => {
                if let Some(e) = self.engine.as_mut() {
                    e.process_json(rec, t);
                }
            }
        }
        let reply = self.next_detection();
        self.after_call();
        reply
    }

    pub fn tag_msgpack(&mut self, rec: Option<&[u8]>, rec_len: usize, t: time::Nanos) -> Reply {
        let Some(rec) = rec else {
            return self.copy_failure(rec_len, true);
        };
        let detection = self.engine.as_mut().and_then(|e| {
            e.process_msgpack(rec, t);
            e.pop_detection()
        });
        let text = detection.as_ref().map(|d| d.to_json());
        let extra = text.as_deref().map(|t| (TAG_KEY, t));
        match msgpack::transcode_record(rec, extra, &mut self.out) {
            Ok(()) => self.counters.detections_delivered += u64::from(extra.is_some()),
            Err(why) => {
                self.counters.msgpack_unrepresentable += 1;
                if let (Some(d), Some(e)) = (detection, self.engine.as_mut()) {
                    e.requeue(d);
                }
                let msg = format!(
                    "a record of {} bytes holds {} and cannot leave a msgpack-mode wasm filter intact; use event_format json",
                    rec.len(),
                    why.as_str()
                );
                self.stub(&msg);
            }
        }
        self.out.push(0);
        self.after_call();
        Reply::Buffer
    }

    pub fn detections_msgpack(
        &mut self,
        rec: Option<&[u8]>,
        rec_len: usize,
        t: time::Nanos,
    ) -> Reply {
        match rec {
            None => self.note_copy_failure(rec_len),
            Some(rec) => {
                if let Some(e) = self.engine.as_mut() {
                    e.process_msgpack(rec, t);
                }
            }
        }
        let reply = match self.engine.as_mut().and_then(Engine::pop_detection) {
            // A detection's JSON text never holds a NUL and is far below 64 KiB.
            Some(d) => match msgpack::single_entry(DETECTION_KEY, &d.to_json(), &mut self.out) {
                Ok(()) => {
                    self.out.push(0);
                    self.counters.detections_delivered += 1;
                    Reply::Buffer
                }
                Err(_) => Reply::Drop,
            },
            None => Reply::Drop,
        };
        self.after_call();
        reply
    }

    /// Closes every window; the number of detections now waiting.
    pub fn flush(&mut self) -> u32 {
        let Some(e) = self.engine.as_mut() else {
            return 0;
        };
        e.flush();
        let n = u32::try_from(e.pending_detections()).unwrap_or(u32::MAX);
        self.after_call();
        n
    }

    pub fn next_detection(&mut self) -> Reply {
        match self.engine.as_mut().and_then(Engine::pop_detection) {
            Some(d) => {
                self.out.clear();
                self.out.extend_from_slice(d.to_json().as_bytes());
                self.out.push(0);
                self.counters.detections_delivered += 1;
                Reply::Buffer
            }
            None => Reply::Drop,
        }
    }

    pub fn stats(&mut self) -> Reply {
        self.out.clear();
        self.out.extend_from_slice(self.stats_json().as_bytes());
        self.out.push(0);
        Reply::Buffer
    }

    fn stats_json(&self) -> String {
        let mut v = match &self.engine {
            Some(e) => serde_json::to_value(e.stats()).unwrap_or_default(),
            None => serde_json::json!({}),
        };
        if let (Some(m), Ok(serde_json::Value::Object(a))) =
            (v.as_object_mut(), serde_json::to_value(&self.counters))
        {
            m.extend(a);
            m.insert("detection_enabled".into(), self.engine.is_some().into());
            m.insert("config_source".into(), self.config_source.clone().into());
        }
        v.to_string()
    }

    /// The record is gone (the host could not copy it in). Say so in its place rather than
    /// returning nothing, so the loss shows downstream and in the counters.
    fn note_copy_failure(&mut self, rec_len: usize) {
        self.counters.host_copy_failures += u64::from(rec_len > 0);
        if let Some(e) = self.engine.as_mut() {
            e.count_unreadable();
        }
    }

    fn copy_failure(&mut self, rec_len: usize, msgpack_mode: bool) -> Reply {
        self.note_copy_failure(rec_len);
        let msg = format!(
            "a record of {rec_len} bytes did not fit in the filter's wasm_heap_size and could not be read; raise wasm_heap_size"
        );
        if msgpack_mode {
            self.stub(&msg);
        } else {
            self.out.clear();
            let v = serde_json::json!({ ERROR_KEY: msg });
            self.out.extend_from_slice(v.to_string().as_bytes());
        }
        self.out.push(0);
        Reply::Buffer
    }

    fn stub(&mut self, msg: &str) {
        if msgpack::single_entry(ERROR_KEY, msg, &mut self.out).is_err() {
            // Unreachable for these short ASCII messages; keep the output valid regardless.
            self.out.clear();
            self.out.push(0x80);
        }
    }

    /// Publishes stats where an operator can read them without a debugger: when a window
    /// closes, when a detection is produced, and every `STATS_EVERY` records.
    #[inline(always)]
    fn after_call(&mut self) {
        let Some(e) = &self.engine else { return };
        let s = e.stats();
        if s.windows_closed != self.windows_seen_closed
            || s.detections != self.detections_seen
            || s.records % STATS_EVERY == 0
        {
            self.publish_stats();
        }
    }

    #[cold]
    #[inline(never)]
    fn publish_stats(&mut self) {
        let Some(e) = &self.engine else { return };
        let s = e.stats();
        let closed = s.windows_closed != self.windows_seen_closed;
        self.detections_seen = s.detections;
        if closed {
            self.windows_seen_closed = s.windows_closed;
            eprintln!("cef-portscan: window closed; stats {}", self.stats_json());
        }
        if let Some(path) = &self.stats_path {
            // Best effort: a read-only accessible path must not stop the filter.
            let _ = std::fs::write(path, self.stats_json());
        }
    }
}
