import { z } from 'zod';

/** A workspace's name, which is also its repository's name on the hub (`/git/<name>.git`). */
export const WORKSPACE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

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
      s !== '' && s !== '.' && s !== '..' && portableKey(s) !== '.git' && !/[\x00-\x1f<>:"|?*]/.test(s) && isPortableSegment(s),
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

/**
 * The name a path is checked out as on a file system that folds case or Unicode normalization: NTFS (Windows)
 * compares names by an uppercase table, APFS (macOS) ignores case and normalization, HFS+ ignores case, stores
 * NFD and skips a few invisible format characters. Two paths with one key are one file (or folder) there, so a
 * repository must not hold both, whatever OS wrote it. The key is conservative: it folds a little more than any
 * one of them (ß with ss, as Unicode's full case folding does), never less:
 * - the HFS+ ignorables (U+200C-200F, U+202A-202E, U+206A-206F, U+FEFF: the list git's own `.git` check uses)
 *   are dropped;
 * - NFC, so canonically equivalent spellings (`é` as one code point or as `e` + U+0301) meet;
 * - lower, upper, lower: every character meets its simple uppercase and lowercase (NTFS's table; checked over
 *   every code point) and the full folds (ẞ, ß, ss; ς, σ, Σ; dotless ı with I and i; µ with μ). A lowercase
 *   alone misses ς/σ, ı/i, µ/μ and ß/ss; an upper-then-lower misses ẞ/ß;
 * - NFC again, since case mapping can leave a decomposed sequence (`ǰ` uppercases to J + U+030C).
 * It keeps every `/`, so a key has as many segments as its path.
 */
const HFS_IGNORABLE = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

export function portableKey(path: string): string {
  return path.replace(HFS_IGNORABLE, '').normalize('NFC').toLowerCase().toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * Two entries of one tree that collide under portableKey, as spelled (a folder with a trailing `/`), and a full
 * path that holds each: `Docs/a.md` and `docs/b.md` collide on their folders, a file `a` and `A/x.md` on `a`.
 */
export interface PathTwin {
  first: string;
  second: string;
  firstPath: string;
  secondPath: string;
}

/**
 * Feeds the paths of one tree (files, or any leaf: every folder on the way is taken from the path) one by one
 * and answers the first twin: every prefix of every path is compared, so folders collide too.
 */
export function createTwinFinder(): (path: string) => PathTwin | null {
  const seen = new Map<string, { entry: string; path: string; folder: boolean }>();
  const folders = new Set<string>(); // folders already taken, as spelled: most paths share their parents
  return (path) => {
    const segments = path.split('/');
    let entry = '';
    for (let i = 0; i < segments.length; i++) {
      entry = i === 0 ? segments[0]! : `${entry}/${segments[i]}`;
      const folder = i < segments.length - 1;
      if (folder && folders.has(entry)) continue;
      if (folder) folders.add(entry);
      const key = portableKey(entry);
      const held = seen.get(key);
      if (held === undefined) seen.set(key, { entry, path, folder });
      else if (held.entry !== entry) {
        return { first: held.folder ? `${held.entry}/` : held.entry, second: folder ? `${entry}/` : entry, firstPath: held.path, secondPath: path };
      }
    }
    return null;
  };
}

/** The first twin among the paths of one tree, or null (the rule the node and the hub's hook both apply). */
export function findPathTwin(paths: Iterable<string>): PathTwin | null {
  const add = createTwinFinder();
  for (const path of paths) {
    const twin = add(path);
    if (twin) return twin;
  }
  return null;
}

/** A path for a message: quoted, and with its code points spelled out when it is not plain ASCII. */
export function showPath(path: string): string {
  const quoted = JSON.stringify(path);
  if (/^[\x20-\x7e]*$/.test(path)) return quoted;
  const escaped = [...path].map((c) => (/[\x20-\x7e]/.test(c) ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`)).join('');
  return `${quoted} (${escaped})`;
}

/** The refusal of a twin, for the node and the hub alike. */
export function pathTwinMessage(twin: PathTwin): string {
  const where = (entry: string, path: string) => (entry === path ? showPath(entry) : `${showPath(entry)} (in ${showPath(path)})`);
  return `${where(twin.first, twin.firstPath)} and ${where(twin.second, twin.secondPath)} differ only in letter case or Unicode normalization: Windows and macOS check them out as one name`;
}

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

/** A Git object id (commit, blob, tree): 40 lowercase hexadecimal characters (SHA-1 repositories). */
export const GIT_OID = /^[0-9a-f]{40}$/;

export const commitIdSchema = z.string().regex(GIT_OID, 'a commit id is 40 lowercase hexadecimal characters');

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
