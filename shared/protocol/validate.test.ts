import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';
import fc from 'fast-check';
import { z } from 'zod';
import { derivedCheck, jsonValueSchema, refineAs, withFastPath } from './validate';
import { jsonSchemaFor } from './derive-schema';
import { parsedPushRequestSchema, wireChangeSchema } from '../sync/wire';

const root = new URL('../..', import.meta.url).pathname;

test('what JSON Schema cannot say is refused at derivation, never dropped', () => {
  const refused: Array<[z.ZodType, RegExp]> = [
    [z.object({ url: z.string().url() }), /at properties\/url: the format url/],
    [z.string().regex(/a/i), /regex flags \/i/],
    [z.object({ n: z.number().default(1) }), /at properties\/n: a zod default/],
    [z.string().refine((s) => s !== 'x'), /a refinement \(declare it with refineAs\)/],
    [z.string().trim().max(3), /the check overwrite/],
    [z.string().transform((s) => s.length), /a zod pipe|a zod transform/],
    [z.date(), /Date cannot be represented/],
  ];
  for (const [schema, message] of refused) assert.throws(() => jsonSchemaFor(schema), message);
});

test('a derived check refuses what zod refuses where JSON Schema alone would not', () => {
  const record = z.record(z.string().max(4), z.number().int().min(0));
  const object = z.object({ s: z.string().max(2), n: z.number(), v: record.nullable(), o: z.string().optional() }).strict();
  const exact = derivedCheck(object);
  const cloned = derivedCheck(object, { source: 'clone' });
  const ok = { s: 'ab', n: 1.5, v: { a: 1 } };
  const cases: Array<[string, unknown]> = [
    ['a string of more code points than allowed', { ...ok, s: '😀ab' }],
    ['NaN', { ...ok, n: Number.NaN }],
    ['Infinity', { ...ok, n: Number.POSITIVE_INFINITY }],
    ['an unsafe integer', { ...ok, v: { a: 2 ** 53 } }],
    ['a Date as a record', { ...ok, v: new Date(0) }],
    ['a Map as a record', { ...ok, v: new Map() }],
    ['a class instance as a record', { ...ok, v: new (class { a = 1 })() }],
    ['a record key of too many code points', { ...ok, v: { '😀😀😀😀😀': 1 } }],
    ['an unknown key', { ...ok, x: 1 }],
    ['a missing key', { s: 'ab', n: 1 }],
    ['a required key present as undefined', { ...ok, v: undefined }],
  ];
  for (const [what, value] of cases) {
    assert.equal(object.safeParse(value).success, false, `zod refuses ${what}`);
    assert.equal(exact(value), false, `the derived check refuses ${what}`);
    assert.equal(cloned(value), false, `the derived check for cloned values refuses ${what}`);
  }
  assert.equal(exact({ ...ok, v: { a: 1, [Symbol('s')]: 1 } }), false, 'a symbol key in a record (zod refuses it)');
  // zod accepts these but hands back a copy without the key or with another prototype: they are zod's to copy
  for (const v of [JSON.parse('{"__proto__": 1}') as unknown, Object.assign(Object.create(null) as object, { a: 1 })]) {
    assert.ok(object.safeParse({ ...ok, v }).success && !exact({ ...ok, v }) && !cloned({ ...ok, v }));
  }
  for (const accepted of [ok, { ...ok, v: null, s: '😀😀' }, { ...ok, s: '\ud800\ud800' }, { ...ok, v: { '😀😀😀😀': 1 } }, { ...ok, o: undefined }]) {
    assert.ok(object.safeParse(accepted).success && exact(accepted), `accepts what zod accepts: ${JSON.stringify(accepted)}`);
  }
});

test('a rule declared with refineAs holds in zod (with its message) and in the derived check', () => {
  const change = { changeId: '0199a2b3-c4d5-8e6f-8a7b-1c2d3e4f5a6b', table: 'agents', recordId: 'a-1', hlc: '001763000000000-000001-node-a', vv: { 'node-a': 1 }, nodeId: 'node-a', priority: 5 };
  const cases: Array<[unknown, string | null]> = [
    [{ ...change, op: 'upsert', baseVv: null, data: { a: 1 } }, null],
    [{ ...change, op: 'upsert', baseVv: { 'node-a': 1 }, patch: { set: {}, unset: [] } }, null],
    [{ ...change, op: 'delete', baseVv: null }, null],
    [{ ...change, op: 'delete', baseVv: null, data: { a: 1 } }, 'exactly one of data and patch'],
    [{ ...change, op: 'delete', baseVv: { 'node-a': 1 }, patch: { set: {}, unset: [] } }, 'exactly one of data and patch'],
    [{ ...change, op: 'upsert', baseVv: null }, 'exactly one of data and patch'],
    [{ ...change, op: 'upsert', baseVv: { 'node-a': 1 }, data: { a: 1 }, patch: { set: {}, unset: [] } }, 'exactly one of data and patch'],
    [{ ...change, op: 'upsert', baseVv: null, patch: { set: {}, unset: [] } }, 'needs its baseVv'],
    [{ ...change, op: 'upsert', baseVv: null, vv: Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`n${i}`, 1])), data: {} }, 'version vector too large'],
  ];
  const fits = derivedCheck(wireChangeSchema, { source: 'json' });
  for (const [value, refusal] of cases) {
    const zod = wireChangeSchema.safeParse(value);
    assert.equal(fits(value), refusal === null, JSON.stringify(value).slice(0, 200));
    if (refusal === null) assert.ok(zod.success);
    else assert.ok(!zod.success && zod.error.issues.some((i) => i.message.includes(refusal)), `${refusal}: ${JSON.stringify(zod.error?.issues)}`);
    const fast = parsedPushRequestSchema.safeParse({ changes: [value] });
    assert.equal(fast.success, refusal === null);
    if (!fast.success) assert.ok(fast.error.issues.some((i) => i.message.includes(refusal!)));
  }
  const positive = refineAs(z.number(), { exclusiveMinimum: 0 }, 'must be positive');
  assert.equal(positive.safeParse(-1).error?.issues[0]?.message, 'must be positive');
  assert.equal(derivedCheck(z.array(positive))([1, -1]), false);
});

test('on generated values a derived check accepts only what zod accepts, and zod hands those back unchanged', () => {
  const status = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('a'), n: z.number().int().min(-3).max(3) }).strict(),
    z.object({ kind: z.literal('b'), tags: z.array(z.string().min(1).max(3)).min(1).max(2) }).strict(),
  ]);
  const schema = z
    .object({
      id: z.string().regex(/^[a-c]{1,3}$/),
      kind: z.enum(['x', 'y']),
      flag: z.boolean().optional(),
      at: z.number().nullable(),
      status,
      either: z.union([z.string().max(2), z.number().int()]),
      map: z.record(z.string().regex(/^[a-c]+$/), z.number().int().min(0)).nullable(),
      data: z.record(z.string().max(3), jsonValueSchema),
      loose: z.object({ a: z.number() }).loose(),
      stripped: z.object({ a: z.number() }),
    })
    .strict();
  const leaf = fc.oneof(
    fc.constantFrom(null, undefined, true, 'a', 'ab', 'abc', 'abcd', 'x', 'y', 'b', '😀', '', -3, 0, 3, 4, 1.5, Number.NaN, 2 ** 53, -0),
    fc.integer({ min: -5, max: 5 }),
    fc.string({ maxLength: 4 }),
  );
  const value = fc.letrec((tie) => ({
    any: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('any'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', 'c', 'abcd', '__proto__', 'kind', 'n', 'tags'), tie('any'), { maxKeys: 3 })),
  })).any;
  const good = {
    id: 'ab',
    kind: 'x',
    at: null,
    status: { kind: 'b', tags: ['a'] },
    either: 'ab',
    map: { a: 1 },
    data: { k: [1, { two: null }] },
    loose: { a: 1, extra: 'kept' },
    stripped: { a: 1 },
  };
  const keys = [...Object.keys(schema.shape)];
  const arbitrary = fc.oneof(
    fc.record(Object.fromEntries(keys.map((k) => [k, fc.oneof(fc.constant((good as Record<string, unknown>)[k]), value)]))),
    fc.tuple(fc.constantFrom(...keys), value).map(([k, v]) => ({ ...good, [k]: v })),
  );
  const fits = derivedCheck(schema);
  let accepted = 0;
  fc.assert(
    fc.property(arbitrary, (raw) => {
      const v = JSON.parse(JSON.stringify(raw, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? '__nan' : x)).replace(/"__nan"/g, 'null')) as unknown;
      for (const candidate of [raw, v]) {
        if (!fits(candidate)) continue;
        accepted++;
        const zod = schema.safeParse(candidate);
        assert.ok(zod.success, `accepted what zod refuses: ${JSON.stringify(candidate)}`);
        assert.deepEqual(candidate, zod.data);
      }
    }),
    { numRuns: 4000 },
  );
  assert.ok(accepted > 50, `some generated values were accepted (${accepted})`);
  const fast = withFastPath(schema, 'clone');
  assert.equal(fast.safeParse(good).data, good, 'an accepted value is handed on as it is');
  assert.deepEqual(fast.safeParse({ ...good, stripped: { a: 1, b: 2 } }).data, { ...good, stripped: { a: 1 } }, 'zod strips what it strips');
});

test('nothing compiles when the protocol modules load; the renderer and preload bundles do not hold the compiler', async () => {
  const load = [
    `await import(${JSON.stringify(`${root}shared/sync/wire.ts`)});`,
    `await import(${JSON.stringify(`${root}shared/protocol/worker.ts`)});`,
    `await import(${JSON.stringify(`${root}shared/protocol/git.ts`)});`,
  ].join('');
  // like the renderer's CSP: no eval, no new Function
  const run = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', load], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  for (const [entry, platform] of [['renderer/src/main.tsx', 'browser'], ['preload/index.ts', 'node']] as const) {
    const result = await build({ entryPoints: [`${root}${entry}`], bundle: true, write: false, metafile: true, platform, jsx: 'automatic', external: ['electron'], logLevel: 'silent', outdir: '/nonexistent' });
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(inputs.length > 10, `${entry} was bundled`);
    assert.deepEqual(inputs.filter((p) => p.includes('node_modules/ajv') || p.endsWith('protocol/validate.ts')), [], `${entry} bundles the validator compiler`);
  }
});
