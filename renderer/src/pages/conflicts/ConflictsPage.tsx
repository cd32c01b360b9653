import { useEffect, useState } from 'react';
import { replacedEditsNote, type ConflictSummary } from '../../../../shared/domain/conflicts';
import { outpost } from '../../outpost';
import { useApi } from '../../hooks';
import { Empty, ErrorBanner, Loading, StatusBadge } from '../../components';
import { ConflictReview } from './ConflictReview';
import './conflicts.css';

type Tab = 'pending' | 'escalated' | 'replaced' | 'automatic' | 'resolved';
const tabs: [Tab, string][] = [
  ['pending', 'Pending'],
  ['escalated', 'Escalated'],
  ['replaced', 'Replaced your edits'],
  ['automatic', 'Resolved automatically'],
  ['resolved', 'Resolved'],
];

const query = (tab: Tab) =>
  tab === 'replaced'
    ? { lost: true }
    : tab === 'automatic'
      ? { status: 'resolved' as const, automatic: true }
      : tab === 'resolved'
        ? { status: 'resolved' as const }
        : { status: tab };

/** The conflicts page: pending (and past) conflicts on the left, the selected one under review on the right. */
export function ConflictsPage({ param }: { param?: string }) {
  const [tab, setTab] = useState<Tab>('pending');
  const [selected, setSelected] = useState<string | undefined>(param);
  const list = useApi(() => outpost.conflicts.list({ ...query(tab), limit: 500 }), [tab], ['conflicts.changed']);
  const pendingList = useApi(() => outpost.conflicts.list({ status: 'pending', limit: 1000 }), [], ['conflicts.changed']);
  const items = list.data?.items ?? [];

  useEffect(() => setSelected(param), [param]);
  // keep a valid selection: the first item when nothing (or something no longer listed) is selected
  useEffect(() => {
    if (!list.data) return;
    if (!selected || !items.some((c) => c.id === selected)) setSelected(items[0]?.id);
  }, [list.data]);

  const move = (delta: number) => {
    if (items.length === 0) return;
    const index = items.findIndex((c) => c.id === selected);
    const next = items[Math.min(Math.max(index + delta, 0), items.length - 1)];
    if (next) setSelected(next.id);
  };

  return (
    <div className="page conflicts-page">
      <div className="page-header">
        <h1>Conflicts</h1>
        <div className="tabs" role="tablist">
          {tabs.map(([id, label]) => (
            <button key={id} type="button" role="tab" aria-selected={tab === id} className={tab === id ? 'on' : ''} onClick={() => setTab(id)}>
              {label}
              {id === 'pending' && pendingList.data ? ` (${pendingList.data.total})` : ''}
            </button>
          ))}
        </div>
        {/* in the desktop app the shell opens the review window (notification, tray); a browser opens a tab */}
        {selected && !window.outpost && (
          <a className="toolbar" href={`#/review/${encodeURIComponent(selected)}`} target="_blank" rel="noreferrer">
            Open in review window
          </a>
        )}
      </div>
      <ErrorBanner error={list.error} onRetry={list.reload} />
      <div className="conflicts-layout">
        <ConflictList items={items} loading={list.loading && !list.data} selected={selected} onSelect={setSelected} tab={tab} />
        <div className="conflict-detail">
          {selected ? (
            <ConflictReview
              key={selected}
              id={selected}
              pending={pendingList.data?.items ?? []}
              onNext={() => move(1)}
              onPrev={() => move(-1)}
            />
          ) : (
            list.data && <Empty>{tab === 'pending' ? 'No conflicts.' : 'Nothing here.'}</Empty>
          )}
        </div>
      </div>
    </div>
  );
}

function ConflictList({
  items,
  loading,
  selected,
  onSelect,
  tab,
}: {
  items: ConflictSummary[];
  loading: boolean;
  selected: string | undefined;
  onSelect: (id: string) => void;
  tab: Tab;
}) {
  if (loading) return <Loading />;
  if (items.length === 0) return <div className="conflict-list"><Empty>{tab === 'pending' ? 'No pending conflicts.' : 'None.'}</Empty></div>;
  return (
    <ul className="conflict-list" aria-label="Conflicts">
      {items.map((c) => (
        <li key={c.id}>
          <button type="button" className={c.id === selected ? 'on' : ''} aria-current={c.id === selected} onClick={() => onSelect(c.id)} data-conflict={c.id}>
            <span className="title">{c.title}</span>
            <span className="meta">
              {c.table === 'workspace' ? 'workspace file' : `${c.table} · ${c.recordId}`} · {c.sides.local} vs {c.sides.remote}
            </span>
            <span className="meta">
              <StatusBadge status={c.status} /> {c.type}
              {c.fields.length > 0 && ` · ${c.fields.slice(0, 3).join(', ')}${c.fields.length > 3 ? '…' : ''}`}
              {c.automatic && ` · ${c.strategy}`}
            </span>
            {replacedEditsNote(c) && <span className="meta replaced">{replacedEditsNote(c)}</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The conflict review window (`#/review/<conflictId>`): one conflict at a time, then the next pending one. */
export function ReviewWindow({ param }: { param: string }) {
  const [current, setCurrent] = useState(param);
  const pending = useApi(() => outpost.conflicts.list({ status: 'pending', limit: 1000 }), [], ['conflicts.changed']);
  const items = pending.data?.items ?? [];
  useEffect(() => setCurrent(param), [param]);
  const go = (id: string) => {
    setCurrent(id);
    window.history.replaceState(null, '', id ? `#/review/${encodeURIComponent(id)}` : '#/review/');
  };
  const neighbour = (delta: number) => {
    const index = items.findIndex((c) => c.id === current);
    const others = items.filter((c) => c.id !== current);
    return (index >= 0 ? items[index + delta] : undefined) ?? (delta > 0 ? others[0] : others[others.length - 1]);
  };
  const move = (delta: number) => {
    const next = neighbour(delta);
    if (next) go(next.id);
  };
  // after a resolution: the next pending conflict, or the "all done" state
  const done = () => go(neighbour(1)?.id ?? '');
  return (
    <div className="page review-window">
      <div className="page-header">
        <h1>Review conflict</h1>
        <span className="muted">{pending.data ? `${pending.data.total} pending` : ''}</span>
      </div>
      {current ? (
        <ConflictReview key={current} id={current} pending={items} onNext={() => move(1)} onPrev={() => move(-1)} onResolved={done} />
      ) : (
        <Empty>All conflicts are resolved. You can close this window.</Empty>
      )}
    </div>
  );
}
