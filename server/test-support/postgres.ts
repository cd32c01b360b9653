import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir, on a free loopback port, fsync off
 * (a killed server keeps every commit: WAL reaches the OS before a commit returns; only an OS crash loses data).
 * initdb and postgres refuse to run as root, so under root they run as the `postgres` user (Debian's package
 * creates it) in a folder that user owns. Needs PostgreSQL's server binaries (Debian: `postgresql`); set
 * PG_BIN to point at another bin folder.
 */
export interface TestPostgres {
  /** URL of the cluster's `postgres` database (superuser `postgres`, trust auth on loopback). */
  url: string;
  port: number;
  /** Creates an empty database and answers its URL, so tests sharing a cluster stay apart. */
  createDatabase(name: string): Promise<string>;
  /** Kills the server (immediate shutdown, like a crash) and starts it again on the same port. */
  restart(): Promise<void>;
  /** Immediate shutdown, keeping the data: `start()` brings it back on the same port. */
  kill(): void;
  start(): void;
  /** Immediate shutdown (like a crash: data is already safe or irrelevant) and removal of the folder. */
  stop(): Promise<void>;
}

export function findPostgresBin(): string {
  const candidates = [process.env.PG_BIN ?? ''];
  for (let v = 18; v >= 13; v--) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  for (const dir of candidates) if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  throw new Error('PostgreSQL server binaries not found: install Debian\'s `postgresql` package or set PG_BIN to the folder holding initdb and pg_ctl.');
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('Running as root, but there is no `postgres` user to run initdb and postgres as.');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'outpost-pg-'));
  if (asRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, timeout: 120_000 });
  };
  const stopSync = () => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', '-w', 'stop']]
      : [join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']];
    spawnSync(file, argv, { stdio: 'ignore', timeout: 30_000 });
  };

  try {
    run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`);
  }

  const startOn = (candidate: number) =>
    run('pg_ctl', [
      '-D', data, '-l', join(dir, 'postgres.log'), '-w', '-t', '60',
      '-o', `-p ${candidate} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`,
      'start',
    ]);
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !port; attempt++) {
    const candidate = await freePort();
    try {
      startOn(candidate);
      port = candidate;
    } catch (error) {
      lastError = error; // most likely the port was taken between probing and binding: try another
    }
  }
  if (!port) {
    stopSync();
    const log = existsSync(join(dir, 'postgres.log')) ? readFileSync(join(dir, 'postgres.log'), 'utf8').slice(-2000) : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${String(lastError)}\n${log}`);
  }

  const exitHook = () => stopSync(); // a test process that dies must not leave a server behind
  process.once('exit', exitHook);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    port,
    createDatabase: async (name) => {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`Bad database name ${name}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    restart: async () => {
      stopSync();
      startOn(port);
    },
    kill: () => stopSync(),
    start: () => {
      startOn(port);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.removeListener('exit', exitHook);
      stopSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
