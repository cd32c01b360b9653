import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ConflictChoice } from '../../../../shared/api/conflicts';
import { replacedEditsNote, twinNote, type ConflictDetail, type ConflictSummary } from '../../../../shared/domain/conflicts';
import type { OutpostError } from '../../../../shared/errors';
import { outpost } from '../../outpost';
import { useApi } from '../../hooks';
import { ErrorBanner, Loading, StatusBadge } from '../../components';
import { RecordMerge } from './RecordMerge';
import { TextMerge } from './TextMerge';
import { initialMergeText } from '../workspace/ThreeWayMerge';
import { fieldRows, pickKeys, portableChoice, preview, similarTo, type Choices, type Pick } from './model';

interface Props {
  id: string;
  /** pending conflicts known to the caller: for "apply to all similar" */
  pending: ConflictSummary[];
  onNext: () => void;
  onPrev: () => void;
  /** after a resolve or escalate; defaults to onNext */
  onResolved?: () => void;
}

const typing = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.tagName === 'TEXTAREA' || target.tagName === 'INPUT' || target.tagName === 'SELECT');

/** One conflict: the sides, the suggestions, a choice per field, and resolve / skip / escalate / undo. */
export function ConflictReview({ id, pending, onNext, onPrev, onResolved }: Props) {
  const detail = useApi(() => outpost.conflicts.get({ id }), [id], ['conflicts.changed']);
  if (detail.error && !detail.data) return <ErrorBanner error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <Loading />;
  return (
    <ReviewBody key={detail.data.id + detail.data.status} detail={detail.data} pending={pending} onNext={onNext} onPrev={onPrev} onResolved={onResolved ?? onNext} reload={detail.reload} />
  );
}

function ReviewBody({ detail, pending, onNext, onPrev, onResolved, reload }: Omit<Props, 'id' | 'onResolved'> & { detail: ConflictDetail; reload: () => void; onResolved: () => void }) {
  const [choices, setChoices] = useState<Choices>({});
  const [text, setText] = useState(() => initialText(detail));
  const [focused, setFocused] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<OutpostError>();
  const [notice, setNotice] = useState<string>();
  const readOnly = detail.status === 'resolved';
  const isRecord = detail.kind === 'record';
  const rows = useMemo(() => (isRecord ? fieldRows(detail).filter((r) => r.changed) : []), [detail, isRecord]);
  const similar = useMemo(() => similarTo(detail, pending), [detail, pending]);
  const result = useMemo(() => (isRecord ? preview(detail, choices) : null), [detail, choices, isRecord]);
  const blocked = result !== null && (Boolean(result.error) || Object.keys(result.errors).length > 0);

  const setChoice = useCallback((field: string, pick: Pick, edited?: string) => {
    setChoices((c) => ({ ...c, [field]: { pick, edited: edited ?? c[field]?.edited ?? '' } }));
  }, []);

  const run = async (what: string, action: () => Promise<unknown>, after: () => void = onResolved) => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setNotice(what);
      after();
    } catch (err) {
      setError(err as OutpostError);
      // a text conflict whose local side changed since it was shown (a save landed): show the new side
      if ((err as OutpostError).code === 'conflict' && !isRecord) reload();
    } finally {
      setBusy(false);
    }
  };

  const currentChoice = (): ConflictChoice => {
    if (!isRecord) return { text };
    const picked = Object.entries(choices);
    if (picked.length === 0) return 'merge';
    return { fields: Object.fromEntries(picked.map(([f, s]) => [f, s.pick === 'edit' ? { value: JSON.parse(s.edited) as never } : s.pick])) };
  };
  // edited text and a merge are made from the local side shown: the node refuses them if it changed since
  const seen = !isRecord && detail.localHash !== undefined ? { expectedLocalHash: detail.localHash } : {};
  const resolve = (choice: ConflictChoice = currentChoice()) =>
    run('Resolved.', () => outpost.conflicts.resolve({ id: detail.id, choice, ...(choice === 'merge' || typeof choice === 'object' ? seen : {}) }));
  const escalate = () => run('Escalated.', () => outpost.conflicts.escalate({ id: detail.id }));
  const undo = () => run('Automatic resolution undone: the conflict is pending again.', () => outpost.conflicts.undo({ id: detail.id }), reload);
  const applySimilar = async () => {
    const choice = portableChoice(choices);
    if (!choice) return;
    const targets = [detail.id, ...similar.map((s) => s.id)];
    let failed = 0;
    await run(`Applied to ${targets.length} conflicts.`, async () => {
      for (const target of targets) {
        try {
          await outpost.conflicts.resolve({ id: target, choice });
        } catch {
          failed++;
        }
      }
      if (failed) throw Object.assign(new Error(`${failed} of ${targets.length} could not take this choice; they stay pending.`), { code: 'invalid_input' });
    });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
        e.preventDefault();
        if (!readOnly && !busy && !blocked) void resolve();
        return;
      }
      if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'j' || e.key === 'ArrowDown') setFocused((f) => Math.min(f + 1, Math.max(rows.length - 1, 0)));
      else if (e.key === 'k' || e.key === 'ArrowUp') setFocused((f) => Math.max(f - 1, 0));
      else if (e.key === 'n' || e.key === 'J') onNext();
      else if (e.key === 'p' || e.key === 'K') onPrev();
      else if (e.key === 's') onNext();
      else if (!readOnly && pickKeys[e.key] && rows[focused]) setChoice(rows[focused].field, pickKeys[e.key]!);
      else if (!readOnly && e.key === 'e' && rows[focused]) {
        e.preventDefault();
        setChoice(rows[focused].field, 'edit', JSON.stringify(result?.data?.[rows[focused].field] ?? null, null, 2));
      } else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  return (
    <article className="review" aria-label={`Conflict ${detail.id}`} data-conflict={detail.id}>
      <header className="review-head">
        <h2>
          {detail.title} <small className="muted">{detail.table} / <code>{detail.recordId}</code></small>
        </h2>
        <span className="muted small" data-testid="conflict-sides">
          this node: {detail.sides.local} · other side: {detail.sides.remote}
        </span>
        <StatusBadge status={detail.status} />
        <span className="badge">{detail.type}</span>
        {detail.automatic && <span className="badge">auto: {detail.strategy} ({Math.round((detail.confidence ?? 0) * 100)}%)</span>}
        <span className="muted small">detected {new Date(detail.detectedAt).toLocaleString()}</span>
      </header>
      {replacedEditsNote(detail) && (
        <div className="banner warning" role="note" data-testid="replaced-edits">
          {replacedEditsNote(detail)}
          {detail.undoable ? ' Undo the resolution below to take your edit back.' : ''}
        </div>
      )}
      {twinNote(detail) && (
        <div className="banner warning" role="note" data-testid="twin-note">{twinNote(detail)}</div>
      )}
      <ErrorBanner error={error} />
      {notice && !error && <div className="banner ok" role="status">{notice}</div>}

      {!readOnly && detail.suggestions.length > 0 && (
        <div className="suggestions" aria-label="Suggestions">
          {detail.suggestions.map((s) => (
            <div key={s.choice} className="card suggestion">
              <div className="card-header">
                <strong>{s.choice === 'local' ? 'Keep local' : s.choice === 'remote' ? 'Keep remote' : 'Smart merge'}</strong>
                <span className="badge">{Math.round(s.confidence * 100)}%</span>
              </div>
              <p className="small">{s.tradeoff}</p>
              <details className="small">
                <summary>Show the result</summary>
                <pre>{s.data === null ? '(deleted)' : typeof s.data === 'string' ? s.data : JSON.stringify(s.data, null, 2)}</pre>
              </details>
              <button type="button" disabled={busy} onClick={() => void resolve(s.choice)}>
                Use {s.choice === 'merge' ? 'merge' : s.choice}
              </button>
            </div>
          ))}
        </div>
      )}

      {isRecord ? (
        <RecordMerge detail={detail} choices={choices} setChoice={setChoice} focused={focused} setFocused={setFocused} readOnly={readOnly} />
      ) : (
        <TextMerge detail={detail} text={text} setText={setText} readOnly={readOnly} />
      )}

      {readOnly && (
        <section className="card" aria-label="Resolution">
          <h2>Resolution{detail.resolvedBy ? ` by ${detail.resolvedBy}` : ''}</h2>
          <p className="small muted">strategy: {detail.strategy ?? '—'}{detail.resolvedAt ? ` · ${new Date(detail.resolvedAt).toLocaleString()}` : ''}</p>
          {isRecord && <pre>{detail.resolved === null ? '(the record is deleted)' : JSON.stringify(detail.resolved, null, 2)}</pre>}
          {detail.undoable && (
            <>
              <h2>Replaced</h2>
              <pre>{JSON.stringify(detail.replaced, null, 2)}</pre>
              <button type="button" className="danger" disabled={busy} onClick={() => void undo()}>Undo automatic resolution</button>
            </>
          )}
        </section>
      )}

      {!readOnly && (
        <footer className="review-actions buttons">
          <button type="button" className="primary" disabled={busy || blocked} onClick={() => void resolve()} title="Ctrl+Enter">
            Resolve
          </button>
          <button type="button" disabled={busy} onClick={onNext} title="s">Skip</button>
          {detail.status !== 'escalated' && (
            <button type="button" disabled={busy} onClick={() => void escalate()}>Escalate</button>
          )}
          {isRecord && similar.length > 0 && (
            <button
              type="button"
              disabled={busy || portableChoice(choices) === null || Object.keys(choices).length === 0}
              title="Applies the same field picks (not edited values) to every pending conflict of the same shape"
              onClick={() => void applySimilar()}
            >
              Apply to all {similar.length + 1} similar
            </button>
          )}
          <span className="muted small keys">j/k fields · 1 local · 2 remote · 3 base · e edit · n/p conflicts · s skip · Ctrl+Enter resolve</span>
        </footer>
      )}
    </article>
  );
}

function initialText(detail: ConflictDetail): string {
  if (detail.kind !== 'text') return '';
  const merge = detail.suggestions.find((s) => s.choice === 'merge');
  if (typeof merge?.data === 'string') return merge.data;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return initialMergeText(text(detail.base), text(detail.local), text(detail.remote));
}
