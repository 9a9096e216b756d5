/**
 * Drift between a service's schema.prisma and what its SQL migrations really
 * created. Prisma's migration engine cannot run on these machines, so this
 * compares Prisma's own reading of the schema (DMMF, from Prisma's schema
 * wasm) with the PostgreSQL catalog: tables, columns (type, nullability,
 * default), primary keys, unique and plain indexes, foreign keys and enums, in
 * both directions. Database-only indexes Prisma cannot express (partial
 * indexes) must be named in the model's documentation as
 * `db-only index <name>: <why>`.
 */
import { readFile } from 'node:fs/promises';
import wasm from '@prisma/prisma-schema-wasm';
import pg from 'pg';

export type DriftReport = string[];

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object' | 'unsupported';
  type: string;
  isList: boolean;
  isRequired: boolean;
  hasDefaultValue: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  schema?: string | null;
  documentation?: string;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: { name: string }[];
}
interface Dmmf {
  datamodel: {
    models: DmmfModel[];
    enums: { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }[];
    indexes: DmmfIndex[];
  };
}

export async function checkSchemaDrift(options: {
  connectionString: string;
  schema: string;
  prismaSchemaPath: string;
}): Promise<DriftReport> {
  const prismaSchema = await readFile(options.prismaSchemaPath, 'utf8');
  const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema }))) as Dmmf;
  const db = await readCatalog(options.connectionString, options.schema);
  const drift: string[] = [];
  const models = dmmf.datamodel.models.filter((m) => (m.schema ?? options.schema) === options.schema);
  const tableOf = new Map(models.map((m) => [m.name, m.dbName ?? m.name]));
  const column = (m: DmmfModel, fieldName: string) => {
    const f = m.fields.find((x) => x.name === fieldName);
    return f?.dbName ?? fieldName;
  };

  // Tables both ways.
  const expectedTables = new Set(tableOf.values());
  for (const table of db.tables)
    if (!expectedTables.has(table)) drift.push(`table ${table} exists in the database but not in schema.prisma`);
  for (const table of expectedTables)
    if (!db.tables.has(table)) drift.push(`table ${table} is in schema.prisma but not in the database`);

  // Columns.
  for (const model of models) {
    const table = tableOf.get(model.name)!;
    if (!db.tables.has(table)) continue;
    const dbColumns = db.columns.get(table) ?? new Map();
    const fields = model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum');
    for (const field of fields) {
      const name = field.dbName ?? field.name;
      const actual = dbColumns.get(name);
      if (!actual) {
        drift.push(`column ${table}.${name} is in schema.prisma but not in the database`);
        continue;
      }
      const expectedType = expectedColumnType(field);
      if (normaliseType(actual.type) !== expectedType) {
        drift.push(
          `column ${table}.${name} has type ${actual.type} in the database, schema.prisma says ${expectedType}`,
        );
      }
      // Prisma creates scalar lists without NOT NULL and cannot mark a list optional or
      // required, so a list column may be either (NOT NULL, or nullable with a CHECK).
      const expectedNullable = !field.isRequired;
      if (!field.isList && actual.nullable !== expectedNullable) {
        drift.push(
          `column ${table}.${name} is ${actual.nullable ? 'nullable' : 'NOT NULL'} in the database, schema.prisma says ${expectedNullable ? 'optional' : 'required'}`,
        );
      }
      if (field.hasDefaultValue !== (actual.default !== null)) {
        drift.push(
          `column ${table}.${name} ${actual.default === null ? 'has no default' : `has default ${actual.default}`} in the database, schema.prisma ${field.hasDefaultValue ? 'declares one' : 'declares none'}`,
        );
      }
    }
    const known = new Set(fields.map((f) => f.dbName ?? f.name));
    for (const name of dbColumns.keys()) {
      if (!known.has(name)) drift.push(`column ${table}.${name} exists in the database but not in schema.prisma`);
    }
  }

  // Indexes (primary keys, unique and plain) both ways.
  const expectedIndexes = dmmf.datamodel.indexes
    .filter((i) => tableOf.has(i.model))
    .map((i) => {
      const model = models.find((m) => m.name === i.model)!;
      return {
        table: tableOf.get(i.model)!,
        kind: i.type === 'id' ? 'primary key' : i.type === 'unique' ? 'unique index' : 'index',
        columns: i.fields.map((f) => column(model, f.name)),
      };
    });
  const dbOnly = new Set(
    models.flatMap((m) => [...(m.documentation ?? '').matchAll(/db-only index (\w+)/g)].map((x) => x[1]!)),
  );
  const describe = (i: { table: string; kind: string; columns: string[] }) =>
    `${i.kind} on ${i.table}(${i.columns.join(', ')})`;
  const dbIndexKey = (i: DbIndex) =>
    describe({
      table: i.table,
      kind: i.primary ? 'primary key' : i.unique ? 'unique index' : 'index',
      columns: i.columns,
    });
  const actualKeys = new Set(db.indexes.filter((i) => !i.partial).map(dbIndexKey));
  for (const expected of expectedIndexes) {
    if (!actualKeys.has(describe(expected)))
      drift.push(`${describe(expected)} is in schema.prisma but not in the database`);
  }
  const expectedKeys = new Set(expectedIndexes.map(describe));
  for (const index of db.indexes) {
    if (dbOnly.has(index.name)) continue;
    if (!expectedKeys.has(dbIndexKey(index)) || index.partial) {
      drift.push(
        `${index.partial ? 'partial ' : ''}${dbIndexKey(index)} (${index.name}) exists in the database but not in schema.prisma (document it as "db-only index ${index.name}" if Prisma cannot express it)`,
      );
    }
  }
  for (const name of dbOnly) {
    if (!db.indexes.some((i) => i.name === name))
      drift.push(`db-only index ${name} is documented in schema.prisma but not in the database`);
  }

  // Foreign keys both ways.
  const expectedFks = models.flatMap((model) =>
    model.fields
      .filter((f) => f.kind === 'object' && (f.relationFromFields?.length ?? 0) > 0)
      .map((f) => {
        const target = models.find((m) => m.name === f.type)!;
        return `${tableOf.get(model.name)}(${f.relationFromFields!.map((x) => column(model, x)).join(', ')}) -> ${tableOf.get(f.type)}(${f.relationToFields!.map((x) => column(target, x)).join(', ')})`;
      }),
  );
  const actualFks = db.foreignKeys.map(
    (fk) => `${fk.table}(${fk.columns.join(', ')}) -> ${fk.refTable}(${fk.refColumns.join(', ')})`,
  );
  for (const fk of expectedFks)
    if (!actualFks.includes(fk)) drift.push(`foreign key ${fk} is in schema.prisma but not in the database`);
  for (const fk of actualFks)
    if (!expectedFks.includes(fk)) drift.push(`foreign key ${fk} exists in the database but not in schema.prisma`);

  // Enums both ways.
  const expectedEnums = new Map(
    dmmf.datamodel.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]),
  );
  for (const [name, labels] of expectedEnums) {
    const actual = db.enums.get(name);
    if (!actual) drift.push(`enum ${name} is in schema.prisma but not in the database`);
    else if (actual.join(',') !== labels.join(','))
      drift.push(
        `enum ${name} has values ${actual.join(', ')} in the database, schema.prisma says ${labels.join(', ')}`,
      );
  }
  for (const name of db.enums.keys())
    if (!expectedEnums.has(name)) drift.push(`enum ${name} exists in the database but not in schema.prisma`);

  return drift;
}

function expectedColumnType(field: DmmfField): string {
  const [native, args] = field.nativeType ?? [undefined, []];
  let type: string;
  if (field.kind === 'enum') type = field.type;
  else {
    switch (field.type) {
      case 'String':
        type =
          native === 'Uuid'
            ? 'uuid'
            : native === 'Char'
              ? `character(${args[0]})`
              : native === 'VarChar'
                ? `character varying${args[0] ? `(${args[0]})` : ''}`
                : native === 'Inet'
                  ? 'inet'
                  : 'text';
        break;
      case 'Int':
        type = native === 'SmallInt' ? 'smallint' : 'integer';
        break;
      case 'BigInt':
        type = 'bigint';
        break;
      case 'Boolean':
        type = 'boolean';
        break;
      case 'Float':
        type = native === 'Real' ? 'real' : 'double precision';
        break;
      case 'Decimal':
        type = `numeric(${args[0] ?? 65},${args[1] ?? 30})`;
        break;
      case 'DateTime':
        type =
          native === 'Date'
            ? 'date'
            : `timestamp(${args[0] ?? 3}) ${native === 'Timestamptz' ? 'with' : 'without'} time zone`;
        break;
      case 'Json':
        type = native === 'Json' ? 'json' : 'jsonb';
        break;
      case 'Bytes':
        type = 'bytea';
        break;
      default:
        type = field.type;
    }
  }
  return field.isList ? `${type}[]` : type;
}

/** format_type() qualifies and quotes enum types; compare bare names. */
function normaliseType(type: string): string {
  return type.replace(/^(?:"?[\w]+"?\.)?"?([\w]+)"?(\[\])?$/, '$1$2');
}

interface DbIndex {
  table: string;
  name: string;
  unique: boolean;
  primary: boolean;
  partial: boolean;
  columns: string[];
}

async function readCatalog(connectionString: string, schema: string) {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const tables = await client.query<{ table: string }>(
      `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> '_prisma_migrations'`,
      [schema],
    );
    const columns = await client.query<{
      table: string;
      column: string;
      nullable: boolean;
      type: string;
      default: string | null;
    }>(
      `SELECT c.relname AS table, a.attname AS column, NOT a.attnotnull AS nullable,
              format_type(a.atttypid, a.atttypmod) AS type, pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> '_prisma_migrations'
         AND a.attnum > 0 AND NOT a.attisdropped`,
      [schema],
    );
    const indexes = await client.query<DbIndex>(
      `SELECT c.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
              x.indpred IS NOT NULL AS partial,
              ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND NOT c.relispartition AND c.relname <> '_prisma_migrations'`,
      [schema],
    );
    const foreignKeys = await client.query<{
      table: string;
      columns: string[];
      refTable: string;
      refColumns: string[];
    }>(
      `SELECT c.relname AS table, f.relname AS "refTable",
              ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.ord)::text[] AS columns,
              ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(attnum, ord)
                    JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.ord)::text[] AS "refColumns"
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class f ON f.oid = k.confrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = $1 AND k.contype = 'f' AND NOT c.relispartition AND k.conparentid = 0`,
      [schema],
    );
    const enums = await client.query<{ name: string; labels: string[] }>(
      `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = $1 GROUP BY t.typname`,
      [schema],
    );
    const byTable = new Map<string, Map<string, { nullable: boolean; type: string; default: string | null }>>();
    for (const row of columns.rows) {
      const table = byTable.get(row.table) ?? new Map();
      table.set(row.column, { nullable: row.nullable, type: row.type, default: row.default });
      byTable.set(row.table, table);
    }
    return {
      tables: new Set(tables.rows.map((r) => r.table)),
      columns: byTable,
      indexes: indexes.rows,
      foreignKeys: foreignKeys.rows,
      enums: new Map(enums.rows.map((r) => [r.name, r.labels])),
    };
  } finally {
    await client.end();
  }
}
