import { useMemo, useState } from 'react';
import type { ConflictDetail } from '../../../../shared/domain/conflicts';
import { fieldRows, formatValue, preview, sourceOf, valueOf, type Choices, type Pick } from './model';

const pickLabels: [Pick, string, string][] = [
  ['local', 'Local', '1'],
  ['remote', 'Remote', '2'],
  ['base', 'Base', '3'],
  ['edit', 'Edit', 'e'],
];

/**
 * Base, local and remote side by side, one row per field (changed fields first, highlighted), a choice per
 * field, and the live preview of the record the choices write.
 */
export function RecordMerge({
  detail,
  choices,
  setChoice,
  focused,
  setFocused,
  readOnly,
}: {
  detail: ConflictDetail;
  choices: Choices;
  setChoice: (field: string, pick: Pick, edited?: string) => void;
  focused: number;
  setFocused: (index: number) => void;
  readOnly: boolean;
}) {
  const [showUnchanged, setShowUnchanged] = useState(false);
  const rows = useMemo(() => fieldRows(detail), [detail]);
  const visible = rows.filter((r) => r.changed || showUnchanged);
  const result = useMemo(() => preview(detail, choices), [detail, choices]);
  const hidden = rows.length - rows.filter((r) => r.changed).length;

  return (
    <div className="merge">
      <div className="merge-grid" role="grid" aria-label="Fields">
        <div className="merge-row merge-head" role="row">
          <div role="columnheader">Field</div>
          <div role="columnheader">Base</div>
          <div role="columnheader">Local (this node){detail.local === null && ' — deleted'}</div>
          <div role="columnheader">Remote{detail.remote === null && ' — deleted'}</div>
          <div role="columnheader">Choice</div>
        </div>
        {visible.map((row, index) => {
          const state = choices[row.field];
          const source = sourceOf(detail, result.data, row.field);
          const error = result.errors[row.field];
          const classes = ['merge-row', row.changed ? 'changed' : 'unchanged', row.contested ? 'contested' : '', index === focused ? 'focused' : ''];
          return (
            <div
              key={row.field}
              className={classes.join(' ')}
              role="row"
              data-field={row.field}
              aria-selected={index === focused}
              onClick={() => setFocused(index)}
            >
              <div className="field-name" role="rowheader">
                {row.field}
                {row.contested && <span className="badge badge-conflict">both changed</span>}
              </div>
              <pre className="value base">{formatValue(valueOf(detail.base, row.field))}</pre>
              <pre className={`value local${source === 'local' || source === 'both' ? ' chosen' : ''}`}>{formatValue(valueOf(detail.local, row.field))}</pre>
              <pre className={`value remote${source === 'remote' || source === 'both' ? ' chosen' : ''}`}>{formatValue(valueOf(detail.remote, row.field))}</pre>
              <div className="choice">
                {!readOnly && (
                  <div className="segmented" role="radiogroup" aria-label={`Choice for ${row.field}`}>
                    {pickLabels.map(([pick, label, key]) => (
                      <button
                        key={pick}
                        type="button"
                        role="radio"
                        aria-checked={state?.pick === pick}
                        className={state?.pick === pick ? 'on' : ''}
                        title={`${label} (${key})`}
                        data-pick={pick}
                        onClick={() => setChoice(row.field, pick, pick === 'edit' ? (state?.edited ?? editStart(result.data, row.field)) : undefined)}
                      >
                        {label}
                      </button>
                    ))}
                  </div>
                )}
                {state?.pick === 'edit' && !readOnly && (
                  <textarea
                    aria-label={`Edited value of ${row.field}`}
                    rows={Math.min(8, Math.max(2, state.edited.split('\n').length))}
                    value={state.edited}
                    spellCheck={false}
                    onChange={(e) => setChoice(row.field, 'edit', e.target.value)}
                  />
                )}
                {error && <div className="field-error" role="alert">{error}</div>}
                {!state && !readOnly && <div className="muted small">smart merge: {source}</div>}
              </div>
            </div>
          );
        })}
        {hidden > 0 && (
          <button type="button" className="link" onClick={() => setShowUnchanged((v) => !v)}>
            {showUnchanged ? 'Hide' : 'Show'} {hidden} unchanged field{hidden === 1 ? '' : 's'}
          </button>
        )}
      </div>
      {!readOnly && (
        <section className="card preview" aria-label="Preview">
          <h2>Result preview</h2>
          {result.error ? (
            <div className="field-error" role="alert">{result.error}</div>
          ) : (
            <pre data-testid="preview">{result.data === null ? '(the record is deleted)' : JSON.stringify(result.data, null, 2)}</pre>
          )}
        </section>
      )}
    </div>
  );
}

function editStart(data: Record<string, unknown> | null, field: string): string {
  const value = data ? valueOf(data, field) : undefined;
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}
