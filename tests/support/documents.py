"""tests/support/documents.py: shared helpers for the document tests (tests/e2e/test_documents*.py):
multipart bodies built byte by byte (so tests can also send malformed ones), a branch + root
node to upload to, database (either engine) and folder inspection, and a bounded wait for clean-up that the
server finishes just after it answers."""
import sqlite3
import time
from pathlib import Path

from support.api import insertion_order

USER = "00000000-0000-0000-0000-000000000000"
BOUNDARY = "----sproutTestBoundary7MA4YWxkTrZu0gW"
LIMIT = 10 * 1024 * 1024  # a file must be smaller than this


def part(data, filename="notes.txt", ctype="text/plain", name="files"):
    return {"name": name, "filename": filename, "ctype": ctype, "data": data}


def multipart(parts, boundary=BOUNDARY, close=True):
    b = boundary.encode()
    out = bytearray()
    for p in parts:
        out += b"--" + b + b"\r\n"
        name = p["name"].encode() if isinstance(p["name"], str) else p["name"]
        disp = b'Content-Disposition: form-data; name="' + name + b'"'
        if p.get("filename") is not None:
            fn = p["filename"]
            fn = fn.encode("utf-8") if isinstance(fn, str) else fn
            disp += b'; filename="' + fn + b'"'
        out += disp + b"\r\n"
        if p.get("ctype"):
            out += b"Content-Type: " + p["ctype"].encode() + b"\r\n"
        data = p["data"].encode("utf-8") if isinstance(p["data"], str) else p["data"]
        out += b"\r\n" + data + b"\r\n"
    if close:
        out += b"--" + b + b"--\r\n"
    return bytes(out)


def upload(srv, node_id, parts, boundary=BOUNDARY, content_type=None):
    body = multipart(parts, boundary)
    ct = content_type or f"multipart/form-data; boundary={boundary}"
    return srv.request("POST", f"/api/nodes/{node_id}/documents", body=body,
                       headers={"Content-Type": ct})


def make_node(srv, title="Linear Algebra"):
    r = srv.request("POST", "/api/branches", json={"title": title, "userId": USER})
    assert r.status == 201, r
    branch = r.json["id"]
    r = srv.request("POST", "/api/nodes", json={"userId": USER, "type": "root", "branchId": branch,
                                                "parentId": None, "title": title})
    assert r.status == 201, r
    return branch, r.json["id"]


def rows(db, node_id=None):
    """topic_documents rows (as dicts) in insertion order, from a conftest Server on either
    engine (PostgreSQL: ctid order, which is insertion order while rows are never updated, as
    these are not) or a SQLite file path."""
    if hasattr(db, "sql"):
        order = insertion_order(db)
        if node_id:
            return db.sql(f"SELECT * FROM topic_documents WHERE node_id = ? ORDER BY {order}",
                          node_id)
        return db.sql(f"SELECT * FROM topic_documents ORDER BY {order}")
    con = sqlite3.connect(str(db))
    con.row_factory = sqlite3.Row
    try:
        if node_id:
            cur = con.execute("SELECT * FROM topic_documents WHERE node_id = ? ORDER BY rowid",
                              (node_id,))
        else:
            cur = con.execute("SELECT * FROM topic_documents ORDER BY rowid")
        return [dict(r) for r in cur.fetchall()]
    finally:
        con.close()


def files_under(folder):
    folder = Path(folder)
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def eventually(cond, seconds=10.0):
    """Wait (bounded) for clean-up the server does right after sending its answer."""
    deadline = time.time() + seconds
    while True:
        if cond():
            return True
        if time.time() > deadline:
            return False
        time.sleep(0.05)
