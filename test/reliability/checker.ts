import { hubRequest } from '../../server/test-support/hub-client';
import { compareVv } from '../../shared/sync/version-vector';
import { jsonEqual } from '../../shared/merge/index';
import { syncedTables, type Page, type SyncedTable, type VersionVector } from '../../shared/domain/records';
import { tableDecls } from '../../shared/tables/index';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import type { WorkspaceCommit, WorkspaceItem, WorkspaceItemAtCommit, WorkspaceItemSummary } from '../../shared/domain/workspace';

/**
 * The checker of the soak and the fault suites. Given what the API acknowledged during the run, it checks the
 * end state:
 * - convergence: every node holds exactly the hub's live records of every synced table (agents, workflows,
 *   executions), and the same workspace items;
 * - nothing lost: every acknowledged record write is causally in the final state (the final version vector
 *   descends from it), and a write no later write saw is either the final state or one side of a conflict
 *   recorded for that same record; every acknowledged workspace save is the final content, in the item's
 *   history, or one side of a conflict recorded for that item;
 * - nothing applied twice: each change id appears once in the hub's change log, and no write (author, record,
 *   version vector) was logged under two change ids.
 */
export interface AckedWrite {
  node: string;
  table: SyncedTable;
  recordId: string;
  vv: VersionVector;
  /** the domain fields written (see `domainOf`); null for a delete */
  data: Domain | null;
}
export type Domain = Record<string, unknown>;

/**
 * The fields a write sets, per table: what the API lets a caller write (its declaration's create and patchable
 * fields). Left out: the id, createdAt/updatedAt, the sync columns, the times a status move stamps and the fields
 * the node derives itself (a workflow's lastExecution and executionCount).
 */
export const DOMAIN_FIELDS = Object.fromEntries(
  syncedTables.map((t) => [t, [...new Set<string>([...tableDecls[t].create, ...tableDecls[t].patchable])]]),
) as unknown as Record<SyncedTable, readonly string[]>;
export function domainOf(table: SyncedTable, data: Record<string, unknown>): Domain {
  const fields = DOMAIN_FIELDS[table];
  return Object.fromEntries(fields.map((f) => [f, data[f] ?? null]));
}
export const recordKey = (table: string, recordId: string) => `${table}/${recordId}`;

/** What the checker needs of a node: its name and its API. */
export interface CheckedNode {
  name: string;
  call<T = unknown>(method: string, input?: unknown): Promise<T>;
}

export interface HubRecord {
  data: Record<string, unknown> | null;
  vv: VersionVector;
}

export interface HubLog {
  /** latest state per record of every synced table, keyed by `recordKey(table, recordId)` */
  records: Map<string, HubRecord>;
  changes: number;
  duplicateChangeIds: string[];
  /** the same write (author, record, vv) logged under more than one change id */
  duplicateWrites: string[];
  /** per author: its changes stored on the hub, as `recordKey wall-ms-of-hlc` (the skew check reads them) */
  stampsByNode: Map<string, Array<{ key: string; wallMs: number }>>;
}

/** One entry of the hub's change log, as pulled. */
export interface LoggedChange {
  changeId: string;
  table: string;
  recordId: string;
  op: string;
  nodeId: string;
  data?: Record<string, unknown>;
  vv: VersionVector;
  /** the change's hybrid logical clock as stored on the hub */
  hlc: string;
}

/** The checker's reading of a change log, in log order: latest states, change ids and writes seen twice. */
export function summarizeLog(changes: LoggedChange[]): HubLog {
  const records = new Map<string, HubRecord>();
  const ids = new Map<string, number>();
  const writes = new Map<string, number>();
  const stampsByNode = new Map<string, Array<{ key: string; wallMs: number }>>();
  for (const c of changes) {
    const stamps = stampsByNode.get(c.nodeId) ?? [];
    stamps.push({ key: recordKey(c.table, c.recordId), wallMs: Number(/^(\d+)-/.exec(c.hlc ?? '')?.[1] ?? NaN) });
    stampsByNode.set(c.nodeId, stamps);
    ids.set(c.changeId, (ids.get(c.changeId) ?? 0) + 1);
    const writeKey = `${recordKey(c.table, c.recordId)}@${c.nodeId}:${JSON.stringify(Object.entries(c.vv).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
    writes.set(writeKey, (writes.get(writeKey) ?? 0) + 1);
    records.set(recordKey(c.table, c.recordId), { data: c.op === 'delete' ? null : c.data!, vv: c.vv });
  }
  return {
    records,
    changes: changes.length,
    duplicateChangeIds: [...ids].filter(([, n]) => n > 1).map(([id]) => id),
    duplicateWrites: [...writes].filter(([, n]) => n > 1).map(([k]) => k),
    stampsByNode,
  };
}

export async function readHubLog(hubUrl: string, observerToken: string): Promise<HubLog> {
  const changes: LoggedChange[] = [];
  let since = 0;
  for (;;) {
    const page = await hubRequest<{ changes: LoggedChange[]; cursor: number; hasMore: boolean }>(hubUrl, `/v1/pull?since=${since}&limit=5000`, { token: observerToken });
    if (page.status !== 200) throw new Error(`pull from the hub failed: ${page.status} ${JSON.stringify(page.body).slice(0, 200)}`);
    changes.push(...page.body.changes);
    since = page.body.cursor;
    if (!page.body.hasMore) break;
  }
  return summarizeLog(changes);
}

/** Every live record of one table on a node. */
export async function listAll(node: CheckedNode, table: SyncedTable): Promise<Array<{ id: string } & Record<string, unknown>>> {
  const out: Array<{ id: string } & Record<string, unknown>> = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await node.call<Page<{ id: string } & Record<string, unknown>>>(`${table}.list`, { offset, limit: 1000 });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export async function allConflicts(node: CheckedNode, status?: 'pending' | 'resolved' | 'escalated'): Promise<ConflictSummary[]> {
  const out: ConflictSummary[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await node.call<Page<ConflictSummary>>('conflicts.list', { ...(status ? { status } : {}), offset, limit: 1000 });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export async function workspaceSnapshot(node: CheckedNode): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let offset = 0; ; offset += 1000) {
    const page = await node.call<Page<WorkspaceItemSummary>>('workspace.list', { offset, limit: 1000 });
    for (const item of page.items) out.set(item.path, (await node.call<WorkspaceItem>('workspace.get', { path: item.path })).content);
    if (offset + page.items.length >= page.total || page.items.length === 0) return out;
  }
}

const sortById = <T extends readonly [string, unknown]>(rows: T[]) => rows.sort(([a], [b]) => (a < b ? -1 : 1));

/** Differences between each node's live records and the hub's, table by table (empty when converged). */
export async function convergenceProblems(nodes: CheckedNode[], hub: HubLog, tables: readonly SyncedTable[] = syncedTables): Promise<string[]> {
  const problems: string[] = [];
  for (const table of tables) {
    const prefix = recordKey(table, '');
    const live = sortById(
      [...hub.records]
        .filter(([key, r]) => key.startsWith(prefix) && r.data !== null)
        .map(([key, r]) => [key.slice(prefix.length), domainOf(table, r.data!)] as const),
    );
    for (const node of nodes) {
      const mine = sortById((await listAll(node, table)).map((a) => [a.id, domainOf(table, a)] as const));
      if (jsonEqual(mine, live)) continue;
      const hubIds = new Map(live);
      const nodeIds = new Map(mine);
      const missing = [...hubIds.keys()].filter((id) => !nodeIds.has(id));
      const extra = [...nodeIds.keys()].filter((id) => !hubIds.has(id));
      const differ = [...nodeIds.keys()].filter((id) => hubIds.has(id) && !jsonEqual(hubIds.get(id), nodeIds.get(id)));
      problems.push(`${node.name} ${table}: ${mine.length} records vs the hub's ${live.length}; missing ${JSON.stringify(missing.slice(0, 5))}, extra ${JSON.stringify(extra.slice(0, 5))}, different ${JSON.stringify(differ.slice(0, 5))}`);
    }
  }
  return problems;
}

/** The sides of the conflicts every node recorded, per record (`recordKey`) or workspace path (`workspace/<path>`). */
async function conflictSides(nodes: CheckedNode[], seen?: Map<string, string[]>): Promise<Map<string, unknown[]>> {
  const sides = new Map<string, unknown[]>();
  for (const node of nodes) {
    for (const summary of await allConflicts(node)) {
      const detail = await node.call<ConflictDetail>('conflicts.get', { id: summary.id });
      const key = recordKey(summary.table, summary.recordId);
      sides.set(key, [...(sides.get(key) ?? []), detail.local, detail.remote, detail.replaced]);
      seen?.set(key, [...(seen.get(key) ?? []), `${node.name} ${summary.id} ${summary.status} ${summary.detectedAt}..${summary.resolvedAt ?? ''} ${summary.strategy ?? ''}`]);
    }
  }
  return sides;
}

/**
 * Acknowledged record writes (of any synced table) that are neither in the final state nor one side of a
 * conflict recorded for the same record.
 */
export async function lostWrites(nodes: CheckedNode[], hub: HubLog, writes: AckedWrite[]): Promise<string[]> {
  const sides = await conflictSides(nodes);
  const lost: string[] = [];
  for (const w of writes) {
    const key = recordKey(w.table, w.recordId);
    const final = hub.records.get(key);
    if (!final) {
      lost.push(`${w.node}'s write to ${key} never reached the hub`);
      continue;
    }
    const relation = compareVv(w.vv, final.vv);
    if (relation !== 'before' && relation !== 'equal') {
      lost.push(`${w.node}'s write to ${key} ${JSON.stringify(w.vv)} is not in the final state's history ${JSON.stringify(final.vv)}`);
      continue;
    }
    const seenLater = writes.some((o) => o !== w && o.table === w.table && o.recordId === w.recordId && compareVv(w.vv, o.vv) === 'before');
    if (seenLater) continue;
    const isFinal = w.data === null ? final.data === null : final.data !== null && jsonEqual(domainOf(w.table, final.data), w.data);
    const considered = (sides.get(key) ?? []).some((s) =>
      w.data === null ? s === null : s !== null && s !== undefined && jsonEqual(domainOf(w.table, s as Record<string, unknown>), w.data),
    );
    if (!isFinal && !considered) lost.push(`${w.node}'s write to ${key} is neither final nor in a conflict recorded for it: ${JSON.stringify(w.data).slice(0, 200)}`);
  }
  return lost;
}

/** An acknowledged `workspace.save`. */
export interface AckedSave {
  node: string;
  path: string;
  content: string;
  /** when it was acknowledged (ms since the epoch), for the report */
  at?: number;
}

/**
 * Acknowledged workspace saves that are lost: not the final content (on `reference`, a converged node), not in
 * the item's history there (committed and merged in, so a later edit replaced it knowingly), not overwritten
 * by a later save of the same node (which saw it), and not one side of a conflict recorded for that path.
 */
export async function lostSaves(nodes: CheckedNode[], reference: CheckedNode, saves: AckedSave[]): Promise<string[]> {
  const final = await workspaceSnapshot(reference);
  const seen = new Map<string, string[]>();
  const sides = await conflictSides(nodes, seen);
  const history = new Map<string, Set<string>>();
  const historyOf = async (path: string): Promise<Set<string>> => {
    let contents = history.get(path);
    if (!contents) {
      contents = new Set();
      for (const commit of await reference.call<WorkspaceCommit[]>('workspace.log', { path, limit: 1000 })) {
        const at = await reference.call<WorkspaceItemAtCommit>('workspace.show', { path, commit: commit.id });
        if (at.exists && at.content !== null) contents.add(at.content);
      }
      history.set(path, contents);
    }
    return contents;
  };
  const lost: string[] = [];
  for (const [i, s] of saves.entries()) {
    if (final.get(s.path) === s.content) continue;
    if (saves.slice(i + 1).some((o) => o.node === s.node && o.path === s.path)) continue;
    if ((sides.get(recordKey('workspace', s.path)) ?? []).includes(s.content)) continue;
    if ((await historyOf(s.path)).has(s.content)) continue;
    const when = s.at ? ` at ${new Date(s.at).toISOString()}` : '';
    const conflicts = seen.get(recordKey('workspace', s.path)) ?? [];
    lost.push(
      `${s.node}'s save of ${s.path}${when} is neither final, in its history nor in a conflict recorded for it: ${JSON.stringify(s.content).slice(0, 120)}` +
        ` (conflicts on the path: ${conflicts.length ? conflicts.join('; ') : 'none'})`,
    );
  }
  return lost;
}

/**
 * A skewed node must never win last-writer-wins by its future clock: every change of `nodeId` stored on the hub
 * carries a hybrid logical clock no later than the hub's time (`hubNowMs`, read at the check, so the bound is
 * the check's time, not each change's arrival) plus `maxAheadMs`. One line per change beyond it (or unreadable).
 */
export function futureStamps(hub: HubLog, nodeId: string, hubNowMs: number, maxAheadMs: number): string[] {
  return (hub.stampsByNode.get(nodeId) ?? [])
    .filter((s) => !(s.wallMs <= hubNowMs + maxAheadMs))
    .map((s) => `${nodeId}'s change to ${s.key} is stored on the hub stamped ${Number.isFinite(s.wallMs) ? `${Math.round((s.wallMs - hubNowMs) / 60_000)} min ahead of the hub` : 'with an unreadable clock'}`);
}

/** The acknowledged writes not (yet) causally in the hub's state of their record: empty once they all reached it. */
export function writesNotOnHub(hub: HubLog, writes: AckedWrite[]): AckedWrite[] {
  return writes.filter((w) => {
    const final = hub.records.get(recordKey(w.table, w.recordId));
    if (!final) return true;
    const relation = compareVv(w.vv, final.vv);
    return relation !== 'before' && relation !== 'equal';
  });
}
