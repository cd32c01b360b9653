import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createTwinFinder, isSafeWorkspacePath, pathTwinMessage, showPath } from '../../shared/domain/workspace';
import { decodeText, readBlobBytes } from './repo';
import { blobAt, readEntries, type FileChange, type TreeEntry } from './tree-merge';
import type { GitConflict } from '../../shared/protocol/git';

/**
 * Twins in a tree about to be checked out (shared/domain/workspace.ts: two entries with one portableKey, which
 * Windows and macOS check out as one name). Two entries collide only as names of one folder (a twin deeper down
 * has equal parents, spelled alike), so the walk compares the names of each folder, with the shared rule, and goes
 * only where the target differs from ours: what checkout writes, never the whole workspace.
 *
 * - Both names in the remote's tree (a remote that is not an Outpost hub, or history from before its hook): one is
 *   kept (the one on disk here, else the one this node has, else the first in tree order) and the other is not
 *   written, like an unsafe path: `skipped`.
 * - One name only here (a local addition) and one in the remote's tree: `conflicts`, a 'twin' conflict for each
 *   local file, so nothing of the merge is committed or pushed until a person keeps one text under the remote's name.
 * - Both names only here: made before this rule; left alone (the hub refuses such a push and says why).
 */
export interface TreeTwins {
  skipped: { entry: string; kept: string; message: string }[];
  conflicts: { local: string; localEntry: TreeEntry; remote: string; remoteEntry: TreeEntry }[];
}

export async function findTreeTwins(dir: string, target: string | null, ours: string | null, theirs: string | null): Promise<TreeTwins> {
  const out: TreeTwins = { skipped: [], conflicts: [] };
  await visit(dir, target, ours, theirs, '', out);
  return out;
}

async function visit(dir: string, target: string | null, ours: string | null, theirs: string | null, prefix: string, out: TreeTwins): Promise<void> {
  if (target === null || target === ours) return;
  const [t, o, r] = await Promise.all([readEntries(dir, target), readEntries(dir, ours), readEntries(dir, theirs)]);
  const groups = new Map<string, string[]>(); // the first name of each twin group -> the others
  const add = createTwinFinder();
  for (const name of t.keys()) {
    const twin = add(name);
    if (twin) groups.set(twin.first, [...(groups.get(twin.first) ?? []), name]);
  }
  const stop = new Set<string>(); // names not to walk into: skipped, or in conflict
  if (groups.size > 0) {
    let onDisk: Set<string> | null = null;
    for (const [first, others] of groups) {
      const names = [first, ...others];
      const remote = names.filter((n) => r.has(n));
      if (remote.length === 0) continue;
      onDisk ??= new Set(listNames(join(dir, prefix)));
      const kept = remote.find((n) => onDisk!.has(n)) ?? remote.find((n) => o.has(n)) ?? remote[0]!;
      const shown = (n: string) => (t.get(n)!.type === 'tree' ? `${prefix}${n}/` : `${prefix}${n}`);
      for (const name of names) {
        if (name === kept) continue;
        stop.add(name);
        if (r.has(name)) {
          const twin = { first: shown(kept), second: shown(name), firstPath: shown(kept), secondPath: shown(name) };
          out.skipped.push({
            entry: prefix + name,
            kept: prefix + kept,
            message: `The remote's ${pathTwinMessage(twin)}. ${showPath(shown(name))} is not written here: rename or remove one of them on the remote.`,
          });
        } else {
          out.conflicts.push({ local: prefix + name, localEntry: t.get(name)!, remote: prefix + kept, remoteEntry: r.get(kept)! });
        }
      }
    }
  }
  for (const [name, entry] of t) {
    if (entry.type !== 'tree' || stop.has(name)) continue;
    const sub = (m: Map<string, TreeEntry>) => (m.get(name)?.type === 'tree' ? m.get(name)!.oid : null);
    await visit(dir, entry.oid, sub(o), sub(r), `${prefix}${name}/`, out);
  }
}

function listNames(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}

/** Leaves out of a checkout every change at or under a skipped twin. */
export function withoutSkipped(changes: FileChange[], skipped: TreeTwins['skipped']): FileChange[] {
  if (skipped.length === 0) return changes;
  return changes.filter((c) => !skipped.some((s) => c.path === s.entry || c.path.startsWith(`${s.entry}/`)));
}

/**
 * The 'twin' conflicts of one local entry against the remote's: one per local file under it, with the path it
 * would have under the remote's spelling (null where the remote holds a folder at that name, or a file where a
 * folder would be: there only the remote's side can be kept) and the remote's text there, if any.
 */
export async function twinConflicts(dir: string, theirs: string, pair: TreeTwins['conflicts'][number]): Promise<GitConflict[]> {
  const files: { rest: string; entry: TreeEntry }[] = [];
  const collect = async (entry: TreeEntry, rest: string): Promise<void> => {
    if (entry.type === 'blob') files.push({ rest, entry });
    else if (entry.type === 'tree') for (const [name, e] of await readEntries(dir, entry.oid)) await collect(e, `${rest}/${name}`);
  };
  await collect(pair.localEntry, '');
  const out: GitConflict[] = [];
  for (const { rest, entry } of files) {
    const path = pair.local + rest;
    if (!isSafeWorkspacePath(path)) continue;
    const shapesMeet = rest === '' ? pair.remoteEntry.type === 'blob' : pair.remoteEntry.type === 'tree';
    const twinPath = shapesMeet && isSafeWorkspacePath(pair.remote + rest) ? pair.remote + rest : null;
    const remote = twinPath ? await blobAt(dir, theirs, twinPath) : null;
    const [localBytes, remoteBytes] = await Promise.all([readBlobBytes(dir, entry.oid), remote ? readBlobBytes(dir, remote.oid) : Promise.resolve(null)]);
    out.push({
      path,
      kind: 'twin',
      twinPath,
      baseOid: null,
      localOid: entry.oid,
      remoteOid: remote?.oid ?? null,
      base: null,
      local: decodeText(localBytes),
      remote: remoteBytes ? decodeText(remoteBytes) : null,
    });
  }
  return out;
}
