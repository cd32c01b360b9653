import { test } from 'node:test';
import assert from 'node:assert/strict';
import { derivedCheck } from '../protocol/validate';
import { parsedPullResponseSchema, parsedPushRequestSchema, parsedPushResponseSchema, pullResponseSchema, pushRequestSchema, pushResponseSchema } from './wire';

const hlc = '001763000000000-000001-node-a';
const change = {
  changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b',
  table: 'agents',
  recordId: 'a-1',
  hlc,
  vv: { 'node-a': 2, 'node-b': 1 },
  nodeId: 'node-a',
  op: 'upsert',
  priority: 5,
  baseVv: null,
  data: { name: 'x', config: { deep: [1, { two: null }] } },
};
const patchChange = { ...change, changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6c', baseVv: { 'node-a': 1 }, data: undefined, patch: { set: { status: 'active' }, unset: ['config'] } };
const deleteChange = { ...change, changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6d', op: 'delete', data: undefined };
const pulled = { ...patchChange, priority: undefined, seq: 7 };

/** Values as JSON.parse gives them (the fast path's precondition): undefined keys vanish, NaN becomes null. */
const viaJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

const bad: unknown[] = [
  null, 0, -1, 1.5, 11, Number.MAX_SAFE_INTEGER + 1, '', 'x'.repeat(129), '../etc', 'users', 'delete', true, [], [1], {},
  { '': 1 }, { 'a b': 1 }, { 'node-a': -1 }, { 'node-a': 1.5 }, { 'node-a': '1' }, { ['k'.repeat(257)]: 1 }, { ['k'.repeat(256)]: 1 },
  JSON.parse('{"__proto__": {"x": 1}}') as unknown, { set: {}, unset: [] }, { set: {}, unset: [1] },
  { set: {}, unset: ['u'.repeat(257)] }, { set: {}, unset: Array.from({ length: 1001 }, () => 'a') }, { set: [], unset: [] }, { set: {}, unset: [], more: 1 },
  '001763000000000-000001-', '1763000000000-000001-node-a', '0199a2b3-c4d5-9e6f-8a7b-1c2d3e4f5a6b', '0199A2B3-C4D5-8E6F-8A7B-1C2D3E4F5A6B',
  Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`n${i}`, 1])),
];

function mutations(base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [base];
  for (const key of [...Object.keys(base), 'extra']) {
    const { [key]: _dropped, ...without } = base;
    out.push(without);
    for (const value of bad) out.push({ ...base, [key]: value });
  }
  for (const b of bad.slice(0, 14)) out.push({ ...base, data: { name: 'x', f: b } }, { ...base, patch: { set: { f: b }, unset: [] } });
  return out;
}

test('the parsed-JSON fast paths give zod’s verdict and message on hostile values; what their derived checks accept zod hands back unchanged', () => {
  const requests: unknown[] = [];
  for (const base of [change, patchChange, deleteChange]) {
    for (const m of mutations(viaJson(base) as Record<string, unknown>)) requests.push({ changes: [viaJson(change), m] });
  }
  requests.push({ changes: [] }, { changes: {} }, { changes: [change], more: 1 }, {}, null, [], { changes: Array.from({ length: 5001 }, () => change) });
  const responses: unknown[] = [];
  for (const m of mutations(viaJson(pulled) as Record<string, unknown>)) responses.push({ changes: [viaJson(pulled), m], cursor: 9, hasMore: false });
  responses.push({ changes: [], cursor: -1, hasMore: false }, { changes: [], cursor: 1 }, { changes: [], cursor: 1, hasMore: 'no' }, { changes: [], cursor: 1, hasMore: true, x: 1 });

  const result = { changeId: change.changeId, status: 'applied', seq: 3 };
  const conflict = { changeId: change.changeId, status: 'conflict', current: { table: 'agents', recordId: 'a-1', data: null, deleted: true, vv: {}, hlc, nodeId: 'node-a', seq: 0 } };
  const pushAnswers: unknown[] = [{ results: [] }, { results: [result, conflict] }, { results: [result], x: 1 }, { results: Array.from({ length: 5001 }, () => result) }];
  for (const m of mutations(result)) pushAnswers.push({ results: [result, m] });
  for (const b of bad) pushAnswers.push({ results: [{ ...result, status: 'duplicate', seq: b }] }, { results: [{ ...result, status: b }] });

  for (const [kind, cases, parsedSchema, schema] of [
    ['pushRequest', requests, parsedPushRequestSchema, pushRequestSchema],
    ['pullResponse', responses, parsedPullResponseSchema, pullResponseSchema],
    ['pushResponse', pushAnswers, parsedPushResponseSchema, pushResponseSchema],
  ] as const) {
    const fits = derivedCheck(schema, { source: 'json' });
    let accepted = 0;
    for (const raw of cases) {
      const value = viaJson(raw);
      const zod = (schema as typeof pushRequestSchema).safeParse(value);
      if (fits(value)) {
        accepted++;
        assert.ok(zod.success, `the derived check accepted what zod refuses: ${kind} ${JSON.stringify(value).slice(0, 300)}`);
        assert.deepEqual(value, zod.data, 'what the fast path lets through is what zod would have answered');
      }
      const fast = (parsedSchema as typeof pushRequestSchema).safeParse(value);
      assert.equal(fast.success, zod.success, `${kind} ${JSON.stringify(value)?.slice(0, 300)}`);
      if (!fast.success && !zod.success) assert.deepEqual(fast.error.issues.map((i) => [i.path, i.message]), zod.error.issues.map((i) => [i.path, i.message]));
    }
    assert.ok(accepted > 5 && accepted < cases.length - 100, `${kind}: the corpus has both sides (${accepted} of ${cases.length} accepted)`);
  }
});

test('the push fast path lets a valid batch through as the same objects (no copy) and refuses a data/patch mix', () => {
  const body = viaJson({ changes: [change, patchChange, deleteChange] }) as { changes: unknown[] };
  const parsed = parsedPushRequestSchema.parse(body);
  assert.equal(parsed.changes[0], body.changes[0]);
  const both = viaJson({ changes: [{ ...patchChange, data: { a: 1 } }] });
  const r = parsedPushRequestSchema.safeParse(both);
  assert.ok(!r.success && /exactly one of data and patch/.test(r.error.issues[0]!.message));
  const noBase = viaJson({ changes: [{ ...patchChange, baseVv: null }] });
  const r2 = parsedPushRequestSchema.safeParse(noBase);
  assert.ok(!r2.success && /needs its baseVv/.test(r2.error.issues[0]!.message));
});
