import type { HubDatabase } from './db/database';
import { CHANGES_CHANNEL, headSeq } from './sync-store';

export interface ChangeEvent {
  seq: number;
  /** the node whose push appended the changes (its own event streams need not hear about them); null if unknown */
  nodeId: string | null;
}

/**
 * One LISTEN per hub process, fanned out to every event stream it serves. Push transactions NOTIFY on commit,
 * so a node connected to any hub process hears pushes applied by any other process on the same database.
 * NOTIFY is not durable (one sent while our LISTEN session is reconnecting is gone), so the feed also looks
 * at the log's head every `pollMs` and announces a head it has not announced yet.
 */
export class ChangeFeed {
  private readonly subscribers = new Set<(event: ChangeEvent) => void>();
  private unlisten: (() => Promise<void>) | null = null;
  private poller: NodeJS.Timeout | null = null;
  private lastSeq = 0;

  private constructor(private readonly db: HubDatabase) {}

  static async start(db: HubDatabase, pollMs: number): Promise<ChangeFeed> {
    const feed = new ChangeFeed(db);
    feed.lastSeq = await headSeq(db);
    feed.unlisten = await db.listen(CHANGES_CHANNEL, (payload) => feed.dispatch(payload));
    feed.poller = setInterval(() => void feed.poll(), pollMs);
    feed.poller.unref();
    return feed;
  }

  subscribe(fn: (event: ChangeEvent) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  private dispatch(payload: string): void {
    let event: ChangeEvent;
    try {
      const parsed = JSON.parse(payload) as Partial<ChangeEvent>;
      if (!Number.isSafeInteger(parsed.seq) || typeof parsed.nodeId !== 'string') return;
      event = { seq: parsed.seq!, nodeId: parsed.nodeId };
    } catch {
      return; // someone else's NOTIFY on our channel: ignore it
    }
    this.emit(event);
  }

  private emit(event: ChangeEvent): void {
    this.lastSeq = Math.max(this.lastSeq, event.seq);
    for (const fn of this.subscribers) fn(event);
  }

  private async poll(): Promise<void> {
    if (this.subscribers.size === 0) return;
    try {
      const head = await headSeq(this.db);
      if (head > this.lastSeq) this.emit({ seq: head, nodeId: null });
    } catch {
      // the database is away: the next poll tries again
    }
  }

  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    this.subscribers.clear();
    await this.unlisten?.();
    this.unlisten = null;
  }
}
