import { syncedTables, type JsonObject, type SyncedTable, type VersionVector } from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';
import { NODE_ID, isHlc } from '../../shared/sync/hlc';
import { overrodeSchema, type OverriddenWrite } from '../../shared/sync/wire';
import { checkId, parseData, specOf, tableSpecs, type TableSpec } from './tables';
import type { RemoteChange } from './types';

/** A pulled change, checked and turned into what the apply writes (column values, JSON, clock). */
export interface ValidChange {
  spec: TableSpec;
  recordId: string;
  deleted: boolean;
  data: JsonObject | null;
  /** column values in spec.fields order (createdAt null when absent: the caller picks the fallback) */
  cols: Array<string | number | null> | null;
  dataJson: string | null;
  vv: VersionVector;
  vvJson: string;
  hlc: string;
  nodeId: string;
  seq: number;
  /** the remote write's wall time, ISO (the row's updated_at) */
  updatedAt: string;
  overrode: readonly OverriddenWrite[] | null;
}

/** `"field":` of each field, in spec.fields order. */
const quotedFields = new Map<SyncedTable, string[]>(syncedTables.map((t) => [t, tableSpecs[t].fields.map((f) => `${JSON.stringify(f.field)}:`)]));

/**
 * Column values in spec.fields order (absent: null, counters 0) and the data as JSON for the shadow, each JSON
 * field serialized once for both. The JSON lists the fields in spec order (its readers parse it). A value that
 * cannot be serialized is refused.
 */
function encodeData(spec: TableSpec, data: JsonObject, recordId: string): { cols: Array<string | number | null>; json: string } {
  const cols: Array<string | number | null> = [];
  const quoted = quotedFields.get(spec.table)!;
  let json = '';
  for (let i = 0; i < spec.fields.length; i++) {
    const { field, kind } = spec.fields[i]!;
    const value = data[field];
    if (value === undefined || value === null) {
      cols.push(spec.fields[i]!.counter ? 0 : null);
      if (value === null) json += `,${quoted[i]}null`;
      continue;
    }
    let text: string;
    if (kind === 'json') {
      try {
        text = JSON.stringify(value);
      } catch {
        throw new OutpostError('invalid_input', `Remote change of ${recordId}: ${field} holds a value that is not JSON (a cycle or a BigInt).`);
      }
      cols.push(text);
    } else if (kind === 'int') {
      cols.push(value as number);
      text = String(value);
    } else {
      cols.push(value as string);
      text = JSON.stringify(value);
    }
    json += `,${quoted[i]}${text}`;
  }
  return { cols, json: `{${json.slice(1)}}` };
}

/** The same rule as isVersionVector (shared/sync), with node ids as keys; one pass. */
function isNodeVv(vv: unknown, allowEmpty: boolean): vv is VersionVector {
  if (typeof vv !== 'object' || vv === null || Array.isArray(vv)) return false;
  const keys = Object.keys(vv);
  if (keys.length > 10_000 || (!allowEmpty && keys.length === 0)) return false;
  for (const key of keys) {
    const n = (vv as Record<string, unknown>)[key];
    if (!NODE_ID.test(key) || !Number.isSafeInteger(n) || (n as number) < 0) return false;
  }
  return true;
}

/** The ISO time of an hlc's wall clock (isHlc checked its 15 digits); a page's changes often share one. */
let lastWall = '';
let lastIso = '';
function wallIso(hlc: string): string {
  const wall = hlc.slice(0, 15);
  if (wall !== lastWall) {
    lastIso = new Date(Number(wall)).toISOString();
    lastWall = wall;
  }
  return lastIso;
}

export function validate(c: RemoteChange, allowEmptyVv = false): ValidChange {
  if (typeof c !== 'object' || c === null) throw new OutpostError('invalid_input', 'A remote change must be an object.');
  const spec = specOf(c.table);
  const recordId = checkId(c.recordId);
  if (c.op !== 'upsert' && c.op !== 'delete') throw new OutpostError('invalid_input', `Remote change of ${recordId}: op must be upsert or delete.`);
  if (!isNodeVv(c.vv, allowEmptyVv)) throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid version vector.`);
  if (!isHlc(c.hlc)) throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid hybrid logical clock.`);
  if (typeof c.nodeId !== 'string' || !NODE_ID.test(c.nodeId)) throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid node id.`);
  const deleted = c.op === 'delete';
  const data = deleted ? null : parseData(spec, withoutRetired(spec, c.data), recordId);
  const encoded = data === null ? null : encodeData(spec, data, recordId);
  return {
    spec,
    recordId,
    deleted,
    data,
    cols: encoded === null ? null : encoded.cols,
    dataJson: encoded === null ? null : encoded.json,
    vv: c.vv,
    vvJson: JSON.stringify(c.vv),
    hlc: c.hlc,
    nodeId: c.nodeId,
    seq: Number.isSafeInteger(c.seq) ? c.seq : 0,
    updatedAt: wallIso(c.hlc),
    overrode: c.overrode === undefined ? null : checkOverrode(c.overrode, recordId),
  };
}

/** A pulled state written before a field was retired (still on the hub) loses that field instead of being refused. */
function withoutRetired(spec: TableSpec, data: unknown): unknown {
  if (spec.retired.size === 0 || typeof data !== 'object' || data === null || Array.isArray(data)) return data;
  let out: Record<string, unknown> | null = null;
  for (const key of spec.retired) {
    if (!Object.hasOwn(data, key)) continue;
    out ??= { ...(data as Record<string, unknown>) };
    delete out[key];
  }
  return out ?? data;
}

function checkOverrode(overrode: unknown, recordId: string): readonly OverriddenWrite[] {
  const parsed = overrodeSchema.safeParse(overrode);
  if (!parsed.success) throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid overrode (the writes it replaced).`);
  return parsed.data;
}
