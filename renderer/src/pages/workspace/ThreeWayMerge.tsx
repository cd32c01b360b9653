import { useEffect, useMemo, useState } from 'react';
import { applyHunkChoices, mergeText, type HunkChoice } from '../../../../shared/domain/workspace-merge';
import './workspace.css';

/**
 * Three-way text merge for a workspace conflict: the text is cut into the parts both sides agree on and the
 * conflict hunks (the same line merge the node runs, so what merged cleanly there is shown merged here).
 * Per hunk a person takes local, remote, both (either order) or writes their own; the result stays editable
 * as a whole. `onChange` receives the result text on every change.
 */
export interface ThreeWayMergeProps {
  base: string | null;
  local: string | null;
  remote: string | null;
  value: string;
  onChange: (text: string) => void;
  readOnly?: boolean;
  labels?: { local?: string; remote?: string };
}

const choiceLabels: [Exclude<HunkChoice, { text: string }>, string][] = [
  ['local', 'Take local'],
  ['remote', 'Take remote'],
  ['local+remote', 'Both (local first)'],
  ['remote+local', 'Both (remote first)'],
];

export function ThreeWayMerge({ base, local, remote, value, onChange, readOnly = false, labels = {} }: ThreeWayMergeProps) {
  const merge = useMemo(() => mergeText(base ?? '', local ?? '', remote ?? ''), [base, local, remote]);
  const [choices, setChoices] = useState<(HunkChoice | undefined)[]>([]);
  const [manual, setManual] = useState(false);
  const localName = labels.local ?? 'Local (this node)';
  const remoteName = labels.remote ?? 'Remote';

  // a new conflict starts over: every hunk on local, result = the merge with local's side
  useEffect(() => {
    setChoices([]);
    setManual(false);
  }, [merge]);

  const choose = (index: number, choice: HunkChoice) => {
    const next = [...choices];
    next[index] = choice;
    setChoices(next);
    setManual(false);
    onChange(applyHunkChoices(merge.regions, next));
  };

  if (local === null || remote === null) {
    return (
      <div className="three-way" data-testid="three-way-merge">
        <p className="muted">
          {local === null ? `${localName} deleted this item` : `${remoteName} deleted this item`}; the other side changed it. Keep the
          changed text (edit it below) or choose the deletion.
        </p>
        <ResultEditor value={value} onChange={onChange} readOnly={readOnly} />
      </div>
    );
  }

  let hunkIndex = -1;
  return (
    <div className="three-way" data-testid="three-way-merge">
      <p className="muted">
        {merge.conflicts === 0
          ? 'Both sides merge without conflict.'
          : `${merge.conflicts} conflicting hunk${merge.conflicts === 1 ? '' : 's'}: choose a side for each, or edit the result.`}
        {manual && ' The result was edited by hand; choosing a side again rebuilds it from the hunks.'}
      </p>
      <div className="hunks">
        {merge.regions.map((region, i) => {
          if (region.kind === 'ok') {
            return <pre key={i} className="hunk-ok">{region.text}</pre>;
          }
          const index = ++hunkIndex;
          const chosen = choices[index] ?? 'local';
          return (
            <div key={i} className="hunk-conflict" data-testid="conflict-hunk">
              <div className="hunk-sides">
                <div className="hunk-side local">
                  <div className="hunk-title">{localName}</div>
                  <pre>{region.local || '(nothing)'}</pre>
                </div>
                <div className="hunk-side base">
                  <div className="hunk-title">Base</div>
                  <pre>{region.base || '(nothing)'}</pre>
                </div>
                <div className="hunk-side remote">
                  <div className="hunk-title">{remoteName}</div>
                  <pre>{region.remote || '(nothing)'}</pre>
                </div>
              </div>
              {!readOnly && (
                <div className="buttons hunk-choices" role="group" aria-label={`Hunk ${index + 1}`}>
                  {choiceLabels.map(([choice, label]) => (
                    <button
                      key={choice}
                      type="button"
                      aria-pressed={!manual && chosen === choice}
                      onClick={() => choose(index, choice)}
                    >
                      {label}
                    </button>
                  ))}
                </div>
              )}
            </div>
          );
        })}
      </div>
      <ResultEditor
        value={value}
        readOnly={readOnly}
        onChange={(text) => {
          setManual(true);
          onChange(text);
        }}
      />
    </div>
  );
}

function ResultEditor({ value, onChange, readOnly }: { value: string; onChange: (text: string) => void; readOnly: boolean }) {
  return (
    <label className="merge-result">
      <span className="hunk-title">Result</span>
      <textarea aria-label="Merged text" rows={14} value={value} readOnly={readOnly} spellCheck={false} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** The text a merge view starts from: the node's merge with local's side in each conflict hunk. */
export function initialMergeText(base: string | null, local: string | null, remote: string | null): string {
  if (local === null) return remote ?? '';
  if (remote === null) return local;
  return mergeText(base ?? '', local, remote).text;
}
