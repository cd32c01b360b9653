import type { FieldSpec, TableSpec } from './tables';

/**
 * The SQLite DDL a synced table's declaration implies (shared/tables/ -> main/store/tables.ts specs). Migrations
 * are frozen SQL, so this is not run at open: schema.test.ts checks that the migrated tables are what their
 * declarations derive here, and prints the statements a new table's (or field's) migration should hold.
 */

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`;

/** The sync columns every synced table carries, after its own (created_at is every record's createdAt). */
export const SYNC_COLUMNS = [
  'version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)',
  'hlc TEXT NOT NULL',
  'node_id TEXT NOT NULL',
  `vv TEXT NOT NULL DEFAULT '{}'`,
  'deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1))',
  `sync_status TEXT NOT NULL DEFAULT 'pending' CHECK (sync_status IN ('pending', 'synced', 'conflict', 'error'))`,
  'last_sync TEXT',
  `created_at TEXT NOT NULL DEFAULT ${NOW}`,
  `updated_at TEXT NOT NULL DEFAULT ${NOW}`,
];

const sqlLiteral = (value: unknown): string => `'${(typeof value === 'string' ? value : JSON.stringify(value)).replace(/'/g, "''")}'`;

/** One column's definition: its type, NOT NULL for required fields and counters, the create default, its parent. */
export function columnDdl(spec: TableSpec, f: FieldSpec): string {
  const parts = [f.column, f.kind === 'int' ? 'INTEGER' : 'TEXT'];
  if (f.required || f.counter) parts.push('NOT NULL');
  const fallback = Object.hasOwn(spec.createDefaults, f.field) ? spec.createDefaults[f.field] : undefined;
  if (f.counter) parts.push('DEFAULT 0');
  else if (fallback !== undefined && fallback !== null) parts.push(`DEFAULT ${sqlLiteral(fallback)}`);
  if (f.references) parts.push(`REFERENCES ${f.references}(id)`);
  return parts.join(' ');
}

/** CREATE TABLE and indexes for a new synced table: its parent column, each list filter over live rows, list order. */
export function createTableDdl(spec: TableSpec): string {
  const own = spec.fields.filter((f) => f.field !== 'createdAt').map((f) => columnDdl(spec, f));
  const t = spec.table;
  const indexes = [
    ...(spec.parent ? [`CREATE INDEX idx_${t}_${spec.parent.column} ON ${t}(${spec.parent.column});`] : []),
    ...spec.listFilters.filter((f) => f.field !== spec.parent?.field).map((f) => `CREATE INDEX idx_${t}_${f.column} ON ${t}(${f.column}) WHERE deleted = 0;`),
    `CREATE INDEX idx_${t}_updated_at ON ${t}(updated_at);`,
  ];
  return [`CREATE TABLE ${t} (\n  id TEXT PRIMARY KEY,\n  ${[...own, ...SYNC_COLUMNS].join(',\n  ')}\n);`, ...indexes].join('\n');
}

/** The statement that adds a field declared after its table was created. */
export function addColumnDdl(spec: TableSpec, f: FieldSpec): string {
  return `ALTER TABLE ${spec.table} ADD COLUMN ${columnDdl(spec, f)};`;
}
