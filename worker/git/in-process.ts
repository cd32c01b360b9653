import type { GitProgress, GitRequest, GitRunner } from '../../shared/protocol/git';
import { handleGitRequest } from './index';

/**
 * The Git engine run in the calling process (tests, tools): the same requests and answers as through the sync
 * worker's channel, still async. The app's main process never uses it (main/ does not import worker/).
 */
export const inProcessGitRunner: GitRunner = {
  request: (req, onProgress) => (handleGitRequest as (r: GitRequest, p?: (p: GitProgress) => void) => Promise<unknown>)(req, onProgress) as never,
};
