import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/**
 * Where the built pieces are, relative to this bundle (out/main/shell.js): out/preload, out/renderer,
 * out/resources, out/worker. In a packaged app they sit inside app.asar, which Electron reads transparently.
 */
const outDir = fileURLToPath(new URL('..', import.meta.url));

export const shellPaths = {
  preload: join(outDir, 'preload', 'preload.cjs'),
  renderer: join(outDir, 'renderer'),
  resources: join(outDir, 'resources'),
  worker: join(outDir, 'worker', 'sync-worker.js'),
  appIcon: join(outDir, 'resources', 'icon.png'),
};
