import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { mainToWorkerSchema, parseMessage, storeResultSchemas, workerToMainSchema } from './protocol';

const hlc = '001763000000000-000001-node-a';

test('every message kind parses; malformed ones are refused with a reason', () => {
  const toWorker = [
    { type: 'sync-now', requestId: 1 },
    { type: 'local-write' },
    { type: 'reply', requestId: 2, ok: true, value: { cursor: 5 } },
    { type: 'reply', requestId: 3, ok: false, error: { code: 'internal', message: 'x' } },
    { type: 'shutdown', deadlineMs: 1000 },
    { type: 'channel', channel: 'git', payload: { anything: true } },
  ];
  for (const m of toWorker) assert.ok(parseMessage(mainToWorkerSchema, m).ok, JSON.stringify(m));
  const toMain = [
    { type: 'ready' },
    { type: 'request', requestId: 1, call: { op: 'lease', limit: 10, minPriority: 1 } },
    { type: 'request', requestId: 2, call: { op: 'apply', changes: [], fullStates: [], cursor: 0 } },
    { type: 'cycle-result', requestId: 1, ok: true, result: { pushed: 1, pulled: 0, conflicts: 0, failed: 0, bytesRaw: 1, bytesWire: 1, durationMs: 3 } },
    { type: 'cycle-result', requestId: null, ok: false, error: { code: 'unavailable', message: 'offline' } },
    { type: 'log', level: 'warn', msg: 'hello' },
  ];
  for (const m of toMain) assert.ok(parseMessage(workerToMainSchema, m).ok, JSON.stringify(m));

  const bad = [
    { type: 'reply', requestId: 3, ok: false }, // a failure without its error
    { type: 'request', requestId: 1, call: { op: 'lease', limit: 0, minPriority: 1 } },
    { type: 'request', requestId: 1, call: { op: 'drop-tables' } },
    { type: 'cycle-result', requestId: 1, ok: true },
    { type: 'nonsense' },
  ];
  for (const m of bad) {
    const schema: z.ZodType<unknown> = m.type === 'reply' ? mainToWorkerSchema : workerToMainSchema;
    const parsed = parseMessage(schema, m);
    assert.ok(!parsed.ok && parsed.error.startsWith('malformed message'), JSON.stringify(m));
  }
});

test('a leased change from main is checked before it is pushed', () => {
  const item = {
    queueId: 1,
    changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b',
    table: 'agents',
    recordId: 'a-1',
    op: 'upsert',
    priority: 5,
    hlc,
    vv: { 'node-a': 1 },
    nodeId: 'node-a',
    baseVv: null,
    data: { name: 'x' },
    baseData: null,
  };
  assert.ok(storeResultSchemas.lease.safeParse({ items: [item] }).success);
  assert.ok(!storeResultSchemas.lease.safeParse({ items: [{ ...item, table: 'users' }] }).success);
  assert.ok(!storeResultSchemas.lease.safeParse({ items: [{ ...item, recordId: '../etc' }] }).success);
});
