import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialUpdateState, installDecision, nextCheckAt, updateReducer, updaterConfig, type UpdateEvent } from './update-policy';
import { defaultSettings } from '../../shared/domain/settings';

const HOUR = 3_600_000;

test('settings drive the updater: channel, interval, off, and never in development', () => {
  const s = defaultSettings().app.updates;
  const cfg = updaterConfig(s, { packaged: true });
  assert.equal(cfg.enabled, true);
  assert.equal(cfg.channel, 'latest');
  assert.equal(cfg.allowPrerelease, false);
  assert.equal(cfg.checkEveryMs, s.checkEveryHours * HOUR);
  assert.equal(cfg.autoDownload, true, 'downloads run in the background');
  assert.equal(updaterConfig({ ...s, channel: 'beta' }, { packaged: true }).allowPrerelease, true);
  assert.equal(updaterConfig({ ...s, enabled: false }, { packaged: true }).enabled, false);
  assert.equal(updaterConfig(s, { packaged: false }).enabled, false);
});

test('checks: at start, then every interval; none while downloading or ready, none when off', () => {
  const cfg = updaterConfig({ enabled: true, channel: 'latest', checkEveryHours: 4 }, { packaged: true });
  assert.equal(nextCheckAt(cfg, initialUpdateState, 1000), 1000, 'at start');
  let state = updateReducer(initialUpdateState, { type: 'check-started', at: 1000 });
  assert.equal(nextCheckAt(cfg, state, 2000), null, 'one check at a time');
  state = updateReducer(state, { type: 'not-available' });
  assert.equal(nextCheckAt(cfg, state, 2000), 1000 + 4 * HOUR);
  assert.equal(nextCheckAt(cfg, state, 9 * HOUR), 9 * HOUR, 'overdue (the machine slept): now');
  state = updateReducer(state, { type: 'available', version: '1.2.0' });
  assert.equal(state.phase, 'downloading');
  assert.equal(nextCheckAt(cfg, state, 9 * HOUR), null);
  state = updateReducer(state, { type: 'downloaded', version: '1.2.0' });
  assert.equal(nextCheckAt(cfg, state, 99 * HOUR), null, 'an update waits for a restart; no more checks');
  assert.equal(nextCheckAt({ ...cfg, enabled: false }, initialUpdateState, 0), null);
});

test('a ready update stays ready through later failures', () => {
  const events: UpdateEvent[] = [
    { type: 'check-started', at: 0 },
    { type: 'available', version: '2.0.0' },
    { type: 'downloaded', version: '2.0.0' },
    { type: 'check-started', at: 10 },
    { type: 'failed', message: 'net::ERR_INTERNET_DISCONNECTED' },
    { type: 'not-available' },
  ];
  const state = events.reduce(updateReducer, initialUpdateState);
  assert.equal(state.phase, 'ready');
  assert.equal(state.version, '2.0.0');
  const failed = updateReducer(updateReducer(initialUpdateState, { type: 'check-started', at: 0 }), { type: 'failed', message: 'x'.repeat(1000) });
  assert.equal(failed.phase, 'error');
  assert.equal(failed.error?.length, 300);
});

test('Restart to update never interrupts a sync batch', () => {
  const ready = updateReducer(initialUpdateState, { type: 'downloaded', version: '1.1.0' });
  assert.equal(installDecision(ready, 'syncing'), 'after-sync');
  assert.equal(installDecision(ready, 'idle'), 'now');
  assert.equal(installDecision(ready, 'offline'), 'now');
  assert.equal(installDecision(initialUpdateState, 'idle'), 'nothing-to-install');
});
