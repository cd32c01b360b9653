import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getRecords, pullChangesJson, pushChanges, type PushOutcome } from './sync-store';
import { migrate } from './db/migrations';
import { openPglite } from './db/pglite';
import { openPostgres } from './db/postgres';
import { startTestPostgres } from './test-support/postgres';
import type { HubDatabase } from './db/database';
import type { PullResponse, WireChange } from '../shared/sync/wire';

/**
 * Change ids are looked up only for changes that were not applied; an applied change whose id the log holds fails
 * the unique index and the batch is decided again with every id looked up. Both paths must answer as a lookup
 * first would: duplicate (same node, original seq) or rejected (another node), nothing appended twice.
 */
async function checkChangeIdPaths(db: HubDatabase): Promise<void> {
  await migrate(db);
  await db.query(`INSERT INTO nodes (id, name, token_hash) VALUES ('node-a', 'a', 'x'), ('node-b', 'b', 'y') ON CONFLICT DO NOTHING`);
  const change = (nodeId: string, changeId: string, recordId: string, n: number): WireChange => ({
    changeId,
    table: 'agents',
    recordId,
    hlc: `00176300000000${n}-000000-${nodeId}`,
    vv: { [nodeId]: n },
    nodeId,
    op: 'upsert',
    priority: 5,
    baseVv: null,
    data: { n },
  });
  const id = (n: number) => `0199a2b3-c4d5-8e6f-8a7b-00000000000${n}`;
  const seqs = (r: PushOutcome) => r.results.map((x) => [x.status, 'seq' in x ? x.seq : null]);

  const first = await pushChanges(db, 'node-a', [change('node-a', id(1), 'r1', 1), change('node-a', id(2), 'r1', 2)]);
  assert.deepEqual(seqs(first), [['applied', 1], ['applied', 2]]);
  // not applied (stale vv) and id known: looked up afterwards -> duplicate of its own seq
  assert.deepEqual(seqs(await pushChanges(db, 'node-a', [change('node-a', id(1), 'r1', 1)])), [['duplicate', 1]]);
  // would apply (another record) but the id is known: the unique index, the savepoint, a full lookup
  const replay = await pushChanges(db, 'node-a', [change('node-a', id(3), 'r3', 1), change('node-a', id(1).toUpperCase(), 'r2', 1)]);
  assert.deepEqual(seqs(replay), [['applied', 5], ['duplicate', 1]], 'seqs 3-4 were taken by the rolled-back attempt and are never seen');
  // another node's id on a change that would apply: the same fallback, then rejected
  const stolen = await pushChanges(db, 'node-b', [change('node-b', id(2), 'r4', 1), change('node-b', id(4), 'r5', 1)]);
  assert.deepEqual(stolen.results.map((x) => x.status), ['rejected', 'applied']);
  assert.deepEqual(stolen.maxSeq, 8);
  const page = JSON.parse(await pullChangesJson(db, 'node-c', 0, 100, true)) as PullResponse;
  assert.deepEqual(page.changes.map((c) => [c.seq, c.recordId, c.changeId]), [
    [1, 'r1', id(1)],
    [2, 'r1', id(2)],
    [5, 'r3', id(3)],
    [8, 'r5', id(4)],
  ]);
  assert.deepEqual(await getRecords(db, [{ table: 'agents', recordId: 'r2' }, { table: 'agents', recordId: 'r4' }]), [], 'nothing of the refused changes stored');
}

/** Values the log's row text must carry through exactly (tabs, newlines, backslashes, COPY's \\N, quotes, Unicode). */
async function checkRoundTrip(db: HubDatabase): Promise<void> {
  const odd = ['tab\there', 'line\nbreak\r\n', 'back\\slash \\N \\t', '\\N', '"quoted" \'single\'', '', 'é ü 😀 \u2028 \u00a0', '{"json":"in a string"}', '\\'];
  const data: NonNullable<WireChange['data']> = { list: odd, nested: { deep: [odd, { k: odd[2]! }] } };
  for (const [i, v] of odd.entries()) data[v === '' ? 'empty' : v] = i;
  const base = { table: 'agents' as const, recordId: 'odd-1', nodeId: 'node-a', op: 'upsert' as const, priority: 5 };
  const r1 = await pushChanges(db, 'node-a', [{ ...base, changeId: '0199a2b3-c4d5-8e6f-8a7b-0000000000a1', hlc: '001763000000009-000000-node-a', vv: { 'node-a': 10 }, baseVv: null, data }]);
  assert.equal(r1.results[0]!.status, 'applied');
  const set: NonNullable<WireChange['data']> = { [odd[0]!]: odd[1]!, [odd[2]!]: odd };
  const r2 = await pushChanges(db, 'node-a', [
    { ...base, changeId: '0199a2b3-c4d5-8e6f-8a7b-0000000000a2', hlc: '001763000000010-000000-node-a', vv: { 'node-a': 11 }, baseVv: { 'node-a': 10 }, patch: { set, unset: ['list'] } },
  ]);
  assert.equal(r2.results[0]!.status, 'applied');
  const { list: _list, ...rest } = data;
  const expected = { ...rest, ...set };
  const [state] = await getRecords(db, [{ table: 'agents', recordId: 'odd-1' }]);
  assert.deepEqual(state!.data, expected);
  const since = r1.maxSeq! - 1;
  const full = JSON.parse(await pullChangesJson(db, 'node-c', since, 10, false)) as PullResponse;
  assert.deepEqual(full.changes.map((c) => c.data), [data, expected]);
  const delta = JSON.parse(await pullChangesJson(db, 'node-c', since, 10, true)) as PullResponse;
  assert.deepEqual(delta.changes[1]!.patch, { set, unset: ['list'] });
}

test('PGlite: change ids looked up after deciding, and the unique index fallback', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-hub-ids-'));
  const db = await openPglite(join(dir, 'hub-db'));
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await checkChangeIdPaths(db);
  await checkRoundTrip(db);
});

test('PostgreSQL: change ids looked up after deciding, and the unique index fallback', { timeout: 120_000 }, async (t) => {
  const postgres = await startTestPostgres();
  t.after(() => postgres.stop());
  const db = await openPostgres(await postgres.createDatabase('ids'));
  t.after(() => db.close());
  await checkChangeIdPaths(db);
  await checkRoundTrip(db);
});
