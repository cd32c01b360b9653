import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createNode } from '../../main/node';
import { createLogger } from '../../lib/log';
import { channelGitRunner } from '../../main/workspace/index';
import { waitFor } from '../sync/support';
import { tempDir } from './helpers';

// A Git request in the real utility process when that process is killed: the sync host tells the 'git' channel,
// the request fails at once (not when its time limit or the remote's runs out), and the restarted worker serves
// the next request.
test('a Git request in flight when the worker is killed fails at once; the restarted worker answers the next', async () => {
  const t = tempDir('ws-worker-exit');
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket)); // a remote that accepts and never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const node = await createNode({ dataDir: t.dir, transport: 'http', background: false, log: createLogger({ quiet: true }) });
  const runner = channelGitRunner(node.sync.channel('git'));
  try {
    const dir = node.workspace.root;
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/default.git`;
    const sync = runner.request({ kind: 'git.sync', dir, remote: { url, username: 'n', password: 'p' }, author: { name: 'a', email: 'a@example.com' }, resolutions: [] });
    const outcome = sync.then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
    await waitFor(() => held.length > 0, 15_000, 'the worker reaching the remote');
    const pid = node.sync.workerPid!;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    assert.equal(await outcome, 'unavailable');
    assert.ok(Date.now() - killedAt < 10_000, 'failed with the worker, not at a time limit');
    await waitFor(() => node.sync.workerPid !== undefined && node.sync.workerPid !== pid, 15_000, 'the restarted worker');
    const head = await runner.request({ kind: 'git.head', dir });
    assert.equal(head.unpushed, 0);
  } finally {
    runner.dispose();
    for (const socket of held) socket.destroy();
    silent.close();
    await node.close();
    t.cleanup();
  }
});
