import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNode } from '../../main/node';
import { createLogger } from '../../lib/log';
import { channelGitRunner } from '../../main/workspace/index';
import { gitOk, tempDir } from './helpers';

// The Git engine in the real utility process: createNode forks the sync worker, whose entry registers
// worker/git's channel; the workspace is handed to it the way main/node.ts should.
test('the workspace commits through the real sync worker process', async () => {
  const t = tempDir('ws-worker');
  const node = await createNode({ dataDir: t.dir, transport: 'http', background: false, log: createLogger({ quiet: true }) });
  const runner = channelGitRunner(node.sync.channel('git'));
  try {
    node.workspace.setGitRunner(runner);
    await node.workspace.save({ path: 'agents/a.agent.json', content: '{"name":"a"}\n' });
    const res = await node.workspace.commit();
    assert.ok(res.commit);
    assert.equal(res.items, 1);
    assert.equal((await gitOk(['rev-parse', 'HEAD'], { cwd: node.workspace.root })).trim(), res.commit);
    const log = await node.workspace.log({ limit: 5 });
    assert.match(log[0]!.message, /^Auto-commit: 1 items at /);
    const shown = await node.workspace.show({ path: 'agents/a.agent.json', commit: res.commit! });
    assert.equal(shown.content, '{"name":"a"}\n');
  } finally {
    runner.dispose();
    await node.close();
    t.cleanup();
  }
});
