import git from 'isomorphic-git';
import { decodeText, readBlobBytes, readWorkFile, repo, writeWorkFile } from './repo';
import { blobOid } from '../../lib/git-blob';
import type { FileChange } from './tree-merge';
import type { GitChangedPath } from '../../shared/protocol/git';

/**
 * Moves the working tree and the index along the given changes, touching only those paths (a full checkout
 * walks every file). A file is overwritten only while it still holds what it held before (ours), or already
 * holds the target: an edit made meanwhile by a person or by main is never overwritten, only reported.
 * Symlinks and unsafe paths from a remote are never written.
 */
export async function applyChanges(dir: string, changes: FileChange[]): Promise<{ changed: GitChangedPath[]; skipped: string[] }> {
  const r = repo(dir);
  const changed: GitChangedPath[] = [];
  const skipped: string[] = [];
  const toAdd: string[] = [];
  for (const change of changes) {
    try {
      if (change.mode === '120000' || change.mode === '160000') {
        skipped.push(change.path);
        continue;
      }
      const current = readWorkFile(dir, change.path);
      const currentOid = current ? blobOid(current) : null;
      const untouched = currentOid === change.from || currentOid === change.oid;
      if (change.oid === null) {
        if (untouched) writeWorkFile(dir, change.path, null);
        else skipped.push(change.path);
        await git.remove({ fs: r.fs, dir, cache: r.cache, filepath: change.path });
        changed.push({ path: change.path, oid: null, text: null, binary: false });
        continue;
      }
      const bytes = await readBlobBytes(dir, change.oid);
      if (untouched) {
        if (currentOid !== change.oid || change.mode === '100755') writeWorkFile(dir, change.path, bytes, change.mode === '100755');
        toAdd.push(change.path);
      } else {
        skipped.push(change.path);
        await git.updateIndex({ ...r, filepath: change.path, oid: change.oid, mode: Number.parseInt(change.mode ?? '100644', 8), add: true });
      }
      const text = decodeText(bytes);
      changed.push({ path: change.path, oid: change.oid, text, binary: text === null });
    } catch (error) {
      // an unsafe path (.git, .., a symlinked folder) from a remote tree: never written
      if ((error as { name?: string }).name === 'OutpostError') skipped.push(change.path);
      else throw error;
    }
  }
  if (toAdd.length > 0) await git.add({ ...r, filepath: toAdd });
  return { changed, skipped };
}
