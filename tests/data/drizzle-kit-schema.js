// tests/data/drizzle-kit-schema.js: a drizzle-orm SQLite schema built from one conformance case
// file (cases/stepNN.json, named by $SPROUT_CASE), for the real drizzle-kit to generate from
// (tests/data/regenerate.py). Each table is exported under its exportName, in the case's order
// (drizzle-kit's order). Column defaults of kind "sql", index WHERE clauses and checks are given
// as raw SQL text, which drizzle-kit writes verbatim.
'use strict';
const fs = require('fs');
const { sql } = require('drizzle-orm');
const s = require('drizzle-orm/sqlite-core');

const spec = JSON.parse(fs.readFileSync(process.env.SPROUT_CASE, 'utf8'));
const tables = {};

function column(c) {
  const m = /^(\w+)(?:\((\d+)\))?$/.exec(c.type);
  if (!m) throw new Error(`unsupported column type ${c.type}`);
  const [, base, len] = m;
  let b;
  if (base === 'integer') b = s.integer(c.name, c.jsMode ? { mode: c.jsMode } : undefined);
  else if (base === 'text') {
    const o = {};
    if (len) o.length = Number(len);
    if (c.enumValues) o.enum = c.enumValues;
    if (c.jsMode) o.mode = c.jsMode;
    b = s.text(c.name, o);
  } else if (base === 'real') b = s.real(c.name);
  else if (base === 'numeric') b = s.numeric(c.name);
  else if (base === 'blob') b = s.blob(c.name, c.jsMode ? { mode: c.jsMode } : undefined);
  else throw new Error(`unsupported column type ${c.type}`);
  if (c.primaryKey) b = b.primaryKey(c.autoincrement ? { autoIncrement: true } : undefined);
  if (c.notNull) b = b.notNull();
  if (c.default) {
    if (c.default.kind === 'sql') b = b.default(sql.raw(c.default.sql));
    else if (c.jsMode === 'timestamp' || c.jsMode === 'timestamp_ms') b = b.default(new Date(c.default.value));
    else b = b.default(c.default.value);
  }
  if (c.unique) b = b.unique(c.unique);
  return b;
}

for (const t of spec.tables) {
  const cols = {};
  for (const c of t.columns) cols[c.name] = column(c);
  tables[t.name] = s.sqliteTable(t.name, cols, (tb) => {
    const extra = [];
    for (const i of t.indexes) {
      if (i.origin === 'column-unique') continue; // made by the column's .unique()
      const on = i.columns.map((x) => {
        if (!('column' in x)) throw new Error(`index ${i.name}: only column indexes are supported`);
        return tb[x.column];
      });
      let ix = (i.unique ? s.uniqueIndex(i.name) : s.index(i.name)).on(...on);
      if (i.where) ix = ix.where(sql.raw(i.where));
      extra.push(ix);
    }
    for (const f of t.foreignKeys) {
      let fk = s.foreignKey({
        name: f.name,
        columns: f.columns.map((n) => tb[n]),
        foreignColumns: f.refColumns.map((n) => (f.refTable === t.name ? tb : tables[f.refTable])[n]),
      });
      if (f.onDelete) fk = fk.onDelete(f.onDelete);
      if (f.onUpdate) fk = fk.onUpdate(f.onUpdate);
      extra.push(fk);
    }
    if (t.primaryKey) extra.push(s.primaryKey({ name: t.primaryKey.name, columns: t.primaryKey.columns.map((n) => tb[n]) }));
    for (const c of t.checks || []) extra.push(s.check(c.name, sql.raw(c.value)));
    return extra;
  });
  module.exports[t.exportName] = tables[t.name];
}
