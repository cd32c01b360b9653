import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import git from 'isomorphic-git';
import { decodeText as decodeSharedText } from '../../shared/domain/workspace-merge';
import { resolveWorkspaceFile } from '../../lib/workspace-files';

export const BRANCH = 'main';
export const REMOTE = 'origin';

/**
 * One isomorphic-git cache per workspace folder for the worker's lifetime: it keeps parsed packfiles and the
 * index between calls, which is what makes staging known paths fast (see MEASURED-FACTS).
 */
const caches = new Map<string, object>();
export function cacheFor(dir: string): object {
  let cache = caches.get(dir);
  if (!cache) caches.set(dir, (cache = {}));
  return cache;
}

export function repo(dir: string) {
  return { fs, dir, cache: cacheFor(dir) };
}

export async function ensureRepo(dir: string): Promise<boolean> {
  fs.mkdirSync(dir, { recursive: true });
  if (fs.existsSync(join(dir, '.git', 'HEAD'))) return false;
  await git.init({ fs, dir, defaultBranch: BRANCH });
  return true;
}

/** The branch head, or null before the first commit. */
export async function headOid(dir: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, dir, ref: `refs/heads/${BRANCH}` });
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFoundError') return null;
    throw error;
  }
}

export async function remoteOid(dir: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, dir, ref: `refs/remotes/${REMOTE}/${BRANCH}` });
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFoundError') return null;
    throw error;
  }
}

export async function readBlobBytes(dir: string, oid: string): Promise<Uint8Array> {
  const { blob } = await git.readBlob({ ...repo(dir), oid });
  return blob;
}

/** Text of a blob, or null when Git would call it binary (or it is not valid UTF-8); the BOM is kept. */
export const decodeText = decodeSharedText;

/** The blob id Git gives these bytes, computed without writing anything. */

export function readWorkFile(dir: string, path: string): Uint8Array | null {
  try {
    return fs.readFileSync(resolveWorkspaceFile(dir, path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes (or deletes, with null) a working-tree file atomically, inside the workspace only. */
export function writeWorkFile(dir: string, path: string, bytes: Uint8Array | null, executable = false): void {
  const target = resolveWorkspaceFile(dir, path, { createParents: bytes !== null });
  if (bytes === null) {
    fs.rmSync(target, { force: true });
    return;
  }
  const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  fs.writeFileSync(tmp, bytes, { mode: executable ? 0o755 : 0o644 });
  fs.renameSync(tmp, target);
}

/** Reachable commits, by oid: from each start, following every parent (merges too). */
async function reachable(dir: string, starts: string[], stopAt: ReadonlySet<string> = new Set()): Promise<Set<string>> {
  const seen = new Set<string>();
  const todo = starts.filter((s) => !stopAt.has(s));
  while (todo.length > 0) {
    const oid = todo.pop()!;
    if (seen.has(oid)) continue;
    seen.add(oid);
    const { commit } = await git.readCommit({ ...repo(dir), oid });
    for (const parent of commit.parent) if (!seen.has(parent) && !stopAt.has(parent)) todo.push(parent);
  }
  return seen;
}

const unpushedMemo = new Map<string, { head: string; remote: string | null; count: number }>();
const remoteHistory = new Map<string, { remote: string; commits: Set<string> }>();

/**
 * Commits on the branch the remote does not have, as of the last fetch or push (the remote-tracking ref): what
 * "synced" waits for. Remembered per (head, remote) pair, so asking again after nothing moved reads no commits, and the remote's
 * history per remote head, so a new local commit reads only the commits the remote lacks.
 */
export async function unpushedCommits(dir: string): Promise<number> {
  const head = await headOid(dir);
  if (!head) return 0;
  const remote = await remoteOid(dir);
  const memo = unpushedMemo.get(dir);
  if (memo && memo.head === head && memo.remote === remote) return memo.count;
  let theirs = new Set<string>();
  if (remote) {
    const known = remoteHistory.get(dir);
    theirs = known?.remote === remote ? known.commits : await reachable(dir, [remote]);
    remoteHistory.set(dir, { remote, commits: theirs });
  }
  const count = (await reachable(dir, [head], theirs)).size;
  unpushedMemo.set(dir, { head, remote, count });
  return count;
}
