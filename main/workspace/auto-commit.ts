import type { Logger } from '../../lib/log';
import type { SettingsStore } from '../settings-store';
import type { GitWork } from './git-work';

/**
 * Commits every settings.workspace.autoCommitMinutes, and syncs instead when a remote is set and sync is not
 * paused; a changed interval re-arms the timer. A failure is logged and shown in the status, and the timer goes on.
 */
export class AutoCommit {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private stopped = false;

  constructor(
    private readonly settings: SettingsStore,
    private readonly work: GitWork,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.unsubscribe = this.settings.onChange((next, prev) => {
      if (next.workspace.autoCommitMinutes !== prev.workspace.autoCommitMinutes) this.arm();
    });
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.unsubscribe?.();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    const minutes = this.settings.get().workspace.autoCommitMinutes;
    this.timer = setTimeout(() => void this.once().finally(() => this.arm()), minutes * 60_000);
    this.timer.unref();
  }

  private async once(): Promise<void> {
    try {
      const paused = this.settings.get().sync.paused;
      if (!paused && (await this.work.remote())) await this.work.sync();
      else await this.work.commit();
    } catch (error) {
      this.work.noteError((error as Error).message);
      this.log.warn('workspace: auto-commit failed', { error });
    }
  }
}
