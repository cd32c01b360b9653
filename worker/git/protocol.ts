/**
 * Messages between main and the Git module in the utility process. Every request names the workspace folder
 * (`dir`); the worker keeps one long-lived isomorphic-git cache per folder. Requests carry a `kind` starting
 * with 'git.' so the worker's entry can route them here.
 */
export interface GitAuthor {
  name: string;
  email: string;
}

export interface GitRemote {
  url: string;
  username: string;
  /** the node token or the remote's token; never logged */
  password: string;
}

/** How a person resolved a conflicted path; applied only while both sides are still what they saw. */
export interface GitResolution {
  path: string;
  localOid: string | null;
  remoteOid: string | null;
  result: { text: string } | { oid: string } | { deleted: true };
}

export type GitConflictKind = 'modify-modify' | 'modify-delete' | 'binary';

export interface GitConflict {
  path: string;
  kind: GitConflictKind;
  baseOid: string | null;
  localOid: string | null;
  remoteOid: string | null;
  /** text content of each side (null: absent on that side, or binary) */
  base: string | null;
  local: string | null;
  remote: string | null;
}

/** A path the worker changed in the working tree (merge, fast-forward, checkout): main mirrors it in PGlite. */
export interface GitChangedPath {
  path: string;
  /** null: deleted */
  oid: string | null;
  text: string | null;
  binary: boolean;
}

export interface GitCommitInfo {
  oid: string;
  message: string;
  author: { name: string; email: string; timestamp: number };
  parents: string[];
}

export type GitRequest =
  | { kind: 'git.init'; dir: string }
  | { kind: 'git.commit'; dir: string; changed: string[]; removed: string[]; message: string; author: GitAuthor }
  | {
      kind: 'git.sync';
      dir: string;
      remote: GitRemote;
      author: GitAuthor;
      resolutions: GitResolution[];
      maxAttempts?: number;
    }
  | { kind: 'git.log'; dir: string; path?: string; limit: number }
  | { kind: 'git.show'; dir: string; oid: string; path: string }
  | { kind: 'git.head'; dir: string };

export type GitSyncOutcome = 'up-to-date' | 'pushed' | 'fast-forward' | 'merged' | 'conflicts' | 'no-remote-branch';

export interface GitSyncResult {
  outcome: GitSyncOutcome;
  head: string | null;
  remoteHead: string | null;
  /** set when a merge commit was made */
  mergeCommit: string | null;
  pushed: boolean;
  attempts: number;
  changed: GitChangedPath[];
  /** working-tree paths not overwritten because they changed locally during the sync */
  skipped: string[];
  conflicts: GitConflict[];
}

export interface GitResponses {
  'git.init': { head: string | null; created: boolean };
  'git.commit': { oid: string | null; committed: { path: string; oid: string | null }[] };
  'git.sync': GitSyncResult;
  'git.log': GitCommitInfo[];
  'git.show': { oid: string | null; text: string | null; binary: boolean };
  'git.head': { head: string | null };
}

export type GitResponse<K extends GitRequest['kind']> = GitResponses[K];

/** Progress the worker reports while a request runs (fetch/push phases). */
export interface GitProgress {
  kind: 'git.progress';
  dir: string;
  phase: string;
  loaded: number;
  total: number;
}

/** The reply envelope on the wire. Errors carry an OutpostError shape. */
export type GitReply =
  | { ok: true; value: unknown }
  | { ok: false; error: { code: string; message: string } };

export function isGitRequest(msg: unknown): msg is GitRequest {
  return (
    typeof msg === 'object' &&
    msg !== null &&
    typeof (msg as { kind?: unknown }).kind === 'string' &&
    (msg as { kind: string }).kind.startsWith('git.')
  );
}
