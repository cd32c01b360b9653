import { z } from 'zod';
import { method, paging } from './define';
import { recordIdSchema, syncedTableSchema, type Page } from '../domain/records';
import { parseConflictId, type ConflictDetail, type ConflictSummary } from '../domain/conflicts';
import { GIT_OID } from '../domain/workspace';

/** A text conflict's local side as the Git blob id of its text (ConflictDetail.localHash); null: deleted there. */
export const localHashSchema = z.string().regex(GIT_OID, 'a local hash is the 40 hexadecimal characters of ConflictDetail.localHash');

export const conflictIdSchema = z.string().max(80).refine((id) => parseConflictId(id) !== null, 'a conflict id looks like r:12 or w:abc');

/** One field's choice: a side, the base, or an edited value (checked against the field's JSON type). */
export const fieldChoiceSchema = z.union([z.enum(['local', 'remote', 'base']), z.object({ value: z.json() }).strict()]);

/**
 * What a person chose: a whole side, the smart merge, per-field choices (records: fields not listed take the
 * smart merge), or the edited text (text conflicts).
 */
export const conflictChoiceSchema = z.union([
  z.enum(['local', 'remote', 'merge']),
  z
    .object({
      fields: z.record(z.string().min(1).max(200), fieldChoiceSchema).optional(),
      text: z.string().max(10_000_000).optional(),
    })
    .strict()
    .refine((c) => (c.fields === undefined) !== (c.text === undefined), { message: 'give either fields or text' }),
]);
export type ConflictChoice = z.infer<typeof conflictChoiceSchema>;

export const conflictListQuerySchema = z
  .object({
    status: z.enum(['pending', 'resolved', 'escalated']).optional(),
    /** only automatic resolutions (true) or only the rest (false) */
    automatic: z.boolean().optional(),
    /** only resolutions that replaced edits of this node, here or on another node (true), or only the rest */
    lost: z.boolean().optional(),
    table: z.union([syncedTableSchema, z.literal('workspace')]).optional(),
    /** one record's conflicts, newest first: its history of them (records only) */
    recordId: recordIdSchema.optional(),
    ...paging(),
  })
  .strict();
export type ConflictListQuery = z.infer<typeof conflictListQuerySchema>;

export const conflictMethods = {
  'conflicts.list': method(conflictListQuerySchema).returns<Page<ConflictSummary>>(),
  'conflicts.get': method(z.object({ id: conflictIdSchema }).strict()).returns<ConflictDetail>(),
  /**
   * Writes the chosen result like any local change (its clock descends from both sides), so it syncs. A text
   * conflict's edited text or merge may say which local text it was made from (`expectedLocalHash`: the detail's
   * `localHash`); when this node's side changed since (a save landed), nothing is resolved and the answer is a
   * `conflict` error: reload the conflict and resolve again.
   */
  'conflicts.resolve': method(
    z.object({ id: conflictIdSchema, choice: conflictChoiceSchema, expectedLocalHash: localHashSchema.nullable().optional() }).strict(),
  ).returns<ConflictDetail>(),
  /** Takes back an automatic resolution: the data it replaced is written again and the conflict is pending. */
  'conflicts.undo': method(z.object({ id: conflictIdSchema }).strict()).returns<ConflictDetail>(),
  /** Marks a pending conflict for someone else's attention; it stays unresolved. */
  'conflicts.escalate': method(z.object({ id: conflictIdSchema }).strict()).returns<ConflictDetail>(),
};
