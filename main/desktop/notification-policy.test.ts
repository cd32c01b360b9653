import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotificationPolicy, routeOf, type NotificationFacts } from './notification-policy';

const MIN = 60_000;
const base: NotificationFacts = { syncState: 'idle', lastError: null, conflicts: 0, newestConflictId: null, editsReplaced: 0, newestReplacedId: null, enabled: true };

test('a new conflict notifies once and clicks through to its review window', () => {
  const policy = new NotificationPolicy();
  assert.deepEqual(policy.observe({ ...base, conflicts: 2 }, 0), [], 'conflicts already waiting at start are not announced');
  const [n] = policy.observe({ ...base, conflicts: 3, newestConflictId: 'r:42' }, 1000);
  assert.equal(n?.kind, 'conflict');
  assert.deepEqual(n?.target, { window: 'review', conflictId: 'r:42' });
  assert.equal(routeOf(n!.target), '/review/r:42');
  assert.deepEqual(policy.observe({ ...base, conflicts: 3, newestConflictId: 'r:42' }, 2000), [], 'same count: nothing new');
});

test('conflicts arriving in a burst are throttled into one summary that opens the conflicts page', () => {
  const policy = new NotificationPolicy();
  policy.observe(base, 0);
  assert.equal(policy.observe({ ...base, conflicts: 1, newestConflictId: 'r:1' }, 1000).length, 1);
  for (let i = 2; i <= 10; i++) {
    assert.deepEqual(policy.observe({ ...base, conflicts: i, newestConflictId: `r:${i}` }, 1000 + i * 1000), [], `throttled ${i}`);
  }
  const [summary] = policy.observe({ ...base, conflicts: 10, newestConflictId: 'r:10' }, 1000 + 2 * MIN);
  assert.equal(summary?.title, '10 conflicts need your review');
  assert.deepEqual(summary?.target, { window: 'main', route: '/conflicts' });
});

test('conflicts resolved before the throttle ends are not announced', () => {
  const policy = new NotificationPolicy();
  policy.observe(base, 0);
  policy.observe({ ...base, conflicts: 1, newestConflictId: 'r:1' }, 0);
  policy.observe({ ...base, conflicts: 2, newestConflictId: 'r:2' }, 1000);
  policy.observe({ ...base, conflicts: 0 }, 2000);
  assert.deepEqual(policy.observe({ ...base, conflicts: 0 }, 10 * MIN), []);
});

test('an edit made here replaced by a resolution elsewhere (or automatic) is told once, and opens that conflict', () => {
  const policy = new NotificationPolicy();
  assert.deepEqual(policy.observe({ ...base, editsReplaced: 4 }, 0), [], 'replaced before start: the conflicts page lists them');
  const [n] = policy.observe({ ...base, editsReplaced: 5, newestReplacedId: 'r:9' }, 1000);
  assert.equal(n?.kind, 'replaced');
  assert.equal(n?.title, 'An edit made here was replaced');
  assert.deepEqual(n?.target, { window: 'review', conflictId: 'r:9' });
  assert.deepEqual(policy.observe({ ...base, editsReplaced: 5, newestReplacedId: 'r:9' }, 2000), [], 'nothing new');
  // a conflict and a replaced edit at once: both are told, each by its own kind
  const both = policy.observe({ ...base, conflicts: 1, newestConflictId: 'r:10', editsReplaced: 7, newestReplacedId: 'r:11' }, 5 * MIN);
  assert.deepEqual(both.map((m) => [m.kind, m.title]), [['conflict', 'A conflict needs your review'], ['replaced', '2 edits made here were replaced']]);
  assert.deepEqual(both[1]?.target, { window: 'main', route: '/conflicts' });
  // undone (the count falls) before being told: nothing left to tell
  const quiet = new NotificationPolicy();
  quiet.observe(base, 0);
  quiet.observe({ ...base, editsReplaced: 1, newestReplacedId: 'r:1' }, 0);
  quiet.observe({ ...base, editsReplaced: 2, newestReplacedId: 'r:2' }, 1000);
  quiet.observe({ ...base, editsReplaced: 0 }, 2000);
  assert.deepEqual(quiet.observe({ ...base, editsReplaced: 0 }, 10 * MIN), []);
});

test('sync failing for a while notifies once per episode', () => {
  const policy = new NotificationPolicy({ failingAfterMs: 5 * MIN });
  const failing = { ...base, syncState: 'error' as const, lastError: 'The hub refused this node token (401).' };
  assert.deepEqual(policy.observe(failing, 0), []);
  assert.deepEqual(policy.observe(failing, 4 * MIN), [], 'not yet: a short failure is not worth a notification');
  const [n] = policy.observe(failing, 5 * MIN);
  assert.equal(n?.kind, 'sync-failing');
  assert.match(n!.body, /5 min.*401/);
  assert.deepEqual(n?.target, { window: 'main', route: '/queue' });
  assert.deepEqual(policy.observe(failing, 30 * MIN), [], 'once per episode');
  policy.observe(base, 31 * MIN); // recovered
  policy.observe(failing, 32 * MIN);
  assert.deepEqual(policy.observe(failing, 40 * MIN), [], 'a second episode within the hour is throttled');
  assert.equal(policy.observe(failing, 5 * MIN + 60 * MIN).length, 1, 'after the interval it is told again');
});

test('rate limiting notifies once per episode', () => {
  const policy = new NotificationPolicy();
  const limited = { ...base, syncState: 'syncing' as const, lastError: 'Rate limited by the hub (429), retrying in 30 s' };
  assert.equal(policy.observe(limited, 0)[0]?.kind, 'rate-limited');
  assert.deepEqual(policy.observe(limited, MIN), []);
  assert.deepEqual(policy.observe({ ...base, lastError: 'Rate limited' }, 2 * MIN), [], 'idle again: episode over');
});

test('notifications off: nothing is shown; at most maxPerHour overall', () => {
  const off = new NotificationPolicy();
  off.observe({ ...base, enabled: false }, 0);
  assert.deepEqual(off.observe({ ...base, enabled: false, conflicts: 1, newestConflictId: 'r:1' }, 1000), []);

  const capped = new NotificationPolicy({ maxPerHour: 2, minIntervalMs: { conflict: 0, replaced: 0, 'sync-failing': 0, 'rate-limited': 0 } });
  capped.observe(base, 0);
  let shown = 0;
  for (let i = 1; i <= 10; i++) shown += capped.observe({ ...base, conflicts: i, newestConflictId: `r:${i}` }, i * 1000).length;
  assert.equal(shown, 2);
});
