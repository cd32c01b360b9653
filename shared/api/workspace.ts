import { z } from 'zod';
import { method } from './define';
import { workspacePathSchema, type WorkspaceItem, type WorkspaceItemSummary } from '../domain/workspace';
import type { Page } from '../domain/records';

export const workspaceMethods = {
  'workspace.list': method(
    z
      .object({
        prefix: z.string().max(500).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(200),
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
};
