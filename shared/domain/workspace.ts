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
    (s) => s !== '' && s !== '.' && s !== '..' && s.toLowerCase() !== '.git' && !/[\x00-\x1f<>:"|?*]/.test(s),
  );
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
