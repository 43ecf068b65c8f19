#!/usr/bin/env python3
"""scripts/bench_agents.py: the agent-run benchmarks of issue 7, driven by scripts/bench-agents.sh
against a running `sprout serve` (release build) that talks to the fake model in standalone mode.

  streams  --url U --pid P --runs N [--wrk-seconds S]
      Creates N topic nodes, measures REST reads (GET /api/nodes/:id, wrk --latency on one
      connection, three times, the median p99 kept) with no run open, then opens N topic runs (POST /api/agents/topics/:id/run, SSE) at once,
      samples the server's resident memory (VmRSS, and VmHWM at the end) every 50 ms while they
      run, and measures the same REST reads meanwhile.
      Prints one JSON object.
  turns    --url U --pid P --log L --runs N
      Runs N topic runs one after another and reports, per run, the wall time and the server's
      CPU time (utime+stime of P) divided by the number of model calls (the "llm ..." lines the
      server logs per call): the server's own time per tool-loop turn. Prints one JSON object.

Only the standard library; wrk for the REST load. Thread model: one thread per open stream.
"""
import argparse
import http.client
import json
import os
import re
import subprocess
import sys
import threading
import time
from urllib.parse import urlparse

USER = "00000000-0000-0000-0000-000000000000"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def conn(url, timeout=600):
    u = urlparse(url)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)


def post_json(url, path, body):
    c = conn(url)
    c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def new_topic(url, i):
    st, data = post_json(url, "/api/nodes", {"userId": USER, "type": "root", "title": f"Bench topic {i}"})
    if st != 201:
        sys.exit(f"bench: creating a topic node failed: {st} {data[:200]!r}")
    return json.loads(data)["id"]


def rss_kib(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime


def run_topic(url, topic_id, out):
    """One topic run; out gets events, status, first-event and end times."""
    t0 = time.monotonic()
    c = conn(url)
    try:
        c.request("POST", f"/api/agents/topics/{topic_id}/run", json.dumps({"userId": USER}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        out["status"] = r.status
        events = 0
        first = None
        while True:
            line = r.readline()
            if not line:
                break
            if line.startswith(b"event: "):
                events += 1
                if first is None:
                    first = time.monotonic() - t0
                if line.startswith(b"event: agent_error"):
                    out["errors"] = out.get("errors", 0) + 1
        out["events"] = events
        out["first_s"] = first
    except OSError as e:
        out["error"] = str(e)
    finally:
        c.close()
    out["total_s"] = time.monotonic() - t0


def wrk_latency(url, path, seconds):
    p = subprocess.run(["wrk", "-t1", "-c1", f"-d{seconds}s", "--latency", url + path],
                       capture_output=True, text=True)
    res = {}
    for key, label in (("p50_ms", "50%"), ("p99_ms", "99%")):
        m = re.search(rf"^\s*{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", p.stdout, re.M)
        if m:
            v = float(m.group(1))
            res[key] = v / 1000 if m.group(2) == "us" else v * 1000 if m.group(2) == "s" else v
    m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    if m:
        res["rps"] = float(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    res["non_2xx"] = int(m.group(1)) if m else 0
    return res


def wrk_median(url, path, seconds, times=3):
    """wrk three times; the run with the median p99 (one connection, requests back to back: the
    latency of a read, not the queueing of a saturated server)."""
    runs = sorted((wrk_latency(url, path, seconds) for _ in range(times)),
                  key=lambda r: r.get("p99_ms", 1e9))
    return dict(runs[len(runs) // 2], p99_all_ms=[r.get("p99_ms") for r in runs])


def cmd_streams(a):
    ids = [new_topic(a.url, i) for i in range(a.runs)]
    rest_id = new_topic(a.url, "rest")
    base_rss = rss_kib(a.pid)
    baseline = wrk_median(a.url, f"/api/nodes/{rest_id}", a.wrk_seconds)   # no run open
    results = [dict() for _ in ids]
    threads = [threading.Thread(target=run_topic, args=(a.url, t, r), daemon=True)
               for t, r in zip(ids, results)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    peak = [base_rss]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], rss_kib(a.pid))
            except OSError:
                return
            time.sleep(0.05)
    s = threading.Thread(target=sample, daemon=True)
    s.start()
    time.sleep(1.0)                           # every stream open and waiting on the model
    open_before = sum(1 for t in threads if t.is_alive())
    rest = wrk_median(a.url, f"/api/nodes/{rest_id}", a.wrk_seconds)
    open_after = sum(1 for t in threads if t.is_alive())
    for t in threads:
        t.join()
    stop.set()
    s.join()
    wall = time.monotonic() - t0
    ok = [r for r in results if r.get("status") == 200 and "error" not in r]
    print(json.dumps({
        "runs": a.runs, "ok": len(ok), "statuses": sorted({r.get("status") for r in results}, key=str),
        "agent_errors": sum(r.get("errors", 0) for r in results),
        "events": sum(r.get("events", 0) for r in results),
        "streams_open_when_wrk_began": open_before, "streams_open_when_wrk_ended": open_after,
        "wall_s": round(wall, 2),
        "run_s_max": round(max(r.get("total_s", 0) for r in results), 2),
        "rss_idle_mib": round(base_rss / 1024, 1),
        "rss_peak_mib": round(max(peak[0], rss_kib(a.pid, "VmHWM")) / 1024, 1),
        "rest_baseline": baseline,
        "rest": rest,
    }))


def count_calls(log):
    with open(log, errors="replace") as f:
        return sum(1 for line in f if line.startswith("llm "))


def cmd_turns(a):
    rows = []
    for i in range(a.runs):
        tid = new_topic(a.url, f"turns-{i}")
        calls0, cpu0 = count_calls(a.log), cpu_s(a.pid)
        out = {}
        run_topic(a.url, tid, out)
        time.sleep(0.3)                       # the last log lines are written
        calls = count_calls(a.log) - calls0
        cpu = cpu_s(a.pid) - cpu0
        rows.append({"status": out.get("status"), "events": out.get("events"),
                     "errors": out.get("errors", 0), "wall_ms": round(out["total_s"] * 1000, 1),
                     "calls": calls, "cpu_ms": round(cpu * 1000, 1),
                     "cpu_per_call_ms": round(cpu * 1000 / calls, 3) if calls else None})
    good = [r for r in rows if r["calls"]]
    walls = sorted(r["wall_ms"] for r in rows)
    print(json.dumps({
        "runs": len(rows), "statuses": sorted({r["status"] for r in rows}, key=str),
        "agent_errors": sum(r["errors"] for r in rows),
        "events_per_run": sorted({r["events"] for r in rows}, key=str),
        "calls_per_run": sorted({r["calls"] for r in rows}),
        "wall_ms_median": walls[len(walls) // 2] if walls else None,
        "wall_ms_max": walls[-1] if walls else None,
        "cpu_per_call_ms": round(sum(r["cpu_ms"] for r in good) / max(1, sum(r["calls"] for r in good)), 3),
    }))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("streams")
    s.add_argument("--url", required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--runs", type=int, default=200)
    s.add_argument("--wrk-seconds", type=int, default=5)
    t = sub.add_parser("turns")
    t.add_argument("--url", required=True)
    t.add_argument("--pid", type=int, required=True)
    t.add_argument("--log", required=True)
    t.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    cmd_streams(a) if a.cmd == "streams" else cmd_turns(a)


if __name__ == "__main__":
    main()
