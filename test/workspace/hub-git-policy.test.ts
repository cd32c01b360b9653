/**
 * The hub's Git hosting refuses, explicitly and with a clear message, what would rewrite or hide a workspace's
 * history: deleting a branch (also a side branch, which git's defaults allow), a non-fast-forward update (a
 * force-push), and a hostile path in any new commit of a push, not only in the tip. The real git CLI pushes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gitCli, gitOk, startGitHost, tempDir, withAuth } from './helpers';

const TOKEN = 'policy-token';
let t: ReturnType<typeof tempDir>;
let host: Awaited<ReturnType<typeof startGitHost>>;
let clone: string;

before(async () => {
  t = tempDir('hub-git-policy');
  host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  clone = join(t.dir, 'clone');
  await gitOk(['init', '--quiet', '-b', 'main', clone]);
  await gitOk(['remote', 'add', 'origin', withAuth(`${host.base}/git/policy.git`, TOKEN)], { cwd: clone });
  await commitFile('a.md', 'one\n');
  await gitOk(['push', '--quiet', 'origin', 'main'], { cwd: clone });
});
after(async () => {
  await host?.close();
  t?.cleanup();
});

async function commitFile(path: string, content: string): Promise<string> {
  const blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: clone, input: content })).trim();
  await gitOk(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { cwd: clone });
  await gitOk(['commit', '--quiet', '-m', `write ${path}`], { cwd: clone });
  return (await gitOk(['rev-parse', 'HEAD'], { cwd: clone })).trim();
}

const remoteRef = async (ref: string) => (await gitCli(['ls-remote', 'origin', ref], { cwd: clone })).stdout.trim();

test('deleting a pushed side branch is refused, and the branch stays', async () => {
  await gitOk(['push', '--quiet', 'origin', 'main:refs/heads/side'], { cwd: clone });
  assert.notEqual(await remoteRef('refs/heads/side'), '');
  const res = await gitCli(['push', 'origin', ':refs/heads/side'], { cwd: clone });
  assert.notEqual(res.code, 0, res.stderr);
  assert.match(res.stderr, /delet/i);
  assert.notEqual(await remoteRef('refs/heads/side'), '', 'the side branch is still on the hub');
});

test('a force-pushed non-fast-forward update is refused, and the branch keeps its commit', async () => {
  const before = await commitFile('b.md', 'two\n');
  await gitOk(['push', '--quiet', 'origin', 'main'], { cwd: clone });
  await gitOk(['reset', '--quiet', '--hard', 'HEAD~1'], { cwd: clone });
  await commitFile('c.md', 'rewritten\n');
  const res = await gitCli(['push', '--force', 'origin', 'main'], { cwd: clone });
  assert.notEqual(res.code, 0, res.stderr);
  assert.match(res.stderr, /non-fast-forward|not a fast-forward/i);
  assert.ok((await remoteRef('refs/heads/main')).startsWith(before));
  await gitOk(['reset', '--quiet', '--hard', before], { cwd: clone });
});

test('an unsafe path in a commit below a clean tip is refused (every new commit is checked)', async () => {
  const tip = await remoteRef('refs/heads/main');
  await commitFile('bad\\name.md', 'hostile\n');
  await gitOk(['rm', '--quiet', '--cached', 'bad\\name.md'], { cwd: clone });
  await gitOk(['commit', '--quiet', '-m', 'clean tip'], { cwd: clone });
  const tree = await gitOk(['ls-tree', '-r', '--name-only', 'HEAD'], { cwd: clone });
  assert.doesNotMatch(tree, /\\/, 'the tip itself is clean');
  const res = await gitCli(['push', 'origin', 'main'], { cwd: clone });
  assert.notEqual(res.code, 0, res.stderr);
  assert.match(res.stderr, /backslash/);
  assert.equal(await remoteRef('refs/heads/main'), tip);
});
