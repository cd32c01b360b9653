import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gitCli, gitOk, openWorkspace, startGitHost, tempDir, withAuth } from './helpers';
import { getTextConflict, listTextConflicts, resolveTextConflict } from '../../main/workspace/index';

const TOKEN = 'node-token-for-tests';

function filesUnder(dir: string, root = dir, out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(dir)) {
    if (name === '.git') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) filesUnder(full, root, out);
    else out[relative(root, full)] = readFileSync(full, 'utf8');
  }
  return out;
}

test('two nodes and the git CLI share one workspace through the hub; conflicts recorded and resolved with a merge commit', async () => {
  const t = tempDir('ws-git');
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  const url = `${host.base}/git/default.git`;
  const a = await openWorkspace(join(t.dir, 'a'), { name: 'alpha', hubUrl: host.base, token: TOKEN });
  const b = await openWorkspace(join(t.dir, 'b'), { name: 'beta', hubUrl: host.base, token: TOKEN });
  let told = 0;
  a.ws.onConflictsChanged(() => told++);
  const cli = join(t.dir, 'cli');
  try {
    // Node A: items, commit, push
    await a.ws.save({ path: 'agents/alpha.agent.json', content: '{\n  "name": "alpha",\n  "model": "small"\n}\n' });
    await a.ws.save({ path: 'notes/plan.md', content: 'line 1\nline 2\nline 3\nline 4\n' });
    await a.ws.save({ path: 'config/app.yaml', content: 'retries: 3\n' });
    const first = await a.ws.sync();
    assert.equal(first.outcome, 'pushed');
    assert.ok(first.commit);
    const log = await a.ws.log({ limit: 10 });
    assert.match(log[0]!.message, /^Auto-commit: 3 items at \d{4}-\d\d-\d\dT/);
    assert.equal(log[0]!.author.name, 'Outpost (alpha)');
    assert.ok(a.seen.some((e) => e.event === 'workspace.progress'), 'progress is reported');

    // The git CLI clones the hub's repository: fsck clean, files equal items
    await gitOk(['clone', '--quiet', withAuth(url, TOKEN), cli]);
    const fsck = await gitCli(['fsck', '--strict'], { cwd: cli });
    assert.equal(fsck.code, 0, fsck.stderr);
    const items = (await a.ws.list({ offset: 0, limit: 100 })).items;
    const files = filesUnder(cli);
    assert.deepEqual(Object.keys(files).sort(), items.map((i) => i.path).sort());
    for (const item of items) assert.equal(files[item.path], (await a.ws.get(item.path)).content);
    assert.ok(items.every((i) => i.syncStatus === 'synced'));

    // Node B starts empty and fast-forwards to the hub
    const bFirst = await b.ws.sync();
    assert.equal(bFirst.outcome, 'fast-forward');
    assert.equal((await b.ws.get('notes/plan.md')).content, 'line 1\nline 2\nline 3\nline 4\n');

    // Clean merge: CLI and node A change different lines of the same file
    writeFileSync(join(cli, 'notes/plan.md'), 'line 1 (cli)\nline 2\nline 3\nline 4\n');
    writeFileSync(join(cli, 'notes/cli-only.md'), 'from the cli\n');
    await gitOk(['commit', '-qam', 'cli edit', '--allow-empty'], { cwd: cli });
    await gitOk(['add', '-A'], { cwd: cli });
    await gitOk(['commit', '-qm', 'cli add'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    await a.ws.save({ path: 'notes/plan.md', content: 'line 1\nline 2\nline 3\nline 4 (alpha)\n' });
    const merged = await a.ws.sync();
    assert.equal(merged.outcome, 'merged');
    assert.ok(merged.mergeCommit);
    assert.equal(merged.pushed, true);
    assert.equal((await a.ws.get('notes/plan.md')).content, 'line 1 (cli)\nline 2\nline 3\nline 4 (alpha)\n');
    assert.equal((await a.ws.get('notes/cli-only.md')).content, 'from the cli\n');
    assert.equal(readFileSync(join(a.ws.root, 'notes/cli-only.md'), 'utf8'), 'from the cli\n');

    // A real conflict: the CLI and node A change the same line
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    writeFileSync(join(cli, 'config/app.yaml'), 'retries: 5\n');
    await gitOk(['commit', '-qam', 'cli: retries 5'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    await a.ws.save({ path: 'config/app.yaml', content: 'retries: 7\n' });
    await a.ws.save({ path: 'notes/other.md', content: 'unrelated\n' });
    const conflicted = await a.ws.sync();
    assert.equal(conflicted.outcome, 'conflicts');
    assert.equal(conflicted.conflicts, 1);
    assert.equal(conflicted.pushed, false);
    const item = await a.ws.get('config/app.yaml');
    assert.equal(item.syncStatus, 'conflict');
    assert.ok(item.conflictId?.startsWith('w:'));
    const list = await listTextConflicts(a.ws, { status: 'pending' });
    assert.equal(list.total, 1);
    const detail = await getTextConflict(a.ws, list.items[0]!.id);
    assert.equal(detail.type, 'modify-modify');
    assert.equal(detail.kind, 'text');
    assert.equal(detail.recordId, 'config/app.yaml');
    assert.equal(detail.base, 'retries: 3\n');
    assert.equal(detail.local, 'retries: 7\n');
    assert.equal(detail.remote, 'retries: 5\n');
    assert.equal(readFileSync(join(a.ws.root, 'config/app.yaml'), 'utf8'), 'retries: 7\n', 'local file kept while in conflict');
    assert.ok(told > 0, 'the conflict service is told to re-count');

    // A second sync while unresolved records nothing new
    assert.equal((await a.ws.sync()).conflicts, 1);
    assert.equal((await listTextConflicts(a.ws)).total, 1);

    // A save while in conflict is this node's side from then on: keeping the local side keeps it (found by the
    // soak's checker: the save was neither committed nor the conflict's local text, and resolving dropped it)
    await a.ws.save({ path: 'config/app.yaml', content: 'retries: 8\n' });
    assert.equal((await getTextConflict(a.ws, detail.id)).local, 'retries: 8\n');
    writeFileSync(join(a.ws.root, 'config/app.yaml'), 'retries: 9\n'); // and an edit by another program
    await a.ws.scan();
    assert.equal((await getTextConflict(a.ws, detail.id)).local, 'retries: 9\n');

    // Resolve with an edited text: file written, merge commit with both parents, pushed
    const resolved = await resolveTextConflict(a.ws, detail.id, 'retries: 6\n');
    assert.equal(resolved.status, 'resolved');
    assert.equal(readFileSync(join(a.ws.root, 'config/app.yaml'), 'utf8'), 'retries: 6\n');
    const after = await a.ws.get('config/app.yaml');
    assert.equal(after.conflictId, null);
    assert.equal(after.syncStatus, 'synced');
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    assert.equal(readFileSync(join(cli, 'config/app.yaml'), 'utf8'), 'retries: 6\n');
    assert.equal(readFileSync(join(cli, 'notes/other.md'), 'utf8'), 'unrelated\n');
    const graph = await gitOk(['log', '--graph', '--format=%s|%P', '-n', '6'], { cwd: cli });
    const mergeLine = graph.split('\n').find((l) => l.includes('Merge origin/main into main') && l.includes('|') && l.split('|')[1]!.trim().split(' ').length === 2);
    assert.ok(mergeLine, `a two-parent merge commit in:\n${graph}`);
    const parents = (await gitOk(['log', '-1', '--format=%P', 'HEAD'], { cwd: cli })).trim().split(' ');
    assert.equal(parents.length, 2, 'HEAD is the resolution merge commit with two parents');
    assert.equal((await gitCli(['fsck', '--strict'], { cwd: cli })).code, 0);

    // Node B: pulls all of it; then a modify/delete conflict between B (deletes) and the CLI (edits)
    await b.ws.sync();
    assert.equal((await b.ws.get('config/app.yaml')).content, 'retries: 6\n');
    assert.deepEqual(filesUnder(b.ws.root), filesUnder(cli));
    writeFileSync(join(cli, 'notes/other.md'), 'unrelated, edited\n');
    await gitOk(['commit', '-qam', 'cli edits other'], { cwd: cli });
    await gitOk(['push', '--quiet'], { cwd: cli });
    await b.ws.delete('notes/other.md');
    const md = await b.ws.sync();
    assert.equal(md.outcome, 'conflicts');
    const mdConflict = (await listTextConflicts(b.ws, { status: 'pending' })).items[0]!;
    assert.equal(mdConflict.type, 'modify-delete');
    const mdDetail = await getTextConflict(b.ws, mdConflict.id);
    assert.equal(mdDetail.local, null);
    assert.equal(mdDetail.remote, 'unrelated, edited\n');
    await resolveTextConflict(b.ws, mdConflict.id, 'remote');
    assert.equal((await b.ws.get('notes/other.md')).content, 'unrelated, edited\n');
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    assert.deepEqual(filesUnder(b.ws.root), filesUnder(cli));

    // Node A catches up; history, show and restore
    await a.ws.sync();
    assert.deepEqual(filesUnder(a.ws.root), filesUnder(cli));
    const history = await a.ws.log({ path: 'config/app.yaml', limit: 20 });
    assert.ok(history.length >= 3);
    const firstVersion = history[history.length - 1]!;
    const shown = await a.ws.show({ path: 'config/app.yaml', commit: firstVersion.id });
    assert.equal(shown.content, 'retries: 3\n');
    const restored = await a.ws.restore({ path: 'config/app.yaml', commit: firstVersion.id });
    assert.ok(restored.commit);
    assert.equal(restored.item?.content, 'retries: 3\n');
    assert.match((await a.ws.log({ limit: 1 }))[0]!.message, /^Restore config\/app.yaml to /);
    await a.ws.sync();
    await gitOk(['pull', '--quiet', '--no-rebase'], { cwd: cli });
    assert.equal(readFileSync(join(cli, 'config/app.yaml'), 'utf8'), 'retries: 3\n');
    const fsckA = await gitCli(['fsck', '--strict'], { cwd: a.ws.root });
    assert.equal(fsckA.code, 0, fsckA.stderr);
    const status = await gitOk(['status', '--porcelain'], { cwd: a.ws.root });
    assert.equal(status, '', 'the node working tree is clean for the git CLI');
  } finally {
    await a.ws.close();
    await b.ws.close();
    await host.close();
    t.cleanup();
  }
});

test('the hub refuses Git access without a valid token and serves only smart-HTTP paths', async () => {
  const t = tempDir('ws-githost');
  const host = await startGitHost(join(t.dir, 'repos'), TOKEN);
  try {
    const noAuth = await fetch(`${host.base}/git/default.git/info/refs?service=git-upload-pack`);
    assert.equal(noAuth.status, 401);
    assert.match(noAuth.headers.get('www-authenticate') ?? '', /Basic/);
    const bad = await fetch(`${host.base}/git/default.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Basic ${Buffer.from('x:wrong').toString('base64')}` },
    });
    assert.equal(bad.status, 401);
    const auth = { authorization: `Basic ${Buffer.from(`any:${TOKEN}`).toString('base64')}` };
    assert.equal((await fetch(`${host.base}/git/default.git/HEAD`, { headers: auth })).status, 404);
    assert.equal((await fetch(`${host.base}/git/..%2Fetc.git/info/refs?service=git-upload-pack`, { headers: auth })).status, 404);
    const ok = await fetch(`${host.base}/git/default.git/info/refs?service=git-upload-pack`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('content-type'), 'application/x-git-upload-pack-advertisement');
    const clone = await gitCli(['clone', '--quiet', `${host.base}/git/default.git`, join(t.dir, 'c')]);
    assert.notEqual(clone.code, 0, 'the CLI without credentials is refused');
  } finally {
    await host.close();
    t.cleanup();
  }
});
