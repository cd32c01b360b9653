/**
 * A status field whose values form a state machine: which status a record may start in, which it may move to from
 * each, and the time fields the store stamps on entering a status (the duration follows from two of them). A
 * table declares one in its options (`lifecycle`); the store refuses any other move with `invalid_input`, and the
 * UI offers only the moves allowed from the current status. Pulled changes are states, not moves: not checked.
 */
export interface Lifecycle<S extends string = string, T extends string = string> {
  readonly field: string;
  /** statuses a create may set */
  readonly initial: readonly S[];
  /** the statuses each status may move to (a status not listed as a key is final) */
  readonly moves: { readonly [K in S]: readonly S[] };
  /** time fields set to the write's time when a record enters a status (by a create or a move) */
  readonly stamps: { readonly [K in S]?: readonly T[] };
  /** a field set to the milliseconds between two stamped times once both are set */
  readonly duration?: { readonly field: T; readonly from: T; readonly to: T };
}

/** Why moving from `from` to `to` is refused, or null when it is allowed (staying put is no move). */
export function moveProblem(lifecycle: Lifecycle, from: string, to: string): string | null {
  if (from === to) return null;
  const next = (lifecycle.moves as Record<string, readonly string[] | undefined>)[from] ?? [];
  if (next.includes(to)) return null;
  return next.length === 0
    ? `${lifecycle.field} ${JSON.stringify(from)} is final: it cannot become ${JSON.stringify(to)}`
    : `${lifecycle.field} cannot go from ${JSON.stringify(from)} to ${JSON.stringify(to)} (from ${JSON.stringify(from)} it may become ${next.join(' or ')})`;
}

/** The statuses a record may move to from `from`. */
export function movesFrom(lifecycle: Lifecycle, from: string): readonly string[] {
  return (lifecycle.moves as Record<string, readonly string[] | undefined>)[from] ?? [];
}
