import { Fragment } from 'react';
import { syncedTables } from '../../../../shared/domain/records';
import { isAllSynced, notYetSynced, type SyncStatus } from '../../../../shared/domain/sync-status';
import { outpost } from '../../outpost';
import { formatAge, formatBytes, formatTime, useAction, useApi } from '../../hooks';
import { Empty, ErrorBanner, Loading, StatusBadge } from '../../components';

const stateHelp: Record<SyncStatus['state'], string> = {
  idle: 'Connected to the hub.',
  syncing: 'Sending and receiving changes now.',
  connecting: 'Reaching the hub…',
  offline: 'The hub is unreachable. Changes stay queued here and are sent when it is back.',
  paused: 'Sync is paused. Changes stay queued until you resume.',
  error: 'Sync stopped on an error. Fix the cause below, then press Sync now.',
  disabled: 'No hub is configured: this node keeps everything locally. Connect it to a hub in Settings.',
};

/** The idle line says "up to date" only by the shared rule (isAllSynced); otherwise what still waits. */
function helpOf(st: SyncStatus): string {
  if (st.state !== 'idle') return stateHelp[st.state];
  if (isAllSynced(st)) return 'Everything acknowledged by the hub is up to date.';
  const waiting = notYetSynced(st);
  if (waiting.length === 1 && st.lastSyncAt === null) return 'Connected to the hub; not synced yet.';
  return `Not synced: ${waiting.join(', ') || 'changes waiting'}.`;
}

/** The sync queue: what is pending, what failed and why, and what to do about it. */
export function QueuePage() {
  const stats = useApi(() => outpost.queue.stats(), [], ['queue.stats']);
  const status = useApi(() => outpost.sync.status(), [], ['sync.status']);
  const failed = useApi(() => outpost.queue.list({ status: 'failed', limit: 200 }), [], ['queue.stats']);
  const { busy, error: actionError, act } = useAction(() => {
    stats.reload();
    status.reload();
    failed.reload();
  });

  const s = stats.data;
  const st = status.data;
  return (
    <section className="page queue-page">
      <header className="page-header">
        <h1>Sync queue</h1>
      </header>
      <ErrorBanner error={actionError ?? stats.error ?? status.error} onRetry={stats.reload} />

      {st && (
        <div className="card sync-card" data-testid="sync-card">
          <div className="sync-row">
            <StatusBadge status={st.state} />
            <span data-testid="sync-help">{helpOf(st)}</span>
          </div>
          {st.lastError && <div className="banner error">Last error: {st.lastError}</div>}
          <dl className="facts">
            <dt>Hub</dt><dd>{st.hubUrl ?? 'not configured'}</dd>
            <dt>Last sync</dt><dd>{formatTime(st.lastSyncAt)}</dd>
            <dt>Next attempt</dt><dd>{st.nextAttemptAt ? formatTime(st.nextAttemptAt) : '—'}</dd>
            <dt>Throughput</dt><dd>{st.throughput.pushedPerSec.toFixed(0)} ↑ / {st.throughput.pulledPerSec.toFixed(0)} ↓ records/s</dd>
            <dt>Bytes</dt><dd>{formatBytes(st.bytes.raw)} raw, {formatBytes(st.bytes.wire)} on the wire</dd>
          </dl>
          <div className="buttons">
            <label>
              Mode{' '}
              <select
                aria-label="Sync mode"
                value={st.mode}
                onChange={(e) => void act('mode', () => outpost.settings.set({ sync: { mode: e.target.value } }))}
              >
                <option value="manual">manual</option>
                <option value="auto">auto (after writes)</option>
                <option value="periodic">periodic</option>
                <option value="realtime">realtime</option>
              </select>
            </label>
            <button type="button" className="primary" disabled={busy !== null || !st.hubUrl} onClick={() => void act('now', () => outpost.sync.now())}>
              {busy === 'now' ? 'Syncing…' : 'Sync now'}
            </button>
            {st.state === 'paused' ? (
              <button type="button" disabled={busy !== null} onClick={() => void act('resume', () => outpost.sync.resume())}>Resume</button>
            ) : (
              <button type="button" disabled={busy !== null} onClick={() => void act('pause', () => outpost.sync.pause())}>Pause</button>
            )}
          </div>
        </div>
      )}

      {s?.storage.overLimit && (
        <div className="banner error" role="alert">
          The database ({formatBytes(s.databaseBytes)}) is over its limit of {formatBytes(s.storage.limitBytes)}.{' '}
          {s.storage.policy === 'error'
            ? 'New writes are refused until space is freed: sync the pending changes, or raise storage.limitBytes in Settings.'
            : s.storage.policy === 'prune'
              ? 'Synced history is being pruned to make room.'
              : 'Sync the pending changes or raise storage.limitBytes in Settings.'}
        </div>
      )}

      {!s ? (
        <Loading />
      ) : (
        <div className="grid">
          <div className="card">
            <h2>By status</h2>
            <dl className="facts" data-testid="queue-by-status">
              {Object.entries(s.byStatus).map(([k, v]) => (
                <div key={k} className="fact" data-status={k}>
                  <dt>{k}</dt>
                  <dd>{v.toLocaleString()}</dd>
                </div>
              ))}
            </dl>
            <p className="muted">Oldest pending: {formatAge(s.oldestPendingAgeMs)}</p>
          </div>
          <div className="card">
            <h2>Waiting, by priority</h2>
            {s.byPriority.length === 0 ? (
              <Empty>Nothing waiting.</Empty>
            ) : (
              <dl className="facts">
                {s.byPriority.map((p) => (
                  <div key={p.priority} className="fact">
                    <dt>priority {p.priority}</dt>
                    <dd>{p.count.toLocaleString()}</dd>
                  </div>
                ))}
              </dl>
            )}
          </div>
          <div className="card">
            <h2>Database</h2>
            <dl className="facts">
              {syncedTables.map((table) => (
                <Fragment key={table}><dt>{table}</dt><dd>{s.records[table].toLocaleString()}</dd></Fragment>
              ))}
              <dt>size</dt><dd>{formatBytes(s.databaseBytes)}</dd>
              <dt>conflicts pending</dt><dd>{s.conflictsByStatus.pending}</dd>
            </dl>
          </div>
        </div>
      )}

      <div className="card">
        <header className="card-header">
          <h2>Failed changes</h2>
          {failed.data && failed.data.total > 0 && (
            <button type="button" disabled={busy !== null} onClick={() => void act('retry-all', () => outpost.queue.retry({}))}>
              Retry all ({failed.data.total})
            </button>
          )}
        </header>
        {!failed.data ? (
          <Loading />
        ) : failed.data.items.length === 0 ? (
          <Empty>No failed changes.</Empty>
        ) : (
          <table className="plain" aria-label="Failed changes">
            <thead>
              <tr><th>Record</th><th>Operation</th><th>Attempts</th><th>Error</th><th>Last attempt</th><th /></tr>
            </thead>
            <tbody>
              {failed.data.items.map((item) => (
                <tr key={item.id}>
                  <td>{item.table}/{item.recordId}</td>
                  <td>{item.operation}</td>
                  <td>{item.attempts}/{item.maxAttempts}</td>
                  <td className="error-text">{item.errorMessage ?? '—'}</td>
                  <td>{formatTime(item.lastAttempt)}</td>
                  <td>
                    <button type="button" disabled={busy !== null} onClick={() => void act(`retry-${item.id}`, () => outpost.queue.retry({ ids: [item.id] }))}>
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
