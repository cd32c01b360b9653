import { z } from 'zod';
import { method, paging } from './define';
import { queueStatusSchema, type QueueItem, type QueueStats } from '../domain/queue';
import type { Page } from '../domain/records';
import type { SyncStatus } from '../domain/sync-status';

export interface SyncCycleResult {
  pushed: number;
  pulled: number;
  conflicts: number;
  failed: number;
  bytesRaw: number;
  bytesWire: number;
  durationMs: number;
}

/** What sync.connect did: whether the hub confirmed the token, in words a person can act on, and the status. */
export interface HubConnection {
  verified: boolean;
  message: string;
  status: SyncStatus;
}

export const syncMethods = {
  'queue.stats': method(z.object({}).strict()).returns<QueueStats>(),
  'queue.list': method(
    z
      .object({
        status: queueStatusSchema.optional(),
        ...paging(),
      })
      .strict(),
  ).returns<Page<QueueItem>>(),
  /** Puts failed items back to pending (all failed items when no ids are given). */
  'queue.retry': method(
    z.object({ ids: z.array(z.number().int().positive()).max(10_000).optional() }).strict(),
  ).returns<{ retried: number }>(),

  'sync.status': method(z.object({}).strict()).returns<SyncStatus>(),
  'sync.now': method(z.object({}).strict()).returns<SyncCycleResult>(),
  'sync.pause': method(z.object({}).strict()).returns<SyncStatus>(),
  'sync.resume': method(z.object({}).strict()).returns<SyncStatus>(),
  /**
   * Points the node at a hub: the URL goes to settings, the node token to the secret store (keychain). The hub is
   * asked first (health, then the token) and a refusal saves nothing; `saveOffline` saves without asking (set-up
   * while the hub is out of reach), and the answer says it was not checked.
   */
  'sync.connect': method(
    z.object({ hubUrl: z.url().max(2000), token: z.string().min(20).max(500), saveOffline: z.boolean().optional() }).strict(),
  ).returns<HubConnection>(),
  'sync.disconnect': method(z.object({}).strict()).returns<SyncStatus>(),
};
