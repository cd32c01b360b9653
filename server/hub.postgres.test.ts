import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHub } from './index';
import { startTestPostgres, type TestPostgres } from './test-support/postgres';
import { enrollNode, hubRequest, makeChange, openEventStream, spawnHub } from './test-support/hub-client';
import type { PullResponse, PushResponse, PushResult } from '../shared/sync/wire';
import { pullResponseSchema } from '../shared/sync/wire';

let postgres: TestPostgres;
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'outpost-hub-pg-'));
  dirs.push(d);
  return d;
};

before(async () => {
  postgres = await startTestPostgres();
});
after(async () => {
  await postgres?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('hub on PostgreSQL', () => {
  test('the same API on a real PostgreSQL: enroll, push, pull, conflict, idempotent retry, events', async () => {
    const url = await postgres.createDatabase('single');
    const hub = await startHub({ dataDir: tempDir(), databaseUrl: url, heartbeatMs: 200 });
    try {
      assert.deepEqual((await hubRequest(hub.url, '/health')).body, { ok: true, version: '0.1.0', database: 'postgres' });
      const a = await enrollNode(hub.url, hub.adminToken, 'a');
      const b = await enrollNode(hub.url, hub.adminToken, 'b');
      const stream = await openEventStream(hub.url, b.token);
      const batch = [makeChange(a.nodeId, 'r1', { [a.nodeId]: 1 }), makeChange(a.nodeId, 'r2', { [a.nodeId]: 1 })];
      const first = await hubRequest<PushResponse>(hub.url, '/v1/push', { token: a.token, json: { changes: batch } });
      assert.deepEqual(first.body.results.map((r) => r.status), ['applied', 'applied']);
      const retry = await hubRequest<PushResponse>(hub.url, '/v1/push', { token: a.token, json: { changes: batch } });
      assert.deepEqual(retry.body.results.map((r) => r.status), ['duplicate', 'duplicate']);
      const lastSeq = (first.body.results[1] as { seq: number }).seq;
      await stream.waitFor((s) => s.includes(lastSeq));
      stream.close();

      const conflict = await hubRequest<PushResponse>(hub.url, '/v1/push', {
        token: b.token,
        json: { changes: [makeChange(b.nodeId, 'r1', { [b.nodeId]: 1 }, { data: { name: 'b' } })] },
      });
      const result = conflict.body.results[0]!;
      assert.ok(result.status === 'conflict');
      assert.deepEqual(result.current.data, batch[0]!.data);

      const pulled = await hubRequest<PullResponse>(hub.url, '/v1/pull?since=0', { token: b.token });
      assert.deepEqual(pulled.body.changes.map((c) => c.recordId), ['r1', 'r2']);
      assert.equal(pulled.body.cursor, lastSeq);
      assert.equal((await hubRequest(hub.url, '/v1/pull?since=0', { token: 'nope.nope-nope-nope-nope-nope' })).status, 401);
    } finally {
      await hub.close();
    }
  });

  test('a PostgreSQL crash: 503 while it is away, then the hub answers again and its event streams keep working', async () => {
    const url = await postgres.createDatabase('restart');
    const hub = await startHub({ dataDir: tempDir(), databaseUrl: url, heartbeatMs: 200 });
    try {
      const a = await enrollNode(hub.url, hub.adminToken, 'a');
      const b = await enrollNode(hub.url, hub.adminToken, 'b');
      const stream = await openEventStream(hub.url, b.token);
      await stream.waitFor((s) => s.length >= 1);
      postgres.kill();
      // while the database is away: 503 with Retry-After (the node retries later), health says so, no crash
      const away = await hubRequest<{ error: { code: string } }>(hub.url, '/v1/push', {
        token: a.token,
        json: { changes: [makeChange(a.nodeId, 'while-down', { [a.nodeId]: 1 })] },
      });
      assert.equal(away.status, 503);
      assert.equal(away.body.error.code, 'unavailable');
      assert.ok(Number(away.headers.get('retry-after')) > 0);
      assert.equal((await hubRequest(hub.url, '/health')).status, 503);
      postgres.start();
      // the pool drops its dead connections; the first requests may fail while it does
      let pushed: PushResponse | null = null;
      for (let i = 0; i < 50 && !pushed; i++) {
        const r = await hubRequest<PushResponse>(hub.url, '/v1/push', { token: a.token, json: { changes: [makeChange(a.nodeId, 'after-crash', { [a.nodeId]: 1 })] } });
        if (r.status === 200) pushed = r.body;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(pushed, 'the hub works again after PostgreSQL restarted');
      const seq = (pushed.results[0] as { seq: number }).seq;
      await stream.waitFor((s) => s.includes(seq), 15_000);
      stream.close();
      assert.equal((await hubRequest(hub.url, '/health')).status, 200);
    } finally {
      await hub.close();
    }
  });

  test('two hub processes on one PostgreSQL: concurrent pushes, a gap-free pull seeing each change once, events across hubs', async () => {
    const url = await postgres.createDatabase('scale');
    const dirA = tempDir();
    const dirB = tempDir();
    // started together on an empty database: the migration lock lets exactly one of them create the schema
    const [hubA, hubB] = await Promise.all([
      spawnHub(['--data', dirA, '--port', '0', '--database-url', url, '--rate-limit', '0']),
      spawnHub(['--data', dirB, '--port', '0', '--database-url', url, '--rate-limit', '0']),
    ]);
    try {
      const adminA = readFileSync(join(dirA, 'admin-token'), 'utf8').trim();
      const adminB = readFileSync(join(dirB, 'admin-token'), 'utf8').trim();
      const writers = [
        await enrollNode(hubA.url, adminA, 'w1'),
        await enrollNode(hubB.url, adminB, 'w2'), // either replica's admin token works on the shared database
        await enrollNode(hubA.url, adminB, 'w3'),
      ];
      const puller = await enrollNode(hubB.url, adminA, 'puller');
      const listener = await enrollNode(hubA.url, adminA, 'listener');
      const hubs = [hubA.url, hubB.url];

      const BATCHES = 20;
      const PER_BATCH = 40;
      const applied = new Map<string, number>(); // changeId -> seq
      let writing = true;

      const write = async (w: { nodeId: string; token: string }, wi: number) => {
        for (let i = 0; i < BATCHES; i++) {
          const changes = Array.from({ length: PER_BATCH }, (_, j) => makeChange(w.nodeId, `w${wi}-${i}-${j}`, { [w.nodeId]: 1 }));
          const target = hubs[(wi + i) % 2]!; // every writer goes through both hubs
          const r = await hubRequest<PushResponse>(target, '/v1/push', { token: w.token, json: { changes } });
          assert.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300));
          for (const res of r.body.results as PushResult[]) {
            assert.equal(res.status, 'applied');
            applied.set(res.changeId, (res as { seq: number }).seq);
          }
        }
      };

      const seen: { changeId: string; seq: number }[] = [];
      let cursor = 0;
      const pullPage = async (i: number) => {
        const r = await hubRequest<PullResponse>(hubs[i % 2]!, `/v1/pull?since=${cursor}&limit=37`, { token: puller.token });
        assert.equal(r.status, 200);
        pullResponseSchema.parse(r.body);
        for (const c of r.body.changes) seen.push({ changeId: c.changeId, seq: c.seq });
        cursor = r.body.cursor;
        return r.body.hasMore;
      };
      const pullWhileWriting = async () => {
        let i = 0;
        while (writing) await pullPage(i++);
        while (await pullPage(i++)); // drain what is left
      };

      const pulling = pullWhileWriting();
      await Promise.all(writers.map((w, i) => write(w, i)));
      writing = false;
      await pulling;

      assert.equal(applied.size, writers.length * BATCHES * PER_BATCH);
      const ids = seen.map((s) => s.changeId);
      assert.equal(new Set(ids).size, ids.length, 'no change is pulled twice');
      assert.equal(ids.length, applied.size, 'every applied change is pulled');
      for (const s of seen) assert.equal(applied.get(s.changeId), s.seq);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.seq > seen[i - 1]!.seq, 'pull order is seq order');

      // racing writes of one record through both hubs: exactly one of each pair applies, the other conflicts
      for (let round = 0; round < 10; round++) {
        const [x, y] = [writers[0]!, writers[1]!];
        const [rx, ry] = await Promise.all([
          hubRequest<PushResponse>(hubA.url, '/v1/push', { token: x.token, json: { changes: [makeChange(x.nodeId, `race-${round}`, { [x.nodeId]: 1 })] } }),
          hubRequest<PushResponse>(hubB.url, '/v1/push', { token: y.token, json: { changes: [makeChange(y.nodeId, `race-${round}`, { [y.nodeId]: 1 })] } }),
        ]);
        const statuses = [rx.body.results[0]!.status, ry.body.results[0]!.status].sort();
        assert.deepEqual(statuses, ['applied', 'conflict']);
      }

      // an event stream on hub B hears a push applied by hub A
      const stream = await openEventStream(hubB.url, listener.token);
      try {
        await stream.waitFor((s) => s.length >= 1);
        const r = await hubRequest<PushResponse>(hubA.url, '/v1/push', {
          token: writers[0]!.token,
          json: { changes: [makeChange(writers[0]!.nodeId, 'fan-out', { [writers[0]!.nodeId]: 1 })] },
        });
        const seq = (r.body.results[0] as { seq: number }).seq;
        await stream.waitFor((s) => s.includes(seq));
      } finally {
        stream.close();
      }
    } finally {
      await hubA.stop();
      await hubB.stop();
    }
  });
});
