#!/usr/bin/env python3
"""scripts/bench_pg_table.py OUT: the tables of scripts/bench-pg.sh from the raw results in OUT.

OUT/ceiling/raw.tsv (hello_mhd, health), OUT/<config>/raw.tsv for config in sqlite, pg1, pg2
(bench/run.sh), OUT/pg-pss-<config>.txt and pg-pss-idle-<config>.txt (kB, PostgreSQL's
processes summed). Per scenario: median req/s over the rounds, its share of the ceiling and that
share as a multiple of the original backend's share (bench/RESULTS.md, 2026-12-01: the original
on SQLite, measured the same way); the target on PostgreSQL is 5x. Then the p99s, the CPU
figures and resident memory.
"""
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from table import read_raw  # noqa: E402  (bench/table.py: the raw.tsv reader)

# The original backend's req/s as a share (%) of the libmicrohttpd ceiling of the same sitting
# (bench/RESULTS.md, "the original and the project's server side by side").
ORIGINAL_SHARE = {
    "health": 3.47, "nodes_list": 0.47, "node_get": 1.32, "node_children": 1.15,
    "node_edges": 0.80, "chat_list": 0.71, "progress_get": 0.99, "content_active": 1.06,
    "chat_post": 0.72, "answer_post": 0.62, "progress_post": 0.62, "mixed": 0.70,
}
TARGET = 5.0
CONFIGS = [("sqlite", "SQLite"), ("pg1", "PG, 1 server"), ("pg2", "PG, 2 servers")]


def load(path):
    """The rows of one raw.tsv by scenario, and its "# key=value" comments as a dict."""
    rows, meta = {}, {}
    if not os.path.exists(path):
        return rows, meta
    raw, comments = read_raw(path)
    for line in comments:
        for kv in line[1:].split():
            if "=" in kv:
                k, v = kv.split("=", 1)
                meta[k] = v
    for d in raw:
        rows.setdefault(d["scenario"], []).append(d)
    return rows, meta


def med(rs, key):
    xs = [float(d[key]) for d in rs if d.get(key, "na") not in ("na", "")]
    return statistics.median(xs) if xs else None


def read_kb(path):
    try:
        return int(open(path).read().strip() or 0)
    except (OSError, ValueError):
        return 0


def fmt(x, spec="%.0f"):
    return "-" if x is None else spec % x


def main():
    out = sys.argv[1]
    ceil_rows, _ = load(os.path.join(out, "ceiling", "raw.tsv"))
    ceiling = med(ceil_rows.get("health", []), "rps")
    data = {c: load(os.path.join(out, c, "raw.tsv")) for c, _ in CONFIGS}
    order = []
    for c, _ in CONFIGS:
        for s in data[c][0]:
            if s not in order:
                order.append(s)
    print("Ceiling (hello_mhd, health): %s req/s" % fmt(ceiling))
    print()
    head = "| scenario | original share |"
    sep = "|---|---|"
    for _, label in CONFIGS:
        head += " %s req/s | share | × original |" % label
        sep += "---|---|---|"
    head += " 2 vs 1 server |"
    sep += "---|"
    print(head)
    print(sep)
    for s in order:
        line = "| %s | %s %% |" % (s, fmt(ORIGINAL_SHARE.get(s), "%.2f"))
        rps = {}
        for c, _ in CONFIGS:
            r = med(data[c][0].get(s, []), "rps")
            rps[c] = r
            share = 100 * r / ceiling if r is not None and ceiling else None
            x = share / ORIGINAL_SHARE[s] if share is not None and s in ORIGINAL_SHARE else None
            mark = "" if x is None or c == "sqlite" or x >= TARGET else " (<5)"
            line += " %s | %s %% | %s%s |" % (fmt(r), fmt(share, "%.2f"), fmt(x, "%.1f"), mark)
        ratio = rps["pg2"] / rps["pg1"] if rps.get("pg1") and rps.get("pg2") else None
        line += " %s |" % fmt(ratio, "%.2f")
        print(line)
    print()
    head = "| scenario |"
    sep = "|---|"
    for _, label in CONFIGS:
        head += " %s p50 / p99 ms | sprout CPU µs/req | other CPU %% |" % label
        sep += "---|---|---|"
    print(head)
    print(sep)
    for s in order:
        line = "| %s |" % s
        for c, _ in CONFIGS:
            rs = data[c][0].get(s, [])
            line += " %s / %s | %s | %s |" % (fmt(med(rs, "p50_ms"), "%.2f"), fmt(med(rs, "p99_ms"), "%.2f"),
                                              fmt(med(rs, "server_cpu_us_per_req")), fmt(med(rs, "other_cpu_pct")))
        print(line)
    errors = sum(int(d["non2xx"]) + int(d["sock_err"]) for c, _ in CONFIGS
                 for rs in data[c][0].values() for d in rs)
    print()
    print("non-2xx answers and socket errors, all runs: %d" % errors)
    print()
    print("| configuration | sprout idle RSS MiB | sprout peak RSS MiB | PostgreSQL idle PSS MiB | PostgreSQL peak PSS MiB |")
    print("|---|---|---|---|---|")
    for c, label in CONFIGS:
        rows, meta = data[c]
        if not rows:
            continue
        peaks = [int(d["peak_rss_kb"]) for rs in rows.values() for d in rs if d["peak_rss_kb"] not in ("", "0")]
        idle = meta.get("idle_rss_kb")
        pg_idle = read_kb(os.path.join(out, "pg-pss-idle-%s.txt" % c))
        pg_peak = read_kb(os.path.join(out, "pg-pss-%s.txt" % c))
        print("| %s | %s | %s | %s | %s |" % (
            label, fmt(int(idle) / 1024 if idle and idle != "na" else None, "%.1f"),
            fmt(max(peaks) / 1024 if peaks else None, "%.1f"),
            fmt(pg_idle / 1024 if pg_idle else None, "%.1f"), fmt(pg_peak / 1024 if pg_peak else None, "%.1f")))


if __name__ == "__main__":
    main()
