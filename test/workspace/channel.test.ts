import { inProcessGitRunner } from '../../worker/git/in-process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import '../../worker/git/channel';
import { channelHandler } from '../../worker/channels';
import { channelGitRunner, Workspace, type WorkerChannel } from '../../main/workspace/index';
import { SettingsStore } from '../../main/settings-store';
import { createLogger } from '../../lib/log';
import { gitOk, tempDir } from './helpers';
import type { GitRequest } from '../../shared/protocol/git';

/** Main's end of the 'git' channel wired to the worker's registered handler, with structured cloning between. */
function channelPair(): WorkerChannel & { sent: unknown[] } {
  const listeners = new Set<(payload: unknown) => void>();
  const sent: unknown[] = [];
  return {
    sent,
    post(payload) {
      sent.push(payload);
      const handler = channelHandler('git');
      assert.ok(handler, 'worker/git/channel registers the git channel');
      setImmediate(() => void handler(structuredClone(payload), (reply) => setImmediate(() => listeners.forEach((l) => l(structuredClone(reply))))));
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

test('the Workspace drives the Git engine through the worker channel (handed over with setGitRunner); malformed requests are refused', async () => {
  const t = tempDir('ws-channel');
  const channel = channelPair();
  const runner = channelGitRunner(channel);
  const ws = await Workspace.open({
    git: inProcessGitRunner,
    dataDir: t.dir,
    identity: { nodeId: 'n-ch', nodeName: 'ch', dataDir: t.dir, startedAt: new Date().toISOString(), version: 'test' },
    settings: new SettingsStore(t.dir),
    log: createLogger({ quiet: true }),
    watch: false,
    autoCommit: false,
  });
  // opened with the in-process engine, then handed over to the worker (as main/node.ts does after the sync host starts)
  ws.setGitRunner(runner);
  try {
    await ws.save({ path: 'a.md', content: 'hello\n' });
    const result = await ws.commit();
    assert.ok(result.commit);
    assert.ok(channel.sent.some((m) => (m as { params: { kind: string } }).params.kind === 'git.commit'));
    assert.equal((await gitOk(['log', '--format=%H', '-1'], { cwd: ws.root })).trim(), result.commit);
    assert.equal((await ws.log({ limit: 5 })).length, 1);

    const bad = await new Promise<unknown>((resolve) => {
      const off = channel.on((m) => {
        if ((m as { id: number }).id === 999) {
          off();
          resolve(m);
        }
      });
      channel.post({ rpc: 'call', id: 999, method: 'git', params: { kind: 'git.commit', dir: join(t.dir, 'workspace'), changed: 'not-an-array' } });
    });
    assert.equal((bad as { rpc: string }).rpc, 'error');
    assert.equal((bad as { error: { code: string } }).error.code, 'invalid_input');
  } finally {
    await ws.close();
    runner.dispose();
    t.cleanup();
  }
});

test('auto-commit runs every settings.workspace.autoCommitMinutes, only when something changed', async () => {
  const t = tempDir('ws-auto');
  const settings = new SettingsStore(t.dir);
  settings.set({ workspace: { autoCommitMinutes: 0.05, authorName: 'Auto Tester', authorEmail: 'auto@example.com' } }); // 3 s
  const ws = await Workspace.open({
    git: inProcessGitRunner,
    dataDir: t.dir,
    identity: { nodeId: 'n-auto', nodeName: 'auto', dataDir: t.dir, startedAt: new Date().toISOString(), version: 'test' },
    settings,
    log: createLogger({ quiet: true }),
    watch: false,
  });
  try {
    await ws.save({ path: 'a.md', content: 'one\n' });
    await ws.save({ path: 'b.md', content: 'two\n' });
    const waitForCommits = async (n: number) => {
      for (const until = Date.now() + 20_000; Date.now() < until; ) {
        const log = await ws.log({ limit: 10 });
        if (log.length >= n) return log;
        await new Promise((r) => setTimeout(r, 250));
      }
      return ws.log({ limit: 10 });
    };
    const first = await waitForCommits(1);
    assert.equal(first.length, 1);
    assert.match(first[0]!.message, /^Auto-commit: 2 items at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(first[0]!.author, { name: 'Auto Tester', email: 'auto@example.com' });
    assert.equal((await ws.get('a.md')).syncStatus, 'committed');
    // nothing changed for two more periods: still one commit
    await new Promise((r) => setTimeout(r, 7000));
    assert.equal((await ws.log({ limit: 10 })).length, 1);
    const cli = (await gitOk(['log', '--format=%an <%ae>|%s'], { cwd: ws.root })).trim();
    assert.match(cli, /^Auto Tester <auto@example.com>\|Auto-commit: 2 items at /);
  } finally {
    await ws.close();
    t.cleanup();
  }
});

test('a request sent to a worker that then died fails at once when the worker exits; the next worker answers the next', async () => {
  const listeners = new Set<(payload: unknown) => void>();
  const exits = new Set<() => void>();
  let posts = 0;
  const channel: WorkerChannel = {
    post(payload) {
      const { id } = payload as { id: number };
      if (posts++ === 0) setTimeout(() => exits.forEach((l) => l()), 50); // received, then the worker died: no reply ever
      else setImmediate(() => listeners.forEach((l) => l({ rpc: 'result', id, value: { head: null, unpushed: 0 } }))); // the restarted worker
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onWorkerExit(listener) {
      exits.add(listener);
      return () => exits.delete(listener);
    },
  };
  const runner = channelGitRunner(channel);
  const keepAlive = setInterval(() => {}, 1000); // the runner's own timers are unref'd: a node keeps running anyway
  try {
    const started = Date.now();
    await assert.rejects(runner.request({ kind: 'git.head', dir: '/nonexistent' }), (e: { code?: string }) => e.code === 'unavailable');
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(await runner.request({ kind: 'git.head', dir: '/nonexistent' }), { head: null, unpushed: 0 });
  } finally {
    clearInterval(keepAlive);
    runner.dispose();
  }
});

test("a reply without its request's shape is refused whole: a path outside the workspace, a wrong type, a bad envelope", async () => {
  const sha = 'a'.repeat(40);
  const syncReply = (changed: unknown) => ({
    rpc: 'result',
    value: { outcome: 'fast-forward', head: sha, remoteHead: sha, mergeCommit: null, applied: [], pushed: false, attempts: 1, changed, skipped: [], twins: [], conflicts: [] },
  });
  const replies: Array<[string, unknown, RegExp | null]> = [
    ['a path that escapes', syncReply([{ path: '../../.ssh/authorized_keys', oid: sha, text: 'key', binary: false }]), /changed\.0\.path/],
    ['a path under .git', syncReply([{ path: '.git/hooks/post-checkout', oid: sha, text: '#!/bin/sh', binary: false }]), /changed\.0\.path/],
    ['an oid that is not one', syncReply([{ path: 'ok.md', oid: 'HEAD', text: 'x', binary: false }]), /changed\.0\.oid/],
    ['an extra field', syncReply([{ path: 'ok.md', oid: sha, text: 'x', binary: false, mode: '100755' }]), /changed\.0/],
    ['no envelope', { value: 1 }, /the message|rpc/],
    ['a well-formed reply', syncReply([{ path: 'notes/ok.md', oid: sha, text: 'x', binary: false }]), null],
  ];
  let reply: unknown;
  const listeners = new Set<(payload: unknown) => void>();
  const channel: WorkerChannel = {
    post(payload) {
      const p = payload as { id: number };
      setImmediate(() => listeners.forEach((l) => l({ id: p.id, ...(reply as object) })));
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const runner = channelGitRunner(channel);
  const request: GitRequest & { kind: 'git.sync' } = { kind: 'git.sync', dir: '/w', remote: { url: 'http://h/x.git', username: 'n', password: 'p' }, author: { name: 'a', email: 'a@b' }, resolutions: [] };
  try {
    for (const [what, r, refused] of replies) {
      reply = r;
      if (refused) {
        await assert.rejects(runner.request(request), (e: { code?: string; message: string }) => e.code === 'internal' && /malformed/.test(e.message) && refused.test(e.message), what);
      } else {
        assert.equal((await runner.request(request)).changed[0]!.path, 'notes/ok.md', what);
      }
    }
  } finally {
    runner.dispose();
  }
});

test("the worker's progress reports reach the caller while a request runs, checked: a malformed one is dropped", async () => {
  const listeners = new Set<(payload: unknown) => void>();
  const deliver = (m: unknown) => listeners.forEach((l) => l(m));
  const dir = '/w';
  const channel: WorkerChannel = {
    post(payload) {
      const { id } = payload as { id: number };
      setImmediate(() => {
        deliver({ rpc: 'progress', id, progress: { kind: 'git.progress', dir, phase: 'Receiving objects', loaded: 1, total: 2 } });
        deliver({ rpc: 'progress', id, progress: { kind: 'git.progress', dir, phase: 'x', loaded: -1, total: 2 } });
        deliver({ rpc: 'progress', id, progress: { kind: 'git.progress', dir, phase: 'Receiving objects', loaded: 2, total: 2 } });
        deliver({ rpc: 'result', id, value: { head: null, unpushed: 0 } });
      });
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const runner = channelGitRunner(channel);
  try {
    const seen: unknown[] = [];
    assert.deepEqual(await runner.request({ kind: 'git.head', dir }, (p) => seen.push(p.loaded)), { head: null, unpushed: 0 });
    assert.deepEqual(seen, [1, 2]);
  } finally {
    runner.dispose();
  }
});
