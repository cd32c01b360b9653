import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveSyncState, type SyncFacts } from './sync-state';

const base: SyncFacts = { hubConfigured: true, paused: false, fatalError: null, reachable: true, workerReady: true, cycleRunning: false };

test('each fact maps to its state, by precedence', () => {
  assert.equal(deriveSyncState(base), 'idle');
  assert.equal(deriveSyncState({ ...base, cycleRunning: true }), 'syncing');
  assert.equal(deriveSyncState({ ...base, reachable: null }), 'connecting');
  assert.equal(deriveSyncState({ ...base, workerReady: false }), 'connecting');
  assert.equal(deriveSyncState({ ...base, reachable: false, cycleRunning: true }), 'offline');
  assert.equal(deriveSyncState({ ...base, fatalError: 'token refused', reachable: false }), 'error');
  assert.equal(deriveSyncState({ ...base, paused: true, fatalError: 'x' }), 'paused');
  // issue 11: a pause with no hub used to show nothing ('disabled'); paused is always shown
  assert.equal(deriveSyncState({ ...base, hubConfigured: false, paused: true }), 'paused');
  assert.equal(deriveSyncState({ ...base, hubConfigured: false }), 'disabled');
});
