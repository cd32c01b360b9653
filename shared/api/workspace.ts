import { z } from 'zod';
import { method, paging } from './define';
import {
  commitIdSchema,
  workspacePathSchema,
  type WorkspaceCommit,
  type WorkspaceCommitResult,
  type WorkspaceItem,
  type WorkspaceItemAtCommit,
  type WorkspaceItemSummary,
  type WorkspaceStatus,
  type WorkspaceSyncResult,
} from '../domain/workspace';
import type { Page } from '../domain/records';

export const workspaceMethods = {
  'workspace.list': method(
    z
      .object({
        prefix: z.string().max(500).optional(),
        ...paging(200),
      })
      .strict(),
  ).returns<Page<WorkspaceItemSummary>>(),
  'workspace.get': method(z.object({ path: workspacePathSchema }).strict()).returns<WorkspaceItem>(),
  'workspace.save': method(
    z
      .object({
        path: workspacePathSchema,
        content: z.string().max(5_000_000),
        expectedVersion: z.number().int().min(1).optional(),
      })
      .strict(),
  ).returns<WorkspaceItem>(),
  'workspace.delete': method(z.object({ path: workspacePathSchema }).strict()).returns<{ path: string; deleted: true }>(),
  /** Commits what changed now (the worker does the Git work), then syncs when a remote is set. */
  'workspace.commit': method(z.object({ sync: z.boolean().default(true) }).strict()).returns<WorkspaceCommitResult>(),
  /** Commit, fetch, fast-forward or merge, push. */
  'workspace.sync': method(z.object({}).strict()).returns<WorkspaceSyncResult>(),
  'workspace.status': method(z.object({}).strict()).returns<WorkspaceStatus>(),
  /** History of the workspace, or of one item when `path` is given; newest first. */
  'workspace.log': method(
    z.object({ path: workspacePathSchema.optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
  ).returns<WorkspaceCommit[]>(),
  /** An item as it was at a commit. */
  'workspace.show': method(z.object({ path: workspacePathSchema, commit: commitIdSchema }).strict()).returns<WorkspaceItemAtCommit>(),
  /** Brings back an item as it was at a commit, as a new commit (deleting it if it did not exist then). */
  'workspace.restore': method(z.object({ path: workspacePathSchema, commit: commitIdSchema }).strict()).returns<{
    item: WorkspaceItem | null;
    commit: string | null;
  }>(),
};
