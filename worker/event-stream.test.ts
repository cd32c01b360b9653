import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { EventStream } from './event-stream';
import type { HubClient } from './hub-client';

/** An EventStream on a stream this test writes, as the hub would: chunks split anywhere. */
function harness() {
  const res = new PassThrough();
  const seqs: number[] = [];
  let opened = 0;
  const client = { openEvents: async () => res as unknown as IncomingMessage } as unknown as HubClient;
  const stream = new EventStream(client, { onChanges: (seq) => seqs.push(seq), onOpen: () => opened++, onError: () => undefined });
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return { res, seqs, stream, tick, opened: () => opened };
}

test('changes events are read across chunk boundaries; comments, other events and bad data are ignored', async () => {
  const h = harness();
  await h.tick();
  assert.equal(h.opened(), 1);
  for (const chunk of ['retry: 2000\n\n', 'event: chan', 'ges\ndata: {"seq"', ': 7}\n', '\n', ': heartbeat\n\n', 'event: other\ndata: {"seq": 8}\n\n']) {
    h.res.write(chunk);
    await h.tick();
  }
  h.res.write('event: changes\ndata: not json\n\nevent: changes\ndata: {"seq": -1}\n\nevent: changes\r\ndata: {"seq": 9}\r\n\r\n');
  await h.tick();
  assert.deepEqual(h.seqs, [7, 9]);
  h.stream.close();
});

test('an event that grows past 64 KiB unfinished is dropped, and the stream goes on', async () => {
  const h = harness();
  await h.tick();
  h.res.write('event: changes\ndata: {"seq": 1, "pad": "');
  for (let i = 0; i < 10; i++) {
    h.res.write('x'.repeat(16 * 1024));
    await h.tick();
  }
  h.res.write('"}\n\nevent: changes\ndata: {"seq": 2}\n\n');
  await h.tick();
  assert.deepEqual(h.seqs, [2]);
  h.stream.close();
});
