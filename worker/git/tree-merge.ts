import git from 'isomorphic-git';
import { mergeText } from '../../shared/domain/workspace-merge';
import { decodeText, readBlobBytes, repo } from './repo';
import { editTree } from './commit';
import type { GitConflict, GitResolution } from '../../shared/protocol/git';

/**
 * Outpost's own three-way merge of two commits' trees against their merge base (isomorphic-git's conflicted
 * merge drops the remote side's other changes: MEASURED-FACTS). Subtrees identical on two sides are decided
 * without being read, so a merge costs what changed, not the size of the workspace. Every path is decided:
 * one-sided changes are taken, identical changes taken once, text edits on both sides merged line by line,
 * and the rest recorded as conflicts (modify-modify, modify-delete, binary) unless a matching resolution exists.
 */
export interface TreeEntry {
  mode: string;
  oid: string;
  type: 'blob' | 'tree' | 'commit';
}

/** A working-tree change the merge implies relative to ours (what checkout must write). */
export interface FileChange {
  path: string;
  /** ours' blob at this path before the merge (what the working tree should still hold) */
  from: string | null;
  oid: string | null;
  mode: string | null;
}

export interface TreeMergeResult {
  /** the merged root tree; meaningful only when `conflicts` is empty */
  tree: string;
  changes: FileChange[];
  conflicts: GitConflict[];
  /** ids of the resolutions the merged tree holds */
  applied: string[];
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

export async function mergeTrees(
  dir: string,
  baseTree: string | null,
  oursTree: string,
  theirsTree: string,
  resolutions: GitResolution[] = [],
  held: Iterable<string> = [],
): Promise<TreeMergeResult> {
  const ctx: MergeContext = {
    dir,
    changes: [],
    conflicts: [],
    resolutions: new Map(resolutions.filter((r) => r.twinPath === undefined).map((r) => [r.path, r])),
    held: new Set(held),
    applied: new Set(),
  };
  const { ours, moved } = await applyTwinResolutions(ctx, oursTree, resolutions.filter((r) => r.twinPath !== undefined));
  const tree = await mergeLevel(ctx, baseTree ?? EMPTY_TREE, ours, theirsTree, '');
  // what the twin resolutions moved comes first; where the merge changed the new name further, its change says so
  const changes = [...moved.filter((m) => m.oid === null || !ctx.changes.some((c) => c.path === m.path)), ...ctx.changes];
  return { tree: tree ?? (await git.writeTree({ ...repo(dir), tree: [] })), changes, conflicts: ctx.conflicts, applied: [...ctx.applied] };
}

/**
 * A twin conflict's resolution, applied to ours before the merge: this node's name goes and the kept text is at
 * the remote's name (main wrote that file when the person chose, or the checkout writes it), so the merge meets
 * the remote's file there with the same text, or with what it changed since, like any other path.
 */
async function applyTwinResolutions(ctx: MergeContext, oursTree: string, twins: GitResolution[]): Promise<{ ours: string; moved: FileChange[] }> {
  let ours = oursTree;
  const moved: FileChange[] = [];
  for (const r of twins) {
    const here = await blobAt(ctx.dir, ours, r.path);
    if (here?.oid !== r.localOid) continue; // not what the person saw: the twin is found again
    const oid = 'deleted' in r.result ? null : 'oid' in r.result ? r.result.oid : await git.writeBlob({ ...repo(ctx.dir), blob: new TextEncoder().encode(r.result.text) });
    if (oid !== null && !r.twinPath) continue;
    const updates = new Map<string, string | null>([[r.path, null]]);
    moved.push({ path: r.path, from: here.oid, oid: null, mode: null });
    if (oid !== null && r.twinPath) {
      updates.set(r.twinPath, oid);
      moved.push({ path: r.twinPath, from: null, oid, mode: '100644' });
      if (!ctx.resolutions.has(r.twinPath)) ctx.resolutions.set(r.twinPath, { id: r.id, path: r.twinPath, localOid: oid, remoteOid: r.remoteOid, result: { oid } });
    }
    ours = await editTree(ctx.dir, ours, updates);
    ctx.applied.add(r.id);
  }
  return { ours, moved };
}

/** The blob at a path of a tree, or null. */
export async function blobAt(dir: string, tree: string | null, path: string): Promise<TreeEntry | null> {
  let current: string | null = tree;
  const segments = path.split('/');
  for (let i = 0; i < segments.length && current !== null; i++) {
    const entry = (await readEntries(dir, current)).get(segments[i]!);
    if (!entry) return null;
    if (i === segments.length - 1) return entry.type === 'blob' ? entry : null;
    current = entry.type === 'tree' ? entry.oid : null;
  }
  return null;
}

interface MergeContext {
  dir: string;
  changes: FileChange[];
  conflicts: GitConflict[];
  resolutions: Map<string, GitResolution>;
  /** paths in conflict (or resolved, unmerged) here: changed on both sides, a person decides, never a line merge */
  held: Set<string>;
  applied: Set<string>;
}

export async function readEntries(dir: string, tree: string | null): Promise<Map<string, TreeEntry>> {
  const out = new Map<string, TreeEntry>();
  if (!tree || tree === EMPTY_TREE) return out;
  const { tree: entries } = await git.readTree({ ...repo(dir), oid: tree });
  for (const e of entries) out.set(e.path, { mode: e.mode, oid: e.oid, type: e.type });
  return out;
}

async function mergeLevel(ctx: MergeContext, base: string | null, ours: string | null, theirs: string | null, prefix: string): Promise<string | null> {
  if (ours === theirs) return ours;
  if (base === ours) {
    await diffTrees(ctx, ours, theirs, prefix);
    return theirs;
  }
  if (base === theirs) return ours;

  const [b, o, t] = await Promise.all([readEntries(ctx.dir, base), readEntries(ctx.dir, ours), readEntries(ctx.dir, theirs)]);
  const names = new Set([...b.keys(), ...o.keys(), ...t.keys()]);
  const result: { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' }[] = [];
  for (const name of names) {
    const path = prefix + name;
    const picked = await mergeEntry(ctx, path, b.get(name), o.get(name), t.get(name));
    if (picked) result.push({ mode: picked.mode, path: name, oid: picked.oid, type: picked.type });
  }
  if (result.length === 0) return null;
  return git.writeTree({ ...repo(ctx.dir), tree: result });
}

const isTree = (e: TreeEntry | undefined) => e?.type === 'tree';
const same = (a: TreeEntry | undefined, b: TreeEntry | undefined) => a?.oid === b?.oid && a?.mode === b?.mode;

async function mergeEntry(ctx: MergeContext, path: string, b?: TreeEntry, o?: TreeEntry, t?: TreeEntry): Promise<TreeEntry | undefined> {
  const anyTree = isTree(b) || isTree(o) || isTree(t);
  const allTreesOrAbsent = [b, o, t].every((e) => e === undefined || isTree(e));
  if (anyTree && allTreesOrAbsent) {
    const oid = await mergeLevel(ctx, b?.oid ?? null, o?.oid ?? null, t?.oid ?? null, path + '/');
    return oid ? { mode: '040000', oid, type: 'tree' } : undefined;
  }
  if (same(o, t)) return o;
  if (same(b, o)) {
    await recordTakeTheirs(ctx, path, o, t);
    return t;
  }
  if (same(b, t)) return o;
  if (anyTree) {
    // A file on one side and a folder on the other, both changed: keep ours and ask a person.
    ctx.conflicts.push(conflictOf(path, 'modify-delete', b, o, t, null, null, null));
    return o;
  }
  return mergeFile(ctx, path, b, o, t);
}

async function mergeFile(ctx: MergeContext, path: string, b?: TreeEntry, o?: TreeEntry, t?: TreeEntry): Promise<TreeEntry | undefined> {
  const resolution = ctx.resolutions.get(path);
  if (resolution && resolution.localOid === (o?.oid ?? null) && resolution.remoteOid === (t?.oid ?? null)) {
    ctx.applied.add(resolution.id);
    return applyResolution(ctx, path, resolution, o, t);
  }
  const [baseBytes, oursBytes, theirsBytes] = await Promise.all(
    [b, o, t].map((e) => (e ? readBlobBytes(ctx.dir, e.oid) : Promise.resolve(null))),
  );
  const texts = [baseBytes, oursBytes, theirsBytes].map((x) => (x ? decodeText(x) : null));
  const [baseText = null, oursText = null, theirsText = null] = texts;
  const binary = [baseBytes, oursBytes, theirsBytes].some((x, i) => x !== null && texts[i] === null);
  if (binary) {
    ctx.conflicts.push(conflictOf(path, 'binary', b, o, t, null, null, null));
    return o;
  }
  if (!o || !t) {
    ctx.conflicts.push(conflictOf(path, 'modify-delete', b, o, t, baseText, oursText, theirsText));
    return o;
  }
  // held here: the remote changed it again since the conflict (or its resolution): a person decides, with what this
  // node holds now as its side; a line merge would commit past the resolution, or past the person
  const merged = ctx.held.has(path) ? { clean: false, text: '' } : mergeText(baseText ?? '', oursText ?? '', theirsText ?? '');
  if (!merged.clean) {
    ctx.conflicts.push(conflictOf(path, 'modify-modify', b, o, t, baseText, oursText, theirsText));
    return o;
  }
  const oid = await git.writeBlob({ ...repo(ctx.dir), blob: new TextEncoder().encode(merged.text) });
  const mode = o.mode === t.mode ? o.mode : b && o.mode === b.mode ? t.mode : o.mode;
  if (oid !== o.oid || mode !== o.mode) ctx.changes.push({ path, from: o.oid, oid, mode });
  return { mode, oid, type: 'blob' };
}

async function applyResolution(ctx: MergeContext, path: string, r: GitResolution, o?: TreeEntry, t?: TreeEntry): Promise<TreeEntry | undefined> {
  if ('deleted' in r.result) {
    if (o) ctx.changes.push({ path, from: o.oid, oid: null, mode: null });
    return undefined;
  }
  const oid = 'oid' in r.result ? r.result.oid : await git.writeBlob({ ...repo(ctx.dir), blob: new TextEncoder().encode(r.result.text) });
  const mode = o?.mode ?? t?.mode ?? '100644';
  if (oid !== o?.oid) ctx.changes.push({ path, from: o?.oid ?? null, oid, mode });
  return { mode, oid, type: 'blob' };
}

async function recordTakeTheirs(ctx: MergeContext, path: string, o?: TreeEntry, t?: TreeEntry): Promise<void> {
  if (isTree(o) || isTree(t)) {
    if (isTree(o) && !isTree(t)) await diffTrees(ctx, o!.oid, null, path + '/');
    if (!isTree(o) && o) ctx.changes.push({ path, from: o.oid, oid: null, mode: null });
    if (isTree(t)) await diffTrees(ctx, isTree(o) ? o!.oid : null, t!.oid, path + '/');
    else if (t) ctx.changes.push({ path, from: null, oid: t.oid, mode: t.mode });
    return;
  }
  ctx.changes.push({ path, from: o?.oid ?? null, oid: t?.oid ?? null, mode: t?.mode ?? null });
}

/** Lists every file that differs between two trees (what moving the working tree from `from` to `to` writes). */
export async function diffTrees(ctx: { dir: string; changes: FileChange[] }, from: string | null, to: string | null, prefix: string): Promise<void> {
  if (from === to) return;
  const [a, b] = await Promise.all([readEntries(ctx.dir, from), readEntries(ctx.dir, to)]);
  for (const name of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(name);
    const y = b.get(name);
    if (same(x, y)) continue;
    const path = prefix + name;
    if (isTree(x) || isTree(y)) {
      if (x && !isTree(x)) ctx.changes.push({ path, from: x.oid, oid: null, mode: null });
      await diffTrees(ctx, isTree(x) ? x!.oid : null, isTree(y) ? y!.oid : null, path + '/');
      if (y && !isTree(y)) ctx.changes.push({ path, from: null, oid: y.oid, mode: y.mode });
    } else {
      ctx.changes.push({ path, from: x?.oid ?? null, oid: y?.oid ?? null, mode: y?.mode ?? null });
    }
  }
}

function conflictOf(
  path: string,
  kind: GitConflict['kind'],
  b: TreeEntry | undefined,
  o: TreeEntry | undefined,
  t: TreeEntry | undefined,
  base: string | null,
  local: string | null,
  remote: string | null,
): GitConflict {
  return {
    path,
    kind,
    baseOid: b?.type === 'blob' ? b.oid : null,
    localOid: o?.type === 'blob' ? o.oid : null,
    remoteOid: t?.type === 'blob' ? t.oid : null,
    base,
    local,
    remote,
  };
}
