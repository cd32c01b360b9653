export { Workspace, type WorkspaceOptions } from './workspace';
export { listTextConflicts, getTextConflict, resolveTextConflict, isTextConflictId } from './conflicts';
export { channelGitRunner, type WorkerChannel } from './channel-runner';
export type { GitRunner } from '../../shared/protocol/git';
