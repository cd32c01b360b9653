import { utilityProcess } from 'electron';
import type { WorkerHandle, WorkerSpawner } from '../sync-host/spawner';

/**
 * The sync worker in the desktop app: an Electron utility process (a Node process that Electron supervises,
 * and the only kind allowed once the runAsNode fuse is off). Same message protocol as the forked child the
 * headless node uses; the worker finds `process.parentPort` (worker/parent-port.ts).
 */
export function utilityProcessSpawner(modulePath: string): WorkerSpawner {
  return () => {
    const child = utilityProcess.fork(modulePath, [], {
      serviceName: 'Outpost Sync',
      stdio: 'inherit',
      env: { ...process.env, OUTPOST_SYNC_WORKER: '1' },
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    const handle = {
      get pid() {
        return child.pid;
      },
      postMessage: (message: unknown) => {
        if (!exited) child.postMessage(message);
      },
      on: (event: 'message' | 'exit', listener: (arg: never) => void) => {
        if (event === 'message') child.on('message', listener as (message: unknown) => void);
        else child.on('exit', (code) => (listener as (code: number | null) => void)(code));
      },
      kill: () => {
        if (!exited) child.kill();
      },
    };
    return handle as WorkerHandle;
  };
}
