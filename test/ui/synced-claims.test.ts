import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, artifactPath } from '../support/browser';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { startTestHub, type TestHub } from '../sync/support';

/**
 * No surface says "synced" or "up to date" while anything is pending, failed or not on the hub (workspace items
 * and Git commits included), and every surface says it once nothing is: the sidebar, the Queue page and the
 * Conflicts page, in Chromium against a real node process and hub.
 */
test('the dashboard claims "up to date" only when nothing is pending or unpushed, workspace included', { timeout: 240_000 }, async () => {
  let hub: TestHub | undefined;
  let node: RunningNode | undefined;
  const browser = await launchChromium();
  const errors: string[] = [];
  try {
    hub = await startTestHub();
    const enrolled = await hub.enroll('claims');
    node = await startNodeProcess({ name: 'claims', hub: { url: hub.url, token: enrolled.token } });
    await node.call('settings.set', { sync: { mode: 'manual' }, workspace: { autoCommitMinutes: 1440 } });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(node.dashboardUrl);
    await page.waitForURL(`${node.url}/`);
    const sidebar = page.locator('.sidebar .sync-state');

    const expectNotSynced = async (waiting: RegExp, what: string) => {
      await page.locator('.sidebar .sync-state[data-synced="false"]').waitFor({ timeout: 20_000 });
      await sidebar.getByText(waiting).waitFor({ timeout: 20_000 });
      assert.doesNotMatch((await sidebar.textContent()) ?? '', /up to date/, `sidebar: ${what}`);
      await page.goto(`${node!.url}/#/queue`);
      await page.getByText(/^Not synced: /).waitFor({ timeout: 20_000 });
      assert.equal(await page.getByText(/up to date|in sync/i).count(), 0, `queue page: ${what}`);
      await page.goto(`${node!.url}/#/conflicts`);
      await page.getByRole('heading', { name: /Conflicts/ }).first().waitFor();
      assert.equal(await page.getByText(/up to date|in sync/i).count(), 0, `conflicts page: ${what}`);
    };
    const expectSynced = async (what: string) => {
      await page.locator('.sidebar .sync-state[data-synced="true"]').waitFor({ timeout: 30_000 });
      assert.match((await sidebar.textContent()) ?? '', /sync: up to date/, `sidebar: ${what}`);
      await page.goto(`${node!.url}/#/queue`);
      await page.getByText('Everything acknowledged by the hub is up to date.').waitFor({ timeout: 20_000 });
    };

    // a change, never synced
    await node.call('agents.create', { name: 'Scout', type: 'llm' });
    await expectNotSynced(/1 pending/, 'a pending change before any sync');
    await page.screenshot({ path: artifactPath('claims-pending.png'), fullPage: true });

    // synced: the claim is made
    await node.call('sync.now', {});
    await expectSynced('after a sync with nothing left');

    // a workspace item saved, then committed but not pushed: not synced either way
    await node.call('workspace.save', { path: 'notes/claim.md', content: 'not on the hub yet\n' });
    await expectNotSynced(/1 workspace change not on the hub/, 'a saved workspace item');
    await node.call('workspace.commit', { sync: false });
    await expectNotSynced(/1 workspace change not on the hub/, 'a commit not pushed');
    await page.screenshot({ path: artifactPath('claims-unpushed.png'), fullPage: true });

    await node.call('workspace.sync', {});
    await expectSynced('after the commit was pushed');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await node?.stop();
    await hub?.destroy();
  }
});

