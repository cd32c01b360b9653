import type { Settings } from '../../shared/domain/settings';
import type { WorkerConfig } from '../../shared/protocol/worker';
import type { SyncUsage } from './usage-file';

/** What the worker is told to do, from the sync settings: the token goes only with a hub URL. */
export function workerConfigOf(s: Settings['sync'], facts: { token: string | null; nodeId: string; requestTimeoutMs: number; usage: SyncUsage }): WorkerConfig {
  return {
    hubUrl: s.hubUrl,
    token: s.hubUrl ? facts.token : null,
    nodeId: facts.nodeId,
    mode: s.mode,
    paused: s.paused,
    intervalMs: s.intervalMs,
    debounceMs: s.debounceMs,
    batchSize: Math.min(s.batchSize, 5000),
    metered: s.metered,
    capBytesPerSec: s.bandwidth.capBytesPerSec,
    dailyQuotaBytes: s.bandwidth.dailyQuotaBytes,
    criticalReserveBytes: s.bandwidth.criticalReserveBytes,
    compressionThresholdBytes: s.compressionThresholdBytes,
    requestTimeoutMs: facts.requestTimeoutMs,
    usage: facts.usage,
  };
}
