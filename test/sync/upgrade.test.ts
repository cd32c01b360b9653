import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { migrations } from '../../main/store/migrations/index';
import { changeIdOf } from '../../main/store/change-id';
import { startHubPair } from './harness';

/**
 * Queued writes survive a schema upgrade: a data folder written by the release before issue 13's migrations (schema
 * version 4: its frozen migration steps, its rows and queue items as that store wrote them) holds 1,000 pending and
 * 100 leased changes. The current node opens it (migrating), and every one of them reaches the hub and another node.
 */
const PREVIOUS_SCHEMA = 4;
const NODE = 'node-a';

interface Written {
  table: string;
  id: string;
  check: Record<string, unknown>;
}

function writePreviousRelease(path: string): Written[] {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  const tx = db.transaction(() => {
    for (const step of migrations.slice(0, PREVIOUS_SCHEMA)) db.exec(step);
    db.pragma(`user_version = ${PREVIOUS_SCHEMA}`);
  });
  tx();
  const base = Date.now() - 60_000;
  let counter = 0;
  const hlc = () => `${String(base + counter).padStart(15, '0')}-${String(counter++ % 1_000_000).padStart(6, '0')}-${NODE}`;
  const written: Written[] = [];
  const queue = db.prepare(`INSERT INTO sync_queue (table_name, record_id, operation, priority, created_at) VALUES (?, ?, 'INSERT', ?, ?)`);
  const at = new Date(base).toISOString();
  const row = (table: string, id: string, priority: number, sql: string, values: unknown[], check: Record<string, unknown>) => {
    const h = hlc();
    db.prepare(sql).run(id, ...values, h, NODE, JSON.stringify({ [NODE]: 1 }), at, at);
    queue.run(table, id, priority, at);
    written.push({ table, id, check });
  };
  const fill = db.transaction(() => {
    for (let i = 0; i < 400; i++) {
      row('agents', `ag-${i}`, 5, `INSERT INTO agents (id, name, type, status, config, hlc, node_id, vv, created_at, updated_at) VALUES (?, ?, 'llm', 'active', ?, ?, ?, ?, ?, ?)`, [`Agent ${i}`, JSON.stringify({ n: i })], { name: `Agent ${i}`, config: { n: i } });
    }
    for (let i = 0; i < 300; i++) {
      // the previous release stored a workflow's counters: migration 5 drops them
      row('workflows', `wf-${i}`, 6, `INSERT INTO workflows (id, name, definition, status, agent_id, execution_count, last_execution, hlc, node_id, vv, created_at, updated_at) VALUES (?, ?, ?, 'active', ?, 7, ?, ?, ?, ?, ?, ?)`, [`Flow ${i}`, JSON.stringify({ steps: [i] }), `ag-${i % 400}`, at], { name: `Flow ${i}`, definition: { steps: [i] }, agentId: `ag-${i % 400}` });
    }
    for (let i = 0; i < 200; i++) {
      row('executions', `ex-${i}`, 4, `INSERT INTO executions (id, workflow_id, status, input_data, started_at, hlc, node_id, vv, created_at, updated_at) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?)`, [`wf-${i % 300}`, JSON.stringify({ i }), at], { workflowId: `wf-${i % 300}`, status: 'running', inputData: { i }, startedAt: at });
    }
    for (let i = 0; i < 200; i++) {
      row('agent_states', `st-old-${i}`, 5, `INSERT INTO agent_states (id, agent_id, key, value, hlc, node_id, vv, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [`ag-${i % 400}`, `k${i}`, JSON.stringify([i])], { agentId: `ag-${i % 400}`, key: `k${i}`, value: [i] });
    }
    // 100 of them leased by that release's worker when it stopped: processing, with their change ids and snapshots
    const leased = db.prepare(`SELECT q.id, q.table_name, q.record_id FROM sync_queue q WHERE q.table_name = 'agents' ORDER BY q.id LIMIT 100`).all() as Array<{ id: number; table_name: string; record_id: string }>;
    const mark = db.prepare(`UPDATE sync_queue SET status = 'processing', lease_id = 'lease-old', leased_until = ?, last_attempt = ?, change_id = ?, data = json_object('op', 'upsert', 'hlc', ?) WHERE id = ?`);
    for (const item of leased) {
      const h = (db.prepare(`SELECT hlc FROM agents WHERE id = ?`).get(item.record_id) as { hlc: string }).hlc;
      mark.run(new Date(Date.now() + 3_600_000).toISOString(), at, changeIdOf(NODE, h), h, item.id);
    }
  });
  fill();
  const counts = db.prepare(`SELECT status, count(*) AS n FROM sync_queue GROUP BY status ORDER BY status`).all();
  assert.deepEqual(counts, [{ status: 'pending', n: 1000 }, { status: 'processing', n: 100 }], 'the previous release left 1,000 pending and 100 leased');
  db.close();
  return written;
}

test('1,000 pending and 100 leased changes written under the previous schema all sync after the upgrade', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-upgrade-'));
  const written = writePreviousRelease(join(dataDir, 'edge.db'));
  const pair = await startHubPair({ a: { nodeId: NODE, dataDir } });
  t.after(() => pair.destroy());
  const { a, b } = pair;
  const version = (a.store.unsafeDatabase().pragma('user_version', { simple: true }) as number);
  assert.equal(version, migrations.length, 'the node migrated the file to the current schema');
  assert.equal(a.store.stats().byStatus.processing ?? 0, 0, 'the old leases went back to pending at open');

  let pushed = 0;
  for (let cycle = 0; cycle < 20 && a.store.stats().byStatus.pending > 0; cycle++) pushed += (await a.host.syncNow()).pushed;
  const after = a.store.stats().byStatus;
  assert.deepEqual([after.pending, after.processing, after.failed], [0, 0, 0], 'nothing left queued, leased or failed');
  assert.equal(pushed, 1100, 'every queued change was pushed once');

  for (let cycle = 0; cycle < 20; cycle++) if ((await b.host.syncNow()).pulled === 0) break;
  for (const w of written) {
    const got = b.store.records(w.table as 'agents').get(w.id) as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(w.check)) assert.deepEqual(got[field], value, `${w.table}/${w.id}.${field} on the other node`);
  }
  const wf = b.store.getWorkflow('wf-0');
  assert.equal(wf.executionCount, 1, "the counters are derived on the other node, not the previous release's stored 7");
});
