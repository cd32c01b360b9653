import { hubRequest } from '../../server/test-support/hub-client';
import { compareVv } from '../../shared/sync/version-vector';
import { jsonEqual } from '../../shared/merge/index';
import type { Agent, Page, VersionVector } from '../../shared/domain/records';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import type { WorkspaceItem, WorkspaceItemSummary } from '../../shared/domain/workspace';
import type { ClusterNode } from './cluster';

/**
 * The soak's checker. Given what the API acknowledged during the run, it checks the end state:
 * - convergence: every node holds exactly the hub's live records (and the same workspace items);
 * - nothing lost: every acknowledged write is causally in the final state (the final version vector descends
 *   from it), and a write no later write saw is either the final state or one side of a recorded conflict;
 * - nothing applied twice: each change id appears once in the hub's change log, and no write (author, record,
 *   version vector) was logged under two change ids.
 */
export interface AckedWrite {
  node: string;
  recordId: string;
  vv: VersionVector;
  /** the domain fields written; null for a delete */
  data: Domain | null;
}
export type Domain = { name: unknown; type: unknown; status: unknown; config: unknown };
export const domainOf = (data: Record<string, unknown>): Domain => ({ name: data['name'], type: data['type'], status: data['status'], config: data['config'] });

export interface HubRecord {
  data: Record<string, unknown> | null;
  vv: VersionVector;
}

export interface HubLog {
  /** latest state per agents record */
  records: Map<string, HubRecord>;
  changes: number;
  duplicateChangeIds: string[];
  /** the same write (author, record, vv) logged under more than one change id */
  duplicateWrites: string[];
}

export async function readHubLog(hubUrl: string, observerToken: string): Promise<HubLog> {
  const records = new Map<string, HubRecord>();
  const ids = new Map<string, number>();
  const writes = new Map<string, number>();
  let since = 0;
  let changes = 0;
  for (;;) {
    const page = await hubRequest<{
      changes: Array<{ changeId: string; table: string; recordId: string; op: string; nodeId: string; data?: Record<string, unknown>; vv: VersionVector }>;
      cursor: number;
      hasMore: boolean;
    }>(hubUrl, `/v1/pull?since=${since}&limit=5000`, { token: observerToken });
    if (page.status !== 200) throw new Error(`pull from the hub failed: ${page.status} ${JSON.stringify(page.body).slice(0, 200)}`);
    for (const c of page.body.changes) {
      changes++;
      ids.set(c.changeId, (ids.get(c.changeId) ?? 0) + 1);
      const writeKey = `${c.table}/${c.recordId}@${c.nodeId}:${JSON.stringify(Object.entries(c.vv).sort(([a], [b]) => (a < b ? -1 : 1)))}`;
      writes.set(writeKey, (writes.get(writeKey) ?? 0) + 1);
      if (c.table === 'agents') records.set(c.recordId, { data: c.op === 'delete' ? null : c.data!, vv: c.vv });
    }
    since = page.body.cursor;
    if (!page.body.hasMore) break;
  }
  return {
    records,
    changes,
    duplicateChangeIds: [...ids].filter(([, n]) => n > 1).map(([id]) => id),
    duplicateWrites: [...writes].filter(([, n]) => n > 1).map(([k]) => k),
  };
}

export async function listAllAgents(node: ClusterNode): Promise<Agent[]> {
  const out: Agent[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await node.call<Page<Agent>>('agents.list', { offset, limit: 1000 });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export async function allConflicts(node: ClusterNode, status?: 'pending' | 'resolved' | 'escalated'): Promise<ConflictSummary[]> {
  const out: ConflictSummary[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await node.call<Page<ConflictSummary>>('conflicts.list', { ...(status ? { status } : {}), offset, limit: 1000 });
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

export async function workspaceSnapshot(node: ClusterNode): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let offset = 0; ; offset += 1000) {
    const page = await node.call<Page<WorkspaceItemSummary>>('workspace.list', { offset, limit: 1000 });
    for (const item of page.items) out.set(item.path, (await node.call<WorkspaceItem>('workspace.get', { path: item.path })).content);
    if (offset + page.items.length >= page.total || page.items.length === 0) return out;
  }
}

const sortById = <T extends readonly [string, unknown]>(rows: T[]) => rows.sort(([a], [b]) => (a < b ? -1 : 1));

/** Differences between each node's live records and the hub's (empty when converged). */
export async function convergenceProblems(nodes: ClusterNode[], hub: HubLog): Promise<string[]> {
  const live = sortById([...hub.records].filter(([, r]) => r.data !== null).map(([id, r]) => [id, domainOf(r.data!)] as const));
  const problems: string[] = [];
  for (const node of nodes) {
    const mine = sortById((await listAllAgents(node)).map((a) => [a.id, domainOf(a as unknown as Record<string, unknown>)] as const));
    if (!jsonEqual(mine, live)) {
      const hubIds = new Map(live);
      const nodeIds = new Map(mine);
      const missing = [...hubIds.keys()].filter((id) => !nodeIds.has(id));
      const extra = [...nodeIds.keys()].filter((id) => !hubIds.has(id));
      const differ = [...nodeIds.keys()].filter((id) => hubIds.has(id) && !jsonEqual(hubIds.get(id), nodeIds.get(id)));
      problems.push(`${node.name}: ${mine.length} records vs the hub's ${live.length}; missing ${JSON.stringify(missing.slice(0, 5))}, extra ${JSON.stringify(extra.slice(0, 5))}, different ${JSON.stringify(differ.slice(0, 5))}`);
    }
  }
  return problems;
}

/** Acknowledged writes that are neither in the final state nor in a recorded conflict. */
export async function lostWrites(nodes: ClusterNode[], hub: HubLog, writes: AckedWrite[]): Promise<string[]> {
  const sides: unknown[] = [];
  for (const node of nodes) {
    for (const summary of await allConflicts(node)) {
      if (summary.table !== 'agents') continue;
      const detail = await node.call<ConflictDetail>('conflicts.get', { id: summary.id });
      sides.push(detail.local, detail.remote, detail.replaced);
    }
  }
  const sideDomains = sides.map((s) => (s === null || s === undefined ? null : domainOf(s as Record<string, unknown>)));
  const lost: string[] = [];
  for (const w of writes) {
    const final = hub.records.get(w.recordId);
    if (!final) {
      lost.push(`${w.node}'s write to ${w.recordId} never reached the hub`);
      continue;
    }
    const relation = compareVv(w.vv, final.vv);
    if (relation !== 'before' && relation !== 'equal') {
      lost.push(`${w.node}'s write to ${w.recordId} ${JSON.stringify(w.vv)} is not in the final state's history ${JSON.stringify(final.vv)}`);
      continue;
    }
    const seenLater = writes.some((o) => o !== w && o.recordId === w.recordId && compareVv(w.vv, o.vv) === 'before');
    if (seenLater) continue;
    const isFinal = w.data === null ? final.data === null : final.data !== null && jsonEqual(domainOf(final.data), w.data);
    const considered = sideDomains.some((s) => (w.data === null ? s === null : s !== null && jsonEqual(s, w.data)));
    if (!isFinal && !considered) lost.push(`${w.node}'s write to ${w.recordId} is neither final nor in a recorded conflict: ${JSON.stringify(w.data).slice(0, 200)}`);
  }
  return lost;
}
