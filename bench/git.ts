/**
 * Workspace Git work, isomorphic-git (as the worker runs it) against the git CLI on an identical tree,
 * in the same run. Both sides are handed the same paths.
 *  1. First commit of a whole workspace of 1,000 and 10,000 files, as a node makes it: git.init + git.commit
 *     of every path vs `git init && git add -- <paths> && git commit`. One run each, after a small warm-up.
 *  2. Commit of 10 changed files in those workspaces: worker/git's commitPaths (stages only the known changed
 *     paths, one batched add, one long-lived cache) vs `git add -- <paths> && git commit`; for information
 *     also `git add -A && git commit` (what the CLI costs when it must find the changes itself).
 *     Median of several rounds after warm-up rounds. Target: at most 2x the CLI.
 *  3. Sync of one remote commit of 10 files into a node that has one local commit of 10 files, through a real
 *     git http-backend on loopback: fetch + Outpost's merge + push vs `git pull --no-rebase && git push`.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleGitRequest } from '../worker/git/index';
import { startGitHost } from '../test/workspace/helpers';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** rounds not counted: the first ones pay for JIT compilation and cold caches */
const WARMUP = 3;
const root = mkdtempSync(join(tmpdir(), 'outpost-bench-git-'));
const author = { name: 'Bench', email: 'bench@outpost.invalid' };
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@outpost.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@outpost.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
  HOME: root,
  // no background auto-gc racing the copy of the tree (isomorphic-git never packs either)
  GIT_CONFIG_COUNT: '1',
  GIT_CONFIG_KEY_0: 'gc.auto',
  GIT_CONFIG_VALUE_0: '0',
};

function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd, env: gitEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')}: ${err}`))));
  });
}

const pathOf = (i: number) => `items/group-${String(i % 50).padStart(2, '0')}/item-${String(i).padStart(5, '0')}.agent.json`;
const contentOf = (i: number, round: number) => JSON.stringify({ id: i, name: `Agent ${i}`, round, prompt: 'Be brief. '.repeat(8) }, null, 2) + '\n';

function writeFiles(dir: string, indexes: number[], round: number): string[] {
  return indexes.map((i) => {
    const path = pathOf(i);
    const full = join(dir, path);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, contentOf(i, round));
    return path;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;
interface Figures {
  iso: number[];
  cli: number[];
}
/** Median and best round of each side; on a busy machine the best rounds show the cost without interference. */
function report(label: string, isoName: string, cliName: string, f: Figures, target?: string): void {
  const [mi, mc, bi, bc] = [median(f.iso), median(f.cli), Math.min(...f.iso), Math.min(...f.cli)];
  console.log(`${label}\n  median: ${isoName} ${ms(mi)}, ${cliName} ${ms(mc)}, ratio ${(mi / mc).toFixed(2)}x` +
    `\n  best:   ${isoName} ${ms(bi)}, ${cliName} ${ms(bc)}, ratio ${(bi / bc).toFixed(2)}x${target ? `  (target ${target})` : ''}`);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const treeOf = (dir: string) => git(dir, ['rev-parse', 'HEAD^{tree}']);

/** A node's first commit of a tree already on disk (isomorphic-git) and the CLI's, each handed every path. */
async function firstCommit(iso: string, cli: string, paths: string[]): Promise<{ iso: number; cli: number }> {
  const isoMs = await timed(async () => {
    await handleGitRequest({ kind: 'git.init', dir: iso });
    const res = await handleGitRequest({ kind: 'git.commit', dir: iso, changed: paths, removed: [], message: 'initial', author });
    if (res.committed.length !== paths.length) throw new Error(`isomorphic-git committed ${res.committed.length} of ${paths.length} files`);
  });
  const cliMs = await timed(async () => {
    await git(cli, ['init', '-q', '-b', 'main']);
    await git(cli, ['add', '--', ...paths]);
    await git(cli, ['commit', '-qm', 'initial']);
  });
  if ((await treeOf(iso)) !== (await treeOf(cli))) throw new Error('the first commits have different trees');
  return { iso: isoMs, cli: cliMs };
}

/** Untimed: JIT-compiles isomorphic-git's first-commit path so the 1,000-file figure is not a cold start. */
async function warmFirstCommit(): Promise<void> {
  const [iso, cli] = [join(root, 'warm-iso'), join(root, 'warm-cli')];
  const paths = writeFiles(iso, Array.from({ length: 200 }, (_, i) => i), 0);
  writeFiles(cli, Array.from({ length: 200 }, (_, i) => i), 0);
  await firstCommit(iso, cli, paths);
}

async function commitBench(files: number): Promise<{ first: { iso: number; cli: number }; rounds: Figures; addAll: number[] }> {
  const iso = join(root, `iso-${files}`);
  const cli = join(root, `cli-${files}`);
  const cliAll = join(root, `cli-all-${files}`);
  const everyFile = Array.from({ length: files }, (_, i) => i);
  const all = writeFiles(iso, everyFile, 0);
  writeFiles(cli, everyFile, 0);
  const first = await firstCommit(iso, cli, all);
  cpSync(cli, cliAll, { recursive: true });

  const isoTimes: number[] = [];
  const cliTimes: number[] = [];
  const allTimes: number[] = [];
  for (let round = 0; round < ROUNDS + WARMUP; round++) {
    const changed = Array.from({ length: 10 }, (_, k) => (k * 97 + round * 13) % files);
    const paths = writeFiles(iso, changed, round + 1);
    writeFiles(cli, changed, round + 1);
    writeFiles(cliAll, changed, round + 1);

    const isoMs = await timed(async () => {
      const res = await handleGitRequest({ kind: 'git.commit', dir: iso, changed: paths, removed: [], message: `r${round}`, author });
      if (!res.oid) throw new Error('isomorphic-git made no commit');
    });
    const cliMs = await timed(async () => {
      await git(cli, ['add', '--', ...paths]);
      await git(cli, ['commit', '-qm', `r${round}`]);
    });
    const allMs = await timed(async () => {
      await git(cliAll, ['add', '-A']);
      await git(cliAll, ['commit', '-qm', `r${round}`]);
    });
    if (round >= WARMUP) {
      isoTimes.push(isoMs);
      cliTimes.push(cliMs);
      allTimes.push(allMs);
    }
  }
  const trees = new Set([await treeOf(iso), await treeOf(cli), await treeOf(cliAll)]);
  if (trees.size !== 1) throw new Error('the repositories ended with different trees');
  return { first, rounds: { iso: isoTimes, cli: cliTimes }, addAll: allTimes };
}

async function syncBench(files: number): Promise<Figures> {
  const token = 'bench-token';
  const host = await startGitHost(join(root, 'repos'), token);
  try {
    const url = `${host.base}/git/bench.git`;
    const authed = new URL(url);
    authed.username = 'bench';
    authed.password = token;
    const seed = join(root, 'seed');
    mkdirSync(seed);
    writeFiles(seed, Array.from({ length: files }, (_, i) => i), 0);
    await git(seed, ['init', '-q', '-b', 'main']);
    await git(seed, ['add', '-A']);
    await git(seed, ['commit', '-qm', 'initial']);
    await git(seed, ['push', '-q', authed.toString(), 'main']);

    const node = join(root, 'node');
    const cliNode = join(root, 'cli-node');
    const other = join(root, 'other');
    await git(root, ['clone', '-q', authed.toString(), node]);
    await git(root, ['clone', '-q', authed.toString(), cliNode]);
    await git(root, ['clone', '-q', authed.toString(), other]);
    const remote = { url, username: 'bench', password: token };
    await handleGitRequest({ kind: 'git.sync', dir: node, remote, author, resolutions: [] }); // warm-up

    const isoTimes: number[] = [];
    const cliTimes: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // the other side pushes a commit of 10 files
      await git(other, ['pull', '-q', '--no-rebase']);
      writeFiles(other, Array.from({ length: 10 }, (_, k) => (k * 31 + round * 7) % files), round * 100);
      await git(other, ['commit', '-qam', `remote r${round}`]);
      await git(other, ['push', '-q']);
      // the node has a local commit of 10 other files
      const local = Array.from({ length: 10 }, (_, k) => (k * 31 + round * 7 + 500) % files);
      const paths = writeFiles(node, local, round * 100 + 1);
      await handleGitRequest({ kind: 'git.commit', dir: node, changed: paths, removed: [], message: `local r${round}`, author });
      let t0 = performance.now();
      const res = await handleGitRequest({ kind: 'git.sync', dir: node, remote, author, resolutions: [] });
      isoTimes.push(performance.now() - t0);
      if (res.outcome !== 'merged' || !res.pushed) throw new Error(`unexpected sync outcome ${res.outcome}`);

      // the CLI node does the same: its own local commit, then pull (merge) and push
      await git(cliNode, ['pull', '-q', '--no-rebase']);
      await git(other, ['pull', '-q', '--no-rebase']);
      writeFiles(other, Array.from({ length: 10 }, (_, k) => (k * 31 + round * 7 + 1) % files), round * 100 + 2);
      await git(other, ['commit', '-qam', `remote r${round} b`]);
      await git(other, ['push', '-q']);
      writeFiles(cliNode, Array.from({ length: 10 }, (_, k) => (k * 31 + round * 7 + 700) % files), round * 100 + 3);
      await git(cliNode, ['commit', '-qam', `cli local r${round}`]);
      t0 = performance.now();
      await git(cliNode, ['pull', '-q', '--no-rebase', '--no-edit']);
      await git(cliNode, ['push', '-q']);
      cliTimes.push(performance.now() - t0);
      await git(node, ['status', '--porcelain']); // keeps the node's index fresh for the CLI too
      await handleGitRequest({ kind: 'git.sync', dir: node, remote, author, resolutions: [] });
    }
    return { iso: isoTimes, cli: cliTimes };
  } finally {
    await host.close();
  }
}

try {
  console.log(`Workspace Git: isomorphic-git (worker code) vs git CLI, ${ROUNDS} rounds each after ${WARMUP} warm-up rounds`);
  await warmFirstCommit();
  for (const files of [1_000, 10_000]) {
    const n = files.toLocaleString('en');
    const { first, rounds, addAll } = await commitBench(files);
    console.log(`first commit of all ${n} files (one run each)\n  isomorphic-git (git.init + git.commit of every path) ${ms(first.iso)}, ` +
      `git init && git add -- <paths> && git commit ${ms(first.cli)}, ratio ${(first.iso / first.cli).toFixed(2)}x`);
    report(`commit of 10 changed files in ${n} files`, 'isomorphic-git (known paths)', 'git add -- <paths> && git commit', rounds, '<= 2x');
    console.log(`  for information, git add -A && git commit: median ${ms(median(addAll))}, best ${ms(Math.min(...addAll))}` +
      ` (isomorphic-git median ${(median(rounds.iso) / median(addAll)).toFixed(2)}x of it)`);
  }
  report(
    'sync of one remote commit of 10 files into a 1,000-file workspace with a local commit of 10',
    'fetch+merge+push',
    'git pull --no-rebase && git push',
    await syncBench(1_000),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
