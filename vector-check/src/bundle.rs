//! The shipped bundle (plugin-config/vector): its files, its vector.yaml wiring, and the two
//! transforms assembled from it exactly as vector.yaml configures them.

use crate::lua_shim::{LuaConfig, LuaTransform};
use crate::vrl_run::{Outcome, Vrl};
use serde_yaml::Value as Yaml;
use std::path::{Path, PathBuf};
use vrl::value::Value;

/// Names of the components in vector.yaml.
pub const REMAP: &str = "cef_portscan_candidates";
pub const LUA: &str = "cef_portscan_detect";

/// plugin-config/vector in this repository.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("plugin-config")
        .join("vector")
}

pub fn read(name: &str) -> Result<String, String> {
    let path = dir().join(name);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Vector's `${VAR}` / `${VAR:-default}` interpolation, with CEF_PORTSCAN_DIR set to the
/// bundle directory and every other variable unset.
pub fn interpolate(text: &str) -> String {
    let bundle = dir().to_string_lossy().into_owned();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[at..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, d),
            None => (inner, ""),
        };
        if name == "CEF_PORTSCAN_DIR" {
            out.push_str(&bundle);
        } else {
            out.push_str(default);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A YAML document of the bundle, environment variables interpolated as Vector does.
pub fn yaml(name: &str) -> Result<Yaml, String> {
    let text = interpolate(&read(name)?);
    serde_yaml::from_str(&text).map_err(|e| format!("{name}: {e}"))
}

fn str_at<'a>(v: &'a Yaml, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Yaml::as_str)
}

/// A transform's table in vector.yaml.
pub fn transform(config: &Yaml, name: &str) -> Result<Yaml, String> {
    config
        .get("transforms")
        .and_then(|t| t.get(name))
        .cloned()
        .ok_or_else(|| format!("vector.yaml has no transform {name}"))
}

/// The remap transform's program, from its `file` or `source`.
pub fn remap_program(config: &Yaml, name: &str) -> Result<Vrl, String> {
    let t = transform(config, name)?;
    if str_at(&t, "type") != Some("remap") {
        return Err(format!("{name} is not a remap transform"));
    }
    let source = match (str_at(&t, "file"), str_at(&t, "source")) {
        (Some(file), None) => {
            std::fs::read_to_string(file).map_err(|e| format!("{name}.file {file}: {e}"))?
        }
        (None, Some(source)) => source.to_string(),
        _ => return Err(format!("{name} needs exactly one of file and source")),
    };
    Vrl::compile(&source).map_err(|e| format!("{name}: {e}"))
}

/// The lua transform, configured from its vector.yaml table.
pub fn lua_transform(config: &Yaml, name: &str) -> Result<LuaTransform, String> {
    let t = transform(config, name)?;
    if str_at(&t, "type") != Some("lua") || str_at(&t, "version") != Some("2") {
        return Err(format!("{name} is not a lua transform, version \"2\""));
    }
    let hooks = t
        .get("hooks")
        .ok_or_else(|| format!("{name} has no hooks"))?;
    let search_dirs = t
        .get("search_dirs")
        .and_then(Yaml::as_sequence)
        .map(|dirs| {
            dirs.iter()
                .filter_map(Yaml::as_str)
                .map(PathBuf::from)
                .collect()
        })
        // Vector's default: the directories of the config files.
        .unwrap_or_else(|| vec![dir()]);
    let timers = t
        .get("timers")
        .and_then(Yaml::as_sequence)
        .map(|timers| {
            timers
                .iter()
                .filter_map(|timer| {
                    Some((
                        timer.get("interval_seconds")?.as_u64()?,
                        str_at(timer, "handler")?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let config = LuaConfig {
        source: str_at(&t, "source").map(str::to_string),
        search_dirs,
        init: str_at(hooks, "init").map(str::to_string),
        process: str_at(hooks, "process")
            .ok_or_else(|| format!("{name} has no hooks.process"))?
            .to_string(),
        shutdown: str_at(hooks, "shutdown").map(str::to_string),
        timers,
    };
    LuaTransform::new(&config)
}

/// vector.yaml's two transforms, chained as its `inputs` chain them.
pub struct Pipeline {
    pub remap: Vrl,
    pub lua: LuaTransform,
}

impl Pipeline {
    /// The bundle as vector.yaml wires it.
    pub fn load() -> Result<Pipeline, String> {
        let config = yaml("vector.yaml")?;
        let lua_inputs = transform(&config, LUA)?
            .get("inputs")
            .and_then(Yaml::as_sequence)
            .map(|s| {
                s.iter()
                    .filter_map(Yaml::as_str)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if lua_inputs != [REMAP] {
            return Err(format!("{LUA} must read {REMAP}, reads {lua_inputs:?}"));
        }
        Ok(Pipeline {
            remap: remap_program(&config, REMAP)?,
            lua: lua_transform(&config, LUA)?,
        })
    }

    /// The remap transform on one event, with Vector's default error policy: an aborted
    /// event is dropped, an erroring one passes unchanged.
    pub fn remap(&self, event: Value) -> Option<Value> {
        match self.remap.run(event.clone()) {
            Outcome::Done { event, .. } => Some(event),
            Outcome::Aborted(_) => None,
            Outcome::Error(_) => Some(event),
        }
    }

    /// One event through both transforms: what the Lua transform emitted.
    pub fn process(&mut self, event: Value) -> Result<Vec<Value>, String> {
        match self.remap(event) {
            Some(e) => self.lua.process(e),
            None => Ok(Vec::new()),
        }
    }

    pub fn shutdown(&mut self) -> Result<Vec<Value>, String> {
        self.lua.shutdown()
    }
}
