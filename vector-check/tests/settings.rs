//! The bundle's tunables cannot drift from the Rust core's: the Lua `settings` table, the VRL
//! settings block and the VRL list of mapped CEF keys are compared with their sources.

use cef_portscan::Settings;
use serde_json::Value as J;
use vector_check::{bundle, vrl_run, Pipeline};

fn defaults() -> serde_json::Map<String, J> {
    match serde_json::to_value(Settings::default()).unwrap() {
        J::Object(m) => m,
        other => panic!("settings serialise as {other}"),
    }
}

#[test]
fn lua_settings_table_equals_rust_defaults() {
    let p = Pipeline::load().unwrap();
    let lua = p.lua.eval_json("cef_portscan.settings").unwrap();
    let J::Object(lua) = lua else {
        panic!("settings is not a table: {lua}")
    };
    let rust = defaults();
    let mut lua_keys: Vec<_> = lua.keys().cloned().collect();
    let mut rust_keys: Vec<_> = rust.keys().cloned().collect();
    lua_keys.sort();
    rust_keys.sort();
    assert_eq!(lua_keys, rust_keys, "setting names");
    for (k, v) in &rust {
        assert_eq!(&lua[k], v, "setting {k}");
    }
}

/// The `# ---- settings: BEGIN/END ----` block of cef_portscan.vrl, evaluated by the vrl crate.
fn vrl_block(begin: &str, end: &str) -> String {
    let text = bundle::read("cef_portscan.vrl").unwrap();
    let from = text
        .find(begin)
        .unwrap_or_else(|| panic!("{begin} missing"));
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("{end} missing"))
        + from;
    text[from..to].to_string()
}

#[test]
fn vrl_settings_block_equals_rust_defaults() {
    let block = vrl_block("# ---- settings: BEGIN ----", "# ---- settings: END ----");
    let names: Vec<String> = block
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_string()))
        .filter(|k| !k.starts_with('#'))
        .collect();
    let object = names
        .iter()
        .map(|n| format!("\"{n}\": {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let program = format!("{block}\n{{ {object} }}");
    let vrl = vector_check::vrl_run::Vrl::compile(&program).unwrap();
    let vrl_run::Outcome::Done { value, .. } =
        vrl.run(vrl::value::Value::from(serde_json::json!({})))
    else {
        panic!("settings block did not run")
    };
    let J::Object(got) = vrl_run::to_json(&value) else {
        panic!("not an object")
    };
    let rust = defaults();
    // The predicate's settings: every one the VRL program applies, all of them present.
    let predicate = [
        "excluded_actions",
        "excluded_ports",
        "excluded_port_range",
        "application",
        "excluded_reason_terms",
        "excluded_destination_prefixes",
        "excluded_destination_networks",
        "source_networks",
        "source_allowlist",
        "destination_allowlist",
        "require_computer",
    ];
    let mut got_keys: Vec<_> = got.keys().map(String::as_str).collect();
    got_keys.sort_unstable();
    let mut want: Vec<_> = predicate.to_vec();
    want.sort_unstable();
    assert_eq!(got_keys, want);
    for k in predicate {
        assert_eq!(got[k], rust[k], "VRL setting {k}");
    }
}

#[test]
fn vrl_mapped_keys_equal_the_core_sentinel_mapping() {
    // The VRL list is one verbose-mode regex: `^(?: act | app | ... )$`.
    let text = bundle::read("cef_portscan.vrl").unwrap();
    let from = text.find("mapped_keys = r'(?x) ^(?:").unwrap() + "mapped_keys = r'(?x) ^(?:".len();
    let to = text[from..].find(")$'").unwrap() + from;
    let vrl_keys: Vec<String> = text[from..to]
        .split('|')
        .map(|k| k.trim().to_string())
        .collect();
    // The core's list, read from its source (src/sentinel.rs keeps it private).
    let core = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src/sentinel.rs"),
    )
    .unwrap();
    let from = core.find("const MAPPED: &[&str] = &[").unwrap();
    let to = core[from..].find("];").unwrap() + from;
    let core_keys: Vec<String> = core[from..to]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(
        core_keys.len() > 100,
        "parsed {} core keys",
        core_keys.len()
    );
    assert_eq!(vrl_keys, core_keys);
    for k in &vrl_keys {
        assert!(cef_portscan::sentinel::is_mapped(k.as_bytes()), "{k}");
    }
    // And the regex the program runs accepts exactly these keys.
    let program = format!("{}\n[match(\"cs1Label\", mapped_keys), match(\"PanOSDGl1\", mapped_keys), match(\"cs1L\", mapped_keys)]", &text[text.find("mapped_keys = r'").unwrap()..text.find(")$'").unwrap() + 3]);
    let vrl = vector_check::vrl_run::Vrl::compile(&program).unwrap();
    let vrl_run::Outcome::Done { value, .. } =
        vrl.run(vrl::value::Value::from(serde_json::json!({})))
    else {
        panic!("mapped_keys did not run")
    };
    assert_eq!(
        vrl_run::to_json(&value),
        serde_json::json!([true, false, false])
    );
}
