import { useEffect, useState } from 'react';
import type { OutpostError } from '../../../../shared/errors';
import { twinNote } from '../../../../shared/domain/conflicts';
import type { WorkspaceCommit, WorkspaceItem, WorkspaceItemAtCommit, WorkspaceProgress } from '../../../../shared/domain/workspace';
import { outpost } from '../../outpost';
import { formatTime, useAction, useApi, useDebounced, useEventValue } from '../../hooks';
import { Empty, ErrorBanner, Loading, StatusBadge } from '../../components';
import { ThreeWayMerge, initialMergeText } from './ThreeWayMerge';
import './workspace.css';

/**
 * The workspace: its items (agent and workflow definitions, configs, notes), an editor, and Git history with
 * view-at-commit and restore. Commit and Sync run in the worker; progress arrives as workspace.progress events.
 */
export function WorkspacePage() {
  const [prefix, setPrefix] = useState('');
  const filter = useDebounced(prefix, 200);
  const items = useApi(() => outpost.workspace.list({ ...(filter ? { prefix: filter } : {}), limit: 1000 }), [filter], ['workspace.changed']);
  const status = useApi(() => outpost.workspace.status({}), [], ['workspace.changed', 'workspace.progress', 'conflicts.changed']);
  const progress = useEventValue('workspace.progress');
  const [selected, setSelected] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const { busy, error: actionError, act } = useAction(() => {
    items.reload();
    status.reload();
  });

  const st = status.data;
  return (
    <section className="page workspace-page">
      <header className="page-header">
        <h1>Workspace</h1>
        <div className="toolbar">
          <input aria-label="Filter by path prefix" placeholder="Path prefix…" value={prefix} onChange={(e) => setPrefix(e.target.value)} />
          <button type="button" onClick={() => { setCreating(true); setSelected(null); }}>New item</button>
          <button type="button" disabled={busy !== null} onClick={() => void act('commit', () => outpost.workspace.commit({}))}>
            {busy === 'commit' ? 'Committing…' : 'Commit now'}
          </button>
          <button type="button" className="primary" disabled={busy !== null} onClick={() => void act('sync', () => outpost.workspace.sync({}))}>
            {busy === 'sync' ? 'Syncing…' : 'Sync'}
          </button>
        </div>
      </header>
      <ErrorBanner error={actionError ?? items.error ?? status.error} onRetry={items.reload} />
      {st && (
        <div className="card sync-row" data-testid="workspace-status">
          <span>{st.remoteUrl ? `Remote: ${st.remoteUrl}` : 'No remote: commits stay on this node.'}</span>
          <span className="muted">{st.pending} pending · last commit {formatTime(st.lastCommitAt)} · last sync {formatTime(st.lastSyncAt)}</span>
          {st.conflicts > 0 && <a href="#/conflicts"><StatusBadge status="conflict" /> {st.conflicts} to resolve</a>}
          {(st.busy || busy) && progress && <ProgressText progress={progress} />}
          {st.lastError && <span className="error-text">Last error: {st.lastError}</span>}
        </div>
      )}
      <div className="ws-layout">
        <div className="card ws-items" aria-label="Workspace items">
          {items.loading && !items.data ? (
            <Loading />
          ) : items.data && items.data.items.length === 0 ? (
            <Empty>{filter ? 'No items under this prefix.' : 'No items yet: create one, or put files in the workspace folder.'}</Empty>
          ) : (
            <ul>
              {items.data?.items.map((item) => (
                <li key={item.path}>
                  <button type="button" aria-current={item.path === selected} onClick={() => { setSelected(item.path); setCreating(false); }}>
                    <span className="ws-path" title={item.path}>{item.path}</span>
                    <StatusBadge status={item.syncStatus} />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          {creating && <NewItem onCreated={(path) => { setCreating(false); setSelected(path); items.reload(); }} />}
          {selected && !creating && <ItemEditor key={selected} path={selected} onDeleted={() => { setSelected(null); items.reload(); }} />}
          {!selected && !creating && <Empty>Select an item to edit it and see its history.</Empty>}
        </div>
      </div>
    </section>
  );
}

function ProgressText({ progress }: { progress: WorkspaceProgress }) {
  const pct = progress.total > 0 ? ` ${Math.round((progress.loaded / progress.total) * 100)}%` : '';
  return <span className="muted" aria-live="polite">{progress.phase}{pct}{progress.message ? `: ${progress.message}` : ''}</span>;
}

function NewItem({ onCreated }: { onCreated: (path: string) => void }) {
  const [path, setPath] = useState('');
  const [content, setContent] = useState('');
  const [error, setError] = useState<OutpostError>();
  const save = async () => {
    try {
      const item = await outpost.workspace.save({ path, content });
      onCreated(item.path);
    } catch (e) {
      setError(e as OutpostError);
    }
  };
  return (
    <div className="card ws-editor editor">
      <h2>New item</h2>
      <ErrorBanner error={error} />
      <label>Path<input value={path} placeholder="agents/support.agent.json" onChange={(e) => setPath(e.target.value)} /></label>
      <label>Content<textarea value={content} spellCheck={false} onChange={(e) => setContent(e.target.value)} /></label>
      <div className="buttons"><button type="button" className="primary" disabled={!path} onClick={() => void save()}>Create</button></div>
    </div>
  );
}

function ItemEditor({ path, onDeleted }: { path: string; onDeleted: () => void }) {
  const item = useApi(() => outpost.workspace.get({ path }), [path], ['workspace.changed', 'conflicts.changed']);
  const history = useApi(() => outpost.workspace.log({ path, limit: 50 }), [path], ['workspace.changed']);
  const [draft, setDraft] = useState<string | null>(null);
  const [base, setBase] = useState<WorkspaceItem | null>(null);
  const [error, setError] = useState<OutpostError>();
  const [viewing, setViewing] = useState<WorkspaceItemAtCommit | null>(null);

  // the editor follows the stored item until the person starts typing
  useEffect(() => {
    if (item.data && draft === null) setBase(item.data);
  }, [item.data, draft]);

  const current = item.data;
  const changedUnderneath = draft !== null && base && current && current.version !== base.version;
  const run = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
    } catch (e) {
      setError(e as OutpostError);
    }
  };
  const save = () =>
    run(async () => {
      if (draft === null || !base) return;
      const saved = await outpost.workspace.save({ path, content: draft, expectedVersion: base.version });
      setBase(saved);
      setDraft(null);
      item.reload();
    });

  if (item.error && !current) return <ErrorBanner error={item.error} onRetry={item.reload} />;
  if (!current || !base) return <Loading />;
  return (
    <div className="ws-editor editor" style={{ maxWidth: 'none' }}>
      <div className="card">
        <div className="card-header">
          <h2 className="ws-path">{path}</h2>
          <span>
            <StatusBadge status={current.syncStatus} /> <span className="muted">v{current.version} · {current.type} · {current.modifiedBy}</span>
          </span>
        </div>
        <ErrorBanner error={error} />
        {current.conflictId && <ConflictPanel id={current.conflictId} onResolved={() => { setDraft(null); item.reload(); history.reload(); }} />}
        {changedUnderneath && <div className="banner error">This item changed since you started editing (now v{current.version}). Saving will be refused: copy your text, then reload.</div>}
        <textarea aria-label="Item content" spellCheck={false} value={draft ?? base.content} onChange={(e) => setDraft(e.target.value)} />
        <div className="buttons">
          <button type="button" className="primary" disabled={draft === null} onClick={() => void save()}>Save</button>
          <button type="button" disabled={draft === null} onClick={() => { setDraft(null); setBase(current); }}>Discard changes</button>
          <button type="button" className="danger" onClick={() => void run(async () => { await outpost.workspace.delete({ path }); onDeleted(); })}>Delete</button>
        </div>
      </div>
      <div className="card ws-history">
        <h2>History</h2>
        {history.loading && !history.data ? (
          <Loading />
        ) : history.data?.length === 0 ? (
          <Empty>Not committed yet.</Empty>
        ) : (
          <ol>
            {history.data?.map((c: WorkspaceCommit) => (
              <li key={c.id}>
                <code>{c.id.slice(0, 8)}</code>
                <span>{c.message.split('\n')[0]}</span>
                <span className="muted">{c.author.name} · {formatTime(c.at)}{c.parents.length > 1 ? ' · merge' : ''}</span>
                <span className="actions">
                  <button type="button" onClick={() => void run(async () => setViewing(await outpost.workspace.show({ path, commit: c.id })))}>View</button>
                  <button type="button" onClick={() => void run(async () => { await outpost.workspace.restore({ path, commit: c.id }); setDraft(null); item.reload(); history.reload(); })}>Restore</button>
                </span>
              </li>
            ))}
          </ol>
        )}
        {viewing && (
          <div>
            <div className="card-header">
              <h3>At {viewing.commit.slice(0, 8)}</h3>
              <button type="button" onClick={() => setViewing(null)}>Close</button>
            </div>
            <pre className="ws-preview">{!viewing.exists ? '(the item did not exist at this commit)' : viewing.binary ? '(binary content)' : viewing.content}</pre>
          </div>
        )}
      </div>
    </div>
  );
}

/** An item's pending text conflict, resolved right here hunk by hunk (the review window offers the same). */
function ConflictPanel({ id, onResolved }: { id: string; onResolved: () => void }) {
  const detail = useApi(() => outpost.conflicts.get({ id }), [id], ['conflicts.changed']);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<OutpostError>();
  const [busy, setBusy] = useState(false);
  const d = detail.data;
  if (detail.error) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  if (!d) return <Loading />;
  if (d.status !== 'pending') return <div className="banner">This conflict is {d.status}; the merge is committed at the next sync.</div>;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const [base, local, remote] = [str(d.base), str(d.local), str(d.remote)];
  const value = text ?? initialMergeText(base, local, remote);
  const resolve = async (choice: 'local' | 'remote' | { text: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      // edited text is made from the local side shown: refused (and reloaded) if a save changed it since
      const seen = typeof choice === 'object' && d.localHash !== undefined ? { expectedLocalHash: d.localHash } : {};
      await outpost.conflicts.resolve({ id, choice, ...seen });
      onResolved();
    } catch (e) {
      setError(e as OutpostError);
      if ((e as OutpostError).code === 'conflict') detail.reload();
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-label="Conflict" data-testid="workspace-conflict">
      <div className="card-header">
        <h3>Conflict with the remote ({d.type})</h3>
        <a href={`#/review/${id}`}>Open in the review window</a>
      </div>
      <ErrorBanner error={error} />
      {twinNote(d) && <p className="banner warning" role="note">{twinNote(d)}</p>}
      {d.type === 'binary' ? (
        <p className="muted">A binary file changed on both sides: keep one of them.</p>
      ) : (
        <ThreeWayMerge base={base} local={local} remote={remote} value={value} onChange={setText} />
      )}
      <div className="buttons">
        {d.type !== 'binary' && !(d.type === 'twin' && !d.twinPath) && <button type="button" className="primary" disabled={busy} onClick={() => void resolve({ text: value })}>Resolve with this text</button>}
        {!(d.type === 'twin' && !d.twinPath) && <button type="button" disabled={busy} onClick={() => void resolve('local')}>{local === null ? 'Keep it deleted' : 'Keep local'}</button>}
        <button type="button" disabled={busy} onClick={() => void resolve('remote')}>{remote === null ? 'Delete it (remote)' : 'Keep remote'}</button>
      </div>
    </section>
  );
}
