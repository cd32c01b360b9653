/**
 * Hostile workspace paths arriving from the remote: another enrolled node (here the git CLI with its token)
 * pushes a hand-built commit whose tree holds `..`, `.git`, `.GIT`, a backslash name and symlinks pointing
 * out of the workspace (git's own porcelain refuses to build such trees; `git mktree` does not). A node that
 * syncs must either be protected by the hub refusing the push, or take in none of those entries: nothing is
 * written outside its workspace or into its .git, no such item appears, and it stays healthy: later
 * changes still sync both ways. The count of hostile inputs is recorded only if every test passed.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { startTestHub, type TestHub } from '../sync/support';
import { gitCli, gitOk, withAuth } from '../workspace/helpers';
import type { Page } from '../../shared/domain/records';
import type { WorkspaceItem, WorkspaceItemSummary } from '../../shared/domain/workspace';
import { trackedSuite } from '../reliability/figures';

const suite = trackedSuite('security-workspace-remote', 'hostile input: workspace paths from the remote');
const test = suite.test;
let hub: TestHub;
let victim: RunningNode;
let mallory: { nodeId: string; token: string };
let scratch: string;
let synced = '';
let clone = '';
let branch = '';
const started = Date.now();
const tried: Record<string, number> = {};

before(async () => {
  hub = await startTestHub({ rateLimit: false });
  const enrolled = await hub.enroll('victim', 'victim');
  mallory = await hub.enroll('mallory', 'mallory');
  victim = await startNodeProcess({ name: 'victim', hub: { url: hub.url, token: enrolled.token } });
  await victim.call('settings.set', { sync: { mode: 'manual' } });
  scratch = mkdtempSync(join(tmpdir(), 'outpost-sec-git-'));
});
after(async () => {
  await victim?.stop('SIGKILL');
  if (victim) rmSync(victim.dataDir, { recursive: true, force: true });
  await hub?.destroy();
  rmSync(scratch, { recursive: true, force: true });
  suite.finish(() => ({ hostile: tried, durationMs: Date.now() - started }));
});

/** Mallory's commit on top of the hub's branch: its tree is the current one plus `entries` (mktree lines). */
async function pushTree(entries: Array<[string, string]>): Promise<{ code: number; stderr: string }> {
  await gitOk(['fetch', '--quiet', 'origin'], { cwd: clone });
  const existing = await gitOk(['ls-tree', `origin/${branch}`], { cwd: clone });
  const tree = (await gitOk(['mktree'], { cwd: clone, input: existing + entries.map(([mode, rest]) => `${mode} ${rest}\n`).join('') })).trim();
  const commit = (await gitOk(['commit-tree', tree, '-p', `origin/${branch}`, '-m', 'hostile'], { cwd: clone })).trim();
  return gitCli(['push', 'origin', `${commit}:refs/heads/${branch}`], { cwd: clone });
}

test('a pushed tree with .., .git, backslashes and outward symlinks never reaches outside the workspace', { timeout: 120_000 }, async (t) => {
  await victim.call('workspace.save', { path: 'notes/ok.md', content: 'fine\n' });
  await victim.call('workspace.sync', {});

  clone = join(scratch, 'clone');
  await gitOk(['clone', '--quiet', withAuth(`${hub.url}/git/default.git`, mallory.token), clone]);
  branch = (await gitOk(['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: clone })).trim();
  const blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: clone, input: 'pwned\n' })).trim();
  const inner = (await gitOk(['mktree'], { cwd: clone, input: `100644 blob ${blob}\tconfig\n100644 blob ${blob}\tpwned.md\n` })).trim();
  const target = (p: string) => gitOk(['hash-object', '-w', '--stdin'], { cwd: clone, input: p }).then((s) => s.trim());
  const hostile: Array<[string, string]> = [
    ['040000 tree', `${inner}\t..`],
    ['040000 tree', `${inner}\t.git`],
    ['040000 tree', `${inner}\t.GIT`],
    ['100644 blob', `${blob}\ta\\..\\..\\evil.md`],
    ['120000 blob', `${await target('/etc')}\tabs-link`],
    ['120000 blob', `${await target('../../..')}\tup-link`],
    ['120000 blob', `${await target('/etc/passwd')}\tpasswd.md`],
  ];
  tried['hostile tree entries pushed by another node'] = hostile.length;
  // everything at once: the hub's fsck refuses .. and .git, which protects every node
  const all = await pushTree(hostile);
  t.diagnostic(all.code === 0 ? 'the hub accepted .., .git entries' : `the hub refused .. and .git: ${all.stderr.replace(/\s+/g, ' ').slice(0, 160)}`);
  // git's fsck lets a backslash name through, but no node could check it out: the hub's pre-receive hook refuses it
  const backslash = hostile.filter(([, rest]) => rest.includes('\\'));
  const refused = await pushTree(backslash);
  assert.notEqual(refused.code, 0, 'the hub refuses a backslash path');
  assert.match(refused.stderr, /backslash/);
  // what is left (symlinks out of the workspace) reaches the node
  const passing = hostile.filter(([, rest]) => !/\t(\.\.|\.git|\.GIT)$/.test(rest) && !rest.includes('\\'));
  const pushed = await pushTree(all.code === 0 ? [] : passing);
  assert.equal(pushed.code, 0, `the symlinks are pushed: ${pushed.stderr}`);
  synced = await victim.call<{ outcome: string }>('workspace.sync', {}).then((r) => r.outcome, (e: Error) => e.message);
  t.diagnostic(`node workspace.sync after the hostile commit: ${synced.slice(0, 200)}`);
  if (process.env.DEBUG_WS) t.diagnostic(readFileSync(join(victim.dataDir, 'logs', 'node.log'), 'utf8').split('\n').filter((l) => /error|warn/.test(l)).slice(-5).join('\n'));
  const workspace = join(victim.dataDir, 'workspace');
  assert.equal(existsSync(join(victim.dataDir, 'config')), false, 'nothing written through ..');
  assert.equal(existsSync(join(victim.dataDir, 'pwned.md')), false, 'nothing written through ..');
  assert.ok(!readFileSync(join(workspace, '.git', 'config'), 'utf8').includes('pwned'), '.git/config untouched');
  assert.equal(existsSync(join(workspace, '.git', 'pwned.md')), false, 'nothing written into .git');
  const items = await victim.call<Page<WorkspaceItemSummary>>('workspace.list', { limit: 1000 });
  const paths = items.items.map((i) => i.path);
  for (const bad of ['../config', '.git/config', '.GIT/config', '.GIT/pwned.md', 'a\\..\\..\\evil.md', 'abs-link', 'up-link', 'passwd.md']) {
    assert.ok(!paths.includes(bad), `${bad} is not an item (items: ${JSON.stringify(paths)})`);
  }
  // a symlink to /etc/passwd named like an item must not be read through
  for (const p of paths) {
    const item = await victim.call<WorkspaceItem>('workspace.get', { path: p });
    assert.ok(!item.content.includes('root:'), `${p} does not expose a file outside the workspace`);
  }
  assert.equal((await victim.call<WorkspaceItem>('workspace.get', { path: 'notes/ok.md' })).content, 'fine\n');
  assert.ok((await victim.call<{ nodeId: string }>('app.info', {})).nodeId);
});

// Found by this suite: a backslash path pushed by another node made every node's workspace.sync fail with a
// 500 for good (isomorphic-git refuses to read such a tree). The hub now refuses such pushes, and a node syncing
// with another remote that holds one answers a clear `conflict` naming the path (test/workspace/unsafe-remote.test.ts).
test('a hostile commit from another node does not wedge workspace sync: later changes still sync both ways', { timeout: 120_000 }, async () => {
  // the commit with the outward symlinks was taken in as a plain fast-forward (its symlinks are no items), not an error
  assert.equal(synced, 'fast-forward', 'the sync after the hostile commit');
  assert.equal((await victim.call<{ outcome: string }>('workspace.sync', {})).outcome, 'up-to-date', 'and the next one has nothing to do');
  // another node's legitimate change on top of the hostile commit reaches the victim
  const blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: clone, input: 'a later, honest change\n' })).trim();
  const pushed = await pushTree([['100644 blob', `${blob}\tlater.md`]]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const pulled = await victim.call<{ outcome: string; changed: number }>('workspace.sync', {});
  assert.equal(pulled.outcome, 'fast-forward', JSON.stringify(pulled));
  assert.equal((await victim.call<WorkspaceItem>('workspace.get', { path: 'later.md' })).content, 'a later, honest change\n');
  // and the victim's own change reaches the hub
  await victim.call('workspace.save', { path: 'notes/after.md', content: 'still syncing\n' });
  const out = await victim.call<{ outcome: string; pushed: boolean }>('workspace.sync', {});
  assert.equal(out.outcome, 'pushed', JSON.stringify(out));
  await gitOk(['fetch', '--quiet', 'origin'], { cwd: clone });
  assert.equal(await gitOk(['show', `origin/${branch}:notes/after.md`], { cwd: clone }), 'still syncing\n', "the victim's change is on the hub");
  const status = await victim.call<{ lastError: string | null; conflicts: number }>('workspace.status', {});
  assert.equal(status.lastError, null);
  assert.equal(status.conflicts, 0);
});
