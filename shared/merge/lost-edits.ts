import { isPlainObject, jsonEqual, type JsonRecord } from './json';

/** The longest path named (the wire's field names are at most 256 characters) and the most named. */
const MAX_PATH = 256;
const MAX_PATHS = 1000;

/**
 * What a resolution did not keep of one side's edits: the paths (dotted, like the merge's field rules) that the
 * side changed against the base and whose value in the resolved state differs from the side's. [] means the side's
 * write as a whole was undone (its delete brought back, or its live record deleted); null means nothing it
 * changed was lost. A null base (a record created on both sides) counts every field of the side as its edit.
 * This is the test the merge itself follows (three-way.ts): a leaf one side changed is that side's edit.
 */
export function lostEdits(base: JsonRecord | null, side: JsonRecord | null, resolved: JsonRecord | null): string[] | null {
  if (side === null) return resolved === null ? null : [];
  const out: string[] = [];
  if (resolved === null) collectEdits('', base ?? {}, side, out);
  else collectLost('', base ?? {}, side, resolved, out);
  if (out.length === 0) return resolved === null ? [] : null;
  return [...new Set(out)].slice(0, MAX_PATHS);
}

/** Narrows `fields` to the paths at which `before` and `after` really differ (a claim checked against the data). */
export function differingPaths(fields: readonly string[], before: JsonRecord, after: JsonRecord): string[] {
  return fields.filter((path) => !jsonEqual(at(before, path), at(after, path)));
}

/**
 * A base for the story of a replaced write, as the node that made it can tell it: its own state with the replaced
 * paths taken out, so a three-way view (and a merge after undo) shows those paths as changed on both sides and the
 * resolution's other differences as the other side's alone.
 */
export function withoutPaths(record: JsonRecord, paths: readonly string[]): JsonRecord {
  const out = structuredClone(record);
  for (const path of paths) remove(out, path);
  return out;
}

function remove(record: JsonRecord, path: string): void {
  if (Object.hasOwn(record, path)) {
    delete record[path];
    return;
  }
  const dot = path.indexOf('.');
  if (dot < 0) return;
  const head = own(record, path.slice(0, dot));
  if (isPlainObject(head)) remove(head, path.slice(dot + 1));
}

function collectLost(path: string, base: unknown, side: unknown, resolved: unknown, out: string[]): void {
  if (jsonEqual(base, side) || jsonEqual(side, resolved)) return; // not this side's edit, or kept as it wrote it
  if (isPlainObject(side) && isPlainObject(resolved) && path.length < MAX_PATH) {
    const b = isPlainObject(base) ? base : {};
    for (const key of new Set([...Object.keys(side), ...Object.keys(b)])) {
      collectLost(join(path, key), own(b, key), own(side, key), own(resolved, key), out);
    }
    return;
  }
  out.push(clip(path));
}

function collectEdits(path: string, base: unknown, side: unknown, out: string[]): void {
  if (jsonEqual(base, side)) return;
  if (isPlainObject(side) && isPlainObject(base) && path.length < MAX_PATH) {
    for (const key of new Set([...Object.keys(side), ...Object.keys(base)])) collectEdits(join(path, key), own(base, key), own(side, key), out);
    return;
  }
  out.push(clip(path));
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);
const own = (o: JsonRecord, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
/** A path too long to name whole is named by its top-level field. */
const clip = (path: string): string => (path.length <= MAX_PATH ? path : path.split('.')[0]!.slice(0, MAX_PATH));

/** The value at a dotted path (a field named with a dot is reached whole first). */
function at(record: JsonRecord, path: string): unknown {
  if (Object.hasOwn(record, path)) return record[path];
  const dot = path.indexOf('.');
  if (dot < 0) return undefined;
  const head = own(record, path.slice(0, dot));
  return isPlainObject(head) ? at(head, path.slice(dot + 1)) : undefined;
}
