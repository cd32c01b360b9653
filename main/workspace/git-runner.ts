import { handleGitRequest } from '../../worker/git/index';
import type { GitProgress, GitRequest, GitResponses } from '../../worker/git/protocol';

/**
 * How the Workspace reaches the Git module. In the app it is the utility process (the sync host forwards
 * requests whose kind starts with 'git.' and the worker answers with worker/git's handleGitMessage); without
 * a worker (tests, or a host that has not started it yet) the same module runs in this process, still async.
 */
export interface GitRunner {
  request<K extends GitRequest['kind']>(req: GitRequest & { kind: K }, onProgress?: (p: GitProgress) => void): Promise<GitResponses[K]>;
}

export const inProcessGitRunner: GitRunner = {
  request: <K extends GitRequest['kind']>(req: GitRequest & { kind: K }, onProgress?: (p: GitProgress) => void) =>
    (handleGitRequest as (r: GitRequest, p?: (p: GitProgress) => void) => Promise<unknown>)(req, onProgress) as Promise<GitResponses[K]>,
};
