/**
 * `npm run soak -- --minutes N [--seed S] [--postgres]`: the long soak (see soak-run.ts). Prints progress, then the
 * checker's verdict; exits 1 when a write was lost, a change applied twice, the nodes did not converge or
 * memory grew without bound (or could not be checked). The figures go to docs/RELIABILITY.md only for a run
 * that passed; a failed run is recorded as failed.
 */
import { parseArgs } from 'node:util';
import { runSoak } from './soak-run';
import { median, memoryProblems, verdict } from './verdict';
import { recordFailedRun, recordFigures } from './figures';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '20' }, seed: { type: 'string' }, postgres: { type: 'boolean', default: false } },
  strict: true,
});
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 24 * 60)) {
  console.error('--minutes must be a number of minutes (0 < N <= 1440)');
  process.exit(2);
}
const seed = values.seed === undefined ? Date.now() % 1_000_000 : Number(values.seed);
const started = Date.now();
const log = (line: string) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);
log(`soak for ${minutes} min, seed ${seed}`);
const key = values.postgres ? 'soak-long-postgres' : 'soak-long';
const title = `soak (long, ${minutes} min${values.postgres ? ', PostgreSQL' : ''})`;
const result = await runSoak({
  durationMs: minutes * 60_000,
  seed,
  postgres: values.postgres,
  log,
  convergeTimeoutMs: 300_000,
}).catch((error: Error) => {
  console.error(`FAIL the soak stopped: ${error.stack ?? error.message}`);
  recordFailedRun(key, title, [`the soak stopped: ${error.message.slice(0, 300)}`]);
  process.exit(1);
});
const problems = [...verdict(result), ...memoryProblems(result)];
log(`${result.writesAcknowledged} writes acknowledged, ${result.writesLost.length + result.savesLost.length} lost, ${result.duplicates.length} duplicates, converged in ${(result.convergeMs / 1000).toFixed(1)} s`);
log(`faults: ${JSON.stringify(result.faults)}`);
log(`memory: ${result.memory.map((m) => `${m.node} ${Math.round(median(m.warm) / 1048576)} -> ${Math.round(median(m.end) / 1048576)} MiB (${m.warm.length}+${m.end.length} samples, ${m.skipped} skipped)`).join(', ')}`);
log(`total ${((Date.now() - started) / 60_000).toFixed(1)} min`);
if (problems.length > 0) {
  for (const p of problems.slice(0, 40)) console.error(`FAIL ${p}`);
  recordFailedRun(key, title, problems.slice(0, 5));
  process.exit(1);
}
recordFigures(key, { title, ...result.figures });
log('PASS');
process.exit(0);
