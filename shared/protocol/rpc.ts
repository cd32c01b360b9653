import { z } from 'zod';
import { OutpostError, fromErrorShape, toErrorShape } from '../errors';

/**
 * The one request/response primitive for every process boundary (main <-> sync worker, the Git channel). Each side
 * holds an RpcPeer: it posts through the function it is given and is fed what arrives. A call gets one answer
 * (`result` or `error`) under its id, any number of `progress` reports before it, and sends `cancel` when its
 * caller's AbortSignal fires; the handler sees that as its own signal. A peer that dies is `close`d: everything
 * waiting on it fails with the given error, and later calls fail at once. Answers to ids nobody waits on (late,
 * duplicate or forged) are ignored.
 */

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** An error across the boundary: an OutpostError's shape (shared/errors.ts); an unknown code arrives as `internal`. */
export const rpcErrorSchema = z.object({ code: z.string().max(64), message: z.string().max(4000), details: z.unknown().optional() });

/** The envelopes, the same in both directions. */
export const rpcMessageSchema = z.discriminatedUnion('rpc', [
  /** run `method` with `params`; answered with `result` or `error` under the same id */
  z.object({ rpc: z.literal('call'), id, method: z.string().min(1).max(64), params: z.unknown().optional() }).strict(),
  /** the caller stopped waiting: the handler's signal aborts and its answer is not sent */
  z.object({ rpc: z.literal('cancel'), id }).strict(),
  /** a report of a running call, before its answer */
  z.object({ rpc: z.literal('progress'), id, progress: z.unknown().optional() }).strict(),
  z.object({ rpc: z.literal('result'), id, value: z.unknown().optional() }).strict(),
  z.object({ rpc: z.literal('error'), id, error: rpcErrorSchema }).strict(),
]);
export type RpcMessage = z.infer<typeof rpcMessageSchema>;

export interface RpcContext {
  /** aborts when the caller cancels or this peer is closed */
  signal: AbortSignal;
  progress(report: unknown): void;
}

/** Serves one method: returns its value (or a promise of it); what it throws is the caller's rejection. */
export type RpcHandler = (params: unknown, context: RpcContext) => unknown;

export interface CallOptions {
  onProgress?: (report: unknown) => void;
  /** aborting rejects the call at once with the signal's reason and tells the other side */
  signal?: AbortSignal;
}

export interface RpcPeerOptions {
  /** the methods this side serves */
  handlers?: Readonly<Record<string, RpcHandler>>;
  /** a message dropped (one that arrived malformed, an answer that could not be sent) or a progress listener that threw: for the log */
  onDropped?: (reason: string) => void;
}

interface Waiter {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onProgress: ((report: unknown) => void) | undefined;
  detach: () => void;
}

export class RpcPeer {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly running = new Map<number, AbortController>();
  private closedBy: Error | null = null;

  constructor(
    private readonly post: (message: RpcMessage) => void,
    private readonly options: RpcPeerOptions = {},
  ) {}

  /** Calls `method` on the other side; resolves with its (unchecked) value, or rejects with its error. */
  call(method: string, params?: unknown, options: CallOptions = {}): Promise<unknown> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const callId = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = () => {
        const waiter = this.settle(callId);
        if (!waiter) return;
        waiter.reject(abortReason(signal!));
        this.send({ rpc: 'cancel', id: callId });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const detach = () => signal?.removeEventListener('abort', onAbort);
      this.waiting.set(callId, { method, resolve, reject, onProgress: options.onProgress, detach });
      try {
        this.post({ rpc: 'call', id: callId, method, params });
      } catch (error) {
        this.settle(callId);
        reject(error instanceof Error ? error : new OutpostError('unavailable', `Could not send ${method}.`));
      }
    });
  }

  /** Feeds one message from the other side. */
  receive(raw: unknown): void {
    const parsed = rpcMessageSchema.safeParse(raw);
    if (!parsed.success) return this.refuse(raw, parsed.error);
    const message = parsed.data;
    switch (message.rpc) {
      case 'call':
        return this.serve(message.id, message.method, message.params);
      case 'cancel':
        this.running.get(message.id)?.abort(new OutpostError('unavailable', 'The caller cancelled this call.'));
        return;
      case 'progress': {
        const waiter = this.waiting.get(message.id);
        try {
          waiter?.onProgress?.(message.progress);
        } catch (error) {
          this.options.onDropped?.(`a progress listener of ${waiter?.method} threw: ${String(error)}`);
        }
        return;
      }
      case 'result':
        this.settle(message.id)?.resolve(message.value);
        return;
      case 'error':
        this.settle(message.id)?.reject(fromErrorShape(message.error));
        return;
    }
  }

  /** The other side is gone: what waits on it fails with `error`, running handlers are aborted, later calls fail. */
  close(error: Error): void {
    if (this.closedBy) return;
    this.closedBy = error;
    for (const callId of [...this.waiting.keys()]) this.settle(callId)?.reject(error);
    for (const controller of this.running.values()) controller.abort(error);
    this.running.clear();
  }

  /** Posts anything but a call: a failure to send is reported, never thrown into a handler's or a listener's path. */
  private send(message: RpcMessage): void {
    try {
      this.post(message);
    } catch (error) {
      this.options.onDropped?.(`could not send ${message.rpc} ${message.id}: ${String(error)}`);
    }
  }

  private settle(callId: number): Waiter | undefined {
    const waiter = this.waiting.get(callId);
    if (!waiter) return undefined;
    this.waiting.delete(callId);
    waiter.detach();
    return waiter;
  }

  private serve(callId: number, method: string, params: unknown): void {
    if (this.closedBy) return;
    const handlers = this.options.handlers ?? {};
    const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
    if (!handler) {
      this.send({ rpc: 'error', id: callId, error: { code: 'not_found', message: `No method ${JSON.stringify(method)} is served here.` } });
      return;
    }
    if (this.running.has(callId)) {
      this.options.onDropped?.(`a second call ${callId} while the first still runs`);
      return;
    }
    const controller = new AbortController();
    this.running.set(callId, controller);
    const live = () => this.running.get(callId) === controller && !controller.signal.aborted;
    const answer = (message: RpcMessage) => {
      if (this.running.get(callId) !== controller) return; // closed meanwhile
      this.running.delete(callId);
      if (!controller.signal.aborted) this.send(message);
    };
    const failed = (error: unknown): RpcMessage => ({ rpc: 'error', id: callId, error: toErrorShape(error) });
    const context: RpcContext = {
      signal: controller.signal,
      progress: (report) => {
        if (live()) this.send({ rpc: 'progress', id: callId, progress: report });
      },
    };
    let outcome: unknown;
    try {
      outcome = handler(params, context);
    } catch (error) {
      answer(failed(error));
      return;
    }
    if (isThenable(outcome)) {
      outcome.then(
        (value) => answer({ rpc: 'result', id: callId, value }),
        (error: unknown) => answer(failed(error)),
      );
    } else {
      answer({ rpc: 'result', id: callId, value: outcome });
    }
  }

  /**
   * A malformed message: a call with a readable id is answered `invalid_input` (its caller need not wait out a
   * time limit), an answer to a call that waits fails that call; anything else is only reported.
   */
  private refuse(raw: unknown, error: z.ZodError): void {
    const issue = error.issues[0];
    const where = issue ? `${issue.path.join('.') || 'the message'}: ${issue.message}` : 'unknown shape';
    const { rpc, id: rawId } = (typeof raw === 'object' && raw !== null ? raw : {}) as { rpc?: unknown; id?: unknown };
    const callId = id.safeParse(rawId).success ? (rawId as number) : null;
    if (callId !== null && rpc === 'call') {
      this.send({ rpc: 'error', id: callId, error: { code: 'invalid_input', message: `Malformed call (${where}).`.slice(0, 4000) } });
      return;
    }
    const waiter = callId === null ? undefined : this.settle(callId);
    if (waiter) waiter.reject(new OutpostError('internal', `The answer to ${waiter.method} is malformed (${where}); nothing of it was used.`.slice(0, 500)));
    else this.options.onDropped?.(`malformed rpc message (${where})`);
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new OutpostError('unavailable', 'The call was cancelled.');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
