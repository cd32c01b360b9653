/**
 * The Electron IPC channels of the contract, shared by main (main/transport/ipc.ts) and the preload: one invoke
 * channel carries `{method, input}` for every method, one event channel pushes the contract's events.
 */
export const INVOKE_CHANNEL = 'outpost:invoke';
export const EVENT_CHANNEL = 'outpost:event';

/** What the event channel carries. */
export interface IpcEventMessage {
  event: string;
  payload: unknown;
}
