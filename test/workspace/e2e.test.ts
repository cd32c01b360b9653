import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, artifactPath } from '../support/browser';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { startTestHub, type TestHub } from '../sync/support';
import { gitCli, gitOk, tempDir, withAuth } from './helpers';
import type { WorkspaceItem, WorkspaceSyncResult, WorkspaceCommit } from '../../shared/domain/workspace';
import type { ConflictSummary, ConflictDetail } from '../../shared/domain/conflicts';
import type { Page } from '../../shared/domain/records';

// Done-when, for real: a hub process with Git hosting, two `outpost node` processes and the git CLI share one
// workspace; a conflict between the nodes is resolved in the review window in Chromium.
test('two nodes and the git CLI share a workspace through the hub; a conflict is resolved in the UI', async () => {
  const t = tempDir('ws-e2e');
  let hub: TestHub | undefined;
  let a: RunningNode | undefined;
  let b: RunningNode | undefined;
  const browser = await launchChromium();
  try {
    hub = await startTestHub();
    const ea = await hub.enroll('alpha');
    const eb = await hub.enroll('beta');
    [a, b] = await Promise.all([
      startNodeProcess({ name: 'alpha', dataDir: join(t.dir, 'a'), hub: { url: hub.url, token: ea.token } }),
      startNodeProcess({ name: 'beta', dataDir: join(t.dir, 'b'), hub: { url: hub.url, token: eb.token } }),
    ]);

    await a.call<WorkspaceItem>('workspace.save', { path: 'config/app.yaml', content: 'name: shared\nretries: 3\n' });
    await a.call<WorkspaceItem>('workspace.save', { path: 'agents/support.agent.json', content: '{\n  "model": "small"\n}\n' });
    assert.equal((await a.call<WorkspaceSyncResult>('workspace.sync', {})).outcome, 'pushed');
    assert.equal((await b.call<WorkspaceSyncResult>('workspace.sync', {})).outcome, 'fast-forward');
    assert.equal((await b.call<WorkspaceItem>('workspace.get', { path: 'config/app.yaml' })).content, 'name: shared\nretries: 3\n');

    // the same line changed on both nodes
    await b.call('workspace.save', { path: 'config/app.yaml', content: 'name: shared\nretries: 5\n' });
    assert.equal((await b.call<WorkspaceSyncResult>('workspace.sync', {})).pushed, true);
    await a.call('workspace.save', { path: 'config/app.yaml', content: 'name: shared\nretries: 7\n' });
    const conflicted = await a.call<WorkspaceSyncResult>('workspace.sync', {});
    assert.equal(conflicted.outcome, 'conflicts');
    const list = await a.call<Page<ConflictSummary>>('conflicts.list', { status: 'pending' });
    const summary = list.items.find((c) => c.kind === 'text');
    assert.ok(summary, 'the text conflict is in conflicts.list');
    const detail = await a.call<ConflictDetail>('conflicts.get', { id: summary.id });
    assert.deepEqual([detail.base, detail.local, detail.remote], ['name: shared\nretries: 3\n', 'name: shared\nretries: 7\n', 'name: shared\nretries: 5\n']);

    // resolve it in the review window
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(a.dashboardUrl);
    await page.waitForURL(`${a.url}/`);
    await page.goto(`${a.url}/#/review/${summary.id}`);
    const merged = page.getByLabel('Merged text');
    await merged.waitFor();
    await merged.fill('name: shared\nretries: 6\n');
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    const deadline = Date.now() + 30_000;
    let after = detail;
    while (Date.now() < deadline && after.status !== 'resolved') {
      await new Promise((r) => setTimeout(r, 250));
      after = await a.call<ConflictDetail>('conflicts.get', { id: summary.id });
    }
    await page.screenshot({ path: artifactPath('workspace-conflict-resolved.png') });
    assert.equal(after.status, 'resolved');
    let head: WorkspaceCommit | undefined;
    while (Date.now() < deadline) {
      head = (await a.call<WorkspaceCommit[]>('workspace.log', { limit: 1 }))[0];
      if (head && head.parents.length === 2) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(head?.parents.length, 2, 'the resolution is a merge commit with both parents');
    assert.equal((await a.call<WorkspaceItem>('workspace.get', { path: 'config/app.yaml' })).content, 'name: shared\nretries: 6\n');

    // the git CLI clones the hub's repository: fsck clean, the merge is there, files equal the items
    const cli = join(t.dir, 'cli');
    await gitOk(['clone', '--quiet', withAuth(`${hub.url}/git/default.git`, ea.token), cli]);
    const fsck = await gitCli(['fsck', '--strict'], { cwd: cli });
    assert.equal(fsck.code, 0, fsck.stderr);
    assert.equal((await gitOk(['log', '-1', '--format=%P'], { cwd: cli })).trim().split(' ').length, 2);
    assert.match(await gitOk(['log', '--graph', '--oneline'], { cwd: cli }), /\*\s+[0-9a-f]+ Merge origin\/main into main\n\|\\/);
    assert.equal(readFileSync(join(cli, 'config/app.yaml'), 'utf8'), 'name: shared\nretries: 6\n');
    const items = await a.call<Page<WorkspaceItem>>('workspace.list', {});
    for (const item of items.items) {
      assert.equal(readFileSync(join(cli, item.path), 'utf8'), (await a.call<WorkspaceItem>('workspace.get', { path: item.path })).content);
    }

    // node B receives the resolution
    await b.call('workspace.sync', {});
    assert.equal((await b.call<WorkspaceItem>('workspace.get', { path: 'config/app.yaml' })).content, 'name: shared\nretries: 6\n');
  } finally {
    await browser.close();
    await a?.stop();
    await b?.stop();
    await hub?.destroy();
    t.cleanup();
  }
});
