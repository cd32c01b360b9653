import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHeadlessNode, type HeadlessNode } from '../../main/headless';
import { createClient } from '../../shared/client';
import type { Envelope } from '../../shared/api/dispatch';
import { OutpostError, type ErrorShape } from '../../shared/errors';

type ApiBody = { error: { code: string; message: string } } & Record<string, unknown>;

let node: HeadlessNode;
let token: string;
let dataDir: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outpost-http-'));
  node = await startHeadlessNode({ dataDir, port: 0, name: 'http-test', background: false });
  token = new URL(node.dashboardUrl).searchParams.get('token')!;
});
after(async () => {
  await node?.close();
});

async function post(method: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${node.url}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ApiBody };
}

/** The contract's client over real HTTP: the same object the browser shim builds. */
function client() {
  return createClient({
    async invoke(method, input): Promise<Envelope> {
      const { status, body } = await post(method, input);
      return status === 200 ? { ok: true, value: body } : { ok: false, error: body.error as ErrorShape };
    },
    subscribe: () => () => undefined,
  });
}

test('the token is generated at first start with mode 0600, and the node binds loopback only', () => {
  const file = join(dataDir, 'api-token');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8').trim(), token);
  assert.match(node.url, /^http:\/\/127\.0\.0\.1:\d+$/);
});

test('calls without a valid token are refused with 401', async () => {
  assert.equal((await post('agents.list', {}, { Authorization: '' })).status, 401);
  assert.equal((await post('agents.list', {}, { Authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await post('agents.list', {}, { Authorization: `Bearer ${token}x` })).status, 401);
});

test('a foreign Host header is refused (DNS rebinding)', async () => {
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${node.url}/api/app.info`);
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Host: 'evil.example:80', Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
  assert.equal(status, 403);
});

test('invalid input is 400 with a stable code; unknown method and record are 404; malformed JSON is 400', async () => {
  const bad = await post('agents.create', { name: '', type: 'x', extra: 1 });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'invalid_input');
  assert.match(bad.body.error.message, /agents\.create/);
  const unknown = await post('agents.explode', {});
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'not_found');
  const missing = await post('agents.get', { id: 'no-such-agent' });
  assert.equal(missing.status, 404);
  const malformed = await post('agents.list', '{"limit": ');
  assert.equal(malformed.status, 400);
  const hostileId = await post('agents.get', { id: "x'; DROP TABLE agents; --" });
  assert.equal(hostileId.status, 400);
  const notJson = await post('agents.list', 'limit=1', { 'Content-Type': 'application/x-www-form-urlencoded' });
  assert.equal(notJson.status, 415);
});

test('a stale expectedVersion is 409 version_conflict; the typed client throws OutpostError with the code', async () => {
  const api = client();
  const agent = await api.agents.create({ name: 'Scout', type: 'crawler' });
  const updated = await api.agents.update({ id: agent.id, expectedVersion: agent.version, patch: { status: 'active' } });
  assert.equal(updated.version, agent.version + 1);
  const stale = await post('agents.update', { id: agent.id, expectedVersion: agent.version, patch: { name: 'Old' } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.error.code, 'version_conflict');
  await assert.rejects(
    api.agents.update({ id: agent.id, expectedVersion: agent.version, patch: { name: 'Old' } }),
    (e: unknown) => e instanceof OutpostError && e.code === 'version_conflict',
  );
});

test('a body over the limit is 413 and the node stays healthy', async () => {
  const huge = JSON.stringify({ path: 'notes/big.md', content: 'x'.repeat(17 * 1024 * 1024) });
  const res = await post('workspace.save', huge);
  assert.equal(res.status, 413);
  assert.equal((await post('app.info', {})).status, 200);
});

test('settings.set deep-merges a partial object and validates the whole', async () => {
  const api = client();
  const before = await api.settings.get();
  const after = await api.settings.set({ sync: { mode: 'manual' } });
  assert.equal(after.sync.mode, 'manual');
  assert.equal(after.sync.intervalMs, before.sync.intervalMs);
  const bad = await post('settings.set', { sync: { mode: 'sometimes' } });
  assert.equal(bad.status, 400);
  const unknownKey = await post('settings.set', { sync: { colour: 'red' } });
  assert.equal(unknownKey.status, 400);
  assert.equal((await api.settings.get()).sync.mode, 'manual');
});

test('the dashboard link sets an HttpOnly SameSite=Strict cookie that then authenticates', async () => {
  const res = await fetch(node.dashboardUrl, { redirect: 'manual' });
  assert.equal(res.status, 303);
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Strict/);
  const session = cookie.split(';')[0]!;
  const call = await fetch(`${node.url}/api/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: session }, body: '{}' });
  assert.equal(call.status, 200);
  const wrong = await fetch(`${node.url}/auth?token=nope`, { redirect: 'manual' });
  assert.equal(wrong.status, 401);
  // a cross-origin page cannot use the cookie
  const crossOrigin = await fetch(`${node.url}/api/app.info`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Cookie: session, Origin: 'http://evil.example' },
    body: '{}',
  });
  assert.equal(crossOrigin.status, 403);
});

test('the UI is served under a strict CSP; asset paths cannot escape the build folder', async () => {
  const index = await fetch(`${node.url}/`);
  assert.equal(index.status, 200);
  const csp = index.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal((await fetch(`${node.url}/assets/app.js`)).status, 200);
  for (const path of ['/assets/..%2F..%2Fpackage.json', '/assets/.env', '/assets/%2e%2e%2fapi-token']) {
    assert.equal((await fetch(`${node.url}${path}`)).status, 404, path);
  }
});

test('events stream over SSE: a write emits agents.changed and queue.stats', async () => {
  const controller = new AbortController();
  const res = await fetch(`${node.url}/api/events`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  const seen = new Set<string>();
  const reading = (async () => {
    let buffer = '';
    while (!(seen.has('agents.changed') && seen.has('queue.stats'))) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += new TextDecoder().decode(value);
      for (const match of buffer.matchAll(/^event: (\S+)$/gm)) seen.add(match[1]!);
    }
  })();
  await client().agents.create({ name: 'Evented', type: 'watcher' });
  await Promise.race([reading, new Promise((_, reject) => setTimeout(() => reject(new Error(`events seen: ${[...seen]}`)), 10_000))]);
  controller.abort();
  assert.ok(seen.has('agents.changed'));
  assert.ok(seen.has('queue.stats'));
});

test('a second node on the same data folder is refused with a clear error', async () => {
  await assert.rejects(startHeadlessNode({ dataDir, port: 0, background: false }), (e: unknown) => e instanceof OutpostError && e.code === 'locked' && /in use/.test(e.message));
});

test('the session cookie holds a random session id, not the token, under a name unique to the node', async () => {
  const res = await fetch(`${node.url}/auth?token=${encodeURIComponent(token)}`, { redirect: 'manual' });
  assert.equal(res.status, 303);
  const cookie = res.headers.get('set-cookie') ?? '';
  assert.ok(!cookie.includes(token) && !cookie.includes(encodeURIComponent(token)), 'the token is not in the cookie');
  assert.match(cookie, /Max-Age=\d+/, 'a persistent cookie: closing the browser does not sign out');
  assert.match(cookie, /Path=\//);
  assert.ok(cookie.startsWith(`${node.sessionCookie}=`));
  assert.match(node.sessionCookie, /^outpost_session_[0-9a-f]{12}$/);
  const second = await startHeadlessNode({ dataDir: mkdtempSync(join(tmpdir(), 'outpost-http2-')), port: 0, name: 'other', background: false });
  try {
    assert.notEqual(second.sessionCookie, node.sessionCookie, 'two nodes, two cookie names');
    // the first node's session does not open the second node
    const session = cookie.split(';')[0]!.replace(node.sessionCookie, second.sessionCookie);
    const call = await fetch(`${second.url}/api/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: session }, body: '{}' });
    assert.equal(call.status, 401);
  } finally {
    await second.close();
  }
});

test('sessions expire unless used (sliding), and a signed-out session is refused', async () => {
  let clock = 1_000_000;
  const timed = await startHeadlessNode({
    dataDir: mkdtempSync(join(tmpdir(), 'outpost-http3-')), port: 0, name: 'timed', background: false,
    http: { sessionTtlMs: 10_000, now: () => clock },
  });
  try {
    const signIn = async () => {
      const res = await fetch(timed.dashboardUrl, { redirect: 'manual' });
      return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    };
    const call = (cookie: string) =>
      fetch(`${timed.url}/api/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: '{}' });
    const session = await signIn();
    clock += 8_000;
    const used = await call(session);
    assert.equal(used.status, 200);
    assert.match(used.headers.get('set-cookie') ?? '', /Max-Age=10;/, 'the cookie is renewed on use');
    clock += 8_000; // 16 s after sign-in, 8 s after the last use: alive only because use renewed it
    assert.equal((await call(session)).status, 200);
    clock += 10_001;
    assert.equal((await call(session)).status, 401, 'expired after a full TTL without use');
    assert.equal((await call(session)).status, 401);

    const other = await signIn();
    assert.equal((await call(other)).status, 200);
    const out = await fetch(`${timed.url}/auth/logout`, { method: 'POST', headers: { Cookie: other } });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await call(other)).status, 401, 'revoked by signing out');
    // the bearer token keeps working for the API
    const bearer = await fetch(`${timed.url}/api/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${new URL(timed.dashboardUrl).searchParams.get('token')}` }, body: '{}' });
    assert.equal(bearer.status, 200);
  } finally {
    await timed.close();
  }
});

test('failed authentication is rate-limited per address: 429 after N failures, until the window ends', async () => {
  let clock = 5_000_000;
  const limited = await startHeadlessNode({
    dataDir: mkdtempSync(join(tmpdir(), 'outpost-http4-')), port: 0, name: 'limited', background: false,
    http: { authFailures: { max: 3, windowMs: 60_000 }, now: () => clock },
  });
  const good = new URL(limited.dashboardUrl).searchParams.get('token')!;
  const call = (auth: string) =>
    fetch(`${limited.url}/api/app.info`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${auth}` }, body: '{}' });
  try {
    assert.equal((await call(good)).status, 200);
    assert.equal((await call('wrong-1')).status, 401);
    assert.equal((await call('wrong-2')).status, 401);
    const third = await call('wrong-3');
    assert.equal(third.status, 429);
    assert.ok(Number(third.headers.get('retry-after')) > 0);
    assert.equal((await call('wrong-4')).status, 429);
    assert.equal((await call(good)).status, 429, 'a blocked address is refused before its credential is checked');
    assert.equal((await fetch(`${limited.dashboardUrl}`, { redirect: 'manual' })).status, 429, 'the dashboard link too');
    clock += 60_000;
    assert.equal((await call(good)).status, 200, 'the block ends with the window');
  } finally {
    await limited.close();
  }
});
