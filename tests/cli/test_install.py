"""tests/cli/test_install.py: `make install` with DESTDIR/PREFIX puts the release binary and the man
page sprout(1) in place; the installed binary, started from `/` on an empty state directory (as
contrib/sprout.service runs it), creates and migrates its database from the migrations built
into it, serves /api/health, keeps uploads under the state directory and stops on SIGTERM (on
SQLite and, with DATABASE_URL, on PostgreSQL).
Also: --version, --help and the man page come from the same tables; the example unit has the
usual hardening and passes `systemd-analyze verify` where systemd is installed."""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import BIN, ROOT, Server
from support.documents import make_node, part, upload

pytestmark = pytest.mark.one_engine("installation; the installed binary's start runs on both engines")

UNIT = ROOT / "contrib" / "sprout.service"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    dest = tmp_path_factory.mktemp("destdir")
    p = subprocess.run(["make", "-s", "install", f"DESTDIR={dest}", "PREFIX=/usr/local"], cwd=ROOT,
                       capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout + p.stderr
    return dest


def run(binary, *args, **kw):
    return subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL, **kw)


def test_install_puts_binary_and_man_page_under_destdir_prefix(installed):
    binary = installed / "usr/local/bin/sprout"
    man = installed / "usr/local/share/man/man1/sprout.1"
    assert binary.is_file() and os.access(binary, os.X_OK)
    assert oct(binary.stat().st_mode & 0o777) == "0o755"
    assert man.is_file() and oct(man.stat().st_mode & 0o777) == "0o644"
    assert {p.relative_to(installed).as_posix() for p in installed.rglob("*") if p.is_file()} == {
        "usr/local/bin/sprout", "usr/local/share/man/man1/sprout.1"}


def test_version_help_and_man_page_agree(installed):
    binary = installed / "usr/local/bin/sprout"
    v = run(binary, "--version")
    assert v.returncode == 0
    m = re.fullmatch(r"sprout (\d+\.\d+\.\d+)( \(git [0-9a-f]+(-dirty)?\))?\n", v.stdout)
    assert m, v.stdout
    assert m.group(1) == (ROOT / "VERSION").read_text().strip()
    h = run(binary, "--help")
    assert h.returncode == 0 and h.stdout.startswith("sprout " + v.stdout.split(" ", 1)[1].strip())
    man = (installed / "usr/local/share/man/man1/sprout.1").read_text()
    assert man.startswith(".TH SPROUT 1 ")
    assert v.stdout.split(" ", 1)[1].strip() in man
    # every command and global option of --help is in the man page (roff writes '-' as '\-')
    commands = re.findall(r"^  ((?:db )?[a-z]+) ", h.stdout.split("Global options")[0], re.M)
    assert "serve" in commands and "db migrate" in commands and len(commands) >= 12
    for c in commands:
        assert f"\\fB{c}\\fR" in man, c
    for opt in re.findall(r"^  (--[a-z]+)", h.stdout, re.M):
        assert "\\fB" + opt.replace("-", "\\-") in man, opt
    if shutil.which("groff"):
        g = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=man, capture_output=True,
                           text=True, timeout=60)
        assert g.returncode == 0 and g.stderr == "", g.stderr
    # the sanitizer build says the same release (its commit may differ if it is older)
    assert run(BIN, "--version").stdout.startswith("sprout %s" % m.group(1))


@pytest.mark.both_engines
def test_installed_binary_serves_from_root_on_an_empty_state_directory(installed, tmp_path, cli_db):
    """On SQLite the database is a file in the state directory; on PostgreSQL (DATABASE_URL) the
    state directory holds only the uploads."""
    binary = installed / "usr/local/bin/sprout"
    state = tmp_path / "state"
    state.mkdir()
    assert not Path("/drizzle").exists() and not Path("/drizzle-pg").exists()  # the built-in set is used
    strays = [Path("/", n) for n in ("sprout.db", "uploads", "drizzle", "drizzle-pg", ".env")
              if not Path("/", n).exists()]
    env = {"DB_PATH": str(state / "sprout.db"), "STORAGE_DIR": str(state / "uploads")}
    if cli_db.pg:
        env["DATABASE_URL"] = cli_db.url
    srv = Server(state / "sprout.db", "/", env=env, args=("--quiet",), binary=binary, log_dir=tmp_path)
    try:
        assert srv.request("GET", "/api/health").status == 200
        _, node = make_node(srv, "Installed")
        up = upload(srv, node, [part("hello from the state directory")])
        assert up.status == 201, up
    finally:
        out = srv.stop()
    assert "Migrations: the migrations built into sprout " in out
    assert re.search(r"Applied \d+ migrations?\.", out) and "Default user seeded." in out
    assert "Sprout backend stopped." in out
    assert srv.sql("SELECT count(*) AS n FROM nodes") == [{"n": 1}]
    uploads = [p for p in (state / "uploads").rglob("*") if p.is_file()]
    assert any(p.read_bytes() == b"hello from the state directory" for p in uploads), uploads
    assert not [p for p in strays if p.exists()]  # nothing written in the working directory /
    # started again: nothing pending, nothing backed up
    srv = Server(state / "sprout.db", "/", env=env, args=("--quiet",), binary=binary, log_dir=tmp_path)
    out = srv.stop()
    assert "Applied" not in out and "Backed up" not in out
    assert sorted(p.name for p in state.iterdir()) == (["uploads"] if cli_db.pg else ["sprout.db", "uploads"])


def test_example_unit_runs_serve_hardened_with_state_under_the_state_directory():
    text = UNIT.read_text()
    keys = {}
    for line in text.splitlines():
        if line and not line.startswith(("#", "[")) and "=" in line:
            k, v = line.split("=", 1)
            keys.setdefault(k, []).append(v)
    assert keys["ExecStart"] == ["/usr/local/bin/sprout serve --quiet"]
    assert keys["DynamicUser"] == ["yes"] and keys["StateDirectory"] == ["sprout"]
    assert keys["ProtectSystem"] == ["strict"] and keys["NoNewPrivileges"] == ["yes"]
    for k in ("ProtectHome", "PrivateTmp", "PrivateDevices", "RestrictAddressFamilies", "SystemCallFilter",
              "CapabilityBoundingSet"):
        assert k in keys, k
    env = dict(v.split("=", 1) for v in keys["Environment"])
    assert env["DB_PATH"].startswith("/var/lib/sprout/") and env["STORAGE_DIR"].startswith("/var/lib/sprout/")
    assert keys["WorkingDirectory"] == ["/var/lib/sprout"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_example_unit_passes_systemd_analyze_verify(installed, tmp_path):
    unit = tmp_path / "sprout.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/sprout", str(installed / "usr/local/bin/sprout")))
    env = dict(os.environ, MANPATH=str(installed / "usr/local/share/man"))  # Documentation=man:sprout(1)
    p = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=120,
                       env=env, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "sprout.service" not in p.stderr, p.stderr
