import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findPostgresBin } from '../../server/test-support/postgres';
import { freePort } from '../sync/support';

/**
 * A throwaway PostgreSQL cluster that can be SIGKILLed and started again on the same port and data (crash
 * recovery), which server/test-support/postgres.ts (start and stop only) does not offer. Under root,
 * initdb and postgres run as the `postgres` user, in a folder it owns.
 */
export interface KillablePostgres {
  url: string;
  /** SIGKILL of the postmaster: every backend dies with it, nothing is shut down cleanly */
  kill(): void;
  start(): void;
  running(): boolean;
  destroy(): void;
}

export async function startKillablePostgres(): Promise<KillablePostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'outpost-rel-pg-'));
  if (asRoot) {
    const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
    if (!line) throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
    const [, , uid, gid] = line.split(':');
    chownSync(dir, Number(uid), Number(gid));
  }
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, timeout: 120_000 });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  const port = await freePort();
  const postmasterPid = (): number | null => {
    try {
      return Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  };
  const alive = (pid: number | null) => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stopImmediate = () => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']]
      : [join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']];
    spawnSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
  };
  start();
  const exitHook = () => stopImmediate();
  process.once('exit', exitHook);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    kill() {
      const pid = postmasterPid();
      if (!alive(pid)) return;
      process.kill(pid!, 'SIGKILL');
      // the listening socket goes with the postmaster; its backends notice and exit on their own
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && alive(pid)) spawnSync('sleep', ['0.05']);
    },
    start() {
      if (alive(postmasterPid())) return;
      start();
    },
    running: () => alive(postmasterPid()),
    destroy() {
      process.removeListener('exit', exitHook);
      stopImmediate();
      if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
