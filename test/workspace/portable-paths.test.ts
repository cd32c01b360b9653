/**
 * Workspace paths every OS can check out: a repository written on Linux is checked out on Windows and macOS,
 * so Windows device names, trailing dots and spaces, 8.3 short names and case or Unicode-normalization twins
 * are refused at workspace.save on every OS, with a clear error, and nothing is written. Valid paths still work.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openWorkspace, tempDir } from './helpers';
import type { OutpostError } from '../../shared/errors';

const refused = (e: unknown) => (e as OutpostError).code === 'invalid_input';

test('Windows reserved names, trailing dots and spaces and 8.3 short names are refused at workspace.save', async () => {
  const t = tempDir('ws-portable');
  const { ws } = await openWorkspace(t.dir);
  try {
    const bad = [
      'CON', 'prn', 'aux.md', 'notes/NUL', 'nul.txt', 'a/Com1/x.md', 'COM9.log', 'lpt1', 'LPT9.txt.md', 'notes/con .txt',
      'notes/end.', 'notes/end ', 'dir./a.md', 'dir /a.md', 'GIT~1/config', 'docs/PROGRA~2/x.md', 'a~9.md',
    ];
    for (const path of bad) {
      await assert.rejects(ws.save({ path, content: 'x' }), (e: unknown) => refused(e) && /every OS|Windows/.test((e as Error).message), path);
      assert.equal(existsSync(join(ws.root, path)), false, path);
    }
    for (const path of ['notes/console.md', 'connect.txt', 'com10.md', 'lpt.md', 'nullable/x.md', 'notes/a.b.md', 'tilde~x.md', 'notes/.hidden']) {
      const item = await ws.save({ path, content: 'fine\n' });
      assert.equal(item.path, path);
    }
  } finally {
    await ws.close();
    t.cleanup();
  }
});

test('a path equal to an existing item under case folding or Unicode normalization is refused', async () => {
  const t = tempDir('ws-twins');
  const { ws } = await openWorkspace(t.dir);
  try {
    await ws.save({ path: 'Notes/Readme.md', content: 'one\n' });
    await ws.save({ path: 'Notes/caf\u00e9.md', content: 'nfc\n' });
    // (a folder spelled `notes` next to `Notes` is a twin too: see node-twins.test.ts)
    for (const path of ['Notes/README.md', 'NOTES/readme.md', 'Notes/cafe\u0301.md', 'notes/other.md']) {
      await assert.rejects(ws.save({ path, content: 'twin\n' }), (e: unknown) => refused(e) && /case or Unicode normalization/.test((e as Error).message), path);
    }
    // the item itself can still be saved again
    assert.equal((await ws.save({ path: 'Notes/Readme.md', content: 'two\n' })).version, 2);
    assert.equal((await ws.list({ offset: 0, limit: 10 })).total, 2);
  } finally {
    await ws.close();
    t.cleanup();
  }
});
