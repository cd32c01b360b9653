import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, gunzipSync } from 'node:zlib';
import { request as httpRequest } from 'node:http';
import { startHub, type RunningHub } from './index';
import { enrollNode, hubRequest, makeChange, openEventStream } from './test-support/hub-client';
import type { PullResponse, PushResponse, RecordState } from '../shared/sync/wire';
import { pullResponseSchema, pushResponseSchema } from '../shared/sync/wire';
import { randomUUID } from 'node:crypto';

// One hub on embedded PGlite for the whole file (its first start costs a few seconds and a lot of memory).
let dir: string;
let hub: RunningHub;
const RATE_MAX = 150;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'outpost-hub-test-'));
  hub = await startHub({ dataDir: dir, rateLimit: { max: RATE_MAX, windowMs: 60_000 }, heartbeatMs: 150 });
});
after(async () => {
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

const push = (token: string, changes: unknown[], headers: Record<string, string> = {}) =>
  hubRequest<PushResponse>(hub.url, '/v1/push', { token, json: { changes }, headers });
const pull = (token: string, query: string) => hubRequest<PullResponse>(hub.url, `/v1/pull?${query}`, { token });
const records = (token: string, keys: { table: string; recordId: string }[]) =>
  hubRequest<{ records: RecordState[] }>(hub.url, '/v1/records', { token, json: { keys } });

async function pullAll(token: string, since = 0, limit = 1000, delta = false) {
  const changes: PullResponse['changes'] = [];
  let cursor = since;
  for (;;) {
    const r = await pull(token, `since=${cursor}&limit=${limit}${delta ? '&delta=1' : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    pullResponseSchema.parse(r.body);
    changes.push(...r.body.changes);
    assert.ok(r.body.cursor >= cursor, 'the cursor never goes back');
    cursor = r.body.cursor;
    if (!r.body.hasMore) return { changes, cursor };
  }
}

describe('hub on embedded PGlite', () => {
  test('health, admin token file (0600) and a lock that keeps a second hub off the data folder', async () => {
    const health = await hubRequest(hub.url, '/health');
    assert.deepEqual(health.body, { ok: true, version: '0.1.0', database: 'pglite' });
    const file = join(dir, 'admin-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), hub.adminToken);
    await assert.rejects(startHub({ dataDir: dir }), (e: Error & { code?: string }) => e.code === 'locked');
  });

  test('enrollment needs the admin token; a chosen node id is refused when taken; whoami', async () => {
    const anonymous = await hubRequest(hub.url, '/v1/nodes', { json: { name: 'x' } });
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await hubRequest(hub.url, '/v1/nodes', { token: 'admin.wrong-token-of-enough-length', json: { name: 'x' } })).status, 401);
    const a = await enrollNode(hub.url, hub.adminToken, 'laptop');
    assert.match(a.token, new RegExp(`^${a.nodeId}\\.`));
    // a node token is not an admin token
    assert.equal((await hubRequest(hub.url, '/v1/nodes', { token: a.token, json: { name: 'y' } })).status, 401);
    const chosen = await enrollNode(hub.url, hub.adminToken, 'edge box', 'edge-box-7');
    assert.equal(chosen.nodeId, 'edge-box-7');
    const again = await hubRequest<{ error: { code: string } }>(hub.url, '/v1/nodes', { token: hub.adminToken, json: { name: 'other', nodeId: 'edge-box-7' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'conflict');
    const who = await hubRequest(hub.url, '/v1/whoami', { token: chosen.token });
    assert.deepEqual(who.body, { nodeId: 'edge-box-7', name: 'edge box' });
    assert.equal((await hubRequest(hub.url, '/v1/whoami')).status, 401);
    assert.equal((await hubRequest(hub.url, '/v1/whoami', { token: `${chosen.nodeId}.forged-secret-forged-secret` })).status, 401);
    // the enrollment names of the other nodes (what a conflict names its sides by); a revoked node is not listed
    const names = await hubRequest<{ nodes: { nodeId: string; name: string }[] }>(hub.url, '/v1/nodes', { token: a.token });
    assert.deepEqual(names.body.nodes.find((n) => n.nodeId === 'edge-box-7'), { nodeId: 'edge-box-7', name: 'edge box' });
    const gone = await enrollNode(hub.url, hub.adminToken, 'retired');
    assert.equal((await hubRequest(hub.url, `/v1/nodes/${gone.nodeId}`, { token: hub.adminToken, method: 'DELETE' })).status, 200);
    const after = await hubRequest<{ nodes: { nodeId: string }[] }>(hub.url, '/v1/nodes', { token: a.token });
    assert.equal(after.body.nodes.some((n) => n.nodeId === gone.nodeId), false);
    assert.equal((await hubRequest(hub.url, '/v1/nodes')).status, 401);
  });

  test('push, then pull from another node in seq order; the pusher skips its own changes but its cursor moves', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'a');
    const b = await enrollNode(hub.url, hub.adminToken, 'b');
    const start = (await pullAll(b.token)).cursor;
    const changes = [1, 2, 3].map((i) => makeChange(a.nodeId, `order-${i}`, { [a.nodeId]: 1 }));
    const r = await push(a.token, changes);
    assert.equal(r.status, 200);
    pushResponseSchema.parse(r.body);
    assert.deepEqual(r.body.results.map((x) => x.status), ['applied', 'applied', 'applied']);
    const seqs = r.body.results.map((x) => (x as { seq: number }).seq);
    assert.deepEqual([...seqs].sort((x, y) => x - y), seqs);

    const paged = await pullAll(b.token, start, 2);
    assert.deepEqual(paged.changes.map((c) => c.changeId), changes.map((c) => c.changeId));
    assert.deepEqual(paged.changes.map((c) => c.seq), seqs);
    assert.deepEqual(paged.changes[0]!.data, changes[0]!.data);
    assert.equal(paged.changes[0]!.nodeId, a.nodeId);

    const own = await pull(a.token, `since=${start}`);
    assert.deepEqual(own.body.changes, []);
    assert.equal(own.body.cursor, seqs[2]);
    assert.equal(own.body.hasMore, false);
  });

  test('a retried batch never applies twice: duplicates answer the original seqs', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'retrier');
    const b = await enrollNode(hub.url, hub.adminToken, 'watcher');
    const start = (await pullAll(b.token)).cursor;
    const batch = [makeChange(a.nodeId, 'idem-1', { [a.nodeId]: 1 }), makeChange(a.nodeId, 'idem-2', { [a.nodeId]: 1 })];
    const first = await push(a.token, batch);
    const second = await push(a.token, batch);
    assert.deepEqual(second.body.results.map((x) => x.status), ['duplicate', 'duplicate']);
    assert.deepEqual(
      second.body.results.map((x) => (x as { seq: number }).seq),
      first.body.results.map((x) => (x as { seq: number }).seq),
    );
    // the same change twice in one batch is applied once
    const c = makeChange(a.nodeId, 'idem-3', { [a.nodeId]: 1 });
    const twice = await push(a.token, [c, c]);
    assert.deepEqual(twice.body.results.map((x) => x.status), ['applied', 'duplicate']);
    // the same write resent under a new change id (equal version vector) is the write the hub holds
    const resent = await push(a.token, [{ ...batch[0]!, changeId: randomUUID() }]);
    assert.equal(resent.body.results[0]!.status, 'duplicate');
    assert.equal((resent.body.results[0] as { seq: number }).seq, (first.body.results[0] as { seq: number }).seq);
    const pulled = await pullAll(b.token, start);
    assert.deepEqual(pulled.changes.map((x) => x.recordId), ['idem-1', 'idem-2', 'idem-3']);
  });

  test('conflicts carry the current state and change nothing; descendants apply', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'ca');
    const b = await enrollNode(hub.url, hub.adminToken, 'cb');
    const first = makeChange(a.nodeId, 'c-1', { [a.nodeId]: 1 }, { data: { name: 'from a', n: 1 } });
    await push(a.token, [first]);

    const concurrent = makeChange(b.nodeId, 'c-1', { [b.nodeId]: 1 }, { data: { name: 'from b' } });
    const r = await push(b.token, [concurrent]);
    const result = r.body.results[0]!;
    assert.equal(result.status, 'conflict');
    assert.ok(result.status === 'conflict');
    assert.deepEqual(result.current.data, { name: 'from a', n: 1 });
    assert.deepEqual(result.current.vv, { [a.nodeId]: 1 });
    assert.equal(result.current.hlc, first.hlc);
    assert.equal(result.current.nodeId, a.nodeId);
    const unchanged = await records(b.token, [{ table: 'agents', recordId: 'c-1' }]);
    assert.deepEqual(unchanged.body.records[0]!.data, { name: 'from a', n: 1 });

    // after seeing a's write, b's merged write descends from it and applies
    const merged = makeChange(b.nodeId, 'c-1', { [a.nodeId]: 1, [b.nodeId]: 1 }, { data: { name: 'merged' } });
    assert.equal((await push(b.token, [merged])).body.results[0]!.status, 'applied');
    // an older write (a's first again, under a new change id) is now behind: conflict
    const stale = makeChange(a.nodeId, 'c-1', { [a.nodeId]: 1 }, { data: { name: 'stale' } });
    const staleResult = (await push(a.token, [stale])).body.results[0]!;
    assert.equal(staleResult.status, 'conflict');
  });

  test("a change claiming another node's counter beyond the hub's state of the record is refused, counted and changes nothing", async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'fa');
    const b = await enrollNode(hub.url, hub.adminToken, 'fb');
    const stats = async () => (await hubRequest<{ refused: Record<string, number> }>(hub.url, '/v1/admin/stats', { token: hub.adminToken })).body.refused.forged_vv ?? 0;
    const refusedBefore = await stats();
    await push(a.token, [makeChange(a.nodeId, 'f-1', { [a.nodeId]: 1 }, { data: { name: 'from a' } })]);
    // b claims a's counter 2 (a wrote only 1): it would overwrite a's next concurrent write with no conflict
    const ahead = makeChange(b.nodeId, 'f-1', { [a.nodeId]: 2, [b.nodeId]: 1 }, { data: { name: 'forged' } });
    // b sets a's entry of a record a never wrote to 2^53 - 1: a's writes there would never descend again
    const stall = makeChange(b.nodeId, 'f-2', { [a.nodeId]: Number.MAX_SAFE_INTEGER, [b.nodeId]: 1 });
    // a counter of a node the hub has never seen on this record at all
    const proto = makeChange(b.nodeId, 'f-3', { 'never-wrote-here': 1, [b.nodeId]: 1 });
    const r = await push(b.token, [ahead, stall, proto]);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.results.map((x) => (x.status === 'rejected' ? x.error.code : x.status)), ['forged_vv', 'forged_vv', 'forged_vv']);
    const message = r.body.results[0]!.status === 'rejected' ? r.body.results[0]!.error.message : '';
    assert.match(message, new RegExp(`counter 2 of node "${a.nodeId}".*hub holds 1`));
    assert.equal(await stats(), refusedBefore + 3);
    const state = await records(a.token, [{ table: 'agents', recordId: 'f-1' }, { table: 'agents', recordId: 'f-2' }, { table: 'agents', recordId: 'f-3' }]);
    assert.deepEqual(state.body.records.map((x) => [x.recordId, x.data, x.vv]), [['f-1', { name: 'from a' }, { [a.nodeId]: 1 }]]);
    // what b really saw of a's counter is accepted; the stats are the admin's, not a node's
    const honest = makeChange(b.nodeId, 'f-1', { [a.nodeId]: 1, [b.nodeId]: 1 }, { data: { name: 'merged by b' } });
    assert.equal((await push(b.token, [honest])).body.results[0]!.status, 'applied');
    assert.equal((await hubRequest(hub.url, '/v1/admin/stats', { token: b.token })).status, 401);
  });

  test("a change stamped more than five minutes past the hub's clock is refused as clock_ahead (retryable); four minutes pass", async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'ka');
    const stamped = (recordId: string, aheadMs: number) =>
      makeChange(a.nodeId, recordId, { [a.nodeId]: 1 }, { hlc: `${String(Date.now() + aheadMs).padStart(15, '0')}-000000-${a.nodeId}` });
    const r = await push(a.token, [stamped('k-1', 3 * 3_600_000), stamped('k-2', 4 * 60_000)]);
    assert.equal(r.status, 200);
    const [far, near] = r.body.results;
    assert.ok(far!.status === 'rejected' && far!.error.code === 'clock_ahead', JSON.stringify(far));
    assert.match(far!.error.message, /180 min ahead of the hub's \(at most 5 min/);
    assert.equal(near!.status, 'applied');
    assert.deepEqual((await records(a.token, [{ table: 'agents', recordId: 'k-1' }])).body.records, []);
  });

  test('patches apply on their exact base only; pull sends them as deltas on request; deletes leave tombstones', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'pa');
    const b = await enrollNode(hub.url, hub.adminToken, 'pb');
    const start = (await pullAll(b.token)).cursor;
    const v1 = { [a.nodeId]: 1 };
    await push(a.token, [makeChange(a.nodeId, 'p-1', v1, { data: { name: 'n', status: 'active', config: { x: 1 } } })]);

    const v2 = { [a.nodeId]: 2 };
    const patch = makeChange(a.nodeId, 'p-1', v2, { data: undefined, patch: { set: { status: 'paused' }, unset: ['config'] }, baseVv: v1 });
    assert.equal((await push(a.token, [patch])).body.results[0]!.status, 'applied');
    const state = (await records(b.token, [{ table: 'agents', recordId: 'p-1' }])).body.records[0]!;
    assert.deepEqual(state.data, { name: 'n', status: 'paused' });
    assert.deepEqual(state.vv, v2);

    // a patch against a base that is no longer current is a conflict
    const stalePatch = makeChange(a.nodeId, 'p-1', { [a.nodeId]: 3 }, { data: undefined, patch: { set: { status: 'x' }, unset: [] }, baseVv: v1 });
    const conflict = (await push(a.token, [stalePatch])).body.results[0]!;
    assert.equal(conflict.status, 'conflict');
    assert.ok(conflict.status === 'conflict' && conflict.current.vv[a.nodeId] === 2);
    // a patch for a record the hub never saw is a conflict with an explicit absent state
    const orphan = makeChange(a.nodeId, 'p-none', v2, { data: undefined, patch: { set: { a: 1 }, unset: [] }, baseVv: v1 });
    const orphanResult = (await push(a.token, [orphan])).body.results[0]!;
    assert.ok(orphanResult.status === 'conflict' && orphanResult.current.data === null && orphanResult.current.seq === 0);

    const del = makeChange(a.nodeId, 'p-1', { [a.nodeId]: 3 }, { op: 'delete', data: undefined, baseVv: v2 });
    assert.equal((await push(a.token, [del])).body.results[0]!.status, 'applied');
    const tomb = (await records(b.token, [{ table: 'agents', recordId: 'p-1' }])).body.records[0]!;
    assert.equal(tomb.deleted, true);
    assert.equal(tomb.data, null);

    const full = (await pullAll(b.token, start)).changes;
    assert.deepEqual(full.map((c) => c.op), ['upsert', 'upsert', 'delete']);
    assert.deepEqual(full[1]!.data, { name: 'n', status: 'paused' });
    assert.equal(full[1]!.patch, undefined);
    const delta = (await pullAll(b.token, start, 1000, true)).changes;
    assert.deepEqual(delta[1]!.patch, { set: { status: 'paused' }, unset: ['config'] });
    assert.deepEqual(delta[1]!.baseVv, v1);
    assert.equal(delta[1]!.data, undefined);
    assert.deepEqual(delta[0]!.data, { name: 'n', status: 'active', config: { x: 1 } });
    assert.equal(delta[2]!.data, undefined);
  });

  test('several changes to one record in one batch chain in order; the record ends at the last', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'chain');
    const b = await enrollNode(hub.url, hub.adminToken, 'chain-reader');
    const start = (await pullAll(b.token)).cursor;
    const v = (n: number) => ({ [a.nodeId]: n });
    const batch = [
      makeChange(a.nodeId, 'chain-1', v(1), { data: { step: 1 } }),
      makeChange(a.nodeId, 'chain-1', v(2), { data: { step: 2, keep: true } }),
      makeChange(a.nodeId, 'chain-1', v(3), { data: undefined, baseVv: v(2), patch: { set: { step: 3 }, unset: [] } }),
      makeChange(a.nodeId, 'chain-1', v(2), { data: { step: 'behind' } }), // behind the batch's own state: conflict
    ];
    const r = await push(a.token, batch);
    assert.deepEqual(r.body.results.map((x) => x.status), ['applied', 'applied', 'applied', 'conflict']);
    const last = r.body.results[3]!;
    assert.ok(last.status === 'conflict');
    assert.deepEqual(last.current.data, { step: 3, keep: true });
    const state = (await records(b.token, [{ table: 'agents', recordId: 'chain-1' }])).body.records[0]!;
    assert.deepEqual(state.data, { step: 3, keep: true });
    assert.deepEqual(state.vv, v(3));
    assert.equal(state.seq, (r.body.results[2] as { seq: number }).seq);
    const pulled = await pullAll(b.token, start);
    assert.deepEqual(pulled.changes.map((c) => c.data), [{ step: 1 }, { step: 2, keep: true }, { step: 3, keep: true }]);
  });

  test('a node pushes only as itself (403, nothing applied); a change id of another node is rejected', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'honest');
    const m = await enrollNode(hub.url, hub.adminToken, 'mallory');
    const mine = makeChange(m.nodeId, 'imp-1', { [m.nodeId]: 1 });
    const forged = makeChange(a.nodeId, 'imp-2', { [a.nodeId]: 1 });
    const r = await hubRequest<{ error: { code: string } }>(hub.url, '/v1/push', { token: m.token, json: { changes: [mine, forged] } });
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'forbidden');
    const none = await records(a.token, [{ table: 'agents', recordId: 'imp-1' }, { table: 'agents', recordId: 'imp-2' }]);
    assert.deepEqual(none.body.records, []);

    const honest = makeChange(a.nodeId, 'imp-3', { [a.nodeId]: 1 });
    await push(a.token, [honest]);
    const replay = { ...honest, nodeId: m.nodeId, vv: { [m.nodeId]: 1 }, recordId: 'imp-4' };
    const replayed = (await push(m.token, [replay])).body.results[0]!;
    assert.equal(replayed.status, 'rejected');
  });

  test('revocation: the token stops working at once and its event stream ends', async () => {
    const n = await enrollNode(hub.url, hub.adminToken, 'to-revoke');
    const stream = await openEventStream(hub.url, n.token);
    await stream.waitFor((s) => s.length >= 1); // the current head on connect
    assert.equal((await hubRequest(hub.url, `/v1/nodes/${n.nodeId}`, { method: 'DELETE', token: n.token })).status, 401);
    const revoked = await hubRequest(hub.url, `/v1/nodes/${n.nodeId}`, { method: 'DELETE', token: hub.adminToken });
    assert.deepEqual(revoked.body, { revoked: true });
    const after = await hubRequest<{ error: { code: string; message: string } }>(hub.url, '/v1/whoami', { token: n.token });
    assert.equal(after.status, 401);
    assert.match(after.body.error.message, /revoked/);
    assert.equal((await push(n.token, [makeChange(n.nodeId, 'rv', { [n.nodeId]: 1 })])).status, 401);
    await stream.ended; // ends on the next heartbeat's token check
    assert.equal((await hubRequest(hub.url, '/v1/nodes/no-such-node', { method: 'DELETE', token: hub.adminToken })).status, 404);
    // a revoked id cannot be taken over by a new enrollment
    assert.equal((await hubRequest(hub.url, '/v1/nodes', { token: hub.adminToken, json: { name: 'thief', nodeId: n.nodeId } })).status, 409);
  });

  test('the event stream tells a node about other nodes\' pushes', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'ev-a');
    const b = await enrollNode(hub.url, hub.adminToken, 'ev-b');
    const stream = await openEventStream(hub.url, b.token);
    try {
      await stream.waitFor((s) => s.length >= 1);
      const r = await push(a.token, [makeChange(a.nodeId, 'ev-1', { [a.nodeId]: 1 })]);
      const seq = (r.body.results[0] as { seq: number }).seq;
      await stream.waitFor((s) => s.includes(seq));
    } finally {
      stream.close();
    }
  });

  test('gzip and brotli request bodies; responses compressed per Accept-Encoding', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'zip');
    const gz = gzipSync(JSON.stringify({ changes: [makeChange(a.nodeId, 'z-1', { [a.nodeId]: 1 })] }));
    const br = brotliCompressSync(JSON.stringify({ changes: [makeChange(a.nodeId, 'z-2', { [a.nodeId]: 1 })] }));
    for (const [encoding, body] of [['gzip', gz], ['br', br]] as const) {
      const r = await hubRequest<PushResponse>(hub.url, '/v1/push', {
        token: a.token,
        body,
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.results[0]!.status, 'applied');
    }
    // a large pull answer comes back gzipped when asked for
    const bulk = Array.from({ length: 40 }, (_, i) => makeChange(a.nodeId, `z-bulk-${i}`, { [a.nodeId]: 1 }));
    await push(a.token, bulk);
    const reader = await enrollNode(hub.url, hub.adminToken, 'zip-reader');
    const raw = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      const req = httpRequest(`${hub.url}/v1/pull?since=0`, { headers: { authorization: `Bearer ${reader.token}`, 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(raw.encoding, 'gzip');
    const parsed = pullResponseSchema.parse(JSON.parse(gunzipSync(raw.body).toString('utf8')));
    assert.ok(parsed.changes.length >= 42);
  });

  test('body limits: 413 past the limit, also for a gzip bomb measured after decompression', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'big');
    const huge = JSON.stringify({ changes: [makeChange(a.nodeId, 'big-1', { [a.nodeId]: 1 }, { data: { blob: 'x'.repeat(33 * 1024 * 1024) } })] });
    const r = await hubRequest<{ error: { code: string } }>(hub.url, '/v1/push', { token: a.token, body: huge, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'payload_too_large');
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces, ~64 KiB on the wire
    assert.ok(bomb.length < 1024 * 1024);
    const b = await hubRequest<{ error: { code: string } }>(hub.url, '/v1/push', {
      token: a.token,
      body: bomb,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    });
    assert.equal(b.status, 413);
    assert.equal(b.body.error.code, 'payload_too_large');
    assert.equal((await hubRequest(hub.url, '/health')).status, 200);
    assert.deepEqual((await records(a.token, [{ table: 'agents', recordId: 'big-1' }])).body.records, []);
  });

  test('an unsupported Content-Encoding is 415 naming the encoding and what to send instead; nothing is stored', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'encoding');
    const body = JSON.stringify({ changes: [makeChange(a.nodeId, 'enc-1', { [a.nodeId]: 1 })] });
    for (const encoding of ['compress', 'deflate', 'zstd', 'gzip, x']) {
      const r = await hubRequest<{ error: { code: string; message: string } }>(hub.url, '/v1/push', {
        token: a.token,
        body,
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
      });
      assert.equal(r.status, 415, `${encoding}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'invalid_input');
      assert.match(r.body.error.message, /Unsupported Content-Encoding/);
      assert.ok(r.body.error.message.includes(JSON.stringify(encoding)), r.body.error.message);
      assert.match(r.body.error.message, /gzip, br or uncompressed/);
    }
    assert.deepEqual((await records(a.token, [{ table: 'agents', recordId: 'enc-1' }])).body.records, []);
    const plain = await hubRequest<PushResponse>(hub.url, '/v1/push', { token: a.token, body, headers: { 'content-type': 'application/json' } });
    assert.equal(plain.body.results[0]!.status, 'applied', 'the same body uncompressed is fine');
  });

  test('malformed JSON, wrong types and hostile strings get 400 with a code; the hub stays healthy', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'fuzz');
    const ok = makeChange(a.nodeId, 'fz-1', { [a.nodeId]: 1 });
    const cases: { body?: string; bytes?: Uint8Array; json?: unknown; headers?: Record<string, string>; path?: string; method?: string; status?: number }[] = [
      { body: '{"changes": [', headers: { 'content-type': 'application/json' } },
      { body: 'not json at all', headers: { 'content-type': 'application/json' } },
      { body: '', headers: { 'content-type': 'application/json' } },
      { bytes: Buffer.concat([Buffer.from('{"changes":[{"data":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]), headers: { 'content-type': 'application/json' } },
      { json: { changes: 'x' } },
      { json: { changes: [] } },
      { json: { changes: [{ ...ok, vv: { [a.nodeId]: -1 } }] } },
      { json: { changes: [{ ...ok, table: 'users; DROP TABLE records' }] } },
      { json: { changes: [{ ...ok, recordId: "x' OR 1=1 --" }] } },
      { json: { changes: [{ ...ok, changeId: 'not-a-uuid' }] } },
      { json: { changes: [{ ...ok, extra: true }] } },
      { json: { changes: [ok], more: 1 } },
      { json: { changes: [{ ...ok, data: { name: 'nul \u0000 inside' } }] } },
      { json: { changes: [{ ...ok, data: { name: 'lone \ud800 surrogate' } }] } },
      { json: { changes: [{ ...ok, data: { ['\u0000key']: 1 } }] } },
      { body: '{"changes":[' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) + ']}', headers: { 'content-type': 'application/json' } },
      { body: '{"__proto__": {"polluted": true}, "changes": []}', headers: { 'content-type': 'application/json' } },
      { body: gzipSync('{}').subarray(0, 8).toString('latin1'), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } },
      { body: '{}', headers: { 'content-type': 'application/json', 'content-encoding': 'compress' }, status: 415 },
      { path: '/v1/pull?since=-1', method: 'GET' },
      { path: '/v1/pull?since=abc', method: 'GET' },
      { path: '/v1/pull?limit=0', method: 'GET' },
      { path: '/v1/pull?limit=100000', method: 'GET' },
      { path: '/v1/pull?since=1&evil=1', method: 'GET' },
      { path: '/v1/pull?since=9007199254740991', method: 'GET' }, // a cursor past the log's head
      { path: '/v1/records', json: { keys: [{ table: 'agents', recordId: '../../etc/passwd' }] } },
      { path: '/v1/nodes/bad%20id', method: 'DELETE' },
    ];
    for (const c of cases) {
      const token = c.path === '/v1/nodes/bad%20id' ? hub.adminToken : a.token;
      const r = await hubRequest<{ error: { code: string; message: string } }>(hub.url, c.path ?? '/v1/push', {
        token,
        method: c.method,
        json: c.json,
        body: c.bytes ?? c.body,
        headers: c.headers,
      });
      const label = JSON.stringify(c).slice(0, 120);
      assert.equal(r.status, c.status ?? 400, `${label} -> ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      assert.equal(typeof r.body.error?.message, 'string', label);
      assert.equal(r.body.error.code, 'invalid_input', label);
    }
    assert.equal((await hubRequest(hub.url, '/health')).status, 200);
    assert.equal((await push(a.token, [ok])).body.results[0]!.status, 'applied');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('SQL and odd Unicode in field names and values are just data, stored and returned intact', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'sql');
    const b = await enrollNode(hub.url, hub.adminToken, 'sql-reader');
    const start = (await pullAll(b.token)).cursor;
    const data = {
      "name'); DROP TABLE records; --": "x' OR '1'='1",
      '$1': '$2::jsonb',
      'emoji 😀 and \u00e9': 'line\nbreak "quoted" \\ backslash',
      nested: { deeper: [1, 2.5, -3e-7, null, true, { k: 'v' }] },
    };
    const change = makeChange(a.nodeId, 'sql.1:x_y-z', { [a.nodeId]: 1 }, { data });
    assert.equal((await push(a.token, [change])).body.results[0]!.status, 'applied');
    const pulled = await pullAll(b.token, start);
    assert.deepEqual(pulled.changes[0]!.data, data);
    const state = (await records(b.token, [{ table: 'agents', recordId: 'sql.1:x_y-z' }])).body.records[0]!;
    assert.deepEqual(state.data, data);
    assert.equal((await hubRequest(hub.url, '/health')).status, 200);
  });

  test('runHub refuses bad arguments with a usage message', async () => {
    const { runHub } = await import('./index');
    const previous = process.exitCode;
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      await runHub(['hub', '--port', '7']);
      assert.equal(process.exitCode, 2);
      await runHub(['hub', '--data', dir, '--port', 'x']);
      await runHub(['hub', '--data', dir, '--no-such-flag']);
    } finally {
      console.error = original;
      process.exitCode = previous;
    }
    assert.match(errors[0]!, /--data DIR is required/);
    assert.match(errors[1]!, /--port must be/);
    assert.equal(errors.length, 3);
  });

  test('per-node rate limit: 429 with Retry-After, other nodes unaffected', async () => {
    const noisy = await enrollNode(hub.url, hub.adminToken, 'noisy');
    const quiet = await enrollNode(hub.url, hub.adminToken, 'quiet');
    let limited: Awaited<ReturnType<typeof hubRequest<{ error: { code: string } }>>> | null = null;
    for (let i = 0; i <= RATE_MAX && !limited; i++) {
      const r = await hubRequest<{ error: { code: string } }>(hub.url, '/v1/whoami', { token: noisy.token });
      if (r.status === 429) limited = r;
      else assert.equal(r.status, 200);
    }
    assert.ok(limited, 'the limit was reached');
    assert.equal(limited.body.error.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 60, `Retry-After ${limited.headers.get('retry-after')}`);
    assert.equal((await hubRequest(hub.url, '/v1/whoami', { token: quiet.token })).status, 200);
  });

  test('Git hosting is mounted at /git/<workspace>.git with the node token as basic-auth password', async () => {
    const n = await enrollNode(hub.url, hub.adminToken, 'git-user');
    const refs = '/git/notes.git/info/refs?service=git-upload-pack';
    const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`any:${token}`).toString('base64')}` });
    assert.equal((await hubRequest(hub.url, refs)).status, 401);
    assert.equal((await hubRequest(hub.url, refs, { headers: basic(`${n.nodeId}.wrong-secret-wrong-secret`) })).status, 401);
    const ok = await hubRequest<string>(hub.url, refs, { headers: basic(n.token) });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/x-git-upload-pack-advertisement');
  });

  test('data survives a restart', async () => {
    const a = await enrollNode(hub.url, hub.adminToken, 'persist');
    await push(a.token, [makeChange(a.nodeId, 'persist-1', { [a.nodeId]: 1 }, { data: { kept: true } })]);
    const token = hub.adminToken;
    await hub.close();
    hub = await startHub({ dataDir: dir, rateLimit: { max: RATE_MAX, windowMs: 60_000 }, heartbeatMs: 150 });
    assert.equal(hub.adminToken, token);
    const r = await records(a.token, [{ table: 'agents', recordId: 'persist-1' }]);
    assert.deepEqual(r.body.records[0]!.data, { kept: true });
  });
});

describe('failed authentication', () => {
  test('is limited per address: 429 after N failures, then even a good token waits for the window', async () => {
    const limitedDir = mkdtempSync(join(tmpdir(), 'outpost-hub-authlimit-'));
    const limited = await startHub({ dataDir: limitedDir, authFailures: { max: 3, windowMs: 60_000 }, heartbeatMs: 150 });
    try {
      const n = await enrollNode(limited.url, limited.adminToken, 'victim');
      assert.equal((await hubRequest(limited.url, '/v1/whoami', { token: n.token })).status, 200);
      assert.equal((await hubRequest(limited.url, '/v1/whoami', { token: `${n.nodeId}.wrong-secret-wrong-secret-1` })).status, 401);
      assert.equal((await hubRequest(limited.url, '/v1/nodes', { token: 'admin.wrong-token-of-enough-length', json: { name: 'x' } })).status, 401);
      assert.equal((await hubRequest(limited.url, '/v1/whoami')).status, 401);
      const blocked = await hubRequest(limited.url, '/v1/whoami', { token: `${n.nodeId}.wrong-secret-wrong-secret-2` });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get('retry-after')) > 0);
      assert.equal((await hubRequest(limited.url, '/v1/whoami', { token: n.token })).status, 429, 'refused before the token is looked up');
      assert.equal((await hubRequest(limited.url, '/health')).status, 200, 'unauthenticated routes stay open');
    } finally {
      await limited.close();
      rmSync(limitedDir, { recursive: true, force: true });
    }
  });
});

describe('admin token rotation', () => {
  test('POST /v1/admin/rotate answers a new admin token, revokes the old one and persists the new one', async () => {
    const rotDir = mkdtempSync(join(tmpdir(), 'outpost-hub-rotate-'));
    let rot = await startHub({ dataDir: rotDir, heartbeatMs: 150 });
    try {
      const old = rot.adminToken;
      assert.equal((await hubRequest(rot.url, '/v1/admin/rotate', { json: {} })).status, 401, 'needs the admin token');
      const n = await enrollNode(rot.url, old, 'before-rotation');
      assert.equal((await hubRequest(rot.url, '/v1/admin/rotate', { token: n.token, json: {} })).status, 401, 'a node token cannot rotate');
      const rotated = await hubRequest<{ token: string }>(rot.url, '/v1/admin/rotate', { token: old, json: {} });
      assert.equal(rotated.status, 200);
      const fresh = rotated.body.token;
      assert.notEqual(fresh, old);
      assert.equal((await hubRequest(rot.url, '/v1/nodes', { token: old, json: { name: 'x' } })).status, 401, 'the old token is revoked');
      assert.equal((await hubRequest(rot.url, '/v1/nodes', { token: fresh, json: { name: 'y' } })).status, 201);
      assert.equal(readFileSync(join(rotDir, 'admin-token'), 'utf8').trim(), fresh);
      assert.equal(statSync(join(rotDir, 'admin-token')).mode & 0o777, 0o600);
      assert.equal((await hubRequest(rot.url, '/v1/whoami', { token: n.token })).status, 200, 'node tokens are untouched');
      await rot.close();
      rot = await startHub({ dataDir: rotDir, heartbeatMs: 150 });
      assert.equal(rot.adminToken, fresh);
      assert.equal((await hubRequest(rot.url, '/v1/nodes', { token: old, json: { name: 'z' } })).status, 401, 'still revoked after a restart');
    } finally {
      await rot.close();
      rmSync(rotDir, { recursive: true, force: true });
    }
  });
});
