"""Timed Fluent Bit runs for scripts/bench-fluent-bit.sh (metrics on 127.0.0.1 only).

    bench_fluent_bit.py FLUENT_BIT TMP REPEAT LABEL=MODULE:FUNCTION ...

TMP holds records.ndjson (the workload) and one.ndjson (a single record). MODULE "none" means
no filter. FUNCTION ending in "@prefiltered" runs the module behind the shipped prefiltered
pipeline's rewrite_tag rules and heartbeat (plugin-config/fluent-bit/local-prefiltered.conf),
on the copies only. For each pipeline, in the order given, REPEAT rounds of:
  - one run over one.ndjson: the CPU Fluent Bit spends starting up (loading and, for .wasm,
    preparing the module) and passing one record;
  - one run over records.ndjson, stopped when the null output has counted every record.
Two figures per pipeline, the best round of each:
  - CPU: records / (process CPU time of the full run - that of the one-record run). Fluent
    Bit runs this pipeline (tail, parser, filter, output) on one thread, so this is the rate
    of a saturated collector, and the filter's cost per record is the difference between
    two pipelines' CPU per record. The targets are judged on it.
  - wall: records / seconds until the output has counted them, as an operator would see it.
    Fluent Bit's tail input does not keep its thread busy (about two thirds here) and its
    metrics endpoint refreshes about once a second, so this figure hides part of a filter's
    cost and is coarse; it is printed for completeness.
"""
import json, os, subprocess, sys, time, urllib.request

fb, tmp, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
pipelines = [arg.split("=", 1) for arg in sys.argv[4:]]
TICK = os.sysconf("SC_CLK_TCK")


PREFILTER_RULES = [
    line.strip()
    for line in open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "plugin-config",
                                  "fluent-bit", "local-prefiltered.conf"))
    if line.strip().startswith("Rule")
]


def config(path, module, function):
    conf = f"""[SERVICE]
    Flush        0.2
    Grace        1
    Log_Level    warn
    Parsers_File {tmp}/parsers.conf
    HTTP_Server  On
    HTTP_Listen  127.0.0.1
    HTTP_Port    2020

[INPUT]
    Name              tail
    Path              {path}
    Read_from_Head    true
    Parser            json
    Buffer_Chunk_Size 256k
    Buffer_Max_Size   1M
    Mem_Buf_Limit     512M
    Tag               bench
"""
    match = "bench"
    if function.endswith("@prefiltered"):
        function, match = function[: -len("@prefiltered")], "portscan.detection"
        conf += "\n[FILTER]\n    Name          rewrite_tag\n    Match         bench\n"
        conf += "".join(f"    {rule}\n" for rule in PREFILTER_RULES)
        conf += "    Emitter_Name  cef_portscan_candidates\n"
        conf += ("\n[INPUT]\n    Name  dummy\n    Tag   portscan.detection\n"
                 '    Dummy {"cef_portscan_heartbeat": true}\n    Rate  1\n')
    if module != "none":
        conf += f"""
[FILTER]
    Name             wasm
    Match            {match}
    Wasm_Path        {module}
    Function_Name    {function}
    Event_Format     json
    Accessible_Paths {tmp}
    Wasm_Heap_Size   4M
    Wasm_Stack_Size  1M
"""
    conf += """
[OUTPUT]
    Name  null
    Match *
"""
    return conf


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run(path, n, module, function):
    """(wall seconds, CPU seconds) until the output has counted n records."""
    open(f"{tmp}/bench.conf", "w").write(config(path, module, function))
    start = time.monotonic()
    p = subprocess.Popen([fb, "-c", f"{tmp}/bench.conf"], stdout=subprocess.DEVNULL,
                         stderr=open(f"{tmp}/fb.log", "w"))
    try:
        while time.monotonic() - start < 600:
            time.sleep(0.02)
            try:
                m = json.load(urllib.request.urlopen("http://127.0.0.1:2020/api/v1/metrics", timeout=1))
            except OSError:
                continue
            if sum(o.get("proc_records", 0) for o in m.get("output", {}).values()) >= n:
                return time.monotonic() - start, cpu_seconds(p.pid)
    finally:
        p.terminate()
        p.wait()
    sys.exit(f"timeout: {module} {function}; see {tmp}/fb.log")


open(f"{tmp}/parsers.conf", "w").write("[PARSER]\n    Name   json\n    Format json\n")
n = sum(1 for _ in open(f"{tmp}/records.ndjson"))
results = {}
for label, spec in pipelines:
    module, _, function = spec.partition(":")
    best_cpu, best_wall = float("inf"), float("inf")
    for _ in range(repeat):
        _, startup = run(f"{tmp}/one.ndjson", 1, module, function)
        wall, cpu = run(f"{tmp}/records.ndjson", n, module, function)
        best_cpu = min(best_cpu, max(cpu - startup, 1e-9))
        best_wall = min(best_wall, wall)
    results[label] = (n / best_cpu, n / best_wall)

print(f"{'pipeline':<30} {'records/CPU-s':>14} {'us/record':>10} {'wall records/s':>15}")
for label, (cpu_rate, wall_rate) in results.items():
    print(f"{label:<30} {cpu_rate:>14,.0f} {1e6 / cpu_rate:>10.2f} {wall_rate:>15,.0f}")
for kind in ("wasm", "aot", "wasm, malloc"):
    base, ours = results.get(f"passthrough ({kind})"), results.get(f"cef-portscan ({kind})")
    if base and ours:
        extra = 1e6 / ours[0] - 1e6 / base[0]
        print(f"cef-portscan ({kind}): {ours[0] / base[0]:.0%} of the passthrough's CPU rate "
              f"({extra:.2f} us per record in the filter), {ours[1] / base[1]:.0%} of its wall rate")
base, pre = results.get("passthrough (wasm)"), results.get("cef-portscan, prefiltered (wasm)")
if base and pre:
    print(f"cef-portscan, prefiltered (wasm): {pre[0] / base[0]:.0%} of the wasm passthrough's CPU rate, "
          f"{pre[1] / base[1]:.0%} of its wall rate")
heap, malloc = results.get("passthrough (wasm)"), results.get("passthrough (wasm, malloc)")
if heap and malloc:
    print(f"copying records through an exported malloc/free instead of the app heap: "
          f"{1e6 / malloc[0] - 1e6 / heap[0]:+.2f} us per record ({malloc[0] / heap[0]:.0%} of the rate)")
