import { diff3Merge } from 'node-diff3';

/**
 * Outpost's three-way text merge, line based like `git merge-file`: changes on one side only are taken,
 * identical changes on both sides are taken once, overlapping or touching changes are a conflict hunk.
 * Pure (no Node built-ins): the worker merges with it and the review window shows its hunks.
 */
export type MergeRegion =
  | { kind: 'ok'; text: string }
  | { kind: 'conflict'; base: string; local: string; remote: string };

export interface TextMergeResult {
  clean: boolean;
  regions: MergeRegion[];
  /** the merged text when clean; with conflicts, the text with local's side in each conflict hunk */
  text: string;
  conflicts: number;
}

/** Splits after every newline so that a missing final newline stays visible to the merge, as in Git. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

export function mergeText(base: string, local: string, remote: string): TextMergeResult {
  if (local === remote) return { clean: true, regions: [{ kind: 'ok', text: local }], text: local, conflicts: 0 };
  if (base === local) return { clean: true, regions: [{ kind: 'ok', text: remote }], text: remote, conflicts: 0 };
  if (base === remote) return { clean: true, regions: [{ kind: 'ok', text: local }], text: local, conflicts: 0 };

  const raw = diff3Merge(splitLines(local), splitLines(base), splitLines(remote), { excludeFalseConflicts: true });
  const regions: MergeRegion[] = [];
  for (const region of raw) {
    if (region.ok) {
      pushOk(regions, region.ok.join(''));
    } else if (region.conflict) {
      const { a, o, b } = region.conflict;
      regions.push({ kind: 'conflict', local: a.join(''), base: o.join(''), remote: b.join('') });
    }
  }
  const conflicts = regions.filter((r) => r.kind === 'conflict').length;
  const text = regions.map((r) => (r.kind === 'ok' ? r.text : r.local)).join('');
  return { clean: conflicts === 0, regions, text, conflicts };
}

function pushOk(regions: MergeRegion[], text: string): void {
  if (text === '') return;
  const last = regions[regions.length - 1];
  if (last?.kind === 'ok') last.text += text;
  else regions.push({ kind: 'ok', text });
}

/** What a person chose for one conflict hunk in the review window. */
export type HunkChoice = 'local' | 'remote' | 'local+remote' | 'remote+local' | 'base' | { text: string };

/** Builds the result text from the regions and a choice per conflict hunk (in order); unchosen hunks keep local. */
export function applyHunkChoices(regions: MergeRegion[], choices: (HunkChoice | undefined)[]): string {
  let conflictIndex = 0;
  let out = '';
  for (const region of regions) {
    if (region.kind === 'ok') {
      out += region.text;
      continue;
    }
    const choice = choices[conflictIndex++] ?? 'local';
    if (typeof choice === 'object') out += choice.text;
    else if (choice === 'local') out += region.local;
    else if (choice === 'remote') out += region.remote;
    else if (choice === 'base') out += region.base;
    else if (choice === 'local+remote') out += joinSides(region.local, region.remote);
    else out += joinSides(region.remote, region.local);
  }
  return out;
}

/** Both sides one after the other, never gluing two lines together when the first lacks a final newline. */
function joinSides(first: string, second: string): string {
  if (first === '' || second === '' || first.endsWith('\n')) return first + second;
  return first + '\n' + second;
}

/** Git's rule for binary content: a NUL byte in the first 8,000 bytes. */
export function looksBinary(bytes: Uint8Array): boolean {
  const end = Math.min(bytes.length, 8000);
  for (let i = 0; i < end; i++) if (bytes[i] === 0) return true;
  return false;
}

// ignoreBOM: a byte-order mark is content; TextDecoder strips it by default, and a merge or a save would drop it
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A file's bytes as text, byte for byte (BOM kept), or null for binary or invalid UTF-8. One rule for node and worker. */
export function decodeText(bytes: Uint8Array): string | null {
  if (looksBinary(bytes)) return null;
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}
