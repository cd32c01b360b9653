import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitCli, gitOk, openWorkspace, startGitHost, tempDir, withAuth } from './helpers';
import { getTextConflict, listTextConflicts, resolveTextConflict } from '../../main/workspace/index';
import { handleGitRequest } from '../../worker/git/index';
import { pushBranch } from '../../worker/git/push';

const TOKEN = 'node-token-for-tests';

test('a resolution made offline is merged when the remote is back; a remote that moved again re-opens the conflict from the resolution', async () => {
  const t = tempDir('ws-offline');
  const reposDir = join(t.dir, 'repos');
  let host = await startGitHost(reposDir, TOKEN);
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const cli = join(t.dir, 'cli');
  try {
    await a.ws.save({ path: 'doc.md', content: 'title\nbody\n' });
    await a.ws.sync();
    await gitOk(['clone', '--quiet', withAuth(`${host.base}/git/default.git`, TOKEN), cli]);
    writeFileSync(join(cli, 'doc.md'), 'title (cli)\nbody\n');
    await gitOk(['commit', '-qam', 'cli title'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    await a.ws.save({ path: 'doc.md', content: 'title (alpha)\nbody\n' });
    assert.equal((await a.ws.sync()).outcome, 'conflicts');
    const id = (await listTextConflicts(a.ws, { status: 'pending' })).items[0]!.id;

    // the remote goes away; resolving still records the choice and writes the file
    await host.close();
    await resolveTextConflict(a.ws, id, 'title (both)\nbody\n');
    assert.equal(readFileSync(join(a.ws.root, 'doc.md'), 'utf8'), 'title (both)\nbody\n');
    await assert.rejects(a.ws.sync(), (e: { code?: string }) => e.code === 'unavailable');
    assert.match((await a.ws.status()).lastError ?? '', /unreachable|ECONNREFUSED|Git remote/);

    // the remote moved again meanwhile (same line): the conflict re-opens with the resolution as local
    host = await startGitHost(reposDir, TOKEN); // same repositories, a new port
    a.settings.set({ sync: { hubUrl: host.base } });
    await gitOk(['remote', 'set-url', 'origin', withAuth(`${host.base}/git/default.git`, TOKEN)], { cwd: cli });
    writeFileSync(join(cli, 'doc.md'), 'title (cli, again)\nbody\n');
    await gitOk(['commit', '-qam', 'cli title again'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    const again = await a.ws.sync();
    assert.equal(again.outcome, 'conflicts');
    const reopened = (await listTextConflicts(a.ws, { status: 'pending' })).items;
    assert.equal(reopened.length, 1);
    assert.notEqual(reopened[0]!.id, id);
    const detail = await getTextConflict(a.ws, reopened[0]!.id);
    assert.equal(detail.local, 'title (both)\nbody\n', "the person's resolution is the local side now");
    assert.equal(detail.remote, 'title (cli, again)\nbody\n');

    // taking local now merges the earlier resolution: a merge commit with both parents, pushed
    await resolveTextConflict(a.ws, reopened[0]!.id, 'local');
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    assert.equal(readFileSync(join(cli, 'doc.md'), 'utf8'), 'title (both)\nbody\n');
    assert.equal((await gitOk(['log', '-1', '--format=%P'], { cwd: cli })).trim().split(' ').length, 2);
    assert.equal((await gitCli(['fsck', '--strict'], { cwd: cli })).code, 0);
  } finally {
    await a.ws.close();
    await host.close();
    t.cleanup();
  }
});

test('a push the remote refuses because it moved is reported as rejected (sync then fetches, merges and pushes)', async () => {
  const t = tempDir('ws-reject');
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  const dir = join(t.dir, 'node');
  const remote = { url: `${host.base}/git/default.git`, username: 'n', password: TOKEN };
  const author = { name: 'Node', email: 'node@x' };
  try {
    await handleGitRequest({ kind: 'git.init', dir });
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    await handleGitRequest({ kind: 'git.commit', dir, changed: ['a.txt'], removed: [], message: 'first', author });
    assert.equal(await pushBranch(dir, remote.url, remote), 'pushed', 'first push to an empty repository');
    assert.equal(await pushBranch(dir, remote.url, remote), 'up-to-date');
    const cli = join(t.dir, 'cli');
    await gitOk(['clone', '--quiet', withAuth(remote.url, TOKEN), cli]);
    writeFileSync(join(cli, 'b.txt'), 'b\n');
    await gitOk(['add', 'b.txt'], { cwd: cli });
    await gitOk(['commit', '-qm', 'cli'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    writeFileSync(join(dir, 'a.txt'), 'a2\n');
    await handleGitRequest({ kind: 'git.commit', dir, changed: ['a.txt'], removed: [], message: 'second', author });
    assert.equal(await pushBranch(dir, remote.url, remote), 'rejected');
    await assert.rejects(pushBranch(dir, remote.url, { ...remote, password: 'wrong' }), (e: { code?: string }) => e.code === 'unauthorized');
    const res = await handleGitRequest({ kind: 'git.sync', dir, remote, author, resolutions: [] });
    assert.equal(res.outcome, 'merged');
    assert.equal(res.pushed, true);
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    assert.equal(readFileSync(join(cli, 'a.txt'), 'utf8'), 'a2\n');
    assert.equal((await gitCli(['fsck', '--strict'], { cwd: cli })).code, 0);
  } finally {
    await host.close();
    t.cleanup();
  }
});
