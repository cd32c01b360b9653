import { columnOf, RECORD_ID, RECORD_ID_RULE, type FieldDecl, type FieldKind, type JsonObject } from '../../shared/tables/field';
import { dataProblem, valueProblem } from '../../shared/tables/check';
import { syncedTables, tableDecls, type SyncedTable, type TableDecl } from '../../shared/tables/index';
import type { Lifecycle } from '../../shared/tables/lifecycle';
import { OutpostError } from '../../shared/errors';

/**
 * The store's view of the synced tables, derived from their declarations (shared/tables/): column names, kinds
 * and limits. Every SQL column name the store writes comes from here, never from a caller's keys: a key that is
 * not declared is refused before any SQL is built.
 *
 * A record's sync `data` is its domain fields minus the id (carried as recordId), minus updatedAt (local
 * bookkeeping: the hlc orders writes) and minus the sync columns.
 *
 * Values are checked here by hand from each field's declaration rather than with zod: the store checks every
 * local write and every pulled change (100k/s), the API has already run the contract's zod schemas, and this
 * check is a few comparisons per field.
 */
export type { FieldKind };

export interface FieldSpec extends Omit<FieldDecl, '_value'> {
  readonly field: string; // camelCase name in the API and in sync data
  readonly column: string; // snake_case column
}

export interface TableSpec {
  readonly table: SyncedTable;
  readonly label: string; // for messages: "Agent", "Workflow"...
  readonly fields: readonly FieldSpec[];
  /** fields a local update may patch */
  readonly patchable: readonly string[];
  /** field values a create may leave out */
  readonly createDefaults: JsonObject;
  /** the record this one depends on: it must exist, and syncs first */
  readonly parent?: { readonly field: string; readonly column: string; readonly table: SyncedTable };
  /** queue priority of a change unless the record's status is `critical` (which gives 10) */
  readonly defaultPriority: number;
  /** the equality filters of list, and the columns its search looks in */
  readonly listFilters: readonly FieldSpec[];
  readonly searchColumns: readonly string[];
  /** the status moves a local write may make, and the times they stamp */
  readonly lifecycle?: Lifecycle;
  /** read-only fields counted from child rows when a record is read (SQL from main/store/derived.ts) */
  readonly derived: readonly DerivedSpec[];
  /** fields the table no longer has, dropped from pulled data */
  readonly retired: ReadonlySet<string>;
}

/** A derived field with the child table and columns its SQL reads. */
export interface DerivedSpec {
  readonly field: string;
  readonly kind: 'count' | 'latest';
  readonly childTable: SyncedTable;
  /** the child's column naming its parent */
  readonly childParentColumn: string;
  /** 'latest': the child's columns, first non-null wins per child */
  readonly childColumns: readonly string[];
}

function specFrom(decl: TableDecl): TableSpec {
  const fields = Object.entries(decl.fields).map(([field, d]): FieldSpec => ({ ...d, field, column: columnOf(field) }));
  const byName = (name: string) => fields.find((f) => f.field === name)!;
  const parent = decl.parentField === null ? undefined : byName(decl.parentField);
  return {
    table: decl.table as SyncedTable,
    label: decl.label,
    fields,
    patchable: decl.patchable,
    createDefaults: decl.createDefaults as JsonObject,
    ...(parent ? { parent: { field: parent.field, column: parent.column, table: parent.references as SyncedTable } } : {}),
    defaultPriority: decl.defaultPriority,
    listFilters: decl.list.filters.map(byName),
    searchColumns: (decl.list.search ?? []).map((f) => byName(f).column),
    ...(decl.lifecycle ? { lifecycle: decl.lifecycle } : {}),
    derived: Object.entries(decl.derived ?? {}).map(([field, d]): DerivedSpec => {
      const child = tableDecls[d.table as SyncedTable] as TableDecl | undefined;
      const parentField = child?.parentField;
      if (!child || parentField === null || parentField === undefined || child.fields[parentField]!.references !== decl.table) {
        throw new Error(`${decl.table}.${field}: derived from ${d.table}, which is not a child table of ${decl.table}`);
      }
      const columns = d.kind === 'latest' ? d.fields.map((f) => (Object.hasOwn(child.fields, f) ? columnOf(f) : fail(`${d.table} has no field ${f}`))) : [];
      return { field, kind: d.kind, childTable: d.table as SyncedTable, childParentColumn: columnOf(parentField), childColumns: columns };
    }),
    retired: new Set(decl.retired ?? []),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

export const tableSpecs = Object.fromEntries(syncedTables.map((t) => [t, specFrom(tableDecls[t])])) as Record<SyncedTable, TableSpec>;

const fieldIndex = new Map<SyncedTable, Map<string, FieldSpec>>(
  syncedTables.map((t) => [t, new Map(tableSpecs[t].fields.map((fs) => [fs.field, fs]))]),
);

export function fieldOf(spec: TableSpec, field: string): FieldSpec | undefined {
  return fieldIndex.get(spec.table)!.get(field);
}

export function specOf(table: unknown): TableSpec {
  if (typeof table !== 'string' || !(syncedTables as readonly string[]).includes(table)) {
    throw new OutpostError('invalid_input', `Unknown table ${JSON.stringify(String(table).slice(0, 64))}: expected one of ${syncedTables.join(', ')}.`);
  }
  return tableSpecs[table as SyncedTable];
}


/** Refuses ids that are not short printable tokens (the store may be called directly, not only through zod). */
export function checkId(id: unknown, what = 'record id'): string {
  if (typeof id !== 'string' || !RECORD_ID.test(id)) {
    throw new OutpostError('invalid_input', `Invalid ${what} ${JSON.stringify(String(id).slice(0, 64))}: ${RECORD_ID_RULE}`);
  }
  return id;
}

function refuse(spec: TableSpec, what: string, recordId: string, field: string, problem: string): never {
  throw new OutpostError('invalid_input', `Invalid ${spec.label.toLowerCase()} ${what} for ${JSON.stringify(recordId)}: ${field} ${problem}.`);
}

/** Checks a full data object for a table (shared/tables/check.ts): required fields present, every value fits, no unknown key. */
export function parseData(spec: TableSpec, data: unknown, recordId: string): JsonObject {
  const problem = dataProblem(spec.table, data);
  if (problem) refuse(spec, 'data', recordId, problem.field, problem.problem);
  return data as JsonObject;
}

/**
 * Refuses a patch key that is not a patchable field of the table (hostile column names end here) and a value
 * that does not fit. Returns the fields being set, in a stable order.
 */
export function checkPatch(spec: TableSpec, patch: unknown, recordId: string): FieldSpec[] {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new OutpostError('invalid_input', 'patch must be an object of fields to change.');
  }
  const out: FieldSpec[] = [];
  for (const key in patch as JsonObject) {
    const value = (patch as JsonObject)[key];
    if (value === undefined) continue;
    const fs = spec.patchable.includes(key) ? fieldOf(spec, key) : undefined;
    if (!fs) {
      throw new OutpostError(
        'invalid_input',
        `${spec.label}s have no editable field ${JSON.stringify(key.slice(0, 64))}: editable fields are ${spec.patchable.join(', ')}.`,
      );
    }
    const problem = valueProblem(fs, value);
    if (problem) refuse(spec, 'patch', recordId, key, problem);
    out.push(fs);
  }
  return out.sort((a, b) => (a.field < b.field ? -1 : 1));
}

/** A column value as SQLite stores it. A JSON value that cannot be serialized is refused, not half-written. */
export function toColumn(kind: FieldKind, value: unknown): string | number | null {
  if (value === undefined || value === null) return null;
  if (kind === 'json') {
    try {
      return JSON.stringify(value);
    } catch {
      throw new OutpostError('invalid_input', 'A JSON field holds a value that is not JSON (a cycle or a BigInt).');
    }
  }
  if (kind === 'int') return Number(value);
  return String(value);
}

export function fromColumn(kind: FieldKind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return kind === 'json' ? JSON.parse(value as string) : value;
}

/** The sync data of a row: domain fields only, camelCase. */
export function rowData(spec: TableSpec, row: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const { field, column, kind } of spec.fields) out[field] = fromColumn(kind, row[column]);
  return out;
}

/** SQL building a row's sync data as JSON text, as JSON.stringify(rowData(spec, row)) writes it (`alias`: the row). */
export function rowDataSql(spec: TableSpec, alias: string): string {
  const args = spec.fields.map(({ field, column, kind }) => `'${field}', ${kind === 'json' ? `json(${alias}.${column})` : `${alias}.${column}`}`);
  return `json_object(${args.join(', ')})`;
}

/** Column values for a data object, in `spec.fields` order; absent fields are null (counters 0). */
export function dataColumns(spec: TableSpec, data: JsonObject, createdAtFallback: string): Array<string | number | null> {
  return spec.fields.map(({ field, kind, counter }) => {
    const value = data[field];
    if (value === undefined || value === null) {
      if (field === 'createdAt') return createdAtFallback;
      return counter ? 0 : null;
    }
    return toColumn(kind, value);
  });
}
