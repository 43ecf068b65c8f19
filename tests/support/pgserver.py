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
    srv.stop()
"""
import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
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

    def create_database(self):
        name = "t_" + uuid.uuid4().hex[:12]
        self.psql(self.url(), 'CREATE DATABASE "%s"' % name)
        return self.url(name)

