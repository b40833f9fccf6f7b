"""One timed Fluent Bit run for scripts/bench-fluent-bit.sh (metrics on 127.0.0.1 only)."""
import json, os, subprocess, sys, time, urllib.request

fb, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
module = sys.argv[4]
label = "no filter" if module == "none" else sys.argv[6]
conf = f"""[SERVICE]
    Flush        1
    Grace        1
    Log_Level    warn
    Parsers_File {tmp}/parsers.conf
    HTTP_Server  On
    HTTP_Listen  127.0.0.1
    HTTP_Port    2020

[INPUT]
    Name              tail
    Path              {tmp}/records.ndjson
    Read_from_Head    true
    Parser            json
    Buffer_Chunk_Size 256k
    Buffer_Max_Size   1M
    Mem_Buf_Limit     512M
    Tag               bench
"""
if module != "none":
    conf += f"""
[FILTER]
    Name             wasm
    Match            bench
    Wasm_Path        {module}
    Function_Name    {sys.argv[5]}
    Event_Format     json
    Accessible_Paths {tmp}
    Wasm_Heap_Size   4M
    Wasm_Stack_Size  1M
"""
conf += """
[OUTPUT]
    Name  null
    Match bench
"""
open(f"{tmp}/parsers.conf", "w").write("[PARSER]\n    Name   json\n    Format json\n")
open(f"{tmp}/bench.conf", "w").write(conf)
start = time.monotonic()
p = subprocess.Popen([fb, "-c", f"{tmp}/bench.conf"], stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/fb.log", "w"))
done = None
try:
    while time.monotonic() - start < 600:
        time.sleep(0.05)
        try:
            m = json.load(urllib.request.urlopen("http://127.0.0.1:2020/api/v1/metrics", timeout=1))
        except OSError:
            continue
        if sum(o.get("proc_records", 0) for o in m.get("output", {}).values()) >= n:
            done = time.monotonic() - start
            break
finally:
    p.terminate()
    p.wait()
if done is None:
    print(f"{label:<34} {'timeout':>12}")
    sys.exit(1)
print(f"{label:<34} {n / done:>12,.0f}")
