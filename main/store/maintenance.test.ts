import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { OutpostError } from '../../shared/errors';
import { openTestStore, remoteAgent } from './test-support';

type TS = ReturnType<typeof openTestStore>;
const code = (c: string) => (e: unknown) => e instanceof OutpostError && e.code === c;
const DAY = 86_400_000;

/** n agents created, pushed and acked: n completed queue items. */
function syncedAgents(ts: TS, n: number, prefix: string) {
  ts.store.batch(() => {
    for (let i = 0; i < n; i++) ts.store.createAgent({ id: `${prefix}${i}`, name: `${prefix}${i}`, type: 'llm', config: { blob: 'x'.repeat(400) } });
  });
  const { changes } = ts.store.leaseBatch({ limit: 10_000, leaseMs: 60_000 });
  ts.store.ackChanges(changes.map((c) => ({ queueId: c.queueId, seq: 1 })));
}

function resolvedConflict(ts: TS, id: string): number {
  ts.store.createAgent({ id, name: 'mine', type: 'llm' });
  const [cid] = ts.store.applyRemoteChanges([remoteAgent(id, { 'node-b': 1 })]).conflictIds;
  ts.store.resolveConflict(cid!, { resolvedData: null, strategy: 'remote', resolvedBy: 'test', automatic: false });
  return cid!;
}

test('maintain: prunes completed items older than 7 days and resolved conflicts older than 30, vacuums, analyzes', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const db = store.unsafeDatabase();
  syncedAgents(ts, 300, 'old');
  syncedAgents(ts, 5, 'new');
  db.prepare(`UPDATE sync_queue SET completed_at = ? WHERE record_id LIKE 'old%'`).run(new Date(Date.now() - 8 * DAY).toISOString());
  const oldConflict = resolvedConflict(ts, 'c-old');
  const newConflict = resolvedConflict(ts, 'c-new');
  const openConflict = store.applyRemoteChanges([remoteAgent('new0', { 'node-b': 1 })]).conflictIds[0]!;
  db.prepare('UPDATE conflict_resolution SET resolved_at = ? WHERE id = ?').run(new Date(Date.now() - 31 * DAY).toISOString(), oldConflict);
  const before = store.stats();
  const report = store.maintain();
  assert.equal(report.prunedQueueItems, 300);
  assert.equal(report.prunedConflicts, 1);
  assert.ok(report.freedPages > 0, 'incremental vacuum returned the pruned pages');
  assert.equal(db.pragma('freelist_count', { simple: true }), 0);
  const after = store.stats();
  assert.equal(after.byStatus.completed, before.byStatus.completed - 300);
  assert.equal(after.byStatus.pending, before.byStatus.pending, 'pending items are never pruned');
  assert.throws(() => store.getConflict(oldConflict), code('not_found'));
  assert.equal(store.getConflict(newConflict).status, 'resolved');
  assert.equal(store.getConflict(openConflict).status, 'pending');
  assert.equal(after.records.agents, before.records.agents, 'records are never pruned');
});

test('startMaintenance runs on a timer and stops', async (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  syncedAgents(ts, 3, 'a');
  ts.store.unsafeDatabase().prepare('UPDATE sync_queue SET completed_at = ?').run(new Date(Date.now() - 8 * DAY).toISOString());
  assert.throws(() => ts.store.startMaintenance(10), code('invalid_input'));
  const stop = ts.store.startMaintenance(1000);
  const deadline = Date.now() + 15_000; // a loaded machine may fire the timer late
  while (ts.store.stats().byStatus.completed > 0 && Date.now() < deadline) await sleep(100);
  assert.equal(ts.store.stats().byStatus.completed, 0);
  stop();
  syncedAgents(ts, 2, 'b');
  ts.store.unsafeDatabase().prepare('UPDATE sync_queue SET completed_at = ?').run(new Date(Date.now() - 8 * DAY).toISOString());
  await sleep(1500);
  assert.equal(ts.store.stats().byStatus.completed, 2, 'stopped: no more runs');
});

test('storage limit, policy warn: writes go through, stats flag it', (t) => {
  const ts = openTestStore({ settings: { storage: { limitBytes: 10_000, policy: 'warn' } } });
  t.after(() => ts.cleanup());
  ts.store.createAgent({ name: 'a', type: 'llm' });
  const stats = ts.store.stats();
  assert.ok(stats.databaseBytes > 10_000);
  assert.deepEqual(stats.storage, { limitBytes: 10_000, policy: 'warn', overLimit: true });
});

test('storage limit, policy error: new local writes refused with storage_full, nothing lost, pulls still apply', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const a = ts.store.createAgent({ id: 'kept', name: 'kept', type: 'llm' });
  ts.settings.storage = { limitBytes: 10_000, policy: 'error' };
  ts.reopen(); // settings are cached for a second: a fresh store reads them now
  assert.throws(() => ts.store.createAgent({ name: 'b', type: 'llm' }), (e: unknown) => code('storage_full')(e) && /storage limit/.test((e as Error).message));
  assert.throws(() => ts.store.updateAgent({ id: a.id, patch: { name: 'x' }, expectedVersion: 1 }), code('storage_full'));
  assert.equal(ts.store.getAgent('kept').name, 'kept');
  assert.equal(ts.store.listAgents().total, 1);
  assert.equal(ts.store.applyRemoteChanges([remoteAgent('pulled', { 'node-b': 1 })]).applied, 1);
  ts.settings.storage = { limitBytes: null, policy: 'error' };
  ts.reopen();
  assert.equal(ts.store.createAgent({ name: 'b', type: 'llm' }).version, 1);
});

test('storage limit, policy prune: history is pruned first, whatever its age', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  syncedAgents(ts, 200, 'h');
  assert.equal(ts.store.stats().byStatus.completed, 200);
  ts.settings.storage = { limitBytes: 1000, policy: 'prune' };
  ts.reopen();
  ts.store.createAgent({ name: 'new', type: 'llm' });
  assert.equal(ts.store.stats().byStatus.completed, 0);
  assert.equal(ts.store.stats().records.agents, 201);
});

test('disk full (SQLITE_FULL) surfaces as storage_full and loses nothing already committed', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  store.createAgent({ id: 'before', name: 'before', type: 'llm', config: { k: 'v' } });
  store.applyRemoteChanges([remoteAgent('pulled', { 'node-b': 1 })], 3);
  const db = store.unsafeDatabase();
  const pages = db.pragma('page_count', { simple: true }) as number;
  db.pragma(`max_page_count = ${pages + 2}`); // the file cannot grow: the same error a full disk gives
  const big = { blob: 'y'.repeat(20_000) };
  assert.throws(
    () =>
      store.batch(() => {
        for (let i = 0; i < 50; i++) store.createAgent({ name: `n${i}`, type: 'llm', config: big });
      }),
    (e: unknown) => code('storage_full')(e) && /nothing from this change was saved/.test((e as Error).message),
  );
  // a caller that swallows the error inside a batch cannot commit half a write: the batch rolls back whole
  let swallowed = 0;
  assert.throws(
    () =>
      store.batch(() => {
        store.createAgent({ id: 'in-batch', name: 'small', type: 'llm' });
        for (let i = 0; i < 50; i++) {
          try {
            store.createAgent({ name: `m${i}`, type: 'llm', config: big });
          } catch (e) {
            if (!code('storage_full')(e)) throw e;
            swallowed++;
          }
        }
      }),
    /failed part-way, so the whole batch was rolled back/,
  );
  assert.ok(swallowed > 0);
  assert.throws(() => store.getAgent('in-batch'), code('not_found'));
  const bigPull = Array.from({ length: 50 }, (_, i) => remoteAgent(`p${i}`, { 'node-b': 1 }, { config: big }));
  assert.throws(() => store.applyRemoteChanges(bigPull, 99), code('storage_full'));
  assert.equal(store.getCursor(), 3, 'the cursor moves only with the changes');
  assert.deepEqual(store.getAgent('before').config, { k: 'v' });
  assert.equal(store.listAgents().total, 2);
  assert.equal(store.stats().byStatus.pending, 1);
  db.pragma('max_page_count = 1073741823');
  assert.equal(store.createAgent({ name: 'after', type: 'llm', config: big }).version, 1, 'usable again once space is back');
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
});
