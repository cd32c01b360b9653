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
