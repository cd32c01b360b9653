import type { EventPayload } from '../../shared/api/index';
import { syncedTables, type ChangeOrigin } from '../../shared/domain/records';

const synced: ReadonlySet<string> = new Set(syncedTables);

/** The `agents.changed` event of a committed store write, or null when it touched no synced records. */
export function recordsChangedEvent(tables: readonly string[], ids: readonly string[], origin: ChangeOrigin): EventPayload<'agents.changed'> | null {
  const records = tables.filter((t) => synced.has(t));
  return records.length === 0 ? null : { tables: records, ids: ids.slice(0, 1000), origin };
}
