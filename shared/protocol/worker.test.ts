import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { mainToWorkerSchema, outgoingCheck, parseMessage, relayedChecks, storeCallSchema, storeResultSchemas, workerToMainSchema } from './worker';

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

test('the hand checks of an apply page accept exactly what the zod schemas accept', () => {
  const change = {
    changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b',
    table: 'agents',
    recordId: 'a-1',
    hlc,
    vv: { 'node-a': 2, 'node-b': 1 },
    nodeId: 'node-a',
    seq: 7,
    op: 'upsert',
    baseVv: { 'node-a': 1 },
    data: { name: 'x', config: { deep: [1, { two: null }] } },
    patch: { set: { status: 'active' }, unset: ['config'] },
  };
  const state = { table: 'workflows', recordId: 'w.1:x', data: { name: 'w' }, deleted: false, vv: { 'node-a': 1 }, hlc, nodeId: 'node-b', seq: 0 };
  const bad: unknown[] = [
    undefined, null, 0, -1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '', 'x'.repeat(129), '../etc', 'users', true, [], [1], {},
    { '': 1 }, { 'a b': 1 }, { 'node-a': -1 }, { 'node-a': 1.5 }, { 'node-a': '1' }, { ['k'.repeat(257)]: 1 }, new Date(0),
    Object.create({ inherited: 1 }) as unknown, JSON.parse('{"__proto__": {"x": 1}}') as unknown, { set: {}, unset: [] }, { set: {}, unset: [1] },
    { set: {}, unset: ['u'.repeat(257)] }, { set: {}, unset: Array.from({ length: 1001 }, () => 'a') }, { set: [], unset: [] }, { set: {}, unset: [], more: 1 },
    '001763000000000-000001-', '1763000000000-000001-node-a', '0199a2b3-c4d5-9e6f-8a7b-1c2d3e4f5a6b', '0199A2B3-C4D5-8E6F-8A7B-1C2D3E4F5A6B',
    Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`n${i}`, 1])),
  ];
  const cases: Array<{ kind: 'change' | 'state'; value: unknown }> = [];
  for (const [kind, base] of [['change', change], ['state', state]] as const) {
    cases.push({ kind, value: base });
    for (const key of [...Object.keys(base), 'extra']) {
      const { [key]: _dropped, ...without } = base as Record<string, unknown>;
      cases.push({ kind, value: without });
      for (const value of bad) cases.push({ kind, value: { ...base, [key]: value } });
    }
  }
  for (const value of [change.data, change.patch.set]) for (const b of bad.slice(0, 12)) cases.push({ kind: 'change', value: { ...change, data: { ...value, f: b } } });
  let accepted = 0;
  for (const { kind, value } of cases) {
    const { fits, schema } = relayedChecks[kind];
    const zodSays = schema.safeParse(value).success;
    if (fits(value)) {
      accepted++;
      assert.ok(zodSays, `the hand check accepted what zod refuses: ${kind} ${JSON.stringify(value)?.slice(0, 300)}`);
    }
    // whatever the hand check says, the message's verdict is zod's
    const call = { op: 'apply', changes: kind === 'change' ? [change, value] : [], fullStates: kind === 'state' ? [state, value] : [], cursor: 1 };
    const parsed = parseMessage(storeCallSchema, call);
    assert.equal(parsed.ok, zodSays, `${kind} ${JSON.stringify(value)?.slice(0, 300)}: ${parsed.ok ? 'accepted' : parsed.error}`);
    if (!parsed.ok) assert.match(parsed.error, new RegExp(`^malformed message: ${kind === 'change' ? 'changes' : 'fullStates'}\\.1`));
  }
  assert.ok(accepted > 20 && accepted < cases.length - 100, `the corpus has both sides (${accepted} of ${cases.length} accepted)`);
  // too many elements
  const tooMany = { op: 'apply', changes: Array.from({ length: 10_001 }, () => change), fullStates: [], cursor: 1 };
  assert.ok(!parseMessage(storeCallSchema, tooMany).ok);
  assert.ok(!parseMessage(storeCallSchema, { op: 'apply', changes: {}, fullStates: [], cursor: 1 }).ok);
});

test('an accepted apply page reaches main as sent, and zod strips what it strips', () => {
  const change = { changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b', table: 'agents', recordId: 'a-1', hlc, vv: { 'node-a': 1 }, nodeId: 'node-a', seq: 1, op: 'upsert', baseVv: null, data: { name: 'x' } };
  const withProto = { ...change, data: JSON.parse('{"__proto__": {"polluted": 1}, "name": "y"}') as Record<string, unknown> };
  const parsed = parseMessage(storeCallSchema, { op: 'apply', changes: [change, withProto], fullStates: [], cursor: 1 });
  assert.ok(parsed.ok && parsed.value.op === 'apply');
  const changes = parsed.value.changes;
  assert.deepEqual(changes[0], change);
  assert.deepEqual(Object.keys(changes[1]!.data!), ['name']);
});

test('the hand check of a leased batch accepts exactly what the zod schema accepts; the verdict stays zod’s', () => {
  const item = {
    queueId: 3,
    changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b',
    table: 'executions',
    recordId: 'e-1',
    op: 'upsert',
    priority: 4,
    hlc,
    vv: { 'node-a': 2 },
    nodeId: 'node-a',
    baseVv: { 'node-a': 1 },
    data: { status: 'done', outputData: { rows: [1, { two: null }] } },
    baseData: { status: 'running' },
  };
  const bad: unknown[] = [
    undefined, null, 0, -1, 1.5, 11, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '', 'x'.repeat(129), 'users', true, [], {}, { 'a b': 1 },
    { 'node-a': -1 }, { 'node-a': '1' }, { ['k'.repeat(257)]: 1 }, new Date(0), Object.create({ inherited: 1 }) as unknown,
    JSON.parse('{"__proto__": {"x": 1}}') as unknown, 'delete', '0199A2B3-C4D5-8E6F-8A7B-1C2D3E4F5A6B', '1763000000000-000001-node-a',
  ];
  const cases: unknown[] = [item, { ...item, op: 'delete', data: null, baseVv: null, baseData: null }];
  for (const key of [...Object.keys(item), 'extra']) {
    const { [key]: _dropped, ...without } = item as Record<string, unknown>;
    cases.push(without);
    for (const value of bad) cases.push({ ...item, [key]: value });
  }
  let accepted = 0;
  for (const value of cases) {
    const zodSays = outgoingCheck.schema.safeParse(value).success;
    if (outgoingCheck.fits(value)) {
      accepted++;
      assert.ok(zodSays, `the hand check accepted what zod refuses: ${JSON.stringify(value)?.slice(0, 300)}`);
    }
    const parsed = storeResultSchemas.lease.safeParse({ items: [item, value] });
    assert.equal(parsed.success, zodSays, JSON.stringify(value)?.slice(0, 300));
  }
  assert.ok(accepted > 10 && accepted < cases.length - 100, `the corpus has both sides (${accepted} of ${cases.length} accepted)`);
  assert.equal(storeResultSchemas.lease.safeParse({ items: Array.from({ length: 5001 }, () => item) }).success, false);
  const ok = storeResultSchemas.lease.safeParse({ items: [item] });
  assert.ok(ok.success && ok.data.items[0] === item, 'an accepted batch is handed on as sent, not copied');
});
