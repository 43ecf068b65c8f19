#!/usr/bin/env python3
"""Send a fixed number of requests of one scenario (for instruction counts, not speed).

Usage: fixed_load.py BASE_URL IDS_FILE SCENARIO CONNS PER_CONN

CONNS keep-alive connections (one thread each) send PER_CONN requests each of SCENARIO
(chat_post, answer_post, progress_post; or the reads chat_list, nodes_list, node_get: the same
requests as bench/lua/common.lua), with a fixed random seed per connection. Every reply must be
2xx (exit 1 otherwise). Used by scripts/callgrind-writes.sh and scripts/callgrind-reads.sh,
which count the server's instructions under callgrind: the count is deterministic where req/s
on a shared machine is not.
"""
import http.client
import random
import sys
import threading
import urllib.parse

CHAT_TEXT = ("I think the gradient points in the direction of steepest ascent, "
             "so to minimise the loss we step against it; the learning rate scales how far "
             "we move each iteration. Is that why a rate that is too large makes the loss "
             "oscillate?")


def load_ids(path):
    ids = {"answer": [], "progress": [], "chat_write": [], "chat_read": [], "branch": [],
           "node": []}
    with open(path) as f:
        for line in f:
            p = line.split()
            if not p:
                continue
            if p[0] == "user":
                ids["user"] = p[1]
            elif p[0] in ("answer", "progress"):
                ids[p[0]].append(p[1:3])
            elif p[0] in ("chat_write", "chat_read", "branch"):
                ids[p[0]].append(p[1])
            elif p[0] in ("root", "concept", "subconcept"):  # common.lua's ids.node
                ids["node"].append(p[1])
    return ids


READS = {  # scenario: (ids list, path)
    "chat_list": ("chat_read", "/api/chat/sessions/%s/messages"),
    "nodes_list": ("branch", "/api/nodes?branchId=%s"),
    "node_get": ("node", "/api/nodes/%s"),
}


def request(ids, scenario, rng):
    """(method, path, body) of one request."""
    user = ids["user"]
    if scenario in READS:
        kind, path = READS[scenario]
        return "GET", path % rng.choice(ids[kind]), None
    if scenario == "chat_post":
        s = rng.choice(ids["chat_write"])
        return ("POST", f"/api/chat/sessions/{s}/messages",
                '{"userId":"%s","role":"user","kind":"learning","content":"%s"}' % (user, CHAT_TEXT))
    if scenario == "answer_post":
        a, q = rng.choice(ids["answer"])
        return ("POST", f"/api/assessments/{a}/answers",
                '{"userId":"%s","questionId":"%s","answerText":"%s","score":0.5}'
                % (user, q, CHAT_TEXT))
    if scenario == "progress_post":
        _, n = rng.choice(ids["progress"])
        return ("POST", "/api/progress", '{"userId":"%s","nodeId":"%s"}' % (user, n))
    sys.exit(f"fixed_load: unknown scenario {scenario}")


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    base, ids_path, scenario, conns, per_conn = sys.argv[1:]
    url = urllib.parse.urlparse(base)
    ids = load_ids(ids_path)
    failures = []

    def worker(k):
        rng = random.Random(1000 + k)
        c = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
        for _ in range(int(per_conn)):
            method, path, body = request(ids, scenario, rng)
            c.request(method, path, body, {"Content-Type": "application/json"} if body else {})
            r = c.getresponse()
            data = r.read()
            if not 200 <= r.status < 300:
                failures.append((r.status, data[:200]))
        c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(int(conns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        sys.exit(f"fixed_load: {len(failures)} failed, first {failures[0]}")


if __name__ == "__main__":
    main()
