//! Where the time goes inside the module, stage by stage, in the runtime that runs it.
//!
//! Fluent Bit runs the `.wasm` in WAMR's fast interpreter, where an instruction costs roughly
//! ten native ones, so native profiles mislead. `scripts/bench-wamr.sh <iwasm>` builds this
//! for wasm32-wasip1 with the module's own profile and runs it under a WAMR `iwasm`; it also
//! runs natively (`cargo run --release -p wamr-bench -- records.ndjson`) for comparison.
//!
//!     wamr-bench <records.ndjson> [rounds]
//!
//! Each line of the input is one record body (Fluent Bit's JSON shape). Every stage runs over
//! all records `rounds` times; the best round is reported. Stages:
//! - `prefilter`: the reject scan, every record;
//! - `parse` and `evaluate`: the record body and the rule, for the records the prefilter lets
//!   through (reported per such record, and per record of the whole mix);
//! - `engine`: `Engine::process_json` end to end (prefilter, parse, rule, windows, state).

use cef_portscan::prefilter::Prefilter;
use cef_portscan::rule::{Evaluation, Rule};
use cef_portscan::{body, Engine, Settings};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: wamr-bench <records.ndjson> [rounds]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(3);
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("wamr-bench: {path}: {e}");
            std::process::exit(2);
        }
    };
    let records: Vec<&[u8]> = text
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let settings = Settings::default();
    let prefilter = Prefilter::new(&settings.application);
    let rule = Rule::new(&settings);
    let passing: Vec<&[u8]> = records
        .iter()
        .copied()
        .filter(|r| prefilter.may_match(r))
        .collect();
    let n = records.len() as f64;
    let m = passing.len() as f64;
    println!(
        "{} records, {:.1} % through the prefilter; best of {rounds} rounds",
        records.len(),
        100.0 * m / n
    );
    println!(
        "{:<10} {:>14} {:>18}",
        "stage", "us per record", "us per passing rec"
    );

    let scan = best(rounds, || {
        for r in &records {
            black_box(prefilter.may_match(black_box(r)));
        }
    });
    report("prefilter", scan, n, None);

    let parse = best(rounds, || {
        for r in &passing {
            black_box(body::from_json(black_box(r)).is_ok());
        }
    });
    report("parse", parse, n, Some(m));

    let bodies: Vec<_> = passing
        .iter()
        .filter_map(|r| body::from_json(r).ok())
        .collect();
    let evaluate = best(rounds, || {
        for f in &bodies {
            black_box(matches!(
                rule.evaluate(black_box(f)),
                Evaluation::Candidate(_)
            ));
        }
    });
    report("evaluate", evaluate, n, Some(m));

    // A fresh engine per round, fed times that move forward as a live stream's do.
    let engine = best(rounds, || {
        let mut e = Engine::new(settings.clone());
        let start = 1_781_481_600_000_000_000i64;
        for (i, r) in records.iter().enumerate() {
            black_box(e.process_json(black_box(r), start + i as i64 * 18_000_000));
        }
    });
    report("engine", engine, n, None);
}

fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn report(stage: &str, d: Duration, all: f64, passing: Option<f64>) {
    let us = d.as_secs_f64() * 1e6;
    match passing {
        Some(m) => println!("{stage:<10} {:>14.3} {:>18.2}", us / all, us / m.max(1.0)),
        None => println!("{stage:<10} {:>14.3} {:>18}", us / all, ""),
    }
}
