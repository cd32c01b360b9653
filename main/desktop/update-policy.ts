import type { Settings } from '../../shared/domain/settings';
import type { SyncState } from '../../shared/domain/sync-status';

type UpdateSettings = Settings['app']['updates'];

/** How electron-updater is configured from settings app.updates. */
export interface UpdaterConfig {
  enabled: boolean;
  channel: 'latest' | 'beta';
  allowPrerelease: boolean;
  allowDowngrade: false;
  /** downloads happen in the background as soon as an update is found */
  autoDownload: true;
  /** an update downloaded and not yet applied installs when the app quits normally (after sync has stopped) */
  autoInstallOnAppQuit: true;
  checkEveryMs: number;
}

export function updaterConfig(settings: UpdateSettings, options: { packaged: boolean }): UpdaterConfig {
  return {
    // an unpackaged run (development) has no update feed and no signature to verify
    enabled: settings.enabled && options.packaged,
    channel: settings.channel,
    allowPrerelease: settings.channel === 'beta',
    allowDowngrade: false,
    autoDownload: true,
    autoInstallOnAppQuit: true,
    checkEveryMs: Math.round(settings.checkEveryHours * 3_600_000),
  };
}

export type UpdatePhase = 'idle' | 'checking' | 'downloading' | 'ready' | 'error';

/** What the updater is doing; drives the tray's "Restart to update". */
export interface UpdateState {
  phase: UpdatePhase;
  version: string | null;
  lastCheckAt: number | null;
  error: string | null;
}

export const initialUpdateState: UpdateState = { phase: 'idle', version: null, lastCheckAt: null, error: null };

export type UpdateEvent =
  | { type: 'check-started'; at: number }
  | { type: 'available'; version: string }
  | { type: 'not-available' }
  | { type: 'downloaded'; version: string }
  | { type: 'failed'; message: string };

/** The updater's state machine. A downloaded update stays ready: a later failed check does not hide it. */
export function updateReducer(state: UpdateState, event: UpdateEvent): UpdateState {
  switch (event.type) {
    case 'check-started':
      return state.phase === 'ready' ? { ...state, lastCheckAt: event.at } : { ...state, phase: 'checking', lastCheckAt: event.at, error: null };
    case 'available':
      return state.phase === 'ready' && state.version === event.version ? state : { ...state, phase: 'downloading', version: event.version };
    case 'not-available':
      return state.phase === 'ready' ? state : { ...state, phase: 'idle' };
    case 'downloaded':
      return { ...state, phase: 'ready', version: event.version, error: null };
    case 'failed':
      return state.phase === 'ready' ? state : { ...state, phase: 'error', error: event.message.slice(0, 300) };
  }
}

/**
 * When the next check is due: at start, then every `checkEveryMs` after the last one. Never while a download
 * runs or an update already waits for a restart. Null means no check is scheduled.
 */
export function nextCheckAt(config: UpdaterConfig, state: UpdateState, now: number): number | null {
  if (!config.enabled) return null;
  if (state.phase === 'ready' || state.phase === 'downloading' || state.phase === 'checking') return null;
  if (state.lastCheckAt === null) return now;
  return Math.max(now, state.lastCheckAt + config.checkEveryMs);
}

/**
 * Whether "Restart to update" may restart now. Never in the middle of a sync batch: while a cycle runs the
 * restart waits for it to end (the node's close() then hands any lease back before the installer runs).
 */
export function installDecision(state: UpdateState, syncState: SyncState): 'now' | 'after-sync' | 'nothing-to-install' {
  if (state.phase !== 'ready') return 'nothing-to-install';
  return syncState === 'syncing' ? 'after-sync' : 'now';
}
