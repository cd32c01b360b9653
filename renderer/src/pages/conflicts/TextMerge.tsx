import type { ConflictDetail } from '../../../../shared/domain/conflicts';
import { ThreeWayMerge } from '../workspace/ThreeWayMerge';

const asText = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * A workspace text conflict: the workspace's three-way merge view (conflict hunks with take local / remote /
 * both, and the result as editable text), fed from the conflict's base, local and remote.
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
  return (
    <ThreeWayMerge
      base={asText(detail.base)}
      local={asText(detail.local)}
      remote={asText(detail.remote)}
      value={readOnly ? (asText(detail.resolved) ?? '') : text}
      onChange={setText}
      readOnly={readOnly}
    />
  );
}
