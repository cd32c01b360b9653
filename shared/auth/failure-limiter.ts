/**
 * Counts failed authentication attempts per client key (an IP address) in a fixed window. A key with `max`
 * failures in the current window is blocked until the window ends: the caller answers 429 without checking the
 * credential (on the hub, without a database query). Memory is bounded: at most `maxKeys` keys are tracked,
 * the oldest dropped first. Used by the hub and by the node's HTTP transport.
 */
export interface FailureLimiterOptions {
  max: number;
  windowMs: number;
  maxKeys?: number;
  now?: () => number;
}

export interface FailureLimiter {
  /** ms until the key may try again, or 0 when it is not blocked */
  blockedFor(key: string): number;
  /** record a failure; returns ms until the key may try again when this failure blocked it, else 0 */
  fail(key: string): number;
  readonly max: number;
  readonly windowMs: number;
}

export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  if (!Number.isInteger(options.max) || options.max < 1) throw new Error('failure limiter: max must be a positive integer');
  if (!(options.windowMs > 0)) throw new Error('failure limiter: windowMs must be positive');
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const entries = new Map<string, { start: number; count: number }>();
  const current = (key: string) => {
    const entry = entries.get(key);
    if (entry && now() - entry.start >= options.windowMs) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const remaining = (entry: { start: number }) => Math.max(1, entry.start + options.windowMs - now());
  return {
    max: options.max,
    windowMs: options.windowMs,
    blockedFor(key) {
      const entry = current(key);
      return entry && entry.count >= options.max ? remaining(entry) : 0;
    },
    fail(key) {
      let entry = current(key);
      if (!entry) {
        if (entries.size >= maxKeys) entries.delete(entries.keys().next().value!);
        entry = { start: now(), count: 0 };
        entries.set(key, entry);
      }
      entry.count += 1;
      return entry.count >= options.max ? remaining(entry) : 0;
    },
  };
}
