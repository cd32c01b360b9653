import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GitRunner } from '../../shared/protocol/git';
import { GitQueue } from './git-queue';
import { Mutex } from './lock';

const runner = (name: string) => ({ name, request: async () => undefined }) as unknown as GitRunner & { name: string };
const later = () => new Promise((resolve) => setTimeout(resolve, 5));

test('the mutex runs jobs one at a time in order, and a failed job does not stop the next', async () => {
  const mutex = new Mutex();
  const seen: string[] = [];
  const job = (name: string, fail = false) => async () => {
    seen.push(`${name} start`);
    await later();
    seen.push(`${name} end`);
    if (fail) throw new Error(name);
    return name;
  };
  const a = mutex.run(job('a', true));
  const b = mutex.run(job('b'));
  await assert.rejects(a, /a/);
  assert.equal(await b, 'b');
  await mutex.idle();
  assert.deepEqual(seen, ['a start', 'a end', 'b start', 'b end']);
});

test('Git operations queue one at a time; busy while one runs; a runner swap waits for the queued ones; closed refuses', async () => {
  let ended = 0;
  const queue = new GitQueue(runner('first'), () => ended++);
  const used: string[] = [];
  const op = () =>
    queue.run(async () => {
      assert.equal(queue.busy, true);
      await later();
      used.push((queue.runner as unknown as { name: string }).name);
    });
  const first = op();
  const swap = queue.use(runner('second'));
  const second = op();
  assert.equal((queue.runner as unknown as { name: string }).name, 'first', 'the swap waits for the operation queued before it');
  await Promise.all([first, swap, second]);
  assert.deepEqual(used, ['first', 'second']);
  assert.equal(queue.busy, false);
  assert.equal(ended, 3, 'every operation, the swap included, ends with the hook');
  const queued = op();
  await queue.close();
  await queued;
  await assert.rejects(op(), { code: 'unavailable' });
});
