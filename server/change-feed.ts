import type { HubDatabase } from './db/database';
import { CHANGES_CHANNEL } from './sync-store';

export interface ChangeEvent {
  seq: number;
  /** the node whose push appended the changes (its own event streams need not hear about them) */
  nodeId: string;
}

/**
 * One LISTEN per hub process, fanned out to every event stream it serves. Push transactions NOTIFY on commit,
 * so a node connected to any hub process hears pushes applied by any other process on the same database.
 */
export class ChangeFeed {
  private readonly subscribers = new Set<(event: ChangeEvent) => void>();
  private unlisten: (() => Promise<void>) | null = null;

  static async start(db: HubDatabase): Promise<ChangeFeed> {
    const feed = new ChangeFeed();
    feed.unlisten = await db.listen(CHANGES_CHANNEL, (payload) => feed.dispatch(payload));
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
    for (const fn of this.subscribers) fn(event);
  }

  async close(): Promise<void> {
    this.subscribers.clear();
    await this.unlisten?.();
    this.unlisten = null;
  }
}
