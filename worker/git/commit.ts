import { existsSync } from 'node:fs';
import git from 'isomorphic-git';
import { resolveWorkspaceFile } from '../../main/workspace/safe-path';
import { headOid, repo, BRANCH } from './repo';
import { diffTrees, type FileChange } from './tree-merge';
import type { GitAuthor } from './protocol';

export interface CommitOutcome {
  oid: string | null;
  /** what the commit changed, path by path (oid null: removed), read back from the trees */
  committed: { path: string; oid: string | null }[];
}

/**
 * Stages exactly the paths main knows changed (one batched `add`, never a status walk of the whole tree: that
 * is 13x the git CLI at 10,000 files) and commits them. A path listed as changed whose file is gone is staged
 * as a removal. No commit is left behind when the staged tree equals the parent's.
 */
export async function commitPaths(
  dir: string,
  changed: string[],
  removed: string[],
  message: string,
  author: GitAuthor,
): Promise<CommitOutcome> {
  const present: string[] = [];
  const gone = new Set(removed);
  for (const path of new Set(changed)) {
    resolveWorkspaceFile(dir, path); // throws on an unsafe path before anything is staged
    if (existsSync(resolveWorkspaceFile(dir, path))) present.push(path);
    else gone.add(path);
  }
  if (present.length === 0 && gone.size === 0) return { oid: null, committed: [] };
  const r = repo(dir);
  if (present.length > 0) await git.add({ ...r, filepath: present });
  const head = await headOid(dir);
  for (const path of gone) {
    if (present.includes(path)) continue;
    await git.remove({ fs: r.fs, dir, cache: r.cache, filepath: path });
  }
  const now = Math.floor(Date.now() / 1000);
  const signature = { name: author.name, email: author.email, timestamp: now, timezoneOffset: 0 };
  const oid = await git.commit({
    ...r,
    ref: `refs/heads/${BRANCH}`,
    message,
    author: signature,
    committer: signature,
    ...(head ? { parent: [head] } : {}),
  });
  const parentTree = head ? (await git.readCommit({ ...r, oid: head })).commit.tree : null;
  const tree = (await git.readCommit({ ...r, oid })).commit.tree;
  const ctx = { dir, changes: [] as FileChange[] };
  await diffTrees(ctx, parentTree, tree, '');
  if (head && ctx.changes.length === 0) {
    // the files already matched HEAD: take the empty commit back (it stays an unreachable loose object)
    await git.writeRef({ ...r, ref: `refs/heads/${BRANCH}`, value: head, force: true });
    return { oid: null, committed: [] };
  }
  return { oid, committed: ctx.changes.map((c) => ({ path: c.path, oid: c.oid })) };
}

export function autoCommitMessage(count: number, at = new Date()): string {
  return `Auto-commit: ${count} items at ${at.toISOString()}`;
}
