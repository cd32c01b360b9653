import { createNode, type OutpostNode } from '../node';
import type { Logger } from '../../lib/log';
import type { SecretStore } from '../secrets';
import type { WorkerSpawner } from '../sync-host/spawner';

/**
 * The node behind the desktop app: the same services as the headless node (main/node.ts), with the keychain
 * secret store, the utility-process worker spawner and the IPC transport.
 */
export async function createDesktopNode(options: {
  dataDir: string;
  secrets: SecretStore;
  spawner: WorkerSpawner;
  log: Logger;
}): Promise<OutpostNode> {
  return createNode({
    dataDir: options.dataDir,
    transport: 'ipc',
    secrets: options.secrets,
    spawner: options.spawner,
    log: options.log,
  });
}

export type { OutpostNode };
