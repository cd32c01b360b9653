import type { SyncState } from '../domain/sync-status';

/** What the sync host knows at one moment; the state every surface shows is derived from it and nothing else. */
export interface SyncFacts {
  /** a hub URL and a token are both set */
  hubConfigured: boolean;
  /** the person paused sync (settings sync.paused) */
  paused: boolean;
  /** an error that retrying will not fix on its own: a refused token (401/403), a worker that keeps dying */
  fatalError: string | null;
  /** the last health probe or request: true reached the hub, false did not, null not tried yet */
  reachable: boolean | null;
  /** the worker process is up and has said it is ready */
  workerReady: boolean;
  /** a push/pull cycle is running */
  cycleRunning: boolean;
}

/**
 * One state, by precedence: a pause wins over everything (with or without a hub); a node with no hub is `disabled`; a fatal
 * error needs a person; an unreachable hub is `offline` (a state, not an error); until the worker is up and the
 * hub has answered once it is `connecting`; then `syncing` while a cycle runs, else `idle`.
 */
export function deriveSyncState(facts: SyncFacts): SyncState {
  // a pause shows whether or not a hub is set: the person asked for it and must see it took
  if (facts.paused) return 'paused';
  if (!facts.hubConfigured) return 'disabled';
  if (facts.fatalError) return 'error';
  if (facts.reachable === false) return 'offline';
  if (!facts.workerReady || facts.reachable === null) return 'connecting';
  if (facts.cycleRunning) return 'syncing';
  return 'idle';
}
