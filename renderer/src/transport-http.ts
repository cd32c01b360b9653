import type { Transport } from '../../shared/client';
import type { Envelope } from '../../shared/api/dispatch';
import type { EventName } from '../../shared/api/index';

/**
 * The browser shim's transport: the headless node's HTTP API, authenticated by the HttpOnly session cookie
 * the dashboard link set. One EventSource carries every event.
 */
export function httpTransport(base = ''): Transport {
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let source: EventSource | null = null;

  const ensureSource = () => {
    if (source) return;
    source = new EventSource(`${base}/api/events`);
    for (const event of listeners.keys()) attach(event);
  };
  const attached = new Set<string>();
  const attach = (event: EventName) => {
    if (!source || attached.has(event)) return;
    attached.add(event);
    source.addEventListener(event, (message) => {
      let payload: unknown;
      try {
        payload = JSON.parse((message as MessageEvent<string>).data);
      } catch {
        return; // a malformed event is dropped, not thrown into React
      }
      for (const listener of listeners.get(event) ?? []) listener(payload);
    });
  };

  return {
    async invoke(method, input): Promise<Envelope> {
      let response: Response;
      try {
        response = await fetch(`${base}/api/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          credentials: 'same-origin',
          body: JSON.stringify(input ?? {}),
        });
      } catch {
        return { ok: false, error: { code: 'unavailable', message: 'The Outpost node is not reachable. Is it running?' } };
      }
      let body: unknown = null;
      try {
        body = await response.json();
      } catch {
        return { ok: false, error: { code: 'internal', message: `The node answered ${response.status} with a body that is not JSON.` } };
      }
      if (response.ok) return { ok: true, value: body };
      const error = (body as { error?: { code: never; message: string } } | null)?.error;
      if (response.status === 401) {
        return { ok: false, error: { code: 'unauthorized', message: 'Not signed in: open the dashboard link the node printed.' } };
      }
      return { ok: false, error: error ?? { code: 'internal', message: `HTTP ${response.status}` } };
    },
    subscribe(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      ensureSource();
      attach(event);
      return () => set.delete(listener);
    },
  };
}
