import { join } from 'node:path';
import { DataDirLock } from '../../lib/data-dir-lock';
import { OutpostError } from '../../shared/errors';

/**
 * Two processes on one PGlite data dir corrupt it silently (MEASURED-FACTS), so the workspace database has its
 * own lock besides the node's: another process is refused by the pid lock file, and a second Workspace in this
 * same process by the set of open folders (the pid lock alone lets its own process in).
 */
const openHere = new Set<string>();

export class WorkspaceDbLock {
  private constructor(
    private readonly key: string,
    private readonly lock: DataDirLock,
  ) {}

  static acquire(dataDir: string): WorkspaceDbLock {
    const key = join(dataDir, 'workspace-db');
    if (openHere.has(key)) {
      throw new OutpostError('locked', `The workspace database ${key} is already open in this process.`);
    }
    const lock = DataDirLock.acquire(join(dataDir, 'workspace-db.lock'));
    openHere.add(key);
    return new WorkspaceDbLock(key, lock);
  }

  release(): void {
    openHere.delete(this.key);
    this.lock.release();
  }
}

/**
 * Runs async jobs one at a time, in the order they came: the workspace's item and conflict rows and their files
 * are read and written under one (a save never interleaves with a scan, a resolution or a sync's mirroring). A
 * failed job does not stop the ones after it.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const run = this.tail.then(job, job);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Settles once every job queued so far has ended, failed ones too. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
