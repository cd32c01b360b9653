#!/usr/bin/env node
// Runs every *.test.ts under the source folders with Node's test runner (TypeScript through tsx), after a
// build (the UI tests drive the built renderer), and ends with one line: `N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync, readFileSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['shared', 'lib', 'main', 'preload', 'worker', 'server', 'cli', 'renderer', 'test'];
const filter = process.argv.slice(2);

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'out') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (/\.test\.tsx?$/.test(name)) out.push(relative(root, full));
  }
  return out;
}

const files = roots
  .flatMap((r) => { try { return findTests(join(root, r)); } catch { return []; } })
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)))
  .sort();

if (!process.env.OUTPOST_SKIP_BUILD) {
  const build = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

mkdirSync(join(root, 'test-results'), { recursive: true });
const summaryFile = join(root, 'test-results/summary.json');
const args = [
  '--import', 'tsx',
  '--import', './scripts/test-watchdog.mjs',
  '--test',
  // a hung test fails after this long instead of holding CI until its deadline
  `--test-timeout=${process.env.OUTPOST_TEST_TIMEOUT_MS ?? 300_000}`,
  `--test-concurrency=${process.env.OUTPOST_TEST_CONCURRENCY ?? 2}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/summary-reporter.mjs', `--test-reporter-destination=${summaryFile}`,
  ...files,
];
const child = spawn(process.execPath, args, { stdio: 'inherit', cwd: root, env: { ...process.env, OUTPOST_TEST: '1' } });
child.on('exit', (code) => {
  let summary = { passed: 0, failed: 1 };
  try { summary = JSON.parse(readFileSync(summaryFile, 'utf8')); } catch { /* runner died before reporting */ }
  const failed = summary.failed + (code !== 0 && summary.failed === 0 ? 1 : 0);
  // a skipped or todo test fails the run (the reporter counts it as failed): name each one
  for (const name of summary.notRun ?? []) console.log(`not run (counted as failed): ${name}`);
  console.log(`\n${summary.passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
});
