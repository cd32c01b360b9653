import { fromErrorShape, OutpostError } from '../../shared/errors';
import { registerRpcChannel } from '../channels';
import { handleGitMessage } from './index';
import { GIT_CHANNEL, GIT_METHOD, gitRequestSchema } from '../../shared/protocol/git';

/**
 * The Git engine's channel in the utility process: main calls the `git` method over it (shared/protocol/rpc.ts)
 * with a GitRequest as params; the worker reports the fetch and push phases as progress and answers with the
 * request's response. A cancelled request still runs to its end (the Git engine takes no signal); only its answer
 * is dropped. Importing this module registers the channel.
 */

registerRpcChannel(GIT_CHANNEL, {
  [GIT_METHOD]: async (params, { progress }) => {
    const parsed = gitRequestSchema.safeParse(params);
    if (!parsed.success) throw new OutpostError('invalid_input', `Malformed git request: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const reply = await handleGitMessage(parsed.data, progress);
    if (reply.ok) return reply.value;
    throw fromErrorShape(reply.error);
  },
});
