import { z } from 'zod';
import { fromErrorShape, OutpostError } from '../../shared/errors';
import { gitProgressSchema, gitReplySchema, gitResponseSchemas, type GitProgress, type GitRequest, type GitResponses, type GitRunner } from '../../shared/protocol/git';

/**
 * A GitRunner over the sync worker's named channel (main/sync-host: `syncHost.channel('git')`): requests go
 * to worker/git/channel.ts in the utility process, so Git work never runs on main's event loop. While
 * requests are pending a ping every `pingMs` asks for the worker's instance id: a request accepted by a worker
 * that has since been replaced (it crashed and the sync host restarted it) fails at once with 'unavailable',
 * and any request unanswered within its time limit fails too; the workspace retries at the next commit.
 */
export interface WorkerChannel {
  post(payload: unknown): void;
  on(listener: (payload: unknown) => void): () => void;
}

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

export function channelGitRunner(channel: WorkerChannel, options: { pingMs?: number } = {}): GitRunner & { dispose(): void } {
  let nextId = 1;
  const waiting = new Map<
    number,
    {
      kind: GitRequest['kind'];
      resolve: (v: unknown) => void;
      reject: (e: Error) => void;
      onProgress?: (p: GitProgress) => void;
      timer: NodeJS.Timeout;
      instance?: string;
    }
  >();
  const pings = new Set<number>();
  const failDead = (alive: string) => {
    for (const [id, w] of waiting) {
      if (w.instance && w.instance !== alive) {
        waiting.delete(id);
        clearTimeout(w.timer);
        w.reject(new OutpostError('unavailable', 'The Git worker restarted while working on this request; it will be retried.'));
      }
    }
  };
  const pinger = setInterval(() => {
    if (waiting.size === 0) return;
    const id = nextId++;
    pings.add(id);
    channel.post({ id, ping: true });
  }, options.pingMs ?? 15_000);
  pinger.unref();
  const off = channel.on((payload) => {
    const msg = payload as { id?: unknown; reply?: unknown; progress?: unknown; accepted?: unknown; instance?: unknown };
    if (typeof msg?.id !== 'number') return;
    if (pings.delete(msg.id)) {
      if (typeof msg.instance === 'string') failDead(msg.instance);
      return;
    }
    const w = waiting.get(msg.id);
    if (!w) return;
    if (typeof msg.accepted === 'string') {
      w.instance = msg.accepted;
      return;
    }
    if (msg.progress !== undefined) {
      const progress = gitProgressSchema.safeParse(msg.progress);
      if (progress.success) w.onProgress?.(progress.data);
      return;
    }
    if (msg.reply === undefined) return;
    waiting.delete(msg.id);
    clearTimeout(w.timer);
    const reply = gitReplySchema.safeParse(msg.reply);
    if (!reply.success) return w.reject(malformed(w.kind, reply.error));
    if (!reply.data.ok) return w.reject(fromErrorShape(reply.data.error));
    const value = gitResponseSchemas[w.kind].safeParse(reply.data.value);
    if (!value.success) return w.reject(malformed(w.kind, value.error));
    w.resolve(value.data);
  });
  return {
    request<K extends GitRequest['kind']>(req: GitRequest & { kind: K }, onProgress?: (p: GitProgress) => void): Promise<GitResponses[K]> {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new OutpostError('unavailable', `The Git worker did not answer ${req.kind} in time; it will be retried.`));
        }, LIMIT_MS[req.kind]);
        timer.unref();
        waiting.set(id, { kind: req.kind, resolve: resolve as (v: unknown) => void, reject, ...(onProgress ? { onProgress } : {}), timer });
        channel.post({ id, request: req });
      });
    },
    dispose() {
      off();
      clearInterval(pinger);
      for (const [id, w] of waiting) {
        clearTimeout(w.timer);
        w.reject(new OutpostError('unavailable', 'The Git worker channel closed.'));
        waiting.delete(id);
      }
    },
  };
}
