import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The sync worker as the host sees it. Under plain Node it is a forked child process; the Electron shell passes
 * a spawner built on utilityProcess.fork with the same shape and the same messages.
 */
export interface WorkerHandle {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  on(event: 'exit', listener: (code: number | null) => void): void;
  kill(): void;
  readonly pid?: number | undefined;
}

export type WorkerSpawner = () => WorkerHandle;

/** Asks the worker to end (`ask`), and kills it if it has not exited within `killAfterMs`. */
export function endWorker(worker: WorkerHandle, killAfterMs: number, ask: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      worker.kill();
      resolve();
    }, killAfterMs);
    worker.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    ask();
  });
}

/**
 * Where the worker program is: next to the bundle when built (out/cli, out/main -> out/worker/sync-worker.js),
 * or the TypeScript source when running from source (loaded through tsx).
 */
export function workerEntry(): { path: string; execArgv: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { path: fileURLToPath(new URL('../../worker/index.ts', here)), execArgv: ['--import', 'tsx'] };
  const built = fileURLToPath(new URL('../worker/sync-worker.js', here));
  if (!existsSync(built)) throw new Error(`The sync worker is missing at ${built}: run npm run build.`);
  return { path: built, execArgv: [] };
}

export const forkSpawner: WorkerSpawner = () => {
  const entry = workerEntry();
  // diagnostics: extra Node flags for the worker only (e.g. --cpu-prof), since NODE_OPTIONS refuses some
  const extra = process.env.OUTPOST_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = fork(entry.path, [], {
    execArgv: [...entry.execArgv, ...extra],
    serialization: 'advanced', // structured clone: faster than JSON for large batches, same as utilityProcess
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, OUTPOST_SYNC_WORKER: '1' },
  });
  return {
    get pid() {
      return child.pid;
    },
    postMessage: (message) => {
      // with a callback a send to a worker that just died (EPIPE) is not an unhandled 'error' event: its exit
      // handler restarts it and fails what waited on it
      if (child.connected) child.send(message as never, () => undefined);
    },
    on: (event: 'message' | 'exit', listener: (arg: never) => void) => {
      if (event === 'message') child.on('message', listener as (m: unknown) => void);
      else child.on('exit', (code) => (listener as (c: number | null) => void)(code));
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  } as WorkerHandle;
};
