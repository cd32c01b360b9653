import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAllSynced, type SyncedFacts } from './sync-status';

const synced: SyncedFacts = { state: 'idle', lastSyncAt: '2026-12-02T10:00:00Z', pending: 0, failed: 0, conflicts: 0, workspaceUnsynced: 0 };

test('all synced only after a completed sync with nothing pending, failed, in conflict or unpushed', () => {
  assert.equal(isAllSynced(synced), true);
  assert.equal(isAllSynced({ ...synced, workspaceUnsynced: null }), false, 'workspace not counted yet');
  assert.equal(isAllSynced({ ...synced, lastSyncAt: null }), false, 'never synced');
  assert.equal(isAllSynced({ ...synced, lastSyncAt: null, pending: 3 }), false, 'pending, no hub yet');
  assert.equal(isAllSynced({ ...synced, pending: 1 }), false);
  assert.equal(isAllSynced({ ...synced, failed: 1 }), false);
  assert.equal(isAllSynced({ ...synced, conflicts: 1 }), false);
  assert.equal(isAllSynced({ ...synced, workspaceUnsynced: 2 }), false, 'workspace changes not on the hub');
  for (const state of ['offline', 'connecting', 'syncing', 'paused', 'error', 'disabled'] as const) {
    assert.equal(isAllSynced({ ...synced, state }), false, state);
  }
});
