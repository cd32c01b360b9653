/**
 * Quitting waits for the node to close: an in-flight sync batch finishes or hands its leases back, the
 * databases close, the data folder lock is released. Electron's `before-quit` is synchronous, so the first
 * quit request is held (the shell calls preventDefault), the node closes, and then the app exits for real.
 * A node that does not close within the deadline is abandoned: leases expire on the hub side and leased items
 * return to pending at the next start, so nothing is lost.
 */
export type QuitPhase = 'running' | 'closing' | 'closed';

export class QuitCoordinator {
  private phase: QuitPhase = 'running';
  private readonly listeners = new Set<(phase: QuitPhase) => void>();

  constructor(
    private readonly options: {
      close: () => Promise<void>;
      exit: () => void;
      deadlineMs: number;
      onError?: (error: unknown) => void;
    },
  ) {}

  get current(): QuitPhase {
    return this.phase;
  }

  onPhase(listener: (phase: QuitPhase) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called from before-quit. Returns true when the quit must be held (preventDefault) for now. */
  requestQuit(): boolean {
    if (this.phase === 'closed') return false;
    if (this.phase === 'closing') return true;
    this.setPhase('closing');
    void this.closeThenExit();
    return true;
  }

  private async closeThenExit(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.deadlineMs);
    });
    try {
      const outcome = await Promise.race([this.options.close().then(() => 'closed' as const), deadline]);
      if (outcome === 'timeout') this.options.onError?.(new Error(`The node did not close within ${this.options.deadlineMs} ms; exiting anyway.`));
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      clearTimeout(timer);
    }
    this.setPhase('closed');
    this.options.exit();
  }

  private setPhase(phase: QuitPhase): void {
    this.phase = phase;
    for (const listener of this.listeners) listener(phase);
  }
}
