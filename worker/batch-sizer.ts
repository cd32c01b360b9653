/**
 * Sizes push and pull batches from what the link just did: a batch that finished well under the target time
 * doubles the next one, a slow one halves it (additive growth would take minutes to reach a fast link's size),
 * always within [min, max]. A 413 from the hub halves it too.
 */
export class BatchSizer {
  private size: number;
  constructor(
    private max: number,
    private readonly targetMs = 1500,
    private readonly min = 1,
    start = 100,
  ) {
    this.size = clamp(start, min, max);
  }

  get current(): number {
    return this.size;
  }

  setMax(max: number): void {
    this.max = max;
    this.size = clamp(this.size, this.min, max);
  }

  record(items: number, durationMs: number): void {
    if (items < this.size) return; // a short batch says nothing about the link's capacity
    if (durationMs < this.targetMs / 2) this.size = clamp(this.size * 2, this.min, this.max);
    else if (durationMs > this.targetMs * 2) this.size = clamp(Math.floor(this.size / 2), this.min, this.max);
  }

  /** Halves the size, or to half of `batch` (the batch just refused) when that is smaller. */
  shrink(batch = this.size): void {
    this.size = clamp(Math.floor(Math.min(this.size, batch) / 2), this.min, this.max);
  }
}

const clamp = (n: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, n));
