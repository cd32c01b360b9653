/**
 * Exponential backoff with full jitter: the n-th retry waits a random time in [base*2^n / 2, base*2^n], capped,
 * so many nodes retrying after one hub outage do not arrive in lockstep. A server's Retry-After is a floor.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly baseMs = 1000,
    private readonly maxMs = 60_000,
    private readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt (and counts the attempt). */
  next(retryAfterMs: number | null = null): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const jittered = Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`, or at once (rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
