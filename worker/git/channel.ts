import { z } from 'zod';
import { registerChannel } from '../channels';
import { handleGitMessage } from './index';
import type { GitRequest } from '../../shared/protocol/git';

/**
 * The Git engine's channel in the utility process: main posts `{id, request}`; the worker answers
 * `{id, accepted: instance}` at once, `{id, progress}` while it runs and `{id, reply}` at the end; `{id, ping}`
 * gets `{id, instance}` at once. Importing this module registers the channel.
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
export const gitChannelMessageSchema = z.union([
  z.object({ id: z.number().int().positive(), request: requestSchema }).strict(),
  /** liveness: answered at once (not queued behind Git work) with this worker's instance id */
  z.object({ id: z.number().int().positive(), ping: z.literal(true) }).strict(),
]);

/** Changes with every start of the utility process: main learns from it that a request died with a worker. */
const instance = `${process.pid}-${Date.now().toString(36)}`;

registerChannel(GIT_CHANNEL, async (payload, post) => {
  const parsed = gitChannelMessageSchema.safeParse(payload);
  if (!parsed.success) {
    const id = typeof (payload as { id?: unknown } | null)?.id === 'number' ? (payload as { id: number }).id : 0;
    post({ id, reply: { ok: false, error: { code: 'invalid_input', message: `Malformed git request: ${parsed.error.issues[0]?.message ?? 'invalid'}` } } });
    return;
  }
  const message = parsed.data;
  if ('ping' in message) {
    post({ id: message.id, instance });
    return;
  }
  const { id, request } = message;
  post({ id, accepted: instance });
  const reply = await handleGitMessage(request as GitRequest, (progress) => post({ id, progress }));
  post({ id, reply });
});
