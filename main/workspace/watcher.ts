import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from '../../lib/log';

/**
 * Notices edits made to the working tree by other programs as they happen and scans 300 ms after the last one
 * (a scan before every commit finds them regardless, so a watcher that fails only delays them). While a Git
 * operation runs, the scan waits: the files the worker writes arrive with its result.
 */
export class FileWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly log: Logger,
    private readonly scan: () => Promise<unknown>,
    private readonly gitBusy: () => boolean,
  ) {}

  start(): void {
    try {
      this.watcher = watch(this.root, { recursive: true }, (_event, name) => {
        const file = String(name ?? '');
        if (file === '.git' || file.startsWith('.git/') || file.startsWith('.git\\')) return;
        this.scheduleScan();
      });
      this.watcher.on('error', (error) => this.log.warn('workspace: file watcher stopped; edits are still found at each commit', { error }));
    } catch (error) {
      this.log.warn('workspace: no file watcher; edits are found at each commit', { error });
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
  }

  private scheduleScan(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.gitBusy()) return this.scheduleScan();
      this.scan().catch((error) => this.log.warn('workspace: scan failed', { error }));
    }, 300);
    this.timer.unref();
  }
}
