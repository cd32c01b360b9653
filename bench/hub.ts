// Hub throughput over loopback: one node pushes N agent records (gzip bodies, batches of 5,000), another pulls
// them (gzip answers, pages of 10,000); then a round where 10% of the records change one field, pushed as
// patches and pulled as deltas. Figures are records per second and ratios against the bound measured in the
// same run: JSON encode + gzip + gunzip + parse of the same records in one process, no HTTP, no database.
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

async function postGzip(url: string, token: string, body: unknown): Promise<{ json: unknown; wireBytes: number }> {
  const gz = gzipSync(JSON.stringify(body), { level: 1 });
  const r = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-encoding': 'gzip', 'accept-encoding': 'gzip' }, body: gz });
  const json = await r.json();
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(json).slice(0, 300)}`);
  return { json, wireBytes: gz.length };
}

async function pushAll(hub: RunningHub, token: string, changes: WireChange[]): Promise<number> {
  let bytes = 0;
  for (let i = 0; i < changes.length; i += PUSH_BATCH) {
    const { json, wireBytes } = await postGzip(`${hub.url}/v1/push`, token, { changes: changes.slice(i, i + PUSH_BATCH) });
    bytes += wireBytes;
    const bad = (json as PushResponse).results.find((r) => r.status !== 'applied');
    if (bad) throw new Error(`push not applied: ${JSON.stringify(bad).slice(0, 300)}`);
  }
  return bytes;
}

async function pullAll(hub: RunningHub, token: string, since: number): Promise<{ count: number; cursor: number; bytes: number }> {
  let cursor = since;
  let count = 0;
  let bytes = 0;
  for (;;) {
    const r = await fetch(`${hub.url}/v1/pull?since=${cursor}&limit=${PULL_PAGE}&delta=1`, { headers: { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } });
    bytes += Number(r.headers.get('content-length') ?? 0);
    const page = (await r.json()) as PullResponse;
    count += page.changes.length;
    cursor = page.cursor;
    if (!page.hasMore) return { count, cursor, bytes };
  }
}

function bound(changes: WireChange[]): number {
  const t = performance.now();
  for (let i = 0; i < changes.length; i += PUSH_BATCH) {
    const gz = gzipSync(JSON.stringify({ changes: changes.slice(i, i + PUSH_BATCH) }), { level: 1 });
    JSON.parse(gunzipSync(gz).toString('utf8'));
  }
  return changes.length / ((performance.now() - t) / 1000);
}

async function run(label: string, databaseUrl?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-hub-'));
  const hub = await startHub({ dataDir: dir, rateLimit: false, gitHosting: false, ...(databaseUrl ? { databaseUrl } : {}) });
  try {
    const a = await enrollNode(hub.url, hub.adminToken, 'a');
    const b = await enrollNode(hub.url, hub.adminToken, 'b');
    const full = Array.from({ length: N }, (_, i) => makeChange(a.nodeId, `agent-${i}`, { [a.nodeId]: 1 }, { data: agentData(i, 0) }));
    const fullBound = bound(full);
    let t = performance.now();
    const pushBytes = await pushAll(hub, a.token, full);
    const pushRate = N / ((performance.now() - t) / 1000);
    t = performance.now();
    const pulled = await pullAll(hub, b.token, 0);
    const pullRate = pulled.count / ((performance.now() - t) / 1000);
    if (pulled.count !== N) throw new Error(`pulled ${pulled.count} of ${N}`);

    const changed = full.filter((_, i) => i % 10 === 0).map((c) =>
      makeChange(a.nodeId, c.recordId, { [a.nodeId]: 2 }, { data: undefined, baseVv: { [a.nodeId]: 1 }, patch: { set: { status: 'paused' }, unset: [] } }),
    );
    const asFull = changed.map((c, i) => ({ ...c, patch: undefined, data: agentData(i * 10, 1) }));
    const deltaBound = bound(changed);
    t = performance.now();
    const deltaPushBytes = await pushAll(hub, a.token, changed);
    const deltaPushRate = changed.length / ((performance.now() - t) / 1000);
    t = performance.now();
    const deltaPulled = await pullAll(hub, b.token, pulled.cursor);
    const deltaPullRate = deltaPulled.count / ((performance.now() - t) / 1000);
    const fullJsonBytes = Buffer.byteLength(JSON.stringify({ changes: asFull }));

    const fmt = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;
    console.log(`${label}, ${N.toLocaleString('en-US')} records`);
    console.log(`  bound (JSON+gzip+gunzip+parse, one process): full ${fmt(fullBound)}, 10% patches ${fmt(deltaBound)}`);
    console.log(`  full push  ${fmt(pushRate)}  (${(pushRate / fullBound).toFixed(2)} of bound), ${(pushBytes / N).toFixed(0)} B/record on the wire`);
    console.log(`  full pull  ${fmt(pullRate)}  (${(pullRate / fullBound).toFixed(2)} of bound)`);
    console.log(`  10% push   ${fmt(deltaPushRate)}  (${(deltaPushRate / deltaBound).toFixed(2)} of bound)`);
    console.log(`  10% pull   ${fmt(deltaPullRate)}  (${(deltaPullRate / deltaBound).toFixed(2)} of bound)`);
    console.log(`  10% round bytes pushed: ${deltaPushBytes.toLocaleString('en-US')} = ${((100 * deltaPushBytes) / fullJsonBytes).toFixed(1)}% of plain full-record JSON`);
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
