import { OutpostError, toErrorShape } from '../../shared/errors';
import { commitPaths } from './commit';
import { logCommits, showAt } from './history';
import { ensureRepo, headOid, unpushedCommits } from './repo';
import { syncWithRemote } from './sync';
import type { GitProgress, GitReply, GitRequest, GitResponses } from '../../shared/protocol/git';

export type * from '../../shared/protocol/git';

/** Git requests for one folder run one after another: isomorphic-git's index and refs are not safe to share. */
const queues = new Map<string, Promise<unknown>>();

function serialize<T>(dir: string, run: () => Promise<T>): Promise<T> {
  const previous = queues.get(dir) ?? Promise.resolve();
  const next = previous.then(run, run);
  queues.set(dir, next.catch(() => undefined));
  return next;
}

/**
 * The Git module's one entry: the utility process routes every message whose kind starts with 'git.' here
 * and posts back the reply (and any progress messages). Tests and a worker-less node call it directly.
 */
export async function handleGitRequest<K extends GitRequest['kind']>(
  request: GitRequest & { kind: K },
  onProgress: (progress: GitProgress) => void = () => {},
): Promise<GitResponses[K]> {
  const req = request as GitRequest;
  if (typeof req.dir !== 'string' || req.dir === '') throw new OutpostError('invalid_input', 'A git request needs the workspace folder.');
  return serialize(req.dir, async () => {
    switch (req.kind) {
      case 'git.init': {
        const created = await ensureRepo(req.dir);
        return { created, head: await headOid(req.dir) };
      }
      case 'git.head':
        return { head: await headOid(req.dir), unpushed: await unpushedCommits(req.dir) };
      case 'git.commit': {
        await ensureRepo(req.dir);
        return commitPaths(req.dir, req.changed, req.removed, req.message, req.author);
      }
      case 'git.sync': {
        await ensureRepo(req.dir);
        const report = (phase: string, loaded: number, total: number) =>
          onProgress({ kind: 'git.progress', dir: req.dir, phase, loaded, total });
        return syncWithRemote(req.dir, req.remote, req.author, req.resolutions, report, req.maxAttempts ?? 3, req.held ?? []);
      }
      case 'git.log':
        return logCommits(req.dir, req.limit, req.path);
      case 'git.show':
        return showAt(req.dir, req.oid, req.path);
      default:
        throw new OutpostError('invalid_input', `Unknown git request ${JSON.stringify((req as { kind: string }).kind)}.`);
    }
  }) as Promise<GitResponses[K]>;
}

/** The same, as a message-port reply: never throws, errors travel as { code, message }. */
export async function handleGitMessage(msg: GitRequest, onProgress?: (p: GitProgress) => void): Promise<GitReply> {
  try {
    return { ok: true, value: await handleGitRequest(msg, onProgress) };
  } catch (error) {
    const shape = toErrorShape(error);
    const message = shape.code === 'internal' && error instanceof Error ? `Git: ${error.message.slice(0, 300)}` : shape.message;
    return { ok: false, error: { code: shape.code, message } };
  }
}
