//! Writes generated traffic as NDJSON (Fluent Bit `json_lines` style, with `date`), and
//! optionally the KQL reference's expected window detections for it.
//!
//! The committed sample is exactly:
//!
//! cargo run --example generate -- --seed 7 --hours 3 --out examples/data/sample.ndjson \
//!     --expected examples/data/sample.expected.json
//!
//! Defaults are `GenConfig::sample` (250 background records and 5 planted scans an hour);
//! `--edge-passes 2 --big-scan --records-per-hour 1500` is the parity test's traffic.

use std::io::Write;
use std::process::ExitCode;
use traffic_gen::{generate, kql, to_ndjson_line, GenConfig};

const USAGE: &str = "usage: generate [--seed N] [--hours N] [--start EPOCH_SECS] \
[--records-per-hour N] [--scans-per-hour N] [--edge-passes N] [--big-scan] \
[--max-delay-secs N] [--out FILE|-] [--expected FILE]";

fn parse<T: std::str::FromStr>(flag: &str, value: Option<String>) -> Result<T, String> {
    let v = value.ok_or_else(|| format!("{flag} needs a value"))?;
    v.parse()
        .map_err(|_| format!("{flag}: cannot read {v:?} as a number"))
}

fn run() -> Result<(), String> {
    let mut cfg = GenConfig::sample(7, 3);
    let mut out = String::from("-");
    let mut expected: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => cfg.seed = parse(&a, args.next())?,
            "--hours" => cfg.hours = parse(&a, args.next())?,
            "--start" => cfg.start_secs = parse(&a, args.next())?,
            "--records-per-hour" => cfg.records_per_hour = parse(&a, args.next())?,
            "--scans-per-hour" => cfg.scans_per_hour = parse(&a, args.next())?,
            "--edge-passes" => cfg.edge_passes = parse(&a, args.next())?,
            "--max-delay-secs" => cfg.max_delay_secs = parse(&a, args.next())?,
            "--big-scan" => cfg.big_scan = true,
            "--out" => out = args.next().ok_or("--out needs a value")?,
            "--expected" => expected = Some(args.next().ok_or("--expected needs a value")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if cfg.hours == 0 {
        return Err("--hours must be at least 1".into());
    }

    let records = generate(&cfg);
    let mut text = String::with_capacity(records.len() * 1100);
    for r in &records {
        text.push_str(&to_ndjson_line(r));
        text.push('\n');
    }
    if out == "-" {
        std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| format!("stdout: {e}"))?;
    } else {
        std::fs::write(&out, &text).map_err(|e| format!("{out}: {e}"))?;
    }

    let detections = kql::evaluate(records.iter().map(|r| &r.truth), &kql::Params::default());
    if let Some(path) = expected {
        let rows: Vec<serde_json::Value> = detections.iter().map(|d| d.to_value()).collect();
        let mut json = serde_json::to_string_pretty(&rows).map_err(|e| e.to_string())?;
        json.push('\n');
        std::fs::write(&path, json).map_err(|e| format!("{path}: {e}"))?;
    }
    eprintln!(
        "{} records ({} bytes), {} expected window detections",
        records.len(),
        text.len(),
        detections.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
