import type { Handlers } from '../../shared/api/index';
import type { SyncHost } from '../sync-host/sync-host';

/** sync.*: the node's sync engine (queue.* belong to the edge store's slice). */
export function syncHandlers(
  host: SyncHost,
): Pick<Handlers, 'sync.status' | 'sync.now' | 'sync.pause' | 'sync.resume' | 'sync.connect' | 'sync.disconnect'> {
  return {
    'sync.status': () => host.status(),
    'sync.now': () => host.syncNow(),
    'sync.pause': () => host.pause(),
    'sync.resume': () => host.resume(),
    'sync.connect': ({ hubUrl, token, saveOffline }) => host.connect(hubUrl, token, { saveOffline: saveOffline === true }),
    'sync.disconnect': () => host.disconnect(),
  };
}
