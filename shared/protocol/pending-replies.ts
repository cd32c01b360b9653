/** One request awaiting its reply: how to settle it, and what the sender kept about it (e.g. which call it was). */
export interface Waiter<T, M> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
  meta: M;
}

/**
 * Requests sent across a process boundary and awaiting their reply, by request id: the correlator for the
 * worker's store calls into main and main's sync-now into the worker. A peer that dies fails them all.
 */
export class PendingReplies<T, M = undefined> {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter<T, M>>();

  /** A new request id and the promise its reply settles; `send` posts the request under that id. */
  request(meta: M, send: (requestId: number) => void): Promise<T> {
    const requestId = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(requestId, { resolve, reject, meta });
      send(requestId);
    });
  }

  /** The waiter of a reply, removed; undefined for an id nobody waits on (late, duplicate or forged). */
  take(requestId: number): Waiter<T, M> | undefined {
    const waiter = this.waiting.get(requestId);
    this.waiting.delete(requestId);
    return waiter;
  }

  failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
