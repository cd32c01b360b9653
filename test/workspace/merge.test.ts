import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { applyHunkChoices, mergeText } from '../../shared/domain/workspace-merge';
import { mergeTrees } from '../../worker/git/tree-merge';
import { tempDir } from './helpers';

/** `git merge-file -p ours base theirs`: the merged text and whether it was clean. */
function gitMergeFile(dir: string, base: string, ours: string, theirs: string): { clean: boolean; text: string } {
  writeFileSync(join(dir, 'ours'), ours);
  writeFileSync(join(dir, 'base'), base);
  writeFileSync(join(dir, 'theirs'), theirs);
  const res = spawnSync('git', ['merge-file', '-p', join(dir, 'ours'), join(dir, 'base'), join(dir, 'theirs')], { encoding: 'utf8' });
  return { clean: res.status === 0, text: res.stdout };
}

const handWritten: [string, string, string, string][] = [
  ['different lines', 'a\nb\nc\nd\n', 'A\nb\nc\nd\n', 'a\nb\nc\nD\n'],
  ['same change both sides', 'a\nb\nc\n', 'a\nB\nc\n', 'a\nB\nc\n'],
  ['insert at start and end', 'a\nb\n', 'x\na\nb\n', 'a\nb\ny\n'],
  ['delete vs edit elsewhere', 'a\nb\nc\nd\ne\n', 'a\nc\nd\ne\n', 'a\nb\nc\nd\nE\n'],
  ['missing final newline kept', 'a\nb\nc', 'A\nb\nc', 'a\nb\nc'],
  ['add final newline one side', 'a\nb\nc', 'A\nb\nc', 'a\nb\nc\n'],
  ['empty base, one side adds', '', 'x\n', ''],
  ['crlf lines', 'a\r\nb\r\nc\r\nd\r\n', 'A\r\nb\r\nc\r\nd\r\n', 'a\r\nb\r\nc\r\nD\r\n'],
  ['json edits', '{\n  "a": 1,\n  "b": 2,\n  "c": 3\n}\n', '{\n  "a": 10,\n  "b": 2,\n  "c": 3\n}\n', '{\n  "a": 1,\n  "b": 2,\n  "c": 30\n}\n'],
  ['unicode', 'é\nü\nß\nñ\n', 'É\nü\nß\nñ\n', 'é\nü\nß\nÑ\n'],
];

test('where git merge-file merges cleanly, Outpost merges to the same text (hand-written and generated cases)', () => {
  const t = tempDir('merge-file');
  try {
    for (const [name, base, ours, theirs] of handWritten) {
      const git = gitMergeFile(t.dir, base, ours, theirs);
      assert.ok(git.clean, `${name}: case expected clean in git`);
      const outpost = mergeText(base, ours, theirs);
      assert.ok(outpost.clean, name);
      assert.equal(outpost.text, git.text, name);
    }
    // generated: files of distinct lines (every diff is unambiguous), edited on both sides
    let counter = 0;
    const fresh = () => `line ${++counter}`;
    const edit = (base: string[]) =>
      fc.array(fc.record({ op: fc.constantFrom('set', 'ins', 'del'), at: fc.nat(30) }), { maxLength: 4 }).map((ops) => {
        const out = [...base];
        for (const o of ops) {
          const i = out.length === 0 ? 0 : o.at % (out.length + (o.op === 'ins' ? 1 : 0));
          if (o.op === 'ins') out.splice(i, 0, fresh());
          else if (out.length > 0 && o.op === 'set') out[i] = fresh();
          else if (out.length > 0) out.splice(i, 1);
        }
        return out;
      });
    const base = fc.integer({ min: 0, max: 15 }).map((n) => Array.from({ length: n }, (_, i) => `base ${i}`));
    const triple = base.chain((b) => fc.tuple(fc.constant(b), edit(b), edit(b), fc.boolean()));
    let clean = 0;
    let conflicted = 0;
    fc.assert(
      fc.property(triple, ([base, ours, theirs, finalNewline]) => {
        const join = (l: string[]) => (l.length ? l.join('\n') + (finalNewline ? '\n' : '') : '');
        const [b, o, th] = [join(base), join(ours), join(theirs)];
        const git = gitMergeFile(t.dir, b, o, th);
        const outpost = mergeText(b, o, th);
        if (git.clean) {
          clean++;
          assert.ok(outpost.clean, `git merged cleanly, Outpost did not: ${JSON.stringify({ b, o, th })}`);
          assert.equal(outpost.text, git.text);
        } else {
          conflicted++;
          assert.equal(outpost.clean, false, `git found a conflict, Outpost merged silently: ${JSON.stringify({ b, o, th })}`);
        }
      }),
      { numRuns: 500, seed: 20261122 },
    );
    assert.ok(clean > 100 && conflicted > 50, `both kinds generated (clean ${clean}, conflicted ${conflicted})`);
  } finally {
    t.cleanup();
  }
});

test('with many repeated lines (ambiguous diffs), whenever both merge cleanly the texts are the same', () => {
  // Git's xdiff and Outpost's LCS diff may align repeated lines differently: then one side may see a
  // conflict the other does not (measured: under 1% of these cases). A clean result must never differ.
  const t = tempDir('merge-ambiguous');
  try {
    const line = fc.constantFrom('a', 'b', '{', '}', '', 'return x;');
    const edit = (b: string[]) =>
      fc.array(fc.record({ op: fc.constantFrom('set', 'ins', 'del'), at: fc.nat(20), line }), { maxLength: 3 }).map((ops) => {
        const out = [...b];
        for (const o of ops) {
          const i = out.length === 0 ? 0 : o.at % (out.length + (o.op === 'ins' ? 1 : 0));
          if (o.op === 'ins') out.splice(i, 0, o.line);
          else if (out.length > 0 && o.op === 'set') out[i] = o.line;
          else if (out.length > 0) out.splice(i, 1);
        }
        return out;
      });
    const triple = fc.array(line, { maxLength: 12 }).chain((b) => fc.tuple(fc.constant(b), edit(b), edit(b)));
    let bothClean = 0;
    fc.assert(
      fc.property(triple, ([base, ours, theirs]) => {
        const [b, o, th] = [base, ours, theirs].map((l) => (l.length ? l.join('\n') + '\n' : '')) as [string, string, string];
        const git = gitMergeFile(t.dir, b, o, th);
        const outpost = mergeText(b, o, th);
        if (git.clean && outpost.clean) {
          bothClean++;
          assert.equal(outpost.text, git.text);
        }
      }),
      { numRuns: 300, seed: 42 },
    );
    assert.ok(bothClean > 100);
  } finally {
    t.cleanup();
  }
});

test('hunk choices build the result: local, remote, both, edited', () => {
  const r = mergeText('a\nb\nc\n', 'a\nB1\nc\n', 'a\nB2\nc\n');
  assert.equal(r.clean, false);
  assert.equal(r.conflicts, 1);
  assert.equal(applyHunkChoices(r.regions, ['local']), 'a\nB1\nc\n');
  assert.equal(applyHunkChoices(r.regions, ['remote']), 'a\nB2\nc\n');
  assert.equal(applyHunkChoices(r.regions, ['local+remote']), 'a\nB1\nB2\nc\n');
  assert.equal(applyHunkChoices(r.regions, ['remote+local']), 'a\nB2\nB1\nc\n');
  assert.equal(applyHunkChoices(r.regions, [{ text: 'mine\n' }]), 'a\nmine\nc\n');
  const noNewline = mergeText('x', 'y', 'z');
  assert.equal(applyHunkChoices(noNewline.regions, ['local+remote']), 'y\nz', 'two sides never glued on one line');
});

function sh(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x', GIT_CONFIG_NOSYSTEM: '1', HOME: cwd },
  }).trim();
}

function writeTree(root: string, files: Record<string, string | null>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    if (content === null) rmSync(full, { force: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    }
  }
}

test("Outpost's tree merge gives real git merge's tree, tree for tree (adds, deletes, nested folders, line merges)", async () => {
  const t = tempDir('tree-merge');
  try {
    const rnd = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 6, seed: 7 });
    for (const [round, seed] of rnd.entries()) {
      const dir = join(t.dir, `r${round}`);
      mkdirSync(dir);
      sh(dir, ['init', '-q', '-b', 'main']);
      let s = seed;
      const next = (n: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % n);
      const paths = Array.from({ length: 12 }, (_, i) => (i % 3 === 0 ? `dir${i % 2}/sub/f${i}.txt` : `f${i}.md`));
      const base: Record<string, string> = {};
      for (const p of paths) base[p] = Array.from({ length: 8 }, (_, k) => `${p} line ${k}`).join('\n') + '\n';
      writeTree(dir, base);
      sh(dir, ['add', '-A']);
      sh(dir, ['commit', '-qm', 'base']);
      sh(dir, ['branch', 'theirs']);
      // ours edits early lines / deletes some files; theirs edits late lines / adds files: no overlap
      const ours: Record<string, string | null> = {};
      const theirs: Record<string, string | null> = {};
      for (const p of paths) {
        const roll = next(6);
        const lines = base[p]!.split('\n');
        if (roll === 0) ours[p] = null;
        else if (roll === 1) ours[p] = ['OURS ' + lines[0], ...lines.slice(1)].join('\n');
        else if (roll === 2) theirs[p] = [...lines.slice(0, 6), 'THEIRS ' + lines[6], ...lines.slice(7)].join('\n');
        else if (roll === 3) {
          ours[p] = ['OURS ' + lines[0], ...lines.slice(1)].join('\n');
          theirs[p] = [...lines.slice(0, 6), 'THEIRS ' + lines[6], ...lines.slice(7)].join('\n');
        }
      }
      theirs[`new${round}/added.txt`] = 'added by theirs\n';
      ours[`f${round}-ours-new.md`] = 'added by ours\n';
      writeTree(dir, ours);
      sh(dir, ['add', '-A']);
      sh(dir, ['commit', '-qm', 'ours']);
      sh(dir, ['checkout', '-q', 'theirs']);
      writeTree(dir, theirs);
      sh(dir, ['add', '-A']);
      sh(dir, ['commit', '-qm', 'theirs']);
      sh(dir, ['checkout', '-q', 'main']);
      const expected = sh(dir, ['merge-tree', '--write-tree', 'main', 'theirs']).split('\n')[0];
      const tree = (rev: string) => sh(dir, ['rev-parse', `${rev}^{tree}`]);
      const mergeBase = sh(dir, ['merge-base', 'main', 'theirs']);
      const result = await mergeTrees(dir, tree(mergeBase), tree('main'), tree('theirs'));
      assert.equal(result.conflicts.length, 0);
      assert.equal(result.tree, expected, `round ${round}: same tree as git merge`);
    }
  } finally {
    t.cleanup();
  }
});

test('the tree merge reports conflicts with base, local and remote, and modify/delete and binary explicitly', async () => {
  const t = tempDir('tree-conflicts');
  try {
    const dir = t.dir;
    sh(dir, ['init', '-q', '-b', 'main']);
    writeTree(dir, { 'a.txt': 'one\n', 'b.txt': 'keep\n', 'bin.dat': 'x\0y' });
    sh(dir, ['add', '-A']);
    sh(dir, ['commit', '-qm', 'base']);
    sh(dir, ['branch', 'theirs']);
    writeTree(dir, { 'a.txt': 'ours\n', 'b.txt': null, 'bin.dat': 'x\0ours' });
    sh(dir, ['commit', '-qam', 'ours']);
    sh(dir, ['checkout', '-q', 'theirs']);
    writeTree(dir, { 'a.txt': 'theirs\n', 'b.txt': 'keep, edited\n', 'bin.dat': 'x\0theirs' });
    sh(dir, ['commit', '-qam', 'theirs']);
    sh(dir, ['checkout', '-q', 'main']);
    const tree = (rev: string) => sh(dir, ['rev-parse', `${rev}^{tree}`]);
    const result = await mergeTrees(dir, tree('main~1'), tree('main'), tree('theirs'));
    const byPath = Object.fromEntries(result.conflicts.map((c) => [c.path, c]));
    assert.deepEqual(Object.keys(byPath).sort(), ['a.txt', 'b.txt', 'bin.dat']);
    assert.equal(byPath['a.txt']!.kind, 'modify-modify');
    assert.deepEqual([byPath['a.txt']!.base, byPath['a.txt']!.local, byPath['a.txt']!.remote], ['one\n', 'ours\n', 'theirs\n']);
    assert.equal(byPath['b.txt']!.kind, 'modify-delete');
    assert.equal(byPath['b.txt']!.local, null);
    assert.equal(byPath['b.txt']!.remote, 'keep, edited\n');
    assert.equal(byPath['bin.dat']!.kind, 'binary');
    assert.ok(byPath['bin.dat']!.localOid && byPath['bin.dat']!.remoteOid);
  } finally {
    t.cleanup();
  }
});

test('the tree merge keeps a UTF-8 BOM, CRLF line endings and a missing final newline, clean and conflicting alike (as git does)', async () => {
  const t = tempDir('tree-bytes');
  try {
    const dir = t.dir;
    const BOM = '\uFEFF';
    sh(dir, ['init', '-q', '-b', 'main']);
    sh(dir, ['config', 'core.autocrlf', 'false']);
    const base = {
      'bom.txt': `${BOM}a\nb\nc\nd\n`,
      'crlf.txt': 'a\r\nb\r\nc\r\nd\r\n',
      'nofinal.txt': 'a\nb\nc\nd',
      'bomc.txt': `${BOM}one\r\ntwo`,
    };
    writeTree(dir, base);
    sh(dir, ['add', '-A']);
    sh(dir, ['commit', '-qm', 'base']);
    sh(dir, ['branch', 'theirs']);
    writeTree(dir, {
      'bom.txt': `${BOM}A\nb\nc\nd\n`,
      'crlf.txt': 'A\r\nb\r\nc\r\nd\r\n',
      'nofinal.txt': 'A\nb\nc\nd',
      'bomc.txt': `${BOM}one\r\nours`,
    });
    sh(dir, ['commit', '-qam', 'ours']);
    sh(dir, ['checkout', '-q', 'theirs']);
    writeTree(dir, {
      'bom.txt': `${BOM}a\nb\nc\nD\n`,
      'crlf.txt': 'a\r\nb\r\nc\r\nD\r\n',
      'nofinal.txt': 'a\nb\nc\nD',
      'bomc.txt': `${BOM}one\r\ntheirs`,
    });
    sh(dir, ['commit', '-qam', 'theirs']);
    sh(dir, ['checkout', '-q', 'main']);
    const tree = (rev: string) => sh(dir, ['rev-parse', `${rev}^{tree}`]);
    const result = await mergeTrees(dir, tree('main~1'), tree('main'), tree('theirs'));
    // the clean files: blob for blob what git merge-tree writes
    // (merge-tree exits 1 for the conflicting file; its first line is still the merged tree)
    const gitTree = spawnSync('git', ['merge-tree', '--write-tree', 'main', 'theirs'], { cwd: dir, encoding: 'utf8' }).stdout.split('\n')[0]!;
    const blob = (treeOid: string, path: string) => sh(dir, ['rev-parse', `${treeOid}:${path}`]);
    const ours = new Map(result.changes.map((c) => [c.path, c.oid]));
    for (const path of ['bom.txt', 'crlf.txt', 'nofinal.txt']) {
      assert.equal(ours.get(path), blob(gitTree, path), `${path}: same bytes as git's merge`);
    }
    const bomBytes = execFileSync('git', ['cat-file', 'blob', ours.get('bom.txt')!], { cwd: dir });
    assert.deepEqual([...bomBytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the BOM is still the first three bytes');
    // the conflicting file: every side's text keeps the BOM and the CRLF
    const conflict = result.conflicts.find((c) => c.path === 'bomc.txt');
    assert.ok(conflict);
    assert.equal(result.conflicts.length, 1);
    assert.deepEqual([conflict.base, conflict.local, conflict.remote], [`${BOM}one\r\ntwo`, `${BOM}one\r\nours`, `${BOM}one\r\ntheirs`]);
    // and a resolution written from the local text is the local blob again, byte for byte
    const resolved = await mergeTrees(dir, tree('main~1'), tree('main'), tree('theirs'), [
      { id: 'c1', path: 'bomc.txt', localOid: conflict.localOid, remoteOid: conflict.remoteOid, result: { text: conflict.local! } },
    ]);
    assert.equal(resolved.conflicts.length, 0);
    assert.equal(blob(resolved.tree, 'bomc.txt'), blob(tree('main'), 'bomc.txt'));
  } finally {
    t.cleanup();
  }
});
