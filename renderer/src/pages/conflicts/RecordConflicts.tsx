import { replacedEditsNote } from '../../../../shared/domain/conflicts';
import type { SyncedTable } from '../../../../shared/domain/records';
import { outpost } from '../../outpost';
import { useApi } from '../../hooks';
import { StatusBadge } from '../../components';

/** A record's conflict history: each conflict, how it ended, and what it replaced of the edits made here. */
export function RecordConflicts({ table, recordId }: { table: SyncedTable; recordId: string }) {
  const list = useApi(() => outpost.conflicts.list({ table, recordId, limit: 20 }), [table, recordId], ['conflicts.changed']);
  const items = list.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <section aria-label="Conflict history" className="record-conflicts">
      <h3>Conflict history{list.data && list.data.total > items.length ? ` (latest ${items.length} of ${list.data.total})` : ''}</h3>
      <ul>
        {items.map((c) => (
          <li key={c.id}>
            <a href={`#/review/${encodeURIComponent(c.id)}`}>{new Date(c.detectedAt).toLocaleString()}</a> <StatusBadge status={c.status} />{' '}
            {c.strategy ?? ''} {replacedEditsNote(c) ?? ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
