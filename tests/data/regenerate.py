#!/usr/bin/env python3
"""tests/data/regenerate.py [--set sqlite|pg|pg-more|sprout-pg|all] [--write] [--keep DIR]: rebuild the
expected/ folders of tests/data/drizzle-kit (SQLite) and drizzle-kit-pg (PostgreSQL) with the real
drizzle-kit (tests/node_modules, see regenerate.sh) and compare them with the committed ones; and
(sprout-pg) drizzle-kit's migrations of Sprout's schema in pg-core (sprout-pg/schema-NNNN.ts, the
schema.ts each older migration was made from, then drizzle-pg/schema.ts) with
tests/data/sprout-pg/drizzle-kit.

For step 1..6 in turn, drizzle-kit-schema.js (drizzle-kit-pg-schema.js) turns cases/stepNN.json
into a drizzle-orm schema and `drizzle-kit generate` runs on the folder the previous steps
produced, under a pseudo-terminal, its rename questions answered from answers.json. The result is
compared with expected/ after the normalisation of drizzle-kit/README.md (tag words, snapshot ids
and journal `when` are run-dependent). Exit 0 when every set matches. --write replaces expected/
with the new output (new tag words, ids and times); --keep DIR keeps the generated folders.
"""
import argparse
import json
import os
import pty
import re
import select
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SETS = {  # name: (conformance folder, schema builder, drizzle-kit dialect)
    "sqlite": (HERE / "drizzle-kit", HERE / "drizzle-kit-schema.js", "sqlite"),
    "pg": (HERE / "drizzle-kit-pg", HERE / "drizzle-kit-pg-schema.js", "postgresql"),
    "pg-more": (HERE / "drizzle-kit-pg-more", HERE / "drizzle-kit-pg-schema.js", "postgresql"),
}
DRIZZLE_KIT = HERE.parent / "node_modules" / ".bin" / "drizzle-kit"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r")
QUESTION = re.compile(r"Is (\S+) (column in (\S+) table|(table|enum|schema|sequence|view|role|policy)) "
                      r"created or renamed from another (column|table|enum|schema|sequence|view|role|policy)\?")
DOWN, ENTER = "\x1b[B", "\r"
STEP_TIMEOUT = 180


def answer_index(screen, question_end, want):
    """Index of the wanted option among the option lines printed after the question."""
    options = [l for l in screen[question_end:].split("\n")
               if re.search(r"(create|rename) \w+\s*$", l.strip())]
    for i, line in enumerate(options):
        body = line.replace("\u276f", " ").strip()
        if want == "create" and body.startswith("+"):
            return i, len(options)
        if want.startswith("rename:") and body.startswith("~") and \
                re.match(r"~\s*(public\.)?%s\s+\u203a" % re.escape(want[7:]), body):
            return i, len(options)
    return None, len(options)


def generate(kit_set, step, out, answers, log):
    conf, schema, dialect = SETS[kit_set]
    env = dict(os.environ, SPROUT_CASE=str(conf / "cases" / ("step%02d.json" % step)),
               FORCE_COLOR="0", TERM="xterm", COLUMNS="200")
    # drizzle-kit wants --out relative to its working directory (it prefixes "./")
    argv = [str(DRIZZLE_KIT), "generate", "--dialect", dialect, "--schema", str(schema), "--out", out.name]
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(out.parent)
        os.execve(argv[0], argv, env)
    text, answered, deadline = "", set(), time.time() + STEP_TIMEOUT
    last_data = time.time()
    while True:
        if time.time() > deadline:
            os.kill(pid, 9)
            raise SystemExit("drizzle-kit (step %d) did not finish:\n%s" % (step, ANSI.sub("", text)[-3000:]))
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if not data:
                break
            text += data.decode("utf-8", "replace")
            last_data = time.time()
            continue
        if time.time() - last_data < 0.4:  # wait until the prompt is fully drawn
            continue
        screen = ANSI.sub("", text)
        pending = [m for m in QUESTION.finditer(screen)
                   if (m.group(1), m.group(3)) not in answered]
        if not pending:
            continue
        m = pending[-1]
        name, table = m.group(1), m.group(3)
        key = "column:%s.%s" % (table, name) if table else "%s:%s" % (m.group(4), name)
        want = answers.get(key)
        if want is None:
            os.kill(pid, 9)
            raise SystemExit("step %d: drizzle-kit asks about %s and answers.json has no answer" % (step, key))
        idx, n = answer_index(screen, m.end(), want)
        if idx is None:
            os.kill(pid, 9)
            raise SystemExit("step %d: no option %r for %s in:\n%s" % (step, want, key, screen[m.start():]))
        log.write("step %d: %s -> %s (option %d of %d)\n" % (step, key, want, idx + 1, n))
        os.write(fd, (DOWN * idx + ENTER).encode())
        answered.add((name, table))
    _, status = os.waitpid(pid, 0)
    # drizzle-kit can report an error and still exit 0
    if os.waitstatus_to_exitcode(status) != 0 or "Your SQL migration file" not in ANSI.sub("", text):
        raise SystemExit("drizzle-kit (step %d) failed:\n%s" % (step, ANSI.sub("", text)[-3000:]))
    log.write(ANSI.sub("", text))


def normalised(folder):
    """{relative path: text} with the run-dependent parts replaced (drizzle-kit/README.md)."""
    out = {}
    journal = json.loads((folder / "meta" / "_journal.json").read_text())
    for e in journal["entries"]:
        e["when"] = 0
        e["tag"] = e["tag"][:4] + "_TAG"
    out["meta/_journal.json"] = json.dumps(journal, indent=2)
    ids = {"00000000-0000-0000-0000-000000000000": "00000000-0000-0000-0000-000000000000"}
    snaps = sorted((folder / "meta").glob("*_snapshot.json"))
    for p in snaps:
        ids[json.loads(p.read_text())["id"]] = "SNAPSHOT-ID-" + p.name[:4]
    for p in snaps:
        t = p.read_text()
        for old, new in ids.items():
            t = t.replace('"%s"' % old, '"%s"' % new)
        out["meta/" + p.name] = t
    for p in sorted(folder.glob("*.sql")):
        out[p.name[:4] + "_TAG.sql"] = p.read_text()
    return out


def regenerate(kit_set, work, write, log):
    """Generate every step of one set into work/<set>/out; True when it matches expected/."""
    conf = SETS[kit_set][0]
    answers_all = json.loads((conf / "answers.json").read_text())
    out = work / kit_set / "out"
    out.parent.mkdir(parents=True)
    steps = sorted(int(p.stem[4:]) for p in (conf / "cases").glob("step*.json"))
    for step in steps:
        generate(kit_set, step, out, answers_all.get("step%02d" % step, {}), log)
        print("%s step %02d: %s" % (kit_set, step, sorted(p.name for p in out.glob("*.sql"))[-1]))
    got, want = normalised(out), normalised(conf / "expected")
    for name in sorted(set(got) | set(want)):
        if got.get(name) != want.get(name):
            print("%s differs: %s%s" % (kit_set, name, "" if name in got and name in want else
                                        " (only in %s)" % ("the new output" if name in got else "expected/")))
    same = got == want
    print("%s: drizzle-kit's output %s %s/expected/ (after normalisation)" %
          (kit_set, "matches" if same else "DIFFERS FROM", conf.name))
    if write:
        shutil.rmtree(conf / "expected")
        shutil.copytree(out, conf / "expected")
        print("wrote", conf / "expected")
    return same


def regenerate_sprout_pg(work, write, log):
    """drizzle-kit generate into an empty folder, once per schema.ts of a shipped migration:
    sprout-pg/schema-NNNN.ts (the schema.ts migration NNNN was made from, kept as it was) in
    order, then drizzle-pg/schema.ts (the newest); compare with sprout-pg/drizzle-kit. And the
    newest schema.ts alone into an empty folder: sprout-pg/drizzle-kit-fresh."""
    want_dir = HERE / "sprout-pg" / "drizzle-kit"
    out = work / "sprout-pg" / "out"
    out.parent.mkdir(parents=True)
    sources = sorted((HERE / "sprout-pg").glob("schema-*.ts")) + [HERE.parent.parent / "drizzle-pg" / "schema.ts"]
    # beside tests/node_modules, so that the schema's imports resolve
    schema = HERE.parent / ".sprout-pg-schema.ts"
    try:
        SETS["sprout-pg"] = (HERE / "sprout-pg", schema, "postgresql")
        for step, src in enumerate(sources, 1):
            shutil.copy(src, schema)
            generate("sprout-pg", step, out, {}, log)
            print("sprout-pg step %02d (%s): %s" % (step, src.name, sorted(p.name for p in out.glob("*.sql"))[-1]))
        # and the newest schema.ts alone into an empty folder
        fresh = work / "sprout-pg" / "fresh"
        generate("sprout-pg", len(sources), fresh, {}, log)
    finally:
        schema.unlink(missing_ok=True)
    same = True
    for got_dir, want_dir in ((out, want_dir), (fresh, HERE / "sprout-pg" / "drizzle-kit-fresh")):
        got, want = normalised(got_dir), normalised(want_dir)
        for name in sorted(set(got) | set(want)):
            if got.get(name) != want.get(name):
                print("sprout-pg differs:", want_dir.name, name)
        print("sprout-pg: drizzle-kit's output %s sprout-pg/%s/" %
              ("matches" if got == want else "DIFFERS FROM", want_dir.name))
        same = same and got == want
        if write:
            shutil.rmtree(want_dir)
            shutil.copytree(got_dir, want_dir)
            print("wrote", want_dir)
    return same


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--set", choices=["sqlite", "pg", "pg-more", "sprout-pg", "all"], default="all")
    ap.add_argument("--write", action="store_true", help="replace expected/ with the new output")
    ap.add_argument("--keep", help="keep the generated folders and drizzle-kit's output here")
    a = ap.parse_args()
    if not DRIZZLE_KIT.exists():
        raise SystemExit("drizzle-kit not found in tests/node_modules: run tests/data/regenerate.sh")
    work = Path(tempfile.mkdtemp(prefix="sprout-drizzle-kit-"))
    try:
        ok = True
        with open(work / "drizzle-kit.log", "w") as log:
            for kit_set in (["sqlite", "pg", "pg-more", "sprout-pg"] if a.set == "all" else [a.set]):
                if kit_set == "sprout-pg":
                    ok = regenerate_sprout_pg(work, a.write, log) and ok
                else:
                    ok = regenerate(kit_set, work, a.write, log) and ok
        if a.keep:
            shutil.copytree(work, a.keep, dirs_exist_ok=True)
        return 0 if ok or a.write else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
