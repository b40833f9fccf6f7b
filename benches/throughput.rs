//! Native throughput of the core on realistic mixed PAN-OS traffic: ~1 KB CEF lines in
//! Fluent Bit's JSON record shape, about 4 % `incomplete` candidates, planted-scan free.
//!
//! `cargo bench --bench throughput`. Prints, once, how much of each rejected record the
//! prefilter read before deciding.

use cef_portscan::prefilter::Prefilter;
use cef_portscan::{Engine, Settings};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;

const N: usize = 20_000;

fn corpus() -> (Vec<Vec<u8>>, Vec<i64>) {
    let records = traffic_gen::mixed_records(7, N);
    let bodies = records
        .iter()
        .map(|r| traffic_gen::body_json(&r.body).into_bytes())
        .collect();
    let times = records.iter().map(|r| r.time).collect();
    (bodies, times)
}

fn msgpack(bodies: &[Vec<u8>]) -> Vec<Vec<u8>> {
    bodies
        .iter()
        .map(|b| {
            let v: rmpv::Value = serde_json::from_slice::<serde_json::Value>(b)
                .map(|j| rmpv::ext::to_value(j).unwrap_or(rmpv::Value::Nil))
                .unwrap_or(rmpv::Value::Nil);
            let mut out = Vec::new();
            rmpv::encode::write_value(&mut out, &v).unwrap_or_default();
            out
        })
        .collect()
}

fn report_prefix(bodies: &[Vec<u8>]) {
    let p = Prefilter::new("incomplete");
    let (mut read, mut total, mut rejected, mut bytes) = (0usize, 0usize, 0usize, 0usize);
    for b in bodies {
        bytes += b.len();
        let (maybe, n) = p.scan(b);
        if !maybe {
            rejected += 1;
            read += n;
            total += b.len();
        }
    }
    eprintln!(
        "corpus: {} records, mean {} bytes; prefilter rejected {:.1} %, reading {:.1} % of each rejected record on average",
        bodies.len(),
        bytes / bodies.len().max(1),
        100.0 * rejected as f64 / bodies.len().max(1) as f64,
        100.0 * read as f64 / total.max(1) as f64
    );
}

fn bench(c: &mut Criterion) {
    let (bodies, times) = corpus();
    report_prefix(&bodies);
    let packed = msgpack(&bodies);

    let mut g = c.benchmark_group("mixed-pan-os");
    g.throughput(Throughput::Elements(bodies.len() as u64));
    g.bench_function("prefilter", |b| {
        let p = Prefilter::new("incomplete");
        b.iter(|| bodies.iter().filter(|r| p.may_match(black_box(r))).count())
    });
    g.bench_function("engine_json", |b| {
        b.iter_batched(
            || Engine::with_clock(Settings::default(), || None),
            |mut e| {
                for (r, t) in bodies.iter().zip(&times) {
                    black_box(e.process_json(black_box(r), *t));
                }
                e
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("engine_msgpack", |b| {
        b.iter_batched(
            || Engine::with_clock(Settings::default(), || None),
            |mut e| {
                for (r, t) in packed.iter().zip(&times) {
                    black_box(e.process_msgpack(black_box(r), *t));
                }
                e
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
