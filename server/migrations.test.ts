import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPglite } from './db/pglite';
import { openPostgres } from './db/postgres';
import { startTestPostgres } from './test-support/postgres';
import type { HubDatabase } from './db/database';
import { migrate, migrations } from './db/migrations';
import { getRecords, pullChangesJson, pushChanges } from './sync-store';
import type { PullResponse } from '../shared/sync/wire';

const hlc = (n: number) => `00176300000000${n}-000000-node-a`;
const ids = ['0199a2b3-c4d5-8e6f-8a7b-000000000001', '0199a2b3-c4d5-8e6f-8a7b-000000000002', '0199a2b3-c4d5-8e6f-8a7b-000000000003', '0199a2b3-c4d5-8e6f-8a7b-000000000004'];

test('PGlite: a hub database written by schema 4 migrates; states, duplicates and pulls answer as before', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-hub-migrate-'));
  const db = await openPglite(join(dir, 'hub-db'));
  t.after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await migrateSchema4(db);
});

test('PostgreSQL: a hub database written by schema 4 migrates; states, duplicates and pulls answer as before', { timeout: 120_000 }, async (t) => {
  const postgres = await startTestPostgres();
  t.after(() => postgres.stop());
  const db = await openPostgres(await postgres.createDatabase('migrate4'));
  t.after(() => db.close());
  await migrateSchema4(db);
});

/** Schema 4 with rows its push wrote (log rows with every column, records pointing at each record's newest). */
async function migrateSchema4(db: HubDatabase): Promise<void> {
  // The database as a hub of schema 4 left it: migrations 1-4, and rows its push wrote (log rows and records
  // pointing at each record's newest one).
  await db.exec('CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const m of migrations.filter((m) => m.version <= 4)) {
    await db.exec(m.sql);
    await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
  await db.query(`INSERT INTO nodes (id, name, token_hash) VALUES ('node-a', 'a', 'x')`);
  await db.exec(`
    INSERT INTO change_log (seq, change_id, table_name, record_id, op, data, patch, base_vv, vv, hlc, node_id, priority) VALUES
      (1, '${ids[0]}', 'agents', 'a-1', 'upsert', '{"name":"one","n":1}', NULL, NULL, '{"node-a":1}', '${hlc(1)}', 'node-a', 5),
      (2, '${ids[1]}', 'agents', 'b-1', 'upsert', '{"name":"b"}', NULL, NULL, '{"node-a":1}', '${hlc(2)}', 'node-a', 5),
      (3, '${ids[2]}', 'agents', 'a-1', 'upsert', '{"name":"two","n":1}', '{"set":{"name":"two"},"unset":[]}', '{"node-a":1}', '{"node-a":2}', '${hlc(3)}', 'node-a', 5),
      (4, '${ids[3]}', 'agents', 'b-1', 'delete', NULL, NULL, NULL, '{"node-a":2}', '${hlc(4)}', 'node-a', 5);
    INSERT INTO records (table_name, record_id, seq) VALUES ('agents', 'a-1', 3), ('agents', 'b-1', 4);
    SELECT setval('change_seq', 4);
  `);

  assert.equal(await migrate(db), Math.max(...migrations.map((m) => m.version)));
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'records'`);
  assert.equal(rows[0]!.n, 0, 'the records table is gone: the log is the states');

  const states = await getRecords(db, [{ table: 'agents', recordId: 'a-1' }, { table: 'agents', recordId: 'b-1' }, { table: 'agents', recordId: 'c-1' }]);
  assert.deepEqual(states, [
    { table: 'agents', recordId: 'a-1', data: { name: 'two', n: 1 }, deleted: false, vv: { 'node-a': 2 }, hlc: hlc(3), nodeId: 'node-a', seq: 3 },
    { table: 'agents', recordId: 'b-1', data: null, deleted: true, vv: { 'node-a': 2 }, hlc: hlc(4), nodeId: 'node-a', seq: 4 },
  ]);

  const base = { table: 'agents' as const, nodeId: 'node-a', priority: 5, op: 'upsert' as const };
  const pushed = await pushChanges(db, 'node-a', [
    // resent from before the migration: a duplicate of its original seq
    { ...base, changeId: ids[0]!, recordId: 'a-1', hlc: hlc(1), vv: { 'node-a': 1 }, baseVv: null, data: { name: 'one', n: 1 } },
    // a patch against the migrated current state
    { ...base, changeId: '0199a2b3-c4d5-8e6f-8a7b-000000000005', recordId: 'a-1', hlc: hlc(5), vv: { 'node-a': 3 }, baseVv: { 'node-a': 2 }, patch: { set: { n: 2 }, unset: ['name'] } },
    // a stale write: conflict with the current state
    { ...base, changeId: '0199a2b3-c4d5-8e6f-8a7b-000000000006', recordId: 'b-1', hlc: hlc(6), vv: { 'node-a': 1 }, baseVv: null, data: { name: 'old' } },
  ]);
  assert.deepEqual(pushed.results.map((r) => [r.status, 'seq' in r ? r.seq : null]), [['duplicate', 1], ['applied', 5], ['conflict', null]]);
  const conflict = pushed.results[2]!;
  assert.ok(conflict.status === 'conflict' && conflict.current.deleted && conflict.current.seq === 4);
  assert.deepEqual((await getRecords(db, [{ table: 'agents', recordId: 'a-1' }]))[0]!.data, { n: 2 });

  const pulled = JSON.parse(await pullChangesJson(db, 'node-b', 0, 100, true)) as PullResponse;
  assert.deepEqual(pulled.changes.map((c) => [c.seq, c.recordId, c.op, c.patch ? 'patch' : c.data ? 'data' : 'none']), [
    [1, 'a-1', 'upsert', 'data'],
    [2, 'b-1', 'upsert', 'data'],
    [3, 'a-1', 'upsert', 'patch'],
    [4, 'b-1', 'delete', 'none'],
    [5, 'a-1', 'upsert', 'patch'],
  ]);
  assert.equal(pulled.cursor, 5);
}
