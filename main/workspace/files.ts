import { blobOid } from '../../lib/git-blob';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { writeFileAtomic } from '../../lib/fs-atomic';
import { isSafeWorkspacePath } from '../../shared/domain/workspace';
import { decodeText } from '../../shared/domain/workspace-merge';
import { resolveWorkspaceFile } from '../../lib/workspace-files';

/** The Git blob id of some content: how the store and Git agree on "the same content" without reading Git. */

export function itemTypeOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  if (/\.agent\.(json|ya?ml|md)$/.test(name) || path.startsWith('agents/')) return 'agent';
  if (/\.workflow\.(json|ya?ml|md)$/.test(name) || path.startsWith('workflows/')) return 'workflow';
  if (/\.(json|ya?ml|toml|ini|env|conf)$/.test(name)) return 'config';
  if (/\.(md|txt)$/.test(name)) return 'note';
  return 'file';
}

/** Temp files of atomic writes (ours and the worker's): `.name.<12 hex>.tmp`, never items. */
const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;

export interface FileFacts {
  path: string;
  mtimeMs: number;
  size: number;
}

/** Every regular file under the root except `.git` and temp files; symlinks are never followed. */
export async function listFiles(root: string): Promise<FileFacts[]> {
  const out: FileFacts[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    let names;
    try {
      names = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of names) {
      const rel = prefix + entry.name;
      if (entry.name.toLowerCase() === '.git' || TEMP_FILE.test(entry.name)) continue;
      if (entry.isDirectory()) await walk(join(dir, entry.name), rel + '/');
      else if (entry.isFile() && isSafeWorkspacePath(rel)) {
        const st = await lstat(join(dir, entry.name)).catch(() => null);
        if (st?.isFile()) out.push({ path: rel, mtimeMs: st.mtimeMs, size: st.size });
      }
    }
  };
  await walk(root, '');
  return out;
}

export interface FileContent {
  bytes: Uint8Array;
  text: string | null;
  oid: string;
}

export async function readWorkspaceFile(root: string, path: string): Promise<(FileContent & FileFacts) | null> {
  let target: string;
  try {
    target = resolveWorkspaceFile(root, path);
  } catch {
    return null; // unsafe or now a symlink: not an item
  }
  try {
    const bytes = await readFile(target);
    const st = statSync(target);
    // the text byte for byte (BOM kept), or null for binary: the worker's rule
    return { path, bytes, text: decodeText(bytes), oid: blobOid(bytes), mtimeMs: st.mtimeMs, size: st.size };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Writes an item's file atomically (temp + fsync + rename) and returns its new stat facts. */
export function writeItemFile(root: string, path: string, content: string): FileFacts {
  const target = resolveWorkspaceFile(root, path, { createParents: true });
  writeFileAtomic(target, content);
  const st = statSync(target);
  return { path, mtimeMs: st.mtimeMs, size: st.size };
}
