import type { SoakResult } from './soak-run';

/** Everything the checker found wrong, one line each (empty: the run is clean). */
export function verdict(result: SoakResult): string[] {
  return [
    ...result.writesLost.map((l) => `lost: ${l}`),
    ...result.duplicates.map((d) => `duplicate: ${d}`),
    ...result.convergence.map((c) => `not converged: ${c}`),
    ...result.workspaceDiffers.map((w) => `workspace differs: ${w}`),
  ];
}

/**
 * Memory growth is bounded when no node ends far above where it stood once warm (PGlite alone moves by
 * tens of MiB between checkpoints, so the bound is generous: 1.5x plus 256 MiB).
 */
export function memoryProblems(result: SoakResult): string[] {
  return result.memory
    .filter((m) => m.warmBytes > 0 && m.endBytes > m.warmBytes * 1.5 + 256 * 1024 * 1024)
    .map((m) => `memory: ${m.node} grew from ${Math.round(m.warmBytes / 1048576)} to ${Math.round(m.endBytes / 1048576)} MiB`);
}
