import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import Fastify from 'fastify';
import { openSseStream, type SseStream } from './sse';

test('openSseStream: the head (with the hooks\' headers), retry, events as one data line, heartbeats; ends once when the client goes', async () => {
  const app = Fastify();
  app.addHook('onRequest', async (_req, reply) => void reply.header('referrer-policy', 'no-referrer').header('cache-control', 'public'));
  let ends = 0;
  let opened: SseStream | null = null;
  let beats = 0;
  app.get('/events', async (_req, reply) => {
    const stream = openSseStream(reply, { heartbeatMs: 30, retryMs: 2000, onHeartbeat: () => beats++, onEnd: () => ends++ });
    opened = stream;
    stream.send('changes', { seq: 1, text: 'a\nb\r\nc' });
    assert.throws(() => stream.send('bad\nevent', {}));
    return reply;
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as { port: number }).port;
  try {
    const { headers, text } = await new Promise<{ headers: Record<string, unknown>; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
          if (text.includes(': heartbeat\n\n')) {
            req.destroy();
            resolve({ headers: res.headers, text });
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(headers['cache-control'], 'no-store, no-transform', 'the stream is never cached, whatever a hook said');
    assert.equal(headers['referrer-policy'], 'no-referrer', 'headers set by hooks are kept');
    assert.ok(text.startsWith('retry: 2000\n\nevent: changes\ndata: {"seq":1,"text":"a\\nb\\r\\nc"}\n\n'), JSON.stringify(text));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(ends, 1);
    assert.equal(opened!.ended, true);
    const beatsAtEnd = beats;
    opened!.end();
    opened!.send('changes', { seq: 2 }); // after the end: nothing is written, nothing throws
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(ends, 1, 'onEnd runs once');
    assert.equal(beats, beatsAtEnd, 'no heartbeat after the end');
  } finally {
    await app.close();
  }
});
