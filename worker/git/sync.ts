import git from 'isomorphic-git';
import { timedHttpClient } from './http';
import { pushBranch } from './push';
import { OutpostError } from '../../shared/errors';
import { applyChanges } from './checkout';
import { diffTrees, mergeTrees, type FileChange } from './tree-merge';
import { findTreeTwins, twinConflicts, withoutSkipped, type TreeTwins } from './twins';
import { BRANCH, REMOTE, headOid, remoteOid, repo } from './repo';
import type { GitAuthor, GitRemote, GitResolution, GitSyncResult } from '../../shared/protocol/git';

const http = timedHttpClient();

export type ProgressReporter = (phase: string, loaded: number, total: number) => void;

/**
 * One sync with the remote: fetch, then fast-forward, merge (Outpost's own three-way merge, a commit with two
 * parents) or stop at conflicts, then push. A push refused because the remote moved meanwhile starts over
 * from the fetch, up to `maxAttempts` times.
 */
export async function syncWithRemote(
  dir: string,
  remote: GitRemote,
  author: GitAuthor,
  resolutions: GitResolution[],
  progress: ProgressReporter = () => {},
  maxAttempts = 3,
  held: string[] = [],
): Promise<GitSyncResult> {
  const r = repo(dir);
  await git.addRemote({ fs: r.fs, dir, remote: REMOTE, url: remote.url, force: true });
  const onAuth = () => ({ username: remote.username, password: remote.password });
  const onProgress = (p: { phase: string; loaded: number; total?: number }) => progress(p.phase, p.loaded, p.total ?? 0);
  const result: GitSyncResult = {
    outcome: 'up-to-date',
    head: null,
    remoteHead: null,
    mergeCommit: null,
    applied: [],
    pushed: false,
    attempts: 0,
    changed: [],
    skipped: [],
    twins: [],
    conflicts: [],
  };

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    result.attempts = attempt;
    progress('fetch', 0, 0);
    await fetchRemote(dir, onAuth, onProgress);
    const theirs = await remoteOid(dir);
    const ours = await headOid(dir);
    result.remoteHead = theirs;

    if (!theirs && !ours) {
      result.outcome = 'no-remote-branch';
      return result;
    }
    if (theirs && theirs !== ours) {
      const integrated = await integrate(dir, ours, theirs, author, resolutions, held, result).catch((error: unknown) => {
        throw unsafeRemoteTree(error, theirs);
      });
      if (!integrated) return result; // conflicts: nothing committed, nothing pushed
    }
    result.head = await headOid(dir);
    if (result.head === theirs) return finish(result); // nothing of ours the remote lacks
    progress('push', 0, 0);
    const pushed = (await pushBranch(dir, remote.url, remote)) !== 'rejected';
    if (pushed) {
      result.pushed = true;
      if (result.outcome === 'up-to-date') result.outcome = 'pushed';
      return finish(result);
    }
    progress('push-rejected', attempt, maxAttempts);
  }
  throw new OutpostError('conflict', `The remote kept moving: the push was refused ${maxAttempts} times. Sync again later.`);
}

function finish(result: GitSyncResult): GitSyncResult {
  if (result.mergeCommit) result.outcome = 'merged';
  return result;
}

/** Brings `theirs` into the branch: fast-forward, or a merge commit. False when conflicts stop it. */
async function integrate(
  dir: string,
  ours: string | null,
  theirs: string,
  author: GitAuthor,
  resolutions: GitResolution[],
  held: string[],
  result: GitSyncResult,
): Promise<boolean> {
  const r = repo(dir);
  if (ours && (await git.isDescendent({ ...r, oid: ours, ancestor: theirs, depth: -1 }))) return true; // ahead: push only
  const oursTree = ours ? await treeOf(dir, ours) : null;
  const theirsTree = await treeOf(dir, theirs);

  if (!ours || (await git.isDescendent({ ...r, oid: theirs, ancestor: ours, depth: -1 }))) {
    const ctx = { dir, changes: [] as FileChange[] };
    await diffTrees(ctx, oursTree, theirsTree, '');
    // every name is the remote's here: a twin is only ever skipped
    const twins = await findTreeTwins(dir, theirsTree, oursTree, theirsTree);
    await git.writeRef({ ...r, ref: `refs/heads/${BRANCH}`, value: theirs, force: true });
    await collect(dir, withoutSkipped(ctx.changes, twins.skipped), result);
    noteTwins(result, twins);
    if (result.outcome !== 'merged') result.outcome = 'fast-forward';
    return true;
  }

  const bases = await git.findMergeBase({ ...r, oids: [ours, theirs] });
  // Unrelated histories (two nodes that each started a workspace) merge against an empty base.
  const baseTree = bases.length > 0 ? await treeOf(dir, String(bases[0])) : null;
  const merged = await mergeTrees(dir, baseTree, oursTree!, theirsTree, resolutions, held);
  // before anything is written: a name of this node's and one of the remote's that are one name on Windows and
  // macOS stop the merge as twin conflicts; two of the remote's names, one is not written
  const twins = await findTreeTwins(dir, merged.tree, oursTree, theirsTree);
  for (const pair of twins.conflicts) merged.conflicts.push(...(await twinConflicts(dir, theirsTree, pair)));
  if (merged.conflicts.length > 0) {
    result.outcome = 'conflicts';
    result.conflicts = merged.conflicts;
    result.head = ours;
    return false;
  }
  const now = Math.floor(Date.now() / 1000);
  const signature = { name: author.name, email: author.email, timestamp: now, timezoneOffset: 0 };
  const commit = await git.commit({
    ...r,
    ref: `refs/heads/${BRANCH}`,
    message: `Merge ${REMOTE}/${BRANCH} into ${BRANCH}`,
    author: signature,
    committer: signature,
    parent: [ours, theirs],
    tree: merged.tree,
  });
  result.mergeCommit = commit;
  result.outcome = 'merged';
  // the resolutions this commit holds (a later attempt's merge descends from it, so they stay held)
  for (const id of merged.applied) if (!result.applied.includes(id)) result.applied.push(id);
  await collect(dir, withoutSkipped(merged.changes, twins.skipped), result);
  noteTwins(result, twins);
  return true;
}

function noteTwins(result: GitSyncResult, twins: TreeTwins): void {
  for (const skip of twins.skipped) if (!result.twins.some((t) => t.entry === skip.entry)) result.twins.push(skip);
}

async function collect(dir: string, changes: FileChange[], result: GitSyncResult): Promise<void> {
  const applied = await applyChanges(dir, changes);
  result.changed.push(...applied.changed);
  result.skipped.push(...applied.skipped);
}

async function treeOf(dir: string, commit: string): Promise<string> {
  const { commit: c } = await git.readCommit({ ...repo(dir), oid: commit });
  return c.tree;
}

async function fetchRemote(
  dir: string,
  onAuth: () => { username: string; password: string },
  onProgress: (p: { phase: string; loaded: number; total?: number }) => void,
): Promise<void> {
  try {
    // `ref` is also what isomorphic-git offers as "have": the remote-tracking head is a commit the remote
    // knows (our own branch head usually is not), so the remote sends only what is new, not the whole history
    await git.fetch({
      ...repo(dir),
      http,
      remote: REMOTE,
      ref: `refs/remotes/${REMOTE}/${BRANCH}`,
      remoteRef: `refs/heads/${BRANCH}`,
      singleBranch: true,
      tags: false,
      onAuth,
      onProgress,
    });
  } catch (error) {
    throw remoteError(error, 'fetch');
  }
}

/**
 * A remote tree holding a path no checkout can write safely (`..\\x`, a backslash name): isomorphic-git refuses
 * to read it. That is the remote's fault and stays so until someone fixes the remote: say so, with the path.
 */
function unsafeRemoteTree(error: unknown, remoteCommit: string): unknown {
  const e = error as { code?: string; data?: { filepath?: string } };
  if (e?.code !== 'UnsafeFilepathError') return error;
  return new OutpostError(
    'conflict',
    `The remote's commit ${remoteCommit.slice(0, 10)} holds a path that cannot be checked out safely (${JSON.stringify(e.data?.filepath ?? '?')}). ` +
      'Nothing was merged or pushed. Remove or rename that path on the remote (git rm, then push), then sync again.',
  );
}

function remoteError(error: unknown, what: string): Error {
  if (error instanceof OutpostError) return error;
  const e = error as { code?: string; message?: string; data?: { statusCode?: number } };
  const status = e.data?.statusCode;
  if (e.code === 'HttpError' && (status === 401 || status === 403)) {
    return new OutpostError('unauthorized', `The Git remote refused the credentials during ${what} (HTTP ${status}). Check the token.`);
  }
  if (e.code === 'HttpError') return new OutpostError('unavailable', `The Git remote answered HTTP ${status ?? '?'} during ${what}.`);
  const sys = (error as NodeJS.ErrnoException).code;
  if (sys === 'ENETWORK') return new OutpostError('unavailable', `${(error as Error).message} (during ${what}).`);
  if (sys && /^E[A-Z]+$/.test(sys)) return new OutpostError('unavailable', `The Git remote is unreachable (${sys}) during ${what}.`);
  return error instanceof Error ? error : new Error(String(error));
}
