//! Every tunable of the rule, named, with the Sentinel rule's own value as its default.
//!
//! The JSON form (`cef-portscan.json`) uses exactly these field names. Unknown fields are an
//! error: a misspelt setting silently falling back to its default would change detections.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The settings of one engine. `Settings::default()` is parity with the KQL rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Tumbling window length; Sentinel runs the rule hourly over the previous hour.
    pub window_seconds: u32,
    /// How long after its end a window stays open for out-of-order records.
    pub allowed_lateness_seconds: u32,
    /// Stage-1 groups with at least this many candidates are kept (`count_ >= 10`).
    pub threshold: u32,
    /// `DeviceAction !in ("reset-both", "deny")`: exact, case-sensitive.
    pub excluded_actions: Vec<String>,
    /// `DestinationPort !in (443, 53, 389, 80, 0, 880, 8888, 8080)`.
    pub excluded_ports: Vec<i64>,
    /// `DestinationPort !between (49512 .. 65535)`, both ends included. 49512 as the rule writes it.
    pub excluded_port_range: [i64; 2],
    /// `ApplicationProtocol == "incomplete"`: exact, case-sensitive.
    pub application: String,
    /// `Reason !has "aged-out" and Reason !has "tcp-fin"`: whole terms, case-insensitive.
    pub excluded_reason_terms: Vec<String>,
    /// `DestinationIP !startswith "10."`: case-insensitive text prefixes.
    pub excluded_destination_prefixes: Vec<String>,
    /// Beyond the rule: destinations in these networks are never candidates.
    pub excluded_destination_networks: Vec<IpNet>,
    /// Beyond the rule: when non-empty, only sources inside these networks are considered.
    pub source_networks: Vec<IpNet>,
    /// Beyond the rule: sources never considered (scanners you run on purpose).
    pub source_allowlist: Vec<IpNet>,
    /// Beyond the rule: destinations never considered.
    pub destination_allowlist: Vec<IpNet>,
    /// `isnotempty(Computer)`: PAN-OS CEF records without a syslog hostname are not candidates.
    pub require_computer: bool,
    /// `makeset(DestinationIP)` keeps at most 128 values.
    pub destination_set_cap: u32,
    /// Beyond the rule: after a group alerts, hold its detections in later windows for this long.
    /// 0 (parity) alerts every window.
    pub suppress_seconds: u32,
    /// Cap on tracked stage-1 groups across open windows (about 120 bytes each).
    pub max_groups: u32,
    /// Cap on stage-2 groups past the threshold, per window.
    pub max_detection_groups: u32,
    /// Cap on distinct text values (device names, users, reasons...) remembered per window.
    pub max_interned_values: u32,
    /// Cap on detections waiting for a record to ride on.
    pub max_pending_detections: u32,
    /// Records stamped further than this ahead of the wall clock are not evaluated: one bad
    /// clock must not close every open window. 0 disables the check.
    pub max_future_seconds: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            window_seconds: 3600,
            allowed_lateness_seconds: 120,
            threshold: 10,
            excluded_actions: vec!["reset-both".into(), "deny".into()],
            excluded_ports: vec![443, 53, 389, 80, 0, 880, 8888, 8080],
            excluded_port_range: [49512, 65535],
            application: "incomplete".into(),
            excluded_reason_terms: vec!["aged-out".into(), "tcp-fin".into()],
            excluded_destination_prefixes: vec!["10.".into()],
            excluded_destination_networks: Vec::new(),
            source_networks: Vec::new(),
            source_allowlist: Vec::new(),
            destination_allowlist: Vec::new(),
            require_computer: true,
            destination_set_cap: 128,
            suppress_seconds: 0,
            max_groups: 100_000,
            max_detection_groups: 10_000,
            max_interned_values: 65_536,
            max_pending_detections: 1_000,
            max_future_seconds: 300,
        }
    }
}

/// Why a settings file was refused. The message names the setting and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError(pub String);

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SettingsError {}

impl Settings {
    /// Parses and validates a `cef-portscan.json` text.
    pub fn from_json(text: &[u8]) -> Result<Settings, SettingsError> {
        let settings: Settings = serde_json::from_slice(text)
            .map_err(|e| SettingsError(format!("invalid settings JSON: {e}")))?;
        settings.validate()?;
        Ok(settings)
    }

    /// The defaults as pretty JSON, the shipped `cef-portscan.json`.
    pub fn default_json() -> String {
        // Serialising a struct of plain fields cannot fail.
        serde_json::to_string_pretty(&Settings::default()).unwrap_or_default()
    }

    /// Refuses settings that would make the engine meaningless or unbounded.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let err = |m: String| Err(SettingsError(m));
        if self.window_seconds == 0 {
            return err("window_seconds must be at least 1".into());
        }
        if self.allowed_lateness_seconds >= self.window_seconds {
            return err(format!(
                "allowed_lateness_seconds ({}) must be less than window_seconds ({})",
                self.allowed_lateness_seconds, self.window_seconds
            ));
        }
        if self.threshold == 0 {
            return err("threshold must be at least 1".into());
        }
        let [lo, hi] = self.excluded_port_range;
        if lo > hi {
            return err(format!(
                "excluded_port_range [{lo}, {hi}] is empty: first must not exceed second"
            ));
        }
        if self.destination_set_cap == 0 {
            return err("destination_set_cap must be at least 1".into());
        }
        for (name, value) in [
            ("max_groups", self.max_groups),
            ("max_detection_groups", self.max_detection_groups),
            ("max_interned_values", self.max_interned_values),
            ("max_pending_detections", self.max_pending_detections),
        ] {
            if value == 0 {
                return err(format!("{name} must be at least 1"));
            }
        }
        if self.max_groups > 10_000_000 {
            return err(format!(
                "max_groups ({}) is above 10000000: the module's memory cap cannot hold it",
                self.max_groups
            ));
        }
        if self.excluded_reason_terms.iter().any(|t| t.is_empty()) {
            return err("excluded_reason_terms must not contain an empty term".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_rule_constants() {
        let s = Settings::default();
        assert_eq!(s.threshold, 10);
        assert_eq!(s.window_seconds, 3600);
        assert_eq!(s.excluded_port_range, [49512, 65535]);
        assert_eq!(s.excluded_ports, vec![443, 53, 389, 80, 0, 880, 8888, 8080]);
        assert_eq!(s.excluded_actions, vec!["reset-both", "deny"]);
        assert_eq!(s.application, "incomplete");
        assert_eq!(s.excluded_destination_prefixes, vec!["10."]);
        assert_eq!(s.destination_set_cap, 128);
        assert!(s.validate().is_ok());
    }

    #[test]
    fn default_json_round_trips() {
        let text = Settings::default_json();
        assert_eq!(
            Settings::from_json(text.as_bytes()),
            Ok(Settings::default())
        );
    }

    #[test]
    fn empty_object_means_defaults() {
        assert_eq!(Settings::from_json(b"{}"), Ok(Settings::default()));
    }

    #[test]
    fn unknown_field_is_refused_by_name() {
        let e = Settings::from_json(br#"{"treshold": 5}"#).unwrap_err();
        assert!(e.0.contains("treshold"), "{e}");
    }

    #[test]
    fn wrong_type_is_refused() {
        let e = Settings::from_json(br#"{"threshold": "ten"}"#).unwrap_err();
        assert!(e.0.contains("invalid"), "{e}");
    }

    #[test]
    fn bad_cidr_is_refused() {
        assert!(Settings::from_json(br#"{"source_networks": ["10.0.0.0/33"]}"#).is_err());
    }

    #[test]
    fn lateness_must_fit_in_window() {
        let e = Settings::from_json(br#"{"window_seconds": 60, "allowed_lateness_seconds": 60}"#)
            .unwrap_err();
        assert!(e.0.contains("allowed_lateness_seconds"), "{e}");
    }

    #[test]
    fn zero_caps_are_refused() {
        for field in [
            "max_groups",
            "threshold",
            "destination_set_cap",
            "max_pending_detections",
        ] {
            let text = format!("{{\"{field}\": 0}}");
            assert!(Settings::from_json(text.as_bytes()).is_err(), "{field}");
        }
    }

    #[test]
    fn inverted_port_range_is_refused() {
        assert!(Settings::from_json(br#"{"excluded_port_range": [65535, 49512]}"#).is_err());
    }
}
