import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/fs-atomic';
import type { Logger } from '../../lib/log';

export interface SyncUsage {
  day: string;
  wireBytes: number;
}

/** Today's wire bytes, kept in the data folder so the daily quota survives restarts; written at most every 5 s. */
export class SyncUsageFile {
  private readonly path: string;
  private savedAt = 0;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.path = join(dataDir, 'sync-usage.json');
  }

  load(): SyncUsage {
    try {
      if (existsSync(this.path)) {
        const parsed = JSON.parse(readFileSync(this.path, 'utf8')) as { day?: unknown; wireBytes?: unknown };
        if (typeof parsed.day === 'string' && typeof parsed.wireBytes === 'number' && parsed.wireBytes >= 0) {
          return { day: parsed.day.slice(0, 10), wireBytes: parsed.wireBytes };
        }
      }
    } catch {
      // an unreadable usage file only resets today's count
    }
    return { day: new Date().toISOString().slice(0, 10), wireBytes: 0 };
  }

  save(usage: SyncUsage, force: boolean): void {
    if (!force && Date.now() - this.savedAt < 5000) return;
    this.savedAt = Date.now();
    try {
      writeFileAtomic(this.path, JSON.stringify(usage) + '\n');
    } catch (error) {
      this.log.warn('could not save sync usage', { error });
    }
  }
}
