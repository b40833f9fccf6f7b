"""Traffic and checks for scripts/e2e-fluent-bit.sh (sends to 127.0.0.1 only)."""
import json, os, socket, sys, time

FIELDS = ["RuleId", "RuleName", "Severity", "Tactics", "Techniques", "DetectionStage", "DetectionId",
          "WindowStart", "WindowEnd", "StartTimeUtc", "EndTimeUtc", "timestamp", "DeviceName",
          "SourceUserID", "SourceIP", "ApplicationProtocol", "Reason", "DestinationPort", "Protocol",
          "DeviceVendor", "DeviceProduct", "DeviceAction", "set_DestinationIP", "DestinationIPCount",
          "totalcount", "IPCustomEntity", "AccountCustomEntity", "HostCustomEntity", "Computer",
          "Threshold", "WindowSeconds"]


def cef_line(i, app, dst, port):
    now = time.strftime("%b %e %H:%M:%S", time.gmtime())
    return (f"<14>{now} fw-e2e CEF:0|Palo Alto Networks|PAN-OS|10.2.3|end|TRAFFIC|1|"
            f"rt=Dec 04 2026 10:00:00 GMT deviceExternalId=0123456789 src=192.168.7.{i % 3 + 5} "
            f"dst={dst} cs1Label=Rule cs1=allow-out suser= app={app} dpt={port} proto=tcp "
            f"act=allow reason=tcp-rst-from-server dvchost=fw-e2e cnt=1 PanOSSessionID={1000 + i}")


def lines(variant):
    if variant == "cloud-ngfw":
        out = []
        for i in range(30):
            scan = i % 2 == 0
            msg = {"src_ip": "192.168.9.9" if scan else f"192.168.9.{i}", "dst_ip": "203.0.113.50",
                   "sport": 40000 + i, "dport": 3389 if scan else 443, "app": "incomplete" if scan else "ssl",
                   "proto": "tcp", "action": "allow", "session_end_reason": "tcp-rst-from-server"}
            out.append(json.dumps({"ident": "TRAFFIC", "FirewallName": "ngfw-e2e.example.net",
                                   "Message": json.dumps(msg)}))
        return out
    out = []
    for i in range(40):
        if i % 3 == 0:
            out.append(cef_line(i, "incomplete", "203.0.113.77", 22).replace(f"src=192.168.7.{i % 3 + 5}", "src=192.168.7.99"))
        else:
            out.append(cef_line(i, "ssl", "198.51.100.10", 443))
    return out


def send(variant, tmp):
    ls = lines(variant)
    with open(os.path.join(tmp, "sent.json"), "w") as f:
        json.dump(ls, f)
    deadline = time.time() + 10
    port = 5170 if variant == "cloud-ngfw" else 514
    while True:  # wait for the TCP listener
        try:
            tcp = socket.create_connection(("127.0.0.1", port), timeout=1)
            break
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)
    if variant == "cloud-ngfw":
        tcp.sendall(("\n".join(ls) + "\n").encode())
    else:
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i, line in enumerate(ls):
            if i % 2 == 0:
                udp.sendto(line.encode(), ("127.0.0.1", 514))
                time.sleep(0.002)
            else:
                tcp.sendall((line + "\n").encode())
    tcp.close()


def check(variant, tmp):
    ok = True
    sent = json.load(open(os.path.join(tmp, "sent.json")))
    raw_path = os.path.join(tmp, "log", "raw.jsonl")
    raw = [json.loads(l) for l in open(raw_path)] if os.path.exists(raw_path) else []
    if variant == "cloud-ngfw":
        got = sorted(r.get("Message", "") for r in raw)
        want = sorted(json.loads(l)["Message"] for l in sent)
    else:
        got = sorted(r.get("message", "") for r in raw)
        want = sorted(sent)
    if got != want:
        print(f"  raw logs: sent {len(want)}, got {len(got)} back unchanged: {len(set(got) & set(want))}")
        ok = False
    if any("cef_portscan" in r for r in raw):
        print("  raw logs carry the cef_portscan key")
        ok = False
    det_path = os.path.join(tmp, "log", "detections.jsonl")
    if variant in ("local", "local-prefiltered", "cloud-ngfw"):
        dets = [json.loads(l) for l in open(det_path)] if os.path.exists(det_path) else []
        if not dets:
            print("  no detection record")
            ok = False
        for d in dets:
            if sorted(d) != sorted(FIELDS):
                print(f"  detection fields differ: {sorted(set(d) ^ set(FIELDS))}")
                ok = False
            if d.get("totalcount", 0) < 10 or d.get("RuleId") != "5b72f527-e3f6-4a00-9908-8e4fee14da9f":
                print(f"  unexpected detection {d}")
                ok = False
    else:
        stats = json.load(open(os.path.join(tmp, "etc", "cef-portscan.stats.json")))
        if stats.get("detections", 0) < 1:
            print(f"  module produced no detection: {stats}")
            ok = False
    log = open(os.path.join(tmp, "fluent-bit.log")).read()
    for bad in ("[error] [filter:wasm", "Detection is OFF", "WASM module load failed"):
        if bad in log:
            print(f"  Fluent Bit log mentions {bad!r}")
            ok = False
    return ok


if __name__ == "__main__":
    cmd, variant, tmp = sys.argv[1:4]
    if cmd == "send":
        send(variant, tmp)
    else:
        sys.exit(0 if check(variant, tmp) else 1)
