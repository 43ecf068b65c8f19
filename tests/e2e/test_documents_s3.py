"""tests/e2e/test_documents_s3.py: document uploads with the S3 store, end to end: the real
server talking SigV4 to a real S3-protocol server (s3rver, started per test), and to a scripted
stub for faults s3rver cannot produce (a refusal in the middle of a batch, 5xx then success).
Checks: the object bytes and keys, delete, S3 down or refusing -> 502 with S3's reason and no
row left behind, a batch failing part-way removes what it had stored, bounded retries; a slow
S3 (a gated proxy) holds no HTTP worker thread, and the document jobs waiting for it are
bounded (503 past the bound); the crash-leftover sweep of the bucket (objects without a row
under documents/ removed after the grace period, paged and bounded per pass, nothing deleted
when a listing fails). On SQLite and PostgreSQL (both_engines)."""
import threading
import urllib.request

import pytest

from support.documents import eventually, files_under, make_node, part, rows, upload
from support.pdfgen import make_pdf
from support.s3 import GatedProxy, list_xml, s3server, stub_s3  # noqa: F401  (fixtures)

pytestmark = pytest.mark.both_engines


def start(start_server, tmp_path, env):
    staging = tmp_path / "staging"
    staging.mkdir(exist_ok=True)
    e = dict(env)
    e.update({"TMPDIR": str(staging), "SPROUT_S3_CONNECT_TIMEOUT_MS": "2000",
              "SPROUT_S3_TIMEOUT_MS": "10000"})
    srv = start_server(env=e)
    _, node = make_node(srv)
    return srv, node, staging


def test_upload_list_delete_against_s3rver(start_server, tmp_path, s3server):
    srv, node, staging = start(start_server, tmp_path, s3server.env())
    pdf = make_pdf([["Eigenvalues", "\u00e9t\u00e9"], ["page two"]])
    r = upload(srv, node, [part("caf\u00e9 notes", "notes.md", "text/markdown"),
                           part(pdf, "slides.pdf", "application/pdf")])
    assert r.status == 201, r
    up = r.json["uploaded"]
    assert [d["extractionStatus"] for d in up] == ["completed", "completed"]
    stored = rows(srv)
    keys = [s["s3_key"] for s in stored]
    assert keys == [f"documents/{up[0]['id']}.md", f"documents/{up[1]['id']}.pdf"]
    assert s3server.objects() == sorted(keys)
    assert s3server.object_path(keys[0]).read_bytes() == "caf\u00e9 notes".encode()
    assert s3server.object_path(keys[1]).read_bytes() == pdf
    assert "page two" in stored[1]["extracted_text"]
    # nothing on the local disk: no uploads folder, no staging leftovers
    assert not (tmp_path / "uploads").exists()
    assert eventually(lambda: files_under(staging) == [])

    r = srv.request("DELETE", f"/api/nodes/{node}/documents/{up[0]['id']}")
    assert r.status == 204
    assert s3server.objects() == [keys[1]]
    assert [d["id"] for d in srv.request("GET", f"/api/nodes/{node}/documents").json] == [up[1]["id"]]


def test_s3_down_is_502_and_leaves_nothing(start_server, tmp_path, s3server):
    env = s3server.env()
    srv, node, staging = start(start_server, tmp_path, env)
    s3server.stop()  # the store goes away after the server started
    r = upload(srv, node, [part("a", "a.txt"), part("b", "b.txt")])
    assert r.status == 502, r
    assert r.json["error"].startswith("storage failed: ")
    assert "after 3 attempts" in r.json["error"]
    assert rows(srv) == []
    assert eventually(lambda: files_under(staging) == [])


def test_s3_refusing_is_502_with_the_reason(start_server, tmp_path, s3server):
    srv, node, staging = start(start_server, tmp_path, s3server.env(access_key="NOT-A-KEY"))
    r = upload(srv, node, [part("a", "a.txt")])
    assert r.status == 502, r
    assert "InvalidAccessKeyId" in r.json["error"]
    assert rows(srv) == [] and s3server.objects() == []
    assert eventually(lambda: files_under(staging) == [])


def test_missing_bucket_is_502(start_server, tmp_path, s3server):
    srv, node, _ = start(start_server, tmp_path, s3server.env(bucket="no-such-bucket"))
    r = upload(srv, node, [part("a", "a.txt")])
    assert r.status == 502
    assert "NoSuchBucket" in r.json["error"]
    assert rows(srv) == []


def test_delete_when_s3_is_down_keeps_the_row(start_server, tmp_path, s3server):
    srv, node, _ = start(start_server, tmp_path, s3server.env())
    r = upload(srv, node, [part("a", "a.txt")])
    doc = r.json["uploaded"][0]["id"]
    s3server.stop()
    r = srv.request("DELETE", f"/api/nodes/{node}/documents/{doc}")
    assert r.status == 502, r
    assert r.json["error"].startswith("storage failed: ")
    assert len(rows(srv)) == 1


def test_batch_failing_part_way_removes_what_it_stored(start_server, tmp_path, stub_s3):
    stub = stub_s3([200, 200, 403])
    srv, node, staging = start(start_server, tmp_path, stub.env())
    r = upload(srv, node, [part("a", "a.txt"), part("b", "b.txt"), part("c", "c.txt")])
    assert r.status == 502, r
    assert "StubError403" in r.json["error"] and "scripted failure" in r.json["error"]
    puts = [p for m, p in stub.requests if m == "PUT"]
    deletes = [p for m, p in stub.requests if m == "DELETE"]
    assert len(puts) == 3                       # a 403 is not retried
    assert all(p.startswith("/stub-bucket/documents/") for p in puts)
    assert set(puts[:2]) <= set(deletes)        # the two stored objects were removed again
    assert rows(srv) == []
    assert eventually(lambda: files_under(staging) == [])


def test_5xx_is_retried_then_succeeds(start_server, tmp_path, stub_s3):
    stub = stub_s3([503, 500, 200])
    srv, node, _ = start(start_server, tmp_path, stub.env())
    r = upload(srv, node, [part("a", "a.txt")])
    assert r.status == 201, r
    puts = [p for m, p in stub.requests if m == "PUT"]
    assert len(puts) == 3 and len(set(puts)) == 1
    assert len(rows(srv)) == 1


def test_5xx_retries_are_bounded(start_server, tmp_path, stub_s3):
    stub = stub_s3([503])
    srv, node, _ = start(start_server, tmp_path, stub.env())
    r = upload(srv, node, [part("a", "a.txt")])
    assert r.status == 502, r
    assert "HTTP 503" in r.json["error"] and "after 3 attempts" in r.json["error"]
    assert len([1 for m, _ in stub.requests if m == "PUT"]) == 3
    assert rows(srv) == []


def test_s3_misconfiguration_stops_the_server(sprout, workdir, db_env):
    p = sprout("serve", cwd=workdir, env={**db_env(workdir / "x.db"), "PORT": "0",
                                           "AWS_S3_BUCKET": "b-u-c-k-e-t",
                                           "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""},
               timeout=30)
    assert p.returncode == 2  # a configuration the server cannot use: SP_EINVAL
    assert "AWS_S3_BUCKET is set but AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing" in p.stderr


def test_pdf_corrupt_still_uploaded_to_s3(start_server, tmp_path, s3server):
    srv, node, _ = start(start_server, tmp_path, s3server.env())
    r = upload(srv, node, [part(b"%PDF-1.7 broken", "bad.pdf", "application/pdf")])
    assert r.status == 201
    assert r.json["uploaded"][0]["extractionStatus"] == "failed"
    assert len(s3server.objects()) == 1


def test_requests_are_signed_with_sigv4(start_server, tmp_path, stub_s3):
    stub = stub_s3([200])
    srv, node, _ = start(start_server, tmp_path, stub.env())
    pdf = make_pdf([["signed"]])
    r = upload(srv, node, [part(pdf, "s.pdf", "application/pdf")])
    assert r.status == 201, r
    assert [m for m, _ in stub.requests] == ["PUT"]
    h = stub.headers[0]
    assert h["Content-Type"] == "application/pdf"
    assert "/eu-west-3/s3/aws4_request" in h["Authorization"]
    doc = r.json["uploaded"][0]["id"]
    r = srv.request("DELETE", f"/api/nodes/{node}/documents/{doc}")
    assert r.status == 204
    assert [m for m, _ in stub.requests] == ["PUT", "DELETE"]


def test_wrong_secret_is_refused_by_the_signature_check(start_server, tmp_path, stub_s3):
    stub = stub_s3([200])
    srv, node, _ = start(start_server, tmp_path, stub.env(secret="not-the-secret"))
    r = upload(srv, node, [part("x", "x.txt")])
    assert r.status == 502, r
    assert "SignatureDoesNotMatch" in r.json["error"]
    assert rows(srv) == []


# ---------- crash leftovers in the bucket (issue 8) ----------

ORPHANS = [f"documents/{i:08d}-0000-4000-8000-000000000000.txt" for i in range(7)]


def first_sweep_line(srv):
    assert eventually(lambda: "sweep: " in srv.output(), 30), srv.output()
    return next(line for line in srv.output().splitlines() if line.startswith("sweep: "))


def test_sweep_removes_old_objects_without_a_row(start_server, tmp_path, s3server):
    env = s3server.env()
    srv, node, _ = start(start_server, tmp_path, env)
    assert upload(srv, node, [part("kept", "k.txt")]).status == 201
    kept = rows(srv)[0]["s3_key"]
    srv.stop()
    # what a crash between storing an object and inserting its row leaves, backdated past the
    # grace period; an upload in progress (young); objects Sprout does not own
    orphan = "documents/0b6d3e8e-1111-4111-8111-111111111111.pdf"
    young = "documents/22222222-2222-4222-8222-222222222222.md"
    foreign = ["other/0b6d3e8e-1111-4111-8111-111111111111.pdf", "documentsX/a.txt",
               "documents/a b.txt", "documents/sub/x.txt", "documents/caf\u00e9.txt"]
    s3server.put_raw(orphan, b"left behind", age_s=7200)
    s3server.put_raw(young, b"in progress", age_s=0)
    for k in foreign:
        s3server.put_raw(k, b"not ours", age_s=7200)
    s3server.set_age(kept, 7200)
    srv, _, _ = start(start_server, tmp_path, env)
    assert "Swept 0 stored files without a row and 0 stale upload files." in srv.output()
    assert first_sweep_line(srv) == \
        "sweep: removed 1 stored file without a row and 0 stale upload files"
    left = s3server.objects()
    assert orphan not in left
    assert kept in left and young in left
    assert all(k in left for k in foreign), left
    assert s3server.object_path(kept).read_bytes() == b"kept"


def test_sweep_pages_through_the_bucket(start_server, tmp_path, s3server):
    env = dict(s3server.env(), SPROUT_SWEEP_GRACE_S="0", SPROUT_S3_SWEEP_PAGE="2")
    srv, node, _ = start(start_server, tmp_path, env)
    assert upload(srv, node, [part("kept", "k.txt")]).status == 201
    kept = rows(srv)[0]["s3_key"]
    srv.stop()
    for k in ORPHANS:
        s3server.put_raw(k)
    before = s3server.list_requests()
    srv, _, _ = start(start_server, tmp_path, env)
    assert first_sweep_line(srv) == \
        "sweep: removed 7 stored files without a row and 0 stale upload files"
    assert s3server.objects() == [kept]
    assert s3server.list_requests() - before == 4   # 8 keys, 2 a page


def test_sweep_is_bounded_per_pass_and_continues(start_server, tmp_path, s3server):
    for k in ORPHANS:
        s3server.put_raw(k)
    env = dict(s3server.env(), SPROUT_SWEEP_GRACE_S="0", SPROUT_S3_SWEEP_PAGE="2",
               SPROUT_S3_SWEEP_MAX_KEYS="3", SPROUT_SWEEP_INTERVAL_S="1")
    srv, _, _ = start(start_server, tmp_path, env)
    assert first_sweep_line(srv) == \
        "sweep: removed 3 stored files without a row and 0 stale upload files"
    assert eventually(lambda: s3server.objects() == [], 30), s3server.objects()

    def removed():   # a pass logs its line after its last delete: wait for the third line
        return [int(line.split()[2]) for line in srv.output().splitlines()
                if line.startswith("sweep: removed")]
    assert eventually(lambda: len(removed()) >= 3, 30), srv.output()
    assert removed()[:3] == [3, 3, 1], srv.output()


def test_sweep_listing_error_deletes_nothing(start_server, tmp_path, stub_s3):
    stub = stub_s3([200])
    old = "2020-01-01T00:00:00.000Z"
    # the first page lists old objects without rows; the next page fails
    stub.list_replies = [(200, list_xml([(k, old) for k in ORPHANS[:2]], next_token="tok/en+=")),
                         (403, b"<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code>"
                               b"<Message>listing refused</Message></Error>")]
    srv, _, _ = start(start_server, tmp_path, stub.env())
    line = first_sweep_line(srv)
    assert "nothing deleted" in line and "AccessDenied" in line and "listing refused" in line
    assert [m for m, _ in stub.requests if m == "DELETE"] == []
    assert len(stub.lists) == 2
    assert "continuation-token=tok%2Fen%2B%3D&list-type=2" in stub.lists[1]
    assert all("prefix=documents%2F" in p for p in stub.lists)


def test_sweep_unreadable_listing_deletes_nothing(start_server, tmp_path, stub_s3):
    stub = stub_s3([200])
    stub.list_replies = [(200, b"<ListBucketResult><IsTruncated>false</IsTruncated><Contents>"
                               b"<Key>documents/a.txt</Key><LastModified>2020-01-01T00:00:00Z"
                               b"</LastModified></Contents><Contents><Key>documents/b.txt</Key>"
                               b"</Contents></ListBucketResult>")]
    srv, _, _ = start(start_server, tmp_path, stub.env())
    line = first_sweep_line(srv)
    assert "nothing deleted" in line and "LastModified" in line
    assert [m for m, _ in stub.requests if m == "DELETE"] == []


def test_sweep_deletes_through_the_signed_api(start_server, tmp_path, stub_s3):
    stub = stub_s3([200])
    stub.list_replies = [(200, list_xml([(ORPHANS[0], "2020-01-01T00:00:00.000Z"),
                                         (ORPHANS[1], "2999-01-01T00:00:00.000Z")]))]
    srv, _, _ = start(start_server, tmp_path, stub.env())
    assert first_sweep_line(srv) == \
        "sweep: removed 1 stored file without a row and 0 stale upload files"
    assert stub.requests == [("DELETE", f"/stub-bucket/{ORPHANS[0]}")]
    assert stub.lists == ["/stub-bucket?list-type=2&max-keys=1000&prefix=documents%2F"]


def test_sweep_database_error_deletes_nothing(start_server, tmp_path, stub_s3):
    stub = stub_s3([200])
    srv, _, _ = start(start_server, tmp_path, dict(stub.env(), SPROUT_SWEEP_INTERVAL_S="1"))
    assert first_sweep_line(srv).startswith("sweep: removed 0 stored files")
    # the documents table cannot be read any more; the bucket lists old objects
    srv.sql_exec("ALTER TABLE topic_documents RENAME TO topic_documents_gone")
    stub.list_replies = [(200, list_xml([(k, "2020-01-01T00:00:00.000Z") for k in ORPHANS]))]
    assert eventually(lambda: "could not read the documents table" in srv.output(), 30), \
        srv.output()
    assert [m for m, _ in stub.requests if m == "DELETE"] == []
    srv.sql_exec("ALTER TABLE topic_documents_gone RENAME TO topic_documents")


# ---------- a slow S3 (issue 8: no HTTP worker thread waits for it) ----------

def in_threads(fn, args):
    results = []
    threads = [threading.Thread(target=lambda a=a: results.append(fn(a))) for a in args]
    for t in threads:
        t.start()
    return threads, results


def test_s3rver_survives_a_put_racing_a_delete(s3server):
    """The harness itself: s3rver's store removed "documents/" when a DELETE emptied it, under a
    PUT that had just made it, and s3rver died (round 4 of this loop, before the fixture's
    hold folder); the slow-S3 test below met it once in CI."""
    def call(method, key, data=None):
        req = urllib.request.Request(f"{s3server.endpoint}/{s3server.bucket}/{key}", data=data,
                                     method=method)
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    for k in range(100):
        assert call("PUT", f"documents/a{k}.txt", b"a") == 200
        threads, results = in_threads(lambda job: call(*job),
                                      [("DELETE", f"documents/a{k}.txt", None),
                                       ("PUT", f"documents/b{k}.txt", b"b" * 1000)])
        for t in threads:
            t.join()
        assert s3server.proc.poll() is None, f"s3rver died in round {k}:\n{s3server.output()}"
        assert sorted(results) == [200, 204], results
    assert s3server.objects() == sorted(f"documents/b{k}.txt" for k in range(100))


def test_slow_s3_holds_no_worker_thread(start_server, tmp_path, s3server):
    proxy = GatedProxy(s3server.port)
    proxy.open()
    try:
        env = dict(s3server.env(), AWS_ENDPOINT_URL=proxy.endpoint, SPROUT_THREADS="2")
        srv, node, staging = start(start_server, tmp_path, env)
        first = upload(srv, node, [part(f"doc {k}", f"d{k}.txt") for k in range(2)])
        assert first.status == 201, first
        old = [d["id"] for d in first.json["uploaded"]]
        proxy.hold()   # S3 answers nothing from now on
        ups, up_results = in_threads(lambda k: upload(srv, node, [part(f"new {k}", f"n{k}.txt")]),
                                     range(3))
        dels, del_results = in_threads(
            lambda d: srv.request("DELETE", f"/api/nodes/{node}/documents/{d}"), old)
        # more S3 calls hang than there are HTTP worker threads (2)
        assert eventually(lambda: proxy.waiting() >= 3)
        for _ in range(5):
            assert srv.request("GET", "/api/health", timeout=2).status == 200
            listed = srv.request("GET", f"/api/nodes/{node}/documents", timeout=2)
            assert sorted(d["id"] for d in listed.json) == sorted(old)
        assert up_results == [] and del_results == [], "an S3 call finished through a shut gate"
        proxy.open()
        for t in ups + dels:
            t.join()
        why = (up_results, del_results, proxy.problems, s3server.output()[-3000:])
        assert [r.status for r in up_results] == [201] * 3, why
        assert [r.status for r in del_results] == [204] * 2, why
        keys = sorted(s["s3_key"] for s in rows(srv))
        assert len(keys) == 3 and s3server.objects() == keys
        assert eventually(lambda: files_under(staging) == [])
    finally:
        proxy.close()


def test_document_jobs_are_bounded_503_past_the_bound(start_server, tmp_path, s3server):
    proxy = GatedProxy(s3server.port)   # shut: every S3 call waits
    try:
        env = dict(s3server.env(), AWS_ENDPOINT_URL=proxy.endpoint, SPROUT_THREADS="2")
        srv, node, staging = start(start_server, tmp_path, env)
        # 16 document jobs may be queued or running at once: of 20 uploads, 4 are refused at
        # once (whatever order they arrive in), the 16 others wait for S3
        ups, results = in_threads(lambda k: upload(srv, node, [part(f"doc {k}", f"d{k}.txt")]),
                                  range(20))
        assert eventually(lambda: len(results) >= 4)
        assert srv.request("GET", "/api/health", timeout=2).status == 200
        refused = list(results)
        assert len(refused) == 4, refused
        for r in refused:
            assert r.status == 503, r
            assert r.json["error"] == ("too many uploads and document deletes at once "
                                       "(limit 16); try again")
        proxy.open()
        for t in ups:
            t.join()
        assert sorted(r.status for r in results) == [201] * 16 + [503] * 4
        assert len(rows(srv)) == 16 and len(s3server.objects()) == 16
        assert eventually(lambda: files_under(staging) == [])
    finally:
        proxy.close()
