import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * Where the built pieces are, relative to this bundle (out/main/shell.js): out/preload, out/renderer,
 * out/resources, out/worker. In a packaged app they sit inside app.asar, which Electron reads transparently.
 * Run from the TypeScript sources (the shell's Node test), the same pieces are taken from the repository:
 * the build's out/ for the renderer and preload, the sources for the worker and the icons.
 */
const fromSources = import.meta.url.endsWith('.ts');
const repo = fileURLToPath(new URL('../..', import.meta.url));
const outDir = fromSources ? join(repo, 'out') : fileURLToPath(new URL('..', import.meta.url));

export const shellPaths = {
  preload: join(outDir, 'preload', 'preload.cjs'),
  renderer: join(outDir, 'renderer'),
  resources: fromSources ? join(repo, 'resources') : join(outDir, 'resources'),
  worker: fromSources ? join(repo, 'worker', 'index.ts') : join(outDir, 'worker', 'sync-worker.js'),
  appIcon: fromSources ? join(repo, 'resources', 'icon.png') : join(outDir, 'resources', 'icon.png'),
};
