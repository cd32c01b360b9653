/**
 * Hostile input against the hub's API (a real hub on embedded PGlite, over loopback HTTP): generated
 * mutations of valid pushes, random bodies on every route, compressed bombs (gzip and brotli), invalid
 * UTF-8, SQL and hostile strings in values and field names, and the auth cases: no token, a malformed or
 * forged token, a revoked token, another node's id, a replayed change id, a tampered cursor. Every case gets
 * a clear 4xx, nothing is applied by a refused request, and the data pushed before is intact afterwards.
 * The counts of hostile inputs are recorded only if every test passed.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { brotliCompressSync, constants as zlibConstants, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { startTestHub, type TestHub } from '../sync/support';
import { hubRequest, makeChange, type HubResponse } from '../../server/test-support/hub-client';
import { pushRequestSchema, type PushResult, type RecordState, type WireChange } from '../../shared/sync/wire';
import { findUnsafeJson } from '../../shared/sync/json-safety';
import { errorCodes } from '../../shared/errors';
import { trackedSuite } from '../reliability/figures';
import { HOSTILE_KEYS, HOSTILE_STRINGS, invalidUtf8Body, rawHttp } from './hostile';

const suite = trackedSuite('security-hub', 'hostile input: hub API');
const test = suite.test;
let hub: TestHub;
let a: { nodeId: string; token: string };
let b: { nodeId: string; token: string };
let observer: { nodeId: string; token: string };
const baseline: WireChange[] = [];
const started = Date.now();
const tried: Record<string, number> = {};
const count = (kind: string, n = 1) => (tried[kind] = (tried[kind] ?? 0) + n);

before(async () => {
  // this file sends hundreds of refused credentials on purpose; the failure limiter has its own test (server/hub.test.ts)
  hub = await startTestHub({ rateLimit: false, authFailures: { max: 100_000, windowMs: 60_000 } });
  a = await hub.enroll('alpha', 'alpha');
  b = await hub.enroll('beta', 'beta');
  observer = await hub.enroll('observer', 'observer');
});
after(async () => {
  await hub?.destroy();
  suite.finish(() => ({ hostile: tried, durationMs: Date.now() - started }));
});

type ErrorBody = { error?: { code: string; message: string } };

function assertClearRefusal(r: HubResponse<unknown>, what: string, status?: number): void {
  const body = r.body as ErrorBody;
  if (status !== undefined) assert.equal(r.status, status, `${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.ok(r.status >= 400 && r.status < 500, `${what}: expected a 4xx, got ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  assert.ok(body?.error && Object.hasOwn(errorCodes, body.error.code), `${what}: error code ${JSON.stringify(r.body).slice(0, 200)}`);
  assert.ok(body.error.message.length > 0, `${what}: a message`);
}


const push = (token: string, changes: unknown[]) => hubRequest<{ results: PushResult[] } & ErrorBody>(hub.url, '/v1/push', { token, json: { changes } });
const records = async (keys: { table: string; recordId: string }[]) =>
  (await hubRequest<{ records: RecordState[] }>(hub.url, '/v1/records', { token: observer.token, json: { keys } })).body.records;
async function head(): Promise<number> {
  const r = await hubRequest<{ cursor: number }>(hub.url, '/v1/pull?since=0&limit=1', { token: observer.token });
  assert.equal(r.status, 200);
  let since = 0;
  for (;;) {
    const page = await hubRequest<{ cursor: number; hasMore: boolean }>(hub.url, `/v1/pull?since=${since}&limit=10000`, { token: observer.token });
    since = page.body.cursor;
    if (!page.body.hasMore) return since;
  }
}

test('baseline: each node pushes records to compare with at the end', async () => {
  for (const [node, n] of [[a, 3], [b, 2]] as const) {
    for (let i = 0; i < n; i++) baseline.push(makeChange(node.nodeId, `${node.nodeId}-keep-${i}`, { [node.nodeId]: 1 }, { data: { name: `keep ${i}`, n: i } }));
    const r = await push(node.token, baseline.filter((c) => c.nodeId === node.nodeId));
    assert.equal(r.status, 200);
    assert.ok(r.body.results.every((x) => x.status === 'applied'));
  }
});

test('generated mutations of a valid push are refused with 400 and apply nothing', { timeout: 60_000 }, async (t) => {
  const before = await head();
  const fields = ['changeId', 'table', 'recordId', 'hlc', 'vv', 'nodeId', 'op', 'priority', 'baseVv', 'data', 'patch'] as const;
  // a valid change whose record, history or clock was mutated may meet existing state (a conflict) or be refused
  // on its merits (forged_vv, clock_ahead); any other valid mutation must simply apply
  const stateful = new Set<string>(['table', 'recordId', 'hlc', 'vv', 'baseVv']);
  const badValue = fc.oneof(
    fc.constantFrom<unknown>(null, '', -1, 1.5, 1e308, true, [], {}, 'x'.repeat(300), "'; DROP TABLE change_log; --", { $ne: null }, [1, [2, [3]]]),
    fc.jsonValue({ maxDepth: 3 }),
  );
  let n = 0;
  let expectedValid = 0;
  let answeredValid = 0;
  let applied = 0;
  const appliedChanges: WireChange[] = [];
  const refusedIds: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...fields), badValue, fc.boolean(), async (field, value, drop) => {
      const recordId = `mut-${n++}`;
      const change: Record<string, unknown> = { ...makeChange(a.nodeId, recordId, { [a.nodeId]: 1 }) };
      if (drop) delete change[field];
      else change[field] = value;
      count('mutated push (wrong type, missing field)');
      // what the hub must answer, from the input alone: the body as it arrives, through the wire schema and the
      // JSON safety check; a valid change naming another node is 403
      const body = JSON.parse(JSON.stringify({ changes: [change] })) as unknown;
      const valid = pushRequestSchema.safeParse(body).success && findUnsafeJson(body) === null;
      const otherNode = valid && (body as { changes: WireChange[] }).changes[0]!.nodeId !== a.nodeId;
      if (valid && !otherNode) expectedValid++;
      const what = `${drop ? 'without' : 'bad'} ${field} ${JSON.stringify(value).slice(0, 100)}`;
      const r = await push(a.token, [change]);
      if (r.status === 200) {
        answeredValid++;
        assert.ok(valid && !otherNode, `${what}: accepted, but the schema refuses it`);
        const result = r.body.results[0]!;
        if (result.status === 'applied') {
          applied++;
          appliedChanges.push((body as { changes: WireChange[] }).changes[0]!);
        } else {
          assert.ok(stateful.has(field) && (result.status === 'conflict' || result.status === 'rejected'), `${what}: ${JSON.stringify(result)}`);
        }
        return;
      }
      assert.ok(!valid || otherNode, `${what}: refused (${r.status}), but the schema accepts it`);
      assertClearRefusal(r, what, otherNode ? 403 : 400);
      if (!(field === 'recordId' || field === 'table')) refusedIds.push(recordId);
    }),
    { numRuns: 150 },
  );
  t.diagnostic(`${n} mutations: ${expectedValid} still valid by the wire schema, ${applied} applied`);
  assert.equal(n, 150);
  assert.equal(answeredValid, expectedValid, 'the hub accepted exactly the valid mutations');
  // the head moved by exactly the number of changes answered "applied", each of them is on the hub as pushed,
  // and nothing of a refused push is
  assert.equal((await head()) - before, applied, 'one log entry per applied change, none for the others');
  const states = appliedChanges.length ? await records(appliedChanges.map((c) => ({ table: c.table, recordId: c.recordId }))) : [];
  for (const c of appliedChanges) assert.ok(states.some((st) => st.table === c.table && st.recordId === c.recordId), `${c.table}/${c.recordId} applied`);
  assert.deepEqual(refusedIds.length ? await records(refusedIds.map((recordId) => ({ table: 'agents', recordId }))) : [], [], 'refused pushes applied nothing');
});

test('random bodies on every route: 4xx with a code, never a 5xx', { timeout: 60_000 }, async () => {
  const routes: Array<{ path: string; method: string; token: () => string }> = [
    { path: '/v1/push', method: 'POST', token: () => a.token },
    { path: '/v1/records', method: 'POST', token: () => a.token },
    { path: '/v1/nodes', method: 'POST', token: () => hub.adminToken },
  ];
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...routes), fc.jsonValue({ maxDepth: 5 }), async (route, body) => {
      count('random JSON body');
      const r = await hubRequest(hub.url, route.path, { method: route.method, token: route.token(), json: body });
      if (route.path === '/v1/nodes' && r.status === 201) return; // a random valid {name}: an enrollment
      assertClearRefusal(r, `${route.path} ${JSON.stringify(body).slice(0, 100)}`);
    }),
    { numRuns: 120 },
  );
});

test('a wrong method on a real route: 404 with a code, while the route answers its own method', async () => {
  const cases: Array<[method: string, path: string, right: string]> = [
    ['POST', '/v1/whoami', 'GET'],
    ['PUT', '/v1/push', 'POST'],
    ['GET', '/v1/push', 'POST'],
    ['DELETE', '/v1/records', 'POST'],
    ['POST', '/v1/pull?since=0', 'GET'],
    ['PATCH', '/v1/nodes', 'POST'],
  ];
  for (const [method, path, right] of cases) {
    count('wrong method on a real route');
    const body = { changes: [makeChange(a.nodeId, 'wrong-method', { [a.nodeId]: 1 })] };
    const wrong = await hubRequest(hub.url, path, { method, token: a.token, ...(method === 'GET' ? {} : { json: body }) });
    assertClearRefusal(wrong, `${method} ${path}`, 404);
    assert.equal((wrong.body as ErrorBody).error!.code, 'not_found');
    // the route itself exists: its own method gets past routing (answered, or refused on the body, never 404)
    const own = await hubRequest(hub.url, path, { method: right, token: path === '/v1/nodes' ? hub.adminToken : a.token, ...(right === 'POST' ? { json: {} } : {}) });
    assert.notEqual(own.status, 404, `${right} ${path} is a route: ${JSON.stringify(own.body).slice(0, 200)}`);
    assert.ok(own.status < 500, `${right} ${path}: ${own.status}`);
  }
  assert.deepEqual(await records([{ table: 'agents', recordId: 'wrong-method' }]), [], 'nothing applied by a wrong method');
});

test('bombs, huge and malformed bodies: 413/415/400, never a crash', async () => {
  const ok = makeChange(a.nodeId, 'bomb-target', { [a.nodeId]: 1 });
  const json = { 'content-type': 'application/json' };
  const gzipBomb = gzipSync(Buffer.alloc(96 * 1024 * 1024, 0x20), { level: 9 });
  const brBomb = brotliCompressSync(Buffer.alloc(96 * 1024 * 1024, 0x20), { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } });
  const nestedBomb = gzipSync('{"changes":[' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + ']}');
  const cases: Array<[kind: string, body: Uint8Array | string, headers: Record<string, string>, status: number | undefined]> = [
    ['gzip bomb', gzipBomb, { ...json, 'content-encoding': 'gzip' }, 413],
    ['brotli bomb', brBomb, { ...json, 'content-encoding': 'br' }, 413],
    ['compressed deep nesting', nestedBomb, { ...json, 'content-encoding': 'gzip' }, 400],
    ['huge body', JSON.stringify({ changes: [{ ...ok, data: { blob: 'x'.repeat(33 * 1024 * 1024) } }] }), json, 413],
    ['corrupt gzip', Buffer.from('1f8b0800000000000003ffffffff', 'hex'), { ...json, 'content-encoding': 'gzip' }, 400],
    ['corrupt brotli', Buffer.from('not brotli at all'), { ...json, 'content-encoding': 'br' }, 400],
    ['unsupported encoding', '{}', { ...json, 'content-encoding': 'deflate, gzip, identity, x' }, 415],
    ['invalid UTF-8', invalidUtf8Body(), json, 400],
    ['wrong content type', JSON.stringify({ changes: [ok] }), { 'content-type': 'text/plain' }, 415],
    ['wrong content type', 'changes=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
  ];
  for (const [kind, body, headers, status] of cases) {
    count(kind);
    const r = await hubRequest(hub.url, '/v1/push', { token: a.token, body, headers });
    assertClearRefusal(r, kind, status);
  }
  assert.deepEqual(await records([{ table: 'agents', recordId: 'bomb-target' }]), []);
  assert.equal((await hubRequest(hub.url, '/health')).status, 200);
});

test('SQL and hostile strings in values and field names: refused or stored exactly, never run', async () => {
  let i = 0;
  for (const s of [...HOSTILE_STRINGS, ...HOSTILE_KEYS]) {
    const id = `hostile-${i++}`;
    const data: Record<string, unknown> = { name: s, [s.slice(0, 256) || 'empty']: s, nested: { [s.slice(0, 50)]: [s] } };
    count('hostile string or field name', 2);
    const r = await push(a.token, [makeChange(a.nodeId, id, { [a.nodeId]: 1 }, { data: data as WireChange['data'] })]);
    if (r.status !== 200) {
      assertClearRefusal(r, `data ${JSON.stringify(s)}`, 400);
      assert.deepEqual(await records([{ table: 'agents', recordId: id }]), [], 'a refused push applied nothing');
      continue;
    }
    assert.equal(r.body.results[0]!.status, 'applied', JSON.stringify(r.body));
    const [state] = await records([{ table: 'agents', recordId: id }]);
    assert.deepEqual(state?.data, data, `stored exactly: ${JSON.stringify(s)}`);
    // a patch whose set/unset keys are the hostile string
    count('hostile patch key');
    const patched = await push(a.token, [
      makeChange(a.nodeId, id, { [a.nodeId]: 2 }, { baseVv: { [a.nodeId]: 1 }, data: undefined, patch: { set: { [s.slice(0, 256) || 'empty']: 'patched' }, unset: ['name'] } }),
    ]);
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
  }
  for (const recordId of ["x' OR '1'='1", 'a; DROP TABLE records', '../../etc/passwd', 'a b', '', 'x'.repeat(129)]) {
    count('hostile record id');
    assertClearRefusal(await push(a.token, [makeChange(a.nodeId, recordId, { [a.nodeId]: 1 })]), `record id ${recordId}`, 400);
    assertClearRefusal(await hubRequest(hub.url, '/v1/records', { token: a.token, json: { keys: [{ table: 'agents', recordId }] } }), `records ${recordId}`, 400);
  }
  for (const table of ['records', 'nodes', 'change_log', "agents'; --", 'Agents']) {
    count('hostile table name');
    assertClearRefusal(await push(a.token, [makeChange(a.nodeId, 'tbl', { [a.nodeId]: 1 }, { table: table as WireChange['table'] })]), `table ${table}`, 400);
  }
});

test('auth: no token, malformed, forged and revoked tokens get 401; admin routes refuse node tokens', async () => {
  const secretOfA = a.token.slice(a.token.indexOf('.') + 1);
  const bad: Array<[string, Record<string, string>]> = [
    ['no token', {}],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['basic auth', { authorization: `Basic ${Buffer.from(`alpha:${a.token}`).toString('base64')}` }],
    ['malformed token', { authorization: 'Bearer not-a-token' }],
    ['forged: another node id with my secret', { authorization: `Bearer beta.${secretOfA}` }],
    ['forged: unknown node id', { authorization: `Bearer ghost.${secretOfA}` }],
    ['forged: truncated secret', { authorization: `Bearer ${a.token.slice(0, -2)}` }],
    ['forged: SQL node id', { authorization: `Bearer ${encodeURIComponent("x' OR 1=1 --")}.${secretOfA}` }],
    ['overlong token', { authorization: `Bearer alpha.${'x'.repeat(5000)}` }],
    ['admin token as node token', { authorization: `Bearer ${hub.adminToken}` }],
  ];
  for (const [kind, headers] of bad) {
    for (const [method, path, json] of [['POST', '/v1/push', { changes: [makeChange(a.nodeId, 'auth-1', { [a.nodeId]: 1 })] }], ['GET', '/v1/pull?since=0', undefined], ['GET', '/v1/whoami', undefined], ['GET', '/v1/events', undefined]] as const) {
      count(`auth: ${kind}`);
      const r = await hubRequest(hub.url, path, { method, headers, json });
      assertClearRefusal(r, `${kind} ${path}`, 401);
    }
  }
  // a NUL in the header: fetch refuses to send such a header, so it is written raw, and the hub itself answers
  for (const path of ['/v1/whoami', '/v1/pull?since=0']) {
    count('auth: NUL in the token header (raw HTTP)');
    const answer = await rawHttp(hub.url, `GET ${path} HTTP/1.1\r\nHost: ${new URL(hub.url).host}\r\nAuthorization: Bearer ${a.token}\u0000\r\nConnection: close\r\n\r\n`);
    assert.equal(answer.status, 400, `NUL header ${path}: ${answer.text.slice(0, 200)}`);
    assert.doesNotMatch(answer.text, /"nodeId"/, 'nothing answered as if authenticated');
  }
  assert.equal((await hubRequest(hub.url, '/health')).status, 200, 'the hub is healthy after the raw requests');
  assert.equal((await hubRequest<{ nodeId: string }>(hub.url, '/v1/whoami', { token: a.token })).body.nodeId, a.nodeId, 'and the honest token still works');
  for (const [method, path, json] of [['POST', '/v1/nodes', { name: 'sneaky' }], ['DELETE', '/v1/nodes/beta', undefined]] as const) {
    count('auth: node token on an admin route');
    assertClearRefusal(await hubRequest(hub.url, path, { method, token: a.token, json }), `node token ${method} ${path}`, 401);
  }
  assert.deepEqual(await records([{ table: 'agents', recordId: 'auth-1' }]), []);

  // a revoked token stops working everywhere, at once
  const victim = await hub.enroll('victim', 'victim');
  assert.equal((await push(victim.token, [makeChange('victim', 'v-1', { victim: 1 })])).status, 200);
  assert.equal((await hubRequest(hub.url, '/v1/nodes/victim', { method: 'DELETE', token: hub.adminToken })).status, 200);
  for (const [method, path, json] of [['POST', '/v1/push', { changes: [makeChange('victim', 'v-2', { victim: 1 })] }], ['GET', '/v1/pull?since=0', undefined], ['GET', '/v1/events', undefined], ['POST', '/v1/records', { keys: [{ table: 'agents', recordId: 'v-1' }] }]] as const) {
    count('auth: revoked token');
    assertClearRefusal(await hubRequest(hub.url, path, { method, token: victim.token, json }), `revoked ${path}`, 401);
  }
  count('auth: re-enrolling a revoked id');
  assertClearRefusal(await hubRequest(hub.url, '/v1/nodes', { token: hub.adminToken, json: { name: 'again', nodeId: 'victim' } }), 'revoked id re-enrolled', 409);
  assert.deepEqual(await records([{ table: 'agents', recordId: 'v-2' }]), []);
  assert.equal((await records([{ table: 'agents', recordId: 'v-1' }]))[0]?.data?.['name'], 'agent v-1', 'what the node pushed before revocation stays');
});

test("another node's id, a replayed change id, a stolen change id: nothing applies twice", async () => {
  const before = await head();
  // a node pushing a change that names another node as its author: 403, and nothing of the batch applies
  count("auth: another node's id");
  const mixed = await push(a.token, [makeChange(a.nodeId, 'mix-1', { [a.nodeId]: 1 }), makeChange(b.nodeId, 'mix-2', { [b.nodeId]: 1 })]);
  assertClearRefusal(mixed, 'foreign author', 403);
  assert.equal(await head(), before);
  assert.deepEqual(await records([{ table: 'agents', recordId: 'mix-1' }, { table: 'agents', recordId: 'mix-2' }]), []);

  // a replayed change: duplicate with the original seq, the log does not grow, the state does not change
  const original = makeChange(a.nodeId, 'replay-1', { [a.nodeId]: 1 }, { data: { name: 'first' } });
  const first = await push(a.token, [original]);
  const seq = (first.body.results[0] as { seq: number }).seq;
  for (let i = 0; i < 5; i++) {
    count('replayed change id');
    const again = await push(a.token, [{ ...original, data: { name: `replay ${i}` } }]);
    assert.deepEqual(again.body.results[0], { changeId: original.changeId, status: 'duplicate', seq });
  }
  assert.equal(await head(), seq);
  assert.equal((await records([{ table: 'agents', recordId: 'replay-1' }]))[0]!.data!['name'], 'first');
  // the same change id twice in one batch: once applied, once duplicate
  count('replayed change id');
  const twice = makeChange(a.nodeId, 'replay-2', { [a.nodeId]: 1 });
  const batch = await push(a.token, [twice, twice]);
  assert.deepEqual(batch.body.results.map((r) => r.status), ['applied', 'duplicate']);
  // another node re-using A's change id (a replay under another identity): rejected, nothing applied
  count('stolen change id');
  const stolen = await push(b.token, [{ ...original, nodeId: b.nodeId, recordId: 'stolen-1', vv: { [b.nodeId]: 1 } }]);
  assert.equal(stolen.body.results[0]!.status, 'rejected');
  assert.deepEqual(await records([{ table: 'agents', recordId: 'stolen-1' }]), []);
  // and in the change log every change id appears once
  const seen = new Map<string, number>();
  let since = 0;
  for (;;) {
    const page = await hubRequest<{ changes: { changeId: string }[]; cursor: number; hasMore: boolean }>(hub.url, `/v1/pull?since=${since}&limit=10000`, { token: observer.token });
    for (const c of page.body.changes) seen.set(c.changeId, (seen.get(c.changeId) ?? 0) + 1);
    since = page.body.cursor;
    if (!page.body.hasMore) break;
  }
  assert.deepEqual([...seen].filter(([, n]) => n > 1), [], 'no change id twice in the log');
});

test('tampered cursors and pull parameters: 400 with a code', async () => {
  const headSeq = await head();
  const queries = [
    `since=${headSeq + 1}`, 'since=-1', 'since=abc', 'since=1e300', 'since=1.5', "since=0'--", 'since=0&since=1',
    'limit=0', 'limit=-5', 'limit=10001', 'limit=NaN', 'delta=maybe', 'since=0&evil=1', `since=${'9'.repeat(400)}`,
  ];
  for (const q of queries) {
    count('tampered cursor or pull parameter');
    assertClearRefusal(await hubRequest(hub.url, `/v1/pull?${q}`, { token: a.token }), `pull ?${q}`, 400);
  }
  // the honest cursor still works
  assert.equal((await hubRequest(hub.url, `/v1/pull?since=${headSeq}`, { token: a.token })).status, 200);
});

test('afterwards the hub is healthy and the baseline is intact', async () => {
  assert.equal((await hubRequest<{ ok: boolean }>(hub.url, '/health')).body.ok, true);
  const states = await records(baseline.map((c) => ({ table: c.table, recordId: c.recordId })));
  assert.equal(states.length, baseline.length);
  for (const change of baseline) {
    const state = states.find((s) => s.recordId === change.recordId)!;
    assert.deepEqual(state.data, change.data);
    assert.deepEqual(state.vv, change.vv);
  }
  const whoami = await hubRequest<{ nodeId: string }>(hub.url, '/v1/whoami', { token: b.token });
  assert.equal(whoami.body.nodeId, 'beta');
});
