import { openSync, closeSync, writeSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { OutpostError } from '../shared/errors';

/**
 * One node per data folder. Two processes on one PGlite data dir corrupt it silently, and two writers on one
 * SQLite file fight over it, so the whole folder is guarded by `node.lock` holding the owner's pid. A lock left
 * by a dead process is taken over.
 */
const heldHere = new Set<string>();

export class DataDirLock {
  private constructor(private readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, 'node.lock');
    if (heldHere.has(path)) {
      throw new OutpostError('locked', `The data folder ${dataDir} is already in use by a node in this process.`);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        heldHere.add(path);
        return new DataDirLock(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number.parseInt(safeRead(path), 10);
        // our own pid here means a previous process that had the same pid: its lock is stale
        if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
          throw new OutpostError(
            'locked',
            `The data folder ${dataDir} is in use by another Outpost process (pid ${owner}). Stop it or choose another --data folder.`,
          );
        }
        rmSync(path, { force: true }); // stale: its owner is gone
      }
    }
    throw new OutpostError('locked', `Could not lock the data folder ${dataDir}.`);
  }

  release(): void {
    if (!heldHere.delete(this.path)) return;
    if (safeRead(this.path) === String(process.pid)) rmSync(this.path, { force: true });
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
