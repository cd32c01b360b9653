import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test, type TestContext, type TestOptions } from 'node:test';

/**
 * The figures of the reliability and security suite, kept in docs/RELIABILITY.md. Every suite (hostile
 * input, faults, soak) records its own section after it ran; the file is rebuilt from all sections, which
 * live in a JSON comment at its end so that a later run of one suite keeps the others' figures.
 *
 * Figures are recorded only for a run in which every test of the suite passed (see `trackedSuite`); a run
 * that failed records nothing of what it measured and is shown as failed (when, which tests) instead.
 */
export interface SuiteFigures {
  /** what ran, e.g. "soak (short, CI)" */
  title: string;
  /** faults injected, by kind */
  faults?: Record<string, number>;
  /** hostile inputs tried, by kind */
  hostile?: Record<string, number>;
  writesAcknowledged?: number;
  writesLost?: number;
  duplicates?: number;
  /** milliseconds from the end of the workload until every node and the hub agreed */
  convergeMs?: number;
  durationMs: number;
  /** anything else worth a line: seed, records, conflicts, memory growth */
  notes?: Record<string, string | number>;
}

interface Stored extends SuiteFigures {
  /** runs that passed (their figures are the ones shown) */
  runs: number;
  /** the last run that passed; '' when none did */
  lastRunAt: string;
  totals: { faults: number; hostile: number; writesAcknowledged: number; writesLost: number; duplicates: number };
  failedRuns?: number;
  /** the last run that failed: nothing it measured was recorded */
  lastFailure?: { at: string; tests: string[] };
  /** FORMAT when recorded by this code; sections without it were written before runs were checked */
  format?: number;
}

/**
 * Sections written since figures are recorded only for passing runs (and counted from what fired) carry this;
 * older ones (whose runs were recorded whatever their outcome, some figures written in) are shown apart as
 * unchecked, left out of the totals, and start again from their next run.
 */
const FORMAT = 2;
const current = (s: Stored | undefined): Stored | undefined => (s?.format === FORMAT ? s : undefined);

const ROOT = new URL('../..', import.meta.url).pathname;
export const RELIABILITY_FILE = process.env.OUTPOST_RELIABILITY_FILE ?? join(ROOT, 'docs/RELIABILITY.md');
const MARK = '<!-- reliability-figures ';

const sum = (r: Record<string, number> | undefined) => Object.values(r ?? {}).reduce((a, b) => a + b, 0);

function readSections(file: string): Record<string, Stored> {
  if (!existsSync(file)) return {};
  const text = readFileSync(file, 'utf8');
  const at = text.lastIndexOf(MARK);
  if (at < 0) return {};
  try {
    return JSON.parse(text.slice(at + MARK.length, text.indexOf(' -->', at))) as Record<string, Stored>;
  } catch {
    return {}; // hand-edited beyond repair: start the figures again
  }
}

/** Records one suite's run (keyed by `key`) and rewrites the report. Serialized by a lock file. */
export function recordFigures(key: string, figures: SuiteFigures, file = RELIABILITY_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  withLock(`${file}.lock`, () => {
    const sections = readSections(file);
    const previous = current(sections[key]);
    const totals = {
      faults: sum(figures.faults),
      hostile: sum(figures.hostile),
      writesAcknowledged: figures.writesAcknowledged ?? 0,
      writesLost: figures.writesLost ?? 0,
      duplicates: figures.duplicates ?? 0,
    };
    sections[key] = {
      ...figures,
      runs: (previous?.runs ?? 0) + 1,
      lastRunAt: new Date().toISOString(),
      totals,
      format: FORMAT,
      ...(previous?.failedRuns ? { failedRuns: previous.failedRuns } : {}),
      ...(previous?.lastFailure ? { lastFailure: previous.lastFailure } : {}),
    };
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, render(sections));
    renameSync(temp, file);
  });
}

/**
 * Records that a run of one suite failed: none of its figures are kept (the section keeps those of the last
 * run that passed, if any) and the report shows the suite's last run as failed, with the tests that failed.
 */
export function recordFailedRun(key: string, title: string, tests: string[], file = RELIABILITY_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  withLock(`${file}.lock`, () => {
    const sections = readSections(file);
    const previous: Stored = current(sections[key]) ?? { title, durationMs: 0, runs: 0, lastRunAt: '', totals: { faults: 0, hostile: 0, writesAcknowledged: 0, writesLost: 0, duplicates: 0 } };
    sections[key] = { ...previous, title, format: FORMAT, failedRuns: (previous.failedRuns ?? 0) + 1, lastFailure: { at: new Date().toISOString(), tests } };
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, render(sections));
    renameSync(temp, file);
  });
}

type TestFn = (t: TestContext) => unknown;

export interface TrackedSuite {
  /** node:test's `test`, with the outcome of each test tracked */
  test(name: string, fn: TestFn): void;
  test(name: string, options: TestOptions, fn: TestFn): void;
  /** tests that did not pass (failed, timed out, or never ran): empty when the whole suite passed */
  notPassed(): string[];
  /**
   * From `after()`: records the figures when every tracked test passed, and otherwise records the run as
   * failed without any of its figures. `figures` is only called for a passing run; if it throws (a figure
   * could not be computed), the run is recorded as failed too, and the error rethrown.
   */
  finish(figures: () => Omit<SuiteFigures, 'title'>): void;
}

/** A suite whose figures are recorded only if all its tests passed. */
export function trackedSuite(key: string, title: string, file = RELIABILITY_FILE): TrackedSuite {
  const names: string[] = [];
  const passed = new Set<string>();
  function track(name: string, a: TestOptions | TestFn, b?: TestFn): void {
    const options = typeof a === 'function' ? {} : a;
    const fn = typeof a === 'function' ? a : b!;
    if (names.includes(name)) throw new Error(`two tests named ${JSON.stringify(name)} in ${key}`);
    names.push(name);
    test(name, options, async (t) => {
      await fn(t);
      // a test that timed out fails even if its body finishes later
      if (!t.signal.aborted) passed.add(name);
    });
  }
  const notPassed = () => names.filter((n) => !passed.has(n));
  return {
    test: track,
    notPassed,
    finish(figures) {
      const failed = names.length === 0 ? ['(no test ran)'] : notPassed();
      if (failed.length > 0) return recordFailedRun(key, title, failed, file);
      let computed: Omit<SuiteFigures, 'title'>;
      try {
        computed = figures();
      } catch (error) {
        recordFailedRun(key, title, [`figures not computed: ${(error as Error).message}`], file);
        throw error;
      }
      recordFigures(key, { title, ...computed }, file);
    },
  };
}

function withLock(lock: string, fn: () => void): void {
  const deadline = Date.now() + 10_000;
  let fd: number | null = null;
  while (fd === null) {
    try {
      fd = openSync(lock, 'wx');
    } catch {
      if (Date.now() > deadline) {
        unlinkSync(lock); // a holder that died: its lock is stale after 10 s
        continue;
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
  try {
    fn();
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

const table = (head: string[], rows: (string | number)[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

const utc = (iso: string) => iso.replace('T', ' ').slice(0, 19);

function render(sections: Record<string, Stored>): string {
  const everything = Object.entries(sections).sort(([a], [b]) => (a < b ? -1 : 1));
  const entries = everything.filter(([, s]) => current(s));
  const unchecked = everything.filter(([, s]) => !current(s));
  const all = entries.map(([, s]) => s);
  // the last run failed when it came after the last run that passed (ISO times compare as strings)
  const lastFailed = (s: Stored) => s.lastFailure !== undefined && s.lastFailure.at > s.lastRunAt;
  const failing = entries.filter(([, s]) => lastFailed(s));
  const total = (pick: (s: Stored) => number) => all.reduce((n, s) => n + pick(s), 0);
  const faultKinds = new Map<string, number>();
  const hostileKinds = new Map<string, number>();
  for (const s of all) {
    for (const [k, v] of Object.entries(s.faults ?? {})) faultKinds.set(k, (faultKinds.get(k) ?? 0) + v);
    for (const [k, v] of Object.entries(s.hostile ?? {})) hostileKinds.set(k, (hostileKinds.get(k) ?? 0) + v);
  }
  const lines = [
    '# Reliability and security figures',
    '',
    'Written by the reliability and security suite (test/reliability/, test/security/): every suite rewrites its',
    'own section after it ran; the last run of each suite is shown. Regenerate: `OUTPOST_SKIP_BUILD=1 npm test --',
    'test/security test/reliability` (short forms) and `npm run soak -- --minutes 20` (the long soak).',
    '',
    '## What runs',
    '',
    '- test/security/node-api.test.ts: the node HTTP API under hostile input (fast-check per method, wrong types,',
    '  huge, deep, non-UTF-8 bodies, SQL and hostile strings and field names, hostile workspace paths and symlinks).',
    '- test/security/hub-api.test.ts: the hub API (generated push mutations, gzip/br bombs, SQL, forged, revoked and',
    "  foreign tokens, another node's id, replayed and stolen change ids, tampered cursors).",
    '- test/reliability/faults-*.test.ts: SIGKILL of PostgreSQL, the hub and the sync worker mid-sync; link faults',
    '  (refuse, reset, truncate, delay, blackhole, partitions; HTTP 5xx/429, dropped answers); a full disk under',
    '  the edge database; corrupt settings files.',
    '- test/reliability/soak.test.ts (CI) and `npm run soak -- --minutes N [--postgres]`: a hub and three node',
    '  processes behind chaos proxies with random conflicting writes, workspace commits, partitions, restarts and',
    '  kills; then the checker: convergence, no acknowledged write lost, nothing applied twice, bounded memory.',
    '',
    'Every case of the security suites must get a clear 4xx and leave the service healthy with its data intact;',
    'writes lost and duplicates must be 0.',
    '',
    'Every figure is counted by the suite from what happened (faults the injectors report as fired, writes the',
    'checker found on the hub or lost) and recorded only for a run in which all of the suite\'s tests passed; a',
    'run that failed records none of its figures and shows under "Failed runs".',
    '',
    '## Summary (last passing run of each suite)',
    '',
    table(
      ['figure', 'value'],
      [
        ['suites recorded', all.length],
        ['suites whose last run failed', failing.length],
        ['passing runs (all suites, cumulative)', total((s) => s.runs)],
        ['failed runs (all suites, cumulative)', total((s) => s.failedRuns ?? 0)],
        ['faults injected', total((s) => s.totals.faults)],
        ['hostile inputs tried', total((s) => s.totals.hostile)],
        ['writes acknowledged', total((s) => s.totals.writesAcknowledged)],
        ['writes lost (must be 0)', total((s) => s.totals.writesLost)],
        ['duplicates (must be 0)', total((s) => s.totals.duplicates)],
      ],
    ),
    '',
    '## Faults injected, by kind',
    '',
    faultKinds.size ? table(['fault', 'count'], [...faultKinds].sort(([a], [b]) => (a < b ? -1 : 1))) : '(none recorded yet)',
    '',
    '## Hostile inputs tried, by kind',
    '',
    hostileKinds.size ? table(['input', 'count'], [...hostileKinds].sort(([a], [b]) => (a < b ? -1 : 1))) : '(none recorded yet)',
    '',
    '## Suites',
    '',
    table(
      ['suite', 'last run', 'passing runs', 'failed runs', 'last passing run (UTC)', 'duration', 'faults', 'hostile', 'acked writes', 'lost', 'duplicates', 'time to converge'],
      entries.map(([, s]) => [
        s.title,
        lastFailed(s) ? `**FAILED** ${utc(s.lastFailure!.at)}` : 'passed',
        s.runs,
        s.failedRuns ?? 0,
        s.lastRunAt ? utc(s.lastRunAt) : 'never',
        s.runs ? `${(s.durationMs / 1000).toFixed(1)} s` : '-',
        s.totals.faults,
        s.totals.hostile,
        s.writesAcknowledged ?? '-',
        s.writesLost ?? '-',
        s.duplicates ?? '-',
        s.convergeMs === undefined ? '-' : `${(s.convergeMs / 1000).toFixed(1)} s`,
      ]),
    ),
    '',
    ...(failing.length
      ? [
          '## Failed runs',
          '',
          'The last run of these suites failed; the figures above are those of their last passing run (if any).',
          '',
          ...failing.map(([, s]) => `- ${s.title}, ${utc(s.lastFailure!.at)}: did not pass: ${s.lastFailure!.tests.join('; ')}`),
          '',
        ]
      : []),
    ...entries.flatMap(([, s]) =>
      s.notes && Object.keys(s.notes).length
        ? [`### ${s.title}`, '', ...Object.entries(s.notes).map(([k, v]) => `- ${k}: ${v}`), '']
        : [],
    ),
    ...(unchecked.length
      ? [
          '## Not rerun since runs are checked',
          '',
          'Recorded before figures were kept only for passing runs and counted from what fired (some were written in),',
          'so they are not in the totals above; each is replaced by the next run of its suite.',
          '',
          ...unchecked.map(([, s]) => `- ${s.title}: last recorded ${utc(s.lastRunAt)} (${s.runs} runs, outcome not recorded)`),
          '',
        ]
      : []),
    `${MARK}${JSON.stringify(sections)} -->`,
    '',
  ];
  return lines.join('\n');
}
