import { z } from 'zod';
import {
  agentStatuses,
  executionStatuses,
  jsonObjectSchema,
  recordIdSchema,
  syncedTables,
  workflowStatuses,
  type JsonObject,
  type SyncedTable,
} from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';

/**
 * The fixed column lists of the synced tables. Every SQL column name the store writes comes from here, never
 * from a caller's keys: a key that is not listed is refused before any SQL is built.
 *
 * A record's sync `data` is its domain fields minus the id (carried as recordId), minus updatedAt (local
 * bookkeeping: the hlc orders writes) and minus the sync columns.
 */
export type FieldKind = 'text' | 'int' | 'json';

export interface FieldSpec {
  readonly field: string; // camelCase name in the API and in sync data
  readonly column: string; // snake_case column
  readonly kind: FieldKind;
}

export interface TableSpec {
  readonly table: SyncedTable;
  readonly label: string; // for messages: "Agent", "Workflow"...
  readonly fields: readonly FieldSpec[];
  /** fields a local update may patch */
  readonly patchable: readonly string[];
  /** validates a full data object (create, conflict resolution, remote state) */
  readonly dataSchema: z.ZodType<JsonObject>;
  /** field values a create may leave out */
  readonly createDefaults: JsonObject;
  /** the record this one depends on: it must exist, and syncs first */
  readonly parent?: { readonly field: string; readonly column: string; readonly table: SyncedTable };
  /** queue priority of a change unless the record's status is `critical` (which gives 10) */
  readonly defaultPriority: number;
}

const isoOrNull = z.iso.datetime().nullable();
const createdAt = z.iso.datetime().optional();

const f = (field: string, column: string, kind: FieldKind = 'text'): FieldSpec => ({ field, column, kind });

/*
 * Priorities: a workflow (6) is what an agent runs and what other nodes schedule from, so it goes before agent
 * metadata (5); executions (4) are records of what happened, the most numerous and the least urgent. Anything
 * `critical` gets 10 whatever its table.
 */
export const tableSpecs: Record<SyncedTable, TableSpec> = {
  agents: {
    table: 'agents',
    label: 'Agent',
    fields: [f('name', 'name'), f('type', 'type'), f('status', 'status'), f('config', 'config', 'json'), f('createdAt', 'created_at')],
    patchable: ['name', 'type', 'status', 'config'],
    createDefaults: { status: 'inactive', config: {} },
    dataSchema: z
      .object({
        name: z.string().min(1).max(200),
        type: z.string().min(1).max(100),
        status: z.enum(agentStatuses),
        config: jsonObjectSchema,
        createdAt,
      })
      .strict() as z.ZodType<JsonObject>,
    defaultPriority: 5,
  },
  workflows: {
    table: 'workflows',
    label: 'Workflow',
    fields: [
      f('name', 'name'),
      f('definition', 'definition', 'json'),
      f('status', 'status'),
      f('agentId', 'agent_id'),
      f('lastExecution', 'last_execution'),
      f('executionCount', 'execution_count', 'int'),
      f('createdAt', 'created_at'),
    ],
    patchable: ['name', 'definition', 'status', 'agentId'],
    createDefaults: { status: 'draft', definition: {}, agentId: null },
    dataSchema: z
      .object({
        name: z.string().min(1).max(200),
        definition: jsonObjectSchema,
        status: z.enum(workflowStatuses),
        agentId: recordIdSchema.nullable(),
        lastExecution: isoOrNull.optional(),
        executionCount: z.number().int().min(0).optional(),
        createdAt,
      })
      .strict() as z.ZodType<JsonObject>,
    parent: { field: 'agentId', column: 'agent_id', table: 'agents' },
    defaultPriority: 6,
  },
  executions: {
    table: 'executions',
    label: 'Execution',
    fields: [
      f('workflowId', 'workflow_id'),
      f('status', 'status'),
      f('inputData', 'input_data', 'json'),
      f('outputData', 'output_data', 'json'),
      f('errorMessage', 'error_message'),
      f('startedAt', 'started_at'),
      f('completedAt', 'completed_at'),
      f('durationMs', 'duration_ms', 'int'),
      f('resourceUsage', 'resource_usage', 'json'),
      f('createdAt', 'created_at'),
    ],
    patchable: ['status', 'outputData', 'errorMessage', 'startedAt', 'completedAt', 'durationMs', 'resourceUsage'],
    createDefaults: { status: 'queued', inputData: null },
    dataSchema: z
      .object({
        workflowId: recordIdSchema,
        status: z.enum(executionStatuses),
        inputData: jsonObjectSchema.nullable().optional(),
        outputData: jsonObjectSchema.nullable().optional(),
        errorMessage: z.string().max(100_000).nullable().optional(),
        startedAt: isoOrNull.optional(),
        completedAt: isoOrNull.optional(),
        durationMs: z.number().int().min(0).nullable().optional(),
        resourceUsage: jsonObjectSchema.nullable().optional(),
        createdAt,
      })
      .strict() as z.ZodType<JsonObject>,
    parent: { field: 'workflowId', column: 'workflow_id', table: 'workflows' },
    defaultPriority: 4,
  },
};

/** Defaults for fields a data object may leave out (columns with defaults in the schema). */
const fieldDefaults: Record<string, unknown> = { lastExecution: null, executionCount: 0, inputData: null, outputData: null, errorMessage: null, startedAt: null, completedAt: null, durationMs: null, resourceUsage: null };

export function specOf(table: unknown): TableSpec {
  if (typeof table !== 'string' || !(syncedTables as readonly string[]).includes(table)) {
    throw new OutpostError('invalid_input', `Unknown table ${JSON.stringify(String(table).slice(0, 64))}: expected one of ${syncedTables.join(', ')}.`);
  }
  return tableSpecs[table as SyncedTable];
}

/** Refuses ids that are not short printable tokens (the store may be called directly, not only through zod). */
export function checkId(id: unknown, what = 'record id'): string {
  const parsed = recordIdSchema.safeParse(id);
  if (!parsed.success) {
    throw new OutpostError('invalid_input', `Invalid ${what} ${JSON.stringify(String(id).slice(0, 64))}: ids are 1-128 letters, digits or _ . : -`);
  }
  return parsed.data;
}

/** Validates a full data object for a table; the message names the record. */
export function parseData(spec: TableSpec, data: unknown, recordId: string): JsonObject {
  const parsed = spec.dataSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'data'}: ${i.message}`);
    throw new OutpostError('invalid_input', `Invalid ${spec.label.toLowerCase()} data for ${JSON.stringify(recordId)}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

const patchSchemas = new Map<SyncedTable, z.ZodType<JsonObject>>();

/** Validates the values of a patch: the table's data schema restricted to its patchable fields, all optional. */
export function patchSchemaOf(spec: TableSpec): z.ZodType<JsonObject> {
  let schema = patchSchemas.get(spec.table);
  if (!schema) {
    const full = spec.dataSchema as unknown as z.ZodObject<z.ZodRawShape>;
    const pick = Object.fromEntries(spec.patchable.map((k) => [k, true])) as Record<string, true>;
    schema = full.pick(pick).partial().strict() as unknown as z.ZodType<JsonObject>;
    patchSchemas.set(spec.table, schema);
  }
  return schema;
}

/** Refuses a patch key that is not a patchable field of the table (hostile column names end here). */
export function checkPatchKeys(spec: TableSpec, patch: Record<string, unknown>): string[] {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new OutpostError('invalid_input', 'patch must be an object of fields to change.');
  }
  const keys = Object.keys(patch).filter((k) => patch[k] !== undefined);
  for (const key of keys) {
    if (!spec.patchable.includes(key)) {
      throw new OutpostError(
        'invalid_input',
        `${spec.label}s have no editable field ${JSON.stringify(key.slice(0, 64))}: editable fields are ${spec.patchable.join(', ')}.`,
      );
    }
  }
  return keys.sort();
}

/** A column value as SQLite stores it. */
export function toColumn(kind: FieldKind, value: unknown): string | number | null {
  if (value === undefined || value === null) return null;
  if (kind === 'json') return JSON.stringify(value);
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

/** Column values for a data object, in `spec.fields` order; absent optional fields take their defaults. */
export function dataColumns(spec: TableSpec, data: JsonObject, createdAtFallback: string): Array<string | number | null> {
  return spec.fields.map(({ field, kind }) => {
    const value = field in data ? data[field] : field === 'createdAt' ? createdAtFallback : fieldDefaults[field];
    return toColumn(kind, value ?? null);
  });
}
