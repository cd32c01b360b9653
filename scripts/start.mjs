#!/usr/bin/env node
// `npm start`: builds if needed, then launches the Electron app where the Electron binary is available;
// where it is not (a headless box, or a machine that cannot download it), says so in one line and runs the
// headless node instead, with its data in the user's data directory.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

const built = join(root, 'out/cli/outpost.js');
const sources = ['shared', 'main', 'preload', 'worker', 'server', 'cli', 'renderer'].map((d) => join(root, d)).filter(existsSync);
const stale = !existsSync(built) || sources.some((d) => newestMtime(d) > statSync(built).mtimeMs);
if (stale) {
  const result = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

/**
 * The Electron binary if it was downloaded. Requiring the `electron` package would try to download it (and
 * hang or fail on a closed network), so its install marker and binary are looked up directly.
 */
function electronBinary() {
  const dir = join(root, 'node_modules', 'electron');
  const marker = join(dir, 'path.txt');
  if (!existsSync(marker)) return null;
  const binary = join(dir, 'dist', readFileSync(marker, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

const extra = process.argv.slice(2);
const electron = electronBinary();
const canShowWindows = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (electron && canShowWindows) {
  spawn(electron, [root, ...extra], { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(
    electron
      ? 'outpost: no display here, so running the headless node instead of the desktop app.'
      : 'outpost: the Electron binary is not installed here (node node_modules/electron/install.js fetches it), so running the headless node instead.',
  );
  const args = [built, 'node', ...(extra.length ? extra : ['--port', process.env.PORT ?? '4300'])];
  spawn(process.execPath, args, { stdio: 'inherit' }).on('exit', (code) => process.exit(code ?? 0));
}
