import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { OutpostError } from '../../shared/errors';
import { defaultSettings } from '../../shared/domain/settings';
import { HybridClock } from '../../shared/sync/hlc';
import { EdgeStore } from './edge-store';
import { migrations, SCHEMA_VERSION } from './schema';
import { addColumnDdl, createTableDdl } from './ddl';
import { tableSpecs } from './tables';
import { syncedTables } from '../../shared/tables/index';
import { openTestStore, remoteAgent } from './test-support';

test('a fresh database gets the whole schema, its pragmas and no triggers', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const db = ts.store.unsafeDatabase();
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('auto_vacuum', { simple: true }), 2, 'auto_vacuum INCREMENTAL must be set before the first table');
  assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
  assert.equal(db.pragma('synchronous', { simple: true }), 1, 'synchronous NORMAL');
  assert.ok((db.pragma('busy_timeout', { simple: true }) as number) >= 1000);
  const names = (type: string) =>
    (db.prepare('SELECT name FROM sqlite_schema WHERE type = ? ORDER BY name').all(type) as Array<{ name: string }>).map((r) => r.name);
  for (const table of ['agents', 'workflows', 'executions', 'sync_queue', 'sync_shadow', 'sync_state', 'conflict_resolution']) {
    assert.ok(names('table').includes(table), `table ${table}`);
  }
  assert.deepEqual(names('view'), ['active_agents', 'conflict_summary', 'pending_sync']);
  for (const index of ['idx_agents_status', 'idx_agents_sync_status', 'idx_workflows_agent_id', 'idx_executions_workflow_id', 'idx_executions_status', 'idx_sync_queue_priority', 'idx_sync_queue_processing', 'idx_sync_queue_failed', 'uq_sync_queue_one_pending', 'idx_conflict_status']) {
    assert.ok(names('index').includes(index), `index ${index}`);
  }
  assert.deepEqual(names('trigger'), [], 'the store enqueues itself; no triggers to misfire');
  const cols = (table: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
  for (const c of ['id', 'name', 'type', 'status', 'config', 'created_at', 'updated_at', 'last_sync', 'sync_status', 'version', 'hlc', 'node_id', 'vv', 'deleted']) {
    assert.ok(cols('agents').includes(c), `agents.${c}`);
  }
  for (const c of ['change_id', 'lease_id', 'leased_until', 'next_attempt_at', 'conflict_id', 'max_attempts', 'last_attempt', 'error_message']) {
    assert.ok(cols('sync_queue').includes(c), `sync_queue.${c}`);
  }
  for (const c of ['type', 'base_data', 'local_data', 'remote_data', 'local_vv', 'remote_vv', 'local_hlc', 'remote_hlc', 'remote_node_id', 'resolution_strategy', 'resolved_data', 'replaced_data', 'confidence', 'resolved_at', 'resolved_by', 'status', 'created_at', 'detected_at']) {
    assert.ok(cols('conflict_resolution').includes(c), `conflict_resolution.${c}`);
  }
});

test('the views run and read real columns (conflict_summary reads detected_at)', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const { store } = ts;
  const a = store.createAgent({ name: 'runner', type: 'llm', status: 'active' });
  store.createAgent({ name: 'idle', type: 'llm' });
  store.applyRemoteChanges([remoteAgent(a.id, { 'node-b': 1 })]);
  const db = store.unsafeDatabase();
  assert.deepEqual((db.prepare('SELECT id FROM active_agents').all() as Array<{ id: string }>).map((r) => r.id), [a.id]);
  assert.equal((db.prepare('SELECT count(*) AS n FROM pending_sync').get() as { n: number }).n, 2);
  const summary = db.prepare('SELECT * FROM conflict_summary').all() as Array<{ table_name: string; conflict_count: number; oldest_conflict: string }>;
  assert.equal(summary.length, 1);
  assert.equal(summary[0]!.table_name, 'agents');
  assert.equal(summary[0]!.conflict_count, 1);
  assert.match(summary[0]!.oldest_conflict, /^\d{4}-\d\d-\d\dT/);
});

test('re-opening is idempotent and keeps the data', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const a = ts.store.createAgent({ name: 'kept', type: 'llm', config: { k: 1 } });
  ts.reopen();
  ts.reopen();
  assert.equal(ts.store.unsafeDatabase().pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.deepEqual(ts.store.getAgent(a.id).config, { k: 1 });
  assert.equal(ts.store.stats().byStatus.pending, 1);
});

test('a database written by a newer Outpost is refused and left untouched', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  ts.store.createAgent({ name: 'x', type: 'llm' });
  ts.store.close();
  const raw = new Database(ts.path);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  const before = readFileSync(ts.path);
  assert.throws(
    () => ts.reopen(),
    (e: unknown) => e instanceof OutpostError && e.code === 'invalid_input' && /newer Outpost/.test(e.message),
  );
  assert.ok(readFileSync(ts.path).equals(before), 'the file was not modified');
  // put it back so cleanup can close a store
  const fix = new Database(ts.path);
  fix.pragma(`user_version = ${SCHEMA_VERSION}`);
  fix.close();
  ts.store = ts.reopen();
});

test('pending migration steps run in one transaction: a failing step leaves the old version', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  // an old file at version 0 with a table in the way of step 1: the step fails, nothing is half-applied
  const path = join(ts.dir, 'old.db');
  const raw = new Database(path);
  raw.exec('CREATE TABLE agents (id TEXT PRIMARY KEY)');
  raw.close();
  assert.throws(() => new EdgeStore({ path, nodeId: 'n', clock: new HybridClock('n'), settings: defaultSettings }), /already exists/);
  const check = new Database(path);
  assert.equal(check.pragma('user_version', { simple: true }), 0);
  assert.equal((check.prepare(`SELECT count(*) AS n FROM sqlite_schema WHERE name IN ('sync_queue', 'workflows')`).get() as { n: number }).n, 0);
  check.close();
});

test('a file that is not a database is refused with a clear error and left in place', (t) => {
  const ts = openTestStore();
  t.after(() => ts.cleanup());
  const path = join(ts.dir, 'garbage.db');
  writeFileSync(path, 'this is not a SQLite database, just text that happens to be long enough to read a header from');
  assert.throws(
    () => new EdgeStore({ path, nodeId: 'n', clock: new HybridClock('n'), settings: defaultSettings }),
    (e: unknown) => e instanceof OutpostError && e.code === 'unavailable' && /damaged or not a database/.test(e.message),
  );
  assert.match(readFileSync(path, 'utf8'), /^this is not a SQLite database/);
});

const columnsOf = (db: Database.Database, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>).map(
    (c) => `${c.name} ${c.type}${c.notnull ? ' NOT NULL' : ''}${c.dflt_value === null ? '' : ` DEFAULT ${c.dflt_value}`}${c.pk ? ' PK' : ''}`,
  );
const parentsOf = (db: Database.Database, table: string) =>
  (db.prepare(`PRAGMA foreign_key_list(${table})`).all() as Array<{ from: string; table: string; to: string }>).map((k) => `${k.from} -> ${k.table}(${k.to})`);

test('every synced table is what its declaration derives: a declaration without its migration fails here', () => {
  const migrated = new Database(':memory:');
  for (const step of migrations) migrated.exec(step);
  const derived = new Database(':memory:');
  derived.pragma('foreign_keys = OFF');
  for (const table of syncedTables) derived.exec(createTableDdl(tableSpecs[table]));
  for (const table of syncedTables) {
    const spec = tableSpecs[table];
    const have = new Set(columnsOf(migrated, table).map((c) => c.split(' ')[0]));
    const missing = spec.fields.filter((f) => !have.has(f.column));
    const hint = have.size === 0 ? createTableDdl(spec) : missing.map((f) => addColumnDdl(spec, f)).join('\n');
    // a column added by a later step comes last in the table: the store names every column, so order is free
    const sorted = (db: Database.Database) => columnsOf(db, table).sort();
    assert.deepEqual(sorted(migrated), sorted(derived), `table ${table} differs from its declaration; its migration would be:\n${hint}`);
    assert.deepEqual(parentsOf(migrated, table), parentsOf(derived, table), `table ${table}: parent`);
  }
  migrated.close();
  derived.close();
});

test('migration 3: a version-2 file keeps its queue, conflicts and id high-water marks, and takes any table name', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  for (const step of migrations.slice(0, 2)) db.exec(step);
  const insertItem = db.prepare(`INSERT INTO sync_queue (table_name, record_id, operation, status, change_id, overrode) VALUES ('agents', ?, 'UPDATE', ?, ?, ?)`);
  for (let i = 1; i <= 5; i++) insertItem.run(`a${i}`, i === 5 ? 'completed' : 'pending', `c${i}`, i === 2 ? '[]' : null);
  db.prepare(`DELETE FROM sync_queue WHERE id = 5`).run(); // pruned: its id must not come back
  db.prepare(
    `INSERT INTO conflict_resolution (table_name, record_id, type, local_vv, remote_vv, remote_hlc, remote_node_id, lost_fields, resolved_on)
     VALUES ('agents', 'a1', 'update-update', '{}', '{"b":1}', 'h', 'b', '["name"]', 'node-c')`,
  ).run();
  const before = db.prepare('SELECT * FROM sync_queue ORDER BY id').all();
  db.exec(migrations[2]!);
  assert.deepEqual(db.prepare('SELECT * FROM sync_queue ORDER BY id').all(), before);
  const conflict = db.prepare('SELECT lost_fields, resolved_on FROM conflict_resolution').get();
  assert.deepEqual(conflict, { lost_fields: '["name"]', resolved_on: 'node-c' });
  const next = db.prepare(`INSERT INTO sync_queue (table_name, record_id, operation) VALUES ('agent_states', 's1', 'INSERT') RETURNING id`).get() as { id: number };
  assert.equal(next.id, 6, 'the pruned id 5 is not handed out again');
  assert.equal((db.prepare('SELECT count(*) AS n FROM pending_sync').get() as { n: number }).n, 5);
  assert.equal((db.prepare('SELECT conflict_count FROM conflict_summary').get() as { conflict_count: number }).conflict_count, 1);
  assert.throws(() => db.exec(`INSERT INTO sync_queue (table_name, record_id, operation) VALUES ('agents', 'a1', 'UPDATE')`), /UNIQUE/, 'one pending item per record still holds');
  db.close();
});
