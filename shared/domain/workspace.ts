import { z } from 'zod';

/**
 * A workspace path: relative, forward slashes, normalized, inside the workspace, never under `.git`.
 * The same rule is enforced again on the file system side (resolved path must stay under the root).
 */
export const workspacePathSchema = z
  .string()
  .min(1)
  .max(500)
  .refine((p) => isSafeWorkspacePath(p), {
    message: 'a workspace path is relative, uses forward slashes, has no . or .. segments and is not under .git',
  });

export function isSafeWorkspacePath(p: string): boolean {
  if (p.startsWith('/') || p.includes('\\') || p.includes('\0') || /^[A-Za-z]:/.test(p)) return false;
  const segments = p.split('/');
  return segments.every(
    (s) =>
      s !== '' && s !== '.' && s !== '..' && s.toLowerCase() !== '.git' && !/[\x00-\x1f<>:"|?*]/.test(s) && isPortableSegment(s),
  );
}

/**
 * A name every OS can check out: a repository written on Linux is checked out on Windows and macOS too. Not a
 * Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, also with an extension: `nul.txt`), no trailing dot
 * or space (Windows drops them), no 8.3 short-name form (`GIT~1`: any `~digit`, which can alias `.git`).
 */
const RESERVED_DEVICE = '(con|prn|aux|nul|(com|lpt)([0-9]|\u00b9|\u00b2|\u00b3))';
const RESERVED_SEGMENT = new RegExp(`^${RESERVED_DEVICE} *(\\..*)?$`, 'i');

export function isPortableSegment(s: string): boolean {
  if (/[. ]$/.test(s)) return false;
  if (/~[0-9]/.test(s)) return false;
  return !RESERVED_SEGMENT.test(s);
}

/**
 * The same rule as a POSIX extended regular expression over whole paths, for the hub's pre-receive hook
 * (`grep -iE`, byte-wise under LC_ALL=C: the superscript digits are alternatives, not a bracket class).
 */
export const NON_PORTABLE_PATH_ERE = `(^|/)${RESERVED_DEVICE} *(\\.[^/]*)?(/|$)|[. ](/|$)|~[0-9]`;

export type WorkspaceItemStatus = 'pending' | 'committed' | 'synced' | 'conflict';

export interface WorkspaceItem {
  id: string;
  path: string;
  type: string; // from the extension: agent, workflow, config, note, ...
  content: string;
  version: number;
  modifiedAt: string;
  modifiedBy: string;
  syncStatus: WorkspaceItemStatus;
  conflictId: string | null;
}

export type WorkspaceItemSummary = Omit<WorkspaceItem, 'content'> & { size: number };

export const commitIdSchema = z.string().regex(/^[0-9a-f]{40}$/, 'a commit id is 40 lowercase hexadecimal characters');

/** One commit of the workspace history. */
export interface WorkspaceCommit {
  id: string;
  message: string;
  author: { name: string; email: string };
  at: string; // ISO time
  parents: string[];
}

export interface WorkspaceCommitResult {
  /** null when nothing had changed: no commit is made then */
  commit: string | null;
  items: number;
}

export type WorkspaceSyncOutcome = 'up-to-date' | 'pushed' | 'fast-forward' | 'merged' | 'conflicts' | 'no-remote' | 'no-remote-branch';

export interface WorkspaceSyncResult {
  outcome: WorkspaceSyncOutcome;
  commit: string | null; // the local commit made first, if any
  head: string | null;
  mergeCommit: string | null;
  pushed: boolean;
  attempts: number;
  changed: number; // items the remote changed here
  conflicts: number; // pending text conflicts after this sync
  durationMs: number;
}

export interface WorkspaceItemAtCommit {
  commit: string;
  path: string;
  exists: boolean;
  binary: boolean;
  content: string | null;
}

export interface WorkspaceStatus {
  head: string | null;
  /** commits the hub lacks, as of the last fetch or push */
  unpushedCommits: number;
  remoteUrl: string | null; // without credentials
  pending: number;
  conflicts: number;
  lastCommitAt: string | null;
  lastSyncAt: string | null;
  lastError: string | null;
  busy: boolean;
}

/** Progress of a workspace commit or sync, for the Workspace page and the tray. */
export interface WorkspaceProgress {
  phase: 'commit' | 'fetch' | 'merge' | 'push' | 'push-rejected' | 'done' | 'error' | string;
  loaded: number;
  total: number;
  message?: string;
}
