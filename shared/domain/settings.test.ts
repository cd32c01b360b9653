import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepMerge, defaultSettings, settingsPatchSchema, settingsSchema } from './settings';

test('defaults: periodic sync every 30 s, LWW per table, 0.8 confidence, workspace "default" every 5 min', () => {
  const s = defaultSettings();
  assert.equal(s.sync.mode, 'periodic');
  assert.equal(s.sync.intervalMs, 30_000);
  assert.equal(s.sync.debounceMs, 500);
  assert.equal(s.conflicts.threshold, 0.8);
  assert.equal(s.conflicts.tables.agents.strategy, 'lww');
  assert.equal(s.workspace.name, 'default');
  assert.equal(s.workspace.autoCommitMinutes, 5);
});

test('a partial object deep-merges: {sync: {mode}} leaves the other sync settings alone', () => {
  const merged = settingsSchema.parse(deepMerge(defaultSettings(), { sync: { mode: 'auto' } }));
  assert.equal(merged.sync.mode, 'auto');
  assert.equal(merged.sync.intervalMs, 30_000);
  assert.equal(merged.node.name, defaultSettings().node.name);
});

test('unknown keys, wrong types and prototype keys are refused or ignored', () => {
  assert.equal(settingsSchema.safeParse(deepMerge(defaultSettings(), { sync: { mood: 'x' } })).success, false);
  assert.equal(settingsSchema.safeParse(deepMerge(defaultSettings(), { sync: { intervalMs: 'soon' } })).success, false);
  const polluted = deepMerge({}, JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.hasOwn(polluted, '__proto__'), false);
});

test('a settings patch naming a prototype key is refused, not merged away into a silent no-op', () => {
  for (const patch of [{ constructor: false }, { sync: { prototype: 1 } }, JSON.parse('{"ui": {"__proto__": {"x": 1}}}')]) {
    assert.equal(settingsPatchSchema.safeParse(patch).success, false, JSON.stringify(patch));
  }
  assert.equal(settingsPatchSchema.safeParse({ sync: { mode: 'manual' } }).success, true);
});
