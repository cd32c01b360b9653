import type { SoakResult } from './soak-run';

/** Everything the checker found wrong, one line each (empty: the run is clean). */
export function verdict(result: SoakResult): string[] {
  return [
    ...result.writesLost.map((l) => `lost: ${l}`),
    ...result.savesLost.map((l) => `lost: ${l}`),
    ...result.duplicates.map((d) => `duplicate: ${d}`),
    ...result.convergence.map((c) => `not converged: ${c}`),
    ...result.workspaceDiffers.map((w) => `workspace differs: ${w}`),
    ...skewProblems(result.skew),
  ];
}

/** The skewed node's checks: it was refused while skewed, it wrote while skewed, all of it drained once corrected, and nothing stored on the hub carries its future clock. */
export function skewProblems(skew: SoakResult['skew']): string[] {
  return [
    ...(skew.refused > 0 ? [] : [`skew: the hub refused none of ${skew.node}'s changes as clock_ahead while its clock ran ${skew.aheadMin} min ahead`]),
    ...(skew.writesWhileSkewed > 0 ? [] : [`skew: ${skew.node} acknowledged no write while skewed, so nothing was checked`]),
    ...(skew.drainMs !== null ? [] : [`skew: ${skew.notDrained} of ${skew.node}'s ${skew.writesWhileSkewed} writes made while skewed never reached the hub after its clock was set right`]),
    ...skew.futureStamps.map((f) => `skew: ${f}`),
  ];
}

/** Memory samples of one node (RSS of the node and its worker). A sample taken while the node was down is skipped, not counted as 0. */
export interface MemorySamples {
  node: string;
  /** bytes, one per sample taken while the node was up, once warm */
  warm: number[];
  /** bytes, one per sample taken while the node was up, at the end */
  end: number[];
  /** samples that could not be taken because the node was down (or its RSS could not be read) */
  skipped: number;
}

/** Real samples needed in each phase: fewer and the memory bound is not checked, which fails the run. */
export const MIN_MEMORY_SAMPLES = 3;

export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
};

/**
 * Memory growth is bounded when no node ends far above where it stood once warm (PGlite alone moves by
 * tens of MiB between checkpoints, so the bound is generous: 1.5x plus 256 MiB), comparing medians of
 * real samples. A node without enough real samples in either phase is a problem: no check is no pass.
 */
export function memoryProblems(result: Pick<SoakResult, 'memory'>): string[] {
  const problems: string[] = [];
  for (const m of result.memory) {
    const few = (['warm', 'end'] as const).filter((phase) => m[phase].length < MIN_MEMORY_SAMPLES);
    if (few.length > 0) {
      problems.push(`memory: ${m.node} not checked: ${few.map((p) => `${m[p].length} real ${p} samples`).join(', ')} (need ${MIN_MEMORY_SAMPLES}; ${m.skipped} skipped while the node was down)`);
      continue;
    }
    const warm = median(m.warm);
    const end = median(m.end);
    if (end > warm * 1.5 + 256 * 1024 * 1024) problems.push(`memory: ${m.node} grew from ${Math.round(warm / 1048576)} to ${Math.round(end / 1048576)} MiB`);
  }
  if (result.memory.length === 0) problems.push('memory: no node was sampled');
  return problems;
}
