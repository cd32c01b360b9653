// Hub throughput over loopback: one node pushes N agent records (gzip bodies, batches of 5,000), another pulls
// them (gzip answers, pages of 10,000); then a round where 10% of the records change one field, pushed as
// patches and pulled as deltas. Figures are records per second and ratios against the bound measured in the
// same run: JSON encode + gzip + gunzip + parse of the same records in one process, no HTTP, no database.
// The bound's work for each batch runs right before that batch is pushed or pulled, so both see the same load
// on a shared machine. Beside wall-clock rates: this process's CPU time per record (client, HTTP and the hub;
// with PGlite also the database; PostgreSQL's own processes are not counted).
//   node --import tsx bench/hub.ts [--records N] [--postgres] [--skip-pglite]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync, gunzipSync } from 'node:zlib';
import { startHub, type RunningHub } from '../server/index';
import { enrollNode, makeChange } from '../server/test-support/hub-client';
import { startTestPostgres } from '../server/test-support/postgres';
import type { PullResponse, PushResponse, WireChange } from '../shared/sync/wire';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '100000' }, postgres: { type: 'boolean', default: false }, 'skip-pglite': { type: 'boolean', default: false } },
});
const N = Number(values.records);
const PUSH_BATCH = 5000;
const PULL_PAGE = 10_000;

function agentData(i: number, round: number) {
  return {
    name: `agent ${i}`,
    type: i % 3 === 0 ? 'planner' : 'worker',
    status: round === 0 ? 'active' : 'paused',
    config: { model: 'small-model', temperature: 0.2, tools: ['search', 'shell'], retries: 3, note: `config of agent ${i}` },
    createdAt: '2026-11-22T00:00:00.000Z',
    updatedAt: '2026-11-22T00:00:00.000Z',
  };
}

/** The push bodies' gzip settings, also used to size the full-record alternative of the 10% round. */
const GZIP = { level: 1 };

async function postGzip(url: string, token: string, body: unknown): Promise<{ json: unknown; wireBytes: number }> {
  const gz = gzipSync(JSON.stringify(body), GZIP);
  const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip', 'accept-encoding': 'gzip' }, body: gz });
  const json = await r.json();
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(json).slice(0, 300)}`);
  return { json, wireBytes: gz.length };
}

/** Wall and CPU milliseconds of a phase, summed over its batches. */
class Meter {
  wallMs = 0;
  cpuMs = 0;
  async time<T>(fn: () => Promise<T> | T): Promise<T> {
    const wall = performance.now();
    const cpu = process.cpuUsage();
    try {
      return await fn();
    } finally {
      const used = process.cpuUsage(cpu);
      this.cpuMs += (used.user + used.system) / 1000;
      this.wallMs += performance.now() - wall;
    }
  }
}

/** The bound's work for one batch: what any sync must do to move these records, without HTTP or a database. */
function boundWork(batch: WireChange[]): void {
  const gz = gzipSync(JSON.stringify({ changes: batch }), GZIP);
  JSON.parse(gunzipSync(gz).toString('utf8'));
}

async function pushAll(hub: RunningHub, token: string, changes: WireChange[], meter: Meter, bound: Meter): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < changes.length; i += PUSH_BATCH) {
    const batch = changes.slice(i, i + PUSH_BATCH);
    await bound.time(() => boundWork(batch));
    const { json, wireBytes } = await meter.time(() => postGzip(`${hub.url}/v1/push`, token, { changes: batch }));
    bytes += wireBytes;
    const bad = (json as PushResponse).results.find((r) => r.status !== 'applied');
    if (bad) throw new Error(`push not applied: ${JSON.stringify(bad).slice(0, 300)}`);
  }
  return bytes;
}

/** Pulls everything after `since`; the bound's work for the same records (`sent`, in order) runs before each page. */
async function pullAll(hub: RunningHub, token: string, since: number, sent: WireChange[], meter: Meter, bound: Meter): Promise<{ count: number; cursor: number; bytes: number }> {
  let cursor = since;
  let count = 0;
  let bytes = 0;
  for (;;) {
    const end = Math.min(count + PULL_PAGE, sent.length);
    await bound.time(() => {
      for (let i = count; i < end; i += PUSH_BATCH) boundWork(sent.slice(i, Math.min(i + PUSH_BATCH, end)));
    });
    const page = await meter.time(async () => {
      const r = await fetch(`${hub.url}/v1/pull?since=${cursor}&limit=${PULL_PAGE}&delta=1`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } });
      bytes += Number(r.headers.get('content-length') ?? 0);
      return (await r.json()) as PullResponse;
    });
    count += page.changes.length;
    cursor = page.cursor;
    if (!page.hasMore) return { count, cursor, bytes };
  }
}

async function run(label: string, databaseUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-hub-'));
  const hub = await startHub({ dataDir: dir, rateLimit: false, gitHosting: false, ...(databaseUrl ? { databaseUrl } : {}) });
  try {
    const a = await enrollNode(hub.url, hub.adminToken, 'a');
    const b = await enrollNode(hub.url, hub.adminToken, 'b');
    const full = Array.from({ length: N }, (_, i) => makeChange(a.nodeId, `agent-${i}`, { [a.nodeId]: 1 }, { data: agentData(i, 0) }));
    const fullPush = new Meter(), fullPushBound = new Meter();
    const pushBytes = await pushAll(hub, a.token, full, fullPush, fullPushBound);
    const fullPull = new Meter(), fullPullBound = new Meter();
    const pulled = await pullAll(hub, b.token, 0, full, fullPull, fullPullBound);
    if (pulled.count !== N) throw new Error(`pulled ${pulled.count} of ${N}`);

    const changed = full.filter((_, i) => i % 10 === 0).map((c) =>
      makeChange(a.nodeId, c.recordId, { [a.nodeId]: 2 }, { data: undefined, baseVv: { [a.nodeId]: 1 }, patch: { set: { status: 'paused' }, unset: [] } }),
    );
    const asFull = changed.map((c, i) => ({ ...c, patch: undefined, data: agentData(i * 10, 1) }));
    const deltaPush = new Meter(), deltaPushBound = new Meter();
    const deltaPushBytes = await pushAll(hub, a.token, changed, deltaPush, deltaPushBound);
    const deltaPull = new Meter(), deltaPullBound = new Meter();
    const deltaPulled = await pullAll(hub, b.token, pulled.cursor, changed, deltaPull, deltaPullBound);
    if (deltaPulled.count !== changed.length) throw new Error(`pulled ${deltaPulled.count} of ${changed.length}`);
    const fullJsonBytes = Buffer.byteLength(JSON.stringify({ changes: asFull }));
    // the same full records as they would be pushed: batch by batch, same gzip settings
    let fullGzipBytes = 0;
    for (let i = 0; i < asFull.length; i += PUSH_BATCH) fullGzipBytes += gzipSync(JSON.stringify({ changes: asFull.slice(i, i + PUSH_BATCH) }), GZIP).length;

    const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;
    const line = (what: string, count: number, m: Meter, bound: Meter) => {
      const rate = count / (m.wallMs / 1000);
      const boundRate = count / (bound.wallMs / 1000);
      const cpuUs = (1000 * m.cpuMs) / count;
      const boundCpuUs = (1000 * bound.cpuMs) / count;
      console.log(
        `  ${what.padEnd(10)} ${fmt(rate).padStart(9)}  (${(rate / boundRate).toFixed(2)} of bound ${fmt(boundRate)})` +
          `   CPU ${cpuUs.toFixed(0)} µs/record (bound ${boundCpuUs.toFixed(1)}: ${(boundCpuUs / cpuUs).toFixed(2)})`,
      );
    };
    console.log(`${label}, ${N.toLocaleString('en-US')} records (bound: JSON+gzip+gunzip+parse of each batch in one process, run beside it)`);
    line('full push', N, fullPush, fullPushBound);
    line('full pull', N, fullPull, fullPullBound);
    line('10% push', changed.length, deltaPush, deltaPushBound);
    line('10% pull', changed.length, deltaPull, deltaPullBound);
    console.log(`  ${(pushBytes / N).toFixed(0)} B/record on the wire (full push)`);
    const pct = (whole: number) => `${((100 * deltaPushBytes) / whole).toFixed(1)}%`;
    console.log(
      `  10% round bytes pushed: ${deltaPushBytes.toLocaleString('en-US')} = ${pct(fullJsonBytes)} of plain full-record JSON (${fullJsonBytes.toLocaleString('en-US')}), ` +
        `${pct(fullGzipBytes)} of the same full records gzipped the same way (level ${GZIP.level}, batches of ${PUSH_BATCH.toLocaleString('en-US')}: ${fullGzipBytes.toLocaleString('en-US')})`,
    );
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!values['skip-pglite']) await run('hub on embedded PGlite');
if (values.postgres) {
  const pg = await startTestPostgres();
  try {
    await run('hub on PostgreSQL 15', pg.url);
  } finally {
    await pg.stop();
  }
}
