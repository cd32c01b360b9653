import type { Patch } from './wire';
import { jsonEqual } from '../merge/json';

/**
 * Field-level deltas between two states of one record (top-level fields). A patch lists the fields whose value
 * changed (`set`) and the fields that disappeared (`unset`); applying it to the base gives the new state.
 * Values are compared structurally through canonical JSON, so key order inside nested objects does not count
 * as a change.
 */
export type RecordData = Record<string, unknown>;

export function diffRecord(base: RecordData, next: RecordData): Patch {
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const [key, value] of Object.entries(next)) {
    if (!Object.hasOwn(base, key) || !jsonEqual(base[key], value)) set[key] = value;
  }
  for (const key of Object.keys(base)) if (!Object.hasOwn(next, key)) unset.push(key);
  return { set: set as Patch['set'], unset };
}

/**
 * Applies a patch to a copy of `base`: the one rule the node and the hub both use, so they cannot diverge on the
 * same change. A plain object built key by key (JSON.stringify takes its fast path); a key named `__proto__`
 * (legal in parsed JSON) is defined as plain data instead of assigned, which would set a prototype.
 */
export function applyPatch<T extends RecordData>(base: T, patch: Patch): T {
  const out: RecordData = {};
  const unset = patch.unset.length > 0 ? new Set(patch.unset) : null;
  for (const key of Object.keys(base)) if (!unset?.has(key)) putField(out, key, base[key]);
  for (const key of Object.keys(patch.set)) putField(out, key, patch.set[key]);
  return out as T;
}

function putField(o: RecordData, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

export const isEmptyPatch = (patch: Patch): boolean => Object.keys(patch.set).length === 0 && patch.unset.length === 0;

export type Encoded = { data: RecordData; patch?: undefined } | { patch: Patch; data?: undefined };

/**
 * Chooses what to send for an upsert: the patch against `base` when there is a base and the patch serializes
 * smaller than the full state, else the full state. Without a base nothing is serialized here (the body is,
 * once, when it is sent).
 */
export function encodeUpsert(base: RecordData | null, next: RecordData): Encoded {
  if (!base) return { data: next };
  const patch = diffRecord(base, next);
  return utf8Length(JSON.stringify(patch)) < utf8Length(JSON.stringify(next)) ? { patch } : { data: next };
}

/** UTF-8 byte length without TextEncoder allocation for the common ASCII case. */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
