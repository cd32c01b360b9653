import { TEXT_CONFLICT_ID } from '../../shared/domain/conflicts';
import { OutpostError } from '../../shared/errors';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import type { Page } from '../../shared/domain/records';
import type { ConflictRow } from './store';
import type { Workspace } from './workspace';
import type { TextConflict } from '../conflicts/ports';
import { textDetail, textSummary } from '../conflicts/views';
import { textOid } from '../../lib/git-blob';

/**
 * Workspace text conflicts as the conflicts.* handlers see them: ids `w:<id>`, kind 'text', types
 * 'modify-modify' | 'modify-delete' | 'binary' | 'twin', table 'workspace', recordId = the item path (for a twin, this
 * node's name; `twinPath` the remote's).
 * base/local/remote are the texts (null: absent on that side, or binary); `resolved` the chosen text.
 */
export async function listTextConflicts(
  ws: Workspace,
  input: { status?: 'pending' | 'resolved' | 'escalated'; offset?: number; limit?: number } = {},
): Promise<Page<ConflictSummary>> {
  const offset = input.offset ?? 0;
  const limit = input.limit ?? 100;
  const { rows, total } = await ws.conflictRows({ ...(input.status ? { status: input.status } : {}), offset, limit });
  return { items: rows.map(toSummary), total, offset, limit };
}

export async function getTextConflict(ws: Workspace, id: string): Promise<ConflictDetail> {
  const row = await ws.conflictRow(parseId(id));
  if (!row) throw new OutpostError('not_found', `Conflict ${JSON.stringify(id)} does not exist.`);
  return toDetail(row);
}

/**
 * A resolution: the edited text, or one side whole ('local' | 'remote'; for binary conflicts, the only choice).
 * Edited text may name the local side it was made from (`expectedLocalHash`, see localHashOf).
 */
export async function resolveTextConflict(
  ws: Workspace,
  id: string,
  resolution: string | 'local' | 'remote' | { text: string; expectedLocalHash?: string | null },
  resolvedBy?: string,
): Promise<ConflictDetail> {
  const choice: { text: string; expectedLocalHash?: string | null } | { side: 'local' | 'remote' } =
    typeof resolution === 'object'
      ? resolution
      : resolution === 'local' || resolution === 'remote'
        ? { side: resolution }
        : { text: resolution };
  const { row } = await ws.resolveConflict(parseId(id), choice, resolvedBy);
  return toDetail(row);
}

export function isTextConflictId(id: string): boolean {
  return TEXT_CONFLICT_ID.test(id);
}

function parseId(id: string): string {
  if (!isTextConflictId(id)) throw new OutpostError('invalid_input', `${JSON.stringify(id.slice(0, 80))} is not a workspace conflict id (w:<id>).`);
  return id.slice(2);
}

/** A conflict row as the conflict service's port sees it (main/conflicts/ports.ts). */
export function toTextConflict(r: ConflictRow): TextConflict {
  return {
    id: r.id,
    path: r.item_path,
    type: r.kind,
    status: r.status === 'superseded' ? 'resolved' : r.status,
    detectedAt: new Date(r.detected_at).toISOString(),
    resolvedAt: r.resolved_at ? new Date(r.resolved_at).toISOString() : null,
    strategy: r.resolution_strategy ?? (r.status === 'superseded' ? 'superseded' : null),
    resolvedBy: r.resolved_by,
    base: r.base_content,
    local: r.local_content,
    remote: r.remote_content,
    resolved: r.resolved_deleted ? null : r.resolved_content,
    localHash: localHashOf(r),
    ...(r.kind === 'twin' ? { twinPath: r.twin_path } : {}),
  };
}

/** What a resolution built from a conflict's local text says it saw: that text's Git blob id (null: none). */
export function localHashOf(r: Pick<ConflictRow, 'local_content'>): string | null {
  return r.local_content === null ? null : textOid(r.local_content);
}

// one mapping to the API's shapes, shared with the conflict service
const toSummary = (r: ConflictRow): ConflictSummary => textSummary(toTextConflict(r));
const toDetail = (r: ConflictRow): ConflictDetail => textDetail(toTextConflict(r));
