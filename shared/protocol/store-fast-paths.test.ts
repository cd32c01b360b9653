import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { derivedCheck } from './validate';
import { outgoingChangeSchema, parseMessage, relayedPulledChangeSchema, relayedRecordStateSchema, storeCallSchema, storeResultSchemas } from './worker';

/*
 * The big arrays between main and the worker (an apply page, a lease) take a validator derived from their zod
 * declaration. On hostile values the verdict and the message are zod's; what the derived check accepts, zod
 * would hand back unchanged.
 */

const hlc = '001763000000000-000001-node-a';
/** Values as they cross the process boundary. */
const viaClone = <T>(v: T): T => structuredClone(v);

test('an apply page: hostile changes and states get zod’s verdict and message, accepted ones pass as zod would answer them', () => {
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
    undefined, null, 0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '', 'x'.repeat(129), '../etc', 'users', true, [], [1], {},
    { '': 1 }, { 'a b': 1 }, { 'node-a': -1 }, { 'node-a': 1.5 }, { 'node-a': '1' }, { ['k'.repeat(257)]: 1 }, { ['😀'.repeat(129)]: 1 }, new Date(0), new Map([['a', 1]]),
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
  const schemas = { change: z.array(relayedPulledChangeSchema), state: z.array(relayedRecordStateSchema) };
  const fits = { change: derivedCheck(schemas.change, { source: 'clone' }), state: derivedCheck(schemas.state, { source: 'clone' }) };
  let accepted = 0;
  for (const { kind, value: raw } of cases) {
    const value = viaClone(raw);
    const zod = schemas[kind].safeParse([value]);
    if (fits[kind]([value])) {
      accepted++;
      assert.ok(zod.success, `the derived check accepted what zod refuses: ${kind} ${JSON.stringify(value)?.slice(0, 300)}`);
      assert.deepEqual([value], zod.data);
    }
    const call = { op: 'apply', changes: kind === 'change' ? [change, value] : [], fullStates: kind === 'state' ? [state, value] : [], cursor: 1 };
    const parsed = parseMessage(storeCallSchema, call);
    assert.equal(parsed.ok, zod.success, `${kind} ${JSON.stringify(value)?.slice(0, 300)}: ${parsed.ok ? 'accepted' : parsed.error}`);
    if (!parsed.ok) assert.match(parsed.error, new RegExp(`^malformed message: ${kind === 'change' ? 'changes' : 'fullStates'}\\.1`));
  }
  assert.ok(accepted > 20 && accepted < cases.length - 100, `the corpus has both sides (${accepted} of ${cases.length} accepted)`);
  const tooMany = { op: 'apply', changes: Array.from({ length: 10_001 }, () => change), fullStates: [], cursor: 1 };
  assert.ok(!parseMessage(storeCallSchema, tooMany).ok);
  assert.ok(!parseMessage(storeCallSchema, { op: 'apply', changes: {}, fullStates: [], cursor: 1 }).ok);
});

test('an accepted apply page reaches main as sent, and zod strips what it strips', () => {
  const change = { changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b', table: 'agents', recordId: 'a-1', hlc, vv: { 'node-a': 1 }, nodeId: 'node-a', seq: 1, op: 'upsert', baseVv: null, data: { name: 'x' } };
  const withProto = { ...change, data: JSON.parse('{"__proto__": {"polluted": 1}, "name": "y"}') as Record<string, unknown> };
  const page = [change, withProto];
  const parsed = parseMessage(storeCallSchema, { op: 'apply', changes: page, fullStates: [], cursor: 1 });
  assert.ok(parsed.ok && parsed.value.op === 'apply');
  assert.deepEqual(parsed.value.changes[0], change);
  assert.deepEqual(Object.keys(parsed.value.changes[1]!.data!), ['name']);
  const clean = parseMessage(storeCallSchema, { op: 'apply', changes: [change], fullStates: [], cursor: 1 });
  assert.ok(clean.ok && clean.value.op === 'apply' && clean.value.changes[0] === change, 'an accepted page is handed on as sent, not copied');
});

test('a leased batch: hostile items get zod’s verdict; an accepted batch is handed on as sent', () => {
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
  const overrode = [{ nodeId: 'node-b', hlc, fields: ['status'], strategy: 'lww', automatic: true, confidence: null }];
  const bad: unknown[] = [
    undefined, null, 0, -1, 1.5, 11, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '', 'x'.repeat(129), 'users', true, [], {}, { 'a b': 1 },
    { 'node-a': -1 }, { 'node-a': '1' }, { ['k'.repeat(257)]: 1 }, new Date(0), Object.create({ inherited: 1 }) as unknown,
    JSON.parse('{"__proto__": {"x": 1}}') as unknown, 'delete', '0199A2B3-C4D5-8E6F-8A7B-1C2D3E4F5A6B', '1763000000000-000001-node-a',
    [{ ...overrode[0], confidence: 2 }], [{ ...overrode[0], confidence: 0.5 }], overrode,
  ];
  const cases: unknown[] = [item, { ...item, overrode }, { ...item, op: 'delete', data: null, baseVv: null, baseData: null }];
  for (const key of [...Object.keys(item), 'overrode', 'extra']) {
    const { [key]: _dropped, ...without } = item as Record<string, unknown>;
    cases.push(without);
    for (const value of bad) cases.push({ ...item, [key]: value });
  }
  const schema = z.array(outgoingChangeSchema);
  const fits = derivedCheck(schema, { source: 'clone' });
  let accepted = 0;
  for (const raw of cases) {
    const value = viaClone(raw);
    const zod = schema.safeParse([value]);
    if (fits([value])) {
      accepted++;
      assert.ok(zod.success, `the derived check accepted what zod refuses: ${JSON.stringify(value)?.slice(0, 300)}`);
      assert.deepEqual([value], zod.data);
    }
    const parsed = storeResultSchemas.lease.safeParse({ items: [item, value] });
    assert.equal(parsed.success, zod.success, JSON.stringify(value)?.slice(0, 300));
  }
  assert.ok(accepted > 10 && accepted < cases.length - 100, `the corpus has both sides (${accepted} of ${cases.length} accepted)`);
  assert.equal(storeResultSchemas.lease.safeParse({ items: Array.from({ length: 5001 }, () => item) }).success, false);
  const ok = storeResultSchemas.lease.safeParse({ items: [item] });
  assert.ok(ok.success && ok.data.items[0] === item, 'an accepted batch is handed on as sent, not copied');
});
