import type { z } from 'zod';
import { event, type MethodDef } from './define';
import type { ChangeOrigin } from '../domain/records';
import { recordMethods } from './records';
import { agentStateMethods } from './agent-state';
import { syncMethods } from './sync';
import { conflictMethods } from './conflicts';
import { workspaceMethods } from './workspace';
import { fileMethods } from './files';
import type { QueueStats } from '../domain/queue';
import type { SyncStatus } from '../domain/sync-status';
import type { WorkspaceProgress } from '../domain/workspace';

/** The whole API: one definition drives the preload, the IPC handlers, the HTTP bridge and the browser shim. */
export const contract = {
  ...recordMethods,
  ...agentStateMethods,
  ...syncMethods,
  ...conflictMethods,
  ...workspaceMethods,
  ...fileMethods,
} satisfies Record<string, MethodDef>;

/** Events main pushes to every window and every event-stream subscriber. */
export const events = {
  'agents.changed': event<{ ids: string[]; tables: string[]; origin: ChangeOrigin }>(),
  'queue.stats': event<QueueStats>(),
  'conflicts.changed': event<{ pending: number }>(),
  'sync.status': event<SyncStatus>(),
  'workspace.changed': event<{ paths: string[] }>(),
  'workspace.progress': event<WorkspaceProgress>(),
};

export type Contract = typeof contract;
export type MethodName = keyof Contract;
export type EventName = keyof typeof events;
export const methodNames = Object.keys(contract) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

/** What a caller passes (defaults may be omitted). */
export type MethodInput<M extends MethodName> = z.input<Contract[M]['input']>;
/** What a handler receives after validation (defaults filled in). */
export type ParsedInput<M extends MethodName> = z.output<Contract[M]['input']>;
export type MethodResult<M extends MethodName> = NonNullable<Contract[M]['output']>;
export type EventPayload<E extends EventName> = NonNullable<(typeof events)[E]['payload']>;

export interface CallContext {
  transport: 'ipc' | 'http' | 'internal';
}

export type Handlers = {
  [M in MethodName]: (input: ParsedInput<M>, ctx: CallContext) => Promise<MethodResult<M>> | MethodResult<M>;
};

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.hasOwn(contract, name);
}
export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

export * from './define';
export type { AppInfo } from './records';
export type { SyncCycleResult } from './sync';
