import { existsSync } from 'node:fs';
import git from 'isomorphic-git';
import { resolveWorkspaceFile } from '../../lib/workspace-files';
import { headOid, readWorkFile, repo, BRANCH } from './repo';
import { blobOid } from '../../lib/git-blob';
import type { GitAuthor } from '../../shared/protocol/git';

export interface CommitOutcome {
  oid: string | null;
  /** what the commit changed, path by path (oid null: removed), as written into its tree */
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
  const presentSet = new Set(present);
  for (const path of gone) {
    if (presentSet.has(path)) continue;
    await git.remove({ fs: r.fs, dir, cache: r.cache, filepath: path });
  }
  // The new tree is HEAD's tree with only these paths replaced: a commit costs what changed, not the size of
  // the workspace (isomorphic-git's own commit rebuilds every tree from the whole index).
  const head = await headOid(dir);
  const headTree = head ? (await git.readCommit({ ...r, oid: head })).commit.tree : null;
  const updates = new Map<string, string | null>();
  for (const path of present) {
    const bytes = readWorkFile(dir, path);
    updates.set(path, bytes ? blobOid(bytes) : null);
  }
  for (const path of gone) if (!updates.has(path)) updates.set(path, null);
  const committed: { path: string; oid: string | null }[] = [];
  const tree = (await updateTree(dir, headTree, updates, '', committed)) ?? (await git.writeTree({ ...r, tree: [] }));
  if (committed.length === 0) return { oid: null, committed: [] };
  const now = Math.floor(Date.now() / 1000);
  const signature = { name: author.name, email: author.email, timestamp: now, timezoneOffset: 0 };
  const oid = await git.writeCommit({
    ...r,
    commit: { message: message.endsWith('\n') ? message : message + '\n', tree, parent: head ? [head] : [], author: signature, committer: signature },
  });
  await git.writeRef({ ...r, ref: `refs/heads/${BRANCH}`, value: oid, force: true });
  return { oid, committed };
}

/** A tree with some paths set to blobs (oid) or removed (null), writing only the trees along them. */
export async function editTree(dir: string, base: string | null, updates: Map<string, string | null>): Promise<string> {
  return (await updateTree(dir, base, updates, '', [])) ?? (await git.writeTree({ ...repo(dir), tree: [] }));
}

/** Writes the trees along the changed paths only; records each path whose blob really changed. */
async function updateTree(
  dir: string,
  base: string | null,
  updates: Map<string, string | null>,
  prefix: string,
  committed: { path: string; oid: string | null }[],
): Promise<string | null> {
  const r = repo(dir);
  const entries = new Map<string, { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }>();
  if (base) for (const e of (await git.readTree({ ...r, oid: base })).tree) entries.set(e.path, { ...e });
  const direct = new Map<string, string | null>();
  const nested = new Map<string, Map<string, string | null>>();
  for (const [path, oid] of updates) {
    const slash = path.indexOf('/');
    if (slash < 0) direct.set(path, oid);
    else {
      const head = path.slice(0, slash);
      if (!nested.has(head)) nested.set(head, new Map());
      nested.get(head)!.set(path.slice(slash + 1), oid);
    }
  }
  let changed = false;
  for (const [name, oid] of direct) {
    const existing = entries.get(name);
    if (oid === null) {
      if (existing && existing.type === 'blob') {
        entries.delete(name);
        committed.push({ path: prefix + name, oid: null });
        changed = true;
      }
    } else if (!existing || existing.oid !== oid || existing.type !== 'blob') {
      const mode = existing?.type === 'blob' ? existing.mode : '100644';
      entries.set(name, { mode, path: name, oid, type: 'blob' });
      committed.push({ path: prefix + name, oid });
      changed = true;
    }
  }
  for (const [name, sub] of nested) {
    const existing = entries.get(name);
    const subBase = existing?.type === 'tree' ? existing.oid : null;
    const before = committed.length;
    const subTree = await updateTree(dir, subBase, sub, `${prefix}${name}/`, committed);
    if (committed.length === before) continue;
    changed = true;
    if (subTree) entries.set(name, { mode: '040000', path: name, oid: subTree, type: 'tree' });
    else entries.delete(name);
  }
  if (!changed) return base;
  if (entries.size === 0) return null;
  return git.writeTree({ ...r, tree: [...entries.values()] });
}
