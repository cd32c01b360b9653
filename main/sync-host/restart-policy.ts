const CRASH_WINDOW_MS = 60_000;
const CRASH_LIMIT = 5;
/** a worker that ran this long before it died was stable: its restarts start over from the base delay */
export const STABLE_AFTER_MS = 30_000;

/**
 * When to restart a worker that died: backoff doubling from `baseMs` with jitter, up to 30 s, starting over
 * after a stable run; and the error a person sees once it dies too often in a minute (cleared by a stable run).
 */
export class RestartPolicy {
  private crashes: number[] = [];
  private consecutive = 0;
  error: string | null = null;

  constructor(private readonly baseMs: number) {}

  /** A worker (started at `startedAt`; null: it never started) died at `now`: the delay before the next start. */
  exited(now: number, startedAt: number | null): number {
    if (startedAt !== null && now - startedAt > STABLE_AFTER_MS) this.consecutive = 0;
    this.consecutive++;
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length >= CRASH_LIMIT) this.error = `The sync worker stopped ${this.crashes.length} times in a minute; still retrying. See the node log.`;
    const ceiling = Math.min(30_000, this.baseMs * 2 ** Math.min(this.consecutive - 1, 10));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  /** The running worker has been up since `startedAt`: once that is a stable run, the crash error goes. */
  running(now: number, startedAt: number): void {
    if (this.error && now - startedAt > STABLE_AFTER_MS) this.error = null;
  }
}
