import type { VersionVector } from '../domain/records';

export type Causality = 'equal' | 'before' | 'after' | 'concurrent';

/**
 * A node's entry: own keys only. Node ids may be any [A-Za-z0-9_-] token, `constructor` and `__proto__`
 * included, which plain property reads would take from Object.prototype.
 */
const entryOf = (vv: VersionVector, node: string): number => (Object.hasOwn(vv, node) ? (vv[node] ?? 0) : 0);

/** Sets an entry as an own data property (an assignment to `__proto__` would set the prototype instead). */
function setEntry(vv: VersionVector, node: string, n: number): void {
  Object.defineProperty(vv, node, { value: n, enumerable: true, writable: true, configurable: true });
}

/**
 * How `a` relates to `b`: `before` means b has seen everything a has (b descends from a). Two passes over own
 * keys and no set of the union (the hub runs this several times for every pushed change).
 */
export function compareVv(a: VersionVector, b: VersionVector): Causality {
  let aAhead = false;
  let bAhead = false;
  for (const node of Object.keys(a)) {
    const x = a[node]!;
    const y = entryOf(b, node);
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
  }
  for (const node of Object.keys(b)) {
    if (!Object.hasOwn(a, node) && b[node]! > 0) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'after';
  if (bAhead) return 'before';
  return 'equal';
}

/** true when `a` has seen everything `b` has (a == b or a after b). */
export const descendsFrom = (a: VersionVector, b: VersionVector): boolean => {
  const c = compareVv(a, b);
  return c === 'equal' || c === 'after';
};

export function mergeVv(a: VersionVector, b: VersionVector): VersionVector {
  const out: VersionVector = { ...a };
  for (const [node, n] of Object.entries(b)) setEntry(out, node, Math.max(entryOf(out, node), n));
  return out;
}

export function incrementVv(vv: VersionVector, nodeId: string): VersionVector {
  const out: VersionVector = { ...vv };
  setEntry(out, nodeId, entryOf(vv, nodeId) + 1);
  return out;
}

export function isVersionVector(value: unknown): value is VersionVector {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= 10_000 &&
    entries.every(([k, v]) => k.length > 0 && k.length <= 128 && Number.isSafeInteger(v) && (v as number) >= 0)
  );
}
