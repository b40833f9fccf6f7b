//! The prefiltered pipeline (`plugin-config/fluent-bit/local-prefiltered.{conf,yaml}`) hands the
//! module only the records its `rewrite_tag` rules match, so those rules must let through every
//! record the rule could count. Checked on generated traffic of every record shape and planted
//! edge case, both variants, with the rules read from the shipped files (Fluent Bit's
//! record-accessor and regex semantics emulated for the forms used there: `$key`,
//! `$key['sub']`, unanchored search on string values).

use cef_portscan::rule::{Evaluation, Rule};
use cef_portscan::{body, Settings};
use regex::Regex;
use serde_json::Value;
use traffic_gen::{body_json, generate, GenConfig, Variant};

const CONF: &str = include_str!("../plugin-config/fluent-bit/local-prefiltered.conf");
const YAML: &str = include_str!("../plugin-config/fluent-bit/local-prefiltered.yaml");

struct PrefilterRule {
    key: String,
    sub: Option<String>,
    regex: Regex,
}

impl PrefilterRule {
    /// `$key regex tag keep` or `$key['sub'] regex tag keep`.
    fn parse(rule: &str) -> PrefilterRule {
        let parts: Vec<&str> = rule.split_whitespace().collect();
        assert_eq!(parts.len(), 4, "rule {rule:?}");
        assert_eq!(parts[2], "portscan.detection", "rule {rule:?}");
        assert_eq!(parts[3], "true", "the original must be kept: {rule:?}");
        let accessor = parts[0].strip_prefix('$').expect("a record accessor");
        let (key, sub) = match accessor.split_once("['") {
            Some((key, rest)) => (key, Some(rest.trim_end_matches("']").to_owned())),
            None => (accessor, None),
        };
        PrefilterRule {
            key: key.to_owned(),
            sub,
            regex: Regex::new(parts[1]).expect("a regex"),
        }
    }

    fn matches(&self, record: &Value) -> bool {
        let mut value = record.get(&self.key);
        if let Some(sub) = &self.sub {
            value = value.and_then(|v| v.get(sub));
        }
        matches!(value, Some(Value::String(s)) if self.regex.is_match(s))
    }
}

/// The `Rule` lines of the classic config's rewrite_tag section.
fn conf_rules() -> Vec<String> {
    CONF.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("Rule"))
        .map(|r| r.trim().to_owned())
        .collect()
}

/// The items of the YAML config's `rule:` list.
fn yaml_rules() -> Vec<String> {
    let mut rules = Vec::new();
    let mut inside = false;
    for line in YAML.lines().map(str::trim) {
        if line == "rule:" {
            inside = true;
        } else if inside {
            match line.strip_prefix("- ") {
                Some(item) => rules.push(item.trim_matches(|c| c == '"' || c == '\'').to_owned()),
                None => inside = false,
            }
        }
    }
    rules
}

fn shipped_rules() -> Vec<PrefilterRule> {
    conf_rules()
        .iter()
        .map(|r| PrefilterRule::parse(r))
        .collect()
}

#[test]
fn conf_and_yaml_hold_the_same_rules() {
    let conf = conf_rules();
    assert_eq!(conf.len(), 4, "{conf:?}");
    assert_eq!(conf, yaml_rules());
}

#[test]
fn every_candidate_passes_the_prefilter() {
    let rules = shipped_rules();
    let rule = Rule::new(&Settings::default());
    let records = generate(&GenConfig::full_coverage(20_260_615, 3));
    let (mut cef, mut ngfw) = (0, 0);
    for r in &records {
        let passes = rules.iter().any(|p| p.matches(&r.body));
        let text = body_json(&r.body);
        let Ok(fields) = body::from_json(text.as_bytes()) else {
            continue;
        };
        if let Evaluation::Candidate(_) = rule.evaluate(&fields) {
            assert!(passes, "a candidate the prefilter would not copy: {text}");
            match r.truth.variant() {
                Some(Variant::CloudNgfw) => ngfw += 1,
                _ => cef += 1,
            }
        }
    }
    assert!(
        cef > 100 && ngfw > 10,
        "too few candidates to mean much: {cef} CEF, {ngfw} NGFW"
    );
}

#[test]
fn ordinary_traffic_is_mostly_not_copied() {
    // The point of the pipeline: on background traffic the module sees a small share.
    let rules = shipped_rules();
    let mut config = GenConfig::sample(11, 2);
    config.records_per_hour = 5_000;
    let records = generate(&config);
    let copied = records
        .iter()
        .filter(|r| rules.iter().any(|p| p.matches(&r.body)))
        .count();
    assert!(
        copied * 10 < records.len(),
        "{copied} of {} records copied",
        records.len()
    );
}

#[test]
fn both_ngfw_message_forms_and_cef_spellings_pass() {
    let rules = shipped_rules();
    let passes = |v: Value| rules.iter().any(|p| p.matches(&v));
    assert!(passes(
        serde_json::json!({"message": "<14>x CEF:0|a|b|c|d|e|f|app=incomplete"})
    ));
    assert!(passes(
        serde_json::json!({"log": "CEF:0|a|b|c|d|e|f|src=1 app=incomplete"})
    ));
    assert!(passes(
        serde_json::json!({"Message": "{\"app\": \"incomplete\"}"})
    ));
    assert!(passes(
        serde_json::json!({"Message": {"app": "incomplete"}})
    ));
    assert!(!passes(
        serde_json::json!({"message": "CEF:0|a|b|c|d|e|f|app=ssl"})
    ));
    assert!(!passes(serde_json::json!({"Message": {"app": "ssl"}})));
}
