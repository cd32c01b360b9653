/** Waits for the worker to be up (it may be starting or restarting): opened by its 'ready', failed at stop. */
export class ReadyGate {
  private readonly waiting = new Set<(error?: Error) => void>();

  /** Resolves once `open` is called (at once when `ready`); refuses with `timeoutError` after `timeoutMs`. */
  wait(ready: boolean, timeoutMs: number, timeoutError: () => Error): Promise<void> {
    if (ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(timeoutError()), timeoutMs);
      timer.unref?.();
      const settle = (error?: Error) => {
        clearTimeout(timer);
        this.waiting.delete(settle);
        if (error) reject(error);
        else resolve();
      };
      this.waiting.add(settle);
    });
  }

  open(): void {
    for (const settle of [...this.waiting]) settle();
  }

  fail(error: Error): void {
    for (const settle of [...this.waiting]) settle(error);
  }
}
