import { useCallback, useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { agentStatuses, type Agent, type AgentStatus } from '../../../../shared/domain/records';
import type { OutpostError } from '../../../../shared/errors';
import { outpost } from '../../outpost';
import { formatTime, useDebounced } from '../../hooks';
import { Empty, ErrorBanner, StatusBadge } from '../../components';
import { AgentEditor } from './AgentEditor';

const PAGE = 200;
const ROW_HEIGHT = 36;

/**
 * Agents: a virtualized table over the whole list. Rows are fetched a page at a time as they scroll into
 * view, so 100,000 agents cost what one screen costs.
 */
export function AgentsPage() {
  const [status, setStatus] = useState<AgentStatus | ''>('');
  const [searchInput, setSearchInput] = useState('');
  const search = useDebounced(searchInput.trim(), 250);
  const [total, setTotal] = useState<number | null>(null);
  const [rows, setRows] = useState<Map<number, Agent>>(new Map());
  const [error, setError] = useState<OutpostError>();
  const [editing, setEditing] = useState<Agent | 'new' | null>(null);
  const loadedPages = useRef(new Set<number>());
  const generation = useRef(0);

  const filter = { ...(status ? { status } : {}), ...(search ? { search } : {}) };
  const filterKey = JSON.stringify(filter);

  const loadPage = useCallback(
    async (page: number, gen: number) => {
      loadedPages.current.add(page);
      try {
        const result = await outpost.agents.list({ ...JSON.parse(filterKey), offset: page * PAGE, limit: PAGE });
        if (gen !== generation.current) return;
        setTotal(result.total);
        setRows((prev) => {
          const next = new Map(prev);
          result.items.forEach((agent, i) => next.set(page * PAGE + i, agent));
          return next;
        });
        setError(undefined);
      } catch (e) {
        loadedPages.current.delete(page);
        if (gen === generation.current) setError(e as OutpostError);
      }
    },
    [filterKey],
  );

  const refresh = useCallback(() => {
    const gen = ++generation.current;
    const pagesToReload = [...loadedPages.current];
    loadedPages.current.clear();
    if (pagesToReload.length === 0) pagesToReload.push(0);
    return Promise.all(pagesToReload.map((p) => loadPage(p, gen)));
  }, [loadPage]);

  // a new filter starts from an empty table
  useEffect(() => {
    const gen = ++generation.current;
    loadedPages.current.clear();
    setRows(new Map());
    setTotal(null);
    void loadPage(0, gen);
  }, [loadPage]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = outpost.on('agents.changed', () => {
      clearTimeout(timer);
      timer = setTimeout(() => void refresh(), 200);
    });
    return () => {
      clearTimeout(timer);
      off();
    };
  }, [refresh]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: total ?? 0,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();

  useEffect(() => {
    const gen = generation.current;
    for (const item of items) {
      const page = Math.floor(item.index / PAGE);
      if (!loadedPages.current.has(page)) void loadPage(page, gen);
    }
  }, [items, loadPage]);

  const remove = async (agent: Agent) => {
    if (!window.confirm(`Delete agent "${agent.name}"? The deletion syncs to every node.`)) return;
    try {
      await outpost.agents.delete({ id: agent.id, expectedVersion: agent.version });
      await refresh();
    } catch (e) {
      setError(e as OutpostError);
    }
  };

  return (
    <section className="page agents-page">
      <header className="page-header">
        <h1>Agents</h1>
        <span className="muted" data-testid="agents-total">
          {total === null ? '…' : `${total.toLocaleString()} agents`}
        </span>
        <div className="toolbar">
          <input
            type="search"
            placeholder="Search name or type"
            aria-label="Search agents"
            value={searchInput}
            onChange={(e) => setSearchInput(e.target.value)}
          />
          <select aria-label="Status filter" value={status} onChange={(e) => setStatus(e.target.value as AgentStatus | '')}>
            <option value="">All statuses</option>
            {agentStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
          <button type="button" className="primary" onClick={() => setEditing('new')}>
            New agent
          </button>
        </div>
      </header>
      <ErrorBanner error={error} onRetry={() => void refresh()} />
      {editing && (
        <AgentEditor
          agent={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void refresh();
          }}
        />
      )}
      <div className="table agents-table" role="table" aria-label="Agents" aria-rowcount={total ?? 0}>
        <div className="tr th" role="row">
          <span role="columnheader">Name</span>
          <span role="columnheader">Type</span>
          <span role="columnheader">Status</span>
          <span role="columnheader">Version</span>
          <span role="columnheader">Sync</span>
          <span role="columnheader">Updated</span>
          <span role="columnheader" />
        </div>
        {total === 0 ? (
          <Empty>{search || status ? 'No agent matches this filter.' : 'No agents yet. Create one with “New agent”.'}</Empty>
        ) : (
          <div ref={scrollRef} className="tbody" style={{ overflow: 'auto' }}>
            <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
              {items.map((item) => {
                const agent = rows.get(item.index);
                return (
                  <div
                    key={item.key}
                    role="row"
                    className="tr"
                    data-agent-id={agent?.id}
                    style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                  >
                    {agent ? (
                      <>
                        <span role="cell" className="name">{agent.name}</span>
                        <span role="cell">{agent.type}</span>
                        <span role="cell"><StatusBadge status={agent.status} /></span>
                        <span role="cell" data-testid="agent-version">v{agent.version}</span>
                        <span role="cell"><StatusBadge status={agent.syncStatus} /></span>
                        <span role="cell" className="muted">{formatTime(agent.updatedAt)}</span>
                        <span role="cell" className="actions">
                          <button type="button" onClick={() => setEditing(agent)}>Edit</button>
                          <button type="button" className="danger" onClick={() => void remove(agent)}>Delete</button>
                        </span>
                      </>
                    ) : (
                      <span role="cell" className="muted">…</span>
                    )}
                  </div>
                );
              })}
            </div>
          </div>
        )}
      </div>
    </section>
  );
}
