/**
 * Convergence: a real hub (PGlite) and three nodes (edge store + sync host with its forked worker, composed as
 * main/node.ts does, plus the conflict service and the automatic resolver on the sync host's hook). Random
 * concurrent edits, deletes and same-id creates while sync is paused and resumed at random; then every
 * conflict left for a person is resolved through the API handlers. Every node and the hub end with the same
 * records, and every write is either causally in the final state or was put before a resolution.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestHub, type TestHub } from '../sync/support';
import { startTestNode, type TestNode } from '../sync/harness';
import { AutoResolver } from '../../main/conflicts/auto-resolver';
import { ConflictService } from '../../main/conflicts/service';
import { conflictHandlers } from '../../main/api/conflicts';
import { dispatch } from '../../shared/api/dispatch';
import type { Handlers } from '../../shared/api/index';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import type { Agent, Page, VersionVector } from '../../shared/domain/records';
import { compareVv, incrementVv } from '../../shared/sync/version-vector';
import { jsonEqual } from '../../shared/merge/index';

interface Node {
  t: TestNode;
  service: ConflictService;
  api: Handlers;
}
interface Write {
  node: string;
  recordId: string;
  vv: VersionVector;
  data: Record<string, unknown> | null;
}

const SEED = Number(process.env.OUTPOST_CONVERGENCE_SEED ?? Date.now() % 1_000_000);
let rng = SEED;
const random = () => {
  // mulberry32: a reproducible run from the printed seed
  rng = (rng + 0x6d2b79f5) | 0;
  let t = Math.imul(rng ^ (rng >>> 15), 1 | rng);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

let hub: TestHub;
let observerToken: string;
const nodes: Node[] = [];
const writes: Write[] = [];
let round = 0;

before(async () => {
  hub = await startTestHub();
  observerToken = (await hub.enroll('observer', 'observer')).token;
  for (const id of ['node-1', 'node-2', 'node-3']) {
    const { token } = await hub.enroll(id, id);
    const t = await startTestNode({
      nodeId: id,
      hub: { url: hub.url, token },
      // merge resolves what does not overlap and leaves the rest to a person; deletes against edits go to a person
      settings: { conflicts: { tables: { agents: { strategy: 'merge' } }, deleteUpdatePolicy: 'manual' } },
    });
    const service = new ConflictService({ records: t.store, events: t.ctx.events, log: t.ctx.log, personName: () => `person@${id}` });
    const resolver = new AutoResolver({ store: t.store, settings: () => t.ctx.settings.get(), log: t.ctx.log, afterBatch: () => service.refreshPending() });
    t.host.onConflictsRecorded((ids) => void resolver.onConflictsRecorded(ids));
    nodes.push({ t, service, api: conflictHandlers(service) as Handlers });
  }
});
after(async () => {
  for (const n of nodes) await n.t.destroy();
  await hub?.destroy();
});

async function call<T>(node: Node, method: 'conflicts.list' | 'conflicts.get' | 'conflicts.resolve', input: unknown): Promise<T> {
  const envelope = await dispatch(node.api, method, input, { transport: 'internal' });
  if (!envelope.ok) throw new Error(`${method}: ${envelope.error.code}: ${envelope.error.message}`);
  return envelope.value as T;
}

const domainOf = (data: Record<string, unknown>) => ({ name: data['name'], type: data['type'], status: data['status'], config: data['config'] });

function record(node: Node, agent: Agent, recordId: string): void {
  writes.push({ node: node.t.nodeId, recordId, vv: agent.vv, data: domainOf(agent as unknown as Record<string, unknown>) });
}

function randomEdit(node: Node, ids: string[]): void {
  const store = node.t.store;
  const roll = random();
  if (roll < 0.12) {
    // same-id creates on different nodes: create-create conflicts
    const id = `dup-${round}-${Math.floor(random() * 2)}`; // several nodes may create it in the same round
    try {
      record(node, store.createAgent({ id, name: `dup from ${node.t.nodeId}`, type: pick(['llm', 'tool']), config: { origin: node.t.nodeId } }), id);
      ids.push(id);
    } catch {
      /* exists here already */
    }
    return;
  }
  const id = pick(ids);
  let current: Agent;
  try {
    current = store.getAgent(id);
  } catch {
    return; // deleted here
  }
  if (roll < 0.18) {
    store.deleteAgent(id, current.version);
    // a delete is a write by this node on top of what it had: its vector is one step past the row's
    writes.push({ node: node.t.nodeId, recordId: id, vv: incrementVv(current.vv, node.t.nodeId), data: null });
    return;
  }
  const patch =
    roll < 0.4
      ? { name: `${id} ${pick(['alpha', 'beta', 'gamma', 'delta'])} by ${node.t.nodeId}` }
      : roll < 0.55
        ? { status: pick(['inactive', 'active', 'paused', 'running'] as const) }
        : roll < 0.8
          ? { config: { ...current.config, model: pick(['s', 'm', 'l']) } }
          : { config: { ...current.config, tools: [...new Set([...((current.config['tools'] as string[]) ?? []), pick(['web', 'code', 'shell', 'mail'])])] } };
  record(node, store.updateAgent({ id, patch, expectedVersion: current.version }), id);
}

async function syncNode(node: Node): Promise<void> {
  if (node.t.ctx.settings.get().sync.paused) return;
  await node.t.host.syncNow();
}

async function hubState(): Promise<Map<string, { data: Record<string, unknown> | null; vv: VersionVector }>> {
  const state = new Map<string, { data: Record<string, unknown> | null; vv: VersionVector }>();
  let since = 0;
  for (;;) {
    const res = await fetch(`${hub.url}/v1/pull?since=${since}&limit=1000`, { headers: { authorization: `Bearer ${observerToken}` } });
    const body = (await res.json()) as {
      changes: Array<{ table: string; recordId: string; op: string; data?: Record<string, unknown>; vv: VersionVector }>;
      cursor: number;
      hasMore: boolean;
    };
    for (const c of body.changes) if (c.table === 'agents') state.set(c.recordId, { data: c.op === 'delete' ? null : c.data!, vv: c.vv });
    since = body.cursor;
    if (!body.hasMore) return state;
  }
}


test(`three nodes converge after random concurrent edits and resolutions (seed ${SEED})`, { timeout: 120_000 }, async () => {
  const [first] = nodes;
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const id = `agent-${i}`;
    record(first!, first!.t.store.createAgent({ id, name: id, type: 'llm', config: { model: 's', tools: ['search'] } }), id);
    ids.push(id);
  }
  await syncNode(first!);
  for (const n of nodes.slice(1)) await syncNode(n);

  // one certain create-create: two nodes create the same id before either syncs
  for (const n of nodes.slice(1)) {
    record(n, n.t.store.createAgent({ id: 'twin', name: `twin from ${n.t.nodeId}`, type: 'llm', config: { origin: n.t.nodeId } }), 'twin');
  }
  ids.push('twin');

  for (round = 0; round < 12; round++) {
    for (const n of nodes) {
      if (random() < 0.3) n.t.host.pause();
      else if (n.t.ctx.settings.get().sync.paused && random() < 0.6) n.t.host.resume();
      const edits = Math.floor(random() * 4);
      for (let e = 0; e < edits; e++) randomEdit(n, ids);
    }
    for (const n of [...nodes].sort(() => random() - 0.5)) await syncNode(n);
  }

  // quiesce: sync everywhere, resolve what waits for a person through the API, until nothing is left
  for (const n of nodes) n.t.host.resume();
  let manual = 0;
  for (let pass = 0; pass < 20; pass++) {
    for (const n of nodes) await syncNode(n);
    for (const n of nodes) await syncNode(n);
    let resolvedNow = 0;
    for (const n of nodes) {
      const pending = await call<Page<ConflictSummary>>(n, 'conflicts.list', { status: 'pending', limit: 1000 });
      for (const c of pending.items) {
        const detail = await call<ConflictDetail>(n, 'conflicts.get', { id: c.id });
        const both = detail.local !== null && detail.remote !== null;
        const choice = both
          ? pick(['local', 'remote', 'merge', 'fields'] as const)
          : pick(['local', 'remote'] as const);
        const input =
          choice === 'fields'
            ? { fields: Object.fromEntries(detail.changes.map((f) => [f.field, pick(['local', 'remote'] as const)])) }
            : choice;
        await call(n, 'conflicts.resolve', { id: c.id, choice: input });
        resolvedNow++;
      }
    }
    manual += resolvedNow;
    const queued = nodes.reduce((sum, n) => sum + n.t.host.status().pending, 0);
    if (resolvedNow === 0 && queued === 0) {
      // one more full round to be sure nothing is in flight
      for (const n of nodes) await syncNode(n);
      if (nodes.every((n) => n.t.host.status().pending === 0)) break;
    }
  }

  const auto = await Promise.all(nodes.map((n) => n.service.list({ status: 'resolved', automatic: true, offset: 0, limit: 1000 })));
  const all = nodes.map((n) => n.t.store.listConflicts({ limit: 1000 }).items.map((c) => n.t.store.getConflict(c.id)));
  const types = all.flat().reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.type]: (acc[c.type] ?? 0) + 1 }), {});
  console.log(
    `seed ${SEED}: ${writes.length} writes, ${all.flat().length} conflicts ${JSON.stringify(types)} (${auto.reduce((s, p) => s + p.total, 0)} automatic, ${manual} by a person)`,
  );
  assert.ok(all.flat().length > 0, 'the run produced conflicts');

  // 1. every node and the hub hold the same records
  const hubRecords = await hubState();
  const live = [...hubRecords]
    .filter(([, r]) => r.data !== null)
    .map(([id, r]) => [id, domainOf(r.data!)] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  for (const n of nodes) {
    assert.equal(n.t.host.status().conflicts, 0, `${n.t.nodeId} has no open conflict`);
    const mine = n.t.store.listAgents({ limit: 1000 }).items.map((a) => [a.id, domainOf(a as unknown as Record<string, unknown>)] as const);
    mine.sort(([a], [b]) => (a < b ? -1 : 1));
    assert.deepEqual(mine, live, `${n.t.nodeId} matches the hub`);
  }

  // 2. every write is causally in the final state (the final vector descends from it), and every write no later
  //    write has seen is either the final state or one side of a recorded conflict: nothing vanished unseen
  const sides = all.flat().flatMap((c) => [c.local, c.remote, c.replaced]);
  for (const w of writes) {
    const final = hubRecords.get(w.recordId);
    assert.ok(final, `${w.recordId} is on the hub`);
    const relation = compareVv(w.vv, final.vv);
    assert.ok(relation === 'before' || relation === 'equal', `the final state of ${w.recordId} descends from ${w.node}'s write ${JSON.stringify(w.vv)} (final ${JSON.stringify(final.vv)})`);
    const seenLater = writes.some((o) => o !== w && o.recordId === w.recordId && compareVv(w.vv, o.vv) === 'before');
    if (seenLater) continue;
    const isFinal = w.data === null ? final.data === null : final.data !== null && jsonEqual(domainOf(final.data), w.data);
    const considered = sides.some((s) => (w.data === null ? s === null : s !== null && jsonEqual(domainOf(s as Record<string, unknown>), w.data)));
    assert.ok(isFinal || considered, `${w.node}'s write to ${w.recordId} is neither final nor in a recorded conflict: ${JSON.stringify(w.data)}`);
  }
});
