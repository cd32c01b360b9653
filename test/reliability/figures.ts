import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The figures of the reliability and security suite, kept in docs/RELIABILITY.md. Every suite (hostile
 * input, faults, soak) records its own section after it ran; the file is rebuilt from all sections, which
 * live in a JSON comment at its end so that a later run of one suite keeps the others' figures.
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
  runs: number;
  lastRunAt: string;
  totals: { faults: number; hostile: number; writesAcknowledged: number; writesLost: number; duplicates: number };
}

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
    const previous = sections[key];
    const totals = {
      faults: sum(figures.faults),
      hostile: sum(figures.hostile),
      writesAcknowledged: figures.writesAcknowledged ?? 0,
      writesLost: figures.writesLost ?? 0,
      duplicates: figures.duplicates ?? 0,
    };
    sections[key] = { ...figures, runs: (previous?.runs ?? 0) + 1, lastRunAt: new Date().toISOString(), totals };
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, render(sections));
    renameSync(temp, file);
  });
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

function render(sections: Record<string, Stored>): string {
  const entries = Object.entries(sections).sort(([a], [b]) => (a < b ? -1 : 1));
  const all = entries.map(([, s]) => s);
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
    '## Summary (last run of each suite)',
    '',
    table(
      ['figure', 'value'],
      [
        ['suites recorded', all.length],
        ['runs (all suites, cumulative)', total((s) => s.runs)],
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
      ['suite', 'runs', 'last run (UTC)', 'duration', 'faults', 'hostile', 'acked writes', 'lost', 'duplicates', 'time to converge'],
      entries.map(([, s]) => [
        s.title,
        s.runs,
        s.lastRunAt.replace('T', ' ').slice(0, 19),
        `${(s.durationMs / 1000).toFixed(1)} s`,
        s.totals.faults,
        s.totals.hostile,
        s.writesAcknowledged ?? '-',
        s.writesLost ?? '-',
        s.duplicates ?? '-',
        s.convergeMs === undefined ? '-' : `${(s.convergeMs / 1000).toFixed(1)} s`,
      ]),
    ),
    '',
    ...entries.flatMap(([, s]) =>
      s.notes && Object.keys(s.notes).length
        ? [`### ${s.title}`, '', ...Object.entries(s.notes).map(([k, v]) => `- ${k}: ${v}`), '']
        : [],
    ),
    `${MARK}${JSON.stringify(sections)} -->`,
    '',
  ];
  return lines.join('\n');
}
