import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { mainToWorkerSchema, parseMessage, storeCallSchema, storeResultSchemas, workerToMainSchema } from './worker';

const hlc = '001763000000000-000001-node-a';

test('every message kind parses; malformed ones are refused with a reason', () => {
  const toWorker = [
    { type: 'rpc', message: { rpc: 'call', id: 1, method: 'sync-now' } },
    { type: 'local-write' },
    { type: 'rpc', message: { rpc: 'result', id: 2, value: { cursor: 5 } } },
    { type: 'rpc', message: { rpc: 'error', id: 3, error: { code: 'internal', message: 'x' } } },
    { type: 'shutdown', deadlineMs: 1000 },
    { type: 'channel', channel: 'git', payload: { anything: true } },
  ];
  for (const m of toWorker) assert.ok(parseMessage(mainToWorkerSchema, m).ok, JSON.stringify(m));
  const toMain = [
    { type: 'ready' },
    { type: 'rpc', message: { rpc: 'call', id: 1, method: 'store', params: { op: 'lease', limit: 10, minPriority: 1 } } },
    { type: 'rpc', message: { rpc: 'result', id: 1, value: { pushed: 1, pulled: 0, conflicts: 0, failed: 0, bytesRaw: 1, bytesWire: 1, durationMs: 3 } } },
    { type: 'rpc', message: { rpc: 'error', id: 2, error: { code: 'unavailable', message: 'offline' } } },
    { type: 'log', level: 'warn', msg: 'hello' },
  ];
  for (const m of toMain) assert.ok(parseMessage(workerToMainSchema, m).ok, JSON.stringify(m));
  // a store call's params are checked by main's store method (the message carries them unchecked)
  for (const call of [{ op: 'lease', limit: 10, minPriority: 1 }, { op: 'apply', changes: [], fullStates: [], cursor: 0 }]) assert.ok(parseMessage(storeCallSchema, call).ok, JSON.stringify(call));
  for (const call of [{ op: 'lease', limit: 0, minPriority: 1 }, { op: 'drop-tables' }]) assert.ok(!parseMessage(storeCallSchema, call).ok, JSON.stringify(call));

  const bad = [
    { type: 'rpc', message: { rpc: 'error', id: 3 } }, // a failure without its error
    { type: 'rpc', message: { rpc: 'call', id: 1, params: {} } }, // a call without its method
    { type: 'rpc', message: { rpc: 'result', value: 1 } }, // an answer without its id
    { type: 'nonsense' },
  ];
  for (const m of bad) {
    const schema: z.ZodType<unknown> = m.type === 'rpc' ? mainToWorkerSchema : workerToMainSchema;
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
