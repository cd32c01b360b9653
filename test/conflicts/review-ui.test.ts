/**
 * End to end in Chromium: two `outpost node` processes and a real hub. Both edit the same agent's fields while
 * sync is paused; after sync, the review page on one node resolves the conflict by picking fields (one by
 * keyboard, one by mouse); both nodes then show the chosen values, in the API and in the page.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { artifactPath, launchChromium } from '../support/browser';
import { startNodeProcess, type RunningNode } from '../support/processes';
import { startTestHub, type TestHub } from '../sync/support';
import type { Agent } from '../../shared/domain/records';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import type { Page as ResultPage } from '../../shared/domain/records';

let hub: TestHub;
let a: RunningNode;
let b: RunningNode;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

before(async () => {
  hub = await startTestHub();
  const startNode = async (name: string) => {
    const { token } = await hub.enroll(name);
    const n = await startNodeProcess({ name, hub: { url: hub.url, token } });
    // manual sync; agents merge field by field, so a field both sides changed is left to a person
    await n.call('settings.set', { sync: { mode: 'manual' }, conflicts: { tables: { agents: { strategy: 'merge' } } } });
    return n;
  };
  // one node at a time: each start is CPU-heavy (its workspace database), and in parallel on a busy machine
  // they can miss the start timeout
  const launching = launchChromium();
  a = await startNode('east');
  b = await startNode('west');
  browser = await launching;
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
});
after(async () => {
  await browser?.close();
  for (const n of [a, b]) {
    if (!n) continue;
    await n.stop();
    rmSync(n.dataDir, { recursive: true, force: true });
  }
  await hub?.destroy();
});

test('a conflict is resolved field by field in the review page, and both nodes show the choice', async () => {
  await a.call('agents.create', { id: 'scout', name: 'Scout', type: 'llm', status: 'inactive', config: { model: 'small', tools: ['search'] } });
  await a.call('sync.now');
  await b.call('sync.now');
  assert.equal((await b.call<Agent>('agents.get', { id: 'scout' })).name, 'Scout');

  // both edit while paused
  await a.call('sync.pause');
  await b.call('sync.pause');
  const onA = await a.call<Agent>('agents.get', { id: 'scout' });
  await a.call('agents.update', { id: 'scout', expectedVersion: onA.version, patch: { name: 'Scout East', config: { model: 'large', tools: ['search'] } } });
  const onB = await b.call<Agent>('agents.get', { id: 'scout' });
  await b.call('agents.update', { id: 'scout', expectedVersion: onB.version, patch: { name: 'Scout West', status: 'paused', config: { model: 'medium', tools: ['search', 'code'] } } });
  await a.call('sync.resume');
  await b.call('sync.resume');
  await a.call('sync.now');
  await b.call('sync.now'); // B's push meets A's write on the hub: the conflict is recorded on B

  const pending = await b.call<ResultPage<ConflictSummary>>('conflicts.list', { status: 'pending' });
  assert.equal(pending.total, 1);
  const conflictId = pending.items[0]!.id;
  // titled by the record's name; the sides named by their enrollment names (asked of the hub once), not an id alone
  const [idA, idB] = await Promise.all([a, b].map(async (n) => (await n.call<{ nodeId: string }>('app.info')).nodeId));
  assert.equal(pending.items[0]!.title, 'Scout West');
  let sides = pending.items[0]!.sides;
  for (const until = Date.now() + 10_000; sides.remote !== `east (${idA})` && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    sides = (await b.call<ConflictDetail>('conflicts.get', { id: conflictId })).sides;
  }
  assert.deepEqual(sides, { local: `west (${idB})`, remote: `east (${idA})` });

  await page.goto(b.dashboardUrl);
  await page.waitForURL(`${b.url}/`);
  await page.goto(`${b.url}/#/conflicts`);
  const review = page.locator(`article[data-conflict="${conflictId}"]`);
  await review.waitFor();
  await review.getByTestId('conflict-sides').filter({ hasText: `this node: west (${idB}) · other side: east (${idA})` }).waitFor();
  await page.locator('.conflict-list button', { hasText: 'Scout West' }).waitFor();
  // the badge in the navigation counts it
  await page.locator('nav a[href="#/conflicts"] .count', { hasText: '1' }).waitFor();
  // the three suggestions, with trade-offs
  await review.getByText('Smart merge', { exact: true }).waitFor();
  await review.getByText(/edits to .* are dropped/).first().waitFor();
  // changed fields are rows; both changed name and config
  const nameRow = review.locator('[role="row"][data-field="name"]');
  const configRow = review.locator('[role="row"][data-field="config"]');
  assert.match((await nameRow.getAttribute('class')) ?? '', /contested/);
  assert.match((await configRow.getAttribute('class')) ?? '', /contested/);
  assert.match((await review.locator('[role="row"][data-field="status"]').getAttribute('class')) ?? '', /changed/);

  // name: the remote side (East), picked with the keyboard: focus the row, press 2
  await nameRow.locator('.field-name').click();
  await page.keyboard.press('2');
  await nameRow.locator('button[data-pick="remote"][aria-checked="true"]').waitFor();
  // config: this node's side (West), picked with the mouse
  await configRow.getByRole('radio', { name: 'Local' }).click();
  // an edited value of the wrong type is refused before anything is sent
  await review.locator('[role="row"][data-field="status"]').getByRole('radio', { name: 'Edit' }).click();
  await review.getByLabel('Edited value of status').fill('42');
  await review.getByText(/status must be a string/).waitFor();
  assert.equal(await review.getByRole('button', { name: 'Resolve' }).isDisabled(), true);
  await review.getByLabel('Edited value of status').fill('"active"');

  const preview = review.getByTestId('preview');
  await review.getByTestId('preview').filter({ hasText: '"status": "active"' }).waitFor();
  const shown = JSON.parse((await preview.textContent()) ?? '{}') as Record<string, unknown>;
  assert.equal(shown['name'], 'Scout East');
  assert.deepEqual(shown['config'], { model: 'medium', tools: ['search', 'code'] });
  assert.equal(shown['status'], 'active');
  await page.screenshot({ path: artifactPath('conflict-review.png'), fullPage: true });

  await review.getByRole('button', { name: 'Resolve' }).click();
  await page.getByText('No pending conflicts.').waitFor();
  await page.locator('nav a[href="#/conflicts"] .count').waitFor({ state: 'detached' });

  const resolved = await b.call<ConflictDetail>('conflicts.get', { id: conflictId });
  assert.equal(resolved.status, 'resolved');
  assert.equal(resolved.strategy, 'manual:fields');

  // the resolution is a write that syncs: both nodes converge to it
  await b.call('sync.now');
  await a.call('sync.now');
  const expected = { name: 'Scout East', status: 'active', config: { model: 'medium', tools: ['search', 'code'] } };
  for (const n of [a, b]) {
    const agent = await n.call<Agent>('agents.get', { id: 'scout' });
    assert.deepEqual({ name: agent.name, status: agent.status, config: agent.config }, expected, n.url);
    assert.equal((await n.call<ResultPage<ConflictSummary>>('conflicts.list', { status: 'pending' })).total, 0);
  }

  // and both pages show it
  for (const n of [b, a]) {
    await page.goto(n.dashboardUrl);
    await page.waitForURL(`${n.url}/`);
    await page.goto(`${n.url}/#/agents`);
    const row = page.locator('[role="row"][data-agent-id="scout"]');
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Scout East/);
  }
  await page.screenshot({ path: artifactPath('conflict-resolved-other-node.png'), fullPage: true });

  // the review window route shows the resolved conflict for review
  await page.goto(b.dashboardUrl);
  await page.waitForURL(`${b.url}/`);
  await page.goto(`${b.url}/#/review/${encodeURIComponent(conflictId)}`);
  const resolution = page.getByRole('region', { name: 'Resolution' });
  await resolution.waitFor();
  assert.match((await resolution.textContent()) ?? '', /manual:fields/);
  assert.deepEqual(pageErrors, []);
});

/** Both nodes edit `ids` while paused (A: name; B: name and status), then sync: the conflicts are on B. */
async function concurrentEdits(ids: string[]): Promise<void> {
  for (const id of ids) await a.call('agents.create', { id, name: id, type: 'llm', config: { model: 'small' } });
  await a.call('sync.now');
  await b.call('sync.now');
  await a.call('sync.pause');
  await b.call('sync.pause');
  for (const id of ids) {
    const onA = await a.call<Agent>('agents.get', { id });
    await a.call('agents.update', { id, expectedVersion: onA.version, patch: { name: `${id} east` } });
    const onB = await b.call<Agent>('agents.get', { id });
    await b.call('agents.update', { id, expectedVersion: onB.version, patch: { name: `${id} west`, status: 'paused' } });
  }
  await a.call('sync.resume');
  await b.call('sync.resume');
  await a.call('sync.now');
  await b.call('sync.now');
}

test('the same field picks applied to all similar conflicts at once', async () => {
  await concurrentEdits(['twin-1', 'twin-2', 'twin-3']);
  const pending = await b.call<ResultPage<ConflictSummary>>('conflicts.list', { status: 'pending' });
  assert.equal(pending.total, 3);
  await page.goto(b.dashboardUrl);
  await page.waitForURL(`${b.url}/`);
  await page.goto(`${b.url}/#/conflicts`);
  const review = page.locator('article[data-conflict]');
  await review.waitFor();
  await review.locator('[role="row"][data-field="name"]').getByRole('radio', { name: 'Remote' }).click();
  await review.getByRole('button', { name: 'Apply to all 3 similar' }).click();
  await page.getByText('No pending conflicts.').waitFor();
  for (const id of ['twin-1', 'twin-2', 'twin-3']) {
    const agent = await b.call<Agent>('agents.get', { id });
    assert.equal(agent.name, `${id} east`, 'name: the remote side, as picked');
    assert.equal(agent.status, 'paused', "status: only this node changed it, so the merge keeps it");
  }
  assert.deepEqual(pageErrors, []);
});

test('an automatic resolution is listed for review and undone from the page', async () => {
  await b.call('settings.set', { conflicts: { tables: { agents: { strategy: 'lww' } } } });
  await concurrentEdits(['solo']);
  const auto = await b.call<ResultPage<ConflictSummary>>('conflicts.list', { status: 'resolved', automatic: true });
  const solo = auto.items.find((c) => c.recordId === 'solo');
  assert.ok(solo, 'resolved automatically by lww');
  assert.equal((await b.call<Agent>('agents.get', { id: 'solo' })).name, 'solo west', 'B wrote last');

  await page.goto(`${b.url}/#/conflicts`);
  await page.getByRole('tab', { name: 'Resolved automatically' }).click();
  await page.locator('.conflict-list button', { hasText: 'agents · solo' }).click();
  const review = page.locator(`article[data-conflict="${solo.id}"]`);
  await review.getByRole('region', { name: 'Resolution' }).waitFor();
  await review.getByRole('button', { name: 'Undo automatic resolution' }).click();
  await page.getByRole('tab', { name: 'Pending (1)' }).waitFor();
  const detail = await b.call<ConflictDetail>('conflicts.get', { id: solo.id });
  assert.equal(detail.status, 'pending');
  await page.screenshot({ path: artifactPath('conflict-undone.png'), fullPage: true });
  await b.call('conflicts.resolve', { id: solo.id, choice: 'remote' });
  await b.call('sync.now');
  await a.call('sync.now');
  for (const n of [a, b]) assert.equal((await n.call<Agent>('agents.get', { id: 'solo' })).name, 'solo east');
  assert.deepEqual(pageErrors, []);
});

test('an automatic resolution on one node that replaced the other node’s edit is shown there, told in its status, and undone there', async () => {
  await b.call('settings.set', { conflicts: { tables: { agents: { strategy: 'lww' } } } });
  const idB = (await b.call<{ nodeId: string }>('app.info')).nodeId;
  const before = (await a.call<{ editsReplaced: number }>('sync.status')).editsReplaced;
  await concurrentEdits(['relay']);
  assert.equal((await b.call<Agent>('agents.get', { id: 'relay' })).name, 'relay west', 'B wrote last: lww kept its name');
  await b.call('sync.now'); // the resolution goes out, with the note naming A's write
  await a.call('sync.now');
  const onA = await a.call<Agent>('agents.get', { id: 'relay' });
  assert.deepEqual([onA.name, onA.status], ['relay west', 'paused']);
  let lost = await a.call<ResultPage<ConflictSummary>>('conflicts.list', { lost: true, recordId: 'relay' });
  // node names are asked of the hub once, in the background: until then a node is named by its id
  for (const until = Date.now() + 10_000; lost.items[0]?.resolvedOn !== `west (${idB})` && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    lost = await a.call<ResultPage<ConflictSummary>>('conflicts.list', { lost: true, recordId: 'relay' });
  }
  assert.equal(lost.total, 1);
  const told = lost.items[0]!;
  assert.deepEqual(told.lostFields, ['name']);
  assert.equal(told.resolvedOn, `west (${idB})`);
  assert.equal((await a.call<{ editsReplaced: number }>('sync.status')).editsReplaced, before + 1, 'counted in the status the tray and notifications read');

  await page.goto(a.dashboardUrl);
  await page.waitForURL(`${a.url}/`);
  await page.goto(`${a.url}/#/conflicts`);
  await page.getByRole('tab', { name: 'Replaced your edits' }).click();
  const item = page.locator(`.conflict-list button[data-conflict="${told.id}"]`);
  await item.filter({ hasText: `Replaced your edit of name, resolved automatically on west (${idB}).` }).waitFor();
  await item.click();
  const review = page.locator(`article[data-conflict="${told.id}"]`);
  await review.getByTestId('replaced-edits').filter({ hasText: 'Undo the resolution below to take your edit back.' }).waitFor();
  await page.screenshot({ path: artifactPath('conflict-replaced-elsewhere.png'), fullPage: true });
  // and in the record's own conflict history, linked to its review
  await page.goto(`${a.url}/#/agents`);
  await page.locator('[role="row"][data-agent-id="relay"]').getByRole('button', { name: 'Edit' }).click();
  const history = page.getByRole('region', { name: 'Conflict history' });
  await history.filter({ hasText: `Replaced your edit of name, resolved automatically on west (${idB}).` }).waitFor();
  assert.equal(await history.locator(`a[href="#/review/${encodeURIComponent(told.id)}"]`).count(), 1);
  await page.goto(`${a.url}/#/conflicts`);
  await page.getByRole('tab', { name: 'Replaced your edits' }).click();
  await item.click();
  await review.getByRole('button', { name: 'Undo automatic resolution' }).click();
  await page.getByRole('tab', { name: 'Pending (1)' }).waitFor();
  assert.equal((await a.call<Agent>('agents.get', { id: 'relay' })).name, 'relay east', 'the replaced edit is back on A');
  assert.equal((await a.call<{ editsReplaced: number }>('sync.status')).editsReplaced, before, 'no longer counted: it waits for a person');
  await a.call('conflicts.resolve', { id: told.id, choice: 'local' });
  await a.call('sync.now');
  await b.call('sync.now');
  for (const n of [a, b]) assert.equal((await n.call<Agent>('agents.get', { id: 'relay' })).name, 'relay east');
  assert.deepEqual(pageErrors, []);
});
