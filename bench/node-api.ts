// The headless node's API: latency of one agents.update over the HTTP transport (p50/p99) against the same
// update called in process on the store (the transport's overhead as a ratio), the node's cold start to
// API ready against a bare `node -e ''`, and its idle memory (node process + sync worker).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startNodeProcess } from '../test/support/processes';
import { startHeadlessNode } from '../main/headless';

const UPDATES = Number(process.env.BENCH_UPDATES ?? 2000);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return out.stdout.split('\n').filter(Boolean).map(Number);
}

async function latency() {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-api-'));
  const node = await startHeadlessNode({ dataDir, port: 0, background: false });
  const token = new URL(node.dashboardUrl).searchParams.get('token')!;
  const post = async (method: string, body: unknown) => {
    const res = await fetch(`${node.url}/api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return res.json() as Promise<{ id: string; version: number }>;
  };
  let agent = await post('agents.create', { name: 'bench', type: 'latency', config: { model: 'x', temperature: 0.2 } });
  for (let i = 0; i < 200; i++) agent = await post('agents.update', { id: agent.id, expectedVersion: agent.version, patch: { config: { step: i } } });
  const http: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const t0 = performance.now();
    agent = await post('agents.update', { id: agent.id, expectedVersion: agent.version, patch: { config: { step: i } } });
    http.push(performance.now() - t0);
  }
  const direct: number[] = [];
  let current = node.node.store.getAgent(agent.id);
  for (let i = 0; i < UPDATES; i++) {
    const t0 = performance.now();
    current = node.node.store.updateAgent({ id: current.id, expectedVersion: current.version, patch: { config: { step: i } } });
    direct.push(performance.now() - t0);
  }
  await node.close();
  http.sort((a, b) => a - b);
  direct.sort((a, b) => a - b);
  return { http, direct };
}

async function coldStart() {
  const runs = 3;
  const starts: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const node = await startNodeProcess({ dataDir: mkdtempSync(join(tmpdir(), 'outpost-bench-cold-')) });
    await node.call('app.info');
    starts.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 3000)); // idle: let start-up garbage settle
    const pids = [node.process.pid!, ...childrenOf(node.process.pid!)];
    rss.push(pids.reduce((sum, pid) => sum + rssKiB(pid), 0));
    await node.stop();
  }
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await new Promise((r) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('exit', r));
    bare.push(performance.now() - t0);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { start: median(starts), bare: median(bare), rssMiB: median(rss) / 1024 };
}

const { http, direct } = await latency();
const p = (xs: number[], q: number) => percentile(xs, q).toFixed(3);
console.log(`agents.update, ${UPDATES} sequential calls`);
console.log(`  over HTTP (loopback, JSON, token):  p50 ${p(http, 50)} ms   p99 ${p(http, 99)} ms`);
console.log(`  in process on the store (baseline): p50 ${p(direct, 50)} ms   p99 ${p(direct, 99)} ms`);
console.log(`  transport overhead: p50 ${(percentile(http, 50) / percentile(direct, 50)).toFixed(1)}x the store call`);
const cold = await coldStart();
console.log(`cold start to API ready (outpost node from sources under tsx, fresh data folder): ${cold.start.toFixed(0)} ms`);
console.log(`  bare \`node -e ''\`: ${cold.bare.toFixed(0)} ms  → ${(cold.start / cold.bare).toFixed(1)}x`);
console.log(`idle memory (node + sync worker RSS): ${cold.rssMiB.toFixed(0)} MiB`);
