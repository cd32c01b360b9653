import type { SyncCycleResult } from '../shared/api/sync';
import { OutpostError } from '../shared/errors';
import { BandwidthBudget } from './bandwidth';
import { Backoff, sleep } from './backoff';
import { BatchSizer } from './batch-sizer';
import { EventStream } from './event-stream';
import { HubClient, HubError } from './hub-client';
import { statusAfterLinkChange, type WorkerConfig, type WorkerStatus } from '../shared/protocol/worker';
import { runCycle, type StoreCaller } from './sync-cycle';

export interface SchedulerDeps {
  call: StoreCaller;
  onStatus: (status: WorkerStatus) => void;
  log: (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
  /** overrides for tests: the first retry waits, the in-cycle retry base */
  retryBaseMs?: number;
  probeBaseMs?: number;
}

/**
 * Decides when cycles run, per mode: manual (only when asked), auto (debounced after local writes), periodic
 * (every intervalMs), realtime (on a local write, and on the hub's event stream). In every mode an unreachable
 * hub is probed with backoff and the queue is flushed as soon as it answers again. One cycle at a time.
 */
export class SyncScheduler {
  private config: WorkerConfig;
  private client: HubClient | null = null;
  private budget: BandwidthBudget;
  private readonly pushSizer: BatchSizer;
  private readonly pullSizer: BatchSizer;
  private readonly failureBackoff: Backoff;
  private readonly probeBackoff: Backoff;
  private running: Promise<SyncCycleResult> | null = null;
  private rerun = false;
  private stopped = false;
  private abort = new AbortController();
  private timers = new Map<'periodic' | 'debounce' | 'retry' | 'probe', NodeJS.Timeout>();
  private events: EventStream | null = null;
  private status: WorkerStatus;

  constructor(
    config: WorkerConfig,
    private readonly deps: SchedulerDeps,
  ) {
    this.config = config;
    this.budget = new BandwidthBudget(limitsOf(config), config.usage);
    this.pushSizer = new BatchSizer(config.batchSize, 1500, 1, Math.min(config.batchSize, 100));
    this.pullSizer = new BatchSizer(config.batchSize, 1500, 1, Math.min(config.batchSize, 500));
    this.failureBackoff = new Backoff(deps.retryBaseMs ?? 1000, 60_000);
    this.probeBackoff = new Backoff(deps.probeBaseMs ?? 1000, 60_000);
    this.status = {
      reachable: null,
      cycleRunning: false,
      authError: null,
      clockError: null,
      lastError: null,
      lastSyncAt: null,
      nextAttemptAt: null,
      throughput: { pushedPerSec: 0, pulledPerSec: 0 },
      bytes: { raw: 0, wire: 0 },
      usage: this.budget.usage(),
    };
    this.apply(config, true);
  }

  configure(config: WorkerConfig): void {
    this.apply(config, false);
  }

  localWrite(): void {
    if (!this.active() || this.status.authError) return;
    if (this.config.mode === 'realtime') this.request();
    else if (this.config.mode === 'auto') this.arm('debounce', this.config.debounceMs, () => this.request());
  }

  /** The network came back (or changed): probe at once; a reachable hub gets the queue flushed. */
  networkChanged(): void {
    if (!this.active()) return;
    this.probeBackoff.reset();
    void this.probe(this.status.reachable !== true);
  }

  /** sync.now: waits for a running cycle, then runs a full one and answers its counts. */
  async syncNow(): Promise<SyncCycleResult> {
    if (!this.client) throw new OutpostError('invalid_input', 'No hub is configured: connect this node to a hub first.');
    if (this.config.paused) throw new OutpostError('locked', 'Sync is paused: resume it to sync now.');
    return this.cycle();
  }

  /** Stops scheduling; lets the in-flight cycle finish within the deadline, then aborts it (leases released). */
  async shutdown(deadlineMs: number): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    this.events?.close();
    if (this.running) {
      const timer = setTimeout(() => this.abort.abort(new HubError('aborted', 'shutting down')), deadlineMs);
      await this.running.catch(() => undefined);
      clearTimeout(timer);
    }
    this.client?.close();
  }

  private apply(config: WorkerConfig, first: boolean): void {
    const prev = this.config;
    this.config = config;
    this.budget.setLimits(limitsOf(config));
    this.pushSizer.setMax(config.batchSize);
    this.pullSizer.setMax(config.batchSize);
    const linkChanged = first || prev.hubUrl !== config.hubUrl || prev.token !== config.token;
    if (linkChanged || prev.compressionThresholdBytes !== config.compressionThresholdBytes || prev.requestTimeoutMs !== config.requestTimeoutMs) {
      this.client?.close();
      this.client = config.hubUrl && config.token ? this.makeClient(config.hubUrl, config.token) : null;
    }
    if (linkChanged) {
      this.status = statusAfterLinkChange(this.status, !first && prev.hubUrl !== config.hubUrl);
      this.failureBackoff.reset();
    }
    // a pending retry or debounced push outlives a settings change; the periodic timer and probe start over
    if (!this.active() || linkChanged) this.clearTimers();
    else this.clearTimers('periodic', 'probe');
    this.events?.close();
    this.events = null;
    this.publish();
    if (!this.active()) return;
    if (config.mode === 'realtime') this.openEvents();
    if (config.mode === 'periodic') this.arm('periodic', config.intervalMs, () => this.onPeriodic());
    // find out whether the hub is there; a reachable hub gets a first cycle in every mode but manual
    void this.probe(linkChanged || prev.paused || prev.mode === 'manual');
  }

  private makeClient(hubUrl: string, token: string): HubClient {
    return new HubClient({
      baseUrl: hubUrl,
      token,
      timeoutMs: this.config.requestTimeoutMs,
      compressionThresholdBytes: this.config.compressionThresholdBytes,
      onBytes: (b) => this.countBytes(b.raw, b.wire),
    });
  }

  private active(): boolean {
    return !this.stopped && !this.config.paused && this.client !== null;
  }

  private onPeriodic(): void {
    this.request();
    this.arm('periodic', this.config.intervalMs, () => this.onPeriodic());
  }

  /** Asks for a cycle; coalesces with one already running. */
  private request(): void {
    if (!this.active() || this.status.authError) return;
    if (this.status.reachable === false) return; // the probe flushes when the hub is back
    if (this.running) {
      this.rerun = true;
      return;
    }
    void this.cycle().catch(() => undefined);
  }

  /** Runs one cycle after any running one (never two at once: the check and the claim happen in one tick). */
  private async cycle(): Promise<SyncCycleResult> {
    while (this.running) await this.running.catch(() => undefined);
    const client = this.client;
    if (!client) throw new OutpostError('invalid_input', 'No hub is configured.');
    const run = (async (): Promise<SyncCycleResult> => {
      await Promise.resolve(); // `this.running` is claimed below before any of this runs
      this.status.cycleRunning = true;
      this.publish();
      const bytesBefore = { ...this.status.bytes };
      const started = Date.now();
      try {
        const counts = await runCycle({
          call: this.deps.call,
          client,
          pushSizer: this.pushSizer,
          pullSizer: this.pullSizer,
          allowance: () => this.budget.allowance(),
          throttle: async (signal) => {
            const wait = this.budget.waitMs();
            if (wait > 0) await sleep(wait, signal);
          },
          signal: this.abort.signal,
          retryBaseMs: this.deps.retryBaseMs ? Math.max(10, this.deps.retryBaseMs / 4) : 250,
        });
        this.status.reachable = true;
        // held changes are not offered again for a while: the error stands until the hub takes a change
        if (counts.clockAhead) this.status.clockError = counts.clockAhead;
        else if (counts.pushed > 0) this.status.clockError = null;
        this.status.lastError =
          counts.limited === 'none'
            ? 'The daily sync quota is used up: sync resumes tomorrow (UTC).'
            : counts.limited === 'critical-only' && !this.config.metered
              ? 'The daily sync quota is nearly used up: only critical changes are synced.'
              : null;
        this.status.lastSyncAt = new Date().toISOString();
        this.status.nextAttemptAt = null;
        this.status.throughput = {
          pushedPerSec: counts.pushMs > 0 ? Math.round((counts.pushed * 1000) / counts.pushMs) : 0,
          pulledPerSec: counts.pullMs > 0 ? Math.round((counts.pulled * 1000) / counts.pullMs) : 0,
        };
        this.failureBackoff.reset();
        return {
          pushed: counts.pushed,
          pulled: counts.pulled,
          conflicts: counts.conflicts,
          failed: counts.failed,
          bytesRaw: this.status.bytes.raw - bytesBefore.raw,
          bytesWire: this.status.bytes.wire - bytesBefore.wire,
          durationMs: Date.now() - started,
        };
      } catch (error) {
        this.onCycleError(error);
        throw toOutpostError(error);
      } finally {
        this.status.cycleRunning = false;
        this.running = null;
        this.publish();
      }
    })();
    this.running = run;
    const result = await run.finally(() => {
      if (this.rerun && this.active()) {
        this.rerun = false;
        queueMicrotask(() => this.request());
      }
    });
    return result;
  }

  private onCycleError(error: unknown): void {
    const hubError = error instanceof HubError ? error : null;
    const message = hubError ? hubError.message : error instanceof Error ? error.message : String(error);
    this.deps.log('warn', 'sync cycle failed', { kind: hubError?.kind ?? 'internal', error: message });
    if (hubError?.kind === 'aborted') return;
    if (hubError?.kind === 'auth') {
      this.status.authError = message;
      this.status.lastError = message;
      return;
    }
    if (hubError?.kind === 'offline') {
      this.status.reachable = false;
      this.status.lastError = null; // offline is a state, not an error
      void this.probe(true);
      return;
    }
    this.status.lastError = message;
    if (!this.active() || this.config.mode === 'manual') return;
    const wait = this.failureBackoff.next(hubError?.retryAfterMs ?? null);
    this.status.nextAttemptAt = new Date(Date.now() + wait).toISOString();
    this.arm('retry', wait, () => this.request());
  }

  /** Health probe; while the hub is unreachable, probes again with backoff. On success, optionally flushes. */
  private async probe(flushAfter: boolean): Promise<void> {
    const client = this.client;
    if (!client || !this.active()) return;
    const pending = this.timers.get('probe');
    if (pending) clearTimeout(pending);
    try {
      await client.health(this.abort.signal);
      if (client !== this.client) return;
      const wasOffline = this.status.reachable === false;
      this.status.reachable = true;
      this.status.nextAttemptAt = null;
      this.probeBackoff.reset();
      this.publish();
      if (this.config.mode === 'realtime' && !this.events) this.openEvents();
      // flush on reconnect in every mode; a first contact starts a cycle in every mode but manual
      if (wasOffline || (flushAfter && this.config.mode !== 'manual')) this.request();
    } catch (error) {
      if (client !== this.client || !this.active()) return;
      const kind = error instanceof HubError ? error.kind : 'internal';
      this.status.reachable = false;
      const wait = this.probeBackoff.next();
      this.status.nextAttemptAt = new Date(Date.now() + wait).toISOString();
      this.publish();
      this.deps.log('debug', 'hub probe failed', { kind, retryInMs: wait });
      this.arm('probe', wait, () => void this.probe(true));
    }
  }

  private openEvents(): void {
    const client = this.client;
    if (!client || this.events) return;
    this.events = new EventStream(client, {
      onChanges: () => this.request(),
      onOpen: () => {
        if (this.status.reachable !== true) void this.probe(true);
      },
      onError: (error) => {
        if (error.kind === 'auth') {
          this.status.authError = error.message;
          this.publish();
        } else if (error.kind === 'offline' && this.status.reachable !== false) {
          this.status.reachable = false;
          this.publish();
          void this.probe(true);
        }
      },
    });
  }

  private countBytes(raw: number, wire: number): void {
    this.status.bytes.raw += raw;
    this.status.bytes.wire += wire;
    this.budget.spend(wire);
  }

  private arm(name: 'periodic' | 'debounce' | 'retry' | 'probe', ms: number, fn: () => void): void {
    const old = this.timers.get(name);
    if (old) clearTimeout(old);
    const timer = setTimeout(() => {
      this.timers.delete(name);
      fn();
    }, ms);
    timer.unref?.();
    this.timers.set(name, timer);
  }

  private clearTimers(...names: Array<'periodic' | 'debounce' | 'retry' | 'probe'>): void {
    for (const [name, timer] of this.timers) {
      if (names.length && !names.includes(name)) continue;
      clearTimeout(timer);
      this.timers.delete(name);
    }
  }

  private publish(): void {
    this.status.usage = this.budget.usage();
    this.deps.onStatus(structuredClone(this.status));
  }
}

function limitsOf(config: WorkerConfig) {
  return {
    capBytesPerSec: config.capBytesPerSec,
    dailyQuotaBytes: config.dailyQuotaBytes,
    criticalReserveBytes: config.criticalReserveBytes,
    metered: config.metered,
  };
}

function toOutpostError(error: unknown): OutpostError {
  if (error instanceof OutpostError) return error;
  if (error instanceof HubError) {
    const code = error.kind === 'auth' ? 'unauthorized' : error.kind === 'rate_limited' ? 'rate_limited' : 'unavailable';
    return new OutpostError(code, `Sync failed: ${error.message}`);
  }
  return new OutpostError('internal', `Sync failed: ${error instanceof Error ? error.message : String(error)}`);
}
