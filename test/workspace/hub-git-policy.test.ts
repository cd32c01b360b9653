/**
 * The hub's Git hosting refuses, explicitly and with a clear message, what would rewrite or hide a workspace's
 * history: deleting a branch (also a side branch, which git's defaults allow), a non-fast-forward update (a
 * force-push), and a hostile path in any new commit of a push, not only in the tip. The real git CLI pushes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createFailureLimiter } from '../../shared/auth/failure-limiter';
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

test('names no other OS can check out are refused in any new commit: device names, trailing dots, 8.3 short names, case twins', async () => {
  const tip = await remoteRef('refs/heads/main');
  const tipOid = tip.split('\t')[0]!;
  await gitOk(['reset', '--quiet', '--hard', tipOid], { cwd: clone });
  for (const [path, reason] of [
    ['nul.txt', /not a portable name/],
    ['notes/COM1', /not a portable name/],
    ['draft./a.md', /not a portable name/],
    ['docs/PROGRA~1/a.md', /not a portable name/],
    ['A.MD', /"A\.MD" and "a\.md" differ only in letter case/],
  ] as const) {
    await commitFile(path, 'x\n');
    const res = await gitCli(['push', 'origin', 'main'], { cwd: clone });
    assert.notEqual(res.code, 0, `${path}: ${res.stderr}`);
    assert.match(res.stderr, reason, path);
    assert.equal(await remoteRef('refs/heads/main'), tip, `${path}: the branch did not move`);
    await gitOk(['reset', '--quiet', '--hard', tipOid], { cwd: clone });
  }
  await commitFile('console.md', 'a name that only starts like a device\n');
  await gitOk(['push', '--quiet', 'origin', 'main'], { cwd: clone });
});

test('caps: the repository count, the push size on the wire, failed authentications and the request rate', async () => {
  const failures = createFailureLimiter({ max: 3, windowMs: 60_000 });
  const capped = await startGitHost(join(t.dir, 'capped'), TOKEN, { maxRepos: 1, maxBodyBytes: 64 * 1024, failures, rateLimit: { max: 40, windowMs: 60_000 } });
  try {
    const work = join(t.dir, 'capped-clone');
    await gitOk(['init', '--quiet', '-b', 'main', work]);
    const push = (repo: string) => gitCli(['push', withAuth(`${capped.base}/git/${repo}.git`, TOKEN), 'main'], { cwd: work });
    await gitOk(['commit', '--quiet', '--allow-empty', '-m', 'first'], { cwd: work });
    assert.equal((await push('one')).code, 0);
    const second = await push('two');
    assert.notEqual(second.code, 0);
    assert.match(second.stderr, /403|maximum of 1 workspace repositories/);
    assert.equal(existsSync(join(t.dir, 'capped', 'two.git')), false, 'no second repository was made');

    writeFileSync(join(work, 'big.bin'), randomBytes(512 * 1024)); // incompressible: well past 64 KB on the wire
    await gitOk(['add', 'big.bin'], { cwd: work });
    await gitOk(['commit', '--quiet', '-m', 'big'], { cwd: work });
    const big = await push('one');
    assert.notEqual(big.code, 0, 'the oversized push fails');
    assert.match(big.stderr, /413|larger than this hub accepts|remote end hung up/);
    const heads = (await gitCli(['ls-remote', withAuth(`${capped.base}/git/one.git`, TOKEN), 'refs/heads/main'], { cwd: work })).stdout;
    assert.doesNotMatch(heads, new RegExp((await gitOk(['rev-parse', 'HEAD'], { cwd: work })).trim()), 'the big commit is not on the hub');

    const infoRefs = (password: string) =>
      fetch(`${capped.base}/git/one.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from(`n:${password}`).toString('base64')}` } });
    for (let i = 0; i < 3; i++) assert.equal((await infoRefs('wrong')).status, 401);
    const blocked = await infoRefs(TOKEN);
    assert.equal(blocked.status, 429, 'a guessing address is refused before its token is checked, the right one too');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0);
  } finally {
    await capped.close();
  }
  const limited = await startGitHost(join(t.dir, 'limited'), TOKEN, { rateLimit: { max: 3, windowMs: 60_000 } });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${limited.base}/git/r.git/info/refs?service=git-upload-pack`)).status);
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  } finally {
    await limited.close();
  }
});
