import { useEffect, useState } from 'react';
import { pages, routes } from './pages/index';
import { outpost } from './outpost';
import { useApi, useEventValue } from './hooks';
import { ErrorBanner } from './components';
import { isAllSynced, notYetSynced } from '../../shared/domain/sync-status';

function useHashRoute(): string {
  const [hash, setHash] = useState(() => window.location.hash.replace(/^#\/?/, ''));
  useEffect(() => {
    const onChange = () => setHash(window.location.hash.replace(/^#\/?/, ''));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

export function App() {
  const route = useHashRoute();
  const [head = '', ...rest] = route.split('/');
  const special = routes.find((r) => r.prefix === head && rest.length > 0);
  const page = pages.find((p) => p.id === head) ?? pages[0]!;
  const info = useApi(() => outpost.app.info(), []);
  const status = useApi(() => outpost.sync.status(), [], ['sync.status']).data;
  const conflicts = useEventValue('conflicts.changed');
  const stats = useApi(() => outpost.queue.stats(), [], ['queue.stats', 'conflicts.changed']);
  const pendingConflicts = conflicts?.pending ?? stats.data?.conflictsByStatus.pending ?? 0;

  if (special?.standalone) {
    const Standalone = special.component;
    return (
      <div className="standalone">
        <Standalone param={decodeURIComponent(rest.join('/'))} />
      </div>
    );
  }
  const Page = page.component;
  const Route = special?.component;

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          Outpost
          <small>{info.data ? `${info.data.nodeName} · ${info.data.nodeId}` : ''}</small>
        </div>
        {pages.map((p) => (
          <a key={p.id} href={`#/${p.id}`} className={p.id === page.id && !special ? 'active' : ''}>
            {p.title}
            {p.id === 'conflicts' && pendingConflicts > 0 && <span className="count">{pendingConflicts}</span>}
            {p.id === 'queue' && status && status.pending + status.failed > 0 && (
              <span className="count muted" title="changes pending or failed">{status.pending + status.failed}</span>
            )}
          </a>
        ))}
        <div className="sync-state" data-state={status?.state ?? 'unknown'} data-synced={status ? String(isAllSynced(status)) : 'unknown'}>
          sync: {!status ? '…' : isAllSynced(status) ? 'up to date' : status.state === 'idle' ? 'changes waiting' : status.state}
          {status && !isAllSynced(status) && status.state === 'idle' && <small>{notYetSynced(status).join(' · ')}</small>}
        </div>
      </nav>
      <main className="content">
        <ErrorBanner error={info.error} onRetry={info.reload} />
        {/* elements, not components made per render: a re-render must not remount the page and lose its state */}
        {Route ? <Route param={decodeURIComponent(rest.join('/'))} /> : <Page />}
      </main>
    </div>
  );
}
