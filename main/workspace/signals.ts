import type { WorkspaceProgress } from '../../shared/domain/workspace';
import type { Logger } from '../../lib/log';
import type { EventBus } from '../events';

/**
 * Changes not on the hub yet (items saved but not committed plus commits not pushed): counted at most every
 * 100 ms, after every change, commit and sync; listeners hear when the count moved. Null until first counted.
 */
export class UnsyncedCounter {
  private count: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly countNow: () => Promise<number>,
    private readonly log: Logger,
  ) {}

  get value(): number | null {
    return this.count;
  }

  onChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  recount(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      void this.countNow()
        .then((count) => {
          this.timer = null;
          if (count === this.count) return;
          this.count = count;
          for (const listener of this.listeners) listener();
        })
        .catch((error: unknown) => {
          this.timer = null;
          if (!this.stopped) this.log.warn('workspace: could not count unsynced changes', { error });
        });
    }, 100);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** What the workspace tells others: progress and changed paths on the event bus, text conflicts to its listeners. */
export class WorkspaceSignals {
  private lastProgress = { phase: '', at: 0 };
  private readonly conflictListeners = new Set<() => void>();

  constructor(
    private readonly events: EventBus | undefined,
    private readonly log: Logger,
    private readonly unsynced: UnsyncedCounter,
  ) {}

  /** At most one progress event per phase change or per 200 ms: pack transfers report every object. */
  progress(p: WorkspaceProgress): void {
    const now = Date.now();
    const final = p.phase === 'done' || p.phase === 'error';
    if (!final && p.phase === this.lastProgress.phase && now - this.lastProgress.at < 200) return;
    this.lastProgress = { phase: p.phase, at: now };
    this.events?.emit('workspace.progress', p);
  }

  /** Items changed (content or status): `workspace.changed`, and the unsynced count is counted again. */
  changed(paths: string[]): void {
    this.events?.emit('workspace.changed', { paths: paths.slice(0, 1000) });
    this.unsynced.recount();
  }

  /**
   * Called whenever text conflicts appear or get resolved: the conflict service re-counts and emits the one
   * `conflicts.changed` count over records and texts (the workspace emits no count of its own).
   */
  onConflictsChanged(listener: () => void): () => void {
    this.conflictListeners.add(listener);
    return () => this.conflictListeners.delete(listener);
  }

  conflictsChanged(): void {
    for (const listener of this.conflictListeners) {
      try {
        listener();
      } catch (error) {
        this.log.warn('workspace: conflict listener failed', { error });
      }
    }
  }
}
