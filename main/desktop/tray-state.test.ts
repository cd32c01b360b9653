import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { relativeTime, trayStates, trayView, type TrayFacts } from './tray-state';
import { trayMenuModel, type MenuFacts } from './menu-model';

const now = new Date('2026-11-22T10:00:00Z');
const base: TrayFacts = { syncState: 'idle', mode: 'periodic', pending: 0, failed: 0, conflicts: 0, lastSyncAt: '2026-11-22T09:55:00Z', lastError: null, workspaceUnsynced: 0 };

test('sync facts map to one tray state by precedence', () => {
  const cases: Array<[Partial<TrayFacts>, string]> = [
    [{}, 'synced'],
    [{ pending: 3 }, 'syncing'],
    [{ syncState: 'syncing', pending: 3 }, 'syncing'],
    [{ syncState: 'connecting' }, 'syncing'],
    [{ syncState: 'offline', pending: 3 }, 'offline'],
    [{ syncState: 'disabled' }, 'offline'],
    [{ syncState: 'paused', pending: 2 }, 'paused'],
    [{ syncState: 'paused', conflicts: 1 }, 'conflicts'],
    [{ syncState: 'syncing', conflicts: 2 }, 'conflicts'],
    [{ syncState: 'error', conflicts: 2, lastError: 'hub refused the token' }, 'error'],
  ];
  for (const [facts, expected] of cases) {
    const view = trayView({ ...base, ...facts }, now);
    assert.equal(view.state, expected, JSON.stringify(facts));
    assert.equal(view.icon, `tray-${expected}.png`);
  }
});

test('the tooltip shows the pending count and the last sync, and fits Windows', () => {
  const synced = trayView(base, now);
  assert.equal(synced.tooltip, 'Outpost: Up to date\n0 changes pending · last sync 5 min ago');
  const busy = trayView({ ...base, syncState: 'syncing', pending: 1, lastSyncAt: null }, now);
  assert.match(busy.tooltip, /1 change pending · last sync never/);
  const manual = trayView({ ...base, mode: 'manual', pending: 4 }, now);
  assert.match(manual.tooltip, /manual sync/);
  const conflicts = trayView({ ...base, conflicts: 3 }, now);
  assert.match(conflicts.tooltip, /3 conflicts to review/);
  const error = trayView({ ...base, syncState: 'error', failed: 2, lastError: 'x'.repeat(500) }, now);
  assert.ok(error.tooltip.length <= 127, 'Windows truncates tooltips at 127 characters');
  assert.match(error.tooltip, /2 changes failed/);
  assert.match(trayView({ ...base, syncState: 'disabled' }, now).tooltip, /no hub connected/);
});

test('relative times', () => {
  assert.equal(relativeTime(null, now), 'never');
  assert.equal(relativeTime('garbage', now), 'unknown');
  assert.equal(relativeTime('2026-11-22T09:59:30Z', now), 'just now');
  assert.equal(relativeTime('2026-11-22T07:00:00Z', now), '3 h ago');
  assert.equal(relativeTime('2026-11-19T10:00:00Z', now), '3 days ago');
  assert.equal(relativeTime('2026-11-22T10:05:00Z', now), 'just now', 'a clock ahead of ours is not negative');
});

test('every tray state has its icon (1x and 2x) in resources/', () => {
  const dir = join(import.meta.dirname, '../../resources');
  for (const state of trayStates) {
    assert.ok(existsSync(join(dir, `tray-${state}.png`)), `tray-${state}.png`);
    assert.ok(existsSync(join(dir, `tray-${state}@2x.png`)), `tray-${state}@2x.png`);
  }
});

const menuBase: MenuFacts = { trayState: 'synced', paused: false, hubConfigured: true, syncing: false, conflicts: 0, updateReady: false, quitting: false };
const items = (facts: Partial<MenuFacts>) => trayMenuModel({ ...menuBase, ...facts }).filter((i) => i.type === 'item');
const find = (facts: Partial<MenuFacts>, action: string) => items(facts).find((i) => i.action === action);

test('the tray menu: Open, Sync now, Pause/Resume, Review conflicts (N), Quit', () => {
  assert.deepEqual(
    items({}).map((i) => i.label),
    ['Open Outpost', 'Sync now', 'Pause sync', 'Review conflicts (0)', 'Quit'],
  );
  assert.equal(find({}, 'review-conflicts')?.enabled, false, 'nothing to review');
  assert.equal(find({ conflicts: 4 }, 'review-conflicts')?.label, 'Review conflicts (4)');
  assert.equal(find({ conflicts: 4 }, 'review-conflicts')?.enabled, true);
  assert.equal(find({ paused: true }, 'resume')?.label, 'Resume sync');
  assert.equal(find({ paused: true }, 'pause'), undefined);
  assert.equal(find({ paused: true }, 'sync-now')?.enabled, false, 'no sync while paused');
  assert.equal(find({ syncing: true }, 'sync-now')?.enabled, false);
  assert.equal(find({ syncing: true }, 'sync-now')?.label, 'Syncing…');
  assert.equal(find({ hubConfigured: false }, 'sync-now')?.enabled, false);
  assert.equal(find({ hubConfigured: false }, 'pause')?.enabled, false);
  assert.equal(find({ updateReady: true }, 'restart-to-update')?.label, 'Restart to update');
  assert.equal(find({}, 'restart-to-update'), undefined);
  assert.ok(items({ quitting: true }).every((i) => !i.enabled), 'nothing to click while quitting');
  const model = trayMenuModel(menuBase);
  assert.equal(model.at(-1)?.type === 'item' && model.at(-1)?.type, 'item');
  assert.equal((model.at(-1) as { action: string }).action, 'quit', 'Quit is last');
});

test('issue 11: the tray never says up to date before a sync, or with anything pending, failed or unpushed', () => {
  const notSynced: Array<Partial<TrayFacts>> = [
    { lastSyncAt: null },
    { lastSyncAt: null, pending: 2 },
    { failed: 1 },
    { workspaceUnsynced: 1 },
    { workspaceUnsynced: null },
  ];
  for (const facts of notSynced) {
    const view = trayView({ ...base, ...facts }, now);
    assert.notEqual(view.state, 'synced', JSON.stringify(facts));
    assert.doesNotMatch(view.tooltip, /up to date|in sync/i, JSON.stringify(facts));
  }
  assert.match(trayView({ ...base, lastSyncAt: null }, now).tooltip, /Not synced yet/);
  assert.equal(trayView({ ...base, workspaceUnsynced: 0 }, now).state, 'synced');
});
