import type { SyncState } from '../../shared/domain/sync-status';
import { reviewRoute } from './deep-link';

export type NotificationKind = 'conflict' | 'replaced' | 'sync-failing' | 'rate-limited';

/** Where a click on a notification leads. */
export type ClickTarget = { window: 'review'; conflictId: string } | { window: 'main'; route: string };

export interface NotificationModel {
  kind: NotificationKind;
  title: string;
  body: string;
  target: ClickTarget;
}

export interface NotificationFacts {
  syncState: SyncState;
  lastError: string | null;
  /** pending conflicts */
  conflicts: number;
  /** the newest pending conflict, when known: a click on a single new conflict opens it directly */
  newestConflictId: string | null;
  /** resolutions that replaced an edit made here without a person here choosing it (SyncStatus.editsReplaced) */
  editsReplaced: number;
  /** the newest of them, when known: a click on a single one opens it */
  newestReplacedId: string | null;
  /** settings app.notifications */
  enabled: boolean;
}

export interface NotificationPolicyOptions {
  /** sync must have been in error this long before a person is told */
  failingAfterMs: number;
  /** at most one notification of a kind per interval */
  minIntervalMs: Record<NotificationKind, number>;
  /** and at most this many of all kinds per rolling hour */
  maxPerHour: number;
}

export const defaultNotificationPolicy: NotificationPolicyOptions = {
  failingAfterMs: 5 * 60_000,
  minIntervalMs: { conflict: 2 * 60_000, replaced: 2 * 60_000, 'sync-failing': 60 * 60_000, 'rate-limited': 60 * 60_000 },
  maxPerHour: 6,
};

const HOUR = 60 * 60_000;
const RATE_LIMITED = /rate[ -]?limit|too many requests|\b429\b/i;

/**
 * Decides which desktop notifications to show, from successive snapshots of the sync facts. It tells a person
 * when a conflict needs them, when sync has failed for a while and when the hub rate-limits the node, once
 * per episode and throttled, so a flapping connection never floods the desktop. Pure apart from its own
 * memory: time comes in as an argument.
 */
export class NotificationPolicy {
  private readonly options: NotificationPolicyOptions;
  private readonly newConflicts = new RisingCount();
  private readonly newReplaced = new RisingCount();
  private failingSince: number | null = null;
  private failingAnnounced = false;
  private rateLimitedAnnounced = false;
  private readonly lastSent = new Map<NotificationKind, number>();
  private sentTimes: number[] = [];

  constructor(options: Partial<NotificationPolicyOptions> = {}) {
    this.options = { ...defaultNotificationPolicy, ...options };
  }

  observe(facts: NotificationFacts, now: number): NotificationModel[] {
    const out: NotificationModel[] = [];
    this.observeConflicts(facts, now, out);
    this.observeReplaced(facts, now, out);
    this.observeFailing(facts, now, out);
    this.observeRateLimit(facts, now, out);
    return out;
  }

  private observeConflicts(facts: NotificationFacts, now: number, out: NotificationModel[]): void {
    const unannounced = this.newConflicts.observe(facts.conflicts);
    if (unannounced === 0 || !this.mayNotify('conflict', facts, now)) return;
    const single = unannounced === 1 && facts.newestConflictId !== null;
    out.push(
      this.sent('conflict', now, {
        kind: 'conflict',
        title: single ? 'A conflict needs your review' : `${facts.conflicts} conflicts need your review`,
        body: single
          ? 'A change made here and one made elsewhere could not be merged automatically. Click to choose.'
          : 'Changes made here and elsewhere could not be merged automatically. Click to review them.',
        target: single ? { window: 'review', conflictId: facts.newestConflictId as string } : { window: 'main', route: '/conflicts' },
      }),
    );
    this.newConflicts.announced();
  }

  private observeReplaced(facts: NotificationFacts, now: number, out: NotificationModel[]): void {
    const unannounced = this.newReplaced.observe(facts.editsReplaced);
    if (unannounced === 0 || !this.mayNotify('replaced', facts, now)) return;
    const single = unannounced === 1 && facts.newestReplacedId !== null;
    out.push(
      this.sent('replaced', now, {
        kind: 'replaced',
        title: single ? 'An edit made here was replaced' : `${unannounced} edits made here were replaced`,
        body: single
          ? 'A conflict was resolved without you, and the change made here did not win. Click to see what was replaced, or to undo an automatic resolution.'
          : 'Conflicts were resolved without you, and changes made here did not win. Click to see what was replaced.',
        target: single ? { window: 'review', conflictId: facts.newestReplacedId as string } : { window: 'main', route: '/conflicts' },
      }),
    );
    this.newReplaced.announced();
  }

  private observeFailing(facts: NotificationFacts, now: number, out: NotificationModel[]): void {
    if (facts.syncState !== 'error') {
      this.failingSince = null;
      this.failingAnnounced = false;
      return;
    }
    this.failingSince ??= now;
    if (this.failingAnnounced || now - this.failingSince < this.options.failingAfterMs) return;
    if (!this.mayNotify('sync-failing', facts, now)) return;
    const minutes = Math.round((now - this.failingSince) / 60_000);
    out.push(
      this.sent('sync-failing', now, {
        kind: 'sync-failing',
        title: 'Sync is failing',
        body: `Outpost has not been able to sync for ${minutes} min${facts.lastError ? `: ${facts.lastError.slice(0, 160)}` : '.'} Your changes are kept and will sync once this is fixed.`,
        target: { window: 'main', route: '/queue' },
      }),
    );
    this.failingAnnounced = true;
  }

  private observeRateLimit(facts: NotificationFacts, now: number, out: NotificationModel[]): void {
    const limited = facts.lastError !== null && RATE_LIMITED.test(facts.lastError) && facts.syncState !== 'idle';
    if (!limited) {
      this.rateLimitedAnnounced = false;
      return;
    }
    if (this.rateLimitedAnnounced || !this.mayNotify('rate-limited', facts, now)) return;
    out.push(
      this.sent('rate-limited', now, {
        kind: 'rate-limited',
        title: 'Sync is slowed down by the hub',
        body: 'The hub asked this node to send less for a while. Outpost keeps your changes and retries on its own.',
        target: { window: 'main', route: '/queue' },
      }),
    );
    this.rateLimitedAnnounced = true;
  }

  private mayNotify(kind: NotificationKind, facts: NotificationFacts, now: number): boolean {
    if (!facts.enabled) return false;
    const last = this.lastSent.get(kind);
    if (last !== undefined && now - last < this.options.minIntervalMs[kind]) return false;
    this.sentTimes = this.sentTimes.filter((t) => now - t < HOUR);
    return this.sentTimes.length < this.options.maxPerHour;
  }

  private sent(kind: NotificationKind, now: number, model: NotificationModel): NotificationModel {
    this.lastSent.set(kind, now);
    this.sentTimes.push(now);
    return model;
  }
}

/**
 * A count whose rises are announced: the first value seen is the state at start (shown by the tray, not
 * announced); each rise adds to what is unannounced, a fall caps it, and an announcement clears it.
 */
class RisingCount {
  private previous: number | null = null;
  private unannounced = 0;

  observe(count: number): number {
    const previous = this.previous;
    this.previous = count;
    if (previous === null) return 0;
    if (count > previous) this.unannounced += count - previous;
    this.unannounced = Math.min(this.unannounced, count);
    return this.unannounced;
  }

  announced(): void {
    this.unannounced = 0;
  }
}

/** The renderer route a click target opens in the main window (or the review route). */
export function routeOf(target: ClickTarget): string {
  return target.window === 'review' ? reviewRoute(target.conflictId) : target.route;
}
