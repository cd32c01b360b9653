#!/usr/bin/env node
// One build for every process: esbuild bundles main (Electron shell), preload, the sync worker, the CLI and
// the renderer. Native and wasm packages (better-sqlite3, PGlite) stay external: they load from node_modules
// (unpacked from the asar in the packaged app).
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'out');
const watch = process.argv.includes('--watch');
const production = process.env.NODE_ENV === 'production';
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  define: { __OUTPOST_VERSION__: JSON.stringify(version) },
  // Bundled ESM has no require(); some dependencies still call it.
  banner: { js: "import { createRequire as __outpostRequire } from 'node:module'; const require = __outpostRequire(import.meta.url);" },
};

const targets = [
  { ...node, entryPoints: { 'cli/outpost': 'cli/outpost.ts' }, banner: { js: '#!/usr/bin/env node\n' + node.banner.js } },
  { ...node, entryPoints: { 'worker/sync-worker': 'worker/index.ts' } },
  { ...node, entryPoints: { 'server/hub': 'server/index.ts' } },
  // The Electron shell: ESM main; 'electron' is provided by the runtime.
  { ...node, entryPoints: { 'main/shell': 'main/shell/index.ts' }, external: ['electron'] },
  // Sandboxed preloads must be CommonJS and may only require('electron').
  { ...node, entryPoints: { 'preload/preload': 'preload/index.ts' }, format: 'cjs', packages: undefined, external: ['electron'], banner: undefined, outExtension: { '.js': '.cjs' } },
  {
    entryPoints: { 'renderer/assets/app': 'renderer/src/main.tsx' },
    bundle: true,
    platform: 'browser',
    target: 'chrome120',
    format: 'esm',
    jsx: 'automatic',
    minify: production,
    sourcemap: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
  },
];

/**
 * A dump of a freshly initialized, empty PGlite cluster: new workspace and hub databases load it instead of
 * running initdb (lib/pglite.ts). Cached per PGlite version, since making it costs an initdb.
 */
async function writePgliteTemplate(dir) {
  const { version: pgliteVersion } = JSON.parse(readFileSync(join(root, 'node_modules/@electric-sql/pglite/package.json'), 'utf8'));
  const name = `pglite-template-${pgliteVersion}.tgz`;
  const cached = join(root, 'node_modules', '.cache', 'outpost', name);
  if (!existsSync(cached)) {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create();
    const dump = await db.dumpDataDir('gzip');
    await db.close();
    mkdirSync(dirname(cached), { recursive: true });
    writeFileSync(cached, new Uint8Array(await dump.arrayBuffer()));
  }
  mkdirSync(dir, { recursive: true });
  cpSync(cached, join(dir, name));
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const started = Date.now();
const missing = [];
await Promise.all(
  targets.map((t) => {
    const entries = Object.values(t.entryPoints);
    if (!entries.every((e) => existsSync(join(root, e)))) {
      missing.push(...entries.filter((e) => !existsSync(join(root, e))));
      return undefined;
    }
    return build({ ...t, absWorkingDir: root, outdir: out });
  }),
);
if (existsSync(join(root, 'renderer/index.html'))) cpSync(join(root, 'renderer/index.html'), join(out, 'renderer/index.html'));
if (existsSync(join(root, 'resources'))) cpSync(join(root, 'resources'), join(out, 'resources'), { recursive: true });
await writePgliteTemplate(join(out, 'resources'));
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
if (missing.length) console.warn(`build: not built yet (entry missing): ${missing.join(', ')}`);
console.log(`build: done in ${Date.now() - started} ms${watch ? ' (watch is not supported; rerun)' : ''}`);
