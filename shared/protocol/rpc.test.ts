import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutpostError } from '../errors';
import { RpcPeer, type RpcHandler, type RpcMessage } from './rpc';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Two peers joined as across a process boundary: delivery is asynchronous and structured-cloned; `wire` logs it. */
function pair(handlers: Record<string, RpcHandler>, refused: string[] = []) {
  const wire: Array<{ to: 'server' | 'client'; message: RpcMessage }> = [];
  const deliver = (to: 'server' | 'client', message: RpcMessage) => {
    wire.push({ to, message });
    setImmediate(() => (to === 'server' ? server : client).receive(structuredClone(message)));
  };
  const client: RpcPeer = new RpcPeer((m) => deliver('server', m), { onDropped: (r) => refused.push(r) });
  const server: RpcPeer = new RpcPeer((m) => deliver('client', m), { handlers, onDropped: (r) => refused.push(r) });
  return { client, server, wire };
}

test('concurrent calls each get their own answer, whatever order the answers come in', async () => {
  const { client } = pair({
    echo: async (params) => {
      const { value, delayMs } = params as { value: string; delayMs: number };
      await new Promise((r) => setTimeout(r, delayMs));
      return value;
    },
    sum: (params) => (params as number[]).reduce((a, b) => a + b, 0),
  });
  const answers = await Promise.all([
    client.call('echo', { value: 'slow', delayMs: 40 }),
    client.call('echo', { value: 'fast', delayMs: 1 }),
    client.call('sum', [1, 2, 3]),
    client.call('echo', { value: 'middle', delayMs: 15 }),
  ]);
  assert.deepEqual(answers, ['slow', 'fast', 6, 'middle']);
});

test('progress reports reach the caller in order, before the result; none after it', async () => {
  let later: (() => void) | undefined;
  const { client, wire } = pair({
    work: async (_params, { progress }) => {
      for (let i = 1; i <= 3; i++) {
        progress({ step: i });
        await tick();
      }
      later = () => progress({ step: 'too late' });
      return 'done';
    },
  });
  const seen: unknown[] = [];
  const value = await client.call('work', null, { onProgress: (p) => seen.push(p) });
  assert.equal(value, 'done');
  assert.deepEqual(seen, [{ step: 1 }, { step: 2 }, { step: 3 }]);
  later!();
  await tick();
  assert.ok(!wire.some((w) => w.message.rpc === 'progress' && (w.message.progress as { step: unknown }).step === 'too late'), 'no progress after the answer');
});

test('what a handler throws is the rejection: OutpostError code and message kept, anything else internal; an unknown method is not_found', async () => {
  const { client } = pair({
    syncThrow: () => {
      throw new OutpostError('locked', 'Sync is paused.', { why: 'paused' });
    },
    asyncThrow: () => Promise.reject(new OutpostError('storage_full', 'The disk is full.')),
    bug: () => {
      throw new TypeError('secret internals at /home/x');
    },
  });
  await assert.rejects(client.call('syncThrow'), (e: OutpostError) => e instanceof OutpostError && e.code === 'locked' && e.message === 'Sync is paused.' && (e.details as { why: string }).why === 'paused');
  await assert.rejects(client.call('asyncThrow'), (e: OutpostError) => e.code === 'storage_full' && e.message === 'The disk is full.');
  await assert.rejects(client.call('bug'), (e: OutpostError) => e.code === 'internal' && !e.message.includes('secret'));
  await assert.rejects(client.call('nope'), (e: OutpostError) => e.code === 'not_found' && /nope/.test(e.message));
  await assert.rejects(client.call('toString'), (e: OutpostError) => e.code === 'not_found', 'only own handlers are methods');
});

test('cancel: the call rejects at once with the reason, the handler sees its signal abort, and its answer is not sent', async () => {
  let handlerSignal: AbortSignal | undefined;
  let finish: (() => void) | undefined;
  const { client, wire } = pair({
    long: (_params, { signal }) => {
      handlerSignal = signal;
      return new Promise((resolve) => (finish = () => resolve('finished anyway')));
    },
  });
  const controller = new AbortController();
  const call = client.call('long', null, { signal: controller.signal });
  await tick();
  await tick();
  assert.ok(handlerSignal && !handlerSignal.aborted);
  controller.abort(new OutpostError('unavailable', 'took too long'));
  await assert.rejects(call, (e: OutpostError) => e.code === 'unavailable' && e.message === 'took too long');
  await tick();
  assert.equal(handlerSignal.aborted, true, 'the cancel reached the handler');
  finish!();
  await tick();
  assert.ok(!wire.some((w) => w.to === 'client' && (w.message.rpc === 'result' || w.message.rpc === 'error')), 'a cancelled call is not answered');

  const sentBefore = wire.length;
  await assert.rejects(client.call('long', null, { signal: AbortSignal.abort() }));
  assert.equal(wire.length, sentBefore, 'an already aborted signal sends nothing');
});

test('close: every pending call fails with its error, later calls fail at once, the closed side stops serving', async () => {
  const { client, server, wire } = pair({ never: () => new Promise(() => {}), quick: () => 1 });
  const a = client.call('never');
  const b = client.call('never');
  await tick();
  client.close(new OutpostError('unavailable', 'The sync worker stopped.'));
  await assert.rejects(a, /The sync worker stopped/);
  await assert.rejects(b, /The sync worker stopped/);
  const sent = wire.length;
  await assert.rejects(client.call('quick'), /The sync worker stopped/);
  assert.equal(wire.length, sent, 'nothing is posted after close');

  // a closed server aborts what runs and answers nothing
  let signal: AbortSignal | undefined;
  let finish: (() => void) | undefined;
  const other = pair({ run: (_p, ctx) => ((signal = ctx.signal), new Promise((r) => (finish = () => r('late')))) });
  const pending = other.client.call('run');
  await tick();
  await tick();
  other.server.close(new Error('main went away'));
  assert.equal(signal?.aborted, true);
  finish!();
  await tick();
  assert.ok(!other.wire.some((w) => w.to === 'client'), 'no answer from a closed peer');
  other.client.close(new Error('peer gone'));
  await assert.rejects(pending, /peer gone/);
  void server;
});

test('answers to unknown, settled or duplicate ids are ignored; malformed messages are answered or reported', async () => {
  const refused: string[] = [];
  const { client, server } = pair({ one: () => 1 }, refused);
  assert.equal(await client.call('one'), 1); // id 1 settled
  // answers nobody asked for, and a late duplicate: none of them settles the call that waits
  const seen: unknown[] = [];
  const second = client.call('one', null, { onProgress: (p) => seen.push(p) }); // id 2
  client.receive({ rpc: 'result', id: 99, value: 'forged' });
  client.receive({ rpc: 'error', id: 98, error: { code: 'internal', message: 'forged' } });
  client.receive({ rpc: 'progress', id: 97, progress: 'forged' });
  client.receive({ rpc: 'result', id: 1, value: 'late duplicate' });
  assert.equal(await second, 1);
  client.receive({ rpc: 'result', id: 2, value: 'duplicate' });
  assert.deepEqual(seen, []);
  assert.equal(await client.call('one'), 1);

  // a malformed call with a readable id is answered invalid_input
  const answered: RpcMessage[] = [];
  const bare = new RpcPeer((m) => answered.push(m), { handlers: { one: () => 1 } });
  bare.receive({ rpc: 'call', id: 5, params: {} });
  assert.deepEqual(answered.map((m) => [m.rpc, m.id, m.rpc === 'error' && m.error.code]), [['error', 5, 'invalid_input']]);

  // a malformed answer to a waiting call fails it, instead of leaving it waiting
  const hung = new RpcPeer(() => {});
  const waiting = hung.call('one');
  hung.receive({ rpc: 'error', id: 1, error: { code: 'internal' } });
  await assert.rejects(waiting, (e: OutpostError) => e.code === 'internal' && /answer to one is malformed \(error\.message/.test(e.message));

  // anything else is only reported
  server.receive('garbage');
  server.receive({ rpc: 'result', id: 'x' });
  assert.equal(refused.length, 2);
  assert.match(refused[0]!, /malformed rpc message/);
});

test('a post that throws: the call rejects at once; an answer that cannot be sent is reported, not thrown', async () => {
  const broken = new RpcPeer(() => {
    throw new Error('channel closed');
  });
  await assert.rejects(broken.call('one'), /channel closed/);
  const dropped: string[] = [];
  const server = new RpcPeer(
    () => {
      throw new Error('channel closed');
    },
    { handlers: { one: () => 1 }, onDropped: (r) => dropped.push(r) },
  );
  server.receive({ rpc: 'call', id: 1, method: 'one' });
  assert.equal(dropped.length, 1);
  assert.match(dropped[0]!, /could not send result 1/);
});
