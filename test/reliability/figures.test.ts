/**
 * docs/RELIABILITY.md holds figures of runs that passed only: a failed run (an assertion, a timeout, a figure
 * that could not be computed) records none of what it measured and is shown as failed. Runs a small tracked
 * suite (fixtures/tracked-suite.ts) in a child process against a scratch report file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const MARK = '<!-- reliability-figures ';

function runFixture(file: string, mode: string): { status: number | null; output: string } {
  const env: Record<string, string | undefined> = { ...process.env, OUTPOST_RELIABILITY_FILE: file, FIXTURE_MODE: mode };
  delete env['NODE_TEST_CONTEXT']; // run as a program of its own, not as a child of this runner
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test/reliability/fixtures/tracked-suite.ts')], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

interface Section {
  runs: number;
  failedRuns?: number;
  lastRunAt: string;
  faults?: Record<string, number>;
  writesAcknowledged?: number;
  lastFailure?: { at: string; tests: string[] };
}
const sectionOf = (file: string): Section => {
  const text = readFileSync(file, 'utf8');
  const at = text.lastIndexOf(MARK);
  return (JSON.parse(text.slice(at + MARK.length, text.indexOf(' -->', at))) as Record<string, Section>)['fixture']!;
};
const suiteRow = (file: string) => readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith('| fixture suite |'))!;

test('only a run in which every test passed records figures; failed runs are shown as failed', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-figures-'));
  const file = join(dir, 'RELIABILITY.md');
  try {
    const passed = runFixture(file, 'pass');
    assert.equal(passed.status, 0, passed.output);
    let s = sectionOf(file);
    assert.equal(s.runs, 1);
    assert.deepEqual(s.faults, { 'a fault': 5 });
    assert.equal(s.writesAcknowledged, 5);
    assert.match(suiteRow(file), /^\| fixture suite \| passed \| 1 \| 0 \|/);
    const firstPass = s.lastRunAt;

    for (const [mode, notPassed] of [['fail', 'second'], ['timeout', 'second'], ['throw', 'figures not computed: no figure']] as const) {
      const failed = runFixture(file, mode);
      assert.notEqual(failed.status, 0, `${mode}: the run fails`);
      s = sectionOf(file);
      assert.equal(s.runs, 1, `${mode}: not counted as a passing run`);
      assert.equal(s.lastRunAt, firstPass, `${mode}: the figures are still those of the passing run`);
      assert.deepEqual(s.faults, { 'a fault': 5 }, `${mode}: nothing the failed run measured is recorded`);
      assert.deepEqual(s.lastFailure?.tests, [notPassed], `${mode}: what did not pass`);
      assert.match(suiteRow(file), /^\| fixture suite \| \*\*FAILED\*\* \d{4}-/, `${mode}: shown as failed`);
      assert.match(readFileSync(file, 'utf8'), new RegExp(`## Failed runs[\\s\\S]*- fixture suite, .*did not pass: ${notPassed}`));
    }
    assert.equal(s.failedRuns, 3);

    // a later passing run is shown as passed again
    assert.equal(runFixture(file, 'pass').status, 0);
    s = sectionOf(file);
    assert.equal(s.runs, 2);
    assert.match(suiteRow(file), /^\| fixture suite \| passed \| 2 \| 3 \|/);
    assert.doesNotMatch(readFileSync(file, 'utf8'), /## Failed runs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a suite that never passed shows no figures, only that it failed', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-figures-'));
  const file = join(dir, 'RELIABILITY.md');
  try {
    assert.notEqual(runFixture(file, 'fail').status, 0);
    const s = sectionOf(file);
    assert.equal(s.runs, 0);
    assert.equal(s.faults, undefined);
    assert.match(suiteRow(file), /^\| fixture suite \| \*\*FAILED\*\* .* \| 0 \| 1 \| never \| - \| 0 \| 0 \| - \| - \| - \| - \|$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
