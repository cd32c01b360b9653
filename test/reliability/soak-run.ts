import type { Agent, AgentState, Execution, Page, SyncedTable, Workflow } from '../../shared/domain/records';
import { syncedTables } from '../../shared/domain/records';
import type { ConflictDetail } from '../../shared/domain/conflicts';
import type { SyncStatus } from '../../shared/domain/sync-status';
import { incrementVv } from '../../shared/sync/version-vector';
import { MAX_CLOCK_AHEAD_MS } from '../../shared/sync/hlc';
import { REFUSAL } from '../../shared/sync/wire';
import { hubRequest } from '../../server/test-support/hub-client';
import { seededRandom, startCluster, type Cluster, type ClusterNode } from './cluster';
import { allConflicts, convergenceProblems, domainOf, futureStamps, writesNotOnHub, lostSaves, lostWrites, readHubLog, workspaceSnapshot, type AckedSave, type AckedWrite } from './checker';
import type { SuiteFigures } from './figures';
import { startKillablePostgres } from './postgres';
import { median, MIN_MEMORY_SAMPLES, type MemorySamples } from './verdict';

/**
 * The soak: a hub and three `outpost node` processes, each behind its own chaos proxy, run random writes
 * (agents: creates, edits and deletes on a shared pool of ids, so nodes conflict; workflows: creates and
 * edits on a shared pool; executions: creates; agent states: sets and deletes of a few keys of the shared agents),
 * workspace saves and commits, and faults (link faults,
 * partitions, worker kills, node kills, hub kills) for a bounded time. Then every fault is healed, conflicts
 * left for a person are resolved through the API, and the checker runs. The caller records the figures
 * (`result.figures`) only if the checker found nothing wrong.
 */
export interface SoakOptions {
  durationMs: number;
  seed: number;
  log?: (line: string) => void;
  /** how long the end phase may take to converge */
  convergeTimeoutMs?: number;
  /** run the hub on a real PostgreSQL cluster, which then gets SIGKILLed among the faults */
  postgres?: boolean;
}

export interface SoakResult {
  /** record writes acknowledged, by table */
  writesByTable: Record<SyncedTable, number>;
  writesAcknowledged: number;
  savesAcknowledged: number;
  writesLost: string[];
  savesLost: string[];
  duplicates: string[];
  convergence: string[];
  workspaceDiffers: string[];
  convergeMs: number;
  /** faults that fired: counted by the chaos proxies (link faults, partitions) and by the kills that happened */
  faults: Record<string, number>;
  memory: MemorySamples[];
  conflicts: number;
  hubChanges: number;
  /** the skewed node: its clock ran `aheadMin` ahead for the first part of the workload, then was set right */
  skew: {
    node: string;
    aheadMin: number;
    /** changes the hub refused as clock_ahead (its stats, summed over every hub process of the run) */
    refused: number;
    /** writes the skewed node acknowledged while its clock ran ahead */
    writesWhileSkewed: number;
    /** from the clock set right until every one of those writes was in the hub's state; null: never */
    drainMs: number | null;
    notDrained: number;
    /** changes of the skewed node stored on the hub with a clock beyond hub time + MAX_CLOCK_AHEAD_MS */
    futureStamps: string[];
  };
  /** the figures of this run, computed by the checker; to be recorded only if the run passed */
  figures: Omit<SuiteFigures, 'title'>;
}

const NAMES = ['node-a', 'node-b', 'node-c'];
/** node-c runs its clock three hours ahead for the first third of the workload (at most 5 min), then is set right */
const SKEWED = 'node-c';
const SKEW_AHEAD_MS = 3 * 3_600_000;
const MODES = ['realtime', 'auto', 'periodic'] as const;

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const started = Date.now();
  const faults: Record<string, number> = {};
  const fault = (kind: string) => (faults[kind] = (faults[kind] ?? 0) + 1);
  const writes: AckedWrite[] = [];
  const saves: AckedSave[] = [];
  const refusals: Record<string, number> = {};

  const pg = options.postgres ? await startKillablePostgres() : null;
  const cluster = await startCluster({
    names: NAMES,
    random,
    ...(pg ? { databaseUrl: pg.url } : {}),
    clockOffsets: { [SKEWED]: SKEW_AHEAD_MS },
    settings: { sync: { maxAttempts: 100, intervalMs: 2000, debounceMs: 200 }, conflicts: { tables: { agents: { strategy: 'merge' } }, deleteUpdatePolicy: 'manual' } },
  });
  try {
    for (const [i, node] of cluster.nodes.entries()) await node.call('settings.set', { sync: { mode: MODES[i % MODES.length] } });
    log(`cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${options.seed})`);
    const memory: MemorySamples[] = cluster.nodes.map((n) => ({ node: n.name, warm: [], end: [], skipped: 0 }));
    // a node that is down (or restarting) has no RSS to sample: the sample is skipped, never counted as 0 bytes
    const sample = (i: number, phase: 'warm' | 'end') => {
      const n = cluster.nodes[i]!;
      const bytes = n.process ? n.rssBytes() : 0;
      if (bytes > 0) memory[i]![phase].push(bytes);
      else memory[i]!.skipped++;
    };

    // a shared pool of ids all nodes edit, renewed every minute: deletes tombstone ids for good, and a pool
    // that only shrinks would stop producing conflicts in a long run
    const pool = () => {
      const epoch = Math.floor((Date.now() - started) / 60_000);
      return Array.from({ length: 12 }, (_, i) => `shared-${epoch}-${i}`);
    };
    const workflowPool = () => {
      const epoch = Math.floor((Date.now() - started) / 60_000);
      return Array.from({ length: 6 }, (_, i) => `wf-${epoch}-${i}`);
    };
    const acked = (node: ClusterNode, table: SyncedTable, record: { id: string; vv: Record<string, number> }) =>
      writes.push({ node: node.name, table, recordId: record.id, vv: record.vv, data: domainOf(table, record as unknown as Record<string, unknown>) });
    const up = () => cluster.nodes.filter((n) => n.process);
    const skewed = cluster.nodes.find((n) => n.name === SKEWED)!;
    fault('clock 3 h ahead (node, until set right)');
    // the hub counts its refusals per process: read them before each hub kill and at the end, and sum
    let clockRefusals = 0;
    const collectRefusals = async () => {
      const r = await hubRequest<{ refused: Record<string, number> }>(cluster.hub.url, '/v1/admin/stats', { token: cluster.hub.adminToken }).catch(() => null);
      if (r?.status === 200) clockRefusals += r.body.refused[REFUSAL.clockAhead] ?? 0;
    };

    const writeWorkflow = async (node: ClusterNode) => {
      const id = pick(workflowPool());
      const listed = await node.call<Page<Workflow>>('workflows.list', { limit: 1000 });
      const current = listed.items.find((w) => w.id === id);
      if (!current) {
        const created = await node.call<Workflow>('workflows.create', { id, name: `${id} by ${node.name}`, status: 'draft', definition: { steps: [node.name] } });
        acked(node, 'workflows', created);
        return;
      }
      const roll = random();
      const patch =
        roll < 0.4
          ? { name: `${id} ${pick(['one', 'two', 'three'])} by ${node.name}` }
          : roll < 0.7
            ? { status: pick(['draft', 'active', 'paused'] as const) }
            : { definition: { ...current.definition, [`s${Math.floor(random() * 3)}`]: `${node.name}-${Math.floor(random() * 100)}` } };
      acked(node, 'workflows', await node.call<Workflow>('workflows.update', { id, expectedVersion: current.version, patch }));
    };

    const writeExecution = async (node: ClusterNode) => {
      const workflowId = pick(workflowPool());
      const execution = await node.call<Execution>('executions.create', {
        id: `${node.name}-x-${writes.length}-${Math.floor(random() * 1e6)}`,
        workflowId,
        status: pick(['queued', 'running'] as const),
        inputData: { by: node.name, step: writes.length },
      });
      acked(node, 'executions', execution);
    };

    // an agent's state on a few keys of the shared agents: every node sets the same keys, so they conflict
    const writeAgentState = async (node: ClusterNode) => {
      const agentId = pick(pool());
      const key = pick(['plan', 'cursor', 'notes']);
      if (random() < 0.15) {
        const current = await node.call<AgentState>('agentState.get', { agentId, key });
        await node.call('agentState.delete', { agentId, key, expectedVersion: current.version });
        writes.push({ node: node.name, table: 'agent_states', recordId: current.id, vv: incrementVv(current.vv, node.nodeId), data: null });
        return;
      }
      acked(node, 'agent_states', await node.call<AgentState>('agentState.set', { agentId, key, value: { by: node.name, step: writes.length } }));
    };

    const write = async (node: ClusterNode) => {
      const table = random();
      const roll = random();
      try {
        if (table < 0.2) return await writeWorkflow(node);
        if (table < 0.3) return await writeExecution(node);
        if (table < 0.38) return await writeAgentState(node);
        if (roll < 0.25) {
          const id = random() < 0.5 ? pick(pool()) : `${node.name}-${writes.length}`;
          const agent = await node.call<Agent>('agents.create', { id, name: `${id} by ${node.name}`, type: pick(['llm', 'tool']), status: 'active', config: { origin: node.name } });
          acked(node, 'agents', agent);
          return;
        }
        const id = pick(pool());
        const current = await node.call<Agent>('agents.get', { id }).catch(async (error: { code?: string }) => {
          if (error.code !== 'not_found') throw error;
          // not here (yet, or deleted): create it, which races other nodes' creates of the same id
          const agent = await node.call<Agent>('agents.create', { id, name: `${id} by ${node.name}`, type: pick(['llm', 'tool']), status: 'active', config: { origin: node.name } });
          acked(node, 'agents', agent);
          return null;
        });
        if (!current) return;
        if (roll < 0.33) {
          await node.call('agents.delete', { id, expectedVersion: current.version });
          writes.push({ node: node.name, table: 'agents', recordId: id, vv: incrementVv(current.vv, node.nodeId), data: null });
          return;
        }
        const patch =
          roll < 0.55
            ? { name: `${id} ${pick(['alpha', 'beta', 'gamma'])} by ${node.name}` }
            : roll < 0.7
              ? { status: pick(['inactive', 'active', 'paused', 'running'] as const) }
              : { config: { ...current.config, model: pick(['s', 'm', 'l']), [`k${Math.floor(random() * 4)}`]: Math.floor(random() * 100) } };
        acked(node, 'agents', await node.call<Agent>('agents.update', { id, expectedVersion: current.version, patch }));
      } catch (error) {
        // not found, version conflicts, a node going down mid-call: not acknowledged, so not counted
        const code = (error as { code?: string }).code ?? 'network';
        refusals[code] = (refusals[code] ?? 0) + 1;
      }
    };

    const workspaceWork = async (node: ClusterNode) => {
      try {
        const shared = random() < 0.2;
        const path = shared ? 'shared/board.md' : `notes/${node.name}-${Math.floor(random() * 5)}.md`;
        const content = `# ${path}\n\nwritten by ${node.name} at step ${writes.length}.${saves.length}\n`;
        await node.call('workspace.save', { path, content });
        saves.push({ node: node.name, path, content, at: Date.now() });
        if (random() < 0.4) await node.call('workspace.commit', { sync: random() < 0.5 });
      } catch {
        // conflicts pending, a node down, the hub away: the item stays pending and is checked at the end
      }
    };

    const chaos = async () => {
      const roll = random();
      const node = pick(cluster.nodes);
      // link faults and partitions are counted by the proxies, as they fire (see the end)
      if (roll < 0.3) {
        node.proxy.setPolicy({ rate: 0.3, blackholeMs: 2000 });
        setTimeout(() => node.proxy.heal(), 3000 + random() * 4000).unref();
        linkFaultWindows++;
      } else if (roll < 0.5) {
        node.proxy.partition(true);
        setTimeout(() => node.proxy.partition(false), 2000 + random() * 6000).unref();
      } else if (roll < 0.65) {
        if (node.process) {
          void node.call('sync.now').catch(() => undefined);
          await sleep(50 + random() * 400);
          if (node.killWorker()) fault('SIGKILL sync worker');
        }
      } else if (roll < 0.75) {
        if (node.process && up().length > 1) {
          await node.stop();
          fault('restart node (SIGTERM)');
          await node.start();
        }
      } else if (roll < 0.88) {
        if (node.process && up().length > 1) {
          void node.call('sync.now').catch(() => undefined);
          await sleep(random() * 500);
          await node.kill();
          fault('SIGKILL node');
          await node.start();
        }
      } else if (pg && roll < 0.94) {
        pg.kill();
        if (!pg.running()) fault('SIGKILL PostgreSQL');
        await sleep(random() * 2000);
        pg.start();
      } else if (cluster.hub.running()) {
        await collectRefusals();
        await cluster.hub.kill();
        if (!cluster.hub.running()) fault('SIGKILL hub');
        await sleep(random() * 2000);
        await cluster.hub.restart();
      }
    };

    // ---- the workload
    const workStarted = Date.now();
    const workEnds = workStarted + options.durationMs;
    let step = 0;
    let linkFaultWindows = 0;
    const warmFrom = workStarted + Math.min(options.durationMs / 3, 60_000);
    let lastSample = 0;
    const correctAt = workStarted + Math.min(options.durationMs / 3, 5 * 60_000);
    let correctedAt: number | null = null;
    let skewedWrites: AckedWrite[] = [];
    let drainMs: number | null = null;
    let lastDrainCheck = 0;
    // every write the skewed node acknowledged while skewed is on the hub: the drain is over
    const checkDrain = async () => {
      if (correctedAt === null || drainMs !== null) return;
      const hubNow = await readHubLog(cluster.hub.url, cluster.observerToken).catch(() => null);
      if (hubNow && writesNotOnHub(hubNow, skewedWrites).length === 0) drainMs = Date.now() - correctedAt;
    };
    while (Date.now() < workEnds) {
      step++;
      if (correctedAt === null && Date.now() >= correctAt) {
        // set the clock right: the node restarts on the real clock; its held changes are re-stamped and sync
        skewedWrites = writes.filter((w) => w.node === SKEWED);
        await skewed.stop();
        skewed.clockOffsetMs = 0;
        await skewed.start();
        correctedAt = Date.now();
        log(`${SKEWED}'s clock set right after ${((correctedAt - workStarted) / 1000).toFixed(0)} s: ${skewedWrites.length} writes made while skewed`);
      }
      if (correctedAt !== null && drainMs === null && Date.now() - lastDrainCheck >= 2000) {
        lastDrainCheck = Date.now();
        await checkDrain();
      }
      const live = up();
      if (live.length > 0) {
        const node = pick(live);
        const roll = random();
        if (roll < 0.7) await Promise.all([write(node), write(pick(live))]);
        else if (roll < 0.85) await workspaceWork(node);
        else void node.call('sync.now').catch(() => undefined);
      }
      if (random() < 0.04) await chaos();
      // once warm, one sample a second of each node until it has enough real ones
      if (Date.now() >= warmFrom && Date.now() - lastSample >= 1000) {
        lastSample = Date.now();
        for (const i of cluster.nodes.keys()) if (memory[i]!.warm.length < MIN_MEMORY_SAMPLES) sample(i, 'warm');
      }
      if (step % 200 === 0) log(`${((Date.now() - workStarted) / 1000).toFixed(0)} s: ${writes.length} writes acknowledged, faults ${JSON.stringify(faults)}`);
      await sleep(20 + random() * 60);
    }

    // ---- heal everything, then converge
    log(`workload done: ${writes.length} writes acknowledged; healing and converging`);
    const convergeStarted = Date.now();
    for (const n of cluster.nodes) {
      n.proxy.heal();
      n.proxy.partition(false);
    }
    pg?.start();
    if (!cluster.hub.running()) await cluster.hub.restart();
    for (const n of cluster.nodes) await n.start();
    const convergeDeadline = Date.now() + (options.convergeTimeoutMs ?? 180_000);
    let problems: string[] = ['not checked yet'];
    let workspaceDiffers: string[] = [];
    let manual = 0;
    while (Date.now() < convergeDeadline) {
      for (const n of cluster.nodes) {
        await n.call('queue.retry', {}).catch(() => undefined);
        await n.call('sync.now').catch(() => undefined);
      }
      for (const n of cluster.nodes) {
        for (const c of await allConflicts(n, 'pending')) {
          const choice = c.table === 'workspace' ? pick(['local', 'remote'] as const) : await recordChoice(n, c.id, pick);
          await n.call('conflicts.resolve', { id: c.id, choice }).then(() => manual++, () => undefined);
        }
        await n.call<{ outcome: string; conflicts: number }>('workspace.sync').then(
          (r) => r.outcome !== 'up-to-date' && log(`${n.name} workspace.sync: ${r.outcome} (${r.conflicts} conflicts)`),
          (error: Error) => log(`${n.name} workspace.sync failed: ${error.message.slice(0, 300)}`),
        );
      }
      const statuses = await Promise.all(cluster.nodes.map((n) => n.call<SyncStatus>('sync.status')));
      if (statuses.some((s) => s.pending > 0 || s.failed > 0 || s.conflicts > 0)) continue;
      const hub = await readHubLog(cluster.hub.url, cluster.observerToken);
      problems = await convergenceProblems(cluster.nodes, hub);
      if (problems.length > 0) continue;
      const snapshots = await Promise.all(cluster.nodes.map((n) => workspaceSnapshot(n)));
      workspaceDiffers = cluster.nodes.slice(1).flatMap((n, i) => {
        const a = snapshots[0]!;
        const b = snapshots[i + 1]!;
        const paths = new Set([...a.keys(), ...b.keys()]);
        return [...paths].filter((p) => a.get(p) !== b.get(p)).map((p) => `${n.name} vs ${cluster.nodes[0]!.name}: ${p}`);
      });
      if (workspaceDiffers.length === 0) break;
    }
    if (correctedAt === null) throw new Error(`${SKEWED}'s clock was never set right: the workload was shorter than one step`);
    await checkDrain();
    const convergeMs = Date.now() - convergeStarted;
    // the end samples: every node up, after the converge phase (a node just restarted would look small)
    for (let k = 0; k < MIN_MEMORY_SAMPLES; k++) {
      for (const i of cluster.nodes.keys()) sample(i, 'end');
      await sleep(1000);
    }
    const hub = await readHubLog(cluster.hub.url, cluster.observerToken);
    const convergence = await convergenceProblems(cluster.nodes, hub);
    const future = futureStamps(hub, skewed.nodeId, Date.now(), MAX_CLOCK_AHEAD_MS);
    await collectRefusals();
    const notDrained = writesNotOnHub(hub, skewedWrites).length;
    const lost = await lostWrites(cluster.nodes, hub, writes);
    const lostSaved = await lostSaves(cluster.nodes, cluster.nodes[0]!, saves);
    const conflicts = (await Promise.all(cluster.nodes.map((n) => allConflicts(n)))).flat().length;
    for (const n of cluster.nodes) for (const [kind, count] of Object.entries(n.proxy.faults)) faults[`link: ${kind}`] = (faults[`link: ${kind}`] ?? 0) + count;
    const writesByTable = Object.fromEntries(syncedTables.map((t) => [t, 0])) as Record<SyncedTable, number>;
    for (const w of writes) writesByTable[w.table]++;
    const duplicates = [...hub.duplicateChangeIds.map((id) => `change id ${id} twice in the hub log`), ...hub.duplicateWrites.map((w) => `write ${w} logged twice`)];

    const result: SoakResult = {
      writesByTable,
      writesAcknowledged: writes.length + saves.length,
      savesAcknowledged: saves.length,
      writesLost: lost,
      savesLost: lostSaved,
      duplicates,
      convergence,
      workspaceDiffers,
      convergeMs,
      faults,
      memory,
      conflicts,
      hubChanges: hub.changes,
      skew: { node: SKEWED, aheadMin: SKEW_AHEAD_MS / 60_000, refused: clockRefusals, writesWhileSkewed: skewedWrites.length, drainMs, notDrained, futureStamps: future },
      figures: {
        faults,
        writesAcknowledged: writes.length + saves.length,
        writesLost: lost.length + lostSaved.length,
        duplicates: duplicates.length,
        convergeMs,
        durationMs: Date.now() - started,
        notes: {
          seed: options.seed,
          'hub database': options.postgres ? 'PostgreSQL (SIGKILLed among the faults)' : 'embedded PGlite',
          'workload time': `${(options.durationMs / 1000).toFixed(0)} s`,
          'writes acknowledged, by kind': JSON.stringify({ ...writesByTable, 'workspace saves': saves.length }),
          'link fault windows (3-7 s at 30%)': linkFaultWindows,
          'hub change log entries': hub.changes,
          'live records on the hub': [...hub.records.values()].filter((r) => r.data).length,
          'conflicts recorded (all nodes)': conflicts,
          'resolved through the API at the end': manual,
          'writes not acknowledged (refused or node down)': JSON.stringify(refusals),
          'skewed node': `${SKEWED}, clock ${SKEW_AHEAD_MS / 3_600_000} h ahead for the first ${(((correctedAt ?? started) - workStarted) / 1000).toFixed(0)} s, then set right (restart on the real clock)`,
          'changes refused by the hub as clock_ahead': clockRefusals,
          'writes made while skewed (all on the hub after the correction)': skewedWrites.length,
          'time to drain after the clock was set right (first check that saw them all on the hub: every 2 s in the workload, then after converging)': drainMs === null ? 'never' : `${(drainMs / 1000).toFixed(1)} s`,
          'converged': convergence.length === 0 && workspaceDiffers.length === 0 ? 'yes' : `NO: ${[...convergence, ...workspaceDiffers].slice(0, 3).join('; ')}`,
          'memory (RSS, node + worker, median of real samples) warm -> end': memory
            .map((m) => `${m.node} ${mb(median(m.warm))} -> ${mb(median(m.end))} (${m.warm.length}+${m.end.length} samples, ${m.skipped} skipped: node down)`)
            .join(', '),
        },
      },
    };
    return result;
  } finally {
    await cluster.close();
    pg?.destroy();
  }
}

/** A person's choice for a record conflict: a side, the merge, or per-field picks. */
async function recordChoice(node: ClusterNode, id: string, pick: <T>(items: readonly T[]) => T): Promise<unknown> {
  const detail = await node.call<ConflictDetail>('conflicts.get', { id });
  if (detail.local === null || detail.remote === null) return pick(['local', 'remote'] as const);
  const choice = pick(['local', 'remote', 'merge', 'fields'] as const);
  return choice === 'fields' ? { fields: Object.fromEntries(detail.changes.map((f) => [f.field, pick(['local', 'remote'] as const)])) } : choice;
}

const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type { Cluster };
