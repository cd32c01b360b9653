import { dispatch, type Envelope } from '../../shared/api/dispatch';
import type { Handlers } from '../../shared/api/index';
import { EVENT_CHANNEL, INVOKE_CHANNEL, type IpcEventMessage } from '../../shared/api/ipc-channels';
import type { EventBus } from '../events';

/**
 * The Electron transport of the contract: one invoke channel carries `{method, input}` for every method and
 * answers the same envelope as HTTP; one event channel pushes the contract's events to every window. No
 * per-method code: validation and error mapping are shared/api/dispatch.ts. Written against the small parts
 * of ipcMain and WebContents it uses, so it runs (and is tested) under plain Node.
 */

/** The part of Electron's IpcMainInvokeEvent used here: the frame that sent the call. */
export interface IpcInvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

/** The part of WebContents used to push events. */
export interface EventTargetLike {
  isDestroyed(): boolean;
  send(channel: string, ...args: unknown[]): void;
}

export interface IpcOptions {
  /** internal errors are logged here (the caller gets only the `internal` code) */
  onError?: (error: unknown, method: string) => void;
  /** untrusted senders are reported here */
  onRefused?: (frameUrl: string | null) => void;
}

const refused: Envelope = {
  ok: false,
  error: { code: 'forbidden', message: "Outpost's API only answers the app's own pages." },
};

/**
 * Registers the one invoke handler. `isTrustedSender` gets the URL of the calling frame (null when the frame
 * is gone) and must return true only for the app's own origin. Returns a function that unregisters it.
 */
export function registerIpcHandlers(
  ipcMain: IpcMainLike,
  handlers: Handlers,
  isTrustedSender: (frameUrl: string | null) => boolean,
  options: IpcOptions = {},
): () => void {
  ipcMain.handle(INVOKE_CHANNEL, async (event, request) => {
    const frameUrl = senderUrl(event);
    if (!isTrustedSender(frameUrl)) {
      options.onRefused?.(frameUrl);
      return refused;
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      return { ok: false, error: { code: 'invalid_input', message: 'An IPC call is an object {method, input}.' } } satisfies Envelope;
    }
    const { method, input } = request as { method?: unknown; input?: unknown };
    return dispatch(handlers, method, input, { transport: 'ipc' }, options.onError);
  });
  return () => ipcMain.removeHandler(INVOKE_CHANNEL);
}

/** Pushes every event of the bus to the windows `targets()` lists at that moment. Returns an unsubscribe. */
export function forwardEvents(events: EventBus, targets: () => Iterable<EventTargetLike>): () => void {
  return events.subscribe((event, payload) => {
    const message: IpcEventMessage = { event, payload };
    for (const target of targets()) {
      if (target.isDestroyed()) continue;
      try {
        target.send(EVENT_CHANNEL, message);
      } catch {
        // a window closing mid-send: the others still get the event
      }
    }
  });
}

function senderUrl(event: IpcInvokeEventLike): string | null {
  try {
    // a frame that navigated away or was destroyed throws or reports no URL: not trusted
    return event.senderFrame?.url ?? null;
  } catch {
    return null;
  }
}
