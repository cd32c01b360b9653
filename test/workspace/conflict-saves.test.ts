/**
 * Saves and text-conflict resolutions interleaved (the soak's checker: every acknowledged save is final, in the
 * item's history, or a side of a conflict on record for it). Two nodes share a real Git host; every step is
 * awaited, so each interleaving is exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openWorkspace, startGitHost, tempDir } from './helpers';
import { getTextConflict, listTextConflicts, resolveTextConflict, type GitRunner } from '../../main/workspace/index';
import { inProcessGitRunner } from '../../worker/git/in-process';
import { mergeText } from '../../shared/domain/workspace-merge';
import { workspaceTextConflicts } from '../../main/adapters/text-conflicts';
import type { Workspace } from '../../main/workspace/index';
import { ConflictService } from '../../main/conflicts/service';
import { EventBus } from '../../main/events';
import { createLogger } from '../../lib/log';
import type { OutpostError } from '../../shared/errors';
import { conflictMethods } from '../../shared/api/conflicts';

const TOKEN = 'node-token-for-tests';
const BOARD = 'shared/board.md';
const text = (what: string) => `# shared/board.md\n\nwritten by ${what}\n`;

type Node = Awaited<ReturnType<typeof openWorkspace>>;

/** A and B on one Git host; the board pushed by A, B synced, then B's b1 pushed and A's a1 in conflict with it. */
async function inConflict(t: { dir: string }): Promise<{ a: Node; b: Node; host: Awaited<ReturnType<typeof startGitHost>>; id: string }> {
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const b = await openWorkspace(join(t.dir, 'b'), { name: 'beta', hubUrl: host.base, token: TOKEN });
  await a.ws.save({ path: BOARD, content: text('a at 0') });
  assert.equal((await a.ws.sync()).outcome, 'pushed');
  assert.equal((await b.ws.sync()).outcome, 'fast-forward');
  await b.ws.save({ path: BOARD, content: text('b at 1') });
  assert.equal((await b.ws.sync()).outcome, 'pushed');
  await a.ws.save({ path: BOARD, content: text('a at 1') });
  assert.equal((await a.ws.sync()).outcome, 'conflicts');
  const pending = (await listTextConflicts(a.ws, { status: 'pending' })).items;
  assert.equal(pending.length, 1);
  return { a, b, host, id: pending[0]!.id };
}

/** Every side of every conflict the API lists for the path (what the checker reads). */
async function sidesOnRecord(ws: Workspace, path: string): Promise<unknown[]> {
  const sides: unknown[] = [];
  for (const c of (await listTextConflicts(ws)).items.filter((c) => c.recordId === path)) {
    const detail = await getTextConflict(ws, c.id);
    sides.push(detail.local, detail.remote);
  }
  return sides;
}

async function closeAll(nodes: Node[], host: { close: () => Promise<void> }, t: { cleanup: () => void }): Promise<void> {
  for (const n of nodes) await n.ws.close();
  await host.close();
  t.cleanup();
}

test('a save taken as a conflict\'s local side stays on record when a person drops it and the remote moves before the merge (soak seed 223061)', async () => {
  const t = tempDir('ws-carried');
  const { a, b, host, id } = await inConflict(t);
  try {
    // the acknowledged save, made while the conflict is pending: the conflict's local side from now on
    await a.ws.save({ path: BOARD, content: text('a at 2') });
    assert.equal((await getTextConflict(a.ws, id)).local, text('a at 2'));
    // the remote moves on before A's resolution is merged
    await b.ws.save({ path: BOARD, content: text('b at 2') });
    assert.equal((await b.ws.sync()).outcome, 'pushed');

    // A person keeps the remote side (the conflict service hands it over as text: an 'edited' resolution). The
    // sync that follows finds the remote past it and re-opens the path with the resolution as this node's side.
    await resolveTextConflict(a.ws, id, text('b at 1'));
    const pending = (await listTextConflicts(a.ws, { status: 'pending' })).items;
    assert.equal(pending.length, 1);
    assert.notEqual(pending[0]!.id, id);
    const reopened = await getTextConflict(a.ws, pending[0]!.id);
    assert.equal(reopened.local, text('b at 1'));
    assert.equal(reopened.remote, text('b at 2'));

    // the first conflict is still listed, resolved: the save the person dropped is one of its sides. Before, it
    // was marked superseded and hidden, and the save was in no conflict on record (the soak's lost save)
    const first = (await listTextConflicts(a.ws)).items.find((c) => c.id === id);
    assert.equal(first?.status, 'resolved');
    assert.ok((await sidesOnRecord(a.ws, BOARD)).includes(text('a at 2')), 'the dropped save is a side of a conflict on record');

    // the carried resolution is not merged as a resolution of its own: keeping local now merges it, once
    await resolveTextConflict(a.ws, pending[0]!.id, 'local');
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get(BOARD)).content, text('b at 1'));
    assert.equal((await a.ws.sync()).outcome, 'up-to-date');
    assert.equal((await a.ws.get(BOARD)).syncStatus, 'synced');
    assert.equal((await a.ws.get(BOARD)).conflictId, null);
    assert.equal((await a.ws.status()).pending, 0);
    assert.equal((await listTextConflicts(a.ws, { status: 'resolved' })).total, 2);
  } finally {
    await closeAll([a, b], host, t);
  }
});

test('a save made after a resolution, before its merge, is this node\'s side when the moved remote re-opens the path', async () => {
  const t = tempDir('ws-after-resolve');
  const { a, b, host, id } = await inConflict(t);
  try {
    await b.ws.save({ path: BOARD, content: text('b at 2') });
    assert.equal((await b.ws.sync()).outcome, 'pushed');
    // A is offline: the resolution is recorded (file written), its merge waits for the remote
    a.settings.set({ sync: { hubUrl: 'http://127.0.0.1:9' } });
    await resolveTextConflict(a.ws, id, text('a and b at 1'));
    assert.equal((await a.ws.get(BOARD)).content, text('a and b at 1'));
    await a.ws.save({ path: BOARD, content: text('a at 3') });

    // back online: the remote moved past the resolution; the new conflict's local side is the later save, not
    // the resolution it replaced (before, keeping either side dropped 'a at 3', which was in no conflict)
    a.settings.set({ sync: { hubUrl: host.base } });
    assert.equal((await a.ws.sync()).outcome, 'conflicts');
    const pending = (await listTextConflicts(a.ws, { status: 'pending' })).items;
    assert.equal(pending.length, 1);
    assert.equal((await getTextConflict(a.ws, pending[0]!.id)).local, text('a at 3'));
    assert.equal((await getTextConflict(a.ws, pending[0]!.id)).remote, text('b at 2'));

    await resolveTextConflict(a.ws, pending[0]!.id, 'local');
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get(BOARD)).content, text('a at 3'));
    assert.equal((await a.ws.get(BOARD)).syncStatus, 'synced');
  } finally {
    await closeAll([a, b], host, t);
  }
});

test('keeping this node\'s side through the conflict service keeps a save that landed after the service read the conflict', async () => {
  const t = tempDir('ws-resolve-race');
  const { a, b, host, id } = await inConflict(t);
  try {
    // what the conflict service does for 'local': read the conflict, then resolve with its local text
    const source = workspaceTextConflicts(a.ws);
    const seen = await source.get(id.slice(2));
    assert.equal(seen.local, text('a at 1'));
    await a.ws.save({ path: BOARD, content: text('a at 2') }); // lands between the read and the resolution
    await source.resolve(id.slice(2), { text: seen.local, strategy: 'manual:local', resolvedBy: 'person' });

    assert.equal((await a.ws.get(BOARD)).content, text('a at 2'));
    assert.equal((await getTextConflict(a.ws, id)).resolved, text('a at 2'));
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get(BOARD)).content, text('a at 2'));
  } finally {
    await closeAll([a, b], host, t);
  }
});

/** The conflict service over A's workspace, as main/node.ts composes it (records: none here). */
function serviceOver(ws: Workspace, texts = workspaceTextConflicts(ws)): ConflictService {
  const noRecords = {
    listConflicts: () => ({ items: [], total: 0, offset: 0, limit: 1 }),
    getConflict: () => assert.fail('no record conflicts here'),
    resolveConflict: () => assert.fail('no record conflicts here'),
    undoResolution: () => assert.fail('no record conflicts here'),
  };
  return new ConflictService({ records: noRecords, texts, events: new EventBus(), log: createLogger({ quiet: true }), personName: () => 'person' });
}

test('edited text made from the local side a person saw is refused once a save replaced that side; the save is kept', async () => {
  const t = tempDir('ws-stale-edit');
  const { a, b, host, id } = await inConflict(t);
  try {
    const service = serviceOver(a.ws);
    const shown = await service.get(id); // what the review window shows
    assert.equal(shown.local, text('a at 1'));
    assert.match(String(shown.localHash), /^[0-9a-f]{40}$/);
    await a.ws.save({ path: BOARD, content: text('a at 2') }); // lands while the person edits

    const edited = `${text('a at 1')}${text('b at 1')}`;
    await assert.rejects(service.resolve(id, { text: edited }, { expectedLocalHash: shown.localHash! }), (e: unknown) => {
      assert.equal((e as OutpostError).code, 'conflict');
      assert.match((e as Error).message, /changed since it was (read|shown).*Reload the conflict/);
      return true;
    });
    // nothing was resolved: the save is the item and the conflict's local side, and still to be chosen
    assert.equal((await a.ws.get(BOARD)).content, text('a at 2'));
    const reloaded = await service.get(id);
    assert.equal(reloaded.status, 'pending');
    assert.equal(reloaded.local, text('a at 2'));
    assert.notEqual(reloaded.localHash, shown.localHash);

    // the contract takes the field as optional, and only a hash (or null)
    const input = conflictMethods['conflicts.resolve'].input;
    assert.equal(input.safeParse({ id, choice: { text: 'x' }, expectedLocalHash: reloaded.localHash }).success, true);
    assert.equal(input.safeParse({ id, choice: 'merge', expectedLocalHash: null }).success, true);
    assert.equal(input.safeParse({ id, choice: 'local' }).success, true);
    assert.equal(input.safeParse({ id, choice: { text: 'x' }, expectedLocalHash: 'HEAD' }).success, false);

    // resolved against the side as it stands now, it goes through
    await service.resolve(id, { text: `${text('a at 2')}${text('b at 1')}` }, { expectedLocalHash: reloaded.localHash! });
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get(BOARD)).content, `${text('a at 2')}${text('b at 1')}`);
  } finally {
    await closeAll([a, b], host, t);
  }
});

test('a merge built from the local text the service read is refused when a save lands before the resolution', async () => {
  const t = tempDir('ws-stale-merge');
  const { a, b, host, id } = await inConflict(t);
  try {
    // the save lands right after the service reads the conflict (the window between its read and its resolve)
    const texts = workspaceTextConflicts(a.ws);
    let landed = false;
    const racing: typeof texts = {
      ...texts,
      async get(conflictId) {
        const read = await texts.get(conflictId);
        if (!landed) {
          landed = true;
          await a.ws.save({ path: BOARD, content: text('a at 2') });
        }
        return read;
      },
    };
    await assert.rejects(serviceOver(a.ws, racing).resolve(id, 'merge'), (e: unknown) => (e as OutpostError).code === 'conflict');
    assert.equal((await a.ws.get(BOARD)).content, text('a at 2'));
    assert.equal((await getTextConflict(a.ws, id)).status, 'pending');
    assert.equal((await getTextConflict(a.ws, id)).local, text('a at 2'));
  } finally {
    await closeAll([a, b], host, t);
  }
});

/** The in-process Git engine, running `hook` once as the next git.sync starts (before its fetch). */
function onNextSync(hook: () => Promise<void>): GitRunner {
  let armed = true;
  return {
    async request(req, onProgress) {
      if (req.kind === 'git.sync' && armed) {
        armed = false;
        await hook();
      }
      return inProcessGitRunner.request(req, onProgress);
    },
  };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a resolution made while a sync runs is not marked merged by that sync\'s merge commit, which lacks it; the next sync commits it', async () => {
  const t = tempDir('ws-resolve-during-sync');
  const { a, b, host, id } = await inConflict(t);
  try {
    // beta comes round to alpha's side and changes another file: alpha's next sync merges without a conflict
    await b.ws.save({ path: BOARD, content: text('a at 1') });
    await b.ws.save({ path: 'shared/other.md', content: 'other\n' });
    assert.equal((await b.ws.sync()).outcome, 'pushed');

    // the person resolves while alpha's sync is in its Git work (the resolution was not among those it took)
    const resolved = text('a, resolved by a person');
    let resolving: Promise<unknown> | null = null;
    a.ws.setGitRunner(
      onNextSync(async () => {
        resolving = resolveTextConflict(a.ws, id, resolved);
        await until('the resolution', async () => (await a.ws.conflictRow(id.slice(2)))?.status === 'resolved');
      }),
    );
    const res = await a.ws.sync();
    assert.equal(res.outcome, 'merged');
    assert.ok(resolving, 'resolved during the sync');
    // that merge commit does not hold the resolution: it is not marked merged (before, the item was 'synced' with a
    // committed_oid no tree held, and the resolution never reached the hub)
    assert.equal((await a.ws.conflictRow(id.slice(2)))?.merge_commit, null);
    assert.equal((await a.ws.get(BOARD)).syncStatus, 'pending');
    await resolving; // the resolution's own sync: commits it as a change and pushes

    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get(BOARD)).content, resolved);
    assert.equal((await a.ws.get(BOARD)).syncStatus, 'synced');
    assert.equal((await a.ws.status()).pending, 0);
    assert.equal((await getTextConflict(a.ws, id)).status, 'resolved');
  } finally {
    await closeAll([a, b], host, t);
  }
});

test('a resolution the remote moved past with a text that line-merges is not merged past: the path is a conflict again, the resolution its local side', async () => {
  const t = tempDir('ws-resolve-moved');
  const { a, b, host, id } = await inConflict(t);
  try {
    const resolved = text('a, resolved by a person');
    a.settings.set({ sync: { hubUrl: 'http://127.0.0.1:9' } }); // offline: the resolution waits for its merge
    await resolveTextConflict(a.ws, id, resolved);
    // beta retitles the board and puts its last line back as it was: against the base, a clean line merge with
    // alpha's side (the resolution was made between alpha's side and beta's previous one)
    const retitled = '# shared/board.md, retitled\n\nwritten by a at 0\n';
    assert.equal(mergeText(text('a at 0'), text('a at 1'), retitled).clean, true);
    await b.ws.save({ path: BOARD, content: retitled });
    assert.equal((await b.ws.sync()).outcome, 'pushed');

    a.settings.set({ sync: { hubUrl: host.base } });
    const res = await a.ws.sync();
    // before, the line merge went through, the resolution was marked merged and the item 'synced' with it, and the
    // hub never had it
    assert.equal(res.outcome, 'conflicts');
    const pending = (await listTextConflicts(a.ws, { status: 'pending' })).items;
    assert.equal(pending.length, 1);
    const again = await getTextConflict(a.ws, pending[0]!.id);
    assert.equal(again.local, resolved);
    assert.equal(again.remote, retitled);
    assert.equal((await getTextConflict(a.ws, id)).status, 'resolved', 'the first resolution stays on record');

    await resolveTextConflict(a.ws, pending[0]!.id, 'local');
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get(BOARD)).content, resolved);
    assert.equal((await a.ws.get(BOARD)).syncStatus, 'synced');
  } finally {
    await closeAll([a, b], host, t);
  }
});
