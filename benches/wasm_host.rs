//! Records per second through `dist/cef-portscan.wasm` under the Fluent Bit host emulation,
//! against a passthrough module under the same host: what the rule costs on top of the
//! wasm filter's fixed per-record cost. wasmtime compiles to native code, so these are
//! AOT-like figures; under Fluent Bit's interpreter the rule's share is far larger
//! (FLUENT-BIT-ABI.md, "Cost").
//!
//! cargo bench --bench wasm_host   (needs `make wasm` first)

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;
use traffic_gen::{mixed_records, to_ndjson_line};
use wasm_host::ndjson::DatedRecord;
use wasm_host::{EventFormat, Host, HostConfig, PASSTHROUGH_WAT};

const RECORDS: usize = 20_000;
const HOUR: u32 = 3600;

fn inputs() -> Vec<DatedRecord> {
    mixed_records(42, RECORDS)
        .iter()
        .map(|r| {
            DatedRecord::from_line(to_ndjson_line(r).as_bytes())
                .unwrap_or_else(|other| panic!("traffic-gen line did not read back: {other:?}"))
        })
        .collect()
}

fn host(entry: &str, format: EventFormat, dir: &Path) -> Host {
    let config = HostConfig {
        accessible_paths: vec![dir.to_path_buf()],
        event_format: format,
        function_name: entry.into(),
        ..HostConfig::default()
    };
    if entry == "passthrough" {
        return Host::from_bytes(PASSTHROUGH_WAT.as_bytes(), config).expect("passthrough");
    }
    let wasm = Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/cef-portscan.wasm");
    assert!(
        wasm.exists(),
        "{} is missing: run `make wasm` first",
        wasm.display()
    );
    Host::new(&wasm, config).unwrap_or_else(|e| panic!("{e}"))
}

fn bench(c: &mut Criterion) {
    let records = inputs();
    let bytes: usize = records.iter().map(|r| r.json.len()).sum();
    eprintln!(
        "{} mixed PAN-OS/NGFW records, {} bytes of JSON on average",
        records.len(),
        bytes / records.len()
    );
    let dir = std::env::temp_dir().join(format!("cef-portscan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");

    let mut group = c.benchmark_group("wasm_host");
    group.throughput(Throughput::Elements(records.len() as u64));
    group.sample_size(10);
    for (entry, format) in [
        ("passthrough", EventFormat::Json),
        ("cef_portscan_tag", EventFormat::Json),
        ("cef_portscan_detections", EventFormat::Json),
        ("cef_portscan_tag_msgpack", EventFormat::Msgpack),
    ] {
        let mut h = host(entry, format, &dir);
        // Each pass is a later hour, so windows keep opening and closing as in a live
        // stream instead of every record turning "late" after the first pass.
        let mut pass = 0u32;
        group.bench_function(entry, |b| {
            b.iter(|| {
                pass += 1;
                let mut out = 0usize;
                for r in &records {
                    let body = r.body(format);
                    let res = h.call("paloalto", r.sec + pass * HOUR, r.nsec, body);
                    out += usize::from(res.output().is_some());
                }
                black_box(out)
            })
        });
        assert_eq!(h.counters().traps, 0, "{entry} trapped");
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
