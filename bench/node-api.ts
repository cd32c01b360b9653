// The headless node's API: latency of one agents.update over the HTTP transport (p50/p99) against the same
// update called in process on the store (the transport's overhead as a ratio), the node's cold start to
// API ready against a bare `node -e ''`, and its idle memory (node process + sync worker). Every answer is checked
// (HTTP 200, the expected record and version) on both sides; any other answer throws and the bench exits nonzero.
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

interface AgentReply {
  id: string;
  version: number;
}

/** A refused or failed call answers fast and would flatter the figures, so any unexpected answer ends the bench. */
function expectNext(what: string, got: AgentReply, id: string | null, version: number): AgentReply {
  if ((id !== null && got.id !== id) || got.version !== version) {
    throw new Error(`${what} answered ${JSON.stringify(got).slice(0, 200)}, expected ${id ?? 'a new agent'} at version ${version}`);
  }
  return got;
}

async function latency() {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-api-'));
  const node = await startHeadlessNode({ dataDir, port: 0, background: false });
  try {
    const token = new URL(node.dashboardUrl).searchParams.get('token')!;
    const post = async (method: string, body: unknown): Promise<AgentReply> => {
      const res = await fetch(`${node.url}/api/${method}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`${method}: HTTP ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as AgentReply;
    };
    const update = async (agent: AgentReply, step: number) =>
      expectNext('agents.update', await post('agents.update', { id: agent.id, expectedVersion: agent.version, patch: { config: { step } } }), agent.id, agent.version + 1);
    let agent = expectNext('agents.create', await post('agents.create', { name: 'bench', type: 'latency', config: { model: 'x', temperature: 0.2 } }), null, 1);
    for (let i = 0; i < 200; i++) agent = await update(agent, i);
    const http: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const t0 = performance.now();
      agent = await update(agent, i);
      http.push(performance.now() - t0);
    }
    // the baseline makes the same check on each answer
    const direct: number[] = [];
    let current = node.node.store.getAgent(agent.id);
    for (let i = 0; i < UPDATES; i++) {
      const t0 = performance.now();
      const next = node.node.store.updateAgent({ id: current.id, expectedVersion: current.version, patch: { config: { step: i } } });
      expectNext('store.updateAgent', next, current.id, current.version + 1);
      current = next;
      direct.push(performance.now() - t0);
    }
    http.sort((a, b) => a - b);
    direct.sort((a, b) => a - b);
    return { http, direct };
  } finally {
    await node.close();
  }
}

async function coldStart() {
  const runs = 3;
  const starts: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const node = await startNodeProcess({ dataDir: mkdtempSync(join(tmpdir(), 'outpost-bench-cold-')) });
    try {
      // call() throws on any status but 2xx; the body must be this node's
      const info = await node.call<{ name?: string }>('app.info');
      if (info.name !== 'Outpost') throw new Error(`app.info answered ${JSON.stringify(info).slice(0, 200)}`);
      starts.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 3000)); // idle: let start-up garbage settle
      const pids = [node.process.pid!, ...childrenOf(node.process.pid!)];
      rss.push(pids.reduce((sum, pid) => sum + rssKiB(pid), 0));
    } finally {
      await node.stop();
    }
  }
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) =>
      spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bare node exited with ${code}`)))),
    );
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
