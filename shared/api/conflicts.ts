import { z } from 'zod';
import { method } from './define';
import type { ConflictDetail, ConflictSummary } from '../domain/conflicts';
import type { Page } from '../domain/records';

export const conflictIdSchema = z.string().regex(/^[rw]:[A-Za-z0-9_-]{1,64}$/, 'a conflict id looks like r:12 or w:abc');

export const conflictMethods = {
  'conflicts.list': method(
    z
      .object({
        status: z.enum(['pending', 'resolved', 'escalated']).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      })
      .strict(),
  ).returns<Page<ConflictSummary>>(),
  'conflicts.get': method(z.object({ id: conflictIdSchema }).strict()).returns<ConflictDetail>(),
  'conflicts.resolve': method(
    z
      .object({
        id: conflictIdSchema,
        choice: z.union([
          z.enum(['local', 'remote']),
          /** per-field choices for records; `value` holds an edited value (or the edited text for text conflicts) */
          z
            .object({
              fields: z
                .record(
                  z.string().max(200),
                  z.union([
                    z.enum(['local', 'remote', 'base']),
                    z.object({ value: z.json() }).strict(),
                  ]),
                )
                .optional(),
              text: z.string().max(10_000_000).optional(),
            })
            .strict(),
        ]),
      })
      .strict(),
  ).returns<ConflictDetail>(),
};
