/**
 * Twins: two entries of one tree that Windows or macOS check out as one name (letter case, Unicode
 * normalization, a folder against a folder or a file). One rule decides (shared/domain/workspace.ts
 * `portableKey` / `findPathTwin`); the hub's pre-receive hook refuses exactly what it says, in any new commit of a
 * push (each twin here sits in a commit below a clean tip), with a message naming both paths. The same cases
 * go to the rule and, through the real git CLI, to the real hub.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { findPathTwin, pathTwinMessage, portableKey, isSafeWorkspacePath } from '../../shared/domain/workspace';
import { gitCli, gitOk, startGitHost, tempDir, withAuth } from './helpers';

interface Case {
  name: string;
  paths: string[];
  /** the two colliding entries as the rule names them (a folder with its `/`), or null: no twin */
  twin: [string, string] | null;
}

const CASES: Case[] = [
  { name: 'NFC and NFD spellings of one file', paths: ['notes/caf\u00e9.md', 'notes/cafe\u0301.md'], twin: ['notes/cafe\u0301.md', 'notes/caf\u00e9.md'] },
  { name: 'a non-ASCII letter-case twin', paths: ['\u00c9t\u00e9.md', '\u00e9t\u00e9.md'], twin: ['\u00c9t\u00e9.md', '\u00e9t\u00e9.md'] },
  { name: 'an ASCII letter-case twin', paths: ['README.md', 'readme.md'], twin: ['README.md', 'readme.md'] },
  { name: 'two folders that differ in case', paths: ['Docs/a.md', 'docs/b.md'], twin: ['Docs/', 'docs/'] },
  { name: 'a file and a folder that differ in case', paths: ['README/x.md', 'readme'], twin: ['README/', 'readme'] },
  { name: 'a deep folder in NFD and in NFC uppercase', paths: ['x/U\u0308ber/a.md', 'x/\u00fcber/b.md'], twin: ['x/U\u0308ber/', 'x/\u00fcber/'] },
  { name: 'final and medial sigma (one letter on NTFS)', paths: ['\u03bf\u03b4\u03bf\u03c2.md', '\u039f\u0394\u039f\u03a3.md'], twin: ['\u039f\u0394\u039f\u03a3.md', '\u03bf\u03b4\u03bf\u03c2.md'] },
  { name: 'capital sharp s and sharp s', paths: ['STRA\u1e9eE.md', 'stra\u00dfe.md'], twin: ['STRA\u1e9eE.md', 'stra\u00dfe.md'] },
  { name: 'the Kelvin sign and k', paths: ['\u212a.md', 'k.md'], twin: ['k.md', '\u212a.md'] },
  { name: 'dotless i and I (NTFS uppercases both to I)', paths: ['\u0131.md', 'I.md'], twin: ['I.md', '\u0131.md'] },
  { name: 'an HFS+ ignorable format character', paths: ['a.md', 'a\u200c.md'], twin: ['a.md', 'a\u200c.md'] },
  { name: 'distinct names that only look alike', paths: ['Docs.md', 'docs/a.md', 'docs/b.md', 'cafe.md', 'caf\u00e9.md', 'resume/a.md', 'r\u00e9sum\u00e9/a.md'], twin: null },
];

/** git ls-tree order: bytewise over UTF-8, with a folder compared as its name and a `/`. */
const treeOrder = (paths: string[]) => [...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

test('the shared rule: one key for every simple case mapping, canonical equivalents and the ignorables; twins per case', () => {
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const c = String.fromCodePoint(cp);
    const key = portableKey(c);
    if (key !== c && portableKey(key) !== key) assert.fail(`the key is not stable: U+${cp.toString(16)}`);
    const nfd = c.normalize('NFD');
    if (nfd !== c && portableKey(nfd) !== key) assert.fail(`NFD does not meet NFC: U+${cp.toString(16)}`);
    for (const mapped of [c.toUpperCase(), c.toLowerCase()]) {
      if (mapped !== c && [...mapped].length === 1 && portableKey(mapped) !== key) assert.fail(`U+${cp.toString(16)} does not meet its case mapping`);
    }
  }
  assert.equal(portableKey('Docs/Caf\u00e9.md').split('/').length, 2, 'a key keeps its segments');
  for (const c of CASES) {
    const twin = findPathTwin(treeOrder(c.paths));
    assert.deepEqual(twin && [twin.first, twin.second], c.twin, c.name);
  }
  assert.equal(findPathTwin(['a/x.md', 'a/y.md', 'a/x.md']), null, 'one spelling is no twin');
  assert.equal(isSafeWorkspacePath('.GIT\u200c/config'), false, 'nothing HFS+ reads as .git');
});

const TOKEN = 'twins-token';
let t: ReturnType<typeof tempDir>;
let host: Awaited<ReturnType<typeof startGitHost>>;
let clone: string;
let blob: string;
let indexes = 0;

before(async () => {
  t = tempDir('hub-git-twins');
  host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  clone = join(t.dir, 'clone');
  await gitOk(['init', '--quiet', '-b', 'main', clone]);
  await gitOk(['remote', 'add', 'origin', withAuth(`${host.base}/git/twins.git`, TOKEN)], { cwd: clone });
  blob = (await gitOk(['hash-object', '-w', '--stdin'], { cwd: clone, input: 'x\n' })).trim();
  const first = await commitTree([Buffer.from('start.md')], null, 'start');
  await gitOk(['push', '--quiet', 'origin', `${first}:refs/heads/main`], { cwd: clone });
});
after(async () => {
  await host?.close();
  t?.cleanup();
});

/** A commit of exactly these paths (bytes as given: stdin, so nothing re-encodes or precomposes them). */
async function commitTree(paths: Buffer[], parent: string | null, message: string): Promise<string> {
  const env = { GIT_INDEX_FILE: join(t.dir, `index-${indexes++}`) };
  const info = Buffer.concat(paths.flatMap((p) => [Buffer.from(`100644 ${blob}\t`), p, Buffer.from([0])]));
  await gitOk(['update-index', '-z', '--index-info'], { cwd: clone, env, input: info });
  const tree = (await gitOk(['write-tree'], { cwd: clone, env })).trim();
  return (await gitOk(['commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], { cwd: clone })).trim();
}

const hubTip = async () => (await gitCli(['ls-remote', 'origin', 'refs/heads/main'], { cwd: clone })).stdout.split('\t')[0]!;

/** Pushes `paths` in a commit below a tip that drops the last of them; answers the push and the lower commit. */
async function pushBelowCleanTip(paths: Buffer[]): Promise<{ res: Awaited<ReturnType<typeof gitCli>>; below: string; tip: string; before: string }> {
  const before = await hubTip();
  const below = await commitTree([Buffer.from('start.md'), ...paths], before, 'the twins');
  const tip = await commitTree([Buffer.from('start.md'), ...paths.slice(0, -1)], below, 'one of them removed');
  const res = await gitCli(['push', 'origin', `${tip}:refs/heads/main`], { cwd: clone });
  return { res, below, tip, before };
}

// the hub refuses exactly the twins the shared rule finds, in a commit below the tip, with the rule's message
for (const c of CASES) {
  test(`hub push, ${c.twin ? 'refused' : 'lands'}: ${c.name}`, async () => {
    const { res, below, tip, before } = await pushBelowCleanTip(c.paths.map((p) => Buffer.from(p)));
    const twin = findPathTwin(treeOrder(['start.md', ...c.paths]));
    assert.equal(twin === null, c.twin === null, 'the rule agrees with the case');
    if (twin === null) {
      assert.equal(res.code, 0, res.stderr);
      assert.equal(await hubTip(), tip, 'landed');
      return;
    }
    assert.notEqual(res.code, 0, 'the push is refused');
    assert.ok(res.stderr.includes(`outpost: refused refs/heads/main: commit ${below}: ${pathTwinMessage(twin)}`), res.stderr);
    for (const p of c.twin!) assert.ok(res.stderr.includes(JSON.stringify(p)), `names ${p}`);
    assert.equal(await hubTip(), before, 'the branch did not move');
  });
}

test('the hub refuses a path that is not UTF-8 (decoding it would hide twins), and a push without twins still lands', async () => {
  const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x6d, 0x64]); // café.md in Latin-1
  const { res, below, before } = await pushBelowCleanTip([Buffer.from('ok.md'), latin1]);
  assert.notEqual(res.code, 0);
  assert.ok(res.stderr.includes(`commit ${below}: a workspace path is not valid UTF-8: "caf\\xe9.md"`), res.stderr);
  assert.equal(await hubTip(), before);

  const clean = await pushBelowCleanTip(['Notes/a.md', 'Notes/b.md', '\u00e9t\u00e9/x.md', 'last.md'].map((p) => Buffer.from(p)));
  assert.equal(clean.res.code, 0, clean.res.stderr);
  assert.equal(await hubTip(), clean.tip);
});

test('a push that does not come through the hub (no path check to run) is refused by the hook', async () => {
  const before = await hubTip();
  const tip = await commitTree([Buffer.from('start.md'), Buffer.from('direct.md')], before, 'pushed to the folder');
  const res = await gitCli(['push', join(t.dir, 'repos', 'twins.git'), `${tip}:refs/heads/main`], { cwd: clone });
  assert.notEqual(res.code, 0, res.stderr);
  assert.match(res.stderr, /takes pushes through Outpost Hub only/);
  assert.equal(await hubTip(), before);
});
