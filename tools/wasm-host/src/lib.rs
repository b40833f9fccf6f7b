//! Runs a Fluent Bit `wasm` filter module under wasmtime the way Fluent Bit (WAMR inside) runs
//! it, so that tests, backtests and benchmarks see what a real pipeline would see.
//!
//! The contract is `shared/docs/FLUENT-BIT-ABI.md`. Emulated: WASI preview1 with each
//! `accessible_paths` entry preopened under exactly that guest path; `_initialize` called once;
//! WAMR's app heap placed in fresh pages of linear memory and managed from the host (or the
//! module's own `malloc`/`free` when it exports both); the tag and record copies with the
//! trailing NUL rules of each event format; `rec == 0` with the real length when a record does
//! not fit; the NUL-terminated result copied out before the copies are freed; `""` as a drop;
//! traps dropping one record; an invalid result pointer dropping the record and, because WAMR
//! leaves that exception set, the next record too; SIMD refused at load.
//!
//! Not emulated: the interpreter's `wasm_stack_size` (wasmtime runs native code on its own
//! stack), the interpreter's speed, and WAMR's exact allocator bookkeeping (our app heap is
//! first-fit with an 8-byte block header, so the largest record that fits differs from WAMR's
//! by a few hundred bytes at most).

mod heap;
pub mod msgpack;
pub mod ndjson;

use heap::AppHeap;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;
use wasmtime::{Config, Engine, Extern, Instance, Linker, Memory, Module, Store, TypedFunc};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{FsPerms, WasiCtxBuilder};

/// Fluent Bit's `FLB_WASM_DEFAULT_HEAP_SIZE`; smaller settings are raised to it.
pub const DEFAULT_HEAP_SIZE: u32 = 8192;
pub const WASM_PAGE: u64 = 65_536;
/// Captured stdio beyond this makes the guest's writes fail instead of growing without bound.
const CAPTURE_LIMIT: usize = 64 << 20;
/// Enough of Fluent Bit's log to debug a test without growing over a million-record run.
const LOG_KEEP: usize = 256;

/// A module that hands every record back unchanged: the zero-copy JSON-mode passthrough of
/// FLUENT-BIT-ABI.md ("returning the input `rec` pointer itself works in JSON mode"). The
/// baseline for benchmarks and for checking the host itself.
pub const PASSTHROUGH_WAT: &str = r#"
(module
  (memory (export "memory") 1)
  (func (export "_initialize"))
  (func (export "passthrough")
    (param $tag i32) (param $tag_len i32) (param $sec i32) (param $nsec i32)
    (param $rec i32) (param $rec_len i32) (result i32)
    local.get $rec))
"#;

/// Fluent Bit's `event_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventFormat {
    /// The record as compact JSON text plus a NUL (`rec_len` excludes it).
    Json,
    /// The record as raw msgpack, exactly `rec_len` bytes.
    Msgpack,
}

impl EventFormat {
    pub fn parse(s: &str) -> Option<EventFormat> {
        match s {
            "json" => Some(EventFormat::Json),
            "msgpack" => Some(EventFormat::Msgpack),
            _ => None,
        }
    }
}

/// The `[FILTER] Name wasm` properties that change how the module is called.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// `wasm_heap_size`; raised to 8192 as Fluent Bit does.
    pub heap_size: u32,
    /// `accessible_paths`: each is preopened under exactly this guest path. Relative paths are
    /// resolved against this process's working directory, as Fluent Bit's are against its own.
    pub accessible_paths: Vec<PathBuf>,
    pub event_format: EventFormat,
    pub function_name: String,
    /// Keep what the guest writes to stderr for [`Host::stderr`]; otherwise it goes to ours.
    pub capture_stderr: bool,
    /// Keep what the guest writes to stdout for [`Host::stdout`]; otherwise it goes to ours.
    pub capture_stdout: bool,
    /// Print Fluent Bit's error and warning lines to our stderr as they happen.
    pub log_to_stderr: bool,
}

impl Default for HostConfig {
    fn default() -> Self {
        HostConfig {
            heap_size: DEFAULT_HEAP_SIZE,
            // Fluent Bit's default `accessible_paths` is its working directory.
            accessible_paths: vec![PathBuf::from(".")],
            event_format: EventFormat::Json,
            function_name: "cef_portscan_tag".into(),
            capture_stderr: true,
            capture_stdout: true,
            log_to_stderr: false,
        }
    }
}

/// Why a record did not come out. Every variant is a record Fluent Bit would lose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    /// The guest returned `""` (or NULL, which reads as the string at address 0).
    Empty,
    /// The guest trapped (panic, abort, out-of-bounds access, stack overflow).
    Trap(String),
    /// The result pointer is outside linear memory or its string runs off the end. WAMR's
    /// check leaves an exception set, so the next call fails too.
    InvalidResult(u32),
    /// The call never ran: the exception left by the previous call failed it.
    PendingException(String),
    /// `function_name` is not exported with the filter signature.
    FunctionMissing(String),
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DropReason::Empty => f.write_str("the module returned an empty string"),
            DropReason::Trap(m) => write!(f, "trap: {m}"),
            DropReason::InvalidResult(p) => write!(f, "returned value {p:#x} is invalid"),
            DropReason::PendingException(m) => write!(f, "call failed before running: {m}"),
            DropReason::FunctionMissing(n) => write!(f, "the {n} wasm function is not found"),
        }
    }
}

/// One record through the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallResult {
    /// What Fluent Bit's `strdup` copied: the bytes up to the first NUL, never empty.
    Output(Vec<u8>),
    Dropped(DropReason),
}

impl CallResult {
    pub fn output(&self) -> Option<&[u8]> {
        match self {
            CallResult::Output(b) => Some(b),
            CallResult::Dropped(_) => None,
        }
    }
}

/// What happened over the host's lifetime.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostCounters {
    pub calls: u64,
    pub outputs: u64,
    pub drops: u64,
    pub traps: u64,
    pub invalid_results: u64,
    pub pending_exception_failures: u64,
    /// Tag or record copies that did not fit: the guest got pointer 0.
    pub copy_failures: u64,
    /// Bytes handed to the guest by the last call (tag copy, record copy), NULs included.
    pub last_copy_sizes: (u32, u32),
    /// Largest linear memory seen after a call, in 64 KiB pages.
    pub peak_memory_pages: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostError(pub String);

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HostError {}

fn err<T>(msg: impl Into<String>) -> Result<T, HostError> {
    Err(HostError(msg.into()))
}

type FilterFn = TypedFunc<(i32, i32, i32, i32, i32, i32), i32>;

/// How tag and record get into guest memory.
enum Copier {
    /// WAMR's app heap, emulated from the host.
    AppHeap(AppHeap),
    /// The module exports `malloc` and `free`: WAMR disables its app heap and calls them.
    Guest {
        malloc: TypedFunc<i32, i32>,
        free: TypedFunc<i32, ()>,
    },
}

pub struct Host {
    store: Store<WasiP1Ctx>,
    instance: Instance,
    memory: Memory,
    function: Option<FilterFn>,
    function_name: String,
    format: EventFormat,
    copier: Copier,
    /// Set when WAMR would leave an exception on the instance outside a call.
    pending_exception: Option<String>,
    stderr: Option<MemoryOutputPipe>,
    stdout: Option<MemoryOutputPipe>,
    log_to_stderr: bool,
    log: VecDeque<String>,
    counters: HostCounters,
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut c = Config::new();
        // Fluent Bit builds WAMR without SIMD: such a module fails to load there, so here too.
        c.wasm_simd(false);
        c.wasm_relaxed_simd(false);
        Engine::new(&c).expect("wasmtime engine with SIMD off")
    })
}

/// Compiling the real module takes seconds; tests build many hosts over the same file.
fn compile_cached(path: &Path) -> Result<Module, HostError> {
    type Key = (PathBuf, SystemTime, u64);
    static CACHE: OnceLock<Mutex<HashMap<Key, Module>>> = OnceLock::new();
    let meta = std::fs::metadata(path)
        .map_err(|e| HostError(format!("cannot read {}: {e}", path.display())))?;
    let key = (
        path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
        meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        meta.len(),
    );
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(m) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(m.clone());
    }
    let bytes = std::fs::read(path)
        .map_err(|e| HostError(format!("cannot read {}: {e}", path.display())))?;
    let module = compile(&bytes).map_err(|e| HostError(format!("{}: {}", path.display(), e.0)))?;
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, module.clone());
    Ok(module)
}

fn compile(bytes: &[u8]) -> Result<Module, HostError> {
    Module::new(engine(), bytes).map_err(|e| HostError(format!("load wasm module failed: {e:#}")))
}

impl Host {
    /// Loads and instantiates `wasm_path` as `[FILTER] Name wasm` would.
    pub fn new(wasm_path: impl AsRef<Path>, config: HostConfig) -> Result<Host, HostError> {
        let module = compile_cached(wasm_path.as_ref())?;
        Host::instantiate(&module, config)
    }

    /// As [`Host::new`] from bytes in memory: a binary module or WAT text.
    pub fn from_bytes(wasm_or_wat: &[u8], config: HostConfig) -> Result<Host, HostError> {
        let module = compile(wasm_or_wat)?;
        Host::instantiate(&module, config)
    }

    fn instantiate(module: &Module, config: HostConfig) -> Result<Host, HostError> {
        let mut wasi = WasiCtxBuilder::new();
        let stderr = config
            .capture_stderr
            .then(|| MemoryOutputPipe::new(CAPTURE_LIMIT));
        let stdout = config
            .capture_stdout
            .then(|| MemoryOutputPipe::new(CAPTURE_LIMIT));
        match &stderr {
            Some(p) => wasi.stderr(p.clone()),
            None => wasi.inherit_stderr(),
        };
        match &stdout {
            Some(p) => wasi.stdout(p.clone()),
            None => wasi.inherit_stdout(),
        };
        for dir in &config.accessible_paths {
            let guest = dir.to_str().ok_or_else(|| {
                HostError(format!("accessible path {} is not UTF-8", dir.display()))
            })?;
            wasi.preopened_dir(dir, guest, FsPerms::ReadWrite)
                .map_err(|e| HostError(format!("cannot preopen {}: {e:#}", dir.display())))?;
        }
        let mut store = Store::new(engine(), wasi.build_p1());
        let mut linker: Linker<WasiP1Ctx> = Linker::new(engine());
        p1::add_to_linker_sync(&mut linker, |t| t)
            .map_err(|e| HostError(format!("cannot link WASI: {e:#}")))?;
        // WAMR instantiates modules with unresolved imports and traps only if one is called.
        linker
            .define_unknown_imports_as_traps(module)
            .map_err(|e| HostError(format!("cannot stub imports: {e:#}")))?;
        let instance = linker
            .instantiate(&mut store, module)
            .map_err(|e| HostError(format!("instantiate wasm module failed: {e:#}")))?;
        let memory = match instance.get_export(&mut store, "memory") {
            Some(Extern::Memory(m)) => m,
            _ => return err("the module exports no linear memory named `memory`"),
        };

        let malloc = instance.get_typed_func::<i32, i32>(&mut store, "malloc");
        let free = instance.get_typed_func::<i32, ()>(&mut store, "free");
        let copier = match (malloc, free) {
            (Ok(malloc), Ok(free)) => Copier::Guest { malloc, free },
            _ => Copier::AppHeap(Self::place_app_heap(
                &mut store,
                &instance,
                memory,
                config.heap_size,
            )?),
        };

        // WAMR runs `_initialize` after memory (and the app heap) is set up.
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
            init.call(&mut store, ())
                .map_err(|e| HostError(format!("_initialize trapped: {e:#}")))?;
        }
        let function = instance
            .get_typed_func::<(i32, i32, i32, i32, i32, i32), i32>(
                &mut store,
                &config.function_name,
            )
            .ok();
        let mut host = Host {
            store,
            instance,
            memory,
            function,
            function_name: config.function_name,
            format: config.event_format,
            copier,
            pending_exception: None,
            stderr,
            stdout,
            log_to_stderr: config.log_to_stderr,
            log: VecDeque::new(),
            counters: HostCounters::default(),
        };
        host.counters.peak_memory_pages = host.memory_pages();
        Ok(host)
    }

    /// WAMR inserts the app heap into linear memory at instantiation. For a module that
    /// exports `__heap_base` inside its initial memory (wasm32-unknown-unknown) it goes there
    /// and holds exactly `heap_size` bytes; otherwise (wasm32-wasip1 from rustc) it takes
    /// fresh pages after the initial memory, minus 1 KiB: hence the ~64 KB record limit
    /// FLUENT-BIT-ABI.md observed at the default 8 KiB. We always put it in fresh pages,
    /// which the guest's own allocator (growing memory from its current end) never touches,
    /// and size it as WAMR would.
    fn place_app_heap(
        store: &mut Store<WasiP1Ctx>,
        instance: &Instance,
        memory: Memory,
        heap_size: u32,
    ) -> Result<AppHeap, HostError> {
        let heap_size = u64::from(heap_size.max(DEFAULT_HEAP_SIZE)).next_multiple_of(8);
        let init_pages = memory.size(&*store);
        let init_bytes = init_pages * WASM_PAGE;
        let heap_base_inside = match instance.get_global(&mut *store, "__heap_base") {
            Some(g) => g
                .get(&mut *store)
                .i32()
                .is_some_and(|b| u64::from(b as u32) < init_bytes),
            None => false,
        };
        let pages = heap_size.div_ceil(WASM_PAGE);
        let capacity = if heap_base_inside {
            heap_size
        } else {
            pages * WASM_PAGE - 1024
        };
        memory.grow(&mut *store, pages).map_err(|_| {
            HostError(format!(
                "the module's maximum memory leaves no room for a {heap_size}-byte app heap \
                 (WAMR raises the maximum by the heap's pages; wasmtime cannot)"
            ))
        })?;
        let base = u32::try_from(init_bytes)
            .map_err(|_| HostError("initial memory fills the 4 GiB address space".into()))?;
        Ok(AppHeap::new(base, capacity as u32))
    }

    /// Passes one record through `function_name`, as Fluent Bit's wasm filter does.
    pub fn call(&mut self, tag: &str, time_sec: u32, time_nsec: u32, record: &[u8]) -> CallResult {
        self.counters.calls += 1;
        let result = self.call_inner(tag, time_sec, time_nsec, record);
        match &result {
            CallResult::Output(_) => self.counters.outputs += 1,
            CallResult::Dropped(why) => {
                self.counters.drops += 1;
                if !matches!(why, DropReason::Empty) {
                    self.log_line(format!("[error] [filter:wasm] {why}"));
                }
            }
        }
        let pages = self.memory_pages();
        self.counters.peak_memory_pages = self.counters.peak_memory_pages.max(pages);
        result
    }

    fn call_inner(
        &mut self,
        tag: &str,
        time_sec: u32,
        time_nsec: u32,
        record: &[u8],
    ) -> CallResult {
        let Some(function) = self.function.clone() else {
            return CallResult::Dropped(DropReason::FunctionMissing(self.function_name.clone()));
        };
        // Both formats copy the tag as a C string; only JSON mode NUL-terminates the record.
        let tag_ptr = self.dup_data(tag.as_bytes(), true);
        let nul = self.format == EventFormat::Json;
        let rec_ptr = self.dup_data(record, nul);
        self.counters.last_copy_sizes = (
            u32::try_from(tag.len() + 1).unwrap_or(u32::MAX),
            u32::try_from(record.len() + usize::from(nul)).unwrap_or(u32::MAX),
        );
        if rec_ptr == 0 && !record.is_empty() {
            self.counters.copy_failures += 1;
            self.log_line(format!(
                "[warn] [wasm] allocate {} bytes memory failed",
                record.len() + usize::from(nul)
            ));
        }
        let result = self.run(
            &function,
            (
                tag_ptr as i32,
                tag.len() as i32,
                time_sec as i32,
                time_nsec as i32,
                rec_ptr as i32,
                record.len() as i32,
            ),
        );
        // The result is copied out before the copies are freed: a passthrough returns `rec`.
        let result = match result {
            Err(why) => CallResult::Dropped(why),
            Ok(ptr) => match self.read_cstr(ptr as u32) {
                None => {
                    self.counters.invalid_results += 1;
                    self.pending_exception = Some("out of bounds memory access".into());
                    CallResult::Dropped(DropReason::InvalidResult(ptr as u32))
                }
                Some(bytes) if bytes.is_empty() => CallResult::Dropped(DropReason::Empty),
                Some(bytes) => CallResult::Output(bytes),
            },
        };
        self.free_data(tag_ptr);
        self.free_data(rec_ptr);
        result
    }

    /// `wasm_runtime_call_wasm`: fails without running while an exception is set, and the
    /// failure path clears it; a trap is logged and cleared.
    fn run<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        f: &TypedFunc<P, R>,
        params: P,
    ) -> Result<R, DropReason> {
        if let Some(e) = self.pending_exception.take() {
            self.counters.pending_exception_failures += 1;
            return Err(DropReason::PendingException(e));
        }
        f.call(&mut self.store, params).map_err(|e| {
            self.counters.traps += 1;
            DropReason::Trap(format!("{e:#}"))
        })
    }

    /// `wasm_runtime_module_dup_data`: 0 when the copy cannot be placed.
    fn dup_data(&mut self, bytes: &[u8], nul: bool) -> u32 {
        let Ok(size) = u32::try_from(bytes.len() + usize::from(nul)) else {
            return 0;
        };
        let ptr = match &mut self.copier {
            Copier::AppHeap(h) => h.alloc(size).unwrap_or(0),
            // A set exception fails WAMR's call into the guest's malloc as well.
            Copier::Guest { .. } if self.pending_exception.is_some() => 0,
            Copier::Guest { malloc, .. } => {
                let malloc = malloc.clone();
                match malloc.call(&mut self.store, size as i32) {
                    Ok(p) => p as u32,
                    Err(e) => {
                        // WAMR keeps the exception: the filter call that follows fails.
                        self.counters.traps += 1;
                        self.pending_exception = Some(format!("malloc trapped: {e:#}"));
                        0
                    }
                }
            }
        };
        if ptr == 0 {
            return 0;
        }
        let mem = self.memory.data_mut(&mut self.store);
        let start = ptr as usize;
        let Some(dst) = mem.get_mut(start..start + size as usize) else {
            return 0;
        };
        dst[..bytes.len()].copy_from_slice(bytes);
        if nul {
            dst[bytes.len()] = 0;
        }
        ptr
    }

    fn free_data(&mut self, ptr: u32) {
        if ptr == 0 {
            return;
        }
        match &mut self.copier {
            Copier::AppHeap(h) => h.free(ptr),
            Copier::Guest { free, .. } => {
                let free = free.clone();
                if let Err(e) = free.call(&mut self.store, ptr as i32) {
                    self.counters.traps += 1;
                    self.log_line(format!("[error] [wasm] free trapped: {e:#}"));
                }
            }
        }
    }

    /// Calls an export `() -> i32` (`cef_portscan_flush`, `cef_portscan_stats`, ...). Subject
    /// to the same exception rules as the filter function.
    pub fn call_export_i32(&mut self, name: &str) -> Result<i32, HostError> {
        let f = self
            .instance
            .get_typed_func::<(), i32>(&mut self.store, name)
            .map_err(|_| HostError(format!("the module exports no `{name}: () -> i32`")))?;
        let r = self
            .run(&f, ())
            .map_err(|why| HostError(format!("{name}: {why}")));
        let pages = self.memory_pages();
        self.counters.peak_memory_pages = self.counters.peak_memory_pages.max(pages);
        r
    }

    /// Calls an export `() -> i32` that returns a C string and copies the string out.
    pub fn call_export_cstr(&mut self, name: &str) -> Result<Vec<u8>, HostError> {
        let ptr = self.call_export_i32(name)?;
        self.read_cstr(ptr as u32).ok_or_else(|| {
            self.pending_exception = Some("out of bounds memory access".into());
            HostError(format!(
                "{name} returned an invalid pointer {:#x}",
                ptr as u32
            ))
        })
    }

    /// The NUL-terminated string at `ptr`, without the NUL; `None` when `ptr` is outside
    /// linear memory or the string runs off its end (WAMR's `validate_app_str_addr`).
    pub fn read_cstr(&self, ptr: u32) -> Option<Vec<u8>> {
        let mem = self.memory.data(&self.store);
        let tail = mem.get(ptr as usize..)?;
        let len = tail.iter().position(|&b| b == 0)?;
        Some(tail[..len].to_vec())
    }

    /// `len` bytes of linear memory at `ptr`, if all in bounds.
    pub fn read_memory(&self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let start = ptr as usize;
        self.memory
            .data(&self.store)
            .get(start..start.checked_add(len as usize)?)
            .map(<[u8]>::to_vec)
    }

    /// Linear memory size in bytes.
    pub fn memory_size(&self) -> u64 {
        self.memory.data_size(&self.store) as u64
    }

    pub fn memory_pages(&self) -> u64 {
        self.memory.size(&self.store)
    }

    /// The emulated app heap as (start, usable bytes); `None` on the `malloc`/`free` path.
    pub fn app_heap_region(&self) -> Option<(u32, u32)> {
        match &self.copier {
            Copier::AppHeap(h) => Some(h.region()),
            Copier::Guest { .. } => None,
        }
    }

    /// Bytes of the app heap currently handed out (0 between calls unless something leaks).
    pub fn app_heap_in_use(&self) -> Option<u32> {
        match &self.copier {
            Copier::AppHeap(h) => Some(h.in_use()),
            Copier::Guest { .. } => None,
        }
    }

    pub fn uses_guest_malloc(&self) -> bool {
        matches!(self.copier, Copier::Guest { .. })
    }

    pub fn event_format(&self) -> EventFormat {
        self.format
    }

    pub fn counters(&self) -> &HostCounters {
        &self.counters
    }

    /// What the guest wrote to stderr so far (empty when not captured).
    pub fn stderr(&self) -> String {
        self.stderr
            .as_ref()
            .map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
            .unwrap_or_default()
    }

    /// What the guest wrote to stdout so far (empty when not captured).
    pub fn stdout(&self) -> String {
        self.stdout
            .as_ref()
            .map(|p| String::from_utf8_lossy(&p.contents()).into_owned())
            .unwrap_or_default()
    }

    /// The most recent lines Fluent Bit would have logged for this filter.
    pub fn log(&self) -> impl Iterator<Item = &str> {
        self.log.iter().map(String::as_str)
    }

    fn log_line(&mut self, line: String) {
        if self.log_to_stderr {
            eprintln!("{line}");
        }
        if self.log.len() == LOG_KEEP {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }
}

/// What Fluent Bit does with a filter's output, after the host copied it: the record that
/// enters the chunk, as JSON, or why the output is lost or harmful.
///
/// JSON mode: the first JSON value must be an object; anything after it is ignored.
/// msgpack mode: the bytes are taken as the record body as they are, so the output must be
/// exactly one msgpack map; trailing bytes would become garbage records in the chunk.
pub fn fluent_bit_keeps(format: EventFormat, output: &[u8]) -> Result<serde_json::Value, String> {
    match format {
        EventFormat::Json => {
            let mut values = serde_json::Deserializer::from_slice(output).into_iter();
            match values.next() {
                Some(Ok(v @ serde_json::Value::Object(_))) => Ok(v),
                Some(Ok(_)) => Err("output is JSON but not an object".into()),
                Some(Err(e)) => Err(format!("output is not valid JSON: {e}")),
                None => Err("output is empty".into()),
            }
        }
        EventFormat::Msgpack => {
            let v = msgpack::decode_exact(output)?;
            if v.is_object() {
                Ok(v)
            } else {
                Err("output is msgpack but not a map".into())
            }
        }
    }
}
