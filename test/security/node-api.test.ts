/**
 * Hostile input against the headless node's HTTP API (the real transport on loopback, the real services):
 * random and wrong-typed inputs for every method, huge and deeply nested bodies, invalid UTF-8, hostile
 * strings (SQL, NUL, lone surrogates) in every string field and in field names, hostile workspace paths
 * including symlinks that point out of the workspace. Every case must get a clear 4xx (never a 5xx), and
 * afterwards the node must be healthy with its data intact. The counts of hostile inputs are recorded only if
 * every test passed.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startHeadlessNode, type HeadlessNode } from '../../main/headless';
import { methodNames } from '../../shared/api/index';
import { errorCodes } from '../../shared/errors';
import { trackedSuite } from '../reliability/figures';
import { HOSTILE_STRINGS, HOSTILE_KEYS, invalidUtf8Body, deepJson, rawHttp } from './hostile';

const suite = trackedSuite('security-node', 'hostile input: node HTTP API');
const test = suite.test;
let node: HeadlessNode;
let token: string;
let dataDir: string;
let outside: string;
const started = Date.now();
const tried: Record<string, number> = {};
const count = (kind: string, n = 1) => (tried[kind] = (tried[kind] ?? 0) + n);

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'outpost-sec-node-'));
  outside = mkdtempSync(join(tmpdir(), 'outpost-sec-outside-'));
  node = await startHeadlessNode({ dataDir, port: 0, name: 'hostile', background: false });
  token = new URL(node.dashboardUrl).searchParams.get('token')!;
});
after(async () => {
  await node?.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  suite.finish(() => ({ hostile: tried, durationMs: Date.now() - started }));
});

interface Answer {
  status: number;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

async function post(method: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${node.url}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, ...headers },
    body,
  });
  const text = await response.text();
  let parsed: Answer['body'];
  try {
    parsed = JSON.parse(text) as Answer['body'];
  } catch {
    assert.fail(`${method}: answer ${response.status} is not JSON: ${text.slice(0, 200)}`);
  }
  return { status: response.status, body: parsed };
}
const call = (method: string, input: unknown) => post(method, JSON.stringify(input));

/** A refusal must be a 4xx with a stable code and a message a person can read. */
function assertClearRefusal(answer: Answer, what: string): void {
  assert.ok(answer.status >= 400 && answer.status < 500, `${what}: expected a 4xx, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  assert.ok(answer.body.error && Object.hasOwn(errorCodes, answer.body.error.code), `${what}: error code ${JSON.stringify(answer.body.error)}`);
  assert.ok(answer.body.error.message.length > 0, `${what}: empty message`);
}
function assertNoServerError(answer: Answer, what: string): void {
  assert.ok(answer.status < 500, `${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  if (answer.status >= 400) assertClearRefusal(answer, what);
}

async function ok<T>(method: string, input: unknown): Promise<T> {
  const answer = await call(method, input);
  assert.equal(answer.status, 200, `${method}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer.body as T;
}

// Methods whose valid calls change what the rest of this file relies on (connection, settings) are fuzzed
// with inputs that can never be valid (see `neverValid`), so they are exercised without side effects.
const sideEffectMethods = new Set(['settings.set', 'sync.connect', 'sync.disconnect', 'sync.pause', 'sync.resume', 'sync.now', 'workspace.sync', 'workspace.commit']);

test('baseline data to compare with at the end', async () => {
  const agent = await ok<{ id: string }>('agents.create', { id: 'keep-1', name: 'Keeper', type: 'llm', config: { model: 'm' } });
  assert.equal(agent.id, 'keep-1');
  await ok('workflows.create', { id: 'wf-keep', name: 'Keep', agentId: 'keep-1' });
  await ok('workspace.save', { path: 'notes/keep.md', content: 'keep me' });
});

test('random JSON for every method: never a 5xx, every refusal has a code', { timeout: 60_000 }, async () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  const neverValid = fc.oneof(
    json.filter((v) => v !== null && (typeof v !== 'object' || Array.isArray(v))), // null means "no input"

    fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'x', "'; DROP TABLE agents; --", '\u0000'), json, { minKeys: 1 }),
  );
  for (const method of methodNames) {
    await fc.assert(
      fc.asyncProperty(sideEffectMethods.has(method) ? neverValid : json, async (input) => {
        count('random JSON per method');
        const answer = await call(method, input);
        assertNoServerError(answer, `${method} ${JSON.stringify(input).slice(0, 200)}`);
        if (sideEffectMethods.has(method)) assertClearRefusal(answer, method);
      }),
      { numRuns: 12 },
    );
  }
});

test('wrong types and missing fields in record writes are refused with invalid_input', async () => {
  // a deleted record keeps its id (tombstone), so every attempt gets a fresh one
  let attempt = 0;
  const valid: Record<string, unknown> = { id: 'typed-0', name: 'Typed', type: 'llm', status: 'active', config: {} };
  const wrong: unknown[] = [null, 0, -1, 1e308, true, [], [1, 2], { $gt: '' }, ''];
  for (const field of Object.keys(valid)) {
    for (const value of wrong) {
      const input: Record<string, unknown> = { ...valid, id: `typed-${++attempt}`, [field]: value };
      const answer = await call('agents.create', input);
      count('wrong type');
      if (field === 'config' && answer.status === 200) {
        assert.deepEqual(value, { $gt: '' }, 'only an object is a config');
        await ok('agents.delete', { id: `typed-${attempt}` });
        continue;
      }
      assertClearRefusal(answer, `agents.create ${field}=${JSON.stringify(value)}`);
      assert.equal(answer.body.error!.code, 'invalid_input');
    }
    const without: Record<string, unknown> = { ...valid, id: `typed-${++attempt}` };
    delete without[field];
    const answer = await call('agents.create', without);
    count('missing field');
    if (answer.status === 200) {
      assert.ok(['id', 'status', 'config'].includes(field), `${field} is optional`);
      await ok('agents.delete', { id: (answer.body as { id: string }).id });
    } else assertClearRefusal(answer, `agents.create without ${field}`);
  }
  for (const bad of [{ id: 'keep-1', expectedVersion: '1', patch: {} }, { id: 'keep-1', expectedVersion: 0, patch: { name: 'x' } }, { id: 'keep-1', patch: { name: 'x' } }, { id: 'keep-1', expectedVersion: 1, patch: { version: 9 } }, { id: 'keep-1', expectedVersion: 1, patch: { id: 'other' } }]) {
    count('wrong type');
    const answer = await call('agents.update', bad);
    assertClearRefusal(answer, `agents.update ${JSON.stringify(bad)}`);
  }
});

test('malformed, huge, deeply nested and non-UTF-8 bodies: clear 4xx', async () => {
  const cases: Array<[string, string | Uint8Array, Record<string, string>?]> = [
    ['malformed JSON', '{"name": '],
    ['malformed JSON', '{"name": "x"}}'],
    ['malformed JSON', '\u0000'],
    ['wrong content type', 'name=x', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['wrong content type', '{"name":"x"}', { 'Content-Type': 'text/plain' }],
    ['huge body', JSON.stringify({ name: 'x', type: 'llm', config: { pad: 'y'.repeat(17 * 1024 * 1024) } })],
    ['deeply nested body', deepJson(100_000)],
    ['deeply nested body', `{"name": "deep", "type": "llm", "config": {"a": ${deepJson(5_000)}}}`],
    ['deeply nested body', `{"name": "deep", "type": "llm", "config": {"a": ${deepJson(200_000)}}}`],
    ['deeply nested body', `{"name": "deep", "type": "llm", "config": {"a": ${deepJson(200)}}}`],
    ['invalid UTF-8', invalidUtf8Body()],
  ];
  for (const [kind, body, headers] of cases) {
    count(kind);
    const answer = await post('agents.create', body, headers);
    assertClearRefusal(answer, kind);
  }
});

test('hostile strings in every string field and in field names are stored as data or refused, never run', async () => {
  const ids: string[] = [];
  for (const [i, s] of HOSTILE_STRINGS.entries()) {
    count('hostile string (SQL, NUL, surrogates, control characters)', 4);
    const config: Record<string, unknown> = { [s.slice(0, 200) || 'empty']: s, nested: { list: [s] } };
    const answer = await call('agents.create', { id: `hostile-${i}`, name: s || 'x', type: s || 'x', config });
    assertNoServerError(answer, `agents.create with ${JSON.stringify(s)}`);
    if (answer.status !== 200) continue;
    ids.push(`hostile-${i}`);
    const back = await ok<{ name: string; type: string; config: Record<string, unknown> }>('agents.get', { id: `hostile-${i}` });
    // stored exactly as sent (after the API's documented trimming of names): nothing altered, nothing executed
    assert.equal(back.name, (s || 'x').trim(), `name round-trips for ${JSON.stringify(s)}`);
    assert.deepEqual(back.config, config, `config round-trips for ${JSON.stringify(s)}`);
    const search = await call('agents.list', { search: s.slice(0, 200) });
    assertNoServerError(search, `agents.list search ${JSON.stringify(s)}`);
    const read = await call('agents.get', { id: s });
    assertNoServerError(read, `agents.get id ${JSON.stringify(s)}`);
  }
  for (const key of HOSTILE_KEYS) {
    count('hostile field name');
    const answer = await call('agents.update', { id: 'keep-1', expectedVersion: 1, patch: { [key]: 'x' } });
    assertClearRefusal(answer, `patch key ${JSON.stringify(key)}`);
    const listKey = await call('agents.list', { [key]: 'x' });
    assertClearRefusal(listKey, `list key ${JSON.stringify(key)}`);
  }
  // strings the database cannot store faithfully must be refused, not silently changed: checked above by
  // the round-trip; here the records that were accepted must still be listed and deletable
  for (const id of ids) await ok('agents.delete', { id });
});

test('hostile workspace paths are refused and nothing is written outside the workspace', async () => {
  const workspaceDir = join(dataDir, 'workspace');
  // a symlinked folder and a symlinked file inside the workspace, both pointing outside
  symlinkSync(outside, join(workspaceDir, 'escape'));
  writeFileSync(join(outside, 'target.md'), 'outside');
  symlinkSync(join(outside, 'target.md'), join(workspaceDir, 'link.md'));
  mkdirSync(join(workspaceDir, 'sub'), { recursive: true });
  symlinkSync('../..', join(workspaceDir, 'sub', 'up'));
  const paths = [
    '../evil.md', '../../etc/passwd', '/etc/passwd', 'C:/Windows/x.md', 'c:evil.md', 'a/../../evil.md', './a.md', 'a/./b.md',
    'a//b.md', 'a/', '.git/config', '.git/hooks/pre-commit', 'x/.git/config', '.GIT/config', 'a\\..\\..\\evil.md', '..\\evil.md',
    'a\u0000b.md', 'nul\u0000', 'a\nb.md', 'a<b>.md', 'a:b.md', 'con|x.md', '', '..', '.', ' '.repeat(600), 'x'.repeat(501),
    'escape/pwned.md', 'link.md', 'sub/up/pwned.md', 'escape/target.md',
  ];
  for (const path of paths) {
    for (const [method, input] of [
      ['workspace.save', { path, content: 'pwned' }],
      ['workspace.get', { path }],
      ['workspace.delete', { path }],
      ['workspace.show', { path, commit: 'a'.repeat(40) }],
      ['workspace.restore', { path, commit: 'a'.repeat(40) }],
      ['workspace.log', { path }],
    ] as const) {
      count('hostile workspace path');
      const answer = await call(method, input);
      if (method === 'workspace.log' && answer.status === 200) continue; // a history query for a path that never existed is empty
      assertClearRefusal(answer, `${method} ${JSON.stringify(path)}`);
    }
  }
  assert.equal(readFileSync(join(outside, 'target.md'), 'utf8'), 'outside', 'the symlink target is untouched');
  assert.equal(existsSync(join(outside, 'pwned.md')), false, 'nothing was written through the symlinked folder');
  assert.equal(existsSync(join(dataDir, 'pwned.md')), false);
  assert.equal(existsSync(join(tmpdir(), 'evil.md')), false);
  assert.equal(existsSync(join(dataDir, 'evil.md')), false);
});

test('unknown methods, method names with paths and SQL: 404; no token or a wrong token: 401; a NUL in the header, sent raw: 400', async () => {
  for (const method of ['nope', 'agents.drop', "agents.list'--", '..%2F..%2Fetc%2Fpasswd', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    count('unknown method');
    const answer = await post(method, '{}');
    assertClearRefusal(answer, `method ${method}`);
  }
  for (const auth of ['', 'Bearer', `Bearer ${token.slice(0, -1)}`, `Basic ${Buffer.from(`x:${token}`).toString('base64')}`]) {
    count('bad API token');
    const response = await fetch(`${node.url}/api/agents.list`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: auth }, body: '{}' });
    assert.equal(response.status, 401, `auth ${JSON.stringify(auth)}`);
  }
  // the real token with a NUL after it: fetch refuses to send such a header, so it is written raw and the node
  // itself answers (the HTTP parser refuses the request: 400, nothing runs)
  count('bad API token');
  const host = new URL(node.url).host;
  const answer = await rawHttp(node.url, `POST /api/agents.list HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\u0000\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
  assert.equal(answer.status, 400, `NUL after the token: ${answer.text.slice(0, 200)}`);
  assert.doesNotMatch(answer.text, /"items"/, 'nothing listed');
  // the same request without the NUL is answered: the 400 was the NUL, and the node is healthy
  const honest = await rawHttp(node.url, `POST /api/agents.list HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAuthorization: Bearer ${token}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
  assert.equal(honest.status, 200, honest.text.slice(0, 200));
});


test('the session cookie: the API token or a forged session id under the cookie name is refused; the real one works', async () => {
  const signIn = await fetch(node.dashboardUrl, { redirect: 'manual' });
  const session = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
  assert.ok(session.startsWith(`${node.sessionCookie}=`) && !session.includes(token));
  const call = (cookie: string) =>
    fetch(`${node.url}/api/agents.list`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: cookie }, body: '{}' });
  assert.equal((await call(session)).status, 200);
  // the old design took the API token as the cookie value; a session id is not derived from anything guessable
  const id = session.slice(node.sessionCookie.length + 1);
  const oneCharOff = id.slice(0, -1) + (id.endsWith('A') ? 'B' : 'A');
  for (const forged of [token, oneCharOff, 'x'.repeat(43)]) {
    count('forged session cookie');
    assert.equal((await call(`${node.sessionCookie}=${forged}`)).status, 401, `cookie ${forged.slice(0, 8)}…`);
  }
});

test('afterwards the node is healthy and the data intact', async () => {
  const info = await ok<{ nodeId: string }>('app.info', {});
  assert.ok(info.nodeId);
  const agent = await ok<{ name: string; version: number; config: unknown }>('agents.get', { id: 'keep-1' });
  assert.equal(agent.name, 'Keeper');
  assert.equal(agent.version, 1);
  assert.deepEqual(agent.config, { model: 'm' });
  const workflows = await ok<{ total: number }>('workflows.list', {});
  assert.equal(workflows.total, 1);
  const agents = await ok<{ items: { id: string }[] }>('agents.list', { limit: 1000 });
  assert.ok(agents.items.every((a) => a.id === 'keep-1' || a.id.startsWith('typed-') || !a.id.startsWith('hostile-')), 'hostile records were all deleted');
  const item = await ok<{ content: string }>('workspace.get', { path: 'notes/keep.md' });
  assert.equal(item.content, 'keep me');
  // and it still writes
  await ok('agents.update', { id: 'keep-1', expectedVersion: 1, patch: { status: 'active' } });
});
