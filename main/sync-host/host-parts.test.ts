import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../lib/log';
import type { MainToWorker } from '../../shared/protocol/worker';
import { RestartPolicy, STABLE_AFTER_MS } from './restart-policy';
import { WorkerChannels } from './worker-channels';

const log = createLogger({ quiet: true });

test('restart policy: backoff doubles within jitter up to 30 s, starts over after a stable run; five deaths a minute is an error', () => {
  const policy = new RestartPolicy(100);
  const delays = [0, 1, 2, 3].map((i) => policy.exited(1000 + i, 1000));
  delays.forEach((d, i) => assert.ok(d >= (100 * 2 ** i) / 2 && d <= 100 * 2 ** i, `delay ${i}: ${d}`));
  assert.equal(policy.error, null);
  policy.exited(1005, null); // it never started
  assert.match(policy.error ?? '', /5 times in a minute/);
  policy.running(1010 + STABLE_AFTER_MS + 1, 1010);
  assert.equal(policy.error, null, 'a stable run clears it');
  assert.ok(policy.exited(1010 + STABLE_AFTER_MS + 2, 1010) <= 100, 'and the backoff starts over');
  for (let i = 0; i < 20; i++) assert.ok(policy.exited(10_000_000 + i * 61_000, null) <= 30_000);
});

test('worker channels: held while the worker is not ready, sent in order once it is; each channel hears its own', () => {
  const posted: MainToWorker[] = [];
  let ready = false;
  const channels = new WorkerChannels((m) => posted.push(m), () => ready, log);
  const git = channels.channel('git');
  git.post({ n: 1 });
  git.post({ n: 2 });
  assert.equal(posted.length, 0);
  ready = true;
  channels.flush();
  git.post({ n: 3 });
  assert.deepEqual(posted.map((m) => (m.type === 'channel' ? m.payload : null)), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  const heard: unknown[] = [];
  const off = git.on((p) => heard.push(p));
  channels.channel('other').on(() => {
    throw new Error('a broken listener');
  });
  channels.deliver('git', 'x');
  channels.deliver('other', 'y'); // logged, not thrown
  off();
  channels.deliver('git', 'z');
  assert.deepEqual(heard, ['x']);
  // a ready worker's exit is news to every channel (its callers stop waiting); listeners can leave
  let exits = 0;
  const offExit = git.onWorkerExit(() => exits++);
  channels.workerExited();
  offExit();
  channels.workerExited();
  assert.equal(exits, 1);
});
