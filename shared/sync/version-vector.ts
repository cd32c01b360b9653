import type { VersionVector } from '../domain/records';

export type Causality = 'equal' | 'before' | 'after' | 'concurrent';

/** How `a` relates to `b`: `before` means b has seen everything a has (b descends from a). */
export function compareVv(a: VersionVector, b: VersionVector): Causality {
  let aAhead = false;
  let bAhead = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
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
  for (const [node, n] of Object.entries(b)) out[node] = Math.max(out[node] ?? 0, n);
  return out;
}

export function incrementVv(vv: VersionVector, nodeId: string): VersionVector {
  return { ...vv, [nodeId]: (vv[nodeId] ?? 0) + 1 };
}

export function isVersionVector(value: unknown): value is VersionVector {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= 10_000 &&
    entries.every(([k, v]) => k.length > 0 && k.length <= 128 && Number.isSafeInteger(v) && (v as number) >= 0)
  );
}
