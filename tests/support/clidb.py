"""tests/support/clidb.py: "the database this test's commands use", on the test's engine, for the
CLI suites (tests/cli) that run on SQLite and PostgreSQL (conftest fixture `cli_db`).

A CliDb is a SQLite file in the test's folder (sprout.db, as start_server's) or a database on
the run's PostgreSQL server (the test's `pg_url`, as start_server's).
Everything that legitimately differs by dialect is answered here, in one place, so the tests
stay one text for both engines:

- how the commands are pointed at it: `.target` for `--db`, `.env` (DB_PATH or DATABASE_URL);
- the migrations folder of the dialect (`.folder`: drizzle / drizzle-pg, `.shipped`, `.dialect`),
  its journal (`.journal()`), the tracking table (`.tracking`), identifier quoting (`.q()`);
- reading it: `.rows()`, `.exec()`, `.script()`, `.tables()`, `.columns()`, `.indexes()`,
  `.tracking_rows()`, `.state()` (schema + tracking rows: what "unchanged" means), `.exists()`
  (has anything been written: the SQLite file, or any object in schemas public / drizzle);
- error texts of the engines (`.no_such_table()`), and the drivers' rules drizzle follows
  (`.rejects_empty_chunk`).

`.other(name)` gives a second database of the same engine (not created until a command does,
or `.other(name, create=True)` on PostgreSQL).
"""
import hashlib
import json
import shutil
import sqlite3
import uuid
from pathlib import Path

from conftest import ROOT, sql_exec, sql_rows


class CliDb:
    def __init__(self, engine, tmp_path, pg_server=None, name="sprout.db", create=True, url=None):
        self.engine = engine
        self.tmp_path = Path(tmp_path)
        self.pg_server = pg_server
        if engine == "postgres":
            if url:  # an existing database (the pg_url fixture's)
                self.dbname = url.rsplit("/", 1)[1]
            else:
                self.dbname = "t_" + uuid.uuid4().hex[:12]
                if create:
                    pg_server.psql(pg_server.url(), 'CREATE DATABASE "%s"' % self.dbname)
            self.url = url or pg_server.url(self.dbname)
            self.target = self.url
            self.env = {"DATABASE_URL": self.url}
            self.env_var = "DATABASE_URL"
            self.folder = "drizzle-pg"
            self.dialect = "postgresql"
            self.tracking = '"drizzle"."__drizzle_migrations"'
        else:
            self.path = self.tmp_path / name
            self.target = self.path
            self.env = {"DB_PATH": str(self.path)}
            self.env_var = "DB_PATH"
            self.folder = "drizzle"
            self.dialect = "sqlite"
            self.tracking = "__drizzle_migrations"
        self.shipped = ROOT / self.folder
        # A migration chunk holding only a comment: drizzle's SQLite migrator (better-sqlite3)
        # fails with "contains no statements"; its pg migrator (node-postgres) sends it and
        # PostgreSQL answers an empty query, so the migration applies. sprout follows each.
        self.rejects_empty_chunk = not self.pg

    @property
    def pg(self):
        return self.engine == "postgres"

    def other(self, name, create=False):
        """Another database of this engine (SQLite: tmp_path/name, not created)."""
        return CliDb(self.engine, self.tmp_path, self.pg_server, name=name, create=create)

    # ---- the dialect's folder ----

    def journal(self, folder=None):
        return json.loads((Path(folder or self.shipped) / "meta" / "_journal.json").read_text())["entries"]

    def tags(self, folder=None):
        return [e["tag"] for e in self.journal(folder)]

    def expected_rows(self, folder=None, upto=None):
        """(hash, created_at) the migrator records for the folder's first `upto` migrations."""
        folder = Path(folder or self.shipped)
        entries = self.journal(folder)[:upto]
        return [(hashlib.sha256((folder / (e["tag"] + ".sql")).read_bytes()).hexdigest(), e["when"])
                for e in entries]

    def latest_snapshot(self, folder_name=None):
        """How `db check` names the folder's newest snapshot: drizzle/meta/0003_snapshot.json."""
        idx = self.journal()[-1]["idx"]
        return "%s/meta/%04d_snapshot.json" % (folder_name or self.folder, idx)

    def project(self, cwd):
        """cwd with a copy of the dialect's shipped folder (./drizzle or ./drizzle-pg); cwd."""
        if not (Path(cwd) / self.folder).exists():
            shutil.copytree(self.shipped, Path(cwd) / self.folder)
        return Path(cwd)

    def truncated(self, dest, n, src=None):
        """dest: the shipped (or src) folder's first n migrations, down files and snapshots."""
        src = Path(src or self.shipped)
        (dest / "meta").mkdir(parents=True)
        j = json.loads((src / "meta" / "_journal.json").read_text())
        j["entries"] = j["entries"][:n]
        (dest / "meta" / "_journal.json").write_text(json.dumps(j, indent=2))
        for e in j["entries"]:
            for suffix in (".sql", ".down.sql"):
                if (src / (e["tag"] + suffix)).exists():
                    shutil.copy(src / (e["tag"] + suffix), dest)
            shutil.copy(src / "meta" / ("%04d_snapshot.json" % e["idx"]), dest / "meta")
        return dest

    def default_backup(self, cwd):
        """Where `db backup` without a PATH writes, minus the _YYYYMMDD_HHMMSS stamp: beside the
        SQLite file, or sprout-pg.dump in the working directory (a URL names no folder)."""
        return Path(cwd) / "sprout-pg.dump" if self.pg else self.path

    def q(self, name):
        """An identifier quoted as the dialect's generator writes it."""
        return '"%s"' % name if self.pg else "`%s`" % name

    def no_such_table(self, name):
        """The engine's words for a missing table, as they appear in sprout's error messages."""
        return '"%s" does not exist' % name if self.pg else "no such table: %s" % name

    # ---- reading and changing it ----

    def rows(self, query, *params):
        return sql_rows(self.url if self.pg else self.path, query, *params)

    def exec(self, query, *params):
        return sql_exec(self.url if self.pg else self.path, query, *params)

    def script(self, sql):
        """Several statements (a migration file applied by hand, without the tracking row)."""
        sql = sql.replace("--> statement-breakpoint", "")
        if self.pg:
            import psycopg2
            con = psycopg2.connect(self.url)
            try:
                con.cursor().execute(sql)
                con.commit()
            finally:
                con.close()
        else:
            con = sqlite3.connect(self.path)
            try:
                con.executescript(sql)
            finally:
                con.close()

    def exists(self):
        """Has anything been written: the SQLite file, or an object in schema public / drizzle."""
        if not self.pg:
            return self.path.exists()
        n = self.pg_server.psql(self.pg_server.url(), "select count(*) from pg_database where datname = '%s'"
                                % self.dbname).strip()
        if n == "0":
            return False
        return self.rows("SELECT count(*) AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace "
                         "WHERE s.nspname IN ('public', 'drizzle')")[0]["n"] > 0 or \
            self.rows("SELECT count(*) AS n FROM pg_namespace WHERE nspname = 'drizzle'")[0]["n"] > 0

    def tables(self):
        """The application's tables (the tracking table and SQLite's own left out)."""
        if self.pg:
            return {r["t"] for r in self.rows("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'")}
        return {r["t"] for r in self.rows("SELECT name AS t FROM sqlite_master WHERE type = 'table'")
                if r["t"] != "__drizzle_migrations" and not r["t"].startswith("sqlite_")}

    def has_tracking_table(self):
        if self.pg:
            return self.rows("SELECT to_regclass('drizzle.__drizzle_migrations') IS NOT NULL AS x")[0]["x"]
        return bool(self.rows("SELECT 1 FROM sqlite_master WHERE name = '__drizzle_migrations'"))

    def columns(self, table):
        if self.pg:
            return [r["c"] for r in self.rows("SELECT column_name AS c FROM information_schema.columns WHERE "
                                              "table_schema = 'public' AND table_name = ? ORDER BY ordinal_position",
                                              table)]
        return [r["name"] for r in self.rows("SELECT name FROM pragma_table_info(?)", table)]

    def indexes(self):
        """Names of the indexes made by CREATE INDEX (not those behind keys and constraints)."""
        if self.pg:
            return {r["i"] for r in self.rows(
                "SELECT i.relname AS i FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_namespace s ON s.oid = i.relnamespace WHERE s.nspname = 'public' AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)")}
        return {r["i"] for r in self.rows("SELECT name AS i FROM sqlite_master WHERE type = 'index' "
                                          "AND name NOT LIKE 'sqlite_autoindex_%'")}

    def tracking_rows(self):
        """(hash, created_at) of the tracking table in insertion order ([] when it is absent)."""
        if not self.has_tracking_table():
            return []
        order = "id" if self.pg else "rowid"
        return [(r["hash"], int(r["created_at"])) for r in
                self.rows("SELECT hash, created_at FROM %s ORDER BY %s" % (self.tracking, order))]

    def state(self):
        """The schema as the catalog holds it and the tracking rows: what 'unchanged' means."""
        if not self.pg:
            if not self.path.exists():
                return None
            con = sqlite3.connect(self.path)
            try:
                master = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
                try:
                    rows = con.execute("SELECT rowid, id, hash, created_at FROM __drizzle_migrations "
                                       "ORDER BY rowid").fetchall()
                except sqlite3.OperationalError:
                    rows = None
                return master, rows
            finally:
                con.close()
        schemas = "('public', 'drizzle')"
        cols = self.rows("SELECT table_schema, table_name, column_name, data_type, is_nullable, column_default "
                         "FROM information_schema.columns WHERE table_schema IN %s "
                         "ORDER BY table_schema, table_name, ordinal_position" % schemas)
        cons = self.rows("SELECT c.conname, pg_get_constraintdef(c.oid) AS def FROM pg_constraint c "
                         "JOIN pg_namespace s ON s.oid = c.connamespace WHERE s.nspname IN %s "
                         "ORDER BY c.conname" % schemas)
        idx = self.rows("SELECT schemaname, indexdef FROM pg_indexes WHERE schemaname IN %s ORDER BY indexname"
                        % schemas)
        nsp = self.rows("SELECT nspname FROM pg_namespace WHERE nspname IN %s ORDER BY 1" % schemas)
        track = self.rows("SELECT id, hash, created_at FROM drizzle.__drizzle_migrations ORDER BY id") \
            if self.has_tracking_table() else None
        return nsp, cols, cons, idx, track
