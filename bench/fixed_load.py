#!/usr/bin/env python3
"""Send a fixed number of write requests of one scenario (for instruction counts, not speed).

Usage: fixed_load.py BASE_URL IDS_FILE SCENARIO CONNS PER_CONN

CONNS keep-alive connections (one thread each) send PER_CONN requests each of SCENARIO
(chat_post, answer_post or progress_post: the same requests as bench/lua/common.lua), with a
fixed random seed per connection. Every reply must be 2xx (exit 1 otherwise). Used by
scripts/callgrind-writes.sh, which counts the server's instructions under callgrind: the
count is deterministic where req/s on a shared machine is not.
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
    ids = {"answer": [], "progress": [], "chat_write": []}
    with open(path) as f:
        for line in f:
            p = line.split()
            if not p:
                continue
            if p[0] == "user":
                ids["user"] = p[1]
            elif p[0] in ("answer", "progress"):
                ids[p[0]].append(p[1:3])
            elif p[0] == "chat_write":
                ids[p[0]].append(p[1])
    return ids


def request(ids, scenario, rng):
    user = ids["user"]
    if scenario == "chat_post":
        s = rng.choice(ids["chat_write"])
        return (f"/api/chat/sessions/{s}/messages",
                '{"userId":"%s","role":"user","kind":"learning","content":"%s"}' % (user, CHAT_TEXT))
    if scenario == "answer_post":
        a, q = rng.choice(ids["answer"])
        return (f"/api/assessments/{a}/answers",
                '{"userId":"%s","questionId":"%s","answerText":"%s","score":0.5}'
                % (user, q, CHAT_TEXT))
    if scenario == "progress_post":
        _, n = rng.choice(ids["progress"])
        return ("/api/progress", '{"userId":"%s","nodeId":"%s"}' % (user, n))
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
            path, body = request(ids, scenario, rng)
            c.request("POST", path, body, {"Content-Type": "application/json"})
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
