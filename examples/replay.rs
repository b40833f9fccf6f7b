//! Replays NDJSON records (Fluent Bit `json_lines` output, or traffic-gen's) through the
//! cef-portscan .wasm exactly as Fluent Bit's wasm filter would call it, and prints what comes
//! out: one JSON line per output record. Stats go to stderr as `stats: {...}`.
//!
//! cargo run --release --example replay -- <records.ndjson> [--config F] [--entry NAME]
//!     [--format json|msgpack] [--flush] [--wasm PATH] [--heap-size N]

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wasm_host::ndjson::{parse_line, Line};
use wasm_host::{fluent_bit_keeps, CallResult, EventFormat, Host, HostConfig};

const USAGE: &str = "usage: replay <records.ndjson|-> [--config F] [--entry NAME] \
[--format json|msgpack] [--flush] [--wasm PATH] [--heap-size N] [--tag TAG]";

/// Fluent Bit never calls these; the host cannot drain a module that loops forever on them.
const MAX_FLUSHED: usize = 10_000_000;

struct Args {
    input: String,
    config: Option<PathBuf>,
    entry: Option<String>,
    format: EventFormat,
    flush: bool,
    wasm: PathBuf,
    heap_size: u32,
    tag: String,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut input = None;
    let mut args = Args {
        input: String::new(),
        config: None,
        entry: None,
        format: EventFormat::Json,
        flush: false,
        wasm: Path::new(env!("CARGO_MANIFEST_DIR")).join("dist/cef-portscan.wasm"),
        heap_size: wasm_host::DEFAULT_HEAP_SIZE,
        tag: "paloalto".into(),
    };
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--config" => args.config = Some(value("--config")?.into()),
            "--entry" => args.entry = Some(value("--entry")?),
            "--format" => {
                let v = value("--format")?;
                args.format = EventFormat::parse(&v)
                    .ok_or_else(|| format!("--format must be json or msgpack, not {v:?}"))?;
            }
            "--flush" => args.flush = true,
            "--wasm" => args.wasm = value("--wasm")?.into(),
            "--heap-size" => {
                let v = value("--heap-size")?;
                args.heap_size = parse_size(&v)
                    .ok_or_else(|| format!("--heap-size: {v:?} is not a size (8192, 64K, 4M)"))?;
            }
            "--tag" => args.tag = value("--tag")?,
            "-h" | "--help" => return Err(USAGE.into()),
            s if s.starts_with("--") => return Err(format!("unknown option {s}\n{USAGE}")),
            s if input.is_none() => input = Some(s.to_owned()),
            s => return Err(format!("unexpected argument {s:?}\n{USAGE}")),
        }
    }
    args.input = input.ok_or_else(|| USAGE.to_owned())?;
    Ok(args)
}

/// Sizes the way Fluent Bit writes `wasm_heap_size`: bytes, or with a K/M/G suffix.
fn parse_size(s: &str) -> Option<u32> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    u32::try_from(num.parse::<u64>().ok()?.checked_mul(mult)?).ok()
}

/// The module's only accessible path: holds the settings file (if any) and the stats file
/// the module writes, so neither touches the working directory. Removed on drop.
struct ConfigDir(PathBuf);

impl ConfigDir {
    fn new(settings: Option<&Path>) -> Result<ConfigDir, String> {
        let dir = std::env::temp_dir().join(format!("cef-portscan-replay-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let d = ConfigDir(dir);
        if let Some(settings) = settings {
            std::fs::copy(settings, d.0.join("cef-portscan.json"))
                .map_err(|e| format!("--config {}: {e}", settings.display()))?;
        }
        Ok(d)
    }
}

impl Drop for ConfigDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[derive(Default)]
struct Tally {
    lines: u64,
    records: u64,
    malformed_passed: u64,
    not_objects: u64,
    undated: u64,
    outputs: u64,
    dropped: u64,
    refused_by_fluent_bit: u64,
    flushed: u64,
}

fn wall_clock() -> (u32, u32) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as u32, d.subsec_nanos())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("replay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    if !args.wasm.exists() {
        return Err(format!(
            "{} does not exist: run `make wasm` first (or pass --wasm PATH)",
            args.wasm.display()
        ));
    }
    let config_dir = ConfigDir::new(args.config.as_deref())?;
    let entry = args.entry.clone().unwrap_or_else(|| {
        match args.format {
            EventFormat::Json => "cef_portscan_tag",
            EventFormat::Msgpack => "cef_portscan_tag_msgpack",
        }
        .into()
    });
    let mut host = Host::new(
        &args.wasm,
        HostConfig {
            heap_size: args.heap_size,
            // Without --config the module finds no settings file and uses the rule's defaults.
            accessible_paths: vec![config_dir.0.clone()],
            event_format: args.format,
            function_name: entry.clone(),
            // The module's stderr is the operator's, as under Fluent Bit.
            capture_stderr: false,
            // stdout carries our records; the module's prints are moved to stderr below.
            capture_stdout: true,
            log_to_stderr: true,
        },
    )
    .map_err(|e| format!("{}: {e}", args.wasm.display()))?;

    let reader: Box<dyn BufRead> = if args.input == "-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        Box::new(BufReader::new(
            std::fs::File::open(&args.input).map_err(|e| format!("{}: {e}", args.input))?,
        ))
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    let mut last_time: Option<(u32, u32)> = None;

    for (n, line) in reader.split(b'\n').enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", args.input))?;
        tally.lines += 1;
        let (time, body) = match parse_line(&line) {
            Line::Blank => continue,
            Line::NotObject(what) => {
                tally.not_objects += 1;
                eprintln!(
                    "replay: line {}: {what}, not a record object; skipped",
                    n + 1
                );
                continue;
            }
            Line::Malformed(bytes) => {
                // The module must cope with garbage: hand it over as it is.
                tally.malformed_passed += 1;
                (None, bytes)
            }
            Line::Record { time, body } => (
                time,
                match args.format {
                    EventFormat::Json => body.to_fluent_bit_json(),
                    EventFormat::Msgpack => body.to_msgpack(),
                },
            ),
        };
        // Fluent Bit stamps undated records on arrival; keep replayed time moving instead.
        let (sec, nsec) = match time.or(last_time) {
            Some(t) => t,
            None => wall_clock(),
        };
        if time.is_none() {
            tally.undated += 1;
        }
        last_time = Some((sec, nsec));
        tally.records += 1;
        let result = host.call(&args.tag, sec, nsec, &body);
        emit(&mut out, args.format, result, &mut tally)?;
    }

    if args.flush {
        let pending = host
            .call_export_i32("cef_portscan_flush")
            .map_err(|e| format!("--flush: {e}"))?;
        eprintln!("replay: flush: {pending} detections pending");
        for _ in 0..MAX_FLUSHED {
            let text = host
                .call_export_cstr("cef_portscan_next_detection")
                .map_err(|e| format!("--flush: {e}"))?;
            if text.is_empty() {
                break;
            }
            tally.flushed += 1;
            out.write_all(&text)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| format!("stdout: {e}"))?;
        }
    }
    out.flush().map_err(|e| format!("stdout: {e}"))?;
    drop(out);

    // Printed after the records so that it cannot interleave with them.
    let module_stdout = host.stdout();
    if !module_stdout.is_empty() {
        eprint!("module stdout: {module_stdout}");
    }
    let c = host.counters();
    eprintln!(
        "replay: {} lines, {} records in ({} malformed passed as-is, {} undated), {} not objects skipped; \
         {} out, {} dropped by the module, {} refused by Fluent Bit, {} flushed; {} traps; \
         {} records too large for the {}-byte heap; peak memory {} pages",
        tally.lines,
        tally.records,
        tally.malformed_passed,
        tally.undated,
        tally.not_objects,
        tally.outputs,
        tally.dropped,
        tally.refused_by_fluent_bit,
        tally.flushed,
        c.traps,
        c.copy_failures,
        args.heap_size.max(wasm_host::DEFAULT_HEAP_SIZE),
        c.peak_memory_pages,
    );
    match host.call_export_cstr("cef_portscan_stats") {
        Ok(s) => eprintln!("stats: {}", String::from_utf8_lossy(&s)),
        Err(e) => eprintln!("stats: unavailable ({e})"),
    }
    drop(config_dir);
    Ok(())
}

fn emit(
    out: &mut impl Write,
    format: EventFormat,
    result: CallResult,
    tally: &mut Tally,
) -> Result<(), String> {
    let bytes = match result {
        CallResult::Output(b) => b,
        CallResult::Dropped(_) => {
            // The host already logged why (except for "", a deliberate drop).
            tally.dropped += 1;
            return Ok(());
        }
    };
    let line = match fluent_bit_keeps(format, &bytes) {
        Err(why) => {
            tally.refused_by_fluent_bit += 1;
            eprintln!("replay: Fluent Bit would not keep an output record: {why}");
            return Ok(());
        }
        // JSON that is exactly one object is printed as the module wrote it.
        Ok(_)
            if format == EventFormat::Json
                && serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() =>
        {
            bytes
        }
        Ok(v) => v.to_string().into_bytes(),
    };
    tally.outputs += 1;
    out.write_all(&line)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(|e| format!("stdout: {e}"))
}
