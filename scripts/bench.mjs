#!/usr/bin/env node
// `npm run bench [name…]`: runs every bench/*.ts (or the named ones) one after another, each in its own
// process so one benchmark's memory and JIT state do not colour the next.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'bench');
const only = process.argv.slice(2);
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).sort() : [];
let failed = 0;
for (const file of files) {
  if (only.length && !only.some((o) => file.includes(o))) continue;
  console.log(`\n=== bench/${file} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(dir, file)], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
