import { existsSync } from 'node:fs';
import git from 'isomorphic-git';
import { resolveWorkspaceFile } from '../../main/workspace/safe-path';
import { headOid, repo, BRANCH } from './repo';
import type { GitAuthor } from './protocol';

/**
 * Stages exactly the paths main knows changed (one batched `add`, never a status walk of the whole tree: that
 * is 13x the git CLI at 10,000 files) and commits them. A path listed as changed whose file is gone is staged
 * as a removal. Returns null when nothing was given to commit.
 */
export async function commitPaths(
  dir: string,
  changed: string[],
  removed: string[],
  message: string,
  author: GitAuthor,
): Promise<string | null> {
  const present: string[] = [];
  const gone = new Set(removed);
  for (const path of new Set(changed)) {
    resolveWorkspaceFile(dir, path); // throws on an unsafe path before anything is staged
    if (existsSync(resolveWorkspaceFile(dir, path))) present.push(path);
    else gone.add(path);
  }
  if (present.length === 0 && gone.size === 0) return null;
  const r = repo(dir);
  if (present.length > 0) await git.add({ ...r, filepath: present });
  const head = await headOid(dir);
  for (const path of gone) {
    if (present.includes(path)) continue;
    await git.remove({ fs: r.fs, dir, cache: r.cache, filepath: path });
  }
  const now = Math.floor(Date.now() / 1000);
  const signature = { name: author.name, email: author.email, timestamp: now, timezoneOffset: 0 };
  return git.commit({
    ...r,
    ref: `refs/heads/${BRANCH}`,
    message,
    author: signature,
    committer: signature,
    ...(head ? { parent: [head] } : {}),
  });
}

export function autoCommitMessage(count: number, at = new Date()): string {
  return `Auto-commit: ${count} items at ${at.toISOString()}`;
}
