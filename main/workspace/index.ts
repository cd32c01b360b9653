export { Workspace, type WorkspaceOptions } from './workspace';
export { listTextConflicts, getTextConflict, resolveTextConflict, isTextConflictId } from './conflicts';
export { inProcessGitRunner, type GitRunner } from './git-runner';
export { channelGitRunner, type WorkerChannel } from './channel-runner';
