//! The wasm host itself, checked with probe modules written as WAT: each probe makes one
//! rule of shared/docs/FLUENT-BIT-ABI.md observable, so a host bug cannot hide behind (or be
//! blamed on) the real module.

use wasm_host::{fluent_bit_keeps, CallResult, DropReason, EventFormat, Host, HostConfig};

/// Records every argument it is called with. Its `f` passes the record back, except for a
/// few record lengths that make it misbehave in one documented way each:
/// 3 traps, 4 returns a pointer outside memory, 5 returns "", 6 returns a string that runs
/// off the end of memory. `copy` NUL-terminates a copy of the record (msgpack passthrough).
const RECORDER: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;;EXTRA
  (global $calls (mut i32) (i32.const 0))
  (global $inits (mut i32) (i32.const 0))
  (global $tag (mut i32) (i32.const 0))
  (global $tag_len (mut i32) (i32.const 0))
  (global $sec (mut i32) (i32.const 0))
  (global $nsec (mut i32) (i32.const 0))
  (global $rec (mut i32) (i32.const 0))
  (global $rec_len (mut i32) (i32.const 0))
  (data (i32.const 300) "hello from guest\n")
  (func (export "_initialize")
    (global.set $inits (i32.add (global.get $inits) (i32.const 1))))
  (func $note (param i32 i32 i32 i32 i32 i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (global.set $tag (local.get 0))
    (global.set $tag_len (local.get 1))
    (global.set $sec (local.get 2))
    (global.set $nsec (local.get 3))
    (global.set $rec (local.get 4))
    (global.set $rec_len (local.get 5)))
  (func (export "f")
    (param $tag i32) (param $tag_len i32) (param $sec i32) (param $nsec i32)
    (param $rec i32) (param $rec_len i32) (result i32)
    (local $last i32)
    (call $note (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5))
    (if (i32.eq (local.get $rec_len) (i32.const 3)) (then unreachable))
    (if (i32.eq (local.get $rec_len) (i32.const 4)) (then (return (i32.const 0xfffffff0))))
    (if (i32.eq (local.get $rec_len) (i32.const 5)) (then (return (i32.const 32))))
    (if (i32.eq (local.get $rec_len) (i32.const 6))
      (then
        (local.set $last (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))
        (i32.store8 (local.get $last) (i32.const 65))
        (return (local.get $last))))
    (local.get $rec))
  (func (export "copy")
    (param $tag i32) (param $tag_len i32) (param $sec i32) (param $nsec i32)
    (param $rec i32) (param $rec_len i32) (result i32)
    (call $note (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5))
    (memory.copy (i32.const 1024) (local.get $rec) (local.get $rec_len))
    (i32.store8 (i32.add (i32.const 1024) (local.get $rec_len)) (i32.const 0))
    (i32.const 1024))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "stderr_hello") (result i32)
    (i32.store (i32.const 256) (i32.const 300))
    (i32.store (i32.const 260) (i32.const 17))
    (call $fd_write (i32.const 2) (i32.const 256) (i32.const 1) (i32.const 264)))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "inits") (result i32) (global.get $inits))
  (func (export "last_tag") (result i32) (global.get $tag))
  (func (export "last_tag_len") (result i32) (global.get $tag_len))
  (func (export "last_sec") (result i32) (global.get $sec))
  (func (export "last_nsec") (result i32) (global.get $nsec))
  (func (export "last_rec") (result i32) (global.get $rec))
  (func (export "last_rec_len") (result i32) (global.get $rec_len)))
"#;

/// Exports `malloc`/`free` (a bump allocator that grows memory) and counts their calls.
const MALLOC: &str = r#"
(module
  (memory (export "memory") 1)
  (global $bump (mut i32) (i32.const 4096))
  (global $mallocs (mut i32) (i32.const 0))
  (global $frees (mut i32) (i32.const 0))
  (global $rec (mut i32) (i32.const 0))
  (global $rec_len (mut i32) (i32.const 0))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $size i32)
    (global.set $mallocs (i32.add (global.get $mallocs) (i32.const 1)))
    (local.set $p (global.get $bump))
    (local.set $end
      (i32.and (i32.add (i32.add (local.get $p) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.set $size (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (local.get $end) (local.get $size))
      (then
        (if (i32.eq
              (memory.grow (i32.add (i32.shr_u (i32.sub (local.get $end) (local.get $size))
                                               (i32.const 16))
                                    (i32.const 1)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $bump (local.get $end))
    (local.get $p))
  (func (export "free") (param i32)
    (global.set $frees (i32.add (global.get $frees) (i32.const 1))))
  (func (export "f")
    (param i32 i32 i32 i32) (param $rec i32) (param $rec_len i32) (result i32)
    (global.set $rec (local.get $rec))
    (global.set $rec_len (local.get $rec_len))
    (local.get $rec))
  (func (export "mallocs") (result i32) (global.get $mallocs))
  (func (export "frees") (result i32) (global.get $frees))
  (func (export "last_rec") (result i32) (global.get $rec))
  (func (export "last_rec_len") (result i32) (global.get $rec_len)))
"#;

/// Reports the first preopen's guest path, and reads `cef-portscan.json` through it.
const PREOPEN: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 512) "cef-portscan.json")
  (data (i32.const 540) "ERR")
  (func (export "dir_name") (param i32 i32 i32 i32 i32 i32) (result i32)
    (if (call $prestat_get (i32.const 3) (i32.const 64)) (then (return (i32.const 540))))
    (if (call $dir_name (i32.const 3) (i32.const 128) (i32.load (i32.const 68)))
      (then (return (i32.const 540))))
    (i32.store8 (i32.add (i32.const 128) (i32.load (i32.const 68))) (i32.const 0))
    (i32.const 128))
  (func (export "read_config") (param i32 i32 i32 i32 i32 i32) (result i32)
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 512) (i32.const 17)
                         (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 600))
      (then (return (i32.const 540))))
    (i32.store (i32.const 608) (i32.const 1024))
    (i32.store (i32.const 612) (i32.const 4096))
    (if (call $fd_read (i32.load (i32.const 600)) (i32.const 608) (i32.const 1) (i32.const 616))
      (then (return (i32.const 540))))
    (i32.store8 (i32.add (i32.const 1024) (i32.load (i32.const 616))) (i32.const 0))
    (i32.const 1024)))
"#;

fn config(function: &str, format: EventFormat) -> HostConfig {
    HostConfig {
        function_name: function.into(),
        event_format: format,
        accessible_paths: Vec::new(),
        ..HostConfig::default()
    }
}

fn recorder(function: &str, format: EventFormat) -> Host {
    Host::from_bytes(RECORDER.as_bytes(), config(function, format)).expect("recorder loads")
}

fn get(host: &mut Host, name: &str) -> i32 {
    host.call_export_i32(name).expect(name)
}

fn out(r: CallResult) -> Vec<u8> {
    match r {
        CallResult::Output(b) => b,
        CallResult::Dropped(why) => panic!("dropped: {why}"),
    }
}

#[test]
fn json_mode_copies_tag_and_record_each_with_a_trailing_nul() {
    let mut h = recorder("f", EventFormat::Json);
    let rec = br#"{"message":"x"}"#;
    assert_eq!(
        out(h.call("app.log", 1_781_481_600, 123, rec)),
        rec.to_vec()
    );
    let tag = get(&mut h, "last_tag") as u32;
    assert_eq!(get(&mut h, "last_tag_len"), 7);
    assert_eq!(h.read_memory(tag, 8).unwrap(), b"app.log\0".to_vec());
    let r = get(&mut h, "last_rec") as u32;
    assert_eq!(get(&mut h, "last_rec_len"), rec.len() as i32);
    let mut with_nul = rec.to_vec();
    with_nul.push(0);
    assert_eq!(h.read_memory(r, with_nul.len() as u32).unwrap(), with_nul);
    assert_eq!(get(&mut h, "last_sec") as u32, 1_781_481_600);
    assert_eq!(get(&mut h, "last_nsec"), 123);
    assert_eq!(h.counters().last_copy_sizes, (8, rec.len() as u32 + 1));
    // Both copies live in the app heap, which is empty again after the call.
    let (start, size) = h.app_heap_region().unwrap();
    assert!(tag >= start && r + rec.len() as u32 <= start + size);
    assert_eq!(h.app_heap_in_use(), Some(0));
}

#[test]
fn msgpack_mode_copies_exactly_rec_len_bytes() {
    let mut h = recorder("copy", EventFormat::Msgpack);
    // {"n": 1, "s": "ab"}
    let rec = [0x82, 0xa1, b'n', 0x01, 0xa1, b's', 0xa2, b'a', b'b'];
    assert_eq!(out(h.call("t", 0, 0, &rec)), rec.to_vec());
    assert_eq!(get(&mut h, "last_rec_len"), rec.len() as i32);
    let r = get(&mut h, "last_rec") as u32;
    assert_eq!(h.read_memory(r, rec.len() as u32).unwrap(), rec.to_vec());
    assert_eq!(h.counters().last_copy_sizes, (2, rec.len() as u32));
    let tag = get(&mut h, "last_tag") as u32;
    assert_eq!(h.read_memory(tag, 2).unwrap(), b"t\0".to_vec());
    // The host reads the result up to its first NUL, whatever the format: a zero byte inside
    // msgpack output cuts it (fluent-bit#9967).
    let with_zero = [0x81, 0xa1, b'n', 0x00, 0x01];
    assert_eq!(out(h.call("t", 0, 0, &with_zero)), vec![0x81, 0xa1, b'n']);
}

#[test]
fn a_record_larger_than_the_heap_arrives_as_null_with_its_real_length() {
    let mut h = recorder("f", EventFormat::Json);
    let (_, capacity) = h.app_heap_region().unwrap();
    // wasip1-like module (no __heap_base): a fresh page minus 1 KiB, as WAMR sizes it.
    assert_eq!(capacity, 65_536 - 1024);
    let fits = vec![b'a'; 60_000];
    assert_eq!(out(h.call("t", 0, 0, &fits)), fits);
    assert_ne!(get(&mut h, "last_rec"), 0);

    let big = vec![b'a'; 70_000];
    // The probe returns `rec`, i.e. NULL: the string at address 0 is empty, a drop.
    assert_eq!(
        h.call("t", 0, 0, &big),
        CallResult::Dropped(DropReason::Empty)
    );
    assert_eq!(get(&mut h, "last_rec"), 0);
    assert_eq!(get(&mut h, "last_rec_len"), 70_000);
    assert_eq!(h.counters().copy_failures, 1);
    assert!(h
        .log()
        .any(|l| l.contains("allocate 70001 bytes memory failed")));
    // The tag still made it in.
    assert_ne!(get(&mut h, "last_tag"), 0);

    let mut cfg = config("f", EventFormat::Json);
    cfg.heap_size = 4 << 20;
    let mut h = Host::from_bytes(RECORDER.as_bytes(), cfg).unwrap();
    assert_eq!(out(h.call("t", 0, 0, &big)), big);
}

#[test]
fn heap_size_is_never_below_fluent_bits_default() {
    let mut cfg = config("f", EventFormat::Json);
    cfg.heap_size = 1;
    let h = Host::from_bytes(RECORDER.as_bytes(), cfg).unwrap();
    assert_eq!(h.app_heap_region().unwrap().1, 65_536 - 1024);
}

#[test]
fn a_module_with_heap_base_gets_exactly_heap_size_bytes() {
    // WAMR inserts the heap before __heap_base (wasm32-unknown-unknown): about 8 KB.
    let wat = RECORDER.replace(
        ";;EXTRA",
        r#"(global (export "__heap_base") i32 (i32.const 2048))"#,
    );
    let mut h = Host::from_bytes(wat.as_bytes(), config("f", EventFormat::Json)).unwrap();
    assert_eq!(h.app_heap_region().unwrap().1, 8192);
    let rec = vec![b'a'; 8000];
    assert_eq!(out(h.call("t", 0, 0, &rec)), rec);
    assert_eq!(
        h.call("t", 0, 0, &[b'a'; 9000]),
        CallResult::Dropped(DropReason::Empty)
    );
    assert_eq!(get(&mut h, "last_rec"), 0);
}

#[test]
fn copies_are_freed_so_the_heap_never_fills() {
    let mut h = recorder("f", EventFormat::Json);
    let rec = vec![b'x'; 30_000];
    for _ in 0..2_000 {
        assert_eq!(
            h.call("tag", 0, 0, &rec).output().map(<[u8]>::len),
            Some(30_000)
        );
    }
    assert_eq!(h.app_heap_in_use(), Some(0));
    assert_eq!(h.counters().copy_failures, 0);
}

#[test]
fn the_guests_own_growth_never_lands_in_the_app_heap() {
    let mut h = recorder("f", EventFormat::Json);
    let (start, size) = h.app_heap_region().unwrap();
    let old_pages = get(&mut h, "grow") as u64;
    assert!(old_pages * 65_536 >= u64::from(start) + u64::from(size));
    assert_eq!(h.memory_pages(), old_pages + 1);
    assert_eq!(h.memory_size(), (old_pages + 1) * 65_536);
}

#[test]
fn an_empty_result_is_a_drop_in_both_formats() {
    for format in [EventFormat::Json, EventFormat::Msgpack] {
        let mut h = recorder("f", format);
        assert_eq!(
            h.call("t", 0, 0, b"12345"),
            CallResult::Dropped(DropReason::Empty)
        );
        assert_eq!(h.counters().drops, 1);
    }
}

#[test]
fn a_trap_drops_that_record_and_later_calls_run_with_state_kept() {
    let mut h = recorder("f", EventFormat::Json);
    assert!(h.call("t", 0, 0, b"{}").output().is_some());
    match h.call("t", 0, 0, b"abc") {
        CallResult::Dropped(DropReason::Trap(m)) => assert!(m.contains("unreachable"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(out(h.call("t", 0, 0, b"{\"a\":1}")), b"{\"a\":1}".to_vec());
    assert_eq!(get(&mut h, "calls"), 3);
    assert_eq!(h.counters().traps, 1);
    assert_eq!(h.app_heap_in_use(), Some(0));
}

#[test]
fn a_result_outside_memory_drops_that_record_and_the_next() {
    let mut h = recorder("f", EventFormat::Json);
    assert_eq!(
        h.call("t", 0, 0, b"abcd"),
        CallResult::Dropped(DropReason::InvalidResult(0xffff_fff0))
    );
    // WAMR left the exception set: this call fails without running, and clears it.
    assert!(matches!(
        h.call("t", 0, 0, b"{}"),
        CallResult::Dropped(DropReason::PendingException(_))
    ));
    assert_eq!(get(&mut h, "calls"), 1);
    assert_eq!(out(h.call("t", 0, 0, b"{}")), b"{}".to_vec());
    assert_eq!(get(&mut h, "calls"), 2);
    assert_eq!(h.counters().invalid_results, 1);
    assert_eq!(h.counters().pending_exception_failures, 1);
    assert_eq!(h.app_heap_in_use(), Some(0));
}

#[test]
fn a_result_string_running_off_the_end_of_memory_is_invalid_too() {
    let mut h = recorder("f", EventFormat::Json);
    assert!(matches!(
        h.call("t", 0, 0, b"abcdef"),
        CallResult::Dropped(DropReason::InvalidResult(_))
    ));
    assert!(matches!(
        h.call("t", 0, 0, b"{}"),
        CallResult::Dropped(DropReason::PendingException(_))
    ));
    assert!(h.call("t", 0, 0, b"{}").output().is_some());
}

#[test]
fn exported_malloc_and_free_replace_the_app_heap() {
    let mut h = Host::from_bytes(MALLOC.as_bytes(), config("f", EventFormat::Json)).unwrap();
    assert!(h.uses_guest_malloc());
    assert_eq!(h.app_heap_region(), None);
    // No heap pages were added: the module's own single page is all there is.
    assert_eq!(h.memory_pages(), 1);
    let big = vec![b'z'; 200_000];
    assert_eq!(out(h.call("tag", 0, 0, &big)), big);
    assert_ne!(get(&mut h, "last_rec"), 0);
    assert_eq!(get(&mut h, "last_rec_len"), 200_000);
    assert_eq!(out(h.call("tag", 0, 0, b"{}")), b"{}".to_vec());
    assert_eq!(get(&mut h, "mallocs"), 4);
    assert_eq!(get(&mut h, "frees"), 4);
    assert_eq!(h.counters().last_copy_sizes, (4, 3));
}

#[test]
fn initialize_runs_exactly_once() {
    let mut h = recorder("f", EventFormat::Json);
    for _ in 0..5 {
        h.call("t", 0, 0, b"{}");
    }
    assert_eq!(get(&mut h, "inits"), 1);
    assert_eq!(get(&mut h, "calls"), 5);
}

#[test]
fn a_missing_function_drops_every_record() {
    let mut h = recorder("no_such_function", EventFormat::Json);
    for _ in 0..3 {
        assert_eq!(
            h.call("t", 0, 0, b"{}"),
            CallResult::Dropped(DropReason::FunctionMissing("no_such_function".into()))
        );
    }
    assert_eq!(h.counters().drops, 3);
    assert!(h
        .log()
        .any(|l| l.contains("no_such_function wasm function is not found")));
}

#[test]
fn accessible_paths_are_preopened_under_the_path_as_written() {
    let dir = std::env::temp_dir().join(format!("wasm-host-preopen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cef-portscan.json"), br#"{"threshold":5}"#).unwrap();
    let mut cfg = config("dir_name", EventFormat::Json);
    cfg.accessible_paths = vec![dir.clone()];
    let mut h = Host::from_bytes(PREOPEN.as_bytes(), cfg.clone()).unwrap();
    assert_eq!(
        out(h.call("t", 0, 0, b"{}")),
        dir.to_str().unwrap().as_bytes().to_vec()
    );
    cfg.function_name = "read_config".into();
    let mut h = Host::from_bytes(PREOPEN.as_bytes(), cfg).unwrap();
    assert_eq!(
        out(h.call("t", 0, 0, b"{}")),
        br#"{"threshold":5}"#.to_vec()
    );
    std::fs::remove_dir_all(&dir).unwrap();

    // Without accessible paths the guest has no preopen at all.
    let mut h =
        Host::from_bytes(PREOPEN.as_bytes(), config("dir_name", EventFormat::Json)).unwrap();
    assert_eq!(out(h.call("t", 0, 0, b"{}")), b"ERR".to_vec());
}

#[test]
fn a_missing_accessible_path_fails_instantiation() {
    let mut cfg = config("f", EventFormat::Json);
    cfg.accessible_paths = vec!["/nonexistent/wasm-host-test".into()];
    let e = Host::from_bytes(RECORDER.as_bytes(), cfg)
        .err()
        .expect("error");
    assert!(e.0.contains("cannot preopen"), "{e}");
}

#[test]
fn guest_stderr_is_captured() {
    let mut h = recorder("f", EventFormat::Json);
    assert_eq!(get(&mut h, "stderr_hello"), 0);
    assert_eq!(h.stderr(), "hello from guest\n");
    assert_eq!(h.stdout(), "");
}

#[test]
fn simd_modules_fail_to_load_as_in_fluent_bits_wamr() {
    let wat = r#"(module (func (export "f") (result v128) (v128.const i64x2 0 0)))"#;
    let e = Host::from_bytes(wat.as_bytes(), config("f", EventFormat::Json))
        .err()
        .expect("SIMD must be refused");
    assert!(e.0.contains("load wasm module failed"), "{e}");
}

#[test]
fn a_module_without_memory_is_refused_clearly() {
    let e = Host::from_bytes(b"(module)", config("f", EventFormat::Json))
        .err()
        .expect("error");
    assert!(e.0.contains("memory"), "{e}");
}

#[test]
fn the_passthrough_module_returns_every_record_unchanged() {
    let mut h = Host::from_bytes(
        wasm_host::PASSTHROUGH_WAT.as_bytes(),
        config("passthrough", EventFormat::Json),
    )
    .unwrap();
    for rec in [
        &b"{}"[..],
        br#"{"message":"<14>Jun  5 10:00:03 fw CEF:0|x"}"#,
    ] {
        assert_eq!(out(h.call("t", 1, 2, rec)), rec.to_vec());
    }
}

#[test]
fn call_export_helpers_read_c_strings() {
    let mut h = recorder("f", EventFormat::Json);
    assert!(h.call_export_i32("no_such_export").is_err());
    assert_eq!(h.read_cstr(300).unwrap(), b"hello from guest\n".to_vec());
    assert_eq!(h.read_cstr(u32::MAX), None);
}

#[test]
fn what_fluent_bit_keeps_of_an_output() {
    use serde_json::json;
    let j = EventFormat::Json;
    assert_eq!(fluent_bit_keeps(j, br#"{"a":1}"#).unwrap(), json!({"a":1}));
    // `{...} trailing junk`: the first object is kept.
    assert_eq!(
        fluent_bit_keeps(j, br#"{"a":1} junk"#).unwrap(),
        json!({"a":1})
    );
    assert!(fluent_bit_keeps(j, b"[1]").is_err());
    assert!(fluent_bit_keeps(j, b"{\"a\":").is_err());
    let m = EventFormat::Msgpack;
    assert_eq!(
        fluent_bit_keeps(m, &[0x81, 0xa1, b'a', 0x01]).unwrap(),
        json!({"a":1})
    );
    assert!(fluent_bit_keeps(m, &[0x91, 0x01]).is_err());
    assert!(fluent_bit_keeps(m, &[0x81, 0xa1, b'a', 0x01, 0x01]).is_err());
}
