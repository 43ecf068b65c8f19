"""tests/e2e/test_documents.py: document uploads end to end over HTTP against the real server
with the local-folder store (the default): response shapes (spec/api.md §7), text and PDF
extraction on real files, UTF-8 names, limits, malformed bodies, and the consistency rule:
a row exists if and only if its bytes are stored, and a failed request leaves nothing behind
(no row, no stored file, no staging file). On SQLite and PostgreSQL (both_engines)."""
import re

import pytest

from support.documents import (LIMIT, USER, eventually, files_under, make_node, multipart, part,
                               rows, upload)
from support.pdfgen import make_pdf

pytestmark = pytest.mark.both_engines

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SQLITE_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def env(start_server, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    srv = start_server(env={"TMPDIR": str(staging)})
    branch, node = make_node(srv)

    class Env:
        pass
    e = Env()
    e.srv, e.branch, e.node, e.staging = srv, branch, node, staging
    e.db = srv                              # rows() reads its database, either engine
    e.store = tmp_path / "uploads"          # default: beside the database
    return e


def assert_nothing_left(e, n_rows=0):
    assert len(rows(e.db)) == n_rows
    assert len(files_under(e.store)) == n_rows
    assert eventually(lambda: files_under(e.staging) == []), files_under(e.staging)


def test_upload_text_markdown_pdf_shapes_and_storage(env):
    pdf = make_pdf([["Linear maps", "\u00dcber caf\u00e9 na\u00efve \u20ac5"],
                    ["Second page"], ["Third page"]])
    text = "Vectors: h\u00e9llo \U0001F600\n"
    md = "\ufeff# Matrices\n\nr\u00e9sum\u00e9"
    r = upload(env.srv, env.node, [part(text, "notes.txt", "text/plain; charset=utf-8"),
                                   part(md, "Kapitel \u00dcbersicht.md", "text/markdown"),
                                   part(pdf, "slides.PDF", "Application/PDF")])
    assert r.status == 201, r
    up = r.json["uploaded"]
    assert [list(d.keys()) for d in up] == [["id", "nodeId", "originalFilename", "mimeType",
                                             "fileSizeBytes", "extractionStatus",
                                             "extractedTextLength", "createdAt"]] * 3
    assert [d["originalFilename"] for d in up] == ["notes.txt", "Kapitel \u00dcbersicht.md",
                                                   "slides.PDF"]
    assert [d["mimeType"] for d in up] == ["text/plain", "text/markdown", "application/pdf"]
    assert [d["fileSizeBytes"] for d in up] == [len(text.encode()), len(md.encode()), len(pdf)]
    assert all(d["extractionStatus"] == "completed" for d in up)
    assert all(d["nodeId"] == env.node and UUID.match(d["id"]) and ISO.match(d["createdAt"])
               for d in up)
    # JavaScript string lengths: the emoji counts 2, the BOM 1
    assert up[0]["extractedTextLength"] == len(text.encode("utf-16-le")) // 2
    assert up[1]["extractedTextLength"] == len(md.encode("utf-16-le")) // 2

    stored = rows(env.db, env.node)
    assert [s["id"] for s in stored] == [d["id"] for d in up]
    assert stored[0]["extracted_text"] == text
    assert stored[1]["extracted_text"] == md          # BOM kept
    pdf_text = stored[2]["extracted_text"]
    assert "Linear maps" in pdf_text and "\u00dcber caf\u00e9 na\u00efve \u20ac5" in pdf_text
    assert "\n\n-- 1 of 3 --\n\n" in pdf_text and pdf_text.endswith("Third page\n\n-- 3 of 3 --\n\n")
    assert pdf_text.index("Second page") > pdf_text.index("-- 1 of 3 --")
    assert up[2]["extractedTextLength"] == len(pdf_text.encode("utf-16-le")) // 2
    assert [s["s3_key"] for s in stored] == [f"documents/{up[0]['id']}.txt",
                                             f"documents/{up[1]['id']}.md",
                                             f"documents/{up[2]['id']}.PDF"]
    assert all(s["extraction_status"] == "completed" and s["extraction_error"] is None
               for s in stored)
    # the bytes, exactly, under the default folder beside the database
    for s, raw in zip(stored, [text.encode(), md.encode(), pdf]):
        assert (env.store / s["s3_key"]).read_bytes() == raw
    assert eventually(lambda: files_under(env.staging) == [])

    lst = env.srv.request("GET", f"/api/nodes/{env.node}/documents")
    assert lst.status == 200
    assert [list(d.keys()) for d in lst.json] == [["id", "nodeId", "originalFilename", "mimeType",
                                                   "fileSizeBytes", "extractionStatus",
                                                   "createdAt"]] * 3
    assert [d["id"] for d in lst.json] == [d["id"] for d in up]
    assert all(SQLITE_TS.match(d["createdAt"]) for d in lst.json)
    assert env.srv.request("GET", "/api/nodes/no-such-node/documents").json == []


def test_pdf_failures_are_stored_and_marked_failed(env):
    corrupt = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nthis is not a PDF\n"
    r = upload(env.srv, env.node, [part(corrupt, "broken.pdf", "application/pdf"),
                                   part(b"", "empty.pdf", "application/pdf"),
                                   part(b"\x00\xff" * 500, "random.pdf", "application/pdf")])
    assert r.status == 201, r
    up = r.json["uploaded"]
    assert [d["extractionStatus"] for d in up] == ["failed"] * 3
    assert [d["extractedTextLength"] for d in up] == [0, 0, 0]
    stored = rows(env.db, env.node)
    assert all(s["extraction_status"] == "failed" and s["extracted_text"] is None for s in stored)
    assert all(s["extraction_error"] for s in stored)
    assert stored[1]["extraction_error"] == "empty file"
    for s in stored:  # stored even though the text could not be read
        assert (env.store / s["s3_key"]).exists()
    # the server is still fine
    assert env.srv.request("GET", "/api/health").status == 200


def test_empty_text_file_is_completed_with_empty_text(env):
    r = upload(env.srv, env.node, [part(b"", "empty.txt", "text/plain")])
    assert r.status == 201, r
    assert r.json["uploaded"][0]["extractionStatus"] == "completed"
    assert r.json["uploaded"][0]["extractedTextLength"] == 0
    assert rows(env.db)[0]["extracted_text"] == ""


def test_invalid_utf8_is_replaced_like_javascript(env):
    raw = b"ok \xff\xfe then \xe2\x82 end"
    r = upload(env.srv, env.node, [part(raw, "bad.txt", "text/plain")])
    assert r.status == 201
    assert rows(env.db)[0]["extracted_text"] == "ok \ufffd\ufffd then \ufffd end"


def test_file_names_utf8_and_paths(env):
    names = ["../../etc/passwd", "C:\\dir\\a b.md", "\u00dcber notes.TXT", "weird.", ".env"]
    r = upload(env.srv, env.node, [part("x", n, "text/plain") for n in names])
    assert r.status == 201, r
    up = r.json["uploaded"]
    assert [d["originalFilename"] for d in up] == ["passwd", "a b.md", "\u00dcber notes.TXT",
                                                   "weird.", ".env"]
    keys = [s["s3_key"] for s in rows(env.db)]
    exts = [k[len("documents/") + 36:] for k in keys]
    assert exts == [".bin", ".md", ".TXT", ".", ".bin"]
    # every stored file is inside the storage folder, none escaped
    assert sorted(files_under(env.store)) == sorted(keys)
    assert not (env.store.parent / "etc").exists()


def test_control_characters_and_invalid_utf8_in_names(env):
    r = upload(env.srv, env.node, [part("x", b"a\x01b\xffc.txt", "text/plain")])
    assert r.status == 201, r
    assert r.json["uploaded"][0]["originalFilename"] == "a_b\ufffdc.txt"


def test_octet_stream_uses_the_extension(env):
    r = upload(env.srv, env.node, [part("# hi", "notes.md", "application/octet-stream"),
                                   part("hi", "notes.txt", "application/octet-stream")])
    assert r.status == 201, r
    assert [d["mimeType"] for d in r.json["uploaded"]] == ["text/markdown", "text/plain"]
    r = upload(env.srv, env.node, [part("x", "image.png", "application/octet-stream")])
    assert r.status == 415
    assert r.json == {"error": "Unsupported file type: application/octet-stream"}


def test_default_type_is_text_plain(env):
    r = upload(env.srv, env.node, [part("plain", "noheader.txt", None)])
    assert r.status == 201, r
    assert r.json["uploaded"][0]["mimeType"] == "text/plain"


def test_file_of_exactly_10_mib_is_refused_and_leaves_nothing(env):
    ok = upload(env.srv, env.node, [part(b"a" * (LIMIT - 1), "max.txt", "text/plain")])
    assert ok.status == 201, ok
    assert ok.json["uploaded"][0]["fileSizeBytes"] == LIMIT - 1
    r = upload(env.srv, env.node, [part(b"small", "first.txt", "text/plain"),
                                   part(b"b" * LIMIT, "big.txt", "text/plain")])
    assert r.status == 413, r
    assert r.json == {"error": "File too large: big.txt (limit 10485759 bytes)"}
    assert_nothing_left(env, n_rows=1)


def test_sixth_file_is_refused_and_leaves_nothing(env):
    r = upload(env.srv, env.node, [part(f"file {i}", f"f{i}.txt") for i in range(6)])
    assert r.status == 400, r
    assert r.json == {"error": "Too many files (limit 5)"}
    assert_nothing_left(env)
    r = upload(env.srv, env.node, [part(f"file {i}", f"f{i}.txt") for i in range(5)])
    assert r.status == 201 and len(r.json["uploaded"]) == 5


def test_wrong_field_and_unsupported_type(env):
    r = upload(env.srv, env.node, [part("x", "a.txt", "text/plain", name="file")])
    assert r.status == 400
    assert r.json["error"].startswith('Unexpected field "file"')
    r = upload(env.srv, env.node, [part("x", "a.txt"), part(b"\x89PNG", "a.png", "image/png")])
    assert r.status == 415
    assert r.json == {"error": "Unsupported file type: image/png"}
    assert_nothing_left(env)


def test_text_fields_only_means_no_files(env):
    r = upload(env.srv, env.node, [{"name": "title", "filename": None, "ctype": None,
                                    "data": "hello"},
                                   part(b"", "", "text/plain")])
    assert r.status == 400
    assert r.json == {"error": "No files provided"}


def test_missing_node_is_404_before_the_body(env):
    r = upload(env.srv, "00000000-0000-4000-8000-000000000000", [part("x", "a.txt")])
    assert r.status == 404
    assert r.json == {"error": "Node not found"}
    assert_nothing_left(env)


@pytest.mark.parametrize("ctype,body,message", [
    ("multipart/form-data", multipart([part("x", "a.txt")]),                   # no boundary
     "Multipart: Boundary not found"),
    ("multipart/form-data; boundary=", multipart([part("x", "a.txt")]),         # empty boundary
     "Multipart: Boundary not found"),
    ("application/json", b'{"files": "x"}',                                     # not multipart
     "expected a multipart/form-data body: No files provided"),
    (None, b"",                                                                 # no body at all
     "expected a multipart/form-data body (no Content-Type given): No files provided"),
])
def test_not_multipart_or_missing_boundary(env, ctype, body, message):
    headers = {"Content-Type": ctype} if ctype else {}
    r = env.srv.request("POST", f"/api/nodes/{env.node}/documents", body=body, headers=headers)
    assert r.status == 400 and r.json == {"error": message}, r
    assert_nothing_left(env)


def test_truncated_and_malformed_bodies(env):
    whole = multipart([part("a" * 5000, "a.txt"), part("b" * 5000, "b.txt")])
    cut = whole[: len(whole) // 2]
    ct = {"Content-Type": "multipart/form-data; boundary=----sproutTestBoundary7MA4YWxkTrZu0gW"}
    r = env.srv.request("POST", f"/api/nodes/{env.node}/documents", body=cut, headers=ct)
    assert r.status == 400, r
    assert_nothing_left(env)
    no_close = multipart([part("a", "a.txt")], close=False)
    r = env.srv.request("POST", f"/api/nodes/{env.node}/documents", body=no_close, headers=ct)
    assert r.status == 400, r
    assert_nothing_left(env)
    garbage = b"this is not multipart at all\r\n\r\n--nope--\r\n"
    r = env.srv.request("POST", f"/api/nodes/{env.node}/documents", body=garbage, headers=ct)
    assert r.status == 400 and r.json == {"error": "No files provided"}, r
    assert_nothing_left(env)


def test_client_disconnect_mid_upload_leaves_nothing(env):
    body = multipart([part("a" * 200000, "a.txt")])
    head = (f"POST /api/nodes/{env.node}/documents HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: multipart/form-data; boundary=----sproutTestBoundary7MA4YWxkTrZu0gW\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    env.srv.raw(head + body[:100000], timeout=1)  # closes the socket with the body half sent
    assert_nothing_left(env)
    assert env.srv.request("GET", "/api/health").status == 200


def test_delete_document(env):
    r = upload(env.srv, env.node, [part("one", "one.txt"), part("two", "two.txt")])
    assert r.status == 201
    one, two = [d["id"] for d in r.json["uploaded"]]
    key_one = rows(env.db)[0]["s3_key"]
    _, other = make_node(env.srv, "Other")
    r = env.srv.request("DELETE", f"/api/nodes/{other}/documents/{one}")
    assert r.status == 404 and r.json == {"error": "Document not found"}
    r = env.srv.request("DELETE", f"/api/nodes/{env.node}/documents/{one}")
    assert r.status == 204 and r.raw == b""
    assert not (env.store / key_one).exists()
    assert [d["id"] for d in env.srv.request("GET", f"/api/nodes/{env.node}/documents").json] == [two]
    r = env.srv.request("DELETE", f"/api/nodes/{env.node}/documents/{one}")
    assert r.status == 404 and r.json == {"error": "Document not found"}
    r = env.srv.request("DELETE", f"/api/nodes/{env.node}/documents/no-such-document")
    assert r.status == 404


def test_deleting_a_document_whose_file_is_already_gone(env):
    r = upload(env.srv, env.node, [part("one", "one.txt")])
    doc = r.json["uploaded"][0]["id"]
    (env.store / rows(env.db)[0]["s3_key"]).unlink()
    r = env.srv.request("DELETE", f"/api/nodes/{env.node}/documents/{doc}")
    assert r.status == 204
    assert rows(env.db) == []


def test_node_with_documents_cannot_be_deleted(env):
    upload(env.srv, env.node, [part("one", "one.txt")])
    r = env.srv.request("DELETE", f"/api/nodes/{env.node}")
    assert r.status == 409 and r.json == {"error": "Node is still referenced by documents"}
    assert len(rows(env.db)) == 1 and len(files_under(env.store)) == 1


def test_branch_delete_removes_document_bytes(env):
    r = upload(env.srv, env.node, [part("one", "one.txt"), part(make_pdf([["p"]]), "p.pdf",
                                                                "application/pdf")])
    assert r.status == 201
    assert len(files_under(env.store)) == 2
    r = env.srv.request("DELETE", f"/api/branches/{env.branch}")
    assert r.status == 204, r
    assert rows(env.db) == []
    assert eventually(lambda: files_under(env.store) == [])


def test_storage_dir_setting(start_server, tmp_path):
    store = tmp_path / "elsewhere" / "docs"
    srv = start_server(env={"STORAGE_DIR": str(store)})
    _, node = make_node(srv)
    r = upload(srv, node, [part("hello", "h.txt")])
    assert r.status == 201
    key = rows(srv)[0]["s3_key"]
    assert (store / key).read_bytes() == b"hello"
    assert not (tmp_path / "uploads" / key).exists()


def test_storage_failure_leaves_no_row(start_server, tmp_path):
    store = tmp_path / "store"
    staging = tmp_path / "staging"
    staging.mkdir()
    srv = start_server(env={"STORAGE_DIR": str(store), "TMPDIR": str(staging)})
    _, node = make_node(srv)
    (store / "documents").write_text("a file where the documents folder should be")
    r = upload(srv, node, [part("hello", "h.txt"), part("again", "g.txt")])
    # issue 8: an unwritable store is 503 (an operator can fix it), and the body names no path
    assert r.status == 503, r
    assert "cannot be read or written" in r.json["error"] and str(store) not in r.json["error"]
    assert "storage failed: " in srv.output()
    assert rows(srv) == []
    assert files_under(store) == ["documents"]
    assert eventually(lambda: files_under(staging) == [])


def test_concurrent_uploads_are_all_kept(env):
    import threading
    results = []

    def one(i):
        results.append(upload(env.srv, env.node, [part(f"doc {i} " * 1000, f"d{i}.txt")]).status)
    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201] * 8
    assert len(rows(env.db)) == 8 and len(files_under(env.store)) == 8
    if env.srv.engine == "sqlite":
        assert env.srv.sql("PRAGMA integrity_check")[0]["integrity_check"] == "ok"
    assert USER  # the default user owns the node


def _hostile_pdfs():
    good = make_pdf([["first page"], ["second page"]])
    loop = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [2 0 R] /Count 1 >> endobj\n"
            b"trailer << /Root 1 0 R >>\n%%EOF\n")
    nested = b"%PDF-1.4\n1 0 obj " + b"[" * 100000 + b" endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    bad_xref = good.replace(b"startxref\n", b"startxref\n99999999")
    huge_len = good.replace(b"/Length ", b"/Length 9999999", 1)
    return {"truncated": good[: len(good) // 2], "page-tree loop": loop,
            "deep nesting": nested, "xref out of range": bad_xref, "wrong stream length": huge_len}


@pytest.mark.parametrize("name", sorted(_hostile_pdfs()))
def test_hostile_pdfs_never_break_the_server(env, name):
    data = _hostile_pdfs()[name]
    r = upload(env.srv, env.node, [part(data, "hostile.pdf", "application/pdf")])
    assert r.status == 201, r
    status = r.json["uploaded"][0]["extractionStatus"]
    row = rows(env.db)[0]
    assert row["extraction_status"] == status in ("completed", "failed")
    assert (row["extracted_text"] is None) == (status == "failed")
    assert (env.store / row["s3_key"]).read_bytes() == data
    assert env.srv.request("GET", "/api/health").status == 200
