/** The test runner's summary: a skipped or todo test is a failure, named, never a pass. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
// @ts-expect-error plain ESM script without types
import { summarize } from '../../scripts/summary-reporter.mjs';

type Ev = { type: string; data: Record<string, unknown> };
const leaf = (type: string, name: string, extra: Record<string, unknown> = {}): Ev => ({ type, data: { name, file: 'f.test.ts', details: { type: 'test' }, ...extra } });

test('a skipped or todo test counts as failed and is named', () => {
  const s = summarize([
    leaf('test:pass', 'ok'),
    leaf('test:pass', 'skipped one', { skip: true }),
    leaf('test:pass', 'todo one', { todo: 'later' }),
    leaf('test:fail', 'broken'),
  ]);
  assert.equal(s.passed, 1);
  assert.equal(s.failed, 3);
  assert.equal(s.skipped, 2);
  assert.deepEqual(s.notRun, ['f.test.ts: skipped one (skipped)', 'f.test.ts: todo one (todo)']);
});

test('a clean run has no failures; a suite failing outside its tests still fails', () => {
  assert.deepEqual(summarize([leaf('test:pass', 'a'), leaf('test:pass', 'b')]), { passed: 2, failed: 0, skipped: 0, notRun: [] });
  const hook = { type: 'test:fail', data: { name: 's', details: { type: 'suite', error: { failureType: 'hookFailed' } } } };
  assert.equal(summarize([hook]).failed, 1);
});
