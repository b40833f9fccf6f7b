//! The shipped `plugin-config/cef-portscan.json` is the rule's defaults, every setting spelled
//! out, so that users start from parity and see every knob.

use cef_portscan::Settings;

const SHIPPED: &str = include_str!("../plugin-config/cef-portscan.json");

#[test]
fn shipped_settings_are_the_defaults() {
    assert_eq!(
        Settings::from_json(SHIPPED.as_bytes()),
        Ok(Settings::default())
    );
}

#[test]
fn shipped_settings_name_every_field() {
    let shipped: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(SHIPPED).unwrap();
    let defaults: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&Settings::default_json()).unwrap();
    let mut a: Vec<_> = shipped.keys().collect();
    let mut b: Vec<_> = defaults.keys().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn readme_documents_every_setting() {
    let readme = include_str!("../README.md");
    for key in serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(SHIPPED)
        .unwrap()
        .keys()
    {
        assert!(
            readme.contains(&format!("`{key}`")),
            "README does not document `{key}`"
        );
    }
}
