import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { dirname, join, relative, sep, isAbsolute } from 'node:path';
import { isSafeWorkspacePath } from '../shared/domain/workspace';
import { OutpostError } from '../shared/errors';

/**
 * Resolves a workspace path to an absolute file path, refusing anything that could leave the folder:
 * the syntactic rule of isSafeWorkspacePath ('invalid_input'), then the real path of every existing parent,
 * so a symlinked folder pointing outside (or into .git) is refused too ('forbidden'). The file itself may not
 * be a symlink: writing through it would land wherever it points.
 */
export function resolveWorkspaceFile(root: string, path: string, options: { createParents?: boolean } = {}): string {
  if (!isSafeWorkspacePath(path)) {
    throw new OutpostError('invalid_input', `The workspace path ${JSON.stringify(path.slice(0, 200))} is not allowed: it must be relative, normalized, inside the workspace and not under .git, and a name every OS can write (no Windows device name such as CON or nul.txt, no trailing dot or space, no 8.3 short name such as GIT~1).`);
  }
  const realRoot = realpathSync(root);
  const target = join(realRoot, ...path.split('/'));
  const parent = dirname(target);
  if (options.createParents) mkdirSafely(realRoot, parent);
  const realParent = existingRealPath(parent);
  const rel = relative(realRoot, join(realParent, target.slice(parent.length + 1)));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).some((s) => s.toLowerCase() === '.git')) {
    throw new OutpostError('forbidden', `The workspace path ${JSON.stringify(path)} resolves outside the workspace (through a symlink).`);
  }
  const stat = lstatSync(target, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink()) {
    throw new OutpostError('forbidden', `The workspace path ${JSON.stringify(path)} is a symlink; Outpost does not write through symlinks.`);
  }
  if (stat?.isDirectory()) {
    throw new OutpostError('invalid_input', `The workspace path ${JSON.stringify(path)} is a folder, not an item.`);
  }
  return target;
}

/** The deepest existing ancestor's real path joined with the part that does not exist yet. */
function existingRealPath(path: string): string {
  let current = path;
  const missing: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(current), ...missing.reverse());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      const up = dirname(current);
      if (up === current) throw error;
      missing.push(current.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
      current = up;
    }
  }
}

/** Creates parent folders one at a time, checking each existing one is a real folder inside the root. */
function mkdirSafely(realRoot: string, parent: string): void {
  const rel = relative(realRoot, parent);
  if (rel === '') return;
  let current = realRoot;
  for (const segment of rel.split(sep)) {
    current = join(current, segment);
    const stat = lstatSync(current, { throwIfNoEntry: false });
    if (!stat) mkdirSync(current);
    else if (stat.isSymbolicLink() || !stat.isDirectory()) {
      throw new OutpostError('forbidden', `The workspace folder ${JSON.stringify(relative(realRoot, current))} is a symlink or a file; refusing to write under it.`);
    }
  }
}
