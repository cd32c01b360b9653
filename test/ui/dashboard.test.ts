import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, artifactPath } from '../support/browser';
import { startNodeProcess, type RunningNode } from '../support/processes';

// The real thing end to end: `outpost node` as a child process, the built renderer, Debian's Chromium.
let node: RunningNode;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  node = await startNodeProcess({ name: 'ui-test' });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

async function queueCount(status: string): Promise<number> {
  const text = await page.locator(`[data-testid="queue-by-status"] [data-status="${status}"] dd`).textContent();
  return Number((text ?? '').replace(/\D/g, ''));
}

test('the dashboard link signs in and shows the empty agents page', async () => {
  await page.goto(node.dashboardUrl);
  await page.waitForURL(`${node.url}/`);
  await page.getByText('No agents yet').waitFor();
  assert.equal(await page.getByTestId('agents-total').textContent(), '0 agents');
});

test('create an agent: it is listed and the queue count rises', async () => {
  await page.goto(`${node.url}/#/queue`);
  await page.getByTestId('queue-by-status').waitFor();
  const pendingBefore = await queueCount('pending');

  await page.goto(`${node.url}/#/agents`);
  await page.getByRole('button', { name: 'New agent' }).click();
  const form = page.getByRole('form', { name: 'New agent' });
  await form.getByLabel('Name').fill('Harvester');
  await form.getByLabel('Type').fill('crawler');
  await form.getByLabel('Status').selectOption('active');
  await form.getByRole('button', { name: 'Create' }).click();
  const row = page.locator('[role="row"][data-agent-id]', { hasText: 'Harvester' });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /crawler/);
  assert.equal(await row.getByTestId('agent-version').textContent(), 'v1');

  await page.goto(`${node.url}/#/queue`);
  await page.getByTestId('queue-by-status').waitFor();
  for (let waited = 0; (await queueCount('pending')) <= pendingBefore; waited += 100) {
    assert.ok(waited < 10_000, 'the pending count did not rise');
    await page.waitForTimeout(100);
  }

  assert.equal(await queueCount('pending'), pendingBefore + 1);
});

test('edit the agent: its version changes in the table', async () => {
  await page.goto(`${node.url}/#/agents`);
  const row = page.locator('[role="row"][data-agent-id]', { hasText: 'Harvester' });
  await row.getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit agent' });
  await form.getByLabel('Name').fill('Harvester II');
  await form.getByRole('button', { name: 'Save' }).click();
  const edited = page.locator('[role="row"][data-agent-id]', { hasText: 'Harvester II' });
  await edited.waitFor();
  assert.equal(await edited.getByTestId('agent-version').textContent(), 'v2');
  // the API agrees with what the page shows
  const list = await node.call<{ items: Array<{ name: string; version: number }> }>('agents.list', {});
  assert.deepEqual(list.items.map((a) => [a.name, a.version]), [['Harvester II', 2]]);
});

test('the search filter narrows the table; a write from elsewhere appears live', async () => {
  await node.call('agents.create', { name: 'Indexer', type: 'search' });
  await page.locator('[role="row"][data-agent-id]', { hasText: 'Indexer' }).waitFor();
  await page.getByLabel('Search agents').fill('index');
  await page.getByTestId('agents-total').filter({ hasText: /^1 agents$/ }).waitFor();
  assert.equal(await page.locator('[role="row"][data-agent-id]').count(), 1);
  await page.getByLabel('Search agents').fill('');
});

test('Settings: a change saves at once and the node keeps it', async () => {
  await page.goto(`${node.url}/#/settings`);
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await page.getByRole('combobox', { name: /^Mode/ }).selectOption('manual');
  await page.getByRole('status').filter({ hasText: 'Saved: sync mode' }).waitFor();
  const settings = await node.call<{ sync: { mode: string } }>('settings.get');
  assert.equal(settings.sync.mode, 'manual');
  await page.screenshot({ path: artifactPath('dashboard-settings.png'), fullPage: true });
});

test('the Conflicts page opens', async () => {
  await page.goto(`${node.url}/#/conflicts`);
  await page.getByRole('heading', { name: /Conflicts/ }).first().waitFor();
  await page.screenshot({ path: artifactPath('dashboard-conflicts.png'), fullPage: true });
  await page.goto(`${node.url}/#/agents`);
  await page.locator('[role="row"][data-agent-id]').first().waitFor();
  await page.screenshot({ path: artifactPath('dashboard-agents.png'), fullPage: true });
  assert.deepEqual(pageErrors, []);
});
