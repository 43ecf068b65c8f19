"""tests/support/pgserver.py: a throw-away PostgreSQL server for the tests.

Debian's `postgresql` package (scripts/install-deps.sh) provides initdb / pg_ctl under
/usr/lib/postgresql/<version>/bin. The server gets a temporary data directory, listens on
127.0.0.1 on a free port only (no Unix socket outside the data directory), trusts local
connections of the role `sprout`, and is stopped (fast shutdown) and deleted at the end.
PostgreSQL refuses to run as root, and CI runs as root: then the data directory is handed to
the unprivileged `postgres` account (created by the Debian package) or `nobody`, and the
server programs run as that user through runuser/setpriv.

    srv = PgServer.start()
    url = srv.create_database()   # postgres://sprout@127.0.0.1:PORT/t_1a2b...
    srv.psql(url, "select 1")     # -> stdout text
    tpl = srv.template("migrated", prepare)   # made once: an empty database, then prepare(url)
    url2 = srv.create_database(template=tpl)  # a copy of it
    srv.drop_later(url)           # dropped in the background once a later database is made
    srv.stop()

Cost (measured on PostgreSQL 15 here): CREATE DATABASE with the default WAL_LOG strategy copies
template1 (~7.5 MB) through the WAL, about 0.5 s; STRATEGY FILE_COPY copies the files, about
0.2 s, and writes no WAL (fsync is off, so its checkpoints are cheap). A copy of a migrated
template saves each test the migrations as well. DROP DATABASE forces a checkpoint (~0.25 s), so
finished tests' databases are dropped by a background thread, never while one of the test's own
servers could still be connected to them (only databases of earlier tests are dropped).
"""
import glob
import os
import pwd
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid

from conftest import free_port


def _bin(name):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/%s" % name),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return found[-1]
    p = shutil.which(name)
    if p:
        return p
    raise RuntimeError("%s not found: install PostgreSQL (scripts/install-deps.sh installs postgresql)" % name)


def _unprivileged_user():
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    raise RuntimeError("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL")


class PgServer:
    def __init__(self, base, port, user):
        self.base = base
        self.data = os.path.join(base, "data")
        self.port = port
        self.user = user  # pwd entry when running as another user, else None
        self.role = "sprout"
        self.templates = {}      # label -> database name
        self.finished = []       # databases of finished tests, dropped once a later one is made
        self.drops = None        # the background dropper's queue (started on first use)

    def _run(self, argv, **kw):
        if self.user is not None:
            argv = ["setpriv", "--reuid", str(self.user.pw_uid), "--regid", str(self.user.pw_gid),
                    "--clear-groups", "--"] + argv
        return subprocess.run(argv, capture_output=True, text=True, **kw)

    @classmethod
    def start(cls, base=None):
        base = base or tempfile.mkdtemp(prefix="sprout-pg-")
        user = _unprivileged_user() if os.geteuid() == 0 else None
        if user is not None:
            os.chmod(base, 0o755)
            os.chown(base, user.pw_uid, user.pw_gid)
        srv = cls(base, free_port(), user)
        p = srv._run([_bin("initdb"), "-D", srv.data, "-U", srv.role, "--auth=trust", "-E", "UTF8",
                      "--locale=C", "--no-sync"], cwd=base)
        if p.returncode != 0:
            raise RuntimeError("initdb failed: " + p.stdout + p.stderr)
        opts = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=100" % (srv.port, srv.data))
        p = srv._run([_bin("pg_ctl"), "-D", srv.data, "-o", opts, "-l", os.path.join(base, "log"),
                      "-w", "-t", "60", "start"], cwd=base)
        if p.returncode != 0:
            log = open(os.path.join(base, "log")).read() if os.path.exists(os.path.join(base, "log")) else ""
            raise RuntimeError("pg_ctl start failed: " + p.stdout + p.stderr + log)
        return srv

    def stop(self):
        if self.drops is not None:
            self.drops.put(None)
        self._run([_bin("pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"], cwd=self.base)
        shutil.rmtree(self.base, ignore_errors=True)

    def url(self, db="postgres"):
        return "postgres://%s@127.0.0.1:%d/%s" % (self.role, self.port, db)

    def psql(self, url, sql, check=True):
        p = subprocess.run([_bin("psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                           capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, p.stderr))
        return p.stdout

    def create_database(self, template=None):
        """A new database (empty, or a copy of `template`, a name from template()); its URL."""
        self._drop_finished()
        name = "t_" + uuid.uuid4().hex[:12]
        tpl = ' TEMPLATE "%s"' % template if template else ""
        self.psql(self.url(), 'CREATE DATABASE "%s"%s STRATEGY FILE_COPY' % (name, tpl))
        return self.url(name)

    def template(self, label, prepare):
        """The name of a template database made once per server: a new database, then
        prepare(url) (which must leave no connection open to it)."""
        if label not in self.templates:
            url = self.create_database()
            prepare(url)
            self.templates[label] = url.rsplit("/", 1)[1]
        return self.templates[label]

    def drop_later(self, url):
        """Drop this database once a later one is made (its test has finished by then)."""
        self.finished.append(url.rsplit("/", 1)[1])

    def _drop_finished(self):
        if not self.finished:
            return
        if self.drops is None:
            self.drops = queue.Queue()
            threading.Thread(target=self._dropper, daemon=True).start()
        for name in self.finished:
            self.drops.put(name)
        self.finished = []

    def _dropper(self):
        while True:
            name = self.drops.get()
            if name is None:
                return
            self.psql(self.url(), 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name, check=False)


def backends(url, apps):
    """(pid, wait_event_type) of the other backends on url's database whose application_name is
    one of apps (sprout's pool: 'sprout'; its group-commit writer: 'sprout writer')."""
    import psycopg2
    con = psycopg2.connect(url)
    try:
        con.autocommit = True
        cur = con.cursor()
        cur.execute("SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = "
                    "current_database() AND application_name = ANY(%s) AND pid <> pg_backend_pid()",
                    (list(apps),))
        return cur.fetchall()
    finally:
        con.close()
