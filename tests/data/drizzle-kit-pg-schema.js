// tests/data/drizzle-kit-pg-schema.js: a drizzle-orm PostgreSQL schema built from one conformance
// case file (drizzle-kit-pg/cases/stepNN.json, named by $SPROUT_CASE), for the real drizzle-kit to
// generate from (tests/data/regenerate.py). Schemas, enums and tables are exported under their
// exportName, all in sorted export-name order (the order drizzle-kit sees a TypeScript module's
// exports in). SQL defaults, index WHERE clauses and checks are raw SQL text, written verbatim.
'use strict';
const fs = require('fs');
const { sql } = require('drizzle-orm');
const p = require('drizzle-orm/pg-core');

const spec = JSON.parse(fs.readFileSync(process.env.SPROUT_CASE, 'utf8'));
const exported = [];
const schemas = {};
const enums = {}; // "schema.name" -> enum builder
const tables = {}; // "schema.name" -> table

const key = (schema, name) => `${schema || 'public'}.${name}`;

for (const s of spec.schemas || []) {
  schemas[s.name] = p.pgSchema(s.name);
  exported.push([s.exportName, schemas[s.name]]);
}
for (const e of spec.enums || []) {
  enums[key(e.schema, e.name)] = e.schema ? schemas[e.schema].enum(e.name, e.values) : p.pgEnum(e.name, e.values);
  exported.push([e.exportName, enums[key(e.schema, e.name)]]);
}

function params(type) {
  const m = /\(([^)]*)\)$/.exec(type);
  return m ? m[1].split(',').map((x) => Number(x.trim())) : [];
}

function column(c) {
  const n = c.name;
  const tz = / with time zone$/.test(c.type);
  const [a, b] = params(c.type);
  let col;
  switch (c.columnType) {
    case 'PgSerial': col = p.serial(n); break;
    case 'PgSmallSerial': col = p.smallserial(n); break;
    case 'PgBigSerial53': col = p.bigserial(n, { mode: 'number' }); break;
    case 'PgText': col = p.text(n); break;
    case 'PgInteger': col = p.integer(n); break;
    case 'PgSmallInt': col = p.smallint(n); break;
    case 'PgBigInt53': col = p.bigint(n, { mode: 'number' }); break;
    case 'PgBigInt64': col = p.bigint(n, { mode: 'bigint' }); break;
    case 'PgBoolean': col = p.boolean(n); break;
    case 'PgReal': col = p.real(n); break;
    case 'PgDoublePrecision': col = p.doublePrecision(n); break;
    case 'PgNumeric': col = p.numeric(n, a === undefined ? undefined : { precision: a, scale: b }); break;
    case 'PgVarchar': col = p.varchar(n, a === undefined ? undefined : { length: a }); break;
    case 'PgChar': col = p.char(n, a === undefined ? undefined : { length: a }); break;
    case 'PgUUID': col = p.uuid(n); break;
    case 'PgJsonb': col = p.jsonb(n); break;
    case 'PgJson': col = p.json(n); break;
    case 'PgDate': col = p.date(n, { mode: 'date' }); break;
    case 'PgDateString': col = p.date(n, { mode: 'string' }); break;
    case 'PgTimestamp': col = p.timestamp(n, { withTimezone: tz, mode: 'date' }); break;
    case 'PgTimestampString': col = p.timestamp(n, { withTimezone: tz, mode: 'string' }); break;
    case 'PgEnumColumn': col = enums[key(c.typeSchema, c.type)](n); break;
    default: throw new Error(`unsupported column ${c.name}: ${c.columnType}`);
  }
  if (c.identity) {
    const o = { ...c.identity.options };
    if (c.identity.sequenceName) o.name = c.identity.sequenceName;
    col = c.identity.type === 'always' ? col.generatedAlwaysAsIdentity(o) : col.generatedByDefaultAsIdentity(o);
  }
  if (c.primaryKey) col = col.primaryKey();
  if (c.notNull && !c.primaryKey && c.columnType !== 'PgSerial') col = col.notNull();
  if (c.default) col = col.default(c.default.kind === 'sql' ? sql.raw(c.default.sql) : c.default.value);
  if (c.unique) col = col.unique(c.unique, c.uniqueNullsNotDistinct ? { nulls: 'not distinct' } : undefined);
  return col;
}

for (const t of spec.tables) {
  const cols = {};
  for (const c of t.columns) cols[c.name] = column(c);
  const extra = (tb) => {
    const out = [];
    for (const i of t.indexes) {
      const on = i.columns.map((x) => {
        if (!('column' in x)) throw new Error(`index ${i.name}: only column indexes are supported`);
        let e = tb[x.column];
        if (x.asc === false || x.nulls === 'first') e = x.asc === false ? e.desc() : e.asc();
        if (x.nulls === 'first') e = e.nullsFirst();
        if (x.opclass) e = e.op(x.opclass);
        return e;
      });
      let ix = i.unique ? p.uniqueIndex(i.name) : p.index(i.name);
      if (i.concurrently) ix = ix.concurrently();
      ix = i.method && i.method !== 'btree' ? ix.using(i.method, ...on) : ix.on(...on);
      if (i.with && Object.keys(i.with).length) ix = ix.with(i.with);
      if (i.where) ix = ix.where(sql.raw(i.where));
      out.push(ix);
    }
    for (const f of t.foreignKeys) {
      const ref = f.refTable === t.name && (f.refSchema || null) === (t.schema || null) ? tb : tables[key(f.refSchema, f.refTable)];
      let fk = p.foreignKey({ name: f.name, columns: f.columns.map((n) => tb[n]), foreignColumns: f.refColumns.map((n) => ref[n]) });
      if (f.onDelete) fk = fk.onDelete(f.onDelete);
      if (f.onUpdate) fk = fk.onUpdate(f.onUpdate);
      out.push(fk);
    }
    for (const u of t.uniqueConstraints) {
      if (u.origin === 'column-unique') continue; // made by the column's .unique()
      let uc = p.unique(u.name).on(...u.columns.map((n) => tb[n]));
      if (u.nullsNotDistinct) uc = uc.nullsNotDistinct();
      out.push(uc);
    }
    if (t.primaryKey) out.push(p.primaryKey({ name: t.primaryKey.name, columns: t.primaryKey.columns.map((n) => tb[n]) }));
    for (const c of t.checks) out.push(p.check(c.name, sql.raw(c.value)));
    return out;
  };
  let table = t.schema ? schemas[t.schema].table(t.name, cols, extra) : p.pgTable(t.name, cols, extra);
  if (t.rlsEnabled) table = table.enableRLS();
  tables[key(t.schema, t.name)] = table;
  exported.push([t.exportName, table]);
}

exported.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
for (const [name, value] of exported) module.exports[name] = value;
