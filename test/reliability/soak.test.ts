/**
 * The soak's short form for CI: a hub and three node processes, 45 s of random writes, conflicting edits,
 * workspace commits, link faults, partitions and SIGKILLs of workers, nodes and the hub; then the checker.
 * `npm run soak -- --minutes 20` runs the long form. Replay a run with OUTPOST_SOAK_SEED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak } from './soak-run';
import { memoryProblems, verdict } from './verdict';

const SEED = Number(process.env.OUTPOST_SOAK_SEED ?? Date.now() % 1_000_000);

test(`soak (short): nothing lost, nothing twice, everyone converges (seed ${SEED})`, { timeout: 180_000 }, async () => {
  const result = await runSoak({
    durationMs: Number(process.env.OUTPOST_SOAK_MS ?? 45_000),
    seed: SEED,
    figuresKey: 'soak-short',
    title: 'soak (short, CI)',
    log: (line) => console.log(`# ${line}`),
    convergeTimeoutMs: 50_000,
  });
  console.log(`# ${result.writesAcknowledged} writes, faults ${JSON.stringify(result.faults)}, converged in ${result.convergeMs} ms`);
  assert.ok(result.writesAcknowledged > 20, `the workload wrote (${result.writesAcknowledged})`);
  assert.ok(Object.keys(result.faults).length > 0, 'faults were injected');
  assert.deepEqual([...verdict(result), ...memoryProblems(result)], []);
});
