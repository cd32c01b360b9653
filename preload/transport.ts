import { isEventName, type EventName } from '../shared/api/index';
import type { Envelope } from '../shared/api/dispatch';
import type { Transport } from '../shared/client';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type IpcEventMessage } from '../shared/api/ipc-channels';

/** The part of ipcRenderer the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * The client side of the IPC transport: every call goes through the one invoke channel; one listener on the
 * event channel fans events out to the page's subscribers. Nothing of ipcRenderer itself reaches the page.
 */
export function createIpcTransport(ipc: IpcRendererLike): Transport {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let listening = false;

  const onMessage = (_event: unknown, message: unknown): void => {
    const { event, payload } = (message ?? {}) as Partial<IpcEventMessage>;
    if (!isEventName(event)) return;
    for (const listener of listeners.get(event) ?? []) {
      try {
        listener(payload);
      } catch {
        // one failing page listener must not stop the others
      }
    }
  };

  return {
    async invoke(method, input) {
      const envelope = (await ipc.invoke(INVOKE_CHANNEL, { method, input })) as Envelope | undefined;
      if (envelope && typeof envelope === 'object' && 'ok' in envelope) return envelope;
      return { ok: false, error: { code: 'internal', message: 'Malformed answer from the main process.' } };
    },
    subscribe(event, listener) {
      if (!isEventName(event)) throw new TypeError(`Unknown event ${JSON.stringify(String(event))}`);
      if (!listening) {
        ipc.on(EVENT_CHANNEL, onMessage);
        listening = true;
      }
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  };
}

/** What a failed call rejects with in the page: the OutpostError's fields as a plain, cloneable object. */
export interface BridgedError {
  name: 'OutpostError';
  code: string;
  message: string;
  details?: unknown;
}

/**
 * contextBridge copies an Error thrown across it with its message only (its `code` is lost), so every method
 * of the exposed client rejects with a plain object carrying `name`, `code`, `message` and `details`: the same
 * fields the browser shim's OutpostError has, so page code reading `error.code` works under both transports.
 */
export function bridgeSafe<T extends object>(client: T): T {
  const wrap = (value: unknown): unknown => {
    if (typeof value === 'function') {
      const fn = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]) => {
        const result = fn(...args);
        return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(toBridgedError(error))) : result;
      };
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, wrap(inner)]));
    }
    return value;
  };
  return wrap(client) as T;
}

export function toBridgedError(error: unknown): BridgedError {
  const { code, message, details } = (error ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
  const out: BridgedError = {
    name: 'OutpostError',
    code: typeof code === 'string' ? code : 'internal',
    message: typeof message === 'string' ? message : 'Internal error.',
  };
  if (details !== undefined) out.details = details;
  return out;
}
