import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Node-only helpers shared by the edge node (workspace) and the hub.
 *
 * A new PGlite data dir normally runs initdb: seconds of CPU and ~750 MiB of RSS that never shrinks
 * (MEASURED-FACTS). Loading a dump of an empty, freshly initialized cluster instead takes a fraction of
 * that (measured here: 3.1 s / 366 MiB vs 16.6 s / 781 MiB on a loaded 2-core machine). The build writes
 * that dump (`pgliteTemplateFile`), keyed by PGlite's version; without it, PGlite runs initdb as usual.
 */
const pgliteVersion: string = packageVersion('@electric-sql/pglite');

export const pgliteTemplateName = `pglite-template-${pgliteVersion}.tgz`;

/** Where the build puts the template: `out/resources`, beside the bundle or beside the sources. */
export function pgliteTemplateFile(): string | null {
  const here = new URL('.', import.meta.url).pathname;
  const candidates = [
    process.env.OUTPOST_PGLITE_TEMPLATE,
    join(here, '..', 'resources', pgliteTemplateName), // out/<entry>/bundle.js → out/resources
    join(here, '..', 'out', 'resources', pgliteTemplateName), // lib/pglite.ts → out/resources
  ];
  return candidates.find((c): c is string => Boolean(c) && existsSync(c as string)) ?? null;
}

/** Opens (or creates) a PGlite data dir; a new one starts from the template when there is one. */
export async function openPGlite(dataDir: string, options: PGliteOptions = {}): Promise<PGlite> {
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const template = fresh ? pgliteTemplateFile() : null;
  if (template) {
    return PGlite.create(dataDir, { ...options, loadDataDir: new Blob([readFileSync(template)]) });
  }
  return PGlite.create(dataDir, options);
}

/** A package's version, read from its package.json (PGlite's `exports` do not include it). */
function packageVersion(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name && pkg.version) return pkg.version;
    }
  }
  return 'unknown';
}
