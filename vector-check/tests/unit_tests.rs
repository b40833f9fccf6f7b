//! The bundle's Vector unit tests (plugin-config/vector/tests.yaml), run without Vector.

use vector_check::unit_tests;

#[test]
fn every_vector_unit_test_passes() {
    let results = unit_tests::run_file("tests.yaml").unwrap();
    assert!(results.len() >= 10, "only {} tests", results.len());
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.errors.is_empty())
        .map(|r| format!("{}:\n  {}", r.name, r.errors.join("\n  ")))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    for r in &results {
        println!("ok: {}", r.name);
    }
}

/// The runner itself must be able to fail: a wrong expectation is reported.
#[test]
fn a_false_condition_fails() {
    let test: serde_yaml::Value = serde_yaml::from_str(
        r#"
name: broken
inputs:
  - insert_at: cef_portscan_candidates
    type: vrl
    source: |
      .message = "hello"
      .timestamp = t'2026-06-15T10:00:00Z'
outputs:
  - extract_from: cef_portscan_candidates
    conditions:
      - type: vrl
        source: exists(.cef_portscan)
"#,
    )
    .unwrap();
    let r = unit_tests::run_test(&test);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    let test: serde_yaml::Value = serde_yaml::from_str(
        r#"
name: no outputs expected but some
inputs:
  - insert_at: cef_portscan_candidates
    type: vrl
    source: |
      .message = "hello"
      .timestamp = t'2026-06-15T10:00:00Z'
no_outputs_from: [cef_portscan_candidates]
"#,
    )
    .unwrap();
    assert_eq!(unit_tests::run_test(&test).errors.len(), 1);
}
