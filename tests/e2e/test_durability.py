"""tests/e2e/test_durability.py: issue 8's durability and lock findings on the real server.

- kill -9 under write load, several rounds: every acknowledged write is there after restart;
- a simulated power cut with the default settings (synchronous=FULL): the database lives on an
  ext4 file system in a loop-mounted image; while writers run the server is frozen (SIGSTOP)
  and the image file, which holds only what the file system has sent to its "disk", is copied
  without any sync; the copy is recovered and must hold every acknowledged write (needs root
  and a loop device, else skipped); once more with WAL checkpoints every 20 pages, so that the
  checkpointer thread copies and the WAL restarts many times under the writers;
- a database locked by another program: the writes that need it get a 503 JSON naming the
  lock after the busy timeout, while /api/health and reads answer at once; afterwards writes
  work again.
"""
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import DEFAULT_USER
from support.api import post
from support.documents import eventually, files_under, make_node, part, rows, upload

pytestmark = pytest.mark.sqlite_only("SQLite's own durability: its WAL, syncer, file locks, -shm "
                                     "and file modes (PostgreSQL's: test_pg_instances.py)")


def fill_disk(mnt):
    """Fill the file system at mnt to its last byte with one file; that file's path."""
    filler = mnt / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while os.write(fd, b"\1" * size) > 0:
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)
    return filler


def writer_loop(port, session, stop, acked, prefix, pad=0, odd=None, write=True, timeout=2):
    """POST chat messages (write=False: GET the list) on one keep-alive connection until stop;
    record the ids of the 201s in acked. pad: that many more characters per message (3000: a WAL
    page and more each). odd (a list): every other answer as (status, body), every failure as
    ("refused" | "timeout" | "dropped", text)."""
    c = None
    i = 0
    while not stop.is_set():
        i += 1
        body = json.dumps({"userId": DEFAULT_USER, "role": "user",
                           "content": f"{prefix}-{i}" + (" " + "x" * pad if pad else "")})
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            if write:
                c.request("POST", f"/api/chat/sessions/{session}/messages", body=body,
                          headers={"Content-Type": "application/json"})
            else:
                c.request("GET", f"/api/chat/sessions/{session}/messages")
            r = c.getresponse()
            data = r.read()
            if r.status == (201 if write else 200):
                if write:
                    acked.append(json.loads(data)["id"])
            elif odd is not None:
                odd.append((r.status, data.decode(errors="replace")))
        except (OSError, http.client.HTTPException) as e:
            if odd is not None:     # the old image's connections end at its exec
                odd.append(("refused" if isinstance(e, ConnectionRefusedError) else
                            "timeout" if isinstance(e, TimeoutError) else "dropped", repr(e)))
            if c is not None:
                c.close()
            c = None
            if stop.is_set():
                break
            time.sleep(0.01)
    if c is not None:
        c.close()


def new_session(srv):
    branch = post(srv, "/api/branches", {"title": "b", "userId": DEFAULT_USER})
    return post(srv, "/api/chat/sessions", {"userId": DEFAULT_USER, "branchId": branch["id"]})["id"]


def ids_in(db):
    with sqlite3.connect(db) as c:
        return {r[0] for r in c.execute("SELECT id FROM chat_messages")}


def run_writers(port, session, n, until):
    stop = threading.Event()
    acked = []
    threads = [threading.Thread(target=writer_loop, args=(port, session, stop, acked, f"w{k}"),
                                daemon=True) for k in range(n)]
    for t in threads:
        t.start()
    try:
        until(acked)
    except BaseException:
        stop.set()
        raise
    return stop, threads, acked


@contextlib.contextmanager
def running(clients, stop):
    """Start the client threads; on leaving (a failure too), tell them to stop and join them."""
    for t in clients:
        t.start()
    try:
        yield
    finally:
        stop.set()
        for t in clients:
            t.join()


def wait_for(acked, n):
    deadline = time.monotonic() + 60
    while len(acked) < n and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(acked) >= n, f"only {len(acked)} writes acknowledged"


# ---------- kill -9 ----------

def test_kill9_under_write_load_keeps_every_acknowledged_write(start_server, tmp_path):
    db = tmp_path / "sprout.db"
    acked_all = []
    for rnd in range(4):
        srv = start_server(db=db)
        session = new_session(srv)
        stop, threads, acked = run_writers(srv.port, session, 8, lambda a: wait_for(a, 300 + 100 * rnd))
        srv.proc.kill()                     # SIGKILL while the writers are still sending
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        srv.stopped_output = srv.output()   # nothing to stop any more
        acked_all += acked
        present = ids_in(db)
        lost = [i for i in acked_all if i not in present]
        assert lost == [], f"round {rnd}: {len(lost)} of {len(acked_all)} acknowledged writes lost"
    srv = start_server(db=db)               # and the database still serves
    assert srv.request("GET", "/api/health").status == 200


# ---------- power cut ----------

def loop_available():
    if os.geteuid() != 0 or not shutil.which("losetup") or not shutil.which("mkfs.ext4"):
        return False
    return subprocess.run(["losetup", "-f"], capture_output=True).returncode == 0


@pytest.fixture
def ext4_mount(tmp_path):
    if not loop_available():
        pytest.skip("needs root, losetup and mkfs.ext4 (a loop-mounted ext4 image)")
    img = tmp_path / "disk.img"
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["truncate", "-s", "96M", str(img)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(img)], check=True)
    r = subprocess.run(["mount", "-o", "loop", str(img), str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot loop-mount: " + r.stderr.strip())
    try:
        yield img, mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


def recover_copy(snapshot, work):
    """Mount a copy of the image (the journal replays as after a power cut) and take the
    database and its WAL out of it; SQLite recovers from the WAL on open."""
    mnt = work / "snapmnt"
    mnt.mkdir()
    subprocess.run(["e2fsck", "-p", str(snapshot)], capture_output=True)
    subprocess.run(["mount", "-o", "loop", str(snapshot), str(mnt)], check=True)
    try:
        out = work / "recovered"
        out.mkdir()
        for name in ("sprout.db", "sprout.db-wal"):
            if (mnt / name).exists():
                shutil.copy(mnt / name, out / name)
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    return out / "sprout.db"


def test_power_cut_keeps_every_acknowledged_write(ext4_mount, start_server, tmp_path):
    img, mnt = ext4_mount
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "..", "drizzle"), tmp_path / "drizzle")
    for rnd in range(3):
        srv = start_server(db=mnt / "sprout.db", cwd=tmp_path)
        session = new_session(srv)
        stop, threads, acked = run_writers(srv.port, session, 8, lambda a: wait_for(a, 400))
        srv.proc.send_signal(signal.SIGSTOP)     # the "power cut": no write after this point
        stop.set()
        for t in threads:
            t.join()                            # answers already sent are counted
        snap = tmp_path / f"snap{rnd}.img"
        shutil.copyfile(img, snap)              # what the disk holds; nothing was synced
        srv.proc.kill()
        srv.proc.send_signal(signal.SIGCONT)
        srv.proc.wait()
        srv.stopped_output = srv.output()
        work = tmp_path / f"round{rnd}"
        work.mkdir()
        present = ids_in(recover_copy(snap, work))
        lost = [i for i in acked if i not in present]
        assert lost == [], f"round {rnd}: {len(lost)} of {len(acked)} acknowledged writes lost"
        snap.unlink()


def test_power_cut_during_background_checkpoints_keeps_every_acknowledged_write(
        ext4_mount, start_server, tmp_path):
    """The checkpointer thread copies the WAL into the database file while the writer commits,
    and the WAL starts again from its beginning many times (a checkpoint per 20 new WAL pages,
    restarts from 100 on): the power cut still loses no acknowledged write."""
    img, mnt = ext4_mount
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "..", "drizzle"), tmp_path / "drizzle")
    for rnd in range(3):
        srv = start_server(db=mnt / "sprout.db", cwd=tmp_path,
                           env={"SPROUT_WAL_CHECKPOINT_FRAMES": "20"})
        session = new_session(srv)
        stop = threading.Event()
        acked = []
        threads = [threading.Thread(target=writer_loop,
                                    args=(srv.port, session, stop, acked, f"r{rnd}w{k}", 3000),
                                    daemon=True) for k in range(8)]
        for t in threads:
            t.start()
        try:
            wait_for(acked, 600)                 # 600+ pages of WAL: restarts happened
        finally:
            srv.proc.send_signal(signal.SIGSTOP)  # the "power cut"
            stop.set()
        for t in threads:
            t.join()
        wal_size = (mnt / "sprout.db-wal").stat().st_size
        snap = tmp_path / f"snap{rnd}.img"
        shutil.copyfile(img, snap)
        srv.proc.kill()
        srv.proc.send_signal(signal.SIGCONT)
        srv.proc.wait()
        srv.stopped_output = srv.output()
        # without restarts the WAL would hold every page written since the start (> 2.4 MB)
        assert wal_size < 300 * 4120, f"the WAL was not restarted ({wal_size} bytes)"
        work = tmp_path / f"round{rnd}"
        work.mkdir()
        present = ids_in(recover_copy(snap, work))
        lost = [i for i in acked if i not in present]
        assert lost == [], f"round {rnd}: {len(lost)} of {len(acked)} acknowledged writes lost"
        snap.unlink()


# ---------- an external lock ----------

def assert_refused_locked(results, n, tmp_path):
    """n replies, each a 503 that names the lock and no path of the server's."""
    assert len(results) == n
    for r in results:
        assert r.status == 503, r
        assert "locked" in r.json["error"]
        assert str(tmp_path) not in r.json["error"]


def test_external_lock_gives_503_to_writes_only(start_server, tmp_path):
    srv = start_server(env={"SPROUT_BUSY_TIMEOUT_MS": "3000"})
    session = new_session(srv)
    lock = sqlite3.connect(tmp_path / "sprout.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    results = []

    def write(k):
        r = srv.request("POST", f"/api/chat/sessions/{session}/messages",
                        json={"userId": DEFAULT_USER, "role": "user", "content": f"locked {k}"}, timeout=30)
        results.append(r)

    writers = [threading.Thread(target=write, args=(k,)) for k in range(6)]
    for t in writers:
        t.start()
    # more writes waiting than there are worker threads: reads and health still answer,
    # before any of the writes has finished
    for _ in range(5):
        assert srv.request("GET", "/api/health", timeout=2).status == 200
        assert srv.request("GET", f"/api/chat/sessions/{session}/messages", timeout=2).status == 200
    assert results == [], "a write finished while the database was locked"
    for t in writers:
        t.join()
    lock.execute("ROLLBACK")
    lock.close()
    assert_refused_locked(results, 6, tmp_path)
    # the lock is gone: writes work again, nothing of the refused ones was kept
    post(srv, f"/api/chat/sessions/{session}/messages", {"userId": DEFAULT_USER, "role": "user", "content": "after"})
    msgs = srv.request("GET", f"/api/chat/sessions/{session}/messages").json
    assert [m["content"] for m in msgs] == ["after"]


def test_external_lock_holds_no_worker_thread_for_uploads_and_deletes(start_server, tmp_path):
    staging = tmp_path / "staging"
    staging.mkdir()
    srv = start_server(env={"SPROUT_BUSY_TIMEOUT_MS": "1500", "SPROUT_THREADS": "2",
                            "TMPDIR": str(staging)})
    _, node = make_node(srv)
    r = upload(srv, node, [part("kept", "kept.txt")])
    assert r.status == 201, r
    kept = r.json["uploaded"][0]
    stored = files_under(tmp_path / "uploads")
    assert len(stored) == 1
    lock = sqlite3.connect(tmp_path / "sprout.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    results = []

    def call(k):
        if k == "delete":
            results.append(srv.request("DELETE", f"/api/nodes/{node}/documents/{kept['id']}",
                                       timeout=60))
        else:
            results.append(upload(srv, node, [part(f"locked {k}", f"l{k}.txt")]))

    calls = [threading.Thread(target=call, args=(k,)) for k in [0, 1, 2, "delete"]]
    for t in calls:
        t.start()
    # the three uploads have their bodies in (staged), so they wait for the lock now
    assert eventually(lambda: len(files_under(staging)) == 3)
    # they wait one after another (1.5 s each), so at least one is still waiting below
    for _ in range(3):
        assert srv.request("GET", "/api/health", timeout=2).status == 200
        listed = srv.request("GET", f"/api/nodes/{node}/documents", timeout=2)
        assert [d["id"] for d in listed.json] == [kept["id"]]
    assert len(results) < 4, "every upload and delete finished while the database was locked"
    for t in calls:
        t.join()
    assert [d["id"] for d in srv.request("GET", f"/api/nodes/{node}/documents").json] == [kept["id"]]
    lock.execute("ROLLBACK")
    lock.close()
    assert_refused_locked(results, 4, tmp_path)
    # nothing of the refused uploads is kept: no row, no stored file, no staged file
    assert [d["id"] for d in rows(tmp_path / "sprout.db")] == [kept["id"]]
    assert eventually(lambda: files_under(staging) == [])
    assert eventually(lambda: len(files_under(tmp_path / "uploads")) <= 1)
    # the lock is gone: the delete goes through (its file went before the row's write failed)
    assert srv.request("DELETE", f"/api/nodes/{node}/documents/{kept['id']}").status == 204
    assert rows(tmp_path / "sprout.db") == [] and files_under(tmp_path / "uploads") == []
    assert upload(srv, node, [part("after", "after.txt")]).status == 201


def test_upload_on_a_full_disk_is_507_and_recovers(ext4_mount, start_server, tmp_path):
    """The document store's folder on a full file system: 507 naming the cause, nothing kept;
    once space is freed, uploads work again without a restart."""
    _, mnt = ext4_mount
    store = mnt / "uploads"
    srv = start_server(env={"STORAGE_DIR": str(store)})
    _, node = make_node(srv)
    assert upload(srv, node, [part("fits", "fits.txt")]).status == 201
    filler = fill_disk(mnt)
    r = upload(srv, node, [part("x" * (2 << 20), "big.txt")])
    assert r.status == 507, r
    assert r.json["error"] == "the disk is full: free some space and try again"
    assert len(rows(tmp_path / "sprout.db")) == 1 and len(files_under(store)) == 1
    filler.unlink()
    r = upload(srv, node, [part("x" * (2 << 20), "big.txt")])
    assert r.status == 201, r
    assert len(rows(tmp_path / "sprout.db")) == 2 and len(files_under(store)) == 2


def test_invalid_create_is_answered_without_the_writer(start_server, tmp_path):
    """A create route's body is validated on the HTTP worker thread before the hand-off to the
    writer: while the database is locked from outside (the writer waits on it), an invalid body
    still gets its 400 at once, and a valid one waits and gets the lock's 503."""
    srv = start_server(env={"SPROUT_BUSY_TIMEOUT_MS": "3000"})
    session = new_session(srv)
    lock = sqlite3.connect(tmp_path / "sprout.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        valid = []
        t = threading.Thread(target=lambda: valid.append(srv.request(
            "POST", f"/api/chat/sessions/{session}/messages",
            json={"userId": DEFAULT_USER, "role": "user", "content": "waits"}, timeout=30)))
        t.start()
        time.sleep(0.3)                       # the writer is now waiting on the lock
        started = time.monotonic()
        r = srv.request("POST", f"/api/chat/sessions/{session}/messages",
                        json={"userId": DEFAULT_USER, "role": "user"}, timeout=30)
        assert r.status == 400, r
        assert r.json == {"error": "userId, role, and content are required"}
        r = srv.request("POST", "/api/assessments/x/answers", body=b"{not json",
                        headers={"Content-Type": "application/json"}, timeout=30)
        assert r.status == 400, r
        assert time.monotonic() - started < 2, "the invalid bodies waited for the writer"
        assert valid == []
        t.join()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert valid[0].status == 503, valid[0]


# ---------- file faults (finding 5) ----------

def test_connection_opened_read_only_recovers_without_restart(ext4_mount, start_server, tmp_path):
    if not shutil.which("chattr"):
        pytest.skip("needs chattr")
    img, mnt = ext4_mount
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "..", "drizzle"), tmp_path / "drizzle")
    srv = start_server(db=mnt / "sprout.db", cwd=tmp_path)
    db = mnt / "sprout.db"
    subprocess.run(["chattr", "+i", str(db)], check=True)   # not writable, even for root
    try:
        r = srv.request("POST", "/api/branches", json={"title": "t", "userId": DEFAULT_USER})
        assert r.status == 503, r
        assert "cannot be read or written" in r.json["error"] and str(mnt) not in r.json["error"]
        assert srv.request("GET", "/api/health").status == 200
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=True)
    deadline = time.monotonic() + 15
    while True:
        r = srv.request("POST", "/api/branches", json={"title": "t", "userId": DEFAULT_USER})
        if r.status == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status == 201, f"still failing after the fault was gone: {r}"


def test_wal_that_cannot_be_checkpointed_is_reported_and_bounded(start_server, tmp_path):
    srv = start_server(env={"SPROUT_WAL_MAX_MB": "1"})
    session = new_session(srv)
    reader = sqlite3.connect(tmp_path / "sprout.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM chat_messages").fetchone()   # holds its snapshot
    text = "x" * 2000
    statuses = []
    for i in range(2000):
        r = srv.request("POST", f"/api/chat/sessions/{session}/messages",
                        json={"userId": DEFAULT_USER, "role": "user", "content": f"{i} {text}"})
        statuses.append(r.status)
        if r.status != 201:
            break
    assert statuses[-1] == 503, "the WAL grew without bound"
    health = srv.request("GET", "/api/health")
    assert health.status == 200
    assert health.json["status"] == "degraded"
    assert "cannot be checkpointed" in health.json["checks"]["wal"]
    wal = tmp_path / "sprout.db-wal"
    assert wal.stat().st_size < 4 * 1024 * 1024
    assert "cannot be checkpointed" in srv.output()
    reader.execute("COMMIT")
    reader.close()
    # the reader is gone: the next write checkpoints and goes through, health is ok again
    post(srv, f"/api/chat/sessions/{session}/messages", {"userId": DEFAULT_USER, "role": "user", "content": "ok"})
    assert srv.request("GET", "/api/health").json["status"] == "ok"


# ---------- -shm faults (finding 5) ----------

def test_shm_truncated_under_exclusive_lock_mode_is_harmless(start_server, tmp_path):
    """SPROUT_DB_LOCK=exclusive: SQLite keeps the WAL index in the server's memory, so a -shm
    file truncated under the running server (with the default shared mode the server dies of
    SIGBUS) changes nothing; other programs cannot open the database meanwhile."""
    srv = start_server(env={"SPROUT_DB_LOCK": "exclusive"})
    session = new_session(srv)
    shm = tmp_path / "sprout.db-shm"
    maps = open(f"/proc/{srv.proc.pid}/maps").read()
    assert "sprout.db-shm" not in maps, "the -shm file is mapped"
    shm.write_bytes(b"x" * 65536)      # whatever another program leaves there ...
    os.truncate(shm, 0)                # ... and cuts short
    for k in range(20):
        post(srv, f"/api/chat/sessions/{session}/messages",
             {"userId": DEFAULT_USER, "role": "user", "content": f"m{k}"})
    assert srv.proc.poll() is None
    assert srv.request("GET", "/api/health").json["status"] == "ok"
    msgs = srv.request("GET", f"/api/chat/sessions/{session}/messages").json
    assert len(msgs) == 20
    other = sqlite3.connect(tmp_path / "sprout.db", timeout=0.2)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other.execute("SELECT count(*) FROM chat_messages").fetchone()
    other.close()
    srv.stop()
    assert ids_in(tmp_path / "sprout.db") == {m["id"] for m in msgs}


def test_db_lock_setting_is_checked(tmp_path):
    from conftest import BIN
    env = dict(os.environ, SPROUT_DB_LOCK="sometimes", DB_PATH=str(tmp_path / "x.db"))
    r = subprocess.run([str(BIN), "db", "migrate"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode != 0
    assert "SPROUT_DB_LOCK must be 'shared' (the default) or 'exclusive'" in r.stderr


# ---------- -shm and -wal that cannot be written, a full disk (finding 5) ----------
# The claims of docs/SERVER.md "-shm faults": none of these raises a signal; writes that cannot
# be saved get a JSON error, reads go on, and the server recovers once the fault is gone. A
# file's mode or owner means nothing to root, so as root the server runs as nobody (setpriv)
# in a directory nobody owns.

NOBODY = 65534


@pytest.fixture
def unprivileged(start_server):
    """start(env=None) -> a server that file permissions apply to, on DIR/sprout.db; also
    .dir, .root (running as root: the server is nobody) and .give(path) (hand a file to the
    server's user)."""
    import tempfile
    from pathlib import Path
    from conftest import BIN
    root = os.geteuid() == 0
    d = Path(tempfile.mkdtemp(prefix="sprout-perm-", dir="/tmp"))
    os.chmod(d, 0o755)
    binary = None
    if root:
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv to run the server as an unprivileged user")
        os.chown(d, NOBODY, NOBODY)
        binary = d / "as-nobody.sh"
        binary.write_text(f'#!/bin/sh\nexec setpriv --reuid={NOBODY} --regid={NOBODY} '
                          f'--clear-groups "{BIN}" "$@"\n')
        binary.chmod(0o755)
        probe = subprocess.run([str(binary), "--version"], capture_output=True)
        if probe.returncode != 0:
            shutil.rmtree(d)
            pytest.skip("nobody cannot run the server binary here")

    class Env:
        pass

    env = Env()
    env.dir = d
    env.root = root
    env.db = d / "sprout.db"
    env.give = lambda p: os.chown(p, NOBODY, NOBODY) if root else None
    started = []

    def start(extra=None):
        srv = start_server(db=env.db, cwd=d, binary=binary, env=extra)
        started.append(srv)
        return srv

    env.start = start
    yield env
    for srv in started:      # before the directory (and the servers' logs) goes
        srv.stop()
    shutil.rmtree(d, ignore_errors=True)


def spoil(path, how):
    """Make path unwritable for the server: mode 0400, or owned by root (0644)."""
    if how == "mode-0400":
        os.chmod(path, 0o400)
    else:
        os.chown(path, 0, 0)
        os.chmod(path, 0o644)


def mend(env, path):
    env.give(path)
    os.chmod(path, 0o600)


def message(srv, session, text):
    return srv.request("POST", f"/api/chat/sessions/{session}/messages",
                       json={"userId": DEFAULT_USER, "role": "user", "content": text})


def crash_with_wal(env):
    """A server that wrote and was killed (-9): its -wal and -shm stay beside the database."""
    srv = env.start()
    session = new_session(srv)
    acked = [message(srv, session, f"before {k}").json["id"] for k in range(5)]
    srv.proc.kill()
    srv.proc.wait()
    srv.stopped_output = srv.output()
    assert os.path.exists(f"{env.db}-wal") and os.path.exists(f"{env.db}-shm")
    return session, acked


@pytest.mark.parametrize("suffix", ["-shm", "-wal"])
@pytest.mark.parametrize("how", ["mode-0400", "other-owner"])
def test_unwritable_shm_or_wal_at_start_is_named_then_fixed(unprivileged, suffix, how):
    env = unprivileged
    if how == "other-owner" and not env.root:
        pytest.skip("needs root to give the file to another user")
    session, acked = crash_with_wal(env)
    side = f"{env.db}{suffix}"
    spoil(side, how)
    # SQLite would open it read-only and keep it so while the process has the database open:
    # the server refuses to start and names the file (it used to say "seeding the default
    # user failed (is the schema there? run `sprout db migrate`)")
    with pytest.raises(RuntimeError) as e:
        env.start()
    out = str(e.value)
    assert f"sprout.db{suffix}" in out and "cannot be written by this process" in out, out
    assert "Sanitizer" not in out and "SIGBUS" not in out
    mend(env, side)
    srv = env.start()
    r = message(srv, session, "after")
    assert r.status == 201, r
    got = {m["id"] for m in srv.request("GET", f"/api/chat/sessions/{session}/messages").json}
    assert set(acked) <= got, "acknowledged writes of the crashed server are missing"


@pytest.mark.parametrize("how", ["mode-0400", "other-owner"])
def test_shm_and_wal_made_unwritable_while_running_change_nothing(unprivileged, how):
    env = unprivileged
    if how == "other-owner" and not env.root:
        pytest.skip("needs root to give the file to another user")
    srv = env.start()
    session = new_session(srv)
    assert message(srv, session, "warm").status == 201     # the writer has its files open
    assert f"sprout.db-shm" in open(f"/proc/{srv.proc.pid}/maps").read()
    for suffix in ("-shm", "-wal"):
        spoil(f"{env.db}{suffix}", how)
    # the open descriptors and the mapping keep working: writes and reads go on, no signal
    for k in range(20):
        r = message(srv, session, f"m{k}")
        assert r.status == 201, r
        assert srv.request("GET", f"/api/chat/sessions/{session}/messages").status == 200
    assert srv.proc.poll() is None
    for suffix in ("-shm", "-wal"):
        mend(env, f"{env.db}{suffix}")
    srv.stop()
    with sqlite3.connect(env.db) as c:
        assert c.execute("SELECT count(*) FROM chat_messages").fetchone()[0] == 21


def test_wal_unwritable_before_the_writer_opened_it_gives_503_then_recovers(unprivileged):
    env = unprivileged
    srv = env.start()            # the start-up's connection had the files open read-write ...
    wal = f"{env.db}-wal"
    os.chmod(wal, 0o400)         # ... but the writer thread opens its own on its first batch
    branch = {"title": "b", "userId": DEFAULT_USER}
    try:
        r = srv.request("POST", "/api/branches", json=branch)
        # SQLite opened that connection's WAL read-only: the write is refused, in JSON
        assert r.status == 503, r
        assert "cannot be read or written" in r.json["error"] and str(env.dir) not in r.json["error"]
        assert srv.request("GET", f"/api/branches?userId={DEFAULT_USER}").status == 200
    finally:
        mend(env, wal)
    # the connection is reopened once the WAL is writable (it used to stay read-only: every
    # write 503 until a restart)
    deadline = time.monotonic() + 15
    while True:
        r = srv.request("POST", "/api/branches", json=branch)
        if r.status == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status == 201, f"still refused after the WAL was writable again: {r}"
    assert srv.proc.poll() is None


def test_wal_the_syncer_cannot_open_still_gets_synced(unprivileged):
    # The syncer fsyncs the WAL through its own descriptor, opened on its first sync. A WAL made
    # root-owned 0400 after the writer's connection opened it (read-write) but before that first
    # sync could not be opened by path: the batch was committed, yet answered 503 "not saved".
    # Now the syncer falls back to a duplicate of SQLite's own descriptor of the file.
    env = unprivileged
    if not env.root:
        pytest.skip("needs root to give the WAL to root with mode 0400")
    srv = env.start()
    # a write that fails inside the writer: its connection (and WAL) is open, nothing was synced
    r = srv.request("PATCH", "/api/branches/00000000-0000-4000-8000-0000000000ff", json={"title": "x"})
    assert r.status == 404, r
    fds = f"/proc/{srv.proc.pid}/fd"
    wals = [n for n in os.listdir(fds) if os.readlink(f"{fds}/{n}") == f"{env.db}-wal"]
    assert len(wals) == 2   # the start-up connection's and the writer's; none for the syncer yet
    wal = f"{env.db}-wal"
    os.chown(wal, 0, 0)
    os.chmod(wal, 0o400)
    try:
        for k in range(3):
            r = srv.request("POST", "/api/branches", json={"title": f"b{k}", "userId": DEFAULT_USER})
            assert r.status == 201, r
        assert "cannot sync the WAL" not in srv.output()
    finally:
        mend(env, wal)
    srv.stop()
    with sqlite3.connect(env.db) as c:
        assert c.execute("SELECT count(*) FROM branches WHERE title LIKE 'b_'").fetchone()[0] == 3


def test_full_disk_under_the_running_server_gives_507_then_recovers(ext4_mount, start_server, tmp_path):
    img, mnt = ext4_mount
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "..", "drizzle"), tmp_path / "drizzle")
    srv = start_server(db=mnt / "sprout.db", cwd=tmp_path)
    session = new_session(srv)
    assert message(srv, session, "warm").status == 201
    assert "sprout.db-shm" in open(f"/proc/{srv.proc.pid}/maps").read()   # mapped (shared mode)
    filler = fill_disk(mnt)
    text = "x" * 3000
    statuses = []
    for k in range(200):
        r = message(srv, session, f"{k} {text}")
        statuses.append(r.status)
        if r.status != 201:
            break
    assert statuses[-1] == 507, f"the WAL grew on a full disk: {statuses[-5:]}"
    assert r.json["error"] == "the disk is full: free some space and try again"
    assert srv.request("GET", f"/api/chat/sessions/{session}/messages").status == 200
    assert srv.request("GET", "/api/health").status == 200
    assert srv.proc.poll() is None, "the server died on a full disk"
    filler.unlink()
    deadline = time.monotonic() + 15
    while True:
        r = message(srv, session, "after")
        if r.status == 201 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status == 201, f"still failing after space was freed: {r}"


def test_shm_that_must_be_created_on_a_full_disk_is_refused_then_starts(ext4_mount, start_server, tmp_path):
    """The -shm is created (and every page written) before SQLite maps it: on a full disk that
    fails with an error naming the cause (it used to say only "disk I/O error"), not a signal."""
    img, mnt = ext4_mount
    db = mnt / "sprout.db"
    srv = start_server(db=db, cwd=tmp_path)
    session = new_session(srv)
    acked = [message(srv, session, f"m{k}").json["id"] for k in range(5)]
    srv.proc.kill()                       # a crash leaves the -wal (and the -shm) behind
    srv.proc.wait()
    srv.stopped_output = srv.output()
    os.unlink(f"{db}-shm")                # no process has it open: SQLite rebuilds it
    filler = fill_disk(mnt)
    with pytest.raises(RuntimeError) as e:
        start_server(db=db, cwd=tmp_path)
    out = str(e.value)
    assert "No space left on device" in out, out
    assert "Sanitizer" not in out and "SIGBUS" not in out
    filler.unlink()
    srv = start_server(db=db, cwd=tmp_path)
    got = {m["id"] for m in srv.request("GET", f"/api/chat/sessions/{session}/messages").json}
    assert set(acked) <= got
    assert message(srv, session, "after").status == 201


# ---------- a -shm truncated under the running server (shared lock mode, finding 5) ----------
# SQLite maps the -shm; a page of it cut off raises SIGBUS on the next access. The guard
# (src/db/shm_guard.c) parks the thread that touched it, requests get 503 (or lose their
# connection), and the server re-executes itself: same PID, same port (the listening socket is
# handed across), a fresh start that rebuilds the WAL index from the WAL.

SHM_503 = "-shm file was truncated by another program"


def restarted(srv, n):
    """The server's log says it restarted n times (n: a number, or a function giving it) and it
    answers health "ok" again."""
    def ready():
        if f"(restart {n() if callable(n) else n} of this process" not in srv.output():
            return False
        try:
            r = srv.request("GET", "/api/health", timeout=5)
        except OSError:
            return False
        return r.status == 200 and r.json["status"] == "ok"
    return eventually(ready, 30)


def assert_only_503_or_dropped(odd):
    for what, text in odd:
        if what == 503:
            assert SHM_503 in json.loads(text)["error"], text
        else:
            assert what == "dropped", (what, text)      # never a 500, a refusal or a hang


def test_shm_truncated_under_writes_restarts_in_place_and_keeps_every_write(unprivileged):
    env = unprivileged
    srv = env.start()
    pid, port = srv.proc.pid, srv.port
    session = new_session(srv)
    shm = f"{env.db}-shm"
    assert "sprout.db-shm" in open(f"/proc/{pid}/maps").read()      # shared mode: mapped
    stop = threading.Event()
    acked, odd = [], []
    clients = [threading.Thread(target=writer_loop, daemon=True,
                                args=(port, session, stop, acked, f"w{k}"),
                                kwargs={"odd": odd, "timeout": 10})
               for k in range(4)]
    clients.append(threading.Thread(target=writer_loop, daemon=True,
                                    args=(port, session, stop, [], "r"),
                                    kwargs={"odd": odd, "write": False, "timeout": 10}))
    with running(clients, stop):
        wait_for(acked, 100)
        subprocess.run(["truncate", "-s", "0", shm], check=True)     # under the writers
        assert restarted(srv, 1), srv.output()[-3000:]
        wait_for(acked, len(acked) + 100)                           # writes go on
        subprocess.run(["sh", "-c", f': > "{shm}"'], check=True)     # and once more, later
        assert restarted(srv, 2), srv.output()[-3000:]
        wait_for(acked, len(acked) + 100)
    # the same process all along, on the same port, never a signal
    assert srv.proc.poll() is None and srv.proc.pid == pid
    assert srv.request("GET", "/api/health").json["status"] == "ok"
    assert_only_503_or_dropped(odd)
    out = srv.output()
    assert out.count(f"Sprout backend running on http://localhost:{port}") == 3
    assert out.count("Migrations: ") == 3 and out.count("Swept ") == 3   # a fresh start each time
    assert "the thread that touched it stops here" in out
    out = srv.stop()                                     # SIGTERM: exit 0, no sanitizer report
    assert "Sprout backend stopped." in out
    present = ids_in(env.db)
    lost = [i for i in acked if i not in present]
    assert lost == [], f"{len(lost)} of {len(acked)} acknowledged writes lost"
    with sqlite3.connect(env.db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def message_list(srv, session):
    """GET the session's messages: the reply, or None when the connection ended without one."""
    try:
        return srv.request("GET", f"/api/chat/sessions/{session}/messages", timeout=10)
    except (ConnectionResetError, http.client.RemoteDisconnected):
        return None


def test_shm_truncated_under_reads_gives_503_or_a_dropped_connection_then_answers(unprivileged):
    env = unprivileged
    srv = env.start({"SPROUT_THREADS": "4"})    # one may be parked, the others answer
    session = new_session(srv)
    acked = [message(srv, session, f"m{k}").json["id"] for k in range(5)]
    os.truncate(f"{env.db}-shm", 0)
    # the first request that touches the database after the cut: 503 naming the cause, or its
    # connection ends with the exec; then the same port answers again
    r = message_list(srv, session)
    if r is not None and r.status != 200:
        assert r.status == 503 and SHM_503 in r.json["error"], r
    assert restarted(srv, 1), srv.output()[-3000:]
    got = srv.request("GET", f"/api/chat/sessions/{session}/messages").json
    assert [m["id"] for m in got] == acked
    assert message(srv, session, "after").status == 201
    # cut again at once: this restart waits until 3 s after the first; meanwhile the request
    # whose thread touched the -shm waits for the exec (its connection then ends), and the
    # other threads answer reads 503 and health names the cause
    os.truncate(f"{env.db}-shm", 0)
    first = threading.Thread(target=message_list, args=(srv, session), daemon=True)
    first.start()
    assert eventually(lambda: "restarting the server (same process and port)" in
                      srv.output().split("(restart 1 of this process")[1], 10), srv.output()[-3000:]
    waits = re.findall(r"restarting the server \(same process and port\) in (\d+) ms", srv.output())
    if waits and int(waits[-1]) >= 1000:     # time enough to look (else it restarted at once)
        r = srv.request("GET", f"/api/chat/sessions/{session}/messages")
        assert r.status == 503 and SHM_503 in r.json["error"], r
        h = srv.request("GET", "/api/health")
        assert h.status == 200 and h.json["status"] == "degraded", h
        assert SHM_503 in h.json["checks"]["shm"], h
    first.join()
    assert restarted(srv, 2), srv.output()[-3000:]
    assert message(srv, session, "after 2").status == 201
    srv.stop()


def test_shm_truncated_under_an_idle_server_then_stopped_exits_cleanly(unprivileged):
    """Nothing touched the -shm since the cut, so the fault comes at the stop (the last close
    checkpoints): the stop ends at once with 0, and nothing acknowledged is lost."""
    env = unprivileged
    srv = env.start()
    session = new_session(srv)
    acked = [message(srv, session, f"m{k}").json["id"] for k in range(5)]
    os.truncate(f"{env.db}-shm", 0)
    out = srv.stop()
    assert "SIGBUS: the database's -shm file was truncated" in out, out[-2000:]
    assert set(acked) <= ids_in(env.db)
    srv = env.start()                       # and the next start rebuilds the index
    assert message(srv, session, "after").status == 201


def test_shm_truncated_in_a_loop_restarts_at_most_once_per_3_s(unprivileged):
    """Another program cutting the -shm again and again (also while a new image starts and its
    main thread migrates, seeds and sweeps): no exec loop, no exit, and nothing lost. Each fault
    (one "SIGBUS:" line) makes one exec; the exec after a fault waits until 3 s after the one
    before, so k faults need at least 3 (k - 2) s. Clients wait in the listening socket's
    backlog meanwhile (a new image that faults while starting answers nothing)."""
    env = unprivileged
    srv = env.start()
    pid = srv.proc.pid
    session = new_session(srv)
    shm = f"{env.db}-shm"
    stop = threading.Event()
    acked, odd = [], []
    clients = [threading.Thread(target=writer_loop, daemon=True,
                                args=(srv.port, session, stop, acked, f"w{k}"),
                                kwargs={"odd": odd, "timeout": 30})
               for k in range(2)]

    def faults():
        return srv.output().count("SIGBUS: ")

    with running(clients, stop):
        wait_for(acked, 50)
        first = time.monotonic()
        while faults() < 3:
            assert time.monotonic() < first + 60, srv.output()[-3000:]
            assert srv.proc.poll() is None, srv.output()[-3000:]
            if os.path.exists(shm):
                os.truncate(shm, 0)
            time.sleep(0.02)
        elapsed = time.monotonic() - first
        assert faults() <= 2 + elapsed / 3, (faults(), elapsed)    # rate-limited, never a loop
        assert restarted(srv, faults), srv.output()[-3000:]
        wait_for(acked, len(acked) + 50)
    assert srv.proc.poll() is None and srv.proc.pid == pid
    assert_only_503_or_dropped(odd)
    srv.stop()
    assert set(acked) <= ids_in(env.db)
    with sqlite3.connect(env.db) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
