/**
 * The link budget: a byte-rate cap (token bucket over wire bytes both ways) and a daily quota (UTC day) with a
 * reserve kept for critical changes. `allowance()` says what the next batch may carry.
 */
export type Allowance = 'all' | 'critical-only' | 'none';

export interface BandwidthLimits {
  capBytesPerSec: number | null;
  dailyQuotaBytes: number | null;
  criticalReserveBytes: number;
  metered: boolean;
}

export class BandwidthBudget {
  private debtBytes = 0;
  private debtAt: number;
  private day: string;
  private usedToday: number;

  constructor(
    private limits: BandwidthLimits,
    usage: { day: string; wireBytes: number },
    private readonly now: () => number = Date.now,
  ) {
    this.debtAt = now();
    this.day = utcDay(now());
    this.usedToday = usage.day === this.day ? usage.wireBytes : 0;
  }

  setLimits(limits: BandwidthLimits): void {
    this.limits = limits;
  }

  /** Records wire bytes sent or received. */
  spend(wireBytes: number): void {
    this.rollDay();
    this.usedToday += wireBytes;
    if (this.limits.capBytesPerSec) {
      this.drain();
      this.debtBytes += wireBytes;
    }
  }

  /** How long to wait before the next request so the average rate stays under the cap. */
  waitMs(): number {
    if (!this.limits.capBytesPerSec) return 0;
    this.drain();
    return Math.ceil((this.debtBytes / this.limits.capBytesPerSec) * 1000);
  }

  allowance(): Allowance {
    this.rollDay();
    const quota = this.limits.dailyQuotaBytes;
    if (quota !== null && this.usedToday >= quota) return 'none';
    if (this.limits.metered) return 'critical-only';
    if (quota !== null && quota - this.usedToday <= this.limits.criticalReserveBytes) return 'critical-only';
    return 'all';
  }

  usage(): { day: string; wireBytes: number } {
    this.rollDay();
    return { day: this.day, wireBytes: this.usedToday };
  }

  private drain(): void {
    const t = this.now();
    const cap = this.limits.capBytesPerSec ?? 0;
    this.debtBytes = Math.max(0, this.debtBytes - ((t - this.debtAt) / 1000) * cap);
    this.debtAt = t;
  }

  private rollDay(): void {
    const today = utcDay(this.now());
    if (today !== this.day) {
      this.day = today;
      this.usedToday = 0;
    }
  }
}

export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
