import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkspace, tempDir } from './helpers';
import { OutpostError } from '../../shared/errors';

const code = (e: unknown) => (e as OutpostError).code;

test('items are saved to PGlite and written as files; list, get, versions, delete', async () => {
  const t = tempDir('ws-store');
  const { ws } = await openWorkspace(t.dir);
  try {
    const a = await ws.save({ path: 'agents/alpha.agent.json', content: '{"name":"alpha"}\n' });
    assert.equal(a.version, 1);
    assert.equal(a.type, 'agent');
    assert.equal(a.syncStatus, 'pending');
    assert.equal(readFileSync(join(ws.root, 'agents/alpha.agent.json'), 'utf8'), '{"name":"alpha"}\n');
    await ws.save({ path: 'notes/readme.md', content: 'hello' });
    const b = await ws.save({ path: 'agents/alpha.agent.json', content: '{"name":"alpha2"}\n', expectedVersion: 1 });
    assert.equal(b.version, 2);
    await assert.rejects(ws.save({ path: 'agents/alpha.agent.json', content: 'x', expectedVersion: 1 }), (e) => code(e) === 'version_conflict');
    assert.equal((await ws.get('agents/alpha.agent.json')).content, '{"name":"alpha2"}\n', 'a refused save changes nothing');

    const page = await ws.list({ offset: 0, limit: 10 });
    assert.deepEqual(page.items.map((i) => i.path), ['agents/alpha.agent.json', 'notes/readme.md']);
    assert.equal(page.total, 2);
    assert.equal((await ws.list({ prefix: 'notes/', offset: 0, limit: 10 })).total, 1);

    await ws.delete('notes/readme.md');
    assert.equal(existsSync(join(ws.root, 'notes/readme.md')), false);
    await assert.rejects(ws.get('notes/readme.md'), (e) => code(e) === 'not_found');
    await assert.rejects(ws.delete('notes/readme.md'), (e) => code(e) === 'not_found');
  } finally {
    await ws.close();
    t.cleanup();
  }
});

test('saving unchanged content does not rewrite the file', async () => {
  const t = tempDir('ws-mtime');
  const { ws } = await openWorkspace(t.dir);
  try {
    await ws.save({ path: 'c.yaml', content: 'a: 1\n' });
    const file = join(ws.root, 'c.yaml');
    const before = statSync(file).mtimeMs;
    await new Promise((r) => setTimeout(r, 30));
    const again = await ws.save({ path: 'c.yaml', content: 'a: 1\n' });
    assert.equal(statSync(file).mtimeMs, before);
    assert.equal(again.version, 1, 'no new version for identical content');
  } finally {
    await ws.close();
    t.cleanup();
  }
});

test('paths that escape the workspace or touch .git are refused, symlinks too, and nothing is written', async () => {
  const t = tempDir('ws-paths');
  const outside = tempDir('ws-outside');
  const { ws } = await openWorkspace(t.dir);
  try {
    for (const path of ['../x', 'a/../../x', '/etc/passwd', '.git/config', 'a/.git/hooks/pre-commit', '.GIT/HEAD', 'a//b', './a', 'a\\b', 'C:/x']) {
      await assert.rejects(ws.save({ path, content: 'x' }), (e) => code(e) === 'invalid_input', path);
    }
    symlinkSync(outside.dir, join(ws.root, 'link'));
    await assert.rejects(ws.save({ path: 'link/evil.txt', content: 'x' }), (e) => code(e) === 'forbidden');
    assert.equal(existsSync(join(outside.dir, 'evil.txt')), false);
    symlinkSync(join(ws.root, '.git'), join(ws.root, 'gitlink'));
    await assert.rejects(ws.save({ path: 'gitlink/config', content: 'x' }), (e) => code(e) === 'forbidden');
    writeFileSync(join(outside.dir, 'target.txt'), 'outside');
    symlinkSync(join(outside.dir, 'target.txt'), join(ws.root, 'file-link.txt'));
    await assert.rejects(ws.save({ path: 'file-link.txt', content: 'x' }), (e) => code(e) === 'forbidden');
    assert.equal(readFileSync(join(outside.dir, 'target.txt'), 'utf8'), 'outside');
    assert.equal((await ws.list({ offset: 0, limit: 10 })).total, 0, 'symlinks never become items');
  } finally {
    await ws.close();
    t.cleanup();
    outside.cleanup();
  }
});

test('edits by other programs are taken into PGlite, never overwritten', async () => {
  const t = tempDir('ws-external');
  const { ws } = await openWorkspace(t.dir, { watch: true });
  try {
    await ws.save({ path: 'notes/a.md', content: 'one\n' });
    await ws.commit();
    writeFileSync(join(ws.root, 'notes/a.md'), 'one\nedited in an editor\n');
    mkdirSync(join(ws.root, 'new'), { recursive: true });
    writeFileSync(join(ws.root, 'new/b.txt'), 'created outside\n');
    // the watcher notices within a moment; a commit scans regardless
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (await ws.get('notes/a.md')).content !== 'one\nedited in an editor\n') await new Promise((r) => setTimeout(r, 100));
    const a = await ws.get('notes/a.md');
    assert.equal(a.content, 'one\nedited in an editor\n');
    assert.equal(a.version, 2);
    assert.equal(a.syncStatus, 'pending');
    // an edit on disk not yet seen is taken in before a save: a save against the older version is refused
    writeFileSync(join(ws.root, 'notes/a.md'), 'one\nedited in an editor\nand again\n');
    await assert.rejects(ws.save({ path: 'notes/a.md', content: 'from the API\n', expectedVersion: 2 }), (e) => code(e) === 'version_conflict');
    assert.equal((await ws.get('notes/a.md')).content, 'one\nedited in an editor\nand again\n');
    assert.equal(readFileSync(join(ws.root, 'notes/a.md'), 'utf8'), 'one\nedited in an editor\nand again\n');
    writeFileSync(join(ws.root, 'notes/a.md'), 'one\nedited in an editor\n');
    await ws.scan();
    const committed = await ws.commit();
    assert.ok(committed.commit);
    assert.equal(committed.items, 2);
    assert.equal((await ws.get('new/b.txt')).content, 'created outside\n');
    assert.equal(readFileSync(join(ws.root, 'notes/a.md'), 'utf8'), 'one\nedited in an editor\n');
    unlinkSync(join(ws.root, 'new/b.txt'));
    const removal = await ws.commit();
    assert.equal(removal.items, 1);
    await assert.rejects(ws.get('new/b.txt'), (e) => code(e) === 'not_found');
    assert.equal((await ws.commit()).commit, null, 'nothing changed: no commit');
  } finally {
    await ws.close();
    t.cleanup();
  }
});

test('a second Workspace on the same PGlite data dir is refused, in this process and in another', async () => {
  const t = tempDir('ws-lock');
  const { ws } = await openWorkspace(t.dir);
  try {
    await assert.rejects(openWorkspace(t.dir), (e) => code(e) === 'locked');
    const script = `
      import { openWorkspace } from ${JSON.stringify(new URL('./helpers.ts', import.meta.url).pathname)};
      try { await openWorkspace(${JSON.stringify(t.dir)}); console.log('OPENED'); process.exit(0); }
      catch (e) { console.log('REFUSED ' + e.code + ' ' + e.message); process.exit(3); }`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(exitCode, 3, out);
    assert.match(out, /REFUSED locked .*in use by another Outpost process/);
  } finally {
    await ws.close();
  }
  // after close, it opens again and the data is intact
  const again = await openWorkspace(t.dir);
  await again.ws.close();
  t.cleanup();
});
