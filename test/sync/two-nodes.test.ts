import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, waitFor, type TestHub } from './support';
import { startHubPair, type HubPair, type TestNode } from './harness';

let pair: HubPair;
let hub: TestHub;
let a: TestNode;
let b: TestNode;

before(async () => {
  pair = await startHubPair();
  ({ hub, a, b } = pair);
});
after(() => pair?.destroy());

test('what one node writes, the other reads; both ways', async () => {
  const agent = a.store.createAgent({ id: 'agent-1', name: 'Scout', type: 'llm', config: { model: 'm1', temperature: 0.2 } });
  assert.equal(a.host.status().pending, 1);
  const pushed = await a.host.syncNow();
  assert.equal(pushed.pushed, 1);
  assert.ok(pushed.bytesWire > 0 && pushed.bytesRaw > 0);
  assert.equal(a.host.status().pending, 0);
  const pulled = await b.host.syncNow();
  assert.equal(pulled.pulled, 1);
  const seen = b.store.getAgent('agent-1');
  assert.equal(seen.name, 'Scout');
  assert.deepEqual(seen.config, agent.config);

  b.store.updateAgent({ id: 'agent-1', patch: { status: 'running' }, expectedVersion: seen.version });
  assert.equal((await b.host.syncNow()).pushed, 1);
  await a.host.syncNow();
  assert.equal(a.store.getAgent('agent-1').status, 'running');
  assert.ok(b.events.some((e) => e.event === 'sync.status'));
  assert.ok(a.events.some((e) => e.event === 'agents.changed'));
});

test('a one-field change travels as a patch and is expanded against the shadow', async () => {
  const big = { prompt: 'p'.repeat(4000), tools: Array.from({ length: 50 }, (_, i) => `tool-${i}`) };
  a.store.createAgent({ id: 'agent-big', name: 'Big', type: 'llm', config: big });
  await a.host.syncNow();
  await b.host.syncNow();
  const v = a.store.getAgent('agent-big').version;
  a.store.updateAgent({ id: 'agent-big', patch: { name: 'Bigger' }, expectedVersion: v });
  const push = await a.host.syncNow();
  assert.equal(push.pushed, 1);
  assert.ok(push.bytesRaw < 2000, `a patch, not the 4 kB record: ${push.bytesRaw} bytes raw`);
  const pull = await b.host.syncNow();
  assert.equal(pull.pulled, 1);
  const got = b.store.getAgent('agent-big');
  assert.equal(got.name, 'Bigger');
  assert.deepEqual(got.config, big);
});

test('priority first, parents before children, on the hub and on the reader', async () => {
  a.store.batch(() => {
    for (let i = 0; i < 5; i++) a.store.createAgent({ id: `low-${i}`, name: `low ${i}`, type: 'llm' });
    a.store.createAgent({ id: 'parent-agent', name: 'parent', type: 'llm' });
    a.store.createWorkflow({ id: 'wf-1', name: 'flow', agentId: 'parent-agent', status: 'critical' });
    a.store.createAgent({ id: 'crit', name: 'critical one', type: 'llm', status: 'critical' });
  });
  await a.host.syncNow();
  const res = await fetch(`${hub.url}/v1/pull?since=0&limit=1000`, { headers: { authorization: `Bearer ${(await b.ctx.secrets.get('hub.token'))!}` } });
  const log = ((await res.json()) as { changes: Array<{ recordId: string; seq: number }> }).changes.map((c) => c.recordId);
  const pos = (id: string) => log.lastIndexOf(id);
  assert.ok(pos('parent-agent') < pos('wf-1'), 'the workflow\'s agent goes first');
  assert.ok(pos('wf-1') < pos('low-0') && pos('crit') < pos('low-0'), 'critical items before normal ones');
  await b.host.syncNow();
  assert.equal(b.store.getWorkflow('wf-1').agentId, 'parent-agent');
});

test('pause and resume persist in settings and show in the state', async () => {
  assert.equal(a.host.pause().state, 'paused');
  assert.equal(a.ctx.settings.get().sync.paused, true);
  await assert.rejects(a.host.syncNow(), (e: Error & { code?: string }) => e.code === 'locked');
  a.host.resume();
  await waitFor(() => a.host.status().state === 'idle', 10_000, 'idle after resume');
});

test('a metered link pushes only critical changes and skips the pull; unmetered sends the rest', async () => {
  a.ctx.settings.set({ sync: { metered: true } });
  a.store.createAgent({ id: 'meter-normal', name: 'n', type: 'llm' });
  a.store.createAgent({ id: 'meter-critical', name: 'c', type: 'llm', status: 'critical' });
  b.store.createAgent({ id: 'from-b', name: 'b', type: 'llm' });
  await b.host.syncNow();
  const metered = await a.host.syncNow();
  assert.equal(metered.pushed, 1);
  assert.equal(metered.pulled, 0);
  assert.equal(a.host.status().pending, 1);
  assert.throws(() => a.store.getAgent('from-b'));
  a.ctx.settings.set({ sync: { metered: false } });
  const rest = await a.host.syncNow();
  assert.equal(rest.pushed, 1);
  assert.ok(rest.pulled >= 1);
  assert.equal(a.store.getAgent('from-b').name, 'b');
});

test('sync.connect refuses a token of another node; disconnect turns sync off', async () => {
  const other = await hub.enroll('other', 'someone-else');
  await assert.rejects(a.host.connect(hub.url, other.token), (e: Error & { code?: string }) => e.code === 'invalid_input');
  const token = (await a.ctx.secrets.get('hub.token'))!;
  assert.equal((await a.host.disconnect()).state, 'disabled');
  assert.equal(await a.ctx.secrets.get('hub.token'), null);
  await assert.rejects(a.host.syncNow(), (e: Error & { code?: string }) => e.code === 'invalid_input');
  const connected = await a.host.connect(hub.url, token);
  assert.equal(connected.verified, true);
  assert.match(connected.message, /^Connected: the hub \(version [^)]+\) knows this node as node-a \("a"\)/);
  await waitFor(() => a.host.status().state === 'idle', 10_000, 'idle after reconnect');
  assert.equal((await a.host.syncNow()).failed, 0);
});

test('sync.connect asks the hub first: nothing listening, a made-up token and a foreign hub are refused and save nothing; offline set-up says it is unchecked', async () => {
  const idle = await freePort();
  const saved = () => [a.ctx.settings.get().sync.hubUrl, a.ctx.secrets.get('hub.token')] as const;
  const before = await Promise.all(saved());
  const code = (expected: string, message: RegExp) => (e: Error & { code?: string }) => e.code === expected && message.test(e.message);
  await assert.rejects(a.host.connect(`http://127.0.0.1:${idle}`, `node-a.${'x'.repeat(40)}`), code('unavailable', /^Unreachable: no hub answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/));
  await assert.rejects(a.host.connect(hub.url, `node-a.${'made-up-secret'.repeat(3)}`), code('forbidden', /^Unauthorized: the hub at .* refused this node token/));
  const stranger = createServer((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<h1>router login</h1>'));
  await new Promise<void>((r) => stranger.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(stranger.address() as AddressInfo).port}`;
    await assert.rejects(a.host.connect(url, `node-a.${'x'.repeat(40)}`), code('unavailable', /answered, but it is not an Outpost hub/));
  } finally {
    stranger.close();
  }
  assert.deepEqual(await Promise.all(saved()), before, 'a refused connection changed nothing');

  try {
    const offline = await a.host.connect(`http://127.0.0.1:${idle}`, `node-a.${'x'.repeat(40)}`, { saveOffline: true });
    assert.equal(offline.verified, false);
    assert.match(offline.message, /^Saved without checking/);
    assert.equal(a.ctx.settings.get().sync.hubUrl, `http://127.0.0.1:${idle}`);
    assert.equal(offline.status.state, 'connecting', 'an unchecked hub is not shown as answering');
    assert.equal(offline.status.lastSyncAt, null, 'nor as synced with it');
    await waitFor(() => a.host.status().state === 'offline', 10_000, 'then offline: nothing answers there');
  } finally {
    const restored = await a.host.connect(before[0]!, before[1]!);
    assert.equal(restored.verified, true);
  }
  await waitFor(() => a.host.status().state === 'idle', 10_000, 'idle again');
});

test('concurrent edits of one record: the conflict is recorded, the hook hears its id, nothing is overwritten', async () => {
  a.store.createAgent({ id: 'contested', name: 'v0', type: 'llm' });
  await a.host.syncNow();
  await b.host.syncNow();
  const heard: number[] = [];
  const off = b.host.onConflictsRecorded((ids) => heard.push(...ids));
  a.store.updateAgent({ id: 'contested', patch: { name: 'from A' }, expectedVersion: a.store.getAgent('contested').version });
  b.store.updateAgent({ id: 'contested', patch: { name: 'from B' }, expectedVersion: b.store.getAgent('contested').version });
  await a.host.syncNow();
  const result = await b.host.syncNow();
  off();
  assert.ok(result.conflicts >= 1);
  assert.ok(heard.length >= 1, 'onConflictsRecorded called with the conflict ids');
  assert.equal(b.store.getAgent('contested').name, 'from B', 'the local change is kept');
  assert.ok(b.events.some((e) => e.event === 'conflicts.changed' && (e.payload as { pending: number }).pending >= 1));
  assert.ok(b.host.status().conflicts >= 1);
});

test('a used-up daily quota holds changes back and says so; lifting it sends them', async () => {
  a.ctx.settings.set({ sync: { bandwidth: { dailyQuotaBytes: 1, criticalReserveBytes: 0 } } });
  a.store.createAgent({ id: 'over-quota', name: 'q', type: 'llm' });
  const held = await a.host.syncNow();
  assert.equal(held.pushed, 0);
  assert.equal(a.host.status().pending, 1);
  assert.match(a.host.status().lastError ?? '', /quota/);
  a.ctx.settings.set({ sync: { bandwidth: { dailyQuotaBytes: null } } });
  assert.equal((await a.host.syncNow()).pushed, 1);
  assert.equal(a.host.status().lastError, null);
});

test('named channels reach worker modules and their answers come back (the Git channel refusing a bad request)', async () => {
  const channel = a.host.channel('git');
  const answers: unknown[] = [];
  const off = channel.on((payload) => answers.push(payload));
  channel.post({ rpc: 'call', id: 7, method: 'git', params: { kind: 'git.nope' } });
  const answer = (await waitFor(() => answers[0], 10_000, 'the git channel answer')) as { id: number; rpc: string; error: { code: string } };
  off();
  assert.equal(answer.id, 7);
  assert.equal(answer.rpc, 'error');
  assert.equal(answer.error.code, 'invalid_input');
});
