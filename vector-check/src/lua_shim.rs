//! A minimal stand-in for Vector's `lua` transform, version 2, around the real Lua 5.4.
//!
//! What it reproduces (from `src/transforms/lua/v2/mod.rs` and `lib/vector-core/src/event/lua`
//! in vectordotdev/vector):
//! - the state: `Lua` with the safe standard libraries, `package.path` prefixed with
//!   `<dir>/?.lua` for each of `search_dirs`, then `source` evaluated once;
//! - hooks and timer handlers are Lua expressions evaluated to functions (a function name or
//!   inline `function (...) ... end`);
//! - `hooks.init(emit)` before the first event, `hooks.process(event, emit)` per event,
//!   `timers[i].handler(emit)` every `interval_seconds`, `hooks.shutdown(emit)` at the end;
//! - events: `{log = <fields>}`; field values converted by vrl's own `IntoLua`/`FromLua` (the
//!   code Vector uses): strings, integers, floats, booleans, timestamps as
//!   `{year, month, day, hour, min, sec, nanosec, yday, wday, isdst}`, maps, arrays, null as
//!   `""`; `emit(event)` takes a table with `log` and converts it back (a table with a
//!   positive length is an array, one with year..sec a timestamp, else a map).
//!
//! What it does not: metric events, GC pacing, and the error policy (Vector logs a failing
//! hook and goes on; here it is an error, so tests see it).

use mlua::{FromLua, Function, IntoLua, Lua, LuaOptions, StdLib, Table, Value as LuaValue};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use vrl::value::Value;

/// The parts of a `type: lua` transform's configuration that matter here.
#[derive(Debug, Clone, Default)]
pub struct LuaConfig {
    pub source: Option<String>,
    pub search_dirs: Vec<PathBuf>,
    pub init: Option<String>,
    pub process: String,
    pub shutdown: Option<String>,
    /// `(interval_seconds, handler)`.
    pub timers: Vec<(u64, String)>,
}

pub struct LuaTransform {
    lua: Lua,
    init: Option<Function>,
    process: Function,
    shutdown: Option<Function>,
    timers: Vec<(u64, Function)>,
    emit: Function,
    emitted: Arc<Mutex<Vec<Value>>>,
    started: bool,
}

fn lua_err(context: &str, e: mlua::Error) -> String {
    format!("{context}: {e}")
}

impl LuaTransform {
    pub fn new(config: &LuaConfig) -> Result<LuaTransform, String> {
        let lua = Lua::new_with(StdLib::ALL_SAFE, LuaOptions::default())
            .map_err(|e| lua_err("creating Lua", e))?;
        if !config.search_dirs.is_empty() {
            let package: Table = lua
                .globals()
                .get("package")
                .map_err(|e| lua_err("package", e))?;
            let current: String = package.get("path").unwrap_or_else(|_| ";".to_string());
            let extra = config
                .search_dirs
                .iter()
                .map(|d| format!("{}/?.lua", d.to_string_lossy()))
                .collect::<Vec<_>>()
                .join(";");
            package
                .set("path", format!("{extra};{current}"))
                .map_err(|e| lua_err("package.path", e))?;
        }
        if let Some(source) = &config.source {
            lua.load(source.as_str())
                .exec()
                .map_err(|e| lua_err("source", e))?;
        }
        let function = |code: &str, what: &str| -> Result<Function, String> {
            lua.load(code)
                .eval::<Function>()
                .map_err(|e| lua_err(what, e))
        };
        let init = config
            .init
            .as_deref()
            .map(|c| function(c, "hooks.init"))
            .transpose()?;
        let process = function(&config.process, "hooks.process")?;
        let shutdown = config
            .shutdown
            .as_deref()
            .map(|c| function(c, "hooks.shutdown"))
            .transpose()?;
        let timers = config
            .timers
            .iter()
            .map(|(interval, code)| Ok((*interval, function(code, "timer handler")?)))
            .collect::<Result<Vec<_>, String>>()?;

        let emitted = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&emitted);
        let emit = lua
            .create_function(move |lua, event: LuaValue| {
                let LuaValue::Table(table) = &event else {
                    return Err(mlua::Error::runtime("Event should be a Lua table"));
                };
                let log: LuaValue = table.raw_get("log")?;
                let metric: LuaValue = table.raw_get("metric")?;
                match (log, metric) {
                    (LuaValue::Table(log), LuaValue::Nil) => {
                        let value = Value::from_lua(LuaValue::Table(log), lua)?;
                        if let Ok(mut out) = sink.lock() {
                            out.push(value);
                        }
                        Ok(())
                    }
                    (LuaValue::Nil, LuaValue::Table(_)) => Err(mlua::Error::runtime(
                        "metric events are not supported by this shim",
                    )),
                    _ => Err(mlua::Error::runtime(
                        "Event should contain either \"log\" or \"metric\" key at the top level",
                    )),
                }
            })
            .map_err(|e| lua_err("emit", e))?;

        Ok(LuaTransform {
            lua,
            init,
            process,
            shutdown,
            timers,
            emit,
            emitted,
            started: false,
        })
    }

    fn take(&self) -> Vec<Value> {
        self.emitted
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }

    fn start(&mut self) -> Result<Vec<Value>, String> {
        if self.started {
            return Ok(Vec::new());
        }
        self.started = true;
        if let Some(init) = &self.init {
            init.call::<()>(self.emit.clone())
                .map_err(|e| lua_err("hooks.init", e))?;
        }
        Ok(self.take())
    }

    /// `hooks.process` for one log event; returns what it emitted (after `hooks.init`'s, the
    /// first time).
    pub fn process(&mut self, log: Value) -> Result<Vec<Value>, String> {
        let mut out = self.start()?;
        let event = self.lua.create_table().map_err(|e| lua_err("event", e))?;
        let log = log
            .into_lua(&self.lua)
            .map_err(|e| lua_err("event.log", e))?;
        event
            .raw_set("log", log)
            .map_err(|e| lua_err("event.log", e))?;
        self.process
            .call::<()>((event, self.emit.clone()))
            .map_err(|e| lua_err("hooks.process", e))?;
        out.extend(self.take());
        Ok(out)
    }

    /// One tick of timer `index`.
    pub fn timer(&mut self, index: usize) -> Result<Vec<Value>, String> {
        let mut out = self.start()?;
        let (_, handler) = self
            .timers
            .get(index)
            .ok_or_else(|| format!("no timer {index}"))?;
        handler
            .call::<()>(self.emit.clone())
            .map_err(|e| lua_err("timer handler", e))?;
        out.extend(self.take());
        Ok(out)
    }

    pub fn timer_intervals(&self) -> Vec<u64> {
        self.timers.iter().map(|(i, _)| *i).collect()
    }

    /// `hooks.shutdown`: the end of the stream.
    pub fn shutdown(&mut self) -> Result<Vec<Value>, String> {
        let mut out = self.start()?;
        if let Some(shutdown) = &self.shutdown {
            shutdown
                .call::<()>(self.emit.clone())
                .map_err(|e| lua_err("hooks.shutdown", e))?;
        }
        out.extend(self.take());
        Ok(out)
    }

    /// Evaluates a Lua expression in the transform's state (for tests).
    pub fn eval_json(&self, expression: &str) -> Result<serde_json::Value, String> {
        let v: LuaValue = self
            .lua
            .load(expression)
            .eval()
            .map_err(|e| lua_err(expression, e))?;
        Ok(lua_to_json(&v))
    }

    /// Runs a Lua chunk in the transform's state (for tests: `cef_portscan.configure{...}`).
    pub fn exec(&self, chunk: &str) -> Result<(), String> {
        self.lua.load(chunk).exec().map_err(|e| lua_err(chunk, e))
    }

    pub fn lua(&self) -> &Lua {
        &self.lua
    }
}

/// A Lua value as JSON: sequences as arrays, other tables as objects, `{}` as an empty array
/// (Lua cannot tell the two apart).
pub fn lua_to_json(v: &LuaValue) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        LuaValue::Nil => J::Null,
        LuaValue::Boolean(b) => J::Bool(*b),
        LuaValue::Integer(i) => J::from(*i),
        LuaValue::Number(n) => serde_json::Number::from_f64(*n).map_or(J::Null, J::Number),
        LuaValue::String(s) => J::String(s.to_string_lossy()),
        LuaValue::Table(t) => {
            let len = t.raw_len();
            let pairs: Vec<(LuaValue, LuaValue)> = t.pairs().flatten().collect();
            if pairs.len() == len {
                J::Array(
                    (1..=len)
                        .map(|i| lua_to_json(&t.raw_get(i).unwrap_or(LuaValue::Nil)))
                        .collect(),
                )
            } else {
                let mut map = serde_json::Map::new();
                for (k, v) in pairs {
                    let key = match &k {
                        LuaValue::String(s) => s.to_string_lossy(),
                        other => lua_to_json(other).to_string(),
                    };
                    map.insert(key, lua_to_json(&v));
                }
                J::Object(map)
            }
        }
        other => J::String(format!("<{}>", other.type_name())),
    }
}
