import { moveProblem } from '../../shared/tables/lifecycle';
import { OutpostError } from '../../shared/errors';
import type { TableSpec } from './tables';

/**
 * The fields a status move sets besides the status (shared/tables/lifecycle.ts): the times stamped on entering
 * the new status and the duration once both of its ends are set. `current` holds the record's values before the
 * write (empty for a create). Refuses a move the table's lifecycle does not allow, and a create in a status that
 * is not a starting one.
 */
export function moveFields(spec: TableSpec, recordId: string, to: unknown, current: Record<string, unknown> | null, now: string): Record<string, unknown> {
  const lifecycle = spec.lifecycle;
  if (!lifecycle || typeof to !== 'string') return {};
  const from = current === null ? null : (current[lifecycle.field] as string);
  if (from === null) {
    if (!lifecycle.initial.includes(to)) {
      throw new OutpostError(
        'invalid_input',
        `A new ${spec.label.toLowerCase()} starts as ${lifecycle.initial.join(' or ')}, not ${JSON.stringify(to)}: create it, then move it on.`,
      );
    }
  } else {
    if (from === to) return {};
    const problem = moveProblem(lifecycle, from, to);
    if (problem) throw new OutpostError('invalid_input', `${spec.label} ${JSON.stringify(recordId)}: ${problem}.`);
  }
  const out: Record<string, unknown> = {};
  for (const field of (lifecycle.stamps as Record<string, readonly string[] | undefined>)[to] ?? []) out[field] = now;
  const duration = lifecycle.duration;
  if (duration && Object.hasOwn(out, duration.to)) {
    const start = out[duration.from] ?? current?.[duration.from] ?? null;
    out[duration.field] = typeof start === 'string' ? Math.max(0, Date.parse(now) - Date.parse(start)) : null;
  }
  return out;
}

/** The fields a move reads from the current record: the status and the start of the duration. */
export function moveInputFields(spec: TableSpec): string[] {
  const lifecycle = spec.lifecycle;
  if (!lifecycle) return [];
  return [lifecycle.field, ...(lifecycle.duration ? [lifecycle.duration.from] : [])];
}
