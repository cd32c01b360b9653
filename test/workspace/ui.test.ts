import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, artifactPath } from '../support/browser';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { startTestHub, type TestHub } from '../sync/support';
import { gitOk, tempDir, withAuth } from './helpers';
import type { WorkspaceItem, WorkspaceCommit } from '../../shared/domain/workspace';

// The Workspace page in Chromium against a real node process and hub: create and edit items, commit, history,
// and a conflict with a git CLI push resolved hunk by hunk with the three-way merge component.
test('Workspace page: create, edit, commit, history; a conflict resolved per hunk in the three-way merge', async () => {
  const t = tempDir('ws-ui');
  let hub: TestHub | undefined;
  let node: RunningNode | undefined;
  const browser = await launchChromium();
  const errors: string[] = [];
  try {
    hub = await startTestHub();
    const enrolled = await hub.enroll('ui');
    node = await startNodeProcess({ name: 'ui', dataDir: join(t.dir, 'node'), hub: { url: hub.url, token: enrolled.token } });
    await node.call('workspace.save', { path: 'notes/plan.md', content: 'a\nb\nc\nd\ne\n' });
    await node.call('workspace.sync', {});
    const cli = join(t.dir, 'cli');
    await gitOk(['clone', '--quiet', withAuth(`${hub.url}/git/default.git`, enrolled.token), cli]);

    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(node.dashboardUrl);
    await page.waitForURL(`${node.url}/`);
    await page.goto(`${node.url}/#/workspace`);

    // create an item through the page
    await page.getByRole('button', { name: 'New item' }).click();
    await page.getByLabel('Path', { exact: true }).fill('notes/ui.md');
    await page.getByLabel('Content', { exact: true }).fill('made in the UI\n');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: /notes\/ui\.md/ }).waitFor();
    assert.equal((await node.call<WorkspaceItem>('workspace.get', { path: 'notes/ui.md' })).content, 'made in the UI\n');
    await page.getByRole('button', { name: 'Commit now' }).click();
    await page.locator('.ws-history li', { hasText: 'Auto-commit: 1 items' }).waitFor();

    // Commit now also pushed (in the background): the CLI sees the new item
    const deadline = Date.now() + 30_000;
    for (;;) {
      await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
      if (existsSync(join(cli, 'notes/ui.md')) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    assert.equal(readFileSync(join(cli, 'notes/ui.md'), 'utf8'), 'made in the UI\n');
    // the CLI changes line b and pushes; the page edits the same line and syncs: a conflict
    writeFileSync(join(cli, 'notes/plan.md'), 'a\nb remote\nc\nd\ne\n');
    await gitOk(['commit', '-qam', 'cli: b'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    await page.getByRole('button', { name: /notes\/plan\.md/ }).click();
    const editor = page.getByLabel('Item content');
    await editor.waitFor();
    await editor.fill('a\nb local\nc\nd\ne\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Sync', exact: true }).click();
    const panel = page.getByTestId('workspace-conflict');
    await panel.waitFor({ timeout: 30_000 });
    assert.equal(await panel.getByTestId('conflict-hunk').count(), 1);

    const result = panel.getByLabel('Merged text');
    assert.equal(await result.inputValue(), 'a\nb local\nc\nd\ne\n', 'starts from local in the hunk');
    await panel.getByRole('button', { name: 'Take remote' }).click();
    assert.equal(await result.inputValue(), 'a\nb remote\nc\nd\ne\n');
    await panel.getByRole('button', { name: 'Both (local first)' }).click();
    assert.equal(await result.inputValue(), 'a\nb local\nb remote\nc\nd\ne\n');
    await page.screenshot({ path: artifactPath('workspace-three-way-merge.png') });
    await panel.getByRole('button', { name: 'Resolve with this text' }).click();
    await panel.waitFor({ state: 'detached', timeout: 30_000 });
    // the resolution is recorded at once; the merge commit and push follow in the same call
    let item = await node.call<WorkspaceItem>('workspace.get', { path: 'notes/plan.md' });
    for (const until = Date.now() + 30_000; item.conflictId !== null && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250));
      item = await node.call<WorkspaceItem>('workspace.get', { path: 'notes/plan.md' });
    }
    assert.equal(item.content, 'a\nb local\nb remote\nc\nd\ne\n');
    assert.equal(item.conflictId, null);
    const head = (await node.call<WorkspaceCommit[]>('workspace.log', { limit: 1 }))[0]!;
    assert.equal(head.parents.length, 2);
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    assert.equal(readFileSync(join(cli, 'notes/plan.md'), 'utf8'), 'a\nb local\nb remote\nc\nd\ne\n');

    // history of the item: view the first version
    await page.locator('.ws-history li').last().getByRole('button', { name: 'View' }).click();
    await page.locator('pre.ws-preview', { hasText: 'a\nb\nc' }).waitFor();
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node?.stop();
    await hub?.destroy();
    t.cleanup();
  }
});
