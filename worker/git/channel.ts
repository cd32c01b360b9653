import { z } from 'zod';
import { fromErrorShape, OutpostError } from '../../shared/errors';
import { registerRpcChannel } from '../channels';
import { handleGitMessage } from './index';
import { GIT_METHOD, type GitRequest } from '../../shared/protocol/git';

/**
 * The Git engine's channel in the utility process: main calls the `git` method over it (shared/protocol/rpc.ts)
 * with a GitRequest as params; the worker reports the fetch and push phases as progress and answers with the
 * request's response. A cancelled request still runs to its end (the Git engine takes no signal); only its answer
 * is dropped. Importing this module registers the channel.
 */
export const GIT_CHANNEL = 'git';

const author = z.object({ name: z.string().min(1).max(200), email: z.string().min(1).max(200) }).strict();
const path = z.string().min(1).max(500);
const dir = z.string().min(1).max(4096);
const oid = z.string().regex(/^[0-9a-f]{40}$/);
const requestSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('git.init'), dir }).strict(),
  z.object({ kind: z.literal('git.head'), dir }).strict(),
  z.object({ kind: z.literal('git.commit'), dir, changed: z.array(path), removed: z.array(path), message: z.string().min(1).max(10_000), author }).strict(),
  z
    .object({
      kind: z.literal('git.sync'),
      dir,
      remote: z.object({ url: z.string().url(), username: z.string().max(500), password: z.string().max(10_000) }).strict(),
      author,
      resolutions: z.array(
        z
          .object({
            id: z.string().min(1).max(64),
            path,
            localOid: oid.nullable(),
            remoteOid: oid.nullable(),
            result: z.union([
              z.object({ text: z.string() }).strict(),
              z.object({ oid }).strict(),
              z.object({ deleted: z.literal(true) }).strict(),
            ]),
            twinPath: path.nullable().optional(),
          })
          .strict(),
      ),
      held: z.array(path).optional(),
      maxAttempts: z.number().int().min(1).max(10).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('git.log'), dir, path: path.optional(), limit: z.number().int().min(1).max(10_000) }).strict(),
  z.object({ kind: z.literal('git.show'), dir, oid, path }).strict(),
]);

registerRpcChannel(GIT_CHANNEL, {
  [GIT_METHOD]: async (params, { progress }) => {
    const parsed = requestSchema.safeParse(params);
    if (!parsed.success) throw new OutpostError('invalid_input', `Malformed git request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const reply = await handleGitMessage(parsed.data as GitRequest, progress);
    if (reply.ok) return reply.value;
    throw fromErrorShape(reply.error);
  },
});
