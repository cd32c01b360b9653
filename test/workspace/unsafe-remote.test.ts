import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OutpostError } from '../../shared/errors';
import { gitCli, gitOk, openWorkspace, startGitHost, tempDir } from './helpers';

const TOKEN = 'node-token-for-tests';

/**
 * A remote that another Git server let hold a path no checkout can write safely (a backslash in a name: the
 * Outpost hub's pre-receive hook refuses such pushes, so the commit is written into the bare repository
 * directly). The node must stop with a `conflict` error naming the path, merge and push nothing, and keep every
 * local item; once the remote is fixed, the same node syncs again.
 */
test('a remote commit holding an unsafe path is refused with a conflict naming it; nothing local is lost; fixed remote syncs', async () => {
  const t = tempDir('ws-unsafe');
  const repos = join(t.dir, 'repos');
  const host = await startGitHost(repos, TOKEN);
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const bare = join(repos, 'default.git');
  try {
    await a.ws.save({ path: 'notes/plan.md', content: 'plan\n' });
    assert.equal((await a.ws.sync()).outcome, 'pushed');
    const good = (await gitOk(['rev-parse', 'refs/heads/main'], { cwd: bare })).trim();

    // a commit on the remote adding `evil\name.md`, built with plumbing inside the bare repository
    const blob = (await gitCli(['hash-object', '-w', '--stdin'], { cwd: bare, input: 'boom\n' })).stdout.trim();
    const tree = (await gitOk(['ls-tree', good], { cwd: bare })) + `100644 blob ${blob}\tevil\\name.md\n`;
    const newTree = (await gitCli(['mktree'], { cwd: bare, input: tree })).stdout.trim();
    assert.match(newTree, /^[0-9a-f]{40}$/);
    const evil = (await gitCli(['commit-tree', newTree, '-p', good, '-m', 'unsafe path'], { cwd: bare })).stdout.trim();
    await gitOk(['update-ref', 'refs/heads/main', evil, good], { cwd: bare });

    await a.ws.save({ path: 'notes/mine.md', content: 'written while the remote is broken\n' });
    await assert.rejects(a.ws.sync(), (error: unknown) => {
      assert.ok(error instanceof OutpostError, String(error));
      assert.equal(error.code, 'conflict');
      assert.match(error.message, /evil\\\\name\.md/, error.message);
      assert.match(error.message, /Nothing was merged or pushed/);
      return true;
    });
    assert.equal((await gitOk(['rev-parse', 'refs/heads/main'], { cwd: bare })).trim(), evil, 'nothing was pushed');
    assert.equal((await a.ws.get('notes/mine.md')).content, 'written while the remote is broken\n');
    assert.equal((await a.ws.get('notes/plan.md')).content, 'plan\n');

    // someone fixes the remote (removes the path in a new commit): the node merges and pushes its item
    const fixed = (await gitCli(['commit-tree', `${good}^{tree}`, '-p', evil, '-m', 'remove the unsafe path'], { cwd: bare })).stdout.trim();
    await gitOk(['update-ref', 'refs/heads/main', fixed, evil], { cwd: bare });
    const after = await a.ws.sync();
    assert.equal(after.pushed, true);
    const files = await gitOk(['ls-tree', '-r', '--name-only', 'refs/heads/main'], { cwd: bare });
    assert.deepEqual(files.trim().split('\n').sort(), ['notes/mine.md', 'notes/plan.md']);
  } finally {
    await a.ws.close();
    await host.close();
    t.cleanup();
  }
});
