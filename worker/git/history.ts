import git from 'isomorphic-git';
import { OutpostError } from '../../shared/errors';
import { GIT_OID, isSafeWorkspacePath } from '../../shared/domain/workspace';
import { BRANCH, decodeText, headOid, repo } from './repo';
import type { GitCommitInfo } from '../../shared/protocol/git';

/** The branch's commits, newest first; with a path, only those that changed it. */
export async function logCommits(dir: string, limit: number, path?: string): Promise<GitCommitInfo[]> {
  if (!(await headOid(dir))) return [];
  if (path !== undefined && !isSafeWorkspacePath(path)) throw new OutpostError('invalid_input', 'Not a workspace path.');
  let entries;
  try {
    entries = await git.log({ ...repo(dir), ref: `refs/heads/${BRANCH}`, depth: limit, ...(path ? { filepath: path, force: true } : {}) });
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFoundError') return [];
    throw error;
  }
  return entries.slice(0, limit).map((e) => ({
    oid: e.oid,
    message: e.commit.message.trimEnd(),
    author: { name: e.commit.author.name, email: e.commit.author.email, timestamp: e.commit.author.timestamp },
    parents: e.commit.parent,
  }));
}

/** An item's content at a commit: oid null when the path did not exist there. */
export async function showAt(dir: string, commit: string, path: string): Promise<{ oid: string | null; text: string | null; binary: boolean }> {
  if (!GIT_OID.test(commit)) throw new OutpostError('invalid_input', 'A commit id is 40 hexadecimal characters.');
  if (!isSafeWorkspacePath(path)) throw new OutpostError('invalid_input', 'Not a workspace path.');
  try {
    await git.readCommit({ ...repo(dir), oid: commit });
  } catch {
    throw new OutpostError('not_found', `Commit ${commit} is not in this workspace's history.`);
  }
  try {
    const { oid, blob } = await git.readBlob({ ...repo(dir), oid: commit, filepath: path });
    const text = decodeText(blob);
    return { oid, text, binary: text === null };
  } catch (error) {
    if ((error as { code?: string }).code === 'NotFoundError') return { oid: null, text: null, binary: false };
    throw error;
  }
}
