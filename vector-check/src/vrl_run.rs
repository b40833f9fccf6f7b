//! The shipped VRL program, compiled and run by the `vrl` crate: the engine of Vector's `remap`
//! transform and of the `vrl` conditions in Vector's unit tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};
use vrl::compiler::{
    compile,
    runtime::{Runtime, Terminate},
    state::RuntimeState,
    Context, Program, TargetValue, TimeZone,
};
use vrl::diagnostic::Formatter;
use vrl::value::{Secrets, Value};

/// A compiled VRL program.
#[derive(Clone)]
pub struct Vrl {
    program: Program,
}

/// Compiled programs by source text: the VRL compiler is slow in debug builds (seconds for
/// the bundle's program), and every test builds its own pipeline from the same files.
fn cache() -> &'static Mutex<HashMap<String, Vrl>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Vrl>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// What a run made of an event.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The program ran to its end: the (possibly modified) event and the program's value.
    Done { event: Value, value: Value },
    /// `abort` or a failed `!` assertion. Vector's remap drops the event (`drop_on_abort`).
    Aborted(String),
    /// A runtime error. Vector's remap passes the original event on (`drop_on_error: false`).
    Error(String),
}

impl Vrl {
    /// Compiles with the whole standard library, as Vector does; warnings are not errors.
    pub fn compile(source: &str) -> Result<Vrl, String> {
        if let Some(v) = cache().lock().ok().and_then(|c| c.get(source).cloned()) {
            return Ok(v);
        }
        let functions = vrl::stdlib::all();
        match compile(source, &functions) {
            Ok(result) => {
                let v = Vrl {
                    program: result.program,
                };
                if let Ok(mut c) = cache().lock() {
                    c.insert(source.to_string(), v.clone());
                }
                Ok(v)
            }
            Err(diagnostics) => Err(Formatter::new(source, diagnostics).to_string()),
        }
    }

    /// Runs the program on one event, the way Vector's remap runs it on a log event.
    pub fn run(&self, event: Value) -> Outcome {
        let mut target = TargetValue {
            value: event,
            metadata: Value::Object(BTreeMap::new()),
            secrets: Secrets::default(),
        };
        let mut runtime = Runtime::default();
        match runtime.resolve(&mut target, &self.program, &TimeZone::default()) {
            Ok(value) => Outcome::Done {
                event: target.value,
                value,
            },
            Err(Terminate::Abort(e)) => Outcome::Aborted(e.to_string()),
            Err(e) => Outcome::Error(e.to_string()),
        }
    }

    /// Runs the program on an empty event and returns the event it built (Vector's unit test
    /// input `type: vrl`).
    pub fn build_event(&self) -> Result<Value, String> {
        let mut target = TargetValue {
            value: Value::Object(BTreeMap::new()),
            metadata: Value::Object(BTreeMap::new()),
            secrets: Secrets::default(),
        };
        let mut state = RuntimeState::default();
        let timezone = TimeZone::default();
        let mut ctx = Context::new(&mut target, &mut state, &timezone);
        self.program.resolve(&mut ctx).map_err(|e| e.to_string())?;
        Ok(target.value)
    }

    /// A `type: vrl` condition of Vector's unit tests: passes when the program returns `true`
    /// without aborting.
    pub fn check_condition(&self, event: &Value) -> Result<(), String> {
        match self.run(event.clone()) {
            Outcome::Done {
                value: Value::Boolean(true),
                ..
            } => Ok(()),
            Outcome::Done { value, .. } => Err(format!("condition returned {value}")),
            Outcome::Aborted(m) | Outcome::Error(m) => Err(m),
        }
    }
}

/// A JSON record body as a VRL value.
pub fn from_json(json: &serde_json::Value) -> Value {
    Value::from(json.clone())
}

/// A VRL value as JSON (timestamps as RFC 3339 text, as Vector's JSON encoder writes them).
pub fn to_json(value: &Value) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Event time in nanoseconds as a VRL timestamp.
pub fn timestamp(nanos: i64) -> Value {
    Value::Timestamp(chrono::DateTime::from_timestamp_nanos(nanos))
}
