/**
 * Twins on the node: two names Windows or macOS check out as one (shared/domain/workspace.ts portableKey and
 * findPathTwin, the rule the hub's pre-receive hook applies). A node on Linux must not make them, whatever wrote
 * them: workspace.save refuses them (files and folders, every case folding the rule knows); a scan leaves a twin
 * file another program created out of the workspace, says so naming both paths, and keeps syncing; a twin in a
 * pulled tree is never written (both names from the remote) or stops the merge as a 'twin' conflict (one name
 * from here, one from the remote) until a person keeps one text under the remote's name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk, openWorkspace, startGitHost, tempDir, workerChannel } from './helpers';
import type { OutpostError } from '../../shared/errors';
import { twinNote } from '../../shared/domain/conflicts';
import { channelGitRunner, getTextConflict, listTextConflicts, resolveTextConflict } from '../../main/workspace/index';

const TOKEN = 'node-token-for-tests';
const refused = (e: unknown) => (e as OutpostError).code === 'invalid_input';
const readdirNames = (dir: string) => readdirSync(dir).sort();

test('workspace.save refuses twins of an item under the shared rule: case folds, normalization, ignorables, folders', async () => {
  const t = tempDir('ws-save-twins');
  const { ws } = await openWorkspace(t.dir);
  try {
    // [the item, a twin of it]: each pair slips past lower(normalize(NFC)) over whole paths, the check before
    const pairs: [string, string][] = [
      ['\u03bf\u03b4\u03bf\u03c2.md', '\u039f\u0394\u039f\u03a3.md'], // final sigma against capital sigma
      ['\u0131.md', 'I.md'], // dotless i against I
      ['\u00b5s.md', '\u03bcs.md'], // micro sign against mu
      ['stra\u00dfe.md', 'STRASSE.md'], // sharp s against ss
      ['plain.md', 'plain\u200c.md'], // an HFS+ ignorable
      ['Docs/a.md', 'docs/b.md'], // two folders
      ['readme', 'README/x.md'], // a file and a folder
      ['Guide/intro.md', 'guide'], // a folder and a file
      ['x/U\u0308ber/a.md', 'x/\u00fcber/b.md'], // a deep folder, NFD against NFC
    ];
    for (const [item, twin] of pairs) {
      await ws.save({ path: item, content: 'one\n' });
      await assert.rejects(
        ws.save({ path: twin, content: 'twin\n' }),
        (e: unknown) => refused(e) && /letter case or Unicode normalization/.test((e as Error).message) && (e as Error).message.includes(JSON.stringify(twin)),
        twin,
      );
    }
    // the message names both entries as the hub does (a folder with its /)
    await assert.rejects(ws.save({ path: 'docs/c.md', content: 'x' }), (e: unknown) => (e as Error).message.includes('"Docs/" (in "Docs/a.md") and "docs/" (in "docs/c.md")'));
    // distinct names, the items themselves, and a name freed by a deletion are fine
    for (const path of ['Docs/b.md', 'Docs.md', 'readme.txt', 'caf\u00e9.md', 'cafe.md', 'r\u00e9sum\u00e9/a.md', 'resume/a.md', 'readme']) {
      await ws.save({ path, content: 'fine\n' });
    }
    await ws.save({ path: 'Case.md', content: 'c\n' });
    await ws.delete('Case.md');
    assert.equal((await ws.save({ path: 'case.md', content: 'renamed by case\n' })).path, 'case.md');
  } finally {
    await ws.close();
    t.cleanup();
  }
});

test('a twin file made by another program is not taken in, is named in the status, and the node keeps pushing', async () => {
  const t = tempDir('ws-scan-twins');
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const bare = join(t.dir, 'repos', 'default.git');
  try {
    await a.ws.save({ path: 'README.md', content: 'the item\n' });
    assert.equal((await a.ws.sync()).outcome, 'pushed');

    // another program (on Linux) writes a twin of the item, and two new files that are twins of each other
    writeFileSync(join(a.ws.root, 'Readme.md'), 'written by another program\n');
    mkdirSync(join(a.ws.root, 'Notes'));
    mkdirSync(join(a.ws.root, 'notes'));
    writeFileSync(join(a.ws.root, 'Notes', 'x.md'), 'x\n');
    writeFileSync(join(a.ws.root, 'notes', 'y.md'), 'y\n');
    writeFileSync(join(a.ws.root, 'other.md'), 'an ordinary new file\n');

    const res = await a.ws.sync(); // scans, commits and pushes: the hub would refuse a commit holding twins
    assert.equal(res.pushed, true);
    const paths = (await gitOk(['ls-tree', '-r', '--name-only', 'refs/heads/main'], { cwd: bare })).trim().split('\n').sort();
    assert.deepEqual(paths, ['Notes/x.md', 'README.md', 'other.md']);
    const items = (await a.ws.list({ offset: 0, limit: 100 })).items.map((i) => i.path).sort();
    assert.deepEqual(items, ['Notes/x.md', 'README.md', 'other.md']);
    // nothing is lost: the files stay as they were
    assert.equal(readFileSync(join(a.ws.root, 'Readme.md'), 'utf8'), 'written by another program\n');
    assert.equal(readFileSync(join(a.ws.root, 'notes', 'y.md'), 'utf8'), 'y\n');
    // and the node says so, naming both paths of each twin
    const status = await a.ws.status();
    assert.match(status.lastError ?? '', /"README\.md" and "Readme\.md" differ only in letter case or Unicode normalization/);
    assert.match(status.lastError ?? '', /"Notes\/" \(in "Notes\/x\.md"\) and "notes\/" \(in "notes\/y\.md"\) differ only/);

    // renamed out of the twin, the file is taken in at the next scan and the notice goes
    renameSync(join(a.ws.root, 'Readme.md'), join(a.ws.root, 'Readme-other.md'));
    renameSync(join(a.ws.root, 'notes', 'y.md'), join(a.ws.root, 'Notes', 'y.md'));
    assert.equal((await a.ws.sync()).pushed, true);
    assert.equal((await a.ws.get('Readme-other.md')).content, 'written by another program\n');
    assert.equal((await a.ws.get('Notes/y.md')).content, 'y\n');
    assert.equal((await a.ws.status()).lastError, null);
  } finally {
    await a.ws.close();
    await host.close();
    t.cleanup();
  }
});

/** A commit on the remote adding `files` to its tip, written into the bare repository (no hook runs). */
async function commitOnRemote(bare: string, files: Record<string, string>, message: string): Promise<string> {
  const tip = (await gitOk(['rev-parse', 'refs/heads/main'], { cwd: bare })).trim();
  const env = { GIT_INDEX_FILE: join(bare, `index-${Math.random().toString(16).slice(2)}`) };
  await gitOk(['read-tree', tip], { cwd: bare, env });
  for (const [path, content] of Object.entries(files)) {
    const blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: bare, input: content })).trim();
    await gitOk(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { cwd: bare, env });
  }
  const tree = (await gitOk(['write-tree'], { cwd: bare, env })).trim();
  const commit = (await gitOk(['commit-tree', tree, '-p', tip, '-m', message], { cwd: bare })).trim();
  await gitOk(['update-ref', 'refs/heads/main', commit, tip], { cwd: bare });
  return commit;
}

const remotePaths = async (bare: string) => (await gitOk(['ls-tree', '-r', '--name-only', 'refs/heads/main'], { cwd: bare })).trim().split('\n').sort();
const itemPaths = async (ws: Awaited<ReturnType<typeof openWorkspace>>['ws']) => (await ws.list({ offset: 0, limit: 100 })).items.map((i) => i.path).sort();

test('twins both in the remote tree (a remote that is not a hub): the second is never written, the sync says so and goes on', async () => {
  const t = tempDir('ws-remote-twins');
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const bare = join(t.dir, 'repos', 'default.git');
  let b: Awaited<ReturnType<typeof openWorkspace>> | null = null;
  try {
    await a.ws.save({ path: 'README.md', content: 'from alpha\n' });
    assert.equal((await a.ws.sync()).outcome, 'pushed');
    // from here on the remote behaves like any Git server: no hook refuses twins
    await gitOk(['config', 'core.hooksPath', join(t.dir, 'no-hooks')], { cwd: bare });
    await commitOnRemote(bare, { 'readme.md': 'a twin from elsewhere\n', 'Docs/x.md': 'x\n', 'docs/y.md': 'y\n', 'plain.md': 'plain\n' }, 'twins');

    await a.ws.save({ path: 'local.md', content: 'made here\n' }); // so the sync is a merge, then a push
    const res = await a.ws.sync();
    assert.equal(res.outcome, 'merged');
    assert.equal(res.pushed, true);
    assert.deepEqual(await itemPaths(a.ws), ['Docs/x.md', 'README.md', 'local.md', 'plain.md']);
    assert.equal(readFileSync(join(a.ws.root, 'README.md'), 'utf8'), 'from alpha\n', 'the file here is not overwritten by its twin');
    assert.deepEqual(readdirNames(a.ws.root), ['.git', 'Docs', 'README.md', 'local.md', 'plain.md']);
    const error = (await a.ws.status()).lastError ?? '';
    assert.match(error, /The remote's "README\.md" and "readme\.md" differ only in letter case or Unicode normalization/);
    assert.match(error, /"readme\.md" is not written here/);
    // nothing of the remote's is dropped: its tree still holds both names (and what this node added)
    assert.deepEqual(await remotePaths(bare), ['Docs/x.md', 'README.md', 'docs/y.md', 'local.md', 'plain.md', 'readme.md']);

    // a fresh node (a fast-forward from nothing) keeps the first name of each twin in tree order
    b = await openWorkspace(join(t.dir, 'b'), { name: 'beta', hubUrl: host.base, token: TOKEN });
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.deepEqual(await itemPaths(b.ws), ['Docs/x.md', 'README.md', 'local.md', 'plain.md']);
    assert.match((await b.ws.status()).lastError ?? '', /"docs\/" is not written here/);
  } finally {
    await a.ws.close();
    await b?.ws.close();
    await host.close();
    t.cleanup();
  }
});

test('a name made here and its twin from the remote stop the merge as twin conflicts; the text kept goes under the remote\'s name', async () => {
  const t = tempDir('ws-twin-conflict');
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const b = await openWorkspace(join(t.dir, 'b'), { name: 'beta', hubUrl: host.base, token: TOKEN });
  const bare = join(t.dir, 'repos', 'default.git');
  const runner = channelGitRunner(workerChannel()); // alpha's Git work goes through the worker's request checks
  a.ws.setGitRunner(runner);
  try {
    await a.ws.save({ path: 'start.md', content: 'start\n' });
    assert.equal((await a.ws.sync()).outcome, 'pushed');
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    await b.ws.save({ path: 'README.md', content: 'beta readme\n' });
    await b.ws.save({ path: 'docs/b.md', content: 'beta doc\n' });
    await b.ws.save({ path: 'Guide/intro.md', content: 'beta guide\n' });
    assert.equal((await b.ws.sync()).outcome, 'pushed');
    const hubBefore = (await gitOk(['rev-parse', 'refs/heads/main'], { cwd: bare })).trim();

    // alpha makes the same names in another case: merged, the tree would hold twins (the hub refuses that push)
    await a.ws.save({ path: 'readme.md', content: 'alpha readme\n' });
    await a.ws.save({ path: 'Docs/a.md', content: 'alpha doc\n' });
    await a.ws.save({ path: 'guide', content: 'alpha guide, a file where beta has a folder\n' });
    const res = await a.ws.sync();
    assert.equal(res.outcome, 'conflicts');
    assert.equal(res.pushed, false);
    assert.equal((await gitOk(['rev-parse', 'refs/heads/main'], { cwd: bare })).trim(), hubBefore, 'nothing pushed');
    const pending = (await listTextConflicts(a.ws, { status: 'pending' })).items;
    assert.deepEqual(pending.map((c) => [c.recordId, c.type, c.twinPath]).sort(), [
      ['Docs/a.md', 'twin', 'docs/a.md'],
      ['guide', 'twin', null],
      ['readme.md', 'twin', 'README.md'],
    ]);
    const readme = await getTextConflict(a.ws, pending.find((c) => c.recordId === 'readme.md')!.id);
    assert.equal(readme.local, 'alpha readme\n');
    assert.equal(readme.remote, 'beta readme\n');
    assert.match(twinNote(readme) ?? '', /The text you keep is saved as "README\.md" and "readme\.md" goes/);
    const doc = await getTextConflict(a.ws, pending.find((c) => c.recordId === 'Docs/a.md')!.id);
    assert.equal(doc.local, 'alpha doc\n');
    assert.equal(doc.remote, null, 'the remote has no docs/a.md');
    // nothing is lost meanwhile: both files are here as they were, and the remote's name cannot be made here
    assert.equal((await a.ws.get('readme.md')).content, 'alpha readme\n');
    await assert.rejects(a.ws.save({ path: 'README.md', content: 'x' }), refused);

    // a person keeps alpha's text under the remote's names; the next sync merges and pushes
    await resolveTextConflict(a.ws, readme.id, 'local');
    assert.equal((await a.ws.get('README.md')).content, 'alpha readme\n', 'written under the remote name at once');
    assert.equal((await gitOk(['rev-parse', 'refs/heads/main'], { cwd: bare })).trim(), hubBefore, 'the other twin still holds the push');
    await resolveTextConflict(a.ws, doc.id, 'local');
    // beta holds a folder named like alpha's file: only beta's side can be kept (alpha's text stays on record)
    const guide = pending.find((c) => c.recordId === 'guide')!.id;
    await assert.rejects(resolveTextConflict(a.ws, guide, 'local'), refused);
    await assert.rejects(resolveTextConflict(a.ws, guide, 'edited text'), refused);
    await resolveTextConflict(a.ws, guide, 'remote');
    assert.equal((await getTextConflict(a.ws, guide)).local, 'alpha guide, a file where beta has a folder\n');
    assert.deepEqual(await remotePaths(bare), ['Guide/intro.md', 'README.md', 'docs/a.md', 'docs/b.md', 'start.md']);
    assert.deepEqual(await itemPaths(a.ws), ['Guide/intro.md', 'README.md', 'docs/a.md', 'docs/b.md', 'start.md']);
    assert.equal((await a.ws.status()).pending, 0);
    assert.equal((await a.ws.status()).conflicts, 0);
    for (const item of (await a.ws.list({ offset: 0, limit: 100 })).items) assert.equal(item.syncStatus, 'synced', item.path);
    assert.equal((await b.ws.sync()).outcome, 'fast-forward');
    assert.equal((await b.ws.get('README.md')).content, 'alpha readme\n');
    assert.equal((await b.ws.get('docs/a.md')).content, 'alpha doc\n');
    // the replaced text of beta's is on record as the resolved conflict's remote side
    assert.equal((await getTextConflict(a.ws, readme.id)).remote, 'beta readme\n');
  } finally {
    runner.dispose();
    await a.ws.close();
    await b.ws.close();
    await host.close();
    t.cleanup();
  }
});

test('a store from before the twin keys gets them when it opens, so its items are checked too', async () => {
  const t = tempDir('ws-twin-migrate');
  let { ws } = await openWorkspace(t.dir);
  try {
    await ws.save({ path: 'Notes/a.md', content: 'a\n' });
    // as schema version 1 left it: no keys
    const db = (ws as unknown as { db: { query: (sql: string) => Promise<unknown> } }).db;
    await db.query(`UPDATE workspace_items SET path_key = NULL`);
    await db.query(`UPDATE workspace_meta SET value = '1' WHERE key = 'schema_version'`);
    await ws.close();
    ({ ws } = await openWorkspace(t.dir));
    await assert.rejects(ws.save({ path: 'notes/b.md', content: 'b\n' }), refused);
  } finally {
    await ws.close();
    t.cleanup();
  }
});
