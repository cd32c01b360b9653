import type { ConflictDetail } from '../../../../shared/domain/conflicts';

/**
 * A workspace text conflict: base, local and remote text side by side and the result as editable text
 * (started from the node's merge proposal, conflict hunks holding the local side).
 */
export function TextMerge({
  detail,
  text,
  setText,
  readOnly,
}: {
  detail: ConflictDetail;
  text: string;
  setText: (text: string) => void;
  readOnly: boolean;
}) {
  const show = (value: unknown) => (value === null || value === undefined ? '(absent)' : String(value));
  return (
    <div className="text-merge">
      <div className="text-sides">
        {(['base', 'local', 'remote'] as const).map((side) => (
          <section key={side} className="card" aria-label={`${side} text`}>
            <div className="card-header">
              <h2>{side === 'local' ? 'Local (this node)' : side[0]!.toUpperCase() + side.slice(1)}</h2>
              {!readOnly && side !== 'base' && detail[side] !== null && (
                <button type="button" onClick={() => setText(show(detail[side]))}>Use {side}</button>
              )}
            </div>
            <pre>{show(detail[side])}</pre>
          </section>
        ))}
      </div>
      {!readOnly && (
        <section className="card preview" aria-label="Result">
          <h2>Result</h2>
          <textarea aria-label="Merged text" rows={14} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} />
        </section>
      )}
    </div>
  );
}
