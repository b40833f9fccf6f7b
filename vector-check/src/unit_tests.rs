//! The bundle's Vector unit tests (`tests.yaml`, run by users with `vector test`) evaluated
//! without Vector: inputs built as Vector builds them, pushed through the two transforms of
//! vector.yaml, and the `type: vrl` conditions run by the vrl crate with Vector's rules (every
//! condition of an output must hold for at least one of the events extracted; `no_outputs_from`
//! components must emit nothing). Each test gets fresh transforms, as in Vector.

use crate::bundle::{self, Pipeline, LUA, REMAP};
use crate::vrl_run::{self, Vrl};
use serde_yaml::Value as Yaml;
use std::collections::BTreeMap;
use vrl::value::Value;

#[derive(Debug)]
pub struct TestResult {
    pub name: String,
    pub errors: Vec<String>,
}

fn names(v: Option<&Yaml>) -> Vec<String> {
    match v {
        Some(Yaml::String(s)) => vec![s.clone()],
        Some(Yaml::Sequence(s)) => s
            .iter()
            .filter_map(Yaml::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// A test input as Vector's `build_input_event` makes it.
fn input_event(input: &Yaml) -> Result<Value, String> {
    let kind = input.get("type").and_then(Yaml::as_str).unwrap_or("raw");
    match kind {
        "vrl" => {
            let source = input
                .get("source")
                .and_then(Yaml::as_str)
                .ok_or("input type 'vrl' requires the field 'source'")?;
            Vrl::compile(source)?.build_event()
        }
        "log" | "raw" => {
            // LogEvent::from_str_legacy: a message and the current time.
            let mut map = BTreeMap::new();
            let now = chrono::Utc::now();
            map.insert("message".into(), Value::from(""));
            map.insert("timestamp".into(), Value::Timestamp(now));
            if kind == "raw" {
                let v = input
                    .get("value")
                    .and_then(Yaml::as_str)
                    .ok_or("input type 'raw' requires the field 'value'")?;
                map.insert("message".into(), Value::from(v));
            } else {
                let fields = input
                    .get("log_fields")
                    .and_then(Yaml::as_mapping)
                    .ok_or("input type 'log' requires the field 'log_fields'")?;
                for (k, v) in fields {
                    let k = k.as_str().ok_or("log_fields keys must be strings")?;
                    let json = serde_json::to_value(v).map_err(|e| e.to_string())?;
                    map.insert(k.into(), vrl_run::from_json(&json));
                }
            }
            Ok(Value::Object(map))
        }
        other => Err(format!("unsupported input type {other:?}")),
    }
}

/// Runs one test definition; an empty error list means it passed.
pub fn run_test(test: &Yaml) -> TestResult {
    let name = test
        .get("name")
        .and_then(Yaml::as_str)
        .unwrap_or("<unnamed>")
        .to_string();
    let mut errors = Vec::new();
    let result = (|| -> Result<(), String> {
        let mut pipeline = Pipeline::load()?;
        let mut emitted: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let inputs = test
            .get("inputs")
            .and_then(Yaml::as_sequence)
            .ok_or("must specify at least one input")?;
        for (i, input) in inputs.iter().enumerate() {
            let event = input_event(input).map_err(|e| format!("inputs[{i}]: {e}"))?;
            match input.get("insert_at").and_then(Yaml::as_str) {
                Some(REMAP) => {
                    if let Some(out) = pipeline.remap(event) {
                        emitted.entry(REMAP).or_default().push(out.clone());
                        let lua_out = pipeline.lua.process(out)?;
                        emitted.entry(LUA).or_default().extend(lua_out);
                    }
                }
                Some(LUA) => {
                    let lua_out = pipeline.lua.process(event)?;
                    emitted.entry(LUA).or_default().extend(lua_out);
                }
                other => return Err(format!("inputs[{i}]: unknown insert_at {other:?}")),
            }
        }
        let lua_out = pipeline.shutdown()?;
        emitted.entry(LUA).or_default().extend(lua_out);

        let outputs = test.get("outputs").and_then(Yaml::as_sequence);
        let no_outputs = names(test.get("no_outputs_from"));
        if outputs.is_none_or(|o| o.is_empty()) && no_outputs.is_empty() {
            return Err(
                "unit test must contain at least one of `outputs` or `no_outputs_from`".into(),
            );
        }
        for (oi, output) in outputs.into_iter().flatten().enumerate() {
            let from = names(output.get("extract_from"));
            let events: Vec<&Value> = from
                .iter()
                .flat_map(|f| emitted.get(f.as_str()).into_iter().flatten())
                .collect();
            if events.is_empty() {
                errors.push(format!("outputs[{oi}] from {from:?}: no events received"));
                continue;
            }
            let conditions = output
                .get("conditions")
                .and_then(Yaml::as_sequence)
                .cloned()
                .unwrap_or_default();
            for (ci, condition) in conditions.iter().enumerate() {
                if condition.get("type").and_then(Yaml::as_str) != Some("vrl") {
                    errors.push(format!(
                        "outputs[{oi}].conditions[{ci}]: only type vrl is supported"
                    ));
                    continue;
                }
                let source = condition.get("source").and_then(Yaml::as_str).unwrap_or("");
                let program = Vrl::compile(source)
                    .map_err(|e| format!("outputs[{oi}].conditions[{ci}]: {e}"))?;
                let mut failures = Vec::new();
                let held = events.iter().any(|e| match program.check_condition(e) {
                    Ok(()) => true,
                    Err(m) => {
                        failures.push(m);
                        false
                    }
                });
                if !held {
                    let payloads: Vec<String> = events
                        .iter()
                        .map(|e| vrl_run::to_json(e).to_string())
                        .collect();
                    errors.push(format!(
                        "outputs[{oi}].conditions[{ci}] held for no event of {from:?}: {failures:?}\n  events: {}",
                        payloads.join("\n  ")
                    ));
                }
            }
        }
        for component in &no_outputs {
            let n = emitted.get(component.as_str()).map_or(0, Vec::len);
            if n > 0 {
                errors.push(format!("{component} emitted {n} events, expected none"));
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        errors.push(e);
    }
    TestResult { name, errors }
}

/// Every test of the bundle's tests.yaml.
pub fn run_file(name: &str) -> Result<Vec<TestResult>, String> {
    let doc = bundle::yaml(name)?;
    let tests = doc
        .get("tests")
        .and_then(Yaml::as_sequence)
        .ok_or_else(|| format!("{name} has no tests"))?;
    Ok(tests.iter().map(run_test).collect())
}
