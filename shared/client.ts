import {
  methodNames,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodResult,
} from './api/index';
import { fromErrorShape } from './errors';
import type { Envelope } from './api/dispatch';

/** How a client reaches main: Electron IPC in the preload, HTTP + SSE in the browser shim and scripts. */
export interface Transport {
  invoke(method: MethodName, input: unknown): Promise<Envelope>;
  subscribe(event: EventName, listener: (payload: unknown) => void): () => void;
}

type Namespace = MethodName extends `${infer N}.${string}` ? N : never;
type MethodsOf<N extends string> = {
  [M in MethodName as M extends `${N}.${infer F}` ? F : never]: (input?: MethodInput<M>) => Promise<MethodResult<M>>;
};

/** `window.outpost`: `outpost.agents.update({...})`, `outpost.on('queue.stats', cb)`. */
export type OutpostClient = { [N in Namespace]: MethodsOf<N> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  call<M extends MethodName>(method: M, input?: MethodInput<M>): Promise<MethodResult<M>>;
};

export function createClient(transport: Transport): OutpostClient {
  const call = async (method: MethodName, input: unknown): Promise<unknown> => {
    const envelope = await transport.invoke(method, input ?? {});
    if (envelope.ok) return envelope.value;
    throw fromErrorShape(envelope.error);
  };
  const client: Record<string, unknown> = {
    call,
    on: (event: EventName, listener: (payload: unknown) => void) => transport.subscribe(event, listener),
  };
  for (const name of methodNames) {
    const [ns, fn] = name.split('.') as [string, string];
    const group = (client[ns] ??= {}) as Record<string, unknown>;
    group[fn] = (input?: unknown) => call(name, input);
  }
  return client as OutpostClient;
}
