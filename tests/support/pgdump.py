"""tests/support/pgdump.py: a PostgreSQL database described in the text format of
tests/data/drizzle-kit-pg/applied/stepNN.sql (schemas, enums, sequences, every table's columns,
constraints and indexes from the catalogs, and the rows of drizzle.__drizzle_migrations with
created_at written as a reference to the journal entry), so that a database migrated by
`sprout db migrate` can be compared line by line with what drizzle-orm's migrator left.
Everything is read through psql (tests/support/pgserver.py).
"""


def _rows(srv, url, sql):
    out = srv.psql(url, sql)
    return [line.split("\x1f") for line in out.splitlines() if line != ""]


def _q(srv, url, sql):
    # unit separator between fields: no catalog text contains it
    return _rows(srv, url, sql.replace("|| '|' ||", "|| chr(31) ||"))


def dump(srv, url, journal_entries, k):
    tags = ",".join("%04d" % i for i in range(k))
    lines = ["-- state after applying %s (one migrator run per step, PostgreSQL 15)" % tags,
             "-- newest migration: %04d_<tag>" % (k - 1),
             "-- schemas (pg_namespace, system schemas left out):"]
    for (n,) in sorted(_q(srv, url, "select nspname from pg_namespace where nspname not like 'pg\\_%' "
                                    "and nspname <> 'information_schema'")):
        lines.append("--   " + n)
    lines.append("-- enums (pg_enum, labels in enumsortorder):")
    for name, labels in sorted(_q(srv, url,
            "select n.nspname || '.' || t.typname || '|' || string_agg(quote_literal(e.enumlabel), ', ' "
            "order by e.enumsortorder) from pg_type t join pg_enum e on e.enumtypid = t.oid "
            "join pg_namespace n on n.oid = t.typnamespace group by n.nspname, t.typname")):
        lines.append("--   %s: %s" % (name, labels))
    lines.append("-- sequences (pg_sequences; owned by = pg_depend: a = serial, i = identity):")
    for r in sorted(_q(srv, url,
            "select s.schemaname || '.' || s.sequencename || '|' || s.data_type::text || '|' || s.start_value "
            "|| '|' || s.min_value || '|' || s.max_value || '|' || s.increment_by || '|' || s.cache_size || '|' "
            "|| coalesce((select tn.nspname || '.' || tc.relname || '.' || a.attname || ' (' || d.deptype::text || ')' "
            "from pg_class c join pg_namespace cn on cn.oid = c.relnamespace "
            "join pg_depend d on d.objid = c.oid and d.classid = 'pg_class'::regclass "
            "and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i') "
            "join pg_class tc on tc.oid = d.refobjid join pg_namespace tn on tn.oid = tc.relnamespace "
            "join pg_attribute a on a.attrelid = tc.oid and a.attnum = d.refobjsubid "
            "where c.relname = s.sequencename and cn.nspname = s.schemaname), '') from pg_sequences s")):
        name, typ, start, mn, mx, inc, cache, owner = r
        line = "--   %s: %s start %s min %s max %s increment %s cache %s" % (name, typ, start, mn, mx, inc, cache)
        if owner:
            line += "; owned by " + owner
        lines.append(line)
    for schema, table, ttype in sorted(_q(srv, url,
            "select table_schema || '|' || table_name || '|' || table_type from information_schema.tables "
            "where table_schema not in ('pg_catalog', 'information_schema')")):
        lines.append("-- table %s.%s (%s)" % (schema, table, ttype))
        lines.append("--   columns (information_schema.columns by ordinal_position; gaps are dropped columns):")
        cols = _q(srv, url,
            "select ordinal_position || '|' || column_name || '|' || data_type || '|' || udt_schema || '|' || "
            "udt_name || '|' || coalesce(character_maximum_length::text, '') || '|' || "
            "coalesce(numeric_precision::text, '') || '|' || coalesce(numeric_scale::text, '') || '|' || "
            "coalesce(datetime_precision::text, '') || '|' || is_nullable || '|' || "
            "coalesce(column_default, '') || '|' || is_identity || '|' || coalesce(identity_generation, '') || '|' || "
            "coalesce(identity_start, '') || '|' || coalesce(identity_increment, '') || '|' || "
            "coalesce(identity_minimum, '') || '|' || coalesce(identity_maximum, '') || '|' || "
            "coalesce(identity_cycle, '') from information_schema.columns where table_schema = '%s' and "
            "table_name = '%s' order by ordinal_position" % (schema, table))
        for (pos, name, dtype, uschema, uname, length, prec, scale, dprec, nullable, default, is_id, gen,
             istart, iinc, imin, imax, icycle) in cols:
            s = "--     %s %s | %s" % (pos, name, dtype)
            if dtype == "USER-DEFINED":
                s += " | udt %s.%s" % (uschema, uname)
            if length:
                s += " | length " + length
            if prec:
                s += " | precision " + prec + ("," + scale if scale else "")
            if dprec:
                s += " | datetime precision " + dprec
            s += " | not null" if nullable == "NO" else " | nullable"
            if default:
                s += " | default " + default
            if is_id == "YES":
                s += " | identity %s start %s increment %s min %s max %s cycle %s" % (gen, istart, iinc, imin,
                                                                                     imax, icycle)
            lines.append(s)
        lines.append("--   constraints (pg_constraint by name: type | definition):")
        for name, ctype, cdef in sorted(_q(srv, url,
                "select conname || '|' || contype::text || '|' || pg_get_constraintdef(oid) from pg_constraint "
                "where conrelid = '\"%s\".\"%s\"'::regclass" % (schema, table))):
            lines.append("--     %s | %s | %s" % (name, ctype, cdef))
        lines.append("--   indexes (pg_indexes by name):")
        for _, idef in sorted(_q(srv, url, "select indexname || '|' || indexdef from pg_indexes where "
                                          "schemaname = '%s' and tablename = '%s'" % (schema, table))):
            lines.append(idef + ";")
    lines.append("-- drizzle.__drizzle_migrations rows by id (id | hash | created_at):")
    whens = {str(e["when"]): i for i, e in enumerate(journal_entries)}
    for rid, h, created, typ in _q(srv, url,
            "select id || '|' || hash || '|' || coalesce(created_at::text, 'NULL') || '|' || "
            "pg_typeof(created_at)::text from drizzle.__drizzle_migrations order by id"):
        ref = "<journal entries[%d].when>" % whens[created] if created in whens else created
        lines.append("--   %s | %s | %s (%s)" % (rid, h, ref, typ))
    return "\n".join(lines) + "\n"
