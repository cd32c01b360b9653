import { z } from 'zod';
import { OutpostError } from '../../shared/errors';
import { RpcPeer } from '../../shared/protocol/rpc';
import type { WorkerChannel } from '../../shared/protocol/worker';
import { GIT_METHOD, gitProgressSchema, gitResponseSchemas, type GitProgress, type GitRequest, type GitResponses, type GitRunner } from '../../shared/protocol/git';

/**
 * A GitRunner over the sync worker's named channel (main/sync-host: `syncHost.channel('git')`): requests go as
 * calls of the `git` method (shared/protocol/rpc.ts) to worker/git/channel.ts in the utility process, so Git work
 * never runs on main's event loop. When the worker dies (the sync host restarts it) every request it had fails at
 * once with 'unavailable', and a request unanswered within its time limit is cancelled and fails too; the
 * workspace retries at the next commit.
 */
export type { WorkerChannel };

const LIMIT_MS: Record<GitRequest['kind'], number> = {
  'git.init': 60_000,
  'git.head': 30_000,
  'git.commit': 10 * 60_000,
  'git.sync': 30 * 60_000,
  'git.log': 60_000,
  'git.show': 60_000,
};

/** A reply that does not have its request's shape: nothing of it is used. */
function malformed(kind: GitRequest['kind'], error: z.ZodError): OutpostError {
  const issue = error.issues[0];
  const where = issue ? `${issue.path.join('.') || 'the reply'}: ${issue.message}` : 'unknown shape';
  return new OutpostError('internal', `The Git worker's answer to ${kind} is malformed (${where}); nothing of it was applied.`.slice(0, 500));
}

export function channelGitRunner(channel: WorkerChannel): GitRunner & { dispose(): void } {
  const newPeer = () => new RpcPeer((message) => channel.post(message));
  let peer = newPeer();
  const off = channel.on((payload) => peer.receive(payload));
  const offExit = channel.onWorkerExit?.(() => {
    const dead = peer;
    peer = newPeer(); // the next worker starts a fresh conversation
    dead.close(new OutpostError('unavailable', 'The Git worker restarted while working on this request; it will be retried.'));
  });
  return {
    async request<K extends GitRequest['kind']>(req: GitRequest & { kind: K }, onProgress?: (p: GitProgress) => void): Promise<GitResponses[K]> {
      const limit = new AbortController();
      const timer = setTimeout(() => limit.abort(new OutpostError('unavailable', `The Git worker did not answer ${req.kind} in time; it will be retried.`)), LIMIT_MS[req.kind]);
      timer.unref();
      const progress = (report: unknown) => {
        const parsed = gitProgressSchema.safeParse(report);
        if (parsed.success) onProgress?.(parsed.data);
      };
      try {
        const value = await peer.call(GIT_METHOD, req, { signal: limit.signal, onProgress: progress });
        const parsed = gitResponseSchemas[req.kind].safeParse(value);
        if (!parsed.success) throw malformed(req.kind, parsed.error);
        return parsed.data as GitResponses[K];
      } finally {
        clearTimeout(timer);
      }
    },
    dispose() {
      off();
      offExit?.();
      peer.close(new OutpostError('unavailable', 'The Git worker channel closed.'));
    },
  };
}
