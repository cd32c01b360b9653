import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { HybridClock } from '../../shared/sync/hlc';
import { defaultSettings } from '../../shared/domain/settings';
import { EdgeStore } from '../../main/store/edge-store';
import { launchChromium, artifactPath } from '../support/browser';
import { startNodeProcess, type RunningNode } from '../support/processes';

// The Agents table over 100,000 agents: the store is filled first (one batch), then a real node serves it.
const COUNT = 100_000;
let node: RunningNode;
let browser: Browser;

before(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'outpost-many-'));
  const nodeId = 'n_manyagents';
  writeFileSync(join(dataDir, 'node.json'), JSON.stringify({ nodeId }));
  const settings = defaultSettings();
  const store = new EdgeStore({ path: join(dataDir, 'edge.db'), nodeId, clock: new HybridClock(nodeId), settings: () => settings });
  store.batch(() => {
    for (let i = 0; i < COUNT; i++) {
      store.createAgent({ id: `agent-${String(i).padStart(6, '0')}`, name: `Agent ${i}`, type: i % 2 ? 'crawler' : 'planner', status: i % 10 === 0 ? 'active' : 'inactive' });
    }
  });
  store.close();
  node = await startNodeProcess({ dataDir });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await node?.stop();
});

test('100,000 agents: the table renders a window of rows, scrolls to the end, and filters', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(node.dashboardUrl);
  const listed = await node.call<{ total: number }>('agents.list', { limit: 1 });
  assert.equal(listed.total, COUNT);
  await page.getByTestId('agents-total').filter({ hasText: /^100,?000 agents$/ }).waitFor().catch(async (e) => {
    await page.screenshot({ path: artifactPath('agents-100k-failed.png') });
    throw e;
  });
  const rendered = await page.locator('[role="row"][data-agent-id]').count();
  assert.ok(rendered > 0 && rendered < 200, `only a window of rows is in the DOM (${rendered})`);

  // jump to the end: the rows there are fetched on demand and rendered
  await page.locator('.agents-table .tbody').evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  await page.locator('[role="row"][data-agent-id]').filter({ hasText: /^Agent \d+/ }).last().waitFor();
  const lastIds = await page.locator('[role="row"][data-agent-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-agent-id')));
  assert.ok(lastIds.length < 200, `still a window after scrolling (${lastIds.length})`);
  const total = await node.call<{ items: Array<{ id: string }> }>('agents.list', { offset: COUNT - 1, limit: 1 });
  await page.locator(`[data-agent-id="${total.items[0]!.id}"]`).waitFor();
  await page.screenshot({ path: artifactPath('agents-100k-end.png') });

  await page.getByLabel('Status filter').selectOption('active');
  await page.getByTestId('agents-total').filter({ hasText: /^10,?000 agents$/ }).waitFor();
  await page.close();
});
