/**
 * The soak's short form for CI: a hub and three node processes, 45 s of random writes, conflicting edits,
 * workspace commits, link faults, partitions and SIGKILLs of workers, nodes and the hub; then the checker.
 * `npm run soak -- --minutes 20` runs the long form. Replay a run with OUTPOST_SOAK_SEED. The figures are
 * recorded only if the checker found nothing wrong.
 */
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak, type SoakResult } from './soak-run';
import { memoryProblems, verdict } from './verdict';
import { trackedSuite } from './figures';

const SEED = Number(process.env.OUTPOST_SOAK_SEED ?? Date.now() % 1_000_000);
const suite = trackedSuite('soak-short', 'soak (short, CI)');
let result: SoakResult | undefined;
after(() => suite.finish(() => result!.figures));

suite.test(`soak (short): nothing lost, nothing twice, everyone converges (seed ${SEED})`, { timeout: 240_000 }, async () => {
  result = await runSoak({
    durationMs: Number(process.env.OUTPOST_SOAK_MS ?? 45_000),
    seed: SEED,
    log: (line) => console.log(`# ${line}`),
    convergeTimeoutMs: 50_000,
  });
  console.log(`# ${result.writesAcknowledged} writes (${JSON.stringify(result.writesByTable)}, ${result.savesAcknowledged} workspace saves), faults ${JSON.stringify(result.faults)}, converged in ${result.convergeMs} ms`);
  assert.ok(result.writesAcknowledged > 20, `the workload wrote (${result.writesAcknowledged})`);
  for (const [table, n] of Object.entries(result.writesByTable)) assert.ok(n > 0, `the workload wrote ${table} (${n})`);
  assert.ok(result.savesAcknowledged > 0, 'the workload saved workspace items');
  assert.ok(Object.values(result.faults).some((n) => n > 0), 'faults fired');
  assert.deepEqual([...verdict(result), ...memoryProblems(result)], []);
});
